package keys_test

import (
	"testing"
	"testing/cryptotest"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

// TestUpdateVectors regenerates the vectors of this package's formats with
// `go test ./keys -run UpdateVectors -update`. The vector tests then check
// that the code still produces exactly those bytes.
func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	vectortest.Write(t, "keys-hkdf", "account-keyring", hkdfVector{
		Comment: "the keyring key derived from an account key of bytes 0x00..0x1f, no salt",
		IKM:     seq(32), Label: string(protocol.LabelKDFKeyring),
		Key: keys.DeriveKey(seq(32), nil, protocol.LabelKDFKeyring).Bytes(),
	})
	vectortest.Write(t, "keys-hkdf", "passkey-prf-salted", hkdfVector{
		Comment: "a passkey PRF output of 0x00..0x1f, salted with a credential id of 0xa0..0xaf",
		IKM:     seq(32), Salt: seqFrom(0xa0, 16), Label: string(protocol.LabelKDFPasskeyPRF),
		Key: keys.DeriveKey(seq(32), seqFrom(0xa0, 16), protocol.LabelKDFPasskeyPRF).Bytes(),
	})

	key, _ := keys.SymmetricKeyFromBytes(seq(32))
	var sealed []byte
	t.Run("seal", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 1)
		sealed = keys.SealSecret(key, protocol.LabelWrapAccountKey, seqFrom(0x40, 32))
	})
	vectortest.Write(t, "keys-sealed-secret", "account-key", sealedSecretVector{
		Comment: "0x01 ‖ nonce[24] ‖ XChaCha20-Poly1305(key, nonce, plaintext, ad=label); a 32-byte account key sealed under key 0x00..0x1f",
		Seed:    1, Key: seq(32), Label: string(protocol.LabelWrapAccountKey), Plaintext: seqFrom(0x40, 32), Sealed: sealed,
	})
	vectortest.Write(t, "keys-sealed-secret", "altered-tag", sealedSecretVector{
		Comment: "the account-key vector with the last tag byte flipped: refused as wrong key",
		Seed:    1, Key: seq(32), Label: string(protocol.LabelWrapAccountKey), Sealed: flip(sealed, len(sealed)-1), Error: "wrong_key",
	})
	vectortest.Write(t, "keys-sealed-secret", "other-label", sealedSecretVector{
		Comment: "the account-key vector opened as a keyring: the label is the AEAD's associated data, so it is refused",
		Seed:    1, Key: seq(32), Label: string(protocol.LabelWrapKeyring), Sealed: sealed, Error: "wrong_key",
	})
	vectortest.Write(t, "keys-sealed-secret", "truncated", sealedSecretVector{
		Comment: "shorter than version, nonce and tag: malformed",
		Seed:    1, Key: seq(32), Label: string(protocol.LabelWrapAccountKey), Sealed: sealed[:40], Error: "malformed",
	})
	vectortest.Write(t, "keys-sealed-secret", "unknown-version", sealedSecretVector{
		Comment: "version byte 0x00: malformed, never tried as a key",
		Seed:    1, Key: seq(32), Label: string(protocol.LabelWrapAccountKey), Sealed: flip(sealed, 0), Error: "malformed",
	})

	sk, _ := keys.SigningKeyFromSeed(seq(32))
	body := []byte{0xa1, 0x01, 0x63, 'a', 'b', 'c'} // CBOR {1: "abc"}
	vectortest.Write(t, "keys-signature", "grant-label", signatureVector{
		Comment: "Ed25519 over \"vellum-grant/v1\" ‖ 0x0a ‖ body; body is the CBOR map {1: \"abc\"}",
		Seed:    seq(32), VerifyKey: sk.Public().String(), Label: string(protocol.LabelGrant), Body: body,
		Signature: sk.Sign(protocol.LabelGrant, body),
	})

	var wv wrappedIdentityVector
	t.Run("wrap", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 7)
		id, to := keys.NewIdentity(), keys.NewIdentity()
		w, err := keys.WrapIdentity(id, to.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		wv = wrappedIdentityVector{
			Comment: "an age file (X25519 recipient) whose payload is the identity's AGE-SECRET-KEY-1 line; identities and file made with crypto/rand seeded by seed",
			Seed:    7, Identity: string(id.MarshalSecret()), To: string(to.MarshalSecret()), Wrapped: w,
		}
	})
	vectortest.Write(t, "keys-wrapped-identity", "x25519", wv)
}

func seq(n int) []byte { return seqFrom(0, n) }

func seqFrom(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}
