package opaque

import (
	"crypto/subtle"
	"fmt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// noCompare makes a struct incomparable with ==, so that secrets can only be
// compared with their constant-time Equal method.
type noCompare [0]func()

const redacted = "[REDACTED]"

// ExportKeySize and SessionKeySize are Nh, the SHA-512 output size.
const (
	ExportKeySize  = 64
	SessionKeySize = 64
)

// ExportKey is OPAQUE's export_key: a secret only the client can compute,
// the same at registration and at every login with the right password. The
// server never learns it. Vellum uses it only through DeriveKey.
type ExportKey struct {
	_ noCompare
	k [ExportKeySize]byte
}

// ExportKeyFromBytes copies b, which MUST be 64 bytes, into an export key.
// It exists for vectors and for carrying a key across the wasm boundary;
// export keys are otherwise only made by Finish.
func ExportKeyFromBytes(b []byte) (*ExportKey, error) {
	if len(b) != ExportKeySize {
		return nil, malformed("export key", fmt.Sprintf("%d bytes, want %d", len(b), ExportKeySize))
	}
	k := new(ExportKey)
	copy(k.k[:], b)
	return k, nil
}

func newExportKey(b []byte) *ExportKey {
	k := new(ExportKey)
	copy(k.k[:], b)
	clear(b)
	return k
}

// DeriveKey derives a 32-byte key from the export key with HKDF-SHA-256
// under label (keys.DeriveKey with no salt).
func (k *ExportKey) DeriveKey(label protocol.Label) *keys.SymmetricKey {
	return keys.DeriveKey(k.k[:], nil, label)
}

// Bytes returns a copy of the key. The caller MUST treat it as a secret.
func (k *ExportKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Equal reports whether k and o are the same key, in constant time.
func (k *ExportKey) Equal(o *ExportKey) bool { return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1 }

// Destroy overwrites the key. It is best effort: the runtime may have copied it.
func (k *ExportKey) Destroy() { clear(k.k[:]) }

func (k ExportKey) String() string                { return redacted }
func (k ExportKey) GoString() string              { return redacted }
func (k ExportKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *ExportKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("opaque: refusing to marshal a secret key as JSON")
}

// SessionKey is the key both sides share after a successful login. The
// server MUST NOT use its copy before FinishLogin has returned it.
type SessionKey struct {
	_ noCompare
	k [SessionKeySize]byte
}

func newSessionKey(b []byte) *SessionKey {
	k := new(SessionKey)
	copy(k.k[:], b)
	clear(b)
	return k
}

// DeriveKey derives a 32-byte key from the session key with HKDF-SHA-256
// under label.
func (k *SessionKey) DeriveKey(label protocol.Label) *keys.SymmetricKey {
	return keys.DeriveKey(k.k[:], nil, label)
}

// Bytes returns a copy of the key. The caller MUST treat it as a secret.
func (k *SessionKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Equal reports whether k and o are the same key, in constant time.
func (k *SessionKey) Equal(o *SessionKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// Destroy overwrites the key. It is best effort.
func (k *SessionKey) Destroy() { clear(k.k[:]) }

func (k SessionKey) String() string                { return redacted }
func (k SessionKey) GoString() string              { return redacted }
func (k SessionKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *SessionKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("opaque: refusing to marshal a secret key as JSON")
}
