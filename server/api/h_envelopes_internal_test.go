package api

import (
	"bytes"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// signerSessionVector is one file of protocol/testdata/signer-session: a
// state secret, a signer session (SPEC part 75) and what opening it at Now
// gives. The nonce comes from crypto/rand seeded with Seed.
type signerSessionVector struct {
	Comment string         `json:"comment"`
	Seed    uint64         `json:"seed"`
	Secret  vectortest.Hex `json:"secret"`
	Token   string         `json:"token"`
	Now     int64          `json:"now"` // Unix seconds
	// For a token that opens: the sealed plaintext and its fields.
	Plaintext  vectortest.Hex `json:"plaintext,omitempty"`
	Issued     int64          `json:"issued,omitempty"`
	Expires    int64          `json:"expires,omitempty"`
	Envelope   string         `json:"envelope,omitempty"`
	Signer     string         `json:"signer,omitempty"`
	Generation uint64         `json:"generation,omitempty"`
	// Refused: the token does not open (the link routes answer
	// unauthenticated).
	Refused bool `json:"refused,omitempty"`
}

const signerSessionFormat = "signer-session"

func sealSignerVector(t *testing.T, seed uint64, secret, pt []byte) string {
	var tok string
	t.Run("seal", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		s, err := newSecrets(secret)
		if err != nil {
			t.Fatal(err)
		}
		tok = s.sealSignerPlaintext(pt)
	})
	if tok == "" {
		t.FailNow()
	}
	return tok
}

func buildSignerSessionVectors(t *testing.T) map[string]signerSessionVector {
	secret := fill(0x5e, 32)
	var env, sig store.ID
	copy(env[:], fill(0xe1, 16))
	copy(sig[:], fill(0x51, 16))
	issued := loginVecT0
	cl := &signerClaims{issued: issued, expires: issued.Add(signerSessionTTL), envelope: env, signer: sig, gen: 2}
	now := issued.Add(time.Minute).Unix()
	var known string
	t.Run("seal-known", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 1)
		s, err := newSecrets(secret)
		if err != nil {
			t.Fatal(err)
		}
		known = s.sealSigner(cl)
	})
	if known == "" {
		t.FailNow()
	}
	pt := signerPlaintext(cl)
	if again := sealSignerVector(t, 1, secret, pt); again != known {
		t.Fatal("sealSigner does not seal the documented plaintext")
	}
	raw, err := b64url.DecodeString(known)
	if err != nil {
		t.Fatal(err)
	}
	alter := func(f func(b []byte) []byte) string { return b64url.EncodeToString(f(bytes.Clone(raw))) }
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(raw)%3 == 0 {
		t.Fatalf("a token of %d bytes has no unused bits", len(raw))
	}
	last := strings.IndexByte(alphabet, known[len(known)-1])
	bad := func(comment string, seed uint64, sec []byte, tok string, at int64) signerSessionVector {
		return signerSessionVector{Comment: comment, Seed: seed, Secret: sec, Token: tok, Now: at, Refused: true}
	}
	return map[string]signerSessionVector{
		"valid": {Comment: "a signer session: unpadded base64url of 0x01 ‖ nonce[24] ‖ XChaCha20-Poly1305 under " +
			"HKDF-SHA-256(secret, no salt, \"vellum-kdf/signer-session/v1\"), ad \"vellum-signer-session/v1\" ‖ 0x0a ‖ 0x01, of " +
			"issued[8] ‖ expires[8] (Unix s, big-endian) ‖ envelope[16] ‖ signer[16] ‖ link generation[8, big-endian]",
			Seed: 1, Secret: secret, Token: known, Now: now, Plaintext: pt, Issued: cl.issued.Unix(), Expires: cl.expires.Unix(),
			Envelope: env.String(), Signer: sig.String(), Generation: cl.gen},
		"expired":       bad("the valid token opened at its expiry second", 1, secret, known, cl.expires.Unix()),
		"tampered":      bad("the valid token with one ciphertext bit flipped", 1, secret, alter(func(b []byte) []byte { b[1+chacha20poly1305.NonceSizeX+3] ^= 1; return b }), now),
		"version":       bad("the valid token with version byte 0x02", 1, secret, alter(func(b []byte) []byte { b[0] = 2; return b }), now),
		"truncated":     bad("the valid token without its last byte", 1, secret, alter(func(b []byte) []byte { return b[:len(b)-1] }), now),
		"non-canonical": bad("the valid token with unused bits set in its last base64url character", 1, secret, known[:len(known)-1]+string(alphabet[last^1]), now),
		"other-secret":  bad("the valid token opened under another state secret", 1, fill(0x5f, 32), known, now),
		"login-state":   bad("a token sealed like a signer session under the login-state key: keys are apart", 3, secret, loginKeyToken(t, secret, pt), now),
		"short":         bad("a token that opens, holding a plaintext one byte short", 4, secret, sealSignerVector(t, 4, secret, pt[:len(pt)-1]), now),
	}
}

// loginKeyToken seals pt in the signer-session layout, but under the
// login-state key.
func loginKeyToken(t *testing.T, secret, pt []byte) string {
	var tok string
	t.Run("seal-login-key", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 3)
		s, err := newSecrets(secret)
		if err != nil {
			t.Fatal(err)
		}
		s.signer = s.aead
		tok = s.sealSignerPlaintext(pt)
	})
	return tok
}

// TestSignerSessionVectorsGenerate rebuilds every vector from its seed and
// compares byte for byte; with -update it rewrites them.
func TestSignerSessionVectorsGenerate(t *testing.T) {
	built := buildSignerSessionVectors(t)
	if *vectortest.Update {
		for name, v := range built {
			vectortest.Write(t, signerSessionFormat, name, v)
		}
		return
	}
	cases := vectortest.Load[signerSessionVector](t, signerSessionFormat)
	if len(cases) != len(built) {
		t.Fatalf("%d vector files, the generator makes %d", len(cases), len(built))
	}
	for _, c := range cases {
		want, ok := built[c.Name]
		if !ok {
			t.Fatalf("vector %s is not made by the generator", c.Name)
		}
		if c.V.Token != want.Token || !bytes.Equal(c.V.Plaintext, want.Plaintext) || !bytes.Equal(c.V.Secret, want.Secret) ||
			c.V.Now != want.Now || c.V.Refused != want.Refused || c.V.Comment != want.Comment {
			t.Fatalf("vector %s differs from what the code produces", c.Name)
		}
	}
}

// TestSignerSessionVectors opens every vector's token as the link routes do.
func TestSignerSessionVectors(t *testing.T) {
	for _, c := range vectortest.Load[signerSessionVector](t, signerSessionFormat) {
		t.Run(c.Name, func(t *testing.T) {
			s, err := newSecrets(c.V.Secret)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.openSigner(c.V.Token, time.Unix(c.V.Now, 0))
			if c.V.Refused {
				if ok {
					t.Fatal("opened")
				}
				return
			}
			if !ok {
				t.Fatal("refused")
			}
			if got.issued.Unix() != c.V.Issued || got.expires.Unix() != c.V.Expires || got.envelope.String() != c.V.Envelope ||
				got.signer.String() != c.V.Signer || got.gen != c.V.Generation {
				t.Fatal("the token opens to other claims than the vector's")
			}
			if !bytes.Equal(signerPlaintext(got), c.V.Plaintext) {
				t.Fatal("the plaintext is not issued ‖ expires ‖ envelope ‖ signer ‖ generation")
			}
		})
	}
}

// FuzzSignerSession: a signer session opens only as sealed, by the key
// that sealed it, before its expiry; nothing panics.
func FuzzSignerSession(f *testing.F) {
	sec, err := newSecrets(fill(0x5e, 32))
	if err != nil {
		f.Fatal(err)
	}
	var valid signerSessionVector
	for _, c := range vectortest.Load[signerSessionVector](f, signerSessionFormat) {
		if c.Name == "valid" {
			valid = c.V
		}
	}
	for _, s := range vectortest.Seeds(f, signerSessionFormat, func(v signerSessionVector) []byte { return []byte(v.Token) }) {
		f.Add(string(s))
	}
	f.Add("")
	f.Add(strings.Repeat("A", protocol.MaxSessionToken+1))
	now := time.Unix(valid.Now, 0)
	f.Fuzz(func(t *testing.T, tok string) {
		got, ok := sec.openSigner(tok, now)
		if !ok {
			return
		}
		if got.envelope.String() != valid.Envelope || got.signer.String() != valid.Signer || got.gen != valid.Generation {
			t.Fatalf("%q opened to other claims", tok)
		}
		// Parse → encode: the token is the canonical text of its bytes.
		raw, err := b64url.DecodeString(tok)
		if err != nil || b64url.EncodeToString(raw) != tok {
			t.Fatal("an opened token is not canonical base64url")
		}
	})
}

// TestCheckLinkWrap: only the form link.Wrap gives is stored.
func TestCheckLinkWrap(t *testing.T) {
	good, err := link.Wrap(keys.NewIdentity(), link.NewSecret(), link.NewPIN())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkLinkWrap(good); err != nil {
		t.Fatalf("a link wrap: %v", err)
	}
	x25519, err := document.WrapKey(keys.NewIdentity(), keys.NewIdentity().Recipient())
	if err != nil {
		t.Fatal(err)
	}
	// An age file to a passphrase at age's default work factor: a sender
	// must not make a signer's browser pay for it.
	var heavy bytes.Buffer
	r, _ := age.NewScryptRecipient("passphrase")
	r.SetWorkFactor(protocol.LinkScryptLogN + 1)
	w, _ := age.Encrypt(&heavy, r)
	w.Write(bytes.Repeat([]byte{'k'}, len(good)-250))
	w.Close()
	for name, b := range map[string][]byte{
		"empty":              nil,
		"an X25519 wrap":     x25519,
		"truncated":          good[:len(good)-1],
		"longer":             append(bytes.Clone(good), 0),
		"not age":            []byte("age-encryption.org/v1\n-> scrypt\n"),
		"heavy work factor":  heavy.Bytes(),
		"over the size":      bytes.Repeat([]byte{'a'}, protocol.MaxWrappedKey+1),
		"altered header MAC": altered(good),
	} {
		if err := checkLinkWrap(b); protocol.CodeOf(err) != protocol.CodeBadEncoding {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// altered flips a bit of a wrap's header MAC, which the form check cannot
// see (it has no key), then breaks the header's line: refused.
func altered(b []byte) []byte {
	c := bytes.Clone(b)
	i := bytes.Index(c, []byte("\n---"))
	c[i] = ' '
	return c
}

// TestEsignRecords: stored records are canonical CBOR, and a record that
// is not (or of another version) is refused, not misread.
func TestEsignRecords(t *testing.T) {
	d := envelopeRecord{Version: recordVersion, DocVersion: 1, Expires: 1_800_000_000, Signers: []store.ID{store.NewID()}}
	b, err := protocol.MarshalCBORMax(&d, maxEsignRecord)
	if err != nil {
		t.Fatal(err)
	}
	var back envelopeRecord
	if err := protocol.UnmarshalCBORMax(b, &back, maxEsignRecord); err != nil || back.Signers[0] != d.Signers[0] {
		t.Fatalf("round trip: %v", err)
	}
	s := signerRecord{Version: recordVersion, Order: 1, Name: "Dora", Email: "dora@example.org", Failures: 5}
	sb, err := protocol.MarshalCBORMax(&s, maxEsignRecord)
	if err != nil {
		t.Fatal(err)
	}
	st := &store.Signer{ID: store.NewID(), Data: sb, State: signerOpened}
	if got := (&signer{rec: st, data: s}).status(); got.State != protocol.SignerLocked || got.FailedTries != 5 {
		t.Errorf("a link with %d wrong tries: %+v", s.Failures, got)
	}
	if err := protocol.UnmarshalCBORMax(append(sb, 0), &s, maxEsignRecord); err == nil {
		t.Error("a record with trailing bytes decoded")
	}
}
