package link_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/protocol"
)

// Vector formats of this package, in protocol/testdata:
//
//	link-url       signing links, and the links Parse refuses
//	link-verifier  PIN verifiers and their hashes
//	link-wrap      document keys wrapped under secret ‖ PIN, and what Unwrap refuses
//
// Every vector is rebuilt by the generators below and compared with the
// stored file; `go test ./keys/link -run UpdateVectors -update` rewrites them.

var sentinels = map[string]error{
	"":            nil,
	"malformed":   link.ErrMalformed,
	"too_large":   link.ErrTooLarge,
	"wrong_pin":   link.ErrWrongPIN,
	"wrong_key":   link.ErrWrongKey,
	"work_factor": link.ErrWorkFactor,
}

func wantErr(t *testing.T, what string, err error, name string) {
	t.Helper()
	vectortest.WantError(t, what, err, name, sentinels)
}

func seqFrom(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// secretFrom makes a Secret from 32 bytes through its text form.
func secretFrom(t testing.TB, b []byte) *link.Secret {
	t.Helper()
	s, err := link.ParseSecret(b64(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pinFrom(t testing.TB, s string) *link.PIN {
	t.Helper()
	p, err := link.ParsePIN(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.Strict().DecodeString(s) }

// unusedBitsSet returns the base64url character c with its two low bits set:
// the last character of 32 encoded bytes carries only 4 bits.
func unusedBitsSet(c byte) string { return string(alphabet[strings.IndexByte(alphabet, c)|3]) }

// offByOne changes the last digit of a PIN.
func offByOne(pin string) string {
	return pin[:5] + string('0'+(pin[5]-'0'+1)%10)
}

// urlVector: Parse(URL) gives Origin, EnvelopeID, SignerID and Secret, and
// URL() of the result is URL again; or Parse fails with Error.
type urlVector struct {
	Comment    string         `json:"comment"`
	URL        string         `json:"url"`
	Origin     string         `json:"origin,omitempty"`
	EnvelopeID string         `json:"envelope_id,omitempty"`
	SignerID   string         `json:"signer_id,omitempty"`
	Secret     vectortest.Hex `json:"secret,omitempty"`
	Error      string         `json:"error,omitempty"`
}

func urlVectors(t *testing.T) map[string]urlVector {
	secret := seqFrom(0x00, 32)
	frag := b64(secret)
	const id, sid = "env_4Jq9-ZZ", "sgn-7Hc2"
	const path = "/sign/" + id + "/" + sid
	good := func(comment, origin string) urlVector {
		return urlVector{Comment: comment, URL: origin + path + "#" + frag, Origin: origin, EnvelopeID: id, SignerID: sid, Secret: secret}
	}
	bad := func(comment, url string) urlVector {
		return urlVector{Comment: comment, URL: url, Error: "malformed"}
	}
	const host = "https://vellum.example.com"
	return map[string]urlVector{
		"host":           good("https://<host>/sign/<envelope id>/<signer id>#<secret>: the secret is 32 bytes (here 0x00..0x1f) in unpadded base64url, 43 characters", host),
		"port":           good("a port other than 443", "https://localhost:8443"),
		"ipv4":           good("an IPv4 address", "https://192.0.2.7"),
		"ipv6":           good("a bracketed IPv6 address in canonical form, with a port", "https://[2001:db8::1]:8443"),
		"http":           bad("http, not https", "http://vellum.example.com"+path+"#"+frag),
		"upper-host":     bad("an upper-case host name", "https://Vellum.example.com"+path+"#"+frag),
		"port-443":       bad("the default port written out", "https://vellum.example.com:443"+path+"#"+frag),
		"port-zero":      bad("a port with a leading zero", "https://vellum.example.com:08443"+path+"#"+frag),
		"userinfo":       bad("user info before the host", "https://a@vellum.example.com"+path+"#"+frag),
		"query":          bad("a query", host+path+"?x=1#"+frag),
		"no-fragment":    bad("no #secret", host+path),
		"short-secret":   bad("a secret of 42 characters", host+path+"#"+frag[:42]),
		"padded":         bad("a secret with base64 padding", host+path+"#"+frag+"="),
		"noncanonical":   bad("the secret with the two unused low bits of its last character set: not canonical base64url", host+path+"#"+frag[:42]+unusedBitsSet(frag[42])),
		"std-base64":     bad("a secret in standard base64 (+ and /), not base64url", host+path+"#"+strings.NewReplacer("-", "+", "_", "/").Replace(b64(seqFrom(0xf0, 32)))),
		"escaped":        bad("a percent-escape in the envelope id", host+"/sign/env%5F1/"+sid+"#"+frag),
		"slash":          bad("a trailing slash after the signer id", host+path+"/#"+frag),
		"other-path":     bad("a path other than /sign/", host+"/open/"+id+"/"+sid+"#"+frag),
		"no-signer":      bad("the envelope id alone, without a signer id (an older form): the server could not tell which signer's tries to count", host+"/sign/"+id+"#"+frag),
		"empty-signer":   bad("an empty signer id", host+"/sign/"+id+"/#"+frag),
		"extra-segment":  bad("a third path segment", host+path+"/x#"+frag),
		"escaped-signer": bad("a percent-escaped slash in the signer id", host+"/sign/"+id+"/a%2Fb#"+frag),
		"ipv4-zero":      bad("an IPv4 address with a leading zero", "https://192.0.2.07"+path+"#"+frag),
		"ipv6-long":      bad("an IPv6 address not in canonical form", "https://[2001:db8:0:0:0:0:0:1]"+path+"#"+frag),
		"trailing-dot":   bad("a host name with a trailing dot", "https://vellum.example.com."+path+"#"+frag),
		"too-long": {Comment: "a link over protocol.MaxLinkURL bytes", Error: "too_large",
			URL: host + path + "#" + frag + strings.Repeat("A", protocol.MaxLinkURL)},
	}
}

func TestVectorsURL(t *testing.T) {
	gen := urlVectors(t)
	for _, c := range vectortest.Load[urlVector](t, "link-url") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			l, err := link.Parse(v.URL)
			wantErr(t, "Parse", err, v.Error)
			if err != nil {
				return
			}
			if l.Origin != v.Origin || l.EnvelopeID != v.EnvelopeID || l.SignerID != v.SignerID || !l.Secret.Equal(secretFrom(t, v.Secret)) {
				t.Errorf("Parse = %s %s %s", l.Origin, l.EnvelopeID, l.SignerID)
			}
			if l.URL() != v.URL {
				t.Errorf("URL() = %s", l.URL())
			}
		})
	}
}

// verifierVector: MakeVerifier(Secret, PIN) = Verifier and its SHA-256 is
// Hash. Presenting the verifier of PresentedPIN (default PIN) against Hash
// gives Error.
type verifierVector struct {
	Comment      string         `json:"comment"`
	Secret       vectortest.Hex `json:"secret"`
	PIN          string         `json:"pin"`
	Verifier     vectortest.Hex `json:"verifier"`
	Hash         vectortest.Hex `json:"verifier_hash"`
	PresentedPIN string         `json:"presented_pin,omitempty"`
	OtherSecret  vectortest.Hex `json:"presented_secret,omitempty"`
	Error        string         `json:"error,omitempty"`
}

func verifierVectors(t *testing.T) map[string]verifierVector {
	build := func(comment string, secret []byte, pin string) verifierVector {
		v := link.MakeVerifier(secretFrom(t, secret), pinFrom(t, pin))
		raw, err := decodeB64(v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		h := v.Hash()
		return verifierVector{Comment: comment, Secret: secret, PIN: pin, Verifier: raw, Hash: h[:]}
	}
	ok := build("verifier = HKDF-SHA-256(ikm = secret, salt = none, info = \"vellum-kdf/link-pin/v1:\" ‖ PIN digits, 32 bytes); the server stores SHA-256(verifier)",
		seqFrom(0x00, 32), "042917")
	zero := build("a PIN of all zeros is a PIN like any other", seqFrom(0x20, 32), "000000")
	off := ok
	off.Comment, off.PresentedPIN, off.Error = "the signer typed the PIN with its last digit off by one", offByOne(ok.PIN), "wrong_pin"
	other := ok
	other.Comment, other.OtherSecret, other.Error = "the right PIN with another link's secret", seqFrom(0x01, 32), "wrong_pin"
	return map[string]verifierVector{"pin": ok, "zero-pin": zero, "pin-off-by-one": off, "wrong-secret": other}
}

func TestVectorsVerifier(t *testing.T) {
	gen := verifierVectors(t)
	for _, c := range vectortest.Load[verifierVector](t, "link-verifier") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			// The spec's definition, computed here without the package.
			want, err := hkdf.Key(sha256.New, v.Secret, nil, "vellum-kdf/link-pin/v1:"+v.PIN, 32)
			if err != nil || !bytes.Equal(want, v.Verifier) {
				t.Errorf("vector's verifier is not HKDF-SHA-256(secret, info = label ‖ PIN)")
			}
			if h := sha256.Sum256(v.Verifier); !bytes.Equal(h[:], v.Hash) {
				t.Errorf("vector's hash is not SHA-256 of its verifier")
			}
			ver := link.MakeVerifier(secretFrom(t, v.Secret), pinFrom(t, v.PIN))
			if ver.Encode() != b64(v.Verifier) {
				t.Errorf("verifier %s, want %x", ver.Encode(), v.Verifier)
			}
			if h := ver.Hash(); !bytes.Equal(h[:], v.Hash) {
				t.Errorf("hash %x, want %x", h, v.Hash)
			}
			stored, err := link.ParseVerifierHash(b64(v.Hash))
			if err != nil {
				t.Fatal(err)
			}
			secret, pin := v.Secret, v.PIN
			if v.PresentedPIN != "" {
				pin = v.PresentedPIN
			}
			if v.OtherSecret != nil {
				secret = v.OtherSecret
			}
			presented, err := link.ParseVerifier(link.MakeVerifier(secretFrom(t, secret), pinFrom(t, pin)).Encode())
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, "CheckVerifier", link.CheckVerifier(stored, presented), v.Error)
			if link.VerifierMatches(stored, presented) != (v.Error == "") {
				t.Errorf("VerifierMatches disagrees with CheckVerifier")
			}
		})
	}
}

// wrapVector: with crypto/rand seeded by Seed, NewSecret() = Secret, NewPIN()
// = PIN, keys.NewIdentity() = Key, and Wrap(Key, Secret, PIN) = Wrapped
// (for the positive vector). Unwrap(Wrapped, OpenSecret or Secret, OpenPIN or
// PIN) gives Key or fails with Error.
type wrapVector struct {
	Comment    string         `json:"comment"`
	Seed       uint64         `json:"seed"`
	Secret     vectortest.Hex `json:"secret"`
	PIN        string         `json:"pin"`
	Key        string         `json:"key_identity"`
	Wrapped    vectortest.Hex `json:"wrapped"`
	OpenSecret vectortest.Hex `json:"open_secret,omitempty"`
	OpenPIN    string         `json:"open_pin,omitempty"`
	Error      string         `json:"error,omitempty"`
}

func wrapSetup(t *testing.T, seed uint64) (*link.Secret, *link.PIN, *keys.Identity) {
	cryptotest.SetGlobalRandom(t, seed)
	return link.NewSecret(), link.NewPIN(), keys.NewIdentity()
}

func raw(t testing.TB, s *link.Secret) []byte {
	b, err := decodeB64(s.Fragment())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wrapVectors(t *testing.T) map[string]wrapVector {
	secret, pin, key := wrapSetup(t, 60)
	wrapped, err := link.Wrap(key, secret, pin)
	if err != nil {
		t.Fatal(err)
	}
	ok := wrapVector{
		Comment: "an age file to an scrypt recipient, work factor 2^10, passphrase = the 43-character fragment ‖ the 6 PIN digits; the payload is the document key's AGE-SECRET-KEY-1 line",
		Seed:    60, Secret: raw(t, secret), PIN: pin.Digits(), Key: string(key.MarshalSecret()), Wrapped: wrapped,
	}
	vs := map[string]wrapVector{"wrap": ok}
	v := ok
	v.Comment, v.OpenPIN, v.Error = "opened with the PIN's last digit off by one", offByOne(ok.PIN), "wrong_key"
	vs["pin-off-by-one"] = v
	v = ok
	v.Comment, v.OpenSecret, v.Error = "opened with another secret (0x00..0x1f)", seqFrom(0, 32), "wrong_key"
	vs["wrong-secret"] = v

	withAge := func(comment string, seed uint64, logN int) wrapVector {
		s, p, k := wrapSetup(t, seed)
		r, err := age.NewScryptRecipient(s.Fragment() + p.Digits())
		if err != nil {
			t.Fatal(err)
		}
		r.SetWorkFactor(logN)
		var buf bytes.Buffer
		w, _ := age.Encrypt(&buf, r)
		w.Write(k.MarshalSecret())
		w.Close()
		return wrapVector{Comment: comment, Seed: seed, Secret: raw(t, s), PIN: p.Digits(), Key: string(k.MarshalSecret()), Wrapped: buf.Bytes()}
	}
	low := withAge("a wrap made by age at work factor 2^4, below the bound: accepted (the secret, not scrypt, is the strength)", 61, 4)
	vs["lower-work-factor"] = low
	high := withAge("a wrap made by age at work factor 2^11, one over the bound: refused before scrypt runs", 62, 11)
	high.Error = "work_factor"
	vs["work-factor-11"] = high

	edit := func(comment, from, to, err string) wrapVector {
		v := ok
		v.Comment, v.Error = comment, err
		v.Wrapped = bytes.Replace(ok.Wrapped, []byte(from), []byte(to), 1)
		if bytes.Equal(v.Wrapped, ok.Wrapped) {
			t.Fatalf("edit %q → %q changed nothing", from, to)
		}
		return v
	}
	vs["work-factor-30"] = edit("the wrap's stanza edited to ask for 2^30 (1 TiB): refused at once, before the header MAC is even checked", " 10\n", " 30\n", "work_factor")
	vs["work-factor-leading-zero"] = edit("the work factor written as 010: not canonical", " 10\n", " 010\n", "malformed")
	v = ok
	v.Comment, v.Error = "the wrap with its last byte (in the payload's tag) flipped", "wrong_key"
	v.Wrapped = bytes.Clone(ok.Wrapped)
	v.Wrapped[len(v.Wrapped)-1] ^= 1
	vs["altered-payload"] = v

	cryptotest.SetGlobalRandom(t, 63)
	x, err := keys.WrapIdentity(key, keys.NewIdentity().Recipient())
	if err != nil {
		t.Fatal(err)
	}
	v = ok
	v.Comment, v.Error, v.Wrapped = "the key wrapped (seed 63) to an X25519 recipient instead: not a link wrap", "malformed", x
	vs["x25519"] = v
	return vs
}

func TestVectorsWrap(t *testing.T) {
	gen := wrapVectors(t)
	for _, c := range vectortest.Load[wrapVector](t, "link-wrap") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			secret, pin := v.Secret, v.PIN
			if v.OpenSecret != nil {
				secret = v.OpenSecret
			}
			if v.OpenPIN != "" {
				pin = v.OpenPIN
			}
			if v.Error == "" {
				// The spec's passphrase, used with age directly.
				id, _ := age.NewScryptIdentity(b64(v.Secret) + v.PIN)
				r, err := age.Decrypt(bytes.NewReader(v.Wrapped), id)
				if err != nil {
					t.Fatalf("age with passphrase fragment ‖ PIN: %v", err)
				}
				if got, _ := io.ReadAll(r); string(got) != v.Key {
					t.Errorf("age with passphrase fragment ‖ PIN gave another payload")
				}
			}
			key, err := link.Unwrap(v.Wrapped, secretFrom(t, secret), pinFrom(t, pin))
			wantErr(t, "Unwrap", err, v.Error)
			if err == nil && string(key.MarshalSecret()) != v.Key {
				t.Errorf("Unwrap gave another key")
			}
		})
	}
}

func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	for name, v := range urlVectors(t) {
		vectortest.Write(t, "link-url", name, v)
	}
	for name, v := range verifierVectors(t) {
		vectortest.Write(t, "link-verifier", name, v)
	}
	for name, v := range wrapVectors(t) {
		vectortest.Write(t, "link-wrap", name, v)
	}
}
