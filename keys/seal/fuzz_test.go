package seal_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
)

// FuzzParseFile: whatever ParseFile accepts re-encodes to the same bytes,
// its seal re-encodes to the same bytes, and verifying it never panics and
// always gives a report.
func FuzzParseFile(f *testing.F) {
	var vkey string
	var doc []byte
	for _, b := range vectortest.Seeds(f, "seal-file", func(v fileVector) []byte { vkey, doc = v.VerifierKey, v.Document; return v.File }) {
		f.Add(b)
	}
	v, err := seallog.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := seal.ParseFile(b)
		if err != nil {
			return
		}
		if again, err := file.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical .seal file: %v", err)
		}
		s, err := seal.ParseSeal(file.Seal)
		if err != nil {
			t.Fatalf("ParseFile accepted a seal ParseSeal refuses: %v", err)
		}
		if again, err := s.Marshal(); err != nil || !bytes.Equal(again, file.Seal) {
			t.Fatalf("seal does not round-trip: %v", err)
		}
		r, err := seal.Verify(bytes.NewReader(doc), b, v)
		if r == nil {
			t.Fatalf("a parsed .seal file gave no report: %v", err)
		}
	})
}

// FuzzParseSeal: accepted seals round-trip.
func FuzzParseSeal(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "seal-seal", func(v sealVector) []byte { return v.Seal }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := seal.ParseSeal(b)
		if err != nil {
			return
		}
		if again, err := s.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical seal: %v", err)
		}
	})
}

// FuzzParseSignedStatement: accepted statements round-trip.
func FuzzParseSignedStatement(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "seal-statement", func(v statementVector) []byte { return v.Signed }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := seal.ParseSignedStatement(b)
		if err != nil {
			return
		}
		if again, err := s.Marshal(); err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical statement: %v", err)
		}
		_ = s.Verify()
	})
}
