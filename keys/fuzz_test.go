package keys_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// FuzzParseIdentity: anything ParseIdentity accepts re-encodes to the same
// bytes (only the canonical form is accepted).
func FuzzParseIdentity(f *testing.F) {
	for _, c := range vectortest.Load[wrappedIdentityVector](f, "keys-wrapped-identity") {
		f.Add([]byte(c.V.Identity))
		f.Add([]byte(c.V.To))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := keys.ParseIdentity(b)
		if err != nil {
			return
		}
		if !bytes.Equal(id.MarshalSecret(), b) {
			t.Fatalf("accepted a non-canonical identity")
		}
	})
}

// FuzzParseRecipient and FuzzParseVerifyKey: accepted text round-trips.
func FuzzParseRecipient(f *testing.F) {
	for _, c := range vectortest.Load[wrappedIdentityVector](f, "keys-wrapped-identity") {
		id, err := keys.ParseIdentity([]byte(c.V.To))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(id.Recipient().String())
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := keys.ParseRecipient(s)
		if err != nil {
			return
		}
		if r.String() != s {
			t.Fatalf("accepted a non-canonical recipient")
		}
	})
}

func FuzzParseVerifyKey(f *testing.F) {
	for _, c := range vectortest.Load[signatureVector](f, "keys-signature") {
		f.Add(c.V.VerifyKey)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := keys.ParseVerifyKey(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("accepted a non-canonical verify key")
		}
	})
}

// FuzzOpenSecret: no input panics, and nothing but the sealed vectors opens.
func FuzzOpenSecret(f *testing.F) {
	var key *keys.SymmetricKey
	for _, b := range vectortest.Seeds(f, "keys-sealed-secret", func(v sealedSecretVector) []byte {
		if key == nil {
			key, _ = keys.SymmetricKeyFromBytes(v.Key)
		}
		return v.Sealed
	}) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := keys.OpenSecret(key, protocol.LabelWrapAccountKey, b)
		if err != nil {
			return
		}
		// Whatever opens must seal back to something that opens to it.
		again, err := keys.OpenSecret(key, protocol.LabelWrapAccountKey, keys.SealSecret(key, protocol.LabelWrapAccountKey, pt))
		if err != nil || !bytes.Equal(again, pt) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

// FuzzUnwrapIdentity: age parsing of hostile wrapped keys never panics and
// never returns an identity without an error for altered input.
func FuzzUnwrapIdentity(f *testing.F) {
	var to *keys.Identity
	for _, c := range vectortest.Load[wrappedIdentityVector](f, "keys-wrapped-identity") {
		f.Add([]byte(c.V.Wrapped))
		to, _ = keys.ParseIdentity([]byte(c.V.To))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := keys.UnwrapIdentity(b, to.Age())
		if err != nil {
			return
		}
		if _, err := keys.ParseIdentity(id.MarshalSecret()); err != nil {
			t.Fatalf("unwrapped an identity that does not re-parse: %v", err)
		}
	})
}
