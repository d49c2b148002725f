package keys

import (
	"crypto/hkdf"
	"crypto/sha256"

	"vellum.dev/vellum/protocol"
)

// DeriveKey derives a 32-byte key from input keying material with
// HKDF-SHA-256 (RFC 5869). The label is the info parameter; every use has its
// own label in protocol/labels.go, so one secret can feed several keys that
// are independent of each other. salt may be nil.
func DeriveKey(ikm, salt []byte, label protocol.Label) *SymmetricKey {
	out, err := hkdf.Key(sha256.New, ikm, salt, string(label), 32)
	if err != nil {
		// hkdf.Key fails only for lengths over 255*32 bytes.
		panic("keys: HKDF: " + err.Error())
	}
	k := new(SymmetricKey)
	copy(k.k[:], out)
	clear(out)
	return k
}
