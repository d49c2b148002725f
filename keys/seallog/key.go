package seallog

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// noteAlgEd25519 is the signed-note algorithm byte for Ed25519 keys.
const noteAlgEd25519 = 0x01

// maxKeyText bounds the text of a signer or verifier key before parsing.
const maxKeyText = 1024

const redacted = "[REDACTED]"

// SignerKey is the log's private Ed25519 signing key, bound to the log's
// origin (the note key name). Its text form is the signed-note private key
// encoding, "PRIVATE+KEY+<origin>+<hash>+<base64(0x01 ‖ seed)>", which
// golang.org/x/mod/sumdb/note reads. It is not comparable with ==, prints as
// [REDACTED], and compares in constant time with Equal.
type SignerKey struct {
	_      [0]func()
	origin string
	hash   uint32
	seed   [ed25519.SeedSize]byte
}

// GenerateKey returns a fresh random signing key for the log named origin,
// which MUST be a valid note key name (non-empty, no spaces, no '+'); by
// C2SP convention it is a schema-less URL such as "log.vellum.example/seals".
func GenerateKey(origin string) (*SignerKey, error) {
	var seed [ed25519.SeedSize]byte
	rand.Read(seed[:])
	defer clear(seed[:])
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, fmt.Errorf("seallog: making a verifier key: %w", ErrMalformed)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	k := &SignerKey{origin: origin, hash: v.KeyHash(), seed: seed}
	return k, nil
}

// ParseSignerKey parses the text form written by MarshalSecret. Only
// Ed25519 keys in canonical base64 are accepted; the key hash is checked.
func ParseSignerKey(text string) (*SignerKey, error) {
	if len(text) > maxKeyText {
		return nil, fmt.Errorf("seallog: signer key of %d bytes: %w", len(text), ErrTooLarge)
	}
	s, err := note.NewSigner(text)
	if err != nil {
		// The note error says nothing about the key bytes; still, keep it out.
		return nil, fmt.Errorf("seallog: not a signed-note private key: %w", ErrMalformed)
	}
	parts := strings.SplitN(text, "+", 5)
	if len(parts) != 5 {
		return nil, fmt.Errorf("seallog: signer key: %w", ErrMalformed)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != noteAlgEd25519 {
		clear(raw)
		return nil, fmt.Errorf("seallog: signer key is not Ed25519: %w", ErrMalformed)
	}
	k := &SignerKey{origin: s.Name(), hash: s.KeyHash()}
	copy(k.seed[:], raw[1:])
	clear(raw)
	if subtle.ConstantTimeCompare(k.MarshalSecret(), []byte(text)) != 1 {
		return nil, fmt.Errorf("seallog: signer key not in canonical form: %w", ErrMalformed)
	}
	return k, nil
}

// MarshalSecret returns the signed-note private key text. The caller MUST
// treat it as a secret.
func (k *SignerKey) MarshalSecret() []byte {
	raw := append([]byte{noteAlgEd25519}, k.seed[:]...)
	defer clear(raw)
	return fmt.Appendf(nil, "PRIVATE+KEY+%s+%08x+%s", k.origin, k.hash, base64.StdEncoding.EncodeToString(raw))
}

// Origin returns the log's origin, which is also the note key name.
func (k *SignerKey) Origin() string { return k.origin }

// VerifierKey returns the public verifier key in signed-note text form,
// "<origin>+<hash>+<base64(0x01 ‖ public key)>": what clients pin.
func (k *SignerKey) VerifierKey() string {
	pub := ed25519.NewKeyFromSeed(k.seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(k.origin, pub)
	if err != nil {
		panic("seallog: verifier key of a valid signer key: " + err.Error())
	}
	return vkey
}

// Verifier returns the note verifier of k's public half.
func (k *SignerKey) Verifier() note.Verifier {
	v, err := NewVerifier(k.VerifierKey())
	if err != nil {
		panic("seallog: verifier of a valid signer key: " + err.Error())
	}
	return v
}

// signer returns a note.Signer for k.
func (k *SignerKey) signer() note.Signer {
	text := k.MarshalSecret()
	defer clear(text)
	s, err := note.NewSigner(string(text))
	if err != nil {
		panic("seallog: note signer of a valid signer key: " + err.Error())
	}
	return s
}

// Equal reports whether k and o are the same key, in constant time for the
// secret part.
func (k *SignerKey) Equal(o *SignerKey) bool {
	return subtle.ConstantTimeCompare(k.seed[:], o.seed[:]) == 1 && k.origin == o.origin
}

func (k SignerKey) String() string                { return redacted }
func (k SignerKey) GoString() string              { return redacted }
func (k SignerKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *SignerKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("seallog: refusing to marshal a secret key as JSON")
}

// NewVerifier parses a pinned log verifier key in signed-note text form.
// Only Ed25519 keys are accepted, in canonical form.
func NewVerifier(vkey string) (note.Verifier, error) {
	if len(vkey) > maxKeyText {
		return nil, fmt.Errorf("seallog: verifier key of %d bytes: %w", len(vkey), ErrTooLarge)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("seallog: verifier key: %v: %w", err, ErrMalformed)
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("seallog: verifier key: %w", ErrMalformed)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != noteAlgEd25519 {
		return nil, fmt.Errorf("seallog: verifier key is not Ed25519: %w", ErrMalformed)
	}
	if canon, _ := note.NewEd25519VerifierKey(v.Name(), raw[1:]); canon != vkey {
		return nil, fmt.Errorf("seallog: verifier key not in canonical form: %w", ErrMalformed)
	}
	return v, nil
}
