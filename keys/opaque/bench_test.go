package opaque_test

import (
	"testing"

	"golang.org/x/crypto/argon2"

	"vellum.dev/vellum/keys/opaque"
)

// The benchmarks run with the production KSF. The baseline is the raw
// Argon2id call the client's Finish steps make: they should cost about one
// baseline plus a few group operations (tens of microseconds).

func BenchmarkBaselineArgon2id(b *testing.B) {
	in, salt := make([]byte, 64), make([]byte, 16)
	for b.Loop() {
		argon2.IDKey(in, salt, 3, 64*1024, 1, 64)
	}
}

type benchSetup struct {
	srv    *opaque.Server
	id     []byte
	record *opaque.RegistrationRecord
}

func setup(b *testing.B) benchSetup {
	b.Helper()
	srv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		b.Fatal(err)
	}
	id := []byte("acct_bench")
	reg, req, _ := opaque.StartRegistration([]byte("pw"))
	resp, _ := srv.RegistrationResponse(req, id)
	rec, _, err := reg.Finish(resp)
	if err != nil {
		b.Fatal(err)
	}
	return benchSetup{srv, id, rec}
}

func BenchmarkClientRegistrationStart(b *testing.B) {
	for b.Loop() {
		if _, _, err := opaque.StartRegistration([]byte("correct horse battery staple")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerRegistrationResponse(b *testing.B) {
	s := setup(b)
	_, req, _ := opaque.StartRegistration([]byte("pw"))
	for b.Loop() {
		if _, err := s.srv.RegistrationResponse(req, s.id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientRegistrationFinish(b *testing.B) {
	s := setup(b)
	b.ResetTimer() // setup runs an Argon2id that is not the step measured
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		reg, req, _ := opaque.StartRegistration([]byte("pw"))
		resp, _ := s.srv.RegistrationResponse(req, s.id)
		b.StartTimer()
		if _, _, err := reg.Finish(resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientLoginStart(b *testing.B) {
	for b.Loop() {
		if _, _, err := opaque.StartLogin([]byte("correct horse battery staple")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerLoginStart(b *testing.B) {
	s := setup(b)
	_, ke1, _ := opaque.StartLogin([]byte("pw"))
	for b.Loop() {
		if _, _, err := s.srv.StartLogin(ke1, s.id, s.record); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerLoginStartUnknown is the fake-record path; it should cost
// the same as BenchmarkServerLoginStart, or timing tells accounts apart.
func BenchmarkServerLoginStartUnknown(b *testing.B) {
	s := setup(b)
	_, ke1, _ := opaque.StartLogin([]byte("pw"))
	for b.Loop() {
		if _, _, err := s.srv.StartLogin(ke1, []byte("nobody@example.com"), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientLoginFinish(b *testing.B) {
	s := setup(b)
	b.ResetTimer() // setup runs an Argon2id that is not the step measured
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cl, ke1, _ := opaque.StartLogin([]byte("pw"))
		ke2, _, _ := s.srv.StartLogin(ke1, s.id, s.record)
		b.StartTimer()
		if _, _, _, err := cl.Finish(ke2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServerLoginFinish(b *testing.B) {
	s := setup(b)
	cl, ke1, _ := opaque.StartLogin([]byte("pw"))
	ke2, st, _ := s.srv.StartLogin(ke1, s.id, s.record)
	ke3, _, _, err := cl.Finish(ke2)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.srv.FinishLogin(st, ke3); err != nil {
			b.Fatal(err)
		}
	}
}
