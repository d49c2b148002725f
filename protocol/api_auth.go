package protocol

import (
	"encoding/json"
	"time"
)

// Registration, login, passkeys, new-device verification and sessions.
// Wraps of the account key are keys/account's wrap format, at most
// MaxAccountWrap bytes; the keyring is a sealed secret, at most
// MaxWrappedKey.
//
// OPAQUE messages (keys/opaque) travel as opaque byte fields. The server
// answers a registration or login start for an unknown or taken e-mail
// address exactly as for any other (OPAQUE's fake records), so that these
// routes do not tell whether an account exists.

// RegisterStartRequest starts a sign-up: OPAQUE registration for a new
// account, and a confirmation code e-mailed to Email.
type RegisterStartRequest struct {
	Email               string `json:"email"`
	RegistrationRequest []byte `json:"registrationRequest"`
}

func (r *RegisterStartRequest) Validate() error {
	return first(needEmail("email", r.Email), needBytes("registrationRequest", r.RegistrationRequest, MaxOPAQUEMessage))
}

type RegisterStartResponse struct {
	RegistrationID       string    `json:"registrationId"`
	RegistrationResponse []byte    `json:"registrationResponse"`
	CodeExpiresAt        time.Time `json:"codeExpiresAt"`
}

// RegisterFinishRequest completes a sign-up. It carries everything the
// browser made: the OPAQUE record, the keyring sealed under the account key,
// the public keyring, and the account key sealed for the password (under
// HKDF of OPAQUE's export key) and optionally for a recovery code and for
// this device.
type RegisterFinishRequest struct {
	RegistrationID     string `json:"registrationId"`
	Code               string `json:"code"`
	RegistrationRecord []byte `json:"registrationRecord"`
	Keyring            []byte `json:"keyring"`
	PublicKeyring      []byte `json:"publicKeyring"`
	PasswordWrap       []byte `json:"passwordWrap"`
	RecoveryCodeWrap   []byte `json:"recoveryCodeWrap,omitempty"`
	// Device, if set, trusts this browser at once (see AddDeviceRequest).
	Device *AddDeviceRequest `json:"device,omitempty"`
}

func (r *RegisterFinishRequest) Validate() error {
	err := first(
		needID("registrationId", r.RegistrationID),
		needDigits("code", r.Code, MinCodeLength, MaxCodeLength),
		needBytes("registrationRecord", r.RegistrationRecord, MaxOPAQUEMessage),
		needBytes("keyring", r.Keyring, MaxWrappedKey),
		needBytes("publicKeyring", r.PublicKeyring, MaxPublicKeyring),
		needBytes("passwordWrap", r.PasswordWrap, MaxAccountWrap),
		optBytes("recoveryCodeWrap", r.RecoveryCodeWrap, MaxAccountWrap),
	)
	if err == nil && r.Device != nil {
		err = r.Device.Validate()
	}
	return err
}

// LoginStartRequest is OPAQUE's KE1 for an account.
type LoginStartRequest struct {
	Email string `json:"email"`
	KE1   []byte `json:"ke1"`
}

func (r *LoginStartRequest) Validate() error {
	return first(needEmail("email", r.Email), needBytes("ke1", r.KE1, MaxOPAQUEMessage))
}

// LoginStartResponse is OPAQUE's KE2. LoginID is an opaque token of at most
// MaxTokenLength characters: the server's login state between KE2 and KE3,
// sealed under a server key and valid for 60 seconds (SPEC §Accounts,
// server state between KE2 and KE3), so that the server keeps nothing
// between the two steps. The client returns it unchanged with KE3.
type LoginStartResponse struct {
	LoginID string `json:"loginId"`
	KE2     []byte `json:"ke2"`
}

// LoginFinishRequest is OPAQUE's KE3. LoginID is the token from
// LoginStartResponse. DeviceID names this browser's trusted device, if it
// has one: a known device skips new-device verification and gets its device
// wrap back.
type LoginFinishRequest struct {
	LoginID  string `json:"loginId"`
	KE3      []byte `json:"ke3"`
	DeviceID string `json:"deviceId,omitempty"`
}

func (r *LoginFinishRequest) Validate() error {
	return first(needSealedToken("loginId", r.LoginID), needBytes("ke3", r.KE3, MaxOPAQUEMessage), optID("deviceId", r.DeviceID))
}

// LoginResponse ends every login (password, passkey, device verification).
// Exactly one of Session and Verification is set: a login from a browser
// that is not a trusted device first needs the code e-mailed to the
// account (DeviceVerifyRequest).
type LoginResponse struct {
	Session      *SessionTokens      `json:"session,omitempty"`
	Unlock       *UnlockBundle       `json:"unlock,omitempty"`
	Verification *DeviceVerification `json:"verification,omitempty"`
}

// UnlockBundle is what a logged-in browser needs to open the keyring: the
// keyring ciphertext and the wraps of the account key this login can open
// (the password wrap after an OPAQUE login, the passkey's PRF wrap, the
// device wrap of a trusted device). With no usable wrap, the browser asks a
// trusted device or tenant recovery.
type UnlockBundle struct {
	AccountID     string       `json:"accountId"`
	Keyring       []byte       `json:"keyring"`
	PublicKeyring []byte       `json:"publicKeyring"`
	Wraps         []UnlockWrap `json:"wraps"`
}

// UnlockWrap is one wrap of the account key.
type UnlockWrap struct {
	MethodID string     `json:"methodId"`
	Kind     UnlockKind `json:"kind"`
	Wrap     []byte     `json:"wrap"`
}

// DeviceVerification says how to confirm a sign-in that proved the
// password or passkey. From a new browser, a code was e-mailed (SentTo).
// From a browser that named one of the account's trusted devices, the
// browser proves it holds that device's identity instead: DeviceChallenge
// is an age file to the device's recipient, and its plaintext, sent back as
// DeviceVerifyRequest.Proof, confirms the sign-in. A device id alone,
// which is no secret, never skips the code.
type DeviceVerification struct {
	VerificationID string `json:"verificationId"`
	// SentTo is the e-mail address with most of it masked ("a•••@e•••.com");
	// empty for a device challenge.
	SentTo string `json:"sentTo"`
	// DeviceChallenge, at most MaxDeviceChallenge bytes, is set when the
	// login came from a trusted device.
	DeviceChallenge []byte    `json:"deviceChallenge,omitempty"`
	ExpiresAt       time.Time `json:"expiresAt"`
}

// DeviceVerifyRequest confirms a sign-in with the e-mailed code, or with the
// Proof of a trusted device (DeviceProofSize bytes, the plaintext of its
// DeviceChallenge): exactly one of the two. Wrong codes and proofs count
// against the verification (CodeAuthFailed, then CodeLocked).
type DeviceVerifyRequest struct {
	VerificationID string `json:"verificationId"`
	Code           string `json:"code,omitempty"`
	Proof          []byte `json:"proof,omitempty"`
}

func (r *DeviceVerifyRequest) Validate() error {
	if err := needID("verificationId", r.VerificationID); err != nil {
		return err
	}
	if len(r.Proof) == 0 {
		return needDigits("code", r.Code, MinCodeLength, MaxCodeLength)
	}
	if r.Code != "" {
		return Errorf(CodeBadRequest, "give either code or proof, not both")
	}
	if len(r.Proof) != DeviceProofSize {
		return Errorf(CodeBadRequest, "proof must be %d bytes", DeviceProofSize)
	}
	return nil
}

// DeviceVerifyResendRequest asks for a new code (rate limited); the reply is
// a DeviceVerification.
type DeviceVerifyResendRequest struct {
	VerificationID string `json:"verificationId"`
}

func (r *DeviceVerifyResendRequest) Validate() error {
	return needID("verificationId", r.VerificationID)
}

// PasskeyRegisterStartRequest begins adding a passkey to the account.
type PasskeyRegisterStartRequest struct {
	Label string `json:"label"`
}

func (r *PasskeyRegisterStartRequest) Validate() error {
	return needText("label", r.Label, MaxLabelLength)
}

// PasskeyCeremony carries WebAuthn options (PublicKeyCredentialCreationOptions
// or PublicKeyCredentialRequestOptions, as JSON) through to the browser.
type PasskeyCeremony struct {
	CeremonyID string          `json:"ceremonyId"`
	Options    json.RawMessage `json:"options"`
}

// PasskeyRegisterFinishRequest is the browser's credential, as WebAuthn
// JSON. PRFWrap is the account key sealed under HKDF of the PRF output, when
// the authenticator supports PRF.
type PasskeyRegisterFinishRequest struct {
	CeremonyID string          `json:"ceremonyId"`
	Credential json.RawMessage `json:"credential"`
	PRFWrap    []byte          `json:"prfWrap,omitempty"`
}

func (r *PasskeyRegisterFinishRequest) Validate() error {
	return first(needID("ceremonyId", r.CeremonyID), needJSONObject("credential", r.Credential, MaxWebAuthnJSON),
		optBytes("prfWrap", r.PRFWrap, MaxAccountWrap))
}

// Passkey is one registered passkey.
type Passkey struct {
	PasskeyID  string     `json:"passkeyId"`
	Label      string     `json:"label"`
	PRF        bool       `json:"prf"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

type PasskeyList struct {
	Passkeys []Passkey `json:"passkeys"`
}

// PasskeyLoginStartRequest begins a passkey login. Without Email the
// browser offers discoverable credentials.
type PasskeyLoginStartRequest struct {
	Email string `json:"email,omitempty"`
}

func (r *PasskeyLoginStartRequest) Validate() error { return optEmail("email", r.Email) }

// PasskeyLoginFinishRequest is the browser's assertion, as WebAuthn JSON.
type PasskeyLoginFinishRequest struct {
	CeremonyID string          `json:"ceremonyId"`
	Assertion  json.RawMessage `json:"assertion"`
	DeviceID   string          `json:"deviceId,omitempty"`
}

func (r *PasskeyLoginFinishRequest) Validate() error {
	return first(needID("ceremonyId", r.CeremonyID), needJSONObject("assertion", r.Assertion, MaxWebAuthnJSON),
		optID("deviceId", r.DeviceID))
}

// SessionTokens are a session (SPEC §Session tokens): a short-lived access
// token for "Authorization: Bearer", and a longer-lived refresh token that
// buys new access tokens. Both are opaque to the client. They are sealed,
// not stored, so a single one cannot be revoked: ending every session of the
// account (LogoutRequest.Everywhere, a password change, a device removal)
// bumps the account's session epoch, which revokes them all.
type SessionTokens struct {
	AccessToken      string    `json:"accessToken"`
	AccessExpiresAt  time.Time `json:"accessExpiresAt"`
	RefreshToken     string    `json:"refreshToken"`
	RefreshExpiresAt time.Time `json:"refreshExpiresAt"`
}

// RefreshRequest trades a refresh token for a new access token.
type RefreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (r *RefreshRequest) Validate() error { return needToken("refreshToken", r.RefreshToken) }

// AccessToken is a fresh access token.
type AccessToken struct {
	AccessToken     string    `json:"accessToken"`
	AccessExpiresAt time.Time `json:"accessExpiresAt"`
}

// LogoutRequest records a logout (an audit event). The client forgets its
// tokens; with Everywhere the server also bumps the account's session
// epoch, ending every session of the account on every device.
type LogoutRequest struct {
	Everywhere bool `json:"everywhere,omitempty"`
}

func (r *LogoutRequest) Validate() error { return nil }

// needSealedToken accepts a token the server sealed: 1 to MaxTokenLength
// characters of unpadded base64url. Its content is the server's to check.
func needSealedToken(field, v string) error {
	if v == "" {
		return required(field)
	}
	if len(v) > MaxTokenLength {
		return tooLarge(field, MaxTokenLength)
	}
	if !base64URL(v) {
		return Errorf(CodeBadRequest, "%s must be unpadded base64url", field)
	}
	return nil
}
