package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

// normalizePassword returns the bytes OPAQUE is run on: the UTF-8 of the
// password's Unicode NFC form (SPEC §OPAQUE), so that the same password typed
// on another keyboard or system gives the same bytes. The caller clears them.
func normalizePassword(password string) ([]byte, error) {
	b := []byte(norm.NFC.String(password))
	if len(b) == 0 || len(b) > protocol.MaxPassword {
		clear(b)
		return nil, protocol.Errorf(protocol.CodeBadRequest, "a password is 1 to %d bytes", protocol.MaxPassword)
	}
	return b, nil
}

// Registration is a sign-up waiting for the confirmation code the server
// e-mailed. Everything secret was made when it started (the account key,
// the keyring, the recovery code, this device's identity) and leaves only
// wrapped when Finish sends it.
type Registration struct {
	_  [0]func()
	c  *Client
	mu sync.Mutex

	email     string
	expiresAt time.Time
	req       protocol.RegisterFinishRequest
	ak        *keys.SymmetricKey
	keyring   *account.Keyring
	recovery  *account.RecoveryCode
	device    *keys.Identity
	done      bool
}

// CodeExpiresAt is when the e-mailed confirmation code expires.
func (r *Registration) CodeExpiresAt() time.Time { return r.expiresAt }

func (r *Registration) String() string   { return "client.Registration[REDACTED]" }
func (r *Registration) GoString() string { return r.String() }

// Register starts a sign-up for email with password. It runs OPAQUE
// registration (the password never leaves this function), makes the account
// key, the keyring and its self-signed public half, the password wrap, a
// recovery code and its wrap, and an identity for this device with its wrap.
// The server e-mails a confirmation code; pass it to Registration.Finish.
func (c *Client) Register(ctx context.Context, email, password string) (*Registration, error) {
	if !protocol.ValidEmail(email) {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "email is not an e-mail address")
	}
	pw, err := normalizePassword(password)
	if err != nil {
		return nil, err
	}
	state, regReq, err := opaque.StartRegistration(pw)
	clear(pw)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	var start protocol.RegisterStartResponse
	if err := c.do(ctx, call(rRegisterStart).with(&protocol.RegisterStartRequest{
		Email: email, RegistrationRequest: regReq.Bytes(),
	}), &start); err != nil {
		return nil, err
	}
	resp, err := opaque.ParseRegistrationResponse(start.RegistrationResponse)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w: %w", ErrBadResponse, err)
	}
	record, export, err := state.Finish(resp)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	defer export.Destroy()

	ak := account.NewAccountKey()
	kr := account.NewKeyring()
	sealed, err := account.SealKeyring(ak, kr)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	pub, err := kr.SignedPublic()
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	pwWrap, err := account.WrapForPassword(ak, export)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	code := account.NewRecoveryCode()
	codeWrap, err := account.WrapForRecoveryCode(ak, code)
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	dev := keys.NewIdentity()
	devWrap, err := account.WrapForDevice(ak, dev.Recipient())
	if err != nil {
		return nil, fmt.Errorf("client: register: %w", err)
	}
	return &Registration{
		c: c, email: email, expiresAt: start.CodeExpiresAt,
		req: protocol.RegisterFinishRequest{
			RegistrationID:     start.RegistrationID,
			RegistrationRecord: record.Bytes(),
			Keyring:            sealed,
			PublicKeyring:      pub,
			PasswordWrap:       pwWrap,
			RecoveryCodeWrap:   codeWrap,
			Device:             &protocol.AddDeviceRequest{Label: c.label, Recipient: dev.Recipient().String(), Wrap: devWrap},
		},
		ak: ak, keyring: kr, recovery: code, device: dev,
	}, nil
}

// Finish completes the sign-up with the e-mailed code and logs in. It
// returns the recovery code, which the caller MUST show to the user once
// (RecoveryCode.Reveal) and never store. A wrong code (auth_failed) may be
// retried.
func (r *Registration) Finish(ctx context.Context, code string) (*account.RecoveryCode, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil, ErrAlreadyRegistered
	}
	req := r.req
	req.Code = code
	var resp protocol.LoginResponse
	if err := r.c.do(ctx, call(rRegisterFinish).with(&req), &resp); err != nil {
		return nil, err
	}
	r.done = true
	c := r.c
	err := c.finishLogin(ctx, &resp, r.email, &unlockSecrets{ak: r.ak, keyring: r.keyring})
	if err != nil && !errors.Is(err, ErrDeviceVerificationNeeded) {
		return nil, err
	}
	// The server trusted this device at once; find the id it gave it.
	if err == nil {
		if derr := c.rememberDevice(ctx, r.email, r.device); derr != nil {
			return r.recovery, derr
		}
	}
	return r.recovery, err
}

// rememberDevice finds the server's id of the device whose identity is id
// and stores the device.
func (c *Client) rememberDevice(ctx context.Context, email string, id *keys.Identity) error {
	var list protocol.DeviceList
	if err := c.do(ctx, call(rDevicesList), &list); err != nil {
		return err
	}
	want := id.Recipient().String()
	for _, d := range list.Devices {
		if d.Recipient == want {
			return c.devices.SaveDevice(ctx, email, &Device{ID: d.DeviceID, Identity: id})
		}
	}
	return fmt.Errorf("client: %w: the new device is not in the account's devices", ErrInconsistent)
}

// unlockSecrets is what a login can open the account key with.
type unlockSecrets struct {
	export  *opaque.ExportKey
	device  *Device
	ak      *keys.SymmetricKey // known already (registration)
	keyring *account.Keyring   // known already (registration)
}

// pendingLogin is a login waiting for a device code.
type pendingLogin struct {
	email          string
	verificationID string
	secrets        *unlockSecrets
}

// Login logs in with OPAQUE and unlocks the keyring with the password wrap
// (or this device's wrap). The password never leaves the client.
//
// A wrong e-mail address or password is a *protocol.Error with code
// auth_failed (it also matches opaque.ErrWrongPassword). If this device is
// not trusted yet, Login returns a *DeviceVerificationError (matching
// ErrDeviceVerificationNeeded): submit the e-mailed code with VerifyDevice.
// If the login works but nothing unlocks the keyring, the session stays and
// Login returns ErrLocked: use UnlockWithRecoveryCode.
func (c *Client) Login(ctx context.Context, email, password string) error {
	err := c.login(ctx, email, password)
	if errors.Is(err, errDeviceNotRecognized) {
		// This browser's device identity is not the one the server holds
		// for its id (a replaced or damaged store): forget it and sign in
		// as a new browser, confirmed by an e-mailed code.
		if derr := c.devices.DeleteDevice(ctx, email); derr != nil {
			return fmt.Errorf("client: forgetting this browser's device: %w", derr)
		}
		err = c.login(ctx, email, password)
	}
	return err
}

func (c *Client) login(ctx context.Context, email, password string) error {
	if !protocol.ValidEmail(email) {
		return protocol.Errorf(protocol.CodeBadRequest, "email is not an e-mail address")
	}
	pw, err := normalizePassword(password)
	if err != nil {
		return err
	}
	state, ke1, err := opaque.StartLogin(pw)
	clear(pw)
	if err != nil {
		return fmt.Errorf("client: login: %w", err)
	}
	var start protocol.LoginStartResponse
	if err := c.do(ctx, call(rLoginStart).with(&protocol.LoginStartRequest{Email: email, KE1: ke1.Bytes()}), &start); err != nil {
		return err
	}
	ke2, err := opaque.ParseKE2(start.KE2)
	if err != nil {
		return fmt.Errorf("client: login: %w: %w", ErrBadResponse, err)
	}
	ke3, export, sk, err := state.Finish(ke2)
	if err != nil {
		if errors.Is(err, opaque.ErrWrongPassword) {
			// One code for every cause (SPEC §Enumeration), as the server
			// would answer.
			return fmt.Errorf("client: login: %w: %w",
				&protocol.Error{Code: protocol.CodeAuthFailed, Message: "wrong e-mail address or password"}, err)
		}
		return fmt.Errorf("client: login: %w", err)
	}
	sk.Destroy() // Vellum's sessions are the server's tokens, not OPAQUE's key
	sec := &unlockSecrets{export: export}
	if d, err := c.devices.LoadDevice(ctx, email); err == nil {
		sec.device = d
	} else if !errors.Is(err, ErrNoDevice) {
		export.Destroy()
		return fmt.Errorf("client: loading the device: %w", err)
	}
	fin := &protocol.LoginFinishRequest{LoginID: start.LoginID, KE3: ke3.Bytes()}
	if sec.device != nil {
		fin.DeviceID = sec.device.ID
	}
	var resp protocol.LoginResponse
	if err := c.do(ctx, call(rLoginFinish).with(fin), &resp); err != nil {
		export.Destroy()
		return err
	}
	err = c.finishLogin(ctx, &resp, email, sec)
	if !errors.Is(err, ErrDeviceVerificationNeeded) {
		export.Destroy()
	}
	return err
}

// VerifyDevice completes a login that returned ErrDeviceVerificationNeeded
// with the e-mailed code, unlocks the keyring, and makes this device a
// trusted device (so the next login here needs no code). A wrong code is
// auth_failed and may be retried; too many lock the verification.
func (c *Client) VerifyDevice(ctx context.Context, code string) error {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p == nil {
		return ErrNoPendingLogin
	}
	var resp protocol.LoginResponse
	if err := c.do(ctx, call(rDeviceVerify).with(&protocol.DeviceVerifyRequest{VerificationID: p.verificationID, Code: code}), &resp); err != nil {
		return err
	}
	c.mu.Lock()
	if c.pending == p {
		c.pending = nil
	}
	c.mu.Unlock()
	defer func() {
		if p.secrets.export != nil {
			p.secrets.export.Destroy()
		}
	}()
	if err := c.finishLogin(ctx, &resp, p.email, p.secrets); err != nil {
		return err
	}
	return c.trustDevice(ctx, p.email)
}

// ResendDeviceCode asks the server to send a new device code.
func (c *Client) ResendDeviceCode(ctx context.Context) (*DeviceVerificationError, error) {
	c.mu.Lock()
	p := c.pending
	c.mu.Unlock()
	if p == nil {
		return nil, ErrNoPendingLogin
	}
	var v protocol.DeviceVerification
	if err := c.do(ctx, call(rDeviceResend).with(&protocol.DeviceVerifyResendRequest{VerificationID: p.verificationID}), &v); err != nil {
		return nil, err
	}
	c.mu.Lock()
	p.verificationID = v.VerificationID
	c.mu.Unlock()
	return &DeviceVerificationError{SentTo: v.SentTo, ExpiresAt: v.ExpiresAt}, nil
}

// trustDevice makes a new identity for this device, wraps the account key
// to it and registers it with the server.
func (c *Client) trustDevice(ctx context.Context, email string) error {
	s, err := c.unlocked()
	if err != nil {
		return err
	}
	id := keys.NewIdentity()
	wrap, err := account.WrapForDevice(s.ak, id.Recipient())
	if err != nil {
		return fmt.Errorf("client: trusting this device: %w", err)
	}
	var added protocol.AddDeviceResponse
	if err := c.do(ctx, call(rDevicesAdd).with(&protocol.AddDeviceRequest{
		Label: c.label, Recipient: id.Recipient().String(), Wrap: wrap,
	}), &added); err != nil {
		return err
	}
	return c.devices.SaveDevice(ctx, email, &Device{ID: added.DeviceID, Identity: id})
}

// finishLogin installs the session of a login response and unlocks the
// keyring with what sec holds.
func (c *Client) finishLogin(ctx context.Context, resp *protocol.LoginResponse, email string, sec *unlockSecrets) error {
	if v := resp.Verification; resp.Session == nil && v != nil && len(v.DeviceChallenge) > 0 {
		next, err := c.proveDevice(ctx, v, sec.device)
		if err != nil {
			return err
		}
		resp = next
	}
	if resp.Session == nil {
		if v := resp.Verification; v != nil {
			c.mu.Lock()
			c.pending = &pendingLogin{email: email, verificationID: v.VerificationID, secrets: sec}
			c.mu.Unlock()
			return &DeviceVerificationError{SentTo: v.SentTo, ExpiresAt: v.ExpiresAt}
		}
		return fmt.Errorf("client: login: %w: neither a session nor a verification", ErrBadResponse)
	}
	s := &session{tokens: *resp.Session}
	c.mu.Lock()
	c.dropSessionLocked()
	c.sess = s
	c.mu.Unlock()

	var info protocol.AccountInfo
	if err := c.do(ctx, call(rAccount), &info); err != nil {
		return err
	}
	pub, err := account.ParseSignedPublicKeyring(info.PublicKeyring)
	if err != nil {
		return fmt.Errorf("client: the account's public keyring: %w", err)
	}
	b := resp.Unlock
	if b != nil && (b.AccountID != info.AccountID || !bytes.Equal(b.PublicKeyring, info.PublicKeyring)) {
		return fmt.Errorf("client: %w: the unlock bundle is for another account or keyring", ErrInconsistent)
	}
	c.mu.Lock()
	s.accountID, s.email, s.public = info.AccountID, info.Email, pub
	c.mu.Unlock()

	ak, kr := sec.ak, sec.keyring
	if ak == nil && b != nil {
		ak = unlockFromBundle(b, sec)
	}
	if ak == nil {
		c.mu.Lock()
		s.bundle = b
		c.mu.Unlock()
		return ErrLocked
	}
	if kr == nil {
		if b == nil {
			return fmt.Errorf("client: login: %w: no keyring", ErrBadResponse)
		}
		if kr, err = account.OpenKeyring(ak, b.Keyring); err != nil {
			return fmt.Errorf("client: opening the keyring: %w", err)
		}
	}
	// An age wrap (a device's) says nothing about who made it: use the
	// keyring only if it is the account's published one. Each tenant's
	// membership chain is checked against it too (VerifyMembership).
	if err := kr.Check(pub); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.mu.Lock()
	s.ak, s.keyring = ak, kr
	c.mu.Unlock()
	return nil
}

// errDeviceNotRecognized: the server's device challenge does not open with
// this browser's device identity.
var errDeviceNotRecognized = errors.New("client: the trusted device's challenge does not open with this browser's device key")

// proveDevice answers the challenge the server sends a login that named
// this browser's trusted device: the key inside, which only the device's
// identity unwraps, confirms the sign-in in place of an e-mailed code.
func (c *Client) proveDevice(ctx context.Context, v *protocol.DeviceVerification, d *Device) (*protocol.LoginResponse, error) {
	if d == nil || d.Identity == nil {
		return nil, fmt.Errorf("client: login: %w: a device challenge for a login that named no device", ErrBadResponse)
	}
	if len(v.DeviceChallenge) > protocol.MaxDeviceChallenge {
		return nil, fmt.Errorf("client: login: %w: a device challenge of %d bytes", ErrBadResponse, len(v.DeviceChallenge))
	}
	k, err := keys.UnwrapKey(v.DeviceChallenge, d.Identity.Age())
	if err != nil {
		return nil, errDeviceNotRecognized
	}
	proof := k.Bytes()
	k.Destroy()
	defer clear(proof)
	var resp protocol.LoginResponse
	if err := c.do(ctx, call(rDeviceVerify).with(&protocol.DeviceVerifyRequest{VerificationID: v.VerificationID, Proof: proof}), &resp); err != nil {
		return nil, err
	}
	if resp.Session == nil {
		return nil, fmt.Errorf("client: login: %w: no session for the device's proof", ErrBadResponse)
	}
	return &resp, nil
}

// unlockFromBundle opens the account key with the first wrap sec can open:
// the password wrap, whose seal authenticates it, before a device wrap.
func unlockFromBundle(b *protocol.UnlockBundle, sec *unlockSecrets) *keys.SymmetricKey {
	var unlockers []account.Unlocker
	if sec.export != nil {
		unlockers = append(unlockers, account.WithPassword(sec.export))
	}
	if sec.device != nil && sec.device.Identity != nil {
		unlockers = append(unlockers, account.WithDevice(sec.device.Identity))
	}
	for _, u := range unlockers {
		for _, w := range b.Wraps {
			if ak, err := account.Unlock(w.Wrap, u); err == nil {
				return ak
			}
		}
	}
	return nil
}

// UnlockWithRecoveryCode unlocks a logged-in but locked account with its
// recovery code, using the recovery-code wrap the server sent with the
// login. A mistyped code fails before any key is derived
// (account.ErrRecoveryCodeTypo); a wrong one is account.ErrWrongRecoveryCode.
func (c *Client) UnlockWithRecoveryCode(ctx context.Context, code string) error {
	rc, err := account.ParseRecoveryCode(code)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	s, err := c.current()
	if err != nil {
		return err
	}
	c.mu.Lock()
	b := s.bundle
	c.mu.Unlock()
	if b == nil {
		return ErrNoUnlockWrap
	}
	var ak *keys.SymmetricKey
	lastErr := ErrNoUnlockWrap
	for _, w := range b.Wraps {
		if w.Kind != protocol.UnlockRecoveryCode {
			continue
		}
		if ak, err = account.Unlock(w.Wrap, account.WithRecoveryCode(rc)); err == nil {
			break
		}
		lastErr = err
	}
	if ak == nil {
		return fmt.Errorf("client: %w", lastErr)
	}
	kr, err := account.OpenKeyring(ak, b.Keyring)
	if err != nil {
		return fmt.Errorf("client: opening the keyring: %w", err)
	}
	if err := kr.Check(s.public); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.mu.Lock()
	s.ak, s.keyring, s.bundle = ak, kr, nil
	c.mu.Unlock()
	return nil
}

// ChangePassword replaces the password: a new OPAQUE registration and a new
// password wrap of the account key, stored together. The server then ends
// every session of the account, so ChangePassword logs in again with the
// new password (this device stays trusted).
func (c *Client) ChangePassword(ctx context.Context, newPassword string) error {
	s, err := c.unlocked()
	if err != nil {
		return err
	}
	pw, err := normalizePassword(newPassword)
	if err != nil {
		return err
	}
	state, regReq, err := opaque.StartRegistration(pw)
	clear(pw)
	if err != nil {
		return fmt.Errorf("client: password change: %w", err)
	}
	var start protocol.PasswordChangeStartResponse
	if err := c.do(ctx, call(rPasswordStart).with(&protocol.PasswordChangeStartRequest{RegistrationRequest: regReq.Bytes()}), &start); err != nil {
		return err
	}
	resp, err := opaque.ParseRegistrationResponse(start.RegistrationResponse)
	if err != nil {
		return fmt.Errorf("client: password change: %w: %w", ErrBadResponse, err)
	}
	record, export, err := state.Finish(resp)
	if err != nil {
		return fmt.Errorf("client: password change: %w", err)
	}
	wrap, err := account.WrapForPassword(s.ak, export)
	export.Destroy()
	if err != nil {
		return fmt.Errorf("client: password change: %w", err)
	}
	if err := c.do(ctx, call(rPasswordFinish).with(&protocol.PasswordChangeFinishRequest{
		RegistrationID: start.RegistrationID, RegistrationRecord: record.Bytes(), PasswordWrap: wrap,
	}), nil); err != nil {
		return err
	}
	return c.Login(ctx, s.email, newPassword)
}

// Logout ends the session: the server records it (and, with everywhere,
// ends every session of the account), and the client forgets its tokens,
// its keys and what it had checked. The local state is dropped even if the
// server cannot be reached; that error is returned.
func (c *Client) Logout(ctx context.Context, everywhere bool) error {
	if _, err := c.current(); err != nil {
		return err
	}
	err := c.do(ctx, call(rLogout).with(&protocol.LogoutRequest{Everywhere: everywhere}), nil)
	c.mu.Lock()
	c.dropSessionLocked()
	c.mu.Unlock()
	return err
}

// dropSessionLocked forgets the session and everything opened under it.
// c.mu is held.
func (c *Client) dropSessionLocked() {
	if c.sess != nil && c.sess.ak != nil {
		c.sess.ak.Destroy()
	}
	c.sess = nil
	c.pending = nil
	c.tenants = make(map[string]*tenantState)
}
