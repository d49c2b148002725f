package link_test

import (
	"testing"

	"golang.org/x/crypto/scrypt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
)

// A link wrap or unwrap is one scrypt at WorkFactor plus an age header and a
// 74-byte payload. BaselineScrypt is scrypt alone at the same parameters;
// BaselineScryptAgeDefault is what age's default (2^18) would cost a
// signer's browser instead. Each reports scrypt's memory per operation.

func scryptBytes(logN int) float64 { return float64(int64(128*8) << logN) }

func BenchmarkBaselineScrypt(b *testing.B) {
	pw, salt := make([]byte, 49), make([]byte, 16)
	for b.Loop() {
		scrypt.Key(pw, salt, 1<<link.WorkFactor, 8, 1, 32)
	}
	b.ReportMetric(scryptBytes(link.WorkFactor), "scrypt-B/op")
}

func BenchmarkBaselineScryptAgeDefault(b *testing.B) {
	pw, salt := make([]byte, 49), make([]byte, 16)
	for b.Loop() {
		scrypt.Key(pw, salt, 1<<18, 8, 1, 32)
	}
	b.ReportMetric(scryptBytes(18), "scrypt-B/op")
}

func BenchmarkWrap(b *testing.B) {
	key, s, pin := keys.NewIdentity(), link.NewSecret(), link.NewPIN()
	for b.Loop() {
		if _, err := link.Wrap(key, s, pin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(scryptBytes(link.WorkFactor), "scrypt-B/op")
}

func BenchmarkUnwrap(b *testing.B) {
	key, s, pin := keys.NewIdentity(), link.NewSecret(), link.NewPIN()
	w, _ := link.Wrap(key, s, pin)
	for b.Loop() {
		if _, err := link.Unwrap(w, s, pin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(scryptBytes(link.WorkFactor), "scrypt-B/op")
}

// BenchmarkCheckVerifier is the server's cost per PIN try.
func BenchmarkCheckVerifier(b *testing.B) {
	s, pin := link.NewSecret(), link.NewPIN()
	v := link.MakeVerifier(s, pin)
	stored := v.Hash()
	for b.Loop() {
		if err := link.CheckVerifier(stored, v); err != nil {
			b.Fatal(err)
		}
	}
}
