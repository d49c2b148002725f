package seallog_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/seallog"
)

// FuzzParseProof: whatever ParseProof accepts re-encodes to the same bytes,
// and verifying it never panics; if it verifies, the leaf it carries is the
// leaf it was checked for.
func FuzzParseProof(f *testing.F) {
	var vkey string
	for _, b := range vectortest.Seeds(f, "seallog-proof", func(v proofVector) []byte { vkey = v.VerifierKey; return []byte(v.Proof) }) {
		f.Add(b)
	}
	v, err := seallog.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := seallog.ParseProof(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Marshal(), b) {
			t.Fatalf("accepted a non-canonical proof")
		}
		leaf, err := seallog.ParseLeaf(p.Extra)
		if err != nil {
			return
		}
		if inc, err := p.Verify(leaf, v); err == nil && inc.Index != p.Index {
			t.Fatalf("verified at index %d, proof says %d", inc.Index, p.Index)
		}
	})
}

// FuzzOpenCheckpoint: an accepted checkpoint's text is the signed note's
// text exactly.
func FuzzOpenCheckpoint(f *testing.F) {
	var vkey string
	for _, b := range vectortest.Seeds(f, "seallog-checkpoint", func(v checkpointVector) []byte { vkey = v.VerifierKey; return []byte(v.Checkpoint) }) {
		f.Add(b)
	}
	v, err := seallog.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := seallog.OpenCheckpoint(b, v)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, append(c.Text(), '\n')) {
			t.Fatalf("accepted checkpoint does not round-trip")
		}
	})
}

// FuzzParseConsistencyProof: accepted proofs round-trip.
func FuzzParseConsistencyProof(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "seallog-consistency", func(v consistencyVector) []byte { return []byte(v.Proof) }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := seallog.ParseConsistencyProof(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Marshal(), b) {
			t.Fatalf("accepted a non-canonical consistency proof")
		}
	})
}

// FuzzParseLeaf: accepted leaves round-trip.
func FuzzParseLeaf(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "seallog-leaf", func(v leafVector) []byte { return v.Leaf }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := seallog.ParseLeaf(b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.Marshal(), b) {
			t.Fatalf("accepted a non-canonical leaf")
		}
	})
}

// FuzzParseVerifierKey: accepted verifier keys are in canonical form.
func FuzzParseVerifierKey(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "seallog-key", func(v keyVector) []byte { return []byte(v.VerifierKey) }) {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := seallog.NewVerifier(s)
		if err != nil {
			return
		}
		if v.Name() == "" {
			t.Fatalf("accepted a verifier key without a name")
		}
	})
}
