package client

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
)

// sealFileVector is a protocol/testdata/seal-file vector, as keys/seal
// writes them: a document and its .seal file checked against a verifier
// key, with the errors the check MUST find.
type sealFileVector struct {
	Comment      string         `json:"comment"`
	Seed         uint64         `json:"seed"`
	VerifierKey  string         `json:"verifier_key"`
	Document     vectortest.Hex `json:"document"`
	File         vectortest.Hex `json:"file"`
	Errors       []string       `json:"errors,omitempty"`
	SignerErrors []string       `json:"signer_errors,omitempty"`
}

// TestSealFileVectors holds CheckSeal, which the CLI and the verify page
// run, to the verdicts of the seal-file vectors: the same failures, named
// by their kinds ("proof_invalid" is the umbrella of the proof's kinds and
// has none of its own), on the same signers.
func TestSealFileVectors(t *testing.T) {
	for _, c := range vectortest.Load[sealFileVector](t, "seal-file") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			key, err := ParseLogKey(v.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			chk, err := CheckSeal(bytes.NewReader(v.Document), v.File, key)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, e := range v.Errors {
				if e != "proof_invalid" {
					want = append(want, strings.ReplaceAll(e, "_", "-"))
				}
			}
			for _, f := range chk.Failures {
				got = append(got, string(f.Kind))
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("failures %v, want %v", chk.Failures, want)
			}
			if chk.Valid() != (len(v.Errors) == 0) {
				t.Errorf("Valid() = %v", chk.Valid())
			}
			for i, e := range v.SignerErrors {
				var kind FailureKind
				for _, f := range chk.Failures {
					if f.Signer == i {
						kind = f.Kind
					}
				}
				if string(kind) != strings.ReplaceAll(e, "_", "-") {
					t.Errorf("signer %d: %q, want %q", i+1, kind, e)
				}
			}
		})
	}
}

// FuzzCheckSeal: whatever the .seal file, CheckSeal does not panic, names
// every failure with a known kind, calls valid only a seal whose proof
// verified, and its report writes no control character but newlines.
func FuzzCheckSeal(f *testing.F) {
	var doc []byte
	var key string
	for _, b := range vectortest.Seeds(f, "seal-file", func(v sealFileVector) []byte {
		if doc == nil {
			doc, key = v.Document, v.VerifierKey
		}
		return v.File
	}) {
		f.Add(b)
	}
	v, err := ParseLogKey(key)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		chk, err := CheckSeal(bytes.NewReader(doc), file, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range chk.Failures {
			if what[fl.Kind] == "" {
				t.Fatalf("failure of no known kind: %v", fl.Err)
			}
		}
		if chk.Valid() && (chk.Report == nil || chk.Report.Log == nil) {
			t.Fatal("valid without a verified proof")
		}
		var out strings.Builder
		if err := chk.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsFunc(out.String(), func(r rune) bool { return r != '\n' && isControl(r) }) {
			t.Fatalf("the report writes a control character:\n%q", out.String())
		}
	})
}
