package seallog_test

import (
	"crypto/ed25519"
	"testing"

	"vellum.dev/vellum/keys/seallog"
)

// BenchmarkBaselineEd25519Verify is the baseline for VerifyInclusion, whose
// cost is one Ed25519 verification of the checkpoint plus ~log₂ n SHA-256.
func BenchmarkBaselineEd25519Verify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	msg := make([]byte, 128)
	sig := ed25519.Sign(priv, msg)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("baseline verify failed")
		}
	}
}

// benchLog is a log of 1<<16 leaves: proofs of 16 hashes.
func benchLog(b *testing.B) (*seallog.SignerKey, *seallog.Log, []seallog.Leaf) {
	b.Helper()
	key, log, leaves := testLog(b, 0)
	for i := range 1 << 16 {
		l := testLeaf(i)
		if _, err := log.Append(l); err != nil {
			b.Fatal(err)
		}
		leaves = append(leaves, l)
	}
	return key, log, leaves
}

func BenchmarkVerifyInclusion(b *testing.B) {
	key, log, leaves := benchLog(b)
	v := key.Verifier()
	const i = 12345
	proof, err := log.InclusionProof(i, log.Size())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := seallog.VerifyInclusion(proof, leaves[i], v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendProof: one append to a log of 65,536+ leaves with its
// inclusion proof and a freshly signed checkpoint — the server's cost per
// seal, without storage I/O.
func BenchmarkAppendProof(b *testing.B) {
	_, log, _ := benchLog(b)
	leaf := testLeaf(0)
	for b.Loop() {
		if _, _, err := log.AppendProof(leaf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend: the append alone, without proof or signature.
func BenchmarkAppend(b *testing.B) {
	_, log, _ := benchLog(b)
	leaf := testLeaf(0)
	for b.Loop() {
		if _, err := log.Append(leaf); err != nil {
			b.Fatal(err)
		}
	}
}
