package api

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// Lifetimes of what the auth routes hand out.
const (
	signUpCodeTTL = 15 * time.Minute
	deviceCodeTTL = 10 * time.Minute
	maxResends    = 5
	// deviceProofTTL is how long a trusted device has to answer its
	// challenge: the browser answers at once, with no one typing.
	deviceProofTTL = 2 * time.Minute
)

// Code purposes, bound into each code's MAC.
const (
	purposeSignUp      = "sign-up"
	purposeDevice      = "device"
	purposeDeviceProof = "device-proof"
)

func (a *API) authHandlers() map[string]handler {
	return map[string]handler{
		"auth.register.start":  a.registerStart,
		"auth.register.finish": a.registerFinish,
		"auth.login.start":     a.loginStart,
		"auth.login.finish":    a.loginFinish,
		"auth.device.verify":   a.deviceVerify,
		"auth.device.resend":   a.deviceResend,
		"auth.refresh":         a.refresh,
		"auth.logout":          a.logout,
	}
}

func normalizeEmail(e string) (string, error) {
	n, err := store.NormalizeEmail(e)
	if err != nil {
		return "", badRequest("email is not an e-mail address")
	}
	return n, nil
}

// registerStart answers an OPAQUE registration request for a new account
// and e-mails a confirmation code. An address that already has an account
// gets the same answer; its owner is told that someone tried to sign up,
// and the registration can never be finished.
func (a *API) registerStart(c *call) (any, error) {
	r := c.req.(*protocol.RegisterStartRequest)
	email, err := normalizeEmail(r.Email)
	if err != nil {
		return nil, err
	}
	tag := a.secrets.emailTag(email)
	if err := c.take(a.limits.PerAccount, "register/"+b64url.EncodeToString(tag[:])); err != nil {
		return nil, err
	}
	rr, err := opaque.ParseRegistrationRequest(r.RegistrationRequest)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRequest is not an OPAQUE registration request")
	}
	acctID := store.NewID()
	resp, err := a.opaque.RegistrationResponse(rr, []byte(acctID.String()))
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRequest is not an OPAQUE registration request")
	}
	_, err = a.st.AccountByEmail(email)
	taken := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	reg := &store.Registration{
		ID: store.NewID(), Kind: store.RegistrationSignUp, Email: email, Account: acctID,
		Created: c.now, Expires: c.now.Add(signUpCodeTTL),
	}
	code := newCode()
	n := notify.Notice{Kind: notify.KindEmail, To: email}
	if taken {
		// A MAC of nothing: no code checks against it.
		reg.CodeMAC = make([]byte, 32)
		rand.Read(reg.CodeMAC)
		n.Subject = "Someone tried to sign up to Vellum with your address"
		n.Body = "Someone asked to create a Vellum account with this e-mail address, which already has one.\n" +
			"If it was you, sign in instead. If it was not, you need not do anything: no account was created."
	} else {
		reg.CodeMAC = a.secrets.codeMAC(purposeSignUp, reg.ID, code)
		n.Subject = "Your Vellum sign-up code"
		n.Body = fmt.Sprintf("Your code to confirm this address for Vellum is %s.\nIt expires in %d minutes. "+
			"If you did not sign up, ignore this message.", code, int(signUpCodeTTL/time.Minute))
	}
	if err := a.st.Update(func(tx *store.Tx) error { return tx.CreateRegistration(reg) }); err != nil {
		return nil, err
	}
	if err := a.send(n); err != nil {
		return nil, err
	}
	return &protocol.RegisterStartResponse{RegistrationID: reg.ID.String(), RegistrationResponse: resp.Bytes(), CodeExpiresAt: reg.Expires}, nil
}

// checkCode checks a typed code against a record's MAC under the lock-out
// key: a locked key is refused before the code is looked at, and a wrong
// code counts. It returns a LockedError when this failure locks the key.
func (a *API) checkCode(lockKey, purpose string, id store.ID, code string, mac []byte, expires time.Time, now time.Time) error {
	if err := a.limits.Codes.Check(lockKey); err != nil {
		return err
	}
	if !now.Before(expires) {
		return protocol.Errorf(protocol.CodeExpired, "the code expired; ask for a new one")
	}
	if !a.secrets.checkCode(purpose, id, code, mac) {
		if _, err := a.limits.Codes.Fail(lockKey); err != nil {
			return err
		}
		return protocol.Errorf(protocol.CodeAuthFailed, "wrong code")
	}
	return a.limits.Codes.Reset(lockKey)
}

func (a *API) registerFinish(c *call) (any, error) {
	r := c.req.(*protocol.RegisterFinishRequest)
	id, err := store.ParseID(r.RegistrationID)
	if err != nil {
		return nil, notFound("registration")
	}
	reg, err := a.st.Registration(id)
	if err != nil || reg.Kind != store.RegistrationSignUp {
		return nil, notFound("registration")
	}
	if err := a.checkCode("code/register/"+id.String(), purposeSignUp, id, r.Code, reg.CodeMAC, reg.Expires, c.now); err != nil {
		return nil, err
	}
	if _, err := opaque.ParseRegistrationRecord(r.RegistrationRecord); err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRecord is not an OPAQUE registration record")
	}
	if _, err := account.ParseSignedPublicKeyring(r.PublicKeyring); err != nil {
		return nil, err
	}
	if err := checkWrap(r.PasswordWrap, account.MethodPassword, "passwordWrap"); err != nil {
		return nil, err
	}
	if len(r.RecoveryCodeWrap) > 0 {
		if err := checkWrap(r.RecoveryCodeWrap, account.MethodRecoveryCode, "recoveryCodeWrap"); err != nil {
			return nil, err
		}
	}
	if r.Device != nil {
		if err := checkDeviceWrap(r.Device); err != nil {
			return nil, err
		}
	}
	acct := &store.Account{
		ID: reg.Account, Email: reg.Email, Created: c.now, OpaqueRecord: r.RegistrationRecord,
		Keyring: r.Keyring, PublicKeyring: r.PublicKeyring,
	}
	var device store.ID
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.CreateAccount(acct); err != nil {
			return err
		}
		if err := tx.PutAccountInfo(&store.AccountInfo{Account: acct.ID, KeyringVersion: 1}); err != nil {
			return err
		}
		if err := tx.PutUnlockWrap(&store.UnlockWrap{Account: acct.ID, ID: store.NewID(), Kind: store.WrapPassword,
			Wrapped: r.PasswordWrap, Created: c.now}); err != nil {
			return err
		}
		if len(r.RecoveryCodeWrap) > 0 {
			if err := tx.PutUnlockWrap(&store.UnlockWrap{Account: acct.ID, ID: store.NewID(), Kind: store.WrapRecoveryCode,
				Wrapped: r.RecoveryCodeWrap, Created: c.now}); err != nil {
				return err
			}
		}
		if r.Device != nil {
			d, _, err := putDevice(tx, acct.ID, r.Device, c.now)
			if err != nil {
				return err
			}
			device = d
		}
		return tx.DeleteRegistration(reg.ID)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("an account with this e-mail address was created meanwhile")
	}
	if err != nil {
		return nil, err
	}
	return a.loginResponse(acct, device, store.ID{})
}

// loginResponse issues a session and the unlock bundle: the wraps this
// login can open, which are the password wrap after a password login or
// the passkey's PRF wrap after a passkey login, and the wrap of the trusted
// device the login came from, if any.
func (a *API) loginResponse(acct *store.Account, device, passkey store.ID) (*protocol.LoginResponse, error) {
	tokens, err := a.issue(acct, device)
	if err != nil {
		return nil, err
	}
	ws, err := a.st.UnlockWraps(acct.ID)
	if err != nil {
		return nil, err
	}
	b := &protocol.UnlockBundle{AccountID: acct.ID.String(), Keyring: acct.Keyring, PublicKeyring: acct.PublicKeyring, Wraps: []protocol.UnlockWrap{}}
	for _, w := range ws {
		usable := (w.Kind == store.WrapPassword && passkey.IsZero()) ||
			(w.Kind == store.WrapPasskey && !passkey.IsZero() && bytes.Equal(w.Ref, passkey[:])) ||
			(w.Kind == store.WrapDevice && !device.IsZero() && bytes.Equal(w.Ref, device[:]))
		if usable {
			b.Wraps = append(b.Wraps, protocol.UnlockWrap{MethodID: w.ID.String(), Kind: unlockKind(w.Kind), Wrap: w.Wrapped})
		}
	}
	return &protocol.LoginResponse{Session: tokens, Unlock: b}, nil
}

func (a *API) issue(acct *store.Account, device store.ID) (*protocol.SessionTokens, error) {
	at, ac, err := a.sessions.Issue(session.Claims{Account: acct.ID, Kind: session.KindAccess, Epoch: acct.Epoch, Device: device})
	if err != nil {
		return nil, err
	}
	rt, rc, err := a.sessions.Issue(session.Claims{Account: acct.ID, Kind: session.KindRefresh, Epoch: acct.Epoch, Device: device})
	if err != nil {
		return nil, err
	}
	return &protocol.SessionTokens{AccessToken: at, AccessExpiresAt: ac.Expires, RefreshToken: rt, RefreshExpiresAt: rc.Expires}, nil
}

// fakeCredentialID is the OPAQUE credential identifier answered for an
// address without an account: stable for the address, and never an
// account's (an account's is its 22-character id, this is 32 bytes).
func fakeCredentialID(email string) []byte {
	h := sha256.Sum256([]byte(email))
	return h[:]
}

func (a *API) loginStart(c *call) (any, error) {
	r := c.req.(*protocol.LoginStartRequest)
	email, err := normalizeEmail(r.Email)
	if err != nil {
		return nil, err
	}
	tag := a.secrets.emailTag(email)
	tagText := b64url.EncodeToString(tag[:])
	if err := c.take(a.limits.PerAccount, "login/"+tagText); err != nil {
		return nil, err
	}
	// A locked address is refused before any work; unknown addresses lock
	// alike, so a lock tells nothing about whether an account exists.
	if err := a.limits.Login.Check("login/" + tagText); err != nil {
		return nil, err
	}
	ke1, err := opaque.ParseKE1(r.KE1)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "ke1 is not an OPAQUE KE1")
	}
	ls := &loginState{expires: c.now.Add(loginStateTTL), tag: tag}
	credID := fakeCredentialID(email)
	var rec *opaque.RegistrationRecord
	acct, err := a.st.AccountByEmail(email)
	switch {
	case err == nil:
		if rec, err = opaque.ParseRegistrationRecord(acct.OpaqueRecord); err != nil {
			return nil, fmt.Errorf("api: stored OPAQUE record of %s: %w", acct.ID, err)
		}
		credID, ls.account = []byte(acct.ID.String()), acct.ID
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	ke2, st, err := a.opaque.StartLogin(ke1, credID, rec)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "ke1 is not an OPAQUE KE1")
	}
	ls.state = st
	tok, err := a.secrets.sealLogin(ls)
	if err != nil {
		return nil, err
	}
	return &protocol.LoginStartResponse{LoginID: tok, KE2: ke2.Bytes()}, nil
}

func (a *API) loginFinish(c *call) (any, error) {
	r := c.req.(*protocol.LoginFinishRequest)
	ls, err := a.secrets.openLogin(r.LoginID, c.now)
	if err != nil {
		return nil, err
	}
	if !a.used.use(r.LoginID, ls.expires, c.now) {
		return nil, errLoginToken
	}
	lockKey := "login/" + b64url.EncodeToString(ls.tag[:])
	if err := a.limits.Login.Check(lockKey); err != nil {
		return nil, err
	}
	ke3, err := opaque.ParseKE3(r.KE3)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "ke3 is not an OPAQUE KE3")
	}
	sk, err := a.opaque.FinishLogin(ls.state, ke3)
	if err != nil || ls.account.IsZero() {
		_, ferr := a.limits.Login.Fail(lockKey)
		var locked *ratelimit.LockedError
		isLocked := errors.As(ferr, &locked)
		if !ls.account.IsZero() {
			if err := a.st.Update(func(tx *store.Tx) error {
				if err := c.eventAllTenants(tx, ls.account, auditlog.KindLoginFailed); err != nil {
					return err
				}
				if isLocked {
					return c.eventAllTenants(tx, ls.account, auditlog.KindLockedOut)
				}
				return nil
			}); err != nil {
				return nil, err
			}
		}
		if ferr != nil {
			return nil, ferr
		}
		return nil, protocol.Errorf(protocol.CodeAuthFailed, "wrong e-mail address or password")
	}
	sk.Destroy()
	if err := a.limits.Login.Reset(lockKey); err != nil {
		return nil, err
	}
	acct, err := a.st.Account(ls.account)
	if err != nil {
		return nil, err
	}
	return a.afterLogin(c, acct, r.DeviceID, store.VerifyPassword, store.ID{})
}

// afterLogin ends a login that proved the account's password or passkey
// with a second step: a login naming one of the account's trusted devices
// is sent a challenge that only that device's identity opens; any other is
// e-mailed a code. Both are answered with DeviceVerifyRequest. A device id
// is no secret (it is in sessions and audit events), so naming one is never
// enough.
func (a *API) afterLogin(c *call, acct *store.Account, deviceID string, method store.VerificationMethod, passkey store.ID) (any, error) {
	vr := &store.Verification{ID: store.NewID(), Account: acct.ID, Method: method, Passkey: passkey, Created: c.now}
	if d := a.namedDevice(acct.ID, deviceID); d != nil {
		return a.deviceChallenge(vr, d, c.now)
	}
	vr.Expires = c.now.Add(deviceCodeTTL)
	code := newCode()
	vr.CodeMAC = a.secrets.codeMAC(purposeDevice, vr.ID, code)
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutVerification(vr) }); err != nil {
		return nil, err
	}
	if err := a.send(deviceCodeNotice(acct.Email, code)); err != nil {
		return nil, err
	}
	return &protocol.LoginResponse{Verification: &protocol.DeviceVerification{
		VerificationID: vr.ID.String(), SentTo: maskEmail(acct.Email), ExpiresAt: vr.Expires,
	}}, nil
}

// namedDevice returns the account's trusted device that deviceID names, or
// nil for none, a malformed id or another account's device.
func (a *API) namedDevice(account store.ID, deviceID string) *store.Device {
	if deviceID == "" {
		return nil
	}
	did, err := store.ParseID(deviceID)
	if err != nil {
		return nil
	}
	d, err := a.st.Device(account, did)
	if err != nil {
		return nil
	}
	return d
}

// deviceChallenge stores vr as the verification of a login from device d
// and answers with its challenge: a fresh 32-byte key wrapped to the
// device's recipient (keys.WrapKey, an age file), which the browser
// unwraps and returns as its proof. Only the key's MAC is kept.
func (a *API) deviceChallenge(vr *store.Verification, d *store.Device, now time.Time) (any, error) {
	to, err := keys.ParseRecipient(d.Recipient)
	if err != nil {
		return nil, fmt.Errorf("api: the stored recipient of device %s: %w", d.ID, err)
	}
	proof := keys.NewSymmetricKey()
	defer proof.Destroy()
	challenge, err := keys.WrapKey(proof, to.Age())
	if err != nil {
		return nil, err
	}
	pb := proof.Bytes()
	defer clear(pb)
	vr.Device = d.ID
	vr.Expires = now.Add(deviceProofTTL)
	vr.CodeMAC = a.secrets.codeMAC(purposeDeviceProof, vr.ID, b64url.EncodeToString(pb))
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutVerification(vr) }); err != nil {
		return nil, err
	}
	return &protocol.LoginResponse{Verification: &protocol.DeviceVerification{
		VerificationID: vr.ID.String(), DeviceChallenge: challenge, ExpiresAt: vr.Expires,
	}}, nil
}

func deviceCodeNotice(to, code string) notify.Notice {
	return notify.Notice{
		Kind: notify.KindEmail, To: to, Subject: "Your Vellum sign-in code",
		Body: fmt.Sprintf("Someone signed in to your Vellum account from a new browser. To let it in, enter the code %s.\n"+
			"It expires in %d minutes. If it was not you, change your password now.", code, int(deviceCodeTTL/time.Minute)),
	}
}

func (a *API) verification(s string) (*store.Verification, error) {
	id, err := store.ParseID(s)
	if err != nil {
		return nil, notFound("verification")
	}
	vr, err := a.st.Verification(id)
	if err != nil {
		return nil, notFound("verification")
	}
	return vr, nil
}

// deviceVerify confirms a sign-in with the e-mailed code, or, for a login
// from a trusted device, with the device's proof; wrong ones count toward
// the verification's lock-out alike.
func (a *API) deviceVerify(c *call) (any, error) {
	r := c.req.(*protocol.DeviceVerifyRequest)
	vr, err := a.verification(r.VerificationID)
	if err != nil {
		return nil, err
	}
	purpose, given := purposeDevice, r.Code
	switch fromDevice := !vr.Device.IsZero(); {
	case fromDevice && len(r.Proof) == 0:
		return nil, protocol.Errorf(protocol.CodeBadRequest, "this sign-in is confirmed by the trusted device's proof, not by a code")
	case !fromDevice && len(r.Proof) > 0:
		return nil, protocol.Errorf(protocol.CodeBadRequest, "this sign-in is confirmed by the code e-mailed to the account")
	case fromDevice:
		purpose, given = purposeDeviceProof, b64url.EncodeToString(r.Proof)
	}
	err = a.checkCode("code/device/"+vr.ID.String(), purpose, vr.ID, given, vr.CodeMAC, vr.Expires, c.now)
	var locked *ratelimit.LockedError
	if errors.As(err, &locked) {
		if uerr := a.st.Update(func(tx *store.Tx) error { return c.eventAllTenants(tx, vr.Account, auditlog.KindLockedOut) }); uerr != nil {
			return nil, uerr
		}
	}
	if err != nil {
		return nil, err
	}
	acct, err := a.st.Account(vr.Account)
	if err != nil {
		return nil, err
	}
	var device *store.Device
	if !vr.Device.IsZero() {
		// Removed since the challenge: its wrap is gone, and so is its trust.
		if device, err = a.st.Device(acct.ID, vr.Device); errors.Is(err, store.ErrNotFound) {
			return nil, protocol.Errorf(protocol.CodeAuthFailed, "this device is no longer trusted; sign in again")
		} else if err != nil {
			return nil, err
		}
	}
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.DeleteVerification(vr.ID); err != nil {
			return err
		}
		if device == nil {
			return c.eventAllTenants(tx, acct.ID, auditlog.KindLogin)
		}
		device.LastUsed = c.now
		if err := tx.PutDevice(device); err != nil {
			return err
		}
		return c.eventAllTenants(tx, acct.ID, auditlog.KindLogin, device.ID)
	})
	if err != nil {
		return nil, err
	}
	var passkey, deviceID store.ID
	if vr.Method == store.VerifyPasskey {
		passkey = vr.Passkey
	}
	if device != nil {
		deviceID = device.ID
	}
	return a.loginResponse(acct, deviceID, passkey)
}

func (a *API) deviceResend(c *call) (any, error) {
	r := c.req.(*protocol.DeviceVerifyResendRequest)
	vr, err := a.verification(r.VerificationID)
	if err != nil {
		return nil, err
	}
	if !vr.Device.IsZero() {
		return nil, conflict("this sign-in is confirmed by the trusted device; no code is sent")
	}
	if err := c.take(a.limits.PerAccount, "resend/"+vr.ID.String()); err != nil {
		return nil, err
	}
	// A new code does not reset the count of wrong ones.
	if err := a.limits.Codes.Check("code/device/" + vr.ID.String()); err != nil {
		return nil, err
	}
	if !c.now.Before(vr.Expires) {
		return nil, protocol.Errorf(protocol.CodeExpired, "this sign-in expired; sign in again")
	}
	if vr.Resends >= maxResends {
		return nil, protocol.Errorf(protocol.CodeRateLimited, "no more codes for this sign-in; sign in again")
	}
	acct, err := a.st.Account(vr.Account)
	if err != nil {
		return nil, err
	}
	code := newCode()
	vr.CodeMAC = a.secrets.codeMAC(purposeDevice, vr.ID, code)
	vr.Expires = c.now.Add(deviceCodeTTL)
	vr.Resends++
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutVerification(vr) }); err != nil {
		return nil, err
	}
	if err := a.send(deviceCodeNotice(acct.Email, code)); err != nil {
		return nil, err
	}
	return &protocol.DeviceVerification{VerificationID: vr.ID.String(), SentTo: maskEmail(acct.Email), ExpiresAt: vr.Expires}, nil
}

func (a *API) refresh(c *call) (any, error) {
	r := c.req.(*protocol.RefreshRequest)
	tok, claims, err := a.sessions.Refresh(r.RefreshToken, func(id store.ID) (uint64, error) {
		acct, err := a.st.Account(id)
		if err != nil {
			return 0, err
		}
		return acct.Epoch, nil
	})
	if err != nil {
		if isSessionErr(err) || errors.Is(err, store.ErrNotFound) {
			return nil, protocol.Errorf(protocol.CodeUnauthenticated, "the refresh token is not valid; sign in again")
		}
		return nil, err
	}
	return &protocol.AccessToken{AccessToken: tok, AccessExpiresAt: claims.Expires}, nil
}

// logout records nothing for an ordinary logout (the client forgets its
// tokens); logging out everywhere bumps the session epoch, which revokes
// every token of the account, and is an audit event.
func (a *API) logout(c *call) (any, error) {
	r := c.req.(*protocol.LogoutRequest)
	if !r.Everywhere {
		return nil, nil
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		if _, err := tx.BumpEpoch(c.account.ID); err != nil {
			return err
		}
		return c.eventAllTenants(tx, c.account.ID, auditlog.KindSessionsRevoked)
	})
}

// checkWrap parses an uploaded wrap of the account key and checks its
// method: a malformed one is bad_encoding, as SPEC part 20 says.
func checkWrap(b []byte, want account.UnlockMethod, field string) error {
	if len(b) > protocol.MaxWrappedKey {
		return protocol.Errorf(protocol.CodeTooLarge, "%s is over the %d bytes this server stores", field, protocol.MaxWrappedKey)
	}
	w, err := account.ParseWrap(b)
	if err != nil {
		return protocol.Errorf(protocol.CodeBadEncoding, "%s is not a wrap of the account key", field)
	}
	if w.Method() != want {
		return badRequest("%s is a %v wrap, want %v", field, w.Method(), want)
	}
	return nil
}

func checkDeviceWrap(d *protocol.AddDeviceRequest) error {
	if err := checkWrap(d.Wrap, account.MethodDevice, "wrap"); err != nil {
		return err
	}
	w, _ := account.ParseWrap(d.Wrap)
	if w.Device().String() != d.Recipient {
		return badRequest("wrap is not to the device's recipient")
	}
	return nil
}

// putDevice stores a trusted device and its wrap of the account key.
func putDevice(tx *store.Tx, acct store.ID, d *protocol.AddDeviceRequest, now time.Time) (device, method store.ID, err error) {
	dev := &store.Device{Account: acct, ID: store.NewID(), Recipient: d.Recipient, Label: []byte(d.Label), Created: now}
	if err := tx.PutDevice(dev); err != nil {
		return store.ID{}, store.ID{}, err
	}
	w := &store.UnlockWrap{Account: acct, ID: store.NewID(), Kind: store.WrapDevice, Ref: dev.ID[:], Wrapped: d.Wrap, Created: now}
	if err := tx.PutUnlockWrap(w); err != nil {
		return store.ID{}, store.ID{}, err
	}
	return dev.ID, w.ID, nil
}

func unlockKind(k store.WrapKind) protocol.UnlockKind {
	switch k {
	case store.WrapPassword:
		return protocol.UnlockPassword
	case store.WrapPasskey:
		return protocol.UnlockPasskey
	case store.WrapDevice:
		return protocol.UnlockDevice
	case store.WrapRecoveryCode:
		return protocol.UnlockRecoveryCode
	case store.WrapTenantRecovery:
		return protocol.UnlockTenantRecovery
	}
	return ""
}
