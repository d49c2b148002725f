package api_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

func TestAccountRoutes(t *testing.T) {
	s := startServer(t, nil)
	u := s.register("hana@example.com")
	other := s.register("ivan@example.com")

	var kr protocol.Keyring
	s.must("GET", "/account/keyring", u.access, nil, &kr)
	if kr.Version != 1 {
		t.Fatalf("keyring version %d", kr.Version)
	}
	var ml protocol.UnlockMethodList
	s.must("GET", "/account/unlock-methods", u.access, nil, &ml)
	if len(ml.Methods) != 2 {
		t.Fatalf("methods after sign-up: %+v", ml)
	}

	// A recovery code wrap can be added and removed; the password wrap
	// cannot be removed on its own.
	code := account.NewRecoveryCode()
	rw, err := account.WrapForRecoveryCode(u.ak, code)
	if err != nil {
		t.Fatal(err)
	}
	var added protocol.AddUnlockMethodResponse
	s.must("POST", "/account/unlock-methods", u.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockRecoveryCode, Wrap: rw}, &added)
	// A wrap of another method under this kind is refused.
	devWrap, err := account.WrapForDevice(u.ak, keys.NewIdentity().Recipient())
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeBadRequest, "POST", "/account/unlock-methods", u.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockRecoveryCode, Wrap: devWrap})
	s.wantCode(protocol.CodeBadEncoding, "POST", "/account/unlock-methods", u.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockRecoveryCode, Wrap: []byte("not a wrap")})
	for _, m := range ml.Methods {
		if m.Kind == protocol.UnlockPassword {
			s.wantCode(protocol.CodeConflict, "DELETE", "/account/unlock-methods/"+m.MethodID, u.access, nil)
		}
	}
	s.must("DELETE", "/account/unlock-methods/"+added.MethodID, u.access, nil, nil)

	// Replacing the keyring needs the current version and keeps the listed
	// methods only.
	sealed, err := account.SealKeyring(u.ak, u.kr)
	if err != nil {
		t.Fatal(err)
	}
	var wraps []protocol.ReplacedUnlock
	var bundle protocol.LoginResponse
	lr, _ := u.login(u.password, u.deviceID)
	bundle = *lr
	for _, w := range bundle.Unlock.Wraps {
		wraps = append(wraps, protocol.ReplacedUnlock{MethodID: w.MethodID, Wrap: w.Wrap})
	}
	var nk protocol.Keyring
	s.must("PUT", "/account/keyring", u.access, &protocol.ReplaceKeyringRequest{PreviousVersion: 1, Keyring: sealed, PublicKeyring: kr.PublicKeyring, Wraps: wraps}, &nk)
	if nk.Version != 2 || !bytes.Equal(nk.Keyring, sealed) {
		t.Fatalf("replaced keyring: version %d", nk.Version)
	}
	s.wantCode(protocol.CodeConflict, "PUT", "/account/keyring", u.access, &protocol.ReplaceKeyringRequest{PreviousVersion: 1, Keyring: sealed, PublicKeyring: kr.PublicKeyring, Wraps: wraps})

	// Another account's public keyring is visible only to those who share
	// a tenant with it.
	s.wantCode(protocol.CodeNotFound, "GET", "/accounts/"+other.id+"/public-keyring", u.access, nil)
	tid := u.newTenant()
	u.invite(tid, other, protocol.RoleMember)
	var pk protocol.PublicKeyring
	s.must("GET", "/accounts/"+other.id+"/public-keyring", u.access, nil, &pk)
	if pub, err := account.ParseSignedPublicKeyring(pk.PublicKeyring); err != nil || !pub.Equal(other.pub()) {
		t.Fatalf("public keyring: %v", err)
	}

	// A second device; removing it ends every session.
	dev := keys.NewIdentity()
	dw, err := account.WrapForDevice(u.ak, dev.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeBadRequest, "POST", "/account/devices", u.access, &protocol.AddDeviceRequest{Label: "phone", Recipient: keys.NewIdentity().Recipient().String(), Wrap: dw})
	var ad protocol.AddDeviceResponse
	s.must("POST", "/account/devices", u.access, &protocol.AddDeviceRequest{Label: "phone", Recipient: dev.Recipient().String(), Wrap: dw}, &ad)
	s.must("DELETE", "/account/devices/"+ad.DeviceID, u.access, nil, nil)
	s.wantCode(protocol.CodeUnauthenticated, "GET", "/account", u.access, nil)
	u.signIn()

	// A password change replaces the OPAQUE record and the password wrap,
	// and ends every session.
	newPassword := []byte("a new and better passphrase")
	creg, rreq, err := opaque.StartRegistration(newPassword)
	if err != nil {
		t.Fatal(err)
	}
	var ps protocol.PasswordChangeStartResponse
	s.must("POST", "/account/password/start", u.access, &protocol.PasswordChangeStartRequest{RegistrationRequest: rreq.Bytes()}, &ps)
	resp, err := opaque.ParseRegistrationResponse(ps.RegistrationResponse)
	if err != nil {
		t.Fatal(err)
	}
	rec, export, err := creg.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := account.WrapForPassword(u.ak, export)
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeNotFound, "POST", "/account/password/finish", other.access, &protocol.PasswordChangeFinishRequest{RegistrationID: ps.RegistrationID, RegistrationRecord: rec.Bytes(), PasswordWrap: pw})
	s.must("POST", "/account/password/finish", u.access, &protocol.PasswordChangeFinishRequest{RegistrationID: ps.RegistrationID, RegistrationRecord: rec.Bytes(), PasswordWrap: pw}, nil)
	s.wantCode(protocol.CodeUnauthenticated, "GET", "/account", u.access, nil)
	if _, r := u.login(u.password, u.deviceID); r.err == nil || r.err.Code != protocol.CodeAuthFailed {
		t.Fatalf("old password: %d %v", r.status, r.err)
	}
	u.password = newPassword
	u.signIn() // login checks the password wrap opens with the new export key
}

// TestTenantRecovery: the owner turns recovery on with two holders; a
// member wraps their account key to them (checked by the server against the
// chain), asks for recovery to a new device, and the two holders peel the
// onion in turn; the new device opens the account key.
func TestTenantRecovery(t *testing.T) {
	s := startServer(t, nil)
	owner := s.register("owner@example.com")
	admin := s.register("admin@example.com")
	bob := s.register("bob@example.com")
	tid := owner.newTenant()
	owner.invite(tid, admin, protocol.RoleAdmin)
	owner.invite(tid, bob, protocol.RoleMember)
	holders := []membership.Holder{{AccountID: owner.id, Recipient: owner.pub().Recipient}, {AccountID: admin.id, Recipient: admin.pub().Recipient}}
	slices.SortFunc(holders, func(a, b membership.Holder) int { return strings.Compare(a.AccountID, b.AccountID) })
	owner.appendStatement(tid, membership.EnableRecovery{Recovery: membership.Recovery{Threshold: 2, Holders: holders}})

	var tr protocol.TenantRecovery
	s.must("GET", "/tenants/"+tid+"/recovery", bob.access, nil, &tr)
	if !tr.Enabled || tr.Threshold != 2 || len(tr.Holders) != 2 || tr.Enrolled {
		t.Fatalf("recovery as bob sees it: %+v", tr)
	}
	threshold, admins, err := bob.chain(tid).RecoveryWrapTo()
	if err != nil {
		t.Fatal(err)
	}
	// A wrap for another threshold than the chain's is refused.
	wrong, err := account.WrapForTenant(bob.ak, 1, admins)
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeConflict, "POST", "/account/unlock-methods", bob.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockTenantRecovery, Wrap: wrong, TenantID: tid})
	tw, err := account.WrapForTenant(bob.ak, threshold, admins)
	if err != nil {
		t.Fatal(err)
	}
	s.must("POST", "/account/unlock-methods", bob.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockTenantRecovery, Wrap: tw, TenantID: tid}, nil)

	newDevice := keys.NewIdentity()
	var rr protocol.RecoveryRequest
	s.must("POST", "/tenants/"+tid+"/recovery/requests", bob.access, &protocol.CreateRecoveryRequest{DeviceRecipient: newDevice.Recipient().String()}, &rr)
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/recovery/requests/"+rr.RequestID+"/approve", bob.access, &protocol.ApproveRecoveryRequest{Wrap: []byte("x")})

	// The holders peel in the order the onion needs.
	var list protocol.RecoveryRequestList
	s.must("GET", "/tenants/"+tid+"/recovery/requests", owner.access, nil, &list)
	if len(list.Requests) != 1 || len(list.Requests[0].Wrap) == 0 {
		t.Fatalf("requests as a holder sees them: %+v", list)
	}
	w, err := account.ParseWrap(list.Requests[0].Wrap)
	if err != nil {
		t.Fatal(err)
	}
	onion, order, err := w.TenantOnion(owner.pub().Recipient, admin.pub().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	first, second := owner, admin
	if !order[0].Equal(owner.pub().Recipient) {
		first, second = admin, owner
	}
	layer, err := account.PeelTenantLayer(onion, first.kr.Identity())
	if err != nil {
		t.Fatal(err)
	}
	path := "/tenants/" + tid + "/recovery/requests/" + rr.RequestID + "/approve"
	s.wantCode(protocol.CodeBadRequest, "POST", path, first.access, &protocol.ApproveRecoveryRequest{Admins: []string{second.id, first.id}, Wrap: layer})
	s.must("POST", path, first.access, &protocol.ApproveRecoveryRequest{Admins: []string{first.id, second.id}, Wrap: layer}, nil)
	s.wantCode(protocol.CodeForbidden, "POST", path, first.access, &protocol.ApproveRecoveryRequest{Wrap: layer})
	var got protocol.RecoveryRequest
	s.must("GET", "/tenants/"+tid+"/recovery/requests/"+rr.RequestID, second.access, nil, &got)
	ak, err := account.OpenTenantCore(got.Layers[0].Wrap, second.kr.Identity())
	if err != nil {
		t.Fatal(err)
	}
	dw, err := account.WrapForDevice(ak, newDevice.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	s.must("POST", path, second.access, &protocol.ApproveRecoveryRequest{Wrap: dw}, &got)
	if got.Status != protocol.RecoveryApproved {
		t.Fatalf("status after both holders: %s", got.Status)
	}
	// Bob's new device opens his account key from the last layer.
	s.must("GET", "/tenants/"+tid+"/recovery/requests/"+rr.RequestID, bob.access, nil, &got)
	rak, err := account.Unlock(got.Layers[1].Wrap, account.WithDevice(newDevice))
	if err != nil {
		t.Fatal(err)
	}
	if !rak.Equal(bob.ak) {
		t.Fatal("the recovered account key is not bob's")
	}
	if n, ok := s.notices.Last(bob.email); !ok || !strings.Contains(n.Subject, "recovery") {
		t.Errorf("bob was not told: %+v", n)
	}
}
