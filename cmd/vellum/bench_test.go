package main

import (
	"crypto/ed25519"
	"io"
	"os"
	"path/filepath"
	"testing"

	"vellum.dev/vellum/keys/seallog"
)

// Benchmarks for bench/README.md, section "E-signature". Each figure is
// read next to a raw primitive measured in the same run.

// BenchmarkBaselineEd25519Verify: one raw Ed25519 verification of 256
// bytes. Verifying the fixture's seal costs three (two statements, one
// checkpoint).
func BenchmarkBaselineEd25519Verify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	msg := make([]byte, 256)
	sig := ed25519.Sign(priv, msg)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("baseline verify failed")
		}
	}
}

// BenchmarkBaselineEd25519Sign: one raw Ed25519 signature of 256 bytes, the
// checkpoint signature every append with proof pays.
func BenchmarkBaselineEd25519Sign(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	msg := make([]byte, 256)
	for b.Loop() {
		ed25519.Sign(priv, msg)
	}
}

// BenchmarkVerify: `vellum verify FILE FILE.seal` in process, through the
// command's own code (reading both files, hashing the document, checking a
// seal of two signers and its inclusion proof in a log of 7 leaves,
// writing the report), for a 72 KB document. It reports seals/s.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	dir := b.TempDir()
	dn, sn := filepath.Join(dir, "deed.txt"), filepath.Join(dir, "deed.txt.seal")
	if err := os.WriteFile(dn, f.Doc, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(sn, f.File, 0o600); err != nil {
		b.Fatal(err)
	}
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	args := []string{"verify", "-log-key", f.Key.VerifierKey(), dn, sn}
	for b.Loop() {
		if code := run(args, e); code != exitValid {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seals/s")
}

// BenchmarkLogAppendProof: the seal log's append with its inclusion proof
// and a freshly signed checkpoint — what the server does per seal — on a
// log of 65,536 leaves in memory. It reports appends/s.
func BenchmarkLogAppendProof(b *testing.B) {
	log := benchLog(b, &seallog.MemStorage{}, 1<<16)
	leaf := seallog.NewLeaf([32]byte{1}, [32]byte{2})
	for b.Loop() {
		if _, _, err := log.AppendProof(leaf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// benchLog is a log of n leaves over st.
func benchLog(b *testing.B, st seallog.Storage, n int) *seallog.Log {
	b.Helper()
	key, err := seallog.GenerateKey("log.vellum.test/seals")
	if err != nil {
		b.Fatal(err)
	}
	log, err := seallog.NewLog(st, key)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := log.Append(seallog.NewLeaf([32]byte{byte(i)}, [32]byte{byte(i >> 8)})); err != nil {
			b.Fatal(err)
		}
	}
	return log
}
