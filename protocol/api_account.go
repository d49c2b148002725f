package protocol

import "time"

// The account: its keyring, its public keyring, the wraps of its account key
// (unlock methods), and its trusted devices.

// UnlockKind is the kind of an unlock method. It is a wire enum: append new
// kinds only, never reuse a name.
type UnlockKind string

const (
	UnlockPassword       UnlockKind = "password"        // sealed under HKDF(OPAQUE export key)
	UnlockPasskey        UnlockKind = "passkey"         // sealed under HKDF(passkey PRF output)
	UnlockDevice         UnlockKind = "device"          // age-wrapped to a trusted device's recipient
	UnlockRecoveryCode   UnlockKind = "recovery-code"   // sealed under HKDF(recovery code)
	UnlockTenantRecovery UnlockKind = "tenant-recovery" // age onions to M of a tenant's N recovery admins
)

// Valid reports whether k is one of the kinds above.
func (k UnlockKind) Valid() bool {
	switch k {
	case UnlockPassword, UnlockPasskey, UnlockDevice, UnlockRecoveryCode, UnlockTenantRecovery:
		return true
	}
	return false
}

// AccountInfo is the caller's account.
type AccountInfo struct {
	AccountID     string    `json:"accountId"`
	Email         string    `json:"email"`
	PublicKeyring []byte    `json:"publicKeyring"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Keyring is the account's keyring ciphertext and public keyring. Version
// increases with every replacement.
type Keyring struct {
	Keyring       []byte `json:"keyring"`
	PublicKeyring []byte `json:"publicKeyring"`
	Version       uint64 `json:"version"`
}

// ReplaceKeyringRequest replaces the keyring (a new account key, or new
// keys in it). It is refused with CodeConflict unless PreviousVersion is the
// current version. Wraps replace the wraps of the listed methods in the same
// change; every method not listed is removed, since it wraps an account key
// that no longer opens the keyring.
type ReplaceKeyringRequest struct {
	PreviousVersion uint64           `json:"previousVersion"`
	Keyring         []byte           `json:"keyring"`
	PublicKeyring   []byte           `json:"publicKeyring"`
	Wraps           []ReplacedUnlock `json:"wraps"`
}

// ReplacedUnlock is the new wrap of an existing unlock method.
type ReplacedUnlock struct {
	MethodID string `json:"methodId"`
	Wrap     []byte `json:"wrap"`
}

func (r *ReplaceKeyringRequest) Validate() error {
	if err := first(needBytes("keyring", r.Keyring, MaxWrappedKey), needBytes("publicKeyring", r.PublicKeyring, MaxPublicKeyring),
		needCount("wraps", len(r.Wraps), 1, MaxBatch)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(r.Wraps))
	for _, w := range r.Wraps {
		if err := first(needID("wraps.methodId", w.MethodID), needBytes("wraps.wrap", w.Wrap, MaxAccountWrap)); err != nil {
			return err
		}
		if seen[w.MethodID] {
			return Errorf(CodeBadRequest, "wraps lists a method twice")
		}
		seen[w.MethodID] = true
	}
	return nil
}

// PublicKeyring is another account's signed public keyring, for checking it
// against the tenant's membership chain.
type PublicKeyring struct {
	AccountID     string `json:"accountId"`
	PublicKeyring []byte `json:"publicKeyring"`
}

// PasswordChangeStartRequest begins replacing the password: a new OPAQUE
// registration for the signed-in account.
type PasswordChangeStartRequest struct {
	RegistrationRequest []byte `json:"registrationRequest"`
}

func (r *PasswordChangeStartRequest) Validate() error {
	return needBytes("registrationRequest", r.RegistrationRequest, MaxOPAQUEMessage)
}

type PasswordChangeStartResponse struct {
	RegistrationID       string `json:"registrationId"`
	RegistrationResponse []byte `json:"registrationResponse"`
}

// PasswordChangeFinishRequest stores the new OPAQUE record and the account
// key sealed for the new password, replacing both at once.
type PasswordChangeFinishRequest struct {
	RegistrationID     string `json:"registrationId"`
	RegistrationRecord []byte `json:"registrationRecord"`
	PasswordWrap       []byte `json:"passwordWrap"`
}

func (r *PasswordChangeFinishRequest) Validate() error {
	return first(needID("registrationId", r.RegistrationID), needBytes("registrationRecord", r.RegistrationRecord, MaxOPAQUEMessage),
		needBytes("passwordWrap", r.PasswordWrap, MaxAccountWrap))
}

// UnlockMethod describes one wrap of the account key, without the wrap.
type UnlockMethod struct {
	MethodID   string     `json:"methodId"`
	Kind       UnlockKind `json:"kind"`
	PasskeyID  string     `json:"passkeyId,omitempty"`
	DeviceID   string     `json:"deviceId,omitempty"`
	TenantID   string     `json:"tenantId,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

type UnlockMethodList struct {
	Methods []UnlockMethod `json:"methods"`
}

// AddUnlockMethodRequest adds a wrap of the account key: a passkey's PRF
// wrap (PasskeyID), a recovery code wrap, or a tenant recovery wrap
// (TenantID; account.WrapForTenant with the threshold and admins the
// tenant's checked membership chain gives, never the server's word). Passwords change through the password routes, and
// devices through the device routes. Adding a recovery code replaces the
// previous one.
type AddUnlockMethodRequest struct {
	Kind      UnlockKind `json:"kind"`
	Wrap      []byte     `json:"wrap"`
	PasskeyID string     `json:"passkeyId,omitempty"`
	TenantID  string     `json:"tenantId,omitempty"`
}

func (r *AddUnlockMethodRequest) Validate() error {
	if err := needBytes("wrap", r.Wrap, MaxAccountWrap); err != nil {
		return err
	}
	switch r.Kind {
	case UnlockPasskey:
		return first(needID("passkeyId", r.PasskeyID), absent("tenantId", r.TenantID))
	case UnlockRecoveryCode:
		return first(absent("passkeyId", r.PasskeyID), absent("tenantId", r.TenantID))
	case UnlockTenantRecovery:
		return first(needID("tenantId", r.TenantID), absent("passkeyId", r.PasskeyID))
	case "":
		return required("kind")
	}
	return Errorf(CodeBadRequest, "kind must be passkey, recovery-code or tenant-recovery")
}

func absent(field, v string) error {
	if v != "" {
		return Errorf(CodeBadRequest, "%s does not belong to this kind", field)
	}
	return nil
}

type AddUnlockMethodResponse struct {
	MethodID string `json:"methodId"`
}

// Device is a trusted device: a browser holding an age identity in its
// IndexedDB that the account key is wrapped to.
type Device struct {
	DeviceID   string     `json:"deviceId"`
	Label      string     `json:"label"`
	Recipient  string     `json:"recipient"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

type DeviceList struct {
	Devices []Device `json:"devices"`
}

// AddDeviceRequest trusts the calling browser: Recipient is its device
// identity's recipient, Wrap the account key wrapped to it. Label is plain
// text the server reads ("Firefox on a laptop").
type AddDeviceRequest struct {
	Label     string `json:"label"`
	Recipient string `json:"recipient"`
	Wrap      []byte `json:"wrap"`
}

func (r *AddDeviceRequest) Validate() error {
	return first(needText("label", r.Label, MaxLabelLength), needRecipient("recipient", r.Recipient),
		needBytes("wrap", r.Wrap, MaxAccountWrap))
}

type AddDeviceResponse struct {
	DeviceID string `json:"deviceId"`
	MethodID string `json:"methodId"`
}
