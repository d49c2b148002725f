package session

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// tokenVector is one file of protocol/testdata/session-token: a keyset file,
// a token, and what checking the token at Now against an account at Epoch
// gives. Keyset and nonce come from crypto/rand seeded with Seed.
type tokenVector struct {
	Comment string         `json:"comment"`
	Seed    uint64         `json:"seed"`
	Keyset  vectortest.Hex `json:"keyset"`
	Token   string         `json:"token"`
	// Payload is the sealed claims CBOR (positive vectors only).
	Payload vectortest.Hex `json:"payload,omitempty"`
	Now     int64          `json:"now"` // Unix seconds
	Kind    string         `json:"kind"`
	Epoch   uint64         `json:"epoch"`
	Account string         `json:"account,omitempty"`
	Error   string         `json:"error,omitempty"`
}

const tokenFormat = "session-token"

var vecT0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func vecID(b byte) store.ID {
	var id store.ID
	for i := range id {
		id[i] = b
	}
	return id
}

// makeToken issues a token for claims c under a fresh keyset, with
// crypto/rand seeded by seed; if rotate, the keyset is rotated after.
func makeToken(t *testing.T, seed uint64, c Claims, rotate bool) (ks []byte, tok string, body []byte) {
	t.Run("issue", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		k := NewKeyset(vecT0)
		s, err := New(Config{Keyset: k, Now: func() time.Time { return vecT0 }})
		if err != nil {
			t.Fatal(err)
		}
		var claims Claims
		tok, claims, err = s.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		if rotate {
			k.Rotate(vecT0.Add(time.Hour))
		}
		if ks, err = k.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		body, err = protocol.MarshalCBOR(&payload{Account: claims.Account, Tenant: claims.Tenant, Kind: claims.Kind,
			Issued: claims.Issued.Unix(), Expires: claims.Expires.Unix(), Epoch: claims.Epoch, Device: claims.Device})
		if err != nil {
			t.Fatal(err)
		}
	})
	return ks, tok, body
}

func buildTokenVectors(t *testing.T) map[string]tokenVector {
	acct := vecID(0xa1)
	now := vecT0.Add(5 * time.Minute).Unix()
	ks, access, body := makeToken(t, 1, Claims{Account: acct, Kind: KindAccess, Epoch: 3}, false)
	ks2, refresh, body2 := makeToken(t, 2, Claims{Account: acct, Tenant: vecID(0x11), Device: vecID(0xde), Kind: KindRefresh, Epoch: 3}, false)
	ks3, rotated, body3 := makeToken(t, 3, Claims{Account: acct, Kind: KindRefresh, Epoch: 3}, true)
	raw, err := parseToken(access)
	if err != nil {
		t.Fatal(err)
	}
	flipped := *raw
	flipped.sealed = append([]byte(nil), raw.sealed...)
	flipped.sealed[3] ^= 0x01
	otherKey := *raw
	otherKey.keyID ^= 0x01
	// The last base64url character of the access token carries unused
	// bits; setting one gives text that decodes to the same bytes under
	// lenient decoders. Strict decoding refuses it.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if n := len(raw.header()) + len(raw.nonce) + len(raw.sealed); n%3 == 0 {
		t.Fatalf("a token of %d bytes has no unused bits", n)
	}
	last := strings.IndexByte(alphabet, access[len(access)-1])
	nonCanon := access[:len(access)-1] + string(alphabet[last^1])

	v := func(comment string, seed uint64, ks []byte, tok string, kind string, now int64, epoch uint64, errName string) tokenVector {
		return tokenVector{Comment: comment, Seed: seed, Keyset: ks, Token: tok, Now: now, Kind: kind, Epoch: epoch, Error: errName}
	}
	ok := func(tv tokenVector, p []byte) tokenVector {
		tv.Payload, tv.Account = p, acct.String()
		return tv
	}
	return map[string]tokenVector{
		"access": ok(v("an access token: 0x01 ‖ key ID ‖ nonce ‖ XChaCha20-Poly1305 under HKDF-SHA-256(secret, info \"vellum-kdf/session-token/v1\"), "+
			"ad \"vellum-session-token/v1\" ‖ 0x0a ‖ 0x01 ‖ key ID; claims CBOR {1: account, 2: tenant (zero), 3: kind 1, 4: issued, 5: expires, 6: epoch, 7: device (zero)}",
			1, ks, access, "access", now, 3, ""), body),
		"refresh":       ok(v("a refresh token bound to a tenant and a trusted device, 30 days", 2, ks2, refresh, "refresh", now, 3, ""), body2),
		"rotated":       ok(v("a refresh token sealed by a key that has since been retired: still accepted", 3, ks3, rotated, "refresh", vecT0.Add(2*time.Hour).Unix(), 3, ""), body3),
		"tampered":      v("the access token with one ciphertext bit flipped", 1, ks, flipped.String(), "access", now, 3, "invalid"),
		"unknown-key":   v("the access token with its key ID changed: no such key", 1, ks, otherKey.String(), "access", now, 3, "unknown_key"),
		"expired":       v("the access token checked at its expiry second", 1, ks, access, "access", vecT0.Add(DefaultAccessTTL).Unix(), 3, "expired"),
		"revoked":       v("the access token checked against an account whose epoch moved to 4", 1, ks, access, "access", now, 4, "revoked"),
		"wrong-kind":    v("the access token presented as a refresh token", 1, ks, access, "refresh", now, 3, "invalid"),
		"non-canonical": v("the access token with unused bits set in its last base64url character", 1, ks, nonCanon, "access", now, 3, "invalid"),
	}
}

var tokenErrs = map[string]error{"invalid": ErrInvalid, "unknown_key": ErrUnknownKey, "expired": ErrExpired, "revoked": ErrRevoked}

func TestTokenVectorsGenerate(t *testing.T) {
	built := buildTokenVectors(t)
	if *vectortest.Update {
		for name, v := range built {
			vectortest.Write(t, tokenFormat, name, v)
		}
		return
	}
	cases := vectortest.Load[tokenVector](t, tokenFormat)
	if len(cases) != len(built) {
		t.Fatalf("%d vector files, the generator makes %d", len(cases), len(built))
	}
	for _, c := range cases {
		want := built[c.Name]
		if c.V.Token != want.Token || !bytes.Equal(c.V.Keyset, want.Keyset) || !bytes.Equal(c.V.Payload, want.Payload) {
			t.Fatalf("vector %s differs from what the code produces", c.Name)
		}
	}
}

func TestTokenVectors(t *testing.T) {
	for _, c := range vectortest.Load[tokenVector](t, tokenFormat) {
		t.Run(c.Name, func(t *testing.T) {
			ks, err := ParseKeyset(c.V.Keyset)
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(Config{Keyset: ks, Now: func() time.Time { return time.Unix(c.V.Now, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			kind := map[string]Kind{"access": KindAccess, "refresh": KindRefresh}[c.V.Kind]
			claims, err := s.Verify(c.V.Token, kind, func(store.ID) (uint64, error) { return c.V.Epoch, nil })
			if c.V.Error != "" {
				if !errors.Is(err, tokenErrs[c.V.Error]) {
					t.Fatalf("Verify = %v, want %s", err, c.V.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if claims.Account.String() != c.V.Account {
				t.Fatal("account differs")
			}
			// The sealed payload is exactly the vector's CBOR.
			raw, _ := parseToken(c.V.Token)
			body, err := ks.lookup(raw.keyID).aead.Open(nil, raw.nonce, raw.sealed, additionalData(raw.header()))
			if err != nil || !bytes.Equal(body, c.V.Payload) {
				t.Fatalf("payload differs: %x", body)
			}
		})
	}
}

// FuzzParseToken: any text the parser accepts re-encodes to itself, and
// opening arbitrary text under a real keyset never panics and never
// succeeds for text that was not issued.
func FuzzParseToken(f *testing.F) {
	cases := vectortest.Load[tokenVector](f, tokenFormat)
	for _, c := range cases {
		f.Add(c.V.Token)
	}
	ks, err := ParseKeyset(cases[0].V.Keyset)
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{Keyset: ks, Now: func() time.Time { return vecT0 }})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{}
	for _, c := range cases {
		if c.V.Error == "" {
			issued[c.V.Token] = true
		}
	}
	f.Fuzz(func(t *testing.T, s0 string) {
		if raw, err := parseToken(s0); err == nil && raw.String() != s0 {
			t.Fatalf("accepted non-canonical token text")
		}
		for _, k := range []Kind{KindAccess, KindRefresh} {
			if _, err := s.Open(s0, k); err == nil && !issued[s0] {
				t.Fatalf("opened a token that was never issued")
			}
		}
	})
}
