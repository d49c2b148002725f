package keys_test

import (
	"crypto/ed25519"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// BenchmarkBaselineXChaCha20Poly1305 is the baseline for SealSecret: the raw
// AEAD on the same 32-byte plaintext.
func BenchmarkBaselineXChaCha20Poly1305(b *testing.B) {
	aead, _ := chacha20poly1305.NewX(make([]byte, 32))
	nonce, pt := make([]byte, 24), make([]byte, 32)
	for b.Loop() {
		aead.Seal(nil, nonce, pt, []byte(protocol.LabelWrapAccountKey))
	}
}

func BenchmarkSealSecret(b *testing.B) {
	k := keys.NewSymmetricKey()
	pt := make([]byte, 32)
	for b.Loop() {
		keys.SealSecret(k, protocol.LabelWrapAccountKey, pt)
	}
}

func BenchmarkOpenSecret(b *testing.B) {
	k := keys.NewSymmetricKey()
	sealed := keys.SealSecret(k, protocol.LabelWrapAccountKey, make([]byte, 32))
	for b.Loop() {
		if _, err := keys.OpenSecret(k, protocol.LabelWrapAccountKey, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrapIdentity(b *testing.B) {
	id, to := keys.NewIdentity(), keys.NewIdentity().Recipient()
	for b.Loop() {
		if _, err := keys.WrapIdentity(id, to); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapIdentity(b *testing.B) {
	id, to := keys.NewIdentity(), keys.NewIdentity()
	w, _ := keys.WrapIdentity(id, to.Recipient())
	for b.Loop() {
		if _, err := keys.UnwrapIdentity(w, to.Age()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineEd25519Sign is the baseline for Sign: the raw primitive.
func BenchmarkBaselineEd25519Sign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	msg := make([]byte, 256)
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
}

func BenchmarkSign(b *testing.B) {
	sk := keys.NewSigningKey()
	body := make([]byte, 256-len(protocol.LabelGrant)-1)
	for b.Loop() {
		sk.Sign(protocol.LabelGrant, body)
	}
}

func BenchmarkVerify(b *testing.B) {
	sk := keys.NewSigningKey()
	body := make([]byte, 256-len(protocol.LabelGrant)-1)
	sig, vk := sk.Sign(protocol.LabelGrant, body), sk.Public()
	for b.Loop() {
		if err := vk.Verify(protocol.LabelGrant, body, sig); err != nil {
			b.Fatal(err)
		}
	}
}
