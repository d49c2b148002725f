package keys

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
)

// noCompare makes a struct incomparable with ==, so that secret keys can only
// be compared with their constant-time Equal method.
type noCompare [0]func()

const redacted = "[REDACTED]"

// SymmetricKey is 32 bytes of secret key material: an account key, a key
// derived with HKDF, a recovery code's entropy. Its zero value is not a key.
type SymmetricKey struct {
	_ noCompare
	k [32]byte
}

// NewSymmetricKey returns a fresh random key.
func NewSymmetricKey() *SymmetricKey {
	k := new(SymmetricKey)
	rand.Read(k.k[:]) // never fails: see crypto/rand.Read
	return k
}

// SymmetricKeyFromBytes copies b, which MUST be 32 bytes, into a key.
func SymmetricKeyFromBytes(b []byte) (*SymmetricKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("keys: symmetric key of %d bytes, want 32: %w", len(b), ErrMalformed)
	}
	k := new(SymmetricKey)
	copy(k.k[:], b)
	return k, nil
}

// Bytes returns a copy of the key material. The caller MUST treat it as a
// secret: wrap it, never log or store it in clear.
func (k *SymmetricKey) Bytes() []byte { return append([]byte(nil), k.k[:]...) }

// Equal reports whether k and o hold the same key, in constant time.
func (k *SymmetricKey) Equal(o *SymmetricKey) bool {
	return subtle.ConstantTimeCompare(k.k[:], o.k[:]) == 1
}

// Destroy overwrites the key material. It is best effort: the Go runtime may
// have copied it.
func (k *SymmetricKey) Destroy() { clear(k.k[:]) }

func (k SymmetricKey) String() string                { return redacted }
func (k SymmetricKey) GoString() string              { return redacted }
func (k SymmetricKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *SymmetricKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("keys: refusing to marshal a secret key as JSON")
}
