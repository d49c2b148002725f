package account

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

// Password.

// passwordKey is HKDF-SHA-256(export key, no salt, LabelKDFOpaqueExport).
func passwordKey(export *opaque.ExportKey) *keys.SymmetricKey {
	return export.DeriveKey(protocol.LabelKDFOpaqueExport)
}

// WrapForPassword wraps AK under the OPAQUE export key of the account's
// password registration. A new registration (a password change) has a new
// export key and needs a new wrap.
func WrapForPassword(ak *keys.SymmetricKey, export *opaque.ExportKey) ([]byte, error) {
	kek := passwordKey(export)
	defer kek.Destroy()
	return marshalWrap(wrapCBOR{Method: MethodPassword, Sealed: sealAK(ak, kek)})
}

// WithPassword unlocks password wraps with the export key of a login.
func WithPassword(export *opaque.ExportKey) Unlocker { return passwordUnlocker{export} }

type passwordUnlocker struct{ export *opaque.ExportKey }

func (u passwordUnlocker) Unlock(w *Wrap) (*keys.SymmetricKey, error) {
	if w.c.Method != MethodPassword {
		return nil, wrongMethod(w, MethodPassword)
	}
	kek := passwordKey(u.export)
	defer kek.Destroy()
	return openAK(w, kek, ErrWrongPassword)
}

// Passkey.

// PRFOutputSize is the size of a WebAuthn PRF output.
const PRFOutputSize = 32

// PasskeyPRFInput returns the input a client MUST give the WebAuthn PRF
// extension (prf.eval.first) when creating or unlocking a passkey wrap:
// SHA-256(LabelPasskeyPRFInput). One fixed input means one PRF output per
// passkey, whichever Vellum client asks.
func PasskeyPRFInput() []byte {
	h := sha256.Sum256([]byte(protocol.LabelPasskeyPRFInput))
	return h[:]
}

func passkeyKey(credentialID, prf []byte) (*keys.SymmetricKey, error) {
	if len(prf) != PRFOutputSize {
		return nil, malformed("passkey PRF output", fmt.Sprintf("%d bytes, want %d", len(prf), PRFOutputSize))
	}
	if len(credentialID) == 0 || len(credentialID) > protocol.MaxPasskeyCredentialID {
		return nil, malformed("passkey credential id", fmt.Sprintf("%d bytes", len(credentialID)))
	}
	// The credential id salts HKDF, so two passkeys that happened to give
	// the same PRF output would still derive different keys.
	return keys.DeriveKey(prf, credentialID, protocol.LabelKDFPasskeyPRF), nil
}

// WrapForPasskey wraps AK under the PRF output of the passkey with
// credentialID, salted with that id. The caller MUST clear prfOutput after.
func WrapForPasskey(ak *keys.SymmetricKey, credentialID, prfOutput []byte) ([]byte, error) {
	kek, err := passkeyKey(credentialID, prfOutput)
	if err != nil {
		return nil, err
	}
	defer kek.Destroy()
	return marshalWrap(wrapCBOR{Method: MethodPasskey, Sealed: sealAK(ak, kek), CredentialID: bytes.Clone(credentialID)})
}

// WithPasskey unlocks passkey wraps with the PRF output of the passkey with
// credentialID. A wrap made for another passkey gives ErrWrongPasskey before
// any key is derived. The key is derived here, so the unlocker keeps no copy
// of prfOutput; the caller MUST clear prfOutput after.
func WithPasskey(credentialID, prfOutput []byte) Unlocker {
	kek, err := passkeyKey(credentialID, prfOutput)
	return passkeyUnlocker{credentialID: bytes.Clone(credentialID), kek: kek, err: err}
}

type passkeyUnlocker struct {
	credentialID []byte
	kek          *keys.SymmetricKey
	err          error
}

func (u passkeyUnlocker) Unlock(w *Wrap) (*keys.SymmetricKey, error) {
	if w.c.Method != MethodPasskey {
		return nil, wrongMethod(w, MethodPasskey)
	}
	if u.err != nil {
		return nil, u.err
	}
	if !bytes.Equal(u.credentialID, w.c.CredentialID) {
		return nil, fmt.Errorf("%w (the wrap is for another credential id)", ErrWrongPasskey)
	}
	return openAK(w, u.kek, ErrWrongPasskey)
}

// Trusted device.

// WrapForDevice wraps AK to a trusted device's age recipient (keys.WrapKey);
// the device keeps the identity in the browser's storage. The recipient is
// stored with the wrap so that a device can find its own.
func WrapForDevice(ak *keys.SymmetricKey, device keys.Recipient) ([]byte, error) {
	if device.IsZero() {
		return nil, errors.New("account: wrapping to the zero device recipient")
	}
	f, err := keys.WrapKey(ak, device.Age())
	if err != nil {
		return nil, fmt.Errorf("account: device wrap: %w", err)
	}
	return marshalWrap(wrapCBOR{Method: MethodDevice, Sealed: f, Recipients: []string{device.String()}})
}

// WithDevice unlocks device wraps with the device's identity. A wrap for
// another device gives ErrWrongDevice.
func WithDevice(id *keys.Identity) Unlocker { return deviceUnlocker{id} }

type deviceUnlocker struct{ id *keys.Identity }

func (u deviceUnlocker) Unlock(w *Wrap) (*keys.SymmetricKey, error) {
	if w.c.Method != MethodDevice {
		return nil, wrongMethod(w, MethodDevice)
	}
	if !w.recipients[0].Equal(u.id.Recipient()) {
		return nil, fmt.Errorf("%w (the wrap is for another device)", ErrWrongDevice)
	}
	ak, err := keys.UnwrapKey(w.c.Sealed, u.id.Age())
	if errors.Is(err, keys.ErrWrongKey) {
		return nil, fmt.Errorf("%w (%v)", ErrWrongDevice, err)
	} else if err != nil {
		return nil, fmt.Errorf("account: device wrap: %w", err)
	}
	return ak, nil
}
