package keys_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// hkdfVector: keys.DeriveKey(IKM, Salt, Label) == Key.
type hkdfVector struct {
	Comment string         `json:"comment"`
	IKM     vectortest.Hex `json:"ikm"`
	Salt    vectortest.Hex `json:"salt"`
	Label   string         `json:"label"`
	Key     vectortest.Hex `json:"key"`
}

func TestVectorsHKDF(t *testing.T) {
	for _, c := range vectortest.Load[hkdfVector](t, "keys-hkdf") {
		t.Run(c.Name, func(t *testing.T) {
			got := keys.DeriveKey(c.V.IKM, c.V.Salt, protocol.Label(c.V.Label))
			want, err := keys.SymmetricKeyFromBytes(c.V.Key)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("derived key %x, want %x", got.Bytes(), want.Bytes())
			}
		})
	}
}

// sealedSecretVector: with crypto/rand seeded by Seed, SealSecret(Key, Label,
// Plaintext) == Sealed. A vector with Error set holds altered bytes that
// OpenSecret MUST refuse with that error.
type sealedSecretVector struct {
	Comment   string         `json:"comment"`
	Seed      uint64         `json:"seed"`
	Key       vectortest.Hex `json:"key"`
	Label     string         `json:"label"`
	Plaintext vectortest.Hex `json:"plaintext,omitempty"`
	Sealed    vectortest.Hex `json:"sealed"`
	Error     string         `json:"error,omitempty"`
}

var sentinels = map[string]error{
	"wrong_key": keys.ErrWrongKey,
	"malformed": keys.ErrMalformed,
	"too_large": keys.ErrTooLarge,
	"signature": keys.ErrBadSignature,
	"":          nil,
}

func sentinel(t *testing.T, name string) error {
	t.Helper()
	err, ok := sentinels[name]
	if !ok {
		t.Fatalf("vector names unknown error %q", name)
	}
	return err
}

func TestVectorsSealedSecret(t *testing.T) {
	for _, c := range vectortest.Load[sealedSecretVector](t, "keys-sealed-secret") {
		t.Run(c.Name, func(t *testing.T) {
			key, err := keys.SymmetricKeyFromBytes(c.V.Key)
			if err != nil {
				t.Fatal(err)
			}
			label := protocol.Label(c.V.Label)
			pt, err := keys.OpenSecret(key, label, c.V.Sealed)
			if want := sentinel(t, c.V.Error); want != nil {
				if !errors.Is(err, want) {
					t.Fatalf("OpenSecret error %v, want %v", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pt, c.V.Plaintext) {
				t.Errorf("plaintext %x, want %x", pt, c.V.Plaintext)
			}
			cryptotest.SetGlobalRandom(t, c.V.Seed)
			if got := keys.SealSecret(key, label, c.V.Plaintext); !bytes.Equal(got, c.V.Sealed) {
				t.Errorf("SealSecret = %x, want %x", got, c.V.Sealed)
			}
		})
	}
}

// signatureVector: SigningKeyFromSeed(Seed).Sign(Label, Body) == Signature,
// and Public().String() == VerifyKey.
type signatureVector struct {
	Comment   string         `json:"comment"`
	Seed      vectortest.Hex `json:"seed"`
	VerifyKey string         `json:"verify_key"`
	Label     string         `json:"label"`
	Body      vectortest.Hex `json:"body"`
	Signature vectortest.Hex `json:"signature"`
}

func TestVectorsSignature(t *testing.T) {
	for _, c := range vectortest.Load[signatureVector](t, "keys-signature") {
		t.Run(c.Name, func(t *testing.T) {
			sk, err := keys.SigningKeyFromSeed(c.V.Seed)
			if err != nil {
				t.Fatal(err)
			}
			if got := sk.Public().String(); got != c.V.VerifyKey {
				t.Errorf("verify key %s, want %s", got, c.V.VerifyKey)
			}
			vk, err := keys.ParseVerifyKey(c.V.VerifyKey)
			if err != nil {
				t.Fatal(err)
			}
			label := protocol.Label(c.V.Label)
			if got := sk.Sign(label, c.V.Body); !bytes.Equal(got, c.V.Signature) {
				t.Errorf("signature %x, want %x", got, c.V.Signature)
			}
			if err := vk.Verify(label, c.V.Body, c.V.Signature); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := vk.Verify(label+"x", c.V.Body, c.V.Signature); !errors.Is(err, keys.ErrBadSignature) {
				t.Errorf("Verify under another label: %v, want ErrBadSignature", err)
			}
		})
	}
}

// wrappedIdentityVector: with crypto/rand seeded by Seed, a fresh identity
// (Identity) wrapped to a fresh recipient identity (To) gives Wrapped.
type wrappedIdentityVector struct {
	Comment  string         `json:"comment"`
	Seed     uint64         `json:"seed"`
	Identity string         `json:"identity"`
	To       string         `json:"to_identity"`
	Wrapped  vectortest.Hex `json:"wrapped"`
}

func TestVectorsWrappedIdentity(t *testing.T) {
	for _, c := range vectortest.Load[wrappedIdentityVector](t, "keys-wrapped-identity") {
		t.Run(c.Name, func(t *testing.T) {
			to, err := keys.ParseIdentity([]byte(c.V.To))
			if err != nil {
				t.Fatal(err)
			}
			got, err := keys.UnwrapIdentity(c.V.Wrapped, to.Age())
			if err != nil {
				t.Fatal(err)
			}
			if string(got.MarshalSecret()) != c.V.Identity {
				t.Error("unwrapped identity differs from the vector's")
			}
			cryptotest.SetGlobalRandom(t, c.V.Seed)
			id, toNew := keys.NewIdentity(), keys.NewIdentity()
			if !id.Equal(got) || !toNew.Equal(to) {
				t.Fatal("seeded identities differ from the vector's")
			}
			w, err := keys.WrapIdentity(id, to.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w, c.V.Wrapped) {
				t.Errorf("wrapped =\n%s\nwant\n%s", w, c.V.Wrapped)
			}
		})
	}
}

func TestSealSecretMisuse(t *testing.T) {
	k, other := keys.NewSymmetricKey(), keys.NewSymmetricKey()
	sealed := keys.SealSecret(k, protocol.LabelWrapAccountKey, []byte("account key bytes"))
	cases := []struct {
		name   string
		key    *keys.SymmetricKey
		label  protocol.Label
		sealed []byte
		want   error
	}{
		{"wrong key", other, protocol.LabelWrapAccountKey, sealed, keys.ErrWrongKey},
		{"wrong label", k, protocol.LabelWrapKeyring, sealed, keys.ErrWrongKey},
		{"flipped bit", k, protocol.LabelWrapAccountKey, flip(sealed, len(sealed)-1), keys.ErrWrongKey},
		{"truncated", k, protocol.LabelWrapAccountKey, sealed[:keys.SealedOverhead-1], keys.ErrMalformed},
		{"unknown version", k, protocol.LabelWrapAccountKey, flip(sealed, 0), keys.ErrMalformed},
		{"too large", k, protocol.LabelWrapAccountKey, make([]byte, protocol.MaxWrappedKey+1), keys.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := keys.OpenSecret(tc.key, tc.label, tc.sealed); !errors.Is(err, tc.want) {
				t.Errorf("OpenSecret: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestUnwrapIdentityMisuse(t *testing.T) {
	id, to, other := keys.NewIdentity(), keys.NewIdentity(), keys.NewIdentity()
	w, err := keys.WrapIdentity(id, to.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.UnwrapIdentity(w, other.Age()); !errors.Is(err, keys.ErrWrongKey) {
		t.Errorf("wrong identity: %v, want ErrWrongKey", err)
	}
	if _, err := keys.UnwrapIdentity(w[:20], to.Age()); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("truncated header: %v, want ErrMalformed", err)
	}
	// A cut in the payload is indistinguishable from tampering to an AEAD.
	if _, err := keys.UnwrapIdentity(w[:len(w)-5], to.Age()); !errors.Is(err, keys.ErrWrongKey) {
		t.Errorf("truncated payload: %v, want ErrWrongKey", err)
	}
	if _, err := keys.UnwrapIdentity(flip(w, len(w)-1), to.Age()); !errors.Is(err, keys.ErrWrongKey) {
		t.Errorf("altered payload: %v, want ErrWrongKey", err)
	}
	if _, err := keys.UnwrapIdentity(make([]byte, protocol.MaxWrappedKey+1), to.Age()); !errors.Is(err, keys.ErrTooLarge) {
		t.Errorf("oversize: %v, want ErrTooLarge", err)
	}
	// A wrapped symmetric key is not an identity.
	wk, err := keys.WrapKey(keys.NewSymmetricKey(), to.Recipient().Age())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.UnwrapIdentity(wk, to.Age()); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("key as identity: %v, want ErrMalformed", err)
	}
}

func TestWrapKeyRoundTrip(t *testing.T) {
	k, a, b := keys.NewSymmetricKey(), keys.NewIdentity(), keys.NewIdentity()
	w, err := keys.WrapKey(k, a.Recipient().Age(), b.Recipient().Age())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []*keys.Identity{a, b} {
		got, err := keys.UnwrapKey(w, id.Age())
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(k) {
			t.Error("unwrapped key differs")
		}
	}
	if _, err := keys.WrapKey(k); err == nil {
		t.Error("WrapKey to no recipients succeeded")
	}
}

func TestParseIdentityCanonical(t *testing.T) {
	id := keys.NewIdentity()
	s := id.MarshalSecret()
	if _, err := keys.ParseIdentity(bytes.ToLower(s)); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("lower-case identity: %v, want ErrMalformed", err)
	}
	r := id.Recipient().String()
	if _, err := keys.ParseRecipient(strings.ToUpper(r)); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("upper-case recipient: %v, want ErrMalformed", err)
	}
	var zero keys.Recipient
	if _, err := keys.WrapIdentity(id, zero); err == nil {
		t.Error("wrapping to the zero Recipient succeeded")
	}
}

func TestVerifyKeyText(t *testing.T) {
	vk := keys.NewSigningKey().Public()
	text, _ := vk.MarshalText()
	var back keys.VerifyKey
	if err := back.UnmarshalText(text); err != nil || back != vk {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "ed25519:", "ed25519:" + strings.Repeat("A", 42), "x25519:" + string(text[8:]), string(text) + "="} {
		if _, err := keys.ParseVerifyKey(bad); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("ParseVerifyKey(%q): %v, want ErrMalformed", bad, err)
		}
	}
	if err := vk.Verify(protocol.LabelGrant, nil, []byte("short")); !errors.Is(err, keys.ErrBadSignature) {
		t.Errorf("short signature: %v", err)
	}
}

// TestSecretsNeverPrint checks every way a secret type could reach a log.
func TestSecretsNeverPrint(t *testing.T) {
	sym, id, sk := keys.NewSymmetricKey(), keys.NewIdentity(), keys.NewSigningKey()
	secrets := map[string][]byte{
		"symmetric": sym.Bytes(),
		"identity":  id.MarshalSecret(),
		"signing":   sk.Seed(),
	}
	for _, v := range []any{sym, id, sk, *sym} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			out := fmt.Sprintf(verb, v)
			for name, s := range secrets {
				if strings.Contains(out, string(s)) || strings.Contains(out, fmt.Sprintf("%x", s)) || strings.Contains(strings.ToUpper(out), "AGE-SECRET-KEY") {
					t.Errorf("%s of %T leaks the %s secret: %q", verb, v, name, out)
				}
			}
		}
	}
	for _, v := range []interface{ MarshalJSON() ([]byte, error) }{sym, id, sk} {
		if _, err := v.MarshalJSON(); err == nil {
			t.Errorf("%T marshals to JSON", v)
		}
	}
}

func TestSecretsNotComparable(t *testing.T) {
	// The types embed a [0]func(), which makes == a compile error; this
	// checks it through reflection so that removing it fails a test.
	for _, v := range []any{keys.SymmetricKey{}, keys.Identity{}, keys.SigningKey{}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%T is comparable", v)
				}
			}()
			_ = v == v //nolint:staticcheck // the panic is what is tested
		}()
	}
}

func TestAgeInterop(t *testing.T) {
	// keys.Identity and keys.Recipient must work with age directly, so that
	// stock age tooling can open what Vellum writes.
	id := keys.NewIdentity()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, id.Recipient().Age())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello"))
	w.Close()
	parsed, err := age.ParseX25519Identity(string(id.MarshalSecret()))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Recipient().String() != id.Recipient().String() {
		t.Error("recipient differs from age's")
	}
}

// TestAgeErrorsDoNotQuoteInput: a "wrapped key" that is really a secret in
// clear must not come back inside the error.
func TestAgeErrorsDoNotQuoteInput(t *testing.T) {
	const marker = "CANARY-SECRET-7f3a"
	to := keys.NewIdentity()
	inputs := [][]byte{
		[]byte(marker + "\n"),
		[]byte("age-encryption.org/v1\n-> X25519 " + marker + "\n--- AAAA\n"),
		[]byte("age-encryption.org/v1\n" + marker + "\n"),
	}
	for _, in := range inputs {
		_, err := keys.UnwrapIdentity(in, to.Age())
		if err == nil {
			t.Fatalf("%q unwrapped", in)
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("error quotes the input: %v", err)
		}
	}
}

func TestVerifyKeyFromBytes(t *testing.T) {
	vk := keys.NewSigningKey().Public()
	if got, err := keys.VerifyKeyFromBytes(vk[:]); err != nil || got != vk {
		t.Fatalf("VerifyKeyFromBytes(key) = %v, %v", got, err)
	}
	for _, b := range [][]byte{nil, vk[:31], append(vk[:], 0), make([]byte, 32)} {
		if _, err := keys.VerifyKeyFromBytes(b); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("VerifyKeyFromBytes(%d bytes) = %v, want ErrMalformed", len(b), err)
		}
	}
}
