package seal_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"io"
	"testing"

	"vellum.dev/vellum/keys/seal"
)

// BenchmarkBaselineEd25519Verify is the baseline for seal verification: one
// raw Ed25519 verification. Verifying a seal of n signers costs n of them
// for the statements plus one for the log checkpoint.
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

// BenchmarkVerifySeal3: VerifyDigest of a .seal file with three signers
// (four Ed25519 verifications); the ns/op next to the baseline's gives the
// overhead of parsing and hashing.
func BenchmarkVerifySeal3(b *testing.B) {
	f := newFixture(b)
	file := f.logged(b, f.seal(b))
	v := f.logKey.Verifier()
	for b.Loop() {
		if _, err := seal.VerifyDigest(f.digest, file, v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/4, "ns/ed25519-verify")
}

const hashSize = 1 << 20

// BenchmarkBaselineSHA256 is the baseline for HashFile: sha256.Sum256 over
// the same 1 MiB in one call.
func BenchmarkBaselineSHA256(b *testing.B) {
	data := make([]byte, hashSize)
	b.SetBytes(hashSize)
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// BenchmarkHashFile: D of 1 MiB through the streaming reader path.
func BenchmarkHashFile(b *testing.B) {
	data := make([]byte, hashSize)
	b.SetBytes(hashSize)
	for b.Loop() {
		if _, err := seal.HashFile(bytesReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

type byteReader struct{ b []byte }

func bytesReader(b []byte) *byteReader { return &byteReader{b} }

// Read hands out 64 KiB at a time, like a file or a browser stream.
func (r *byteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 64<<10)], r.b)
	r.b = r.b[n:]
	return n, nil
}
