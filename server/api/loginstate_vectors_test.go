package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// loginStateVector is one file of protocol/testdata/login-state: a state
// secret, a login-state token (SPEC part 70, §Sign-up and login), and what
// opening it at Now gives. The nonce comes from crypto/rand seeded with
// Seed; the OPAQUE login state is the one of
// protocol/testdata/opaque-messages/server-login-state.json.
type loginStateVector struct {
	Comment string         `json:"comment"`
	Seed    uint64         `json:"seed"`
	Secret  vectortest.Hex `json:"secret"`
	Token   string         `json:"token"`
	Now     int64          `json:"now"` // Unix seconds
	// For tokens that open: the sealed plaintext and its fields.
	Plaintext vectortest.Hex `json:"plaintext,omitempty"`
	Expires   int64          `json:"expires,omitempty"`
	Account   string         `json:"account,omitempty"` // empty: the zero account (an unknown address)
	Tag       vectortest.Hex `json:"tag,omitempty"`
	State     vectortest.Hex `json:"state,omitempty"`
	// Error is the API error code of a token that does not open.
	Error string `json:"error,omitempty"`
}

const loginStateFormat = "login-state"

var loginVecT0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// opaqueLoginState is the server login state of the OPAQUE vectors.
func opaqueLoginState(t *testing.T) []byte {
	t.Helper()
	data, err := fs.ReadFile(protocol.Vectors, "testdata/opaque-messages/server-login-state.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Bytes vectortest.Hex `json:"bytes"`
	}
	if err := json.Unmarshal(data, &v); err != nil || len(v.Bytes) == 0 {
		t.Fatalf("opaque-messages/server-login-state: %v", err)
	}
	return v.Bytes
}

func fill(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// loginPlaintext is the plaintext layout of a login-state token.
func loginPlaintext(expires time.Time, account store.ID, tag [32]byte, state []byte) []byte {
	pt := binary.BigEndian.AppendUint64(nil, uint64(expires.Unix()))
	pt = append(pt, account[:]...)
	pt = append(pt, tag[:]...)
	return append(pt, state...)
}

// sealVector seals pt under secret with crypto/rand seeded by seed.
func sealVector(t *testing.T, seed uint64, secret, pt []byte) string {
	var tok string
	t.Run("seal", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		s, err := newSecrets(secret)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err = s.sealLoginPlaintext(pt); err != nil {
			t.Fatal(err)
		}
	})
	if tok == "" {
		t.FailNow()
	}
	return tok
}

func buildLoginStateVectors(t *testing.T) map[string]loginStateVector {
	secret := fill(0x5e, 32)
	state := opaqueLoginState(t)
	st, err := opaque.ParseServerLoginState(state)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.MarshalSecret(), state) {
		t.Fatal("the OPAQUE vector's login state does not round-trip")
	}
	var acct store.ID
	copy(acct[:], fill(0xa1, 16))
	var tag, tag2 [32]byte
	copy(tag[:], fill(0x7a, 32))
	copy(tag2[:], fill(0x7b, 32))
	expires := loginVecT0.Add(loginStateTTL)
	now := loginVecT0.Add(10 * time.Second).Unix()

	// The valid token is made by sealLogin itself, so the vector pins the
	// code path the server runs, not a copy of it.
	var known string
	t.Run("seal-known", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 1)
		s, err := newSecrets(secret)
		if err != nil {
			t.Fatal(err)
		}
		if known, err = s.sealLogin(&loginState{expires: expires, account: acct, tag: tag, state: st}); err != nil {
			t.Fatal(err)
		}
	})
	if known == "" {
		t.FailNow()
	}
	knownPT := loginPlaintext(expires, acct, tag, state)
	if again := sealVector(t, 1, secret, knownPT); again != known {
		t.Fatal("sealLogin does not seal the documented plaintext")
	}
	unknownPT := loginPlaintext(expires, store.ID{}, tag2, state)
	unknown := sealVector(t, 2, secret, unknownPT)

	raw, err := b64url.DecodeString(known)
	if err != nil {
		t.Fatal(err)
	}
	alter := func(f func(b []byte) []byte) string {
		return b64url.EncodeToString(f(bytes.Clone(raw)))
	}
	tampered := alter(func(b []byte) []byte { b[1+chacha20poly1305.NonceSizeX+3] ^= 0x01; return b })
	version := alter(func(b []byte) []byte { b[0] = 0x02; return b })
	truncated := alter(func(b []byte) []byte { return b[:len(b)-1] })
	// Unused bits in the last base64url character: lenient decoders read
	// the same bytes; the strict one refuses the text.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(raw)%3 == 0 {
		t.Fatalf("a token of %d bytes has no unused bits", len(raw))
	}
	last := strings.IndexByte(alphabet, known[len(known)-1])
	nonCanon := known[:len(known)-1] + string(alphabet[last^1])
	badState := bytes.Clone(knownPT)
	badState[8+16+32] = 0x02 // the OPAQUE state's version byte
	shortPT := knownPT[:8+16+32-1]

	ok := func(comment string, seed uint64, tok string, pt []byte, account store.ID, tg [32]byte) loginStateVector {
		v := loginStateVector{Comment: comment, Seed: seed, Secret: secret, Token: tok, Now: now,
			Plaintext: pt, Expires: expires.Unix(), Tag: tg[:], State: state}
		if !account.IsZero() {
			v.Account = account.String()
		}
		return v
	}
	bad := func(comment string, seed uint64, sec []byte, tok string, at int64, code protocol.Code) loginStateVector {
		return loginStateVector{Comment: comment, Seed: seed, Secret: sec, Token: tok, Now: at, Error: string(code)}
	}
	return map[string]loginStateVector{
		"known-account": ok("a login-state token: unpadded base64url of 0x01 ‖ nonce[24] ‖ XChaCha20-Poly1305 under "+
			"HKDF-SHA-256(secret, no salt, \"vellum-kdf/login-state/v1\"), ad \"vellum-login-state/v1\" ‖ 0x0a ‖ 0x01, of "+
			"expires[8, Unix s, big-endian] ‖ account[16] ‖ lock-out tag[32] ‖ OPAQUE server login state", 1, known, knownPT, acct, tag),
		"unknown-address": ok("a login of an address without an account: the account is 16 zero bytes", 2, unknown, unknownPT, store.ID{}, tag2),
		"expired":         bad("the known-account token opened at its expiry second", 1, secret, known, expires.Unix(), protocol.CodeExpired),
		"tampered":        bad("the known-account token with one ciphertext bit flipped", 1, secret, tampered, now, protocol.CodeAuthFailed),
		"version":         bad("the known-account token with version byte 0x02", 1, secret, version, now, protocol.CodeAuthFailed),
		"truncated":       bad("the known-account token without its last byte", 1, secret, truncated, now, protocol.CodeAuthFailed),
		"non-canonical":   bad("the known-account token with unused bits set in its last base64url character", 1, secret, nonCanon, now, protocol.CodeAuthFailed),
		"other-secret":    bad("the known-account token opened under another state secret", 1, fill(0x5f, 32), known, now, protocol.CodeAuthFailed),
		"bad-state": bad("a token that opens, holding an OPAQUE login state of an unknown version", 3, secret,
			sealVector(t, 3, secret, badState), now, protocol.CodeAuthFailed),
		"short": bad("a token that opens, holding a plaintext one byte shorter than expires ‖ account ‖ tag", 4, secret,
			sealVector(t, 4, secret, shortPT), now, protocol.CodeAuthFailed),
	}
}

// TestLoginStateVectorsGenerate rebuilds every vector from its seed and
// compares byte for byte; with -update it rewrites them.
func TestLoginStateVectorsGenerate(t *testing.T) {
	built := buildLoginStateVectors(t)
	if *vectortest.Update {
		for name, v := range built {
			vectortest.Write(t, loginStateFormat, name, v)
		}
		return
	}
	cases := vectortest.Load[loginStateVector](t, loginStateFormat)
	if len(cases) != len(built) {
		t.Fatalf("%d vector files, the generator makes %d", len(cases), len(built))
	}
	for _, c := range cases {
		want, ok := built[c.Name]
		if !ok {
			t.Fatalf("vector %s is not made by the generator", c.Name)
		}
		if c.V.Token != want.Token || !bytes.Equal(c.V.Plaintext, want.Plaintext) || !bytes.Equal(c.V.Secret, want.Secret) ||
			c.V.Now != want.Now || c.V.Error != want.Error {
			t.Fatalf("vector %s differs from what the code produces", c.Name)
		}
	}
}

// TestLoginStateVectors opens every vector's token as login/finish does.
func TestLoginStateVectors(t *testing.T) {
	for _, c := range vectortest.Load[loginStateVector](t, loginStateFormat) {
		t.Run(c.Name, func(t *testing.T) {
			s, err := newSecrets(c.V.Secret)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.openLogin(c.V.Token, time.Unix(c.V.Now, 0))
			if c.V.Error != "" {
				if err == nil || protocol.CodeOf(err) != protocol.Code(c.V.Error) {
					t.Fatalf("openLogin = %v, want %s", err, c.V.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var acct store.ID
			if c.V.Account != "" {
				if acct, err = store.ParseID(c.V.Account); err != nil {
					t.Fatal(err)
				}
			}
			if got.account != acct || !bytes.Equal(got.tag[:], c.V.Tag) || got.expires.Unix() != c.V.Expires ||
				!bytes.Equal(got.state.MarshalSecret(), c.V.State) {
				t.Fatal("the token opens to other fields than the vector's")
			}
			// The sealed bytes are exactly the vector's plaintext.
			raw, err := b64url.DecodeString(c.V.Token)
			if err != nil {
				t.Fatal(err)
			}
			n := 1 + chacha20poly1305.NonceSizeX
			pt, err := s.aead.Open(nil, raw[1:n], raw[n:], loginAD())
			if err != nil || !bytes.Equal(pt, c.V.Plaintext) {
				t.Fatalf("plaintext differs: %x", pt)
			}
			if !bytes.Equal(pt, loginPlaintext(got.expires, got.account, got.tag, c.V.State)) {
				t.Fatal("the plaintext is not expires ‖ account ‖ tag ‖ state")
			}
		})
	}
}
