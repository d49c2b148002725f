package keys

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/protocol"
)

// sealVersion is the first byte of a SealSecret output. Do not reuse.
const sealVersion = 0x01

// SealedOverhead is how many bytes SealSecret adds to its plaintext.
const SealedOverhead = 1 + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// SealSecret encrypts a small secret (an account key, a keyring) under key
// with XChaCha20-Poly1305 and a random 192-bit nonce. The label is the
// associated data, so a ciphertext sealed for one purpose does not open for
// another. Format: 0x01 ‖ nonce[24] ‖ ciphertext ‖ tag[16].
func SealSecret(key *SymmetricKey, label protocol.Label, plaintext []byte) []byte {
	aead, err := chacha20poly1305.NewX(key.k[:])
	if err != nil {
		panic("keys: XChaCha20-Poly1305: " + err.Error())
	}
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, SealedOverhead+len(plaintext))
	out[0] = sealVersion
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], plaintext, []byte(label))
}

// OpenSecret reverses SealSecret. It returns ErrMalformed for input that is
// not a sealed secret, ErrTooLarge past protocol.MaxWrappedKey, and
// ErrWrongKey when the key, the label or the bytes are wrong.
func OpenSecret(key *SymmetricKey, label protocol.Label, sealed []byte) ([]byte, error) {
	if len(sealed) > protocol.MaxWrappedKey {
		return nil, fmt.Errorf("keys: sealed secret of %d bytes: %w", len(sealed), ErrTooLarge)
	}
	if len(sealed) < SealedOverhead {
		return nil, fmt.Errorf("keys: sealed secret of %d bytes is truncated: %w", len(sealed), ErrMalformed)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("keys: sealed secret version %#x: %w", sealed[0], ErrMalformed)
	}
	aead, err := chacha20poly1305.NewX(key.k[:])
	if err != nil {
		panic("keys: XChaCha20-Poly1305: " + err.Error())
	}
	nonce := sealed[1 : 1+chacha20poly1305.NonceSizeX]
	pt, err := aead.Open(nil, nonce, sealed[1+chacha20poly1305.NonceSizeX:], []byte(label))
	if err != nil {
		return nil, ErrWrongKey
	}
	return pt, nil
}
