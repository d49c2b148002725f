package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"vellum.dev/vellum/protocol"
)

// SigningKey is an Ed25519 private key: its 32-byte seed, and the expanded
// private key derived from it once, so that signing does not redo the
// derivation (which costs as much as a signature).
type SigningKey struct {
	_    noCompare
	seed [ed25519.SeedSize]byte
	priv [ed25519.PrivateKeySize]byte
}

// NewSigningKey returns a fresh random signing key.
func NewSigningKey() *SigningKey {
	var seed [ed25519.SeedSize]byte
	rand.Read(seed[:])
	k := newSigningKey(seed[:])
	clear(seed[:])
	return k
}

func newSigningKey(seed []byte) *SigningKey {
	k := new(SigningKey)
	copy(k.seed[:], seed)
	priv := ed25519.NewKeyFromSeed(seed)
	copy(k.priv[:], priv)
	clear(priv)
	return k
}

// SigningKeyFromSeed makes a key from a 32-byte Ed25519 seed (RFC 8032).
func SigningKeyFromSeed(seed []byte) (*SigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keys: Ed25519 seed of %d bytes: %w", len(seed), ErrMalformed)
	}
	return newSigningKey(seed), nil
}

// Seed returns a copy of the seed. The caller MUST treat it as a secret.
func (k *SigningKey) Seed() []byte { return append([]byte(nil), k.seed[:]...) }

// Public returns the verifying key.
func (k *SigningKey) Public() VerifyKey {
	var v VerifyKey
	copy(v[:], k.priv[ed25519.SeedSize:])
	return v
}

// Sign signs body under label. The signed message is label ‖ 0x0A ‖ body,
// so a signature made for one kind of statement never verifies as another.
// Ed25519 is deterministic: the same key, label and body give the same bytes.
func (k *SigningKey) Sign(label protocol.Label, body []byte) []byte {
	return ed25519.Sign(k.priv[:], signedMessage(label, body))
}

// Equal reports whether k and o are the same key, in constant time.
func (k *SigningKey) Equal(o *SigningKey) bool {
	return subtle.ConstantTimeCompare(k.seed[:], o.seed[:]) == 1
}

func (k SigningKey) String() string                { return redacted }
func (k SigningKey) GoString() string              { return redacted }
func (k SigningKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *SigningKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("keys: refusing to marshal a secret key as JSON")
}

// VerifyKey is an Ed25519 public key. Its text form is "ed25519:" followed by
// the key in unpadded base64url.
type VerifyKey [ed25519.PublicKeySize]byte

const verifyKeyPrefix = "ed25519:"

// Verify checks sig over body under label, as made by SigningKey.Sign.
func (v VerifyKey) Verify(label protocol.Label, body, sig []byte) error {
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("keys: signature of %d bytes: %w", len(sig), ErrBadSignature)
	}
	if !ed25519.Verify(v[:], signedMessage(label, body), sig) {
		return ErrBadSignature
	}
	return nil
}

// Fingerprint is a short, stable name for the key that people can compare:
// the first 16 bytes of SHA-256 of the key, as base64url.
func (v VerifyKey) Fingerprint() string {
	h := sha256.Sum256(v[:])
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

func (v VerifyKey) String() string {
	return verifyKeyPrefix + base64.RawURLEncoding.EncodeToString(v[:])
}

func (v VerifyKey) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

func (v *VerifyKey) UnmarshalText(b []byte) error {
	p, err := ParseVerifyKey(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseVerifyKey parses the text form "ed25519:<base64url>".
func ParseVerifyKey(s string) (VerifyKey, error) {
	var v VerifyKey
	rest, ok := strings.CutPrefix(s, verifyKeyPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(len(v)) {
		return v, fmt.Errorf("keys: verify key not of the form ed25519:<base64url>: %w", ErrMalformed)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(b) != len(v) {
		return v, fmt.Errorf("keys: verify key: %w", ErrMalformed)
	}
	copy(v[:], b)
	return v, nil
}

// VerifyKeyFromBytes reads a verify key in its binary form, as signed
// statements carry it: exactly 32 bytes, not all zero. Its errors wrap
// ErrMalformed.
func VerifyKeyFromBytes(b []byte) (VerifyKey, error) {
	var v VerifyKey
	if len(b) != len(v) {
		return v, fmt.Errorf("keys: verify key of %d bytes: %w", len(b), ErrMalformed)
	}
	copy(v[:], b)
	if v == (VerifyKey{}) {
		return v, fmt.Errorf("keys: all-zero verify key: %w", ErrMalformed)
	}
	return v, nil
}

func signedMessage(label protocol.Label, body []byte) []byte {
	msg := make([]byte, 0, len(label)+1+len(body))
	msg = append(msg, label...)
	msg = append(msg, '\n')
	return append(msg, body...)
}
