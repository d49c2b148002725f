package link_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/cryptotest"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
)

// TestSigningFlow walks a link from the sender's client through the server
// to the signer's client.
func TestSigningFlow(t *testing.T) {
	docKey := keys.NewIdentity()
	// Sender's client.
	c, err := link.Create("https://vellum.example.com", "env1", "sgn1", docKey)
	if err != nil {
		t.Fatal(err)
	}
	url, digits := c.Link.URL(), c.PIN.Digits()
	stored, wrapped := c.VerifierHash, c.Wrapped // what the server keeps

	// Signer's client: parses the link, the person types the PIN.
	l, err := link.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	if l.EnvelopeID != "env1" || l.SignerID != "sgn1" || l.Origin != "https://vellum.example.com" {
		t.Fatalf("parsed %s", l)
	}
	pin, err := link.ParsePIN(digits)
	if err != nil {
		t.Fatal(err)
	}
	v := link.MakeVerifier(l.Secret, pin).Encode() // sent to the server

	// Server.
	presented, err := link.ParseVerifier(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := link.CheckVerifier(stored, presented); err != nil {
		t.Fatal(err)
	}

	// Signer's client, with the wrap the server released.
	got, err := link.Unwrap(wrapped, l.Secret, pin)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(docKey) {
		t.Fatal("unwrapped another key")
	}
}

// TestWrongPIN: every PIN one digit away from the right one fails both
// checks, each with its own error.
func TestWrongPIN(t *testing.T) {
	docKey := keys.NewIdentity()
	c, err := link.Create("https://vellum.example.com", "env1", "sgn1", docKey)
	if err != nil {
		t.Fatal(err)
	}
	right := c.PIN.Digits()
	for i := range 6 {
		wrong := []byte(right)
		wrong[i] = '0' + (wrong[i]-'0'+1)%10
		pin, err := link.ParsePIN(string(wrong))
		if err != nil {
			t.Fatal(err)
		}
		if err := link.CheckVerifier(c.VerifierHash, link.MakeVerifier(c.Link.Secret, pin)); !errors.Is(err, link.ErrWrongPIN) {
			t.Errorf("digit %d off: CheckVerifier = %v, want ErrWrongPIN", i, err)
		}
		if _, err := link.Unwrap(c.Wrapped, c.Link.Secret, pin); !errors.Is(err, link.ErrWrongKey) || !errors.Is(err, keys.ErrWrongKey) {
			t.Errorf("digit %d off: Unwrap = %v, want ErrWrongKey", i, err)
		}
	}
	other := link.NewSecret()
	if err := link.CheckVerifier(c.VerifierHash, link.MakeVerifier(other, c.PIN)); !errors.Is(err, link.ErrWrongPIN) {
		t.Errorf("wrong secret: CheckVerifier = %v", err)
	}
	if _, err := link.Unwrap(c.Wrapped, other, c.PIN); !errors.Is(err, link.ErrWrongKey) {
		t.Errorf("wrong secret: Unwrap = %v", err)
	}
}

func TestWorkFactor(t *testing.T) {
	s, pin, key := link.NewSecret(), link.NewPIN(), keys.NewIdentity()
	w, err := link.Wrap(key, s, pin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(w, []byte(fmt.Sprintf(" %d\n", link.WorkFactor))) {
		t.Errorf("wrap does not state work factor %d:\n%s", link.WorkFactor, w)
	}
	for logN := 1; logN <= 16; logN++ {
		r, _ := age.NewScryptRecipient(s.Fragment() + pin.Digits())
		r.SetWorkFactor(logN)
		var buf bytes.Buffer
		aw, _ := age.Encrypt(&buf, r)
		aw.Write(key.MarshalSecret())
		aw.Close()
		_, err := link.Unwrap(buf.Bytes(), s, pin)
		if logN <= link.WorkFactor && err != nil {
			t.Errorf("work factor %d: %v", logN, err)
		}
		if logN > link.WorkFactor && !errors.Is(err, link.ErrWorkFactor) {
			t.Errorf("work factor %d: %v, want ErrWorkFactor", logN, err)
		}
	}
}

func TestPIN(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	var seen [6][10]int
	for range 2000 {
		p := link.NewPIN()
		d := p.Digits()
		if len(d) != 6 {
			t.Fatalf("PIN %q", d)
		}
		q, err := link.ParsePIN(d)
		if err != nil || !q.Equal(p) {
			t.Fatalf("ParsePIN(%q): %v", d, err)
		}
		for i := range d {
			seen[i][d[i]-'0']++
		}
	}
	// With 2000 draws each digit value at each position is expected 200
	// times; a PIN formatted without leading zeros, or drawn from a
	// narrower range, would leave some at zero.
	for i := range seen {
		for d, n := range seen[i] {
			if n == 0 {
				t.Errorf("digit %d never at position %d", d, i)
			}
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", " 12345", "１２３４５６", "-12345"} {
		if _, err := link.ParsePIN(bad); !errors.Is(err, link.ErrMalformed) {
			t.Errorf("ParsePIN(%q): %v", bad, err)
		}
	}
}

// Secrets, PINs and verifiers never print.
func TestRedacted(t *testing.T) {
	c, err := link.Create("https://vellum.example.com", "env1", "sgn1", keys.NewIdentity())
	if err != nil {
		t.Fatal(err)
	}
	v := link.MakeVerifier(c.Link.Secret, c.PIN)
	var out strings.Builder
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		fmt.Fprintf(&out, f+"\n", c.Link.Secret)
		fmt.Fprintf(&out, f+"\n", *c.Link.Secret)
		fmt.Fprintf(&out, f+"\n", c.PIN)
		fmt.Fprintf(&out, f+"\n", v)
		fmt.Fprintf(&out, f+"\n", c.Link)
		fmt.Fprintf(&out, f+"\n", *c.Link)
		fmt.Fprintf(&out, f+"\n", c)
	}
	for _, secret := range []string{c.Link.Secret.Fragment(), c.PIN.Digits(), v.Encode()} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("a secret was printed:\n%s", out.String())
		}
	}
	if !strings.Contains(c.Link.String(), "#[REDACTED]") {
		t.Errorf("Link.String() = %s", c.Link.String())
	}
	if _, err := c.Link.Secret.MarshalJSON(); err == nil {
		t.Error("a Secret marshals as JSON")
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range [][3]string{
		{"http://vellum.example.com", "e", "s"}, {"https://vellum.example.com/", "e", "s"}, {"https://Vellum.example.com", "e", "s"},
		{"https://vellum.example.com", "", "s"}, {"https://vellum.example.com", "a/b", "s"}, {"https://", "e", "s"},
		{"https://vellum.example.com", "e", ""}, {"https://vellum.example.com", "e", "s/t"}, {"https://vellum.example.com", "e", "s#t"},
	} {
		if _, err := link.New(o[0], o[1], o[2]); !errors.Is(err, link.ErrMalformed) {
			t.Errorf("New(%q, %q, %q): %v", o[0], o[1], o[2], err)
		}
	}
}

func TestUnwrapLimits(t *testing.T) {
	s, pin := link.NewSecret(), link.NewPIN()
	if _, err := link.Unwrap(make([]byte, 16<<10+1), s, pin); !errors.Is(err, link.ErrTooLarge) {
		t.Errorf("oversized wrap: %v", err)
	}
	for _, b := range [][]byte{nil, []byte("age-encryption.org/v1\n")} {
		if _, err := link.Unwrap(b, s, pin); !errors.Is(err, link.ErrMalformed) {
			t.Errorf("Unwrap(%q): %v", b, err)
		}
	}
}
