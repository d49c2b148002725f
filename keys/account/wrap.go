package account

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// UnlockMethod names how a wrap of AK is opened. It is a wire enum: do not
// reorder or reuse a value; append new methods.
type UnlockMethod uint8

const (
	MethodPassword       UnlockMethod = 1 // OPAQUE export key
	MethodPasskey        UnlockMethod = 2 // WebAuthn PRF output
	MethodDevice         UnlockMethod = 3 // trusted device's age identity
	MethodRecoveryCode   UnlockMethod = 4 // 128-bit recovery code
	MethodTenantRecovery UnlockMethod = 5 // M of N tenant admins' age identities
)

func (m UnlockMethod) String() string {
	switch m {
	case MethodPassword:
		return "password"
	case MethodPasskey:
		return "passkey"
	case MethodDevice:
		return "device"
	case MethodRecoveryCode:
		return "recovery-code"
	case MethodTenantRecovery:
		return "tenant-recovery"
	}
	return fmt.Sprintf("unknown(%d)", uint8(m))
}

// wrapCBOR is the stored form of every wrap. Which fields are present
// depends on the method, and ParseWrap refuses any other combination:
//
//	1 version      uint, 1                          all
//	2 method       uint, an UnlockMethod            all
//	3 sealed       bytes: keys.SealSecret output    password, passkey, recovery code
//	               bytes: an age file (keys.WrapKey) device
//	4 credential   bytes: WebAuthn credential id    passkey
//	5 recipients   [text "age1..."]: the device's   device (1)
//	               the admins', sorted, distinct    tenant recovery (1..8)
//	6 threshold    uint M, 1 ≤ M ≤ N                tenant recovery
//	7 onions       [bytes]: C(N, M) age files       tenant recovery
type wrapCBOR struct {
	Version      uint64       `cbor:"1,keyasint"`
	Method       UnlockMethod `cbor:"2,keyasint"`
	Sealed       []byte       `cbor:"3,keyasint,omitempty"`
	CredentialID []byte       `cbor:"4,keyasint,omitempty"`
	Recipients   []string     `cbor:"5,keyasint,omitempty"`
	Threshold    uint64       `cbor:"6,keyasint,omitempty"`
	Onions       [][]byte     `cbor:"7,keyasint,omitempty"`
}

// sealedAKSize is the size of keys.SealSecret over a 32-byte AK.
const sealedAKSize = keys.SealedOverhead + 32

// Wrap is a parsed stored wrap of AK.
type Wrap struct {
	c          wrapCBOR
	recipients []keys.Recipient
}

// Method returns the wrap's unlock method.
func (w *Wrap) Method() UnlockMethod { return w.c.Method }

// CredentialID returns the WebAuthn credential id of a passkey wrap, so the
// client knows which passkey to ask; nil for other methods.
func (w *Wrap) CredentialID() []byte { return bytes.Clone(w.c.CredentialID) }

// Device returns the recipient of a device wrap; the zero Recipient for
// other methods.
func (w *Wrap) Device() keys.Recipient {
	if w.c.Method != MethodDevice {
		return keys.Recipient{}
	}
	return w.recipients[0]
}

// Admins returns the N admin recipients of a tenant recovery wrap, sorted,
// and the threshold M; nil and 0 for other methods.
func (w *Wrap) Admins() ([]keys.Recipient, int) {
	if w.c.Method != MethodTenantRecovery {
		return nil, 0
	}
	return slices.Clone(w.recipients), int(w.c.Threshold)
}

// Marshal returns the stored form. For a parsed wrap it is the input.
func (w *Wrap) Marshal() ([]byte, error) { return protocol.MarshalCBOR(w.c) }

// ParseWrap parses a stored wrap, refusing input over
// protocol.MaxAccountWrap, non-canonical CBOR, unknown versions and
// methods, and any field that does not belong to the method.
func ParseWrap(b []byte) (*Wrap, error) {
	if len(b) > protocol.MaxAccountWrap {
		return nil, fmt.Errorf("account: wrap of %d bytes: %w", len(b), keys.ErrTooLarge)
	}
	var c wrapCBOR
	if err := protocol.UnmarshalCBOR(b, &c); err != nil {
		return nil, malformed("wrap", err.Error())
	}
	if c.Version != formatVersion {
		return nil, malformed("wrap", fmt.Sprintf("unknown version %d", c.Version))
	}
	w := &Wrap{c: c}
	var err error
	switch c.Method {
	case MethodPassword, MethodRecoveryCode:
		err = w.check(true, false, 0, 0, false)
	case MethodPasskey:
		err = w.check(true, true, 0, 0, false)
	case MethodDevice:
		err = w.check(false, false, 1, 1, false)
		if err == nil {
			err = checkAgeFile(c.Sealed)
		}
	case MethodTenantRecovery:
		err = w.check(false, false, 1, protocol.MaxRecoveryAdmins, true)
	default:
		return nil, malformed("wrap", "unknown unlock method "+c.Method.String())
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

// check verifies which fields are present: a sealed AK, a credential id,
// between minR and maxR recipients, and the tenant fields.
func (w *Wrap) check(sealedAK, credential bool, minR, maxR int, tenant bool) error {
	c, what := w.c, c2s(w.c.Method)
	switch {
	case sealedAK && len(c.Sealed) != sealedAKSize:
		return malformed(what, fmt.Sprintf("sealed key of %d bytes, want %d", len(c.Sealed), sealedAKSize))
	case !sealedAK && !tenant && len(c.Sealed) == 0:
		return malformed(what, "no age file")
	case tenant && len(c.Sealed) != 0:
		return malformed(what, "unexpected sealed field")
	case credential && (len(c.CredentialID) == 0 || len(c.CredentialID) > protocol.MaxPasskeyCredentialID):
		return malformed(what, fmt.Sprintf("credential id of %d bytes", len(c.CredentialID)))
	case !credential && c.CredentialID != nil:
		return malformed(what, "unexpected credential id")
	case len(c.Recipients) < minR || len(c.Recipients) > maxR:
		return malformed(what, fmt.Sprintf("%d recipients, want %d to %d", len(c.Recipients), minR, maxR))
	case !tenant && (c.Threshold != 0 || c.Onions != nil):
		return malformed(what, "unexpected tenant recovery fields")
	}
	for i, s := range c.Recipients {
		r, err := keys.ParseRecipient(s)
		if err != nil {
			return fmt.Errorf("account: %s recipient: %w", what, err)
		}
		// Sorted and distinct, so that one set of admins has one encoding.
		if i > 0 && c.Recipients[i-1] >= s {
			return malformed(what, "recipients not sorted and distinct")
		}
		w.recipients = append(w.recipients, r)
	}
	if !tenant {
		return nil
	}
	n, m := len(c.Recipients), int(c.Threshold)
	if c.Threshold < 1 || m > n {
		return malformed(what, fmt.Sprintf("threshold %d of %d admins", c.Threshold, n))
	}
	if len(c.Onions) != binomial(n, m) {
		return malformed(what, fmt.Sprintf("%d onions, want C(%d, %d) = %d", len(c.Onions), n, m, binomial(n, m)))
	}
	for _, o := range c.Onions {
		if err := checkAgeFile(o); err != nil {
			return err
		}
	}
	return nil
}

func c2s(m UnlockMethod) string { return m.String() + " wrap" }

var ageHeader = []byte("age-encryption.org/v1\n")

// checkAgeFile is a cheap shape check; age itself parses the rest.
func checkAgeFile(b []byte) error {
	if len(b) > protocol.MaxWrappedKey {
		return fmt.Errorf("account: age file of %d bytes: %w", len(b), keys.ErrTooLarge)
	}
	if !bytes.HasPrefix(b, ageHeader) {
		return malformed("wrap", "not an age file")
	}
	return nil
}

// An Unlocker opens the wraps of one unlock method. Unlock returns AK, or
// ErrWrongMethod for a wrap of another method, the method's wrong-secret
// error, or an error wrapping keys.ErrMalformed.
type Unlocker interface {
	Unlock(w *Wrap) (*keys.SymmetricKey, error)
}

// Unlock parses a stored wrap and opens it with u.
func Unlock(stored []byte, u Unlocker) (*keys.SymmetricKey, error) {
	w, err := ParseWrap(stored)
	if err != nil {
		return nil, err
	}
	return u.Unlock(w)
}

func marshalWrap(c wrapCBOR) ([]byte, error) {
	c.Version = formatVersion
	b, err := protocol.MarshalCBOR(c)
	if err != nil {
		return nil, fmt.Errorf("account: encoding %s: %w", c2s(c.Method), err)
	}
	return b, nil
}

func wrongMethod(w *Wrap, want UnlockMethod) error {
	return fmt.Errorf("%w: a %s wrap given to the %s unlocker", ErrWrongMethod, w.c.Method, want)
}

// sealAK and openAK are the symmetric wraps: keys.SealSecret of AK's bytes
// under kek, label LabelWrapAccountKey.
func sealAK(ak, kek *keys.SymmetricKey) []byte {
	b := ak.Bytes()
	defer clear(b)
	return keys.SealSecret(kek, protocol.LabelWrapAccountKey, b)
}

func openAK(w *Wrap, kek *keys.SymmetricKey, wrong error) (*keys.SymmetricKey, error) {
	pt, err := keys.OpenSecret(kek, protocol.LabelWrapAccountKey, w.c.Sealed)
	if errors.Is(err, keys.ErrWrongKey) {
		return nil, wrong
	} else if err != nil {
		return nil, fmt.Errorf("account: %s: %w", c2s(w.c.Method), err)
	}
	defer clear(pt)
	return keys.SymmetricKeyFromBytes(pt)
}
