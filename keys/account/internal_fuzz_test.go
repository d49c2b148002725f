package account

import (
	"bytes"
	"encoding/hex"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// These fuzzers reach the decoders behind authenticated encryption or a
// signature, which an outside fuzzer could not get past.

func keyringSeeds(f *testing.F) (plaintexts, signed [][]byte) {
	for _, c := range vectortest.Load[map[string]any](f, "account-keyring") {
		if c.V["altered"] != nil {
			continue
		}
		ak, _ := hex.DecodeString(c.V["account_key"].(string))
		sealed, _ := hex.DecodeString(c.V["sealed"].(string))
		pub, _ := hex.DecodeString(c.V["signed_public"].(string))
		key, err := keys.SymmetricKeyFromBytes(ak)
		if err != nil {
			f.Fatal(err)
		}
		pt, err := keys.OpenSecret(keyringKey(key), protocol.LabelWrapKeyring, sealed)
		if err != nil {
			f.Fatal(err)
		}
		plaintexts, signed = append(plaintexts, pt), append(signed, pub)
	}
	if len(plaintexts) == 0 {
		f.Fatal("no keyring seeds")
	}
	return plaintexts, signed
}

// FuzzDecodeKeyring: an accepted keyring plaintext re-encodes to itself.
func FuzzDecodeKeyring(f *testing.F) {
	pts, _ := keyringSeeds(f)
	for _, pt := range pts {
		f.Add(pt)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := decodeKeyring(b)
		if err != nil {
			return
		}
		again, err := protocol.MarshalCBOR(keyringCBOR{Version: formatVersion, Identity: k.id.MarshalSecret(), Seed: k.sk.Seed()})
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical keyring: %v", err)
		}
	})
}

// FuzzParseSignedPublicKeyring: an accepted statement re-encodes, body and
// envelope, to exactly the input, and its signature is the one that
// verifies. Without the private key the fuzzer mostly exercises the
// decoders; the seeds carry a valid signature to mutate.
func FuzzParseSignedPublicKeyring(f *testing.F) {
	_, signed := keyringSeeds(f)
	for _, s := range signed {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSignedPublicKeyring(b)
		if err != nil {
			return
		}
		var s signedCBOR
		if err := protocol.UnmarshalCBOR(b, &s); err != nil {
			t.Fatal(err)
		}
		body, err := protocol.MarshalCBOR(publicKeyringCBOR{Version: formatVersion, Recipient: p.Recipient.String(), VerifyKey: p.VerifyKey[:]})
		if err != nil || !bytes.Equal(body, s.Body) {
			t.Fatalf("accepted a body that does not re-encode: %v", err)
		}
		again, err := protocol.MarshalCBOR(signedCBOR{Body: body, Signature: s.Signature})
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a statement that does not re-encode: %v", err)
		}
	})
}
