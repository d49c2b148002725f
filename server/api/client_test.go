package api_test

import (
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// user is a small test client: what a browser holds for one account, made
// with the real client-side crypto of keys/*.
type user struct {
	s        *testServer
	email    string
	password []byte
	id       string
	ak       *keys.SymmetricKey
	kr       *account.Keyring
	access   string
	refresh  string
	device   *keys.Identity
	deviceID string
}

func (u *user) pub() account.PublicKeyring { return u.kr.Public() }

// member is the user as a membership statement names them.
func (u *user) member(role protocol.Role) membership.Member {
	pub := u.pub()
	return membership.Member{AccountID: u.id, Email: u.email, Role: role, VerifyKey: pub.VerifyKey, Recipient: pub.Recipient}
}

// register signs up email with a password, trusting this "browser" as a
// device at once.
func (s *testServer) register(email string) *user {
	s.t.Helper()
	return s.registerWith(email, []byte("correct horse battery staple "+email))
}

// registerWith signs up email with the given password.
func (s *testServer) registerWith(email string, password []byte) *user {
	s.t.Helper()
	u := &user{s: s, email: email, password: password}
	creg, rreq, err := opaque.StartRegistration(u.password)
	if err != nil {
		s.t.Fatal(err)
	}
	var start protocol.RegisterStartResponse
	s.must("POST", "/auth/register/start", "", &protocol.RegisterStartRequest{Email: email, RegistrationRequest: rreq.Bytes()}, &start)
	resp, err := opaque.ParseRegistrationResponse(start.RegistrationResponse)
	if err != nil {
		s.t.Fatal(err)
	}
	rec, export, err := creg.Finish(resp)
	if err != nil {
		s.t.Fatal(err)
	}
	u.ak = account.NewAccountKey()
	u.kr = account.NewKeyring()
	sealed, err := account.SealKeyring(u.ak, u.kr)
	if err != nil {
		s.t.Fatal(err)
	}
	pub, err := u.kr.SignedPublic()
	if err != nil {
		s.t.Fatal(err)
	}
	pw, err := account.WrapForPassword(u.ak, export)
	if err != nil {
		s.t.Fatal(err)
	}
	u.device = keys.NewIdentity()
	dw, err := account.WrapForDevice(u.ak, u.device.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	var lr protocol.LoginResponse
	s.must("POST", "/auth/register/finish", "", &protocol.RegisterFinishRequest{
		RegistrationID: start.RegistrationID, Code: s.lastCode(email), RegistrationRecord: rec.Bytes(),
		Keyring: sealed, PublicKeyring: pub, PasswordWrap: pw,
		Device: &protocol.AddDeviceRequest{Label: "test browser", Recipient: u.device.Recipient().String(), Wrap: dw},
	}, &lr)
	if lr.Session == nil || lr.Unlock == nil {
		s.t.Fatalf("registration did not sign in: %+v", lr)
	}
	u.id, u.access, u.refresh = lr.Unlock.AccountID, lr.Session.AccessToken, lr.Session.RefreshToken
	u.checkUnlock(lr.Unlock)
	var devs protocol.DeviceList
	s.must("GET", "/account/devices", u.access, nil, &devs)
	if len(devs.Devices) != 1 {
		s.t.Fatalf("%d devices after sign-up with a device", len(devs.Devices))
	}
	u.deviceID = devs.Devices[0].DeviceID
	return u
}

// checkUnlock opens the keyring with every wrap of the bundle it can.
func (u *user) checkUnlock(b *protocol.UnlockBundle) {
	u.s.t.Helper()
	if b.AccountID != u.id {
		u.s.t.Fatalf("unlock bundle of %s, want %s", b.AccountID, u.id)
	}
	for _, w := range b.Wraps {
		if w.Kind != protocol.UnlockDevice {
			continue
		}
		ak, err := account.Unlock(w.Wrap, account.WithDevice(u.device))
		if err != nil {
			u.s.t.Fatalf("device wrap does not open: %v", err)
		}
		kr, err := account.OpenKeyring(ak, b.Keyring)
		if err != nil {
			u.s.t.Fatal(err)
		}
		if err := kr.Check(u.pub()); err != nil {
			u.s.t.Fatal(err)
		}
	}
}

// proveDevice answers the device challenge of a login from u's trusted
// device with the key it holds, as the browser does, and returns the
// login's response.
func (u *user) proveDevice(lr *protocol.LoginResponse) (protocol.LoginResponse, *response) {
	s := u.s
	s.t.Helper()
	v := lr.Verification
	if lr.Session != nil || v == nil || len(v.DeviceChallenge) == 0 || v.SentTo != "" {
		s.t.Fatalf("a login from the trusted device got no device challenge alone: %+v", lr)
	}
	k, err := keys.UnwrapKey(v.DeviceChallenge, u.device.Age())
	if err != nil {
		s.t.Fatalf("the device challenge does not open with the device's identity: %v", err)
	}
	var out protocol.LoginResponse
	r := s.call("POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: v.VerificationID, Proof: k.Bytes()}, &out)
	return out, r
}

// login runs KE1/KE2/KE3, from u's trusted device if deviceID is its id
// (answering the device's challenge), and returns the login's response.
func (u *user) login(password []byte, deviceID string) (*protocol.LoginResponse, *response) {
	u.s.t.Helper()
	lr, r := u.loginNamingDevice(password, deviceID)
	if lr != nil && deviceID != "" && deviceID == u.deviceID {
		// As the browser holding the device does.
		proved, r := u.proveDevice(lr)
		if r.status != 200 {
			return nil, r
		}
		return &proved, r
	}
	return lr, r
}

// loginNamingDevice runs KE1/KE2/KE3 naming deviceID, and returns the
// server's answer to KE3 (from a named device: its challenge, unanswered).
func (u *user) loginNamingDevice(password []byte, deviceID string) (*protocol.LoginResponse, *response) {
	s := u.s
	s.t.Helper()
	cl, ke1, err := opaque.StartLogin(password)
	if err != nil {
		s.t.Fatal(err)
	}
	var start protocol.LoginStartResponse
	r := s.call("POST", "/auth/login/start", "", &protocol.LoginStartRequest{Email: u.email, KE1: ke1.Bytes()}, &start)
	if r.status != 200 {
		return nil, r
	}
	ke2, err := opaque.ParseKE2(start.KE2)
	if err != nil {
		s.t.Fatal(err)
	}
	ke3, export, _, err := cl.Finish(ke2)
	if err != nil {
		// A wrong password fails on the client; the client still sends a
		// KE3 of its own making, as a browser would not: send garbage of
		// the right size so the server counts the failure.
		ke3b := make([]byte, 65)
		ke3b[0] = opaque.Version
		ke3b[1] = 1
		var lr protocol.LoginResponse
		r := s.call("POST", "/auth/login/finish", "", &protocol.LoginFinishRequest{LoginID: start.LoginID, KE3: ke3b}, &lr)
		return nil, r
	}
	var lr protocol.LoginResponse
	r = s.call("POST", "/auth/login/finish", "", &protocol.LoginFinishRequest{LoginID: start.LoginID, KE3: ke3.Bytes(), DeviceID: deviceID}, &lr)
	if r.status != 200 {
		return nil, r
	}
	if lr.Unlock != nil {
		for _, w := range lr.Unlock.Wraps {
			if w.Kind == protocol.UnlockPassword {
				if _, err := account.Unlock(w.Wrap, account.WithPassword(export)); err != nil {
					s.t.Fatalf("password wrap does not open with the login's export key: %v", err)
				}
			}
		}
	}
	return &lr, r
}

// signIn logs in from the trusted device.
func (u *user) signIn() {
	u.s.t.Helper()
	lr, r := u.login(u.password, u.deviceID)
	if lr == nil || lr.Session == nil {
		u.s.t.Fatalf("sign-in failed: %d %v", r.status, r.err)
	}
	u.access, u.refresh = lr.Session.AccessToken, lr.Session.RefreshToken
}

// newTenant creates a tenant owned by u and returns its id.
func (u *user) newTenant() string {
	u.s.t.Helper()
	tid := store.NewID().String()
	genesis, err := membership.NewGenesis(tid, u.member(protocol.RoleOwner), u.kr.SigningKey(), time.Now())
	if err != nil {
		u.s.t.Fatal(err)
	}
	var t protocol.Tenant
	u.s.must("POST", "/tenants", u.access, &protocol.CreateTenantRequest{TenantID: tid, Genesis: genesis}, &t)
	if t.Role != protocol.RoleOwner || t.TenantID != tid {
		u.s.t.Fatalf("created tenant %+v", t)
	}
	return tid
}

// chain fetches and verifies a tenant's membership chain.
func (u *user) chain(tid string) *membership.State {
	u.s.t.Helper()
	var mc protocol.MembershipChain
	u.s.must("GET", "/tenants/"+tid+"/membership", u.access, nil, &mc)
	st, err := membership.VerifyFirstUse(mc.Statements, tid)
	if err != nil {
		u.s.t.Fatal(err)
	}
	if st.Seq() != mc.HeadSeq {
		u.s.t.Fatalf("chain head %d, server says %d", st.Seq(), mc.HeadSeq)
	}
	return st
}

// appendStatement signs change c on the current chain and posts it.
func (u *user) appendStatement(tid string, c membership.Change) uint64 {
	u.s.t.Helper()
	st := u.chain(tid)
	stmt, err := st.Append(u.id, u.kr.SigningKey(), c, time.Now())
	if err != nil {
		u.s.t.Fatal(err)
	}
	var ma protocol.MembershipAppended
	u.s.must("POST", "/tenants/"+tid+"/membership", u.access, &protocol.AppendMembershipRequest{Statement: stmt}, &ma)
	return ma.Seq
}

// invite makes v a member of tenant tid with role, the way the product
// does: an invite by e-mail, accepted by v, then the add-member statement
// signed by u with the keys the checked invite shows.
func (u *user) invite(tid string, v *user, role protocol.Role) {
	s := u.s
	s.t.Helper()
	var inv protocol.Invite
	s.must("POST", "/tenants/"+tid+"/invites", u.access, &protocol.CreateInviteRequest{Email: v.email, Role: role}, &inv)
	n, ok := s.notices.Last(v.email)
	if !ok {
		s.t.Fatal("no invite notice")
	}
	tok := inviteTokenRE.FindStringSubmatch(n.Body)
	if tok == nil {
		s.t.Fatalf("no invite link in %q", n.Body)
	}
	var acc protocol.AcceptInviteResponse
	s.must("POST", "/invites/"+inv.InviteID+"/accept", v.access, &protocol.AcceptInviteRequest{Token: tok[2]}, &acc)
	if acc.TenantID != tid || acc.Status != protocol.InviteAccepted {
		s.t.Fatalf("accepted: %+v", acc)
	}
	var list protocol.InviteList
	s.must("GET", "/tenants/"+tid+"/invites", u.access, nil, &list)
	var got *protocol.Invite
	for i := range list.Invites {
		if list.Invites[i].InviteID == inv.InviteID {
			got = &list.Invites[i]
		}
	}
	if got == nil || got.AccountID != v.id || got.Status != protocol.InviteAccepted {
		s.t.Fatalf("invite after acceptance: %+v", got)
	}
	pub, err := account.ParseSignedPublicKeyring(got.PublicKeyring)
	if err != nil {
		s.t.Fatal(err)
	}
	m := membership.Member{AccountID: got.AccountID, Email: v.email, Role: role, VerifyKey: pub.VerifyKey, Recipient: pub.Recipient}
	u.appendStatement(tid, membership.AddMember{Member: m})
}

func nowT() time.Time { return time.Now() }
