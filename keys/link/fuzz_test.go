package link_test

import (
	"errors"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/link"
)

// FuzzParse: whatever Parse accepts formats back to the same link, so one
// link has one spelling.
func FuzzParse(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "link-url", func(v urlVector) []byte { return []byte(v.URL) }) {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := link.Parse(s)
		if err != nil {
			return
		}
		if l.URL() != s {
			t.Fatalf("accepted a non-canonical link %q (formats as %q)", s, l.URL())
		}
		if _, err := link.New(l.Origin, l.EnvelopeID, l.SignerID); err != nil {
			t.Fatalf("parsed origin and ids refused by New: %v", err)
		}
		if l.Origin+l.Path()+"#"+l.Secret.Fragment() != s {
			t.Fatalf("Path does not rebuild the link")
		}
	})
}

// FuzzParseVerifier and FuzzParseSecret: accepted text round-trips.
func FuzzParseVerifier(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "link-verifier", func(v verifierVector) []byte { return []byte(b64(v.Verifier)) }) {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := link.ParseVerifier(s); err == nil && v.Encode() != s {
			t.Fatalf("accepted a non-canonical verifier")
		}
		if h, err := link.ParseVerifierHash(s); err == nil && h.String() != s {
			t.Fatalf("accepted a non-canonical verifier hash")
		}
		if sec, err := link.ParseSecret(s); err == nil && sec.Fragment() != s {
			t.Fatalf("accepted a non-canonical secret")
		}
		if p, err := link.ParsePIN(s); err == nil && p.Digits() != s {
			t.Fatalf("accepted a non-canonical PIN")
		}
	})
}

// FuzzUnwrap: hostile wraps never panic, never make scrypt run over the
// bound (the fuzzer would run out of memory or time), and fail with one of
// the package's errors.
func FuzzUnwrap(f *testing.F) {
	var secret *link.Secret
	var pin *link.PIN
	for _, b := range vectortest.Seeds(f, "link-wrap", func(v wrapVector) []byte {
		if v.Seed != 60 {
			return nil
		}
		secret, pin = secretFrom(f, v.Secret), pinFrom(f, v.PIN)
		return v.Wrapped
	}) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := link.Unwrap(b, secret, pin)
		if err == nil {
			return
		}
		n := 0
		for _, s := range []error{link.ErrMalformed, link.ErrTooLarge, link.ErrWrongKey, link.ErrWorkFactor} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("error %v matches %d sentinels, want 1", err, n)
		}
	})
}
