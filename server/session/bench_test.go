package session_test

import (
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// BenchmarkVerify measures checking an access token (base64url, key lookup,
// AEAD open, CBOR decode, epoch compare); BenchmarkBaselineOpen is the raw
// XChaCha20-Poly1305 open of a payload of the same size, the floor.
func BenchmarkVerify(b *testing.B) {
	s, err := session.New(session.Config{Keyset: session.NewKeyset(time.Now())})
	if err != nil {
		b.Fatal(err)
	}
	acct := store.NewID()
	tok, _, err := s.Issue(session.Claims{Account: acct, Kind: session.KindAccess, Epoch: 1})
	if err != nil {
		b.Fatal(err)
	}
	epoch := func(store.ID) (uint64, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, session.KindAccess, epoch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineOpen(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	aead, _ := chacha20poly1305.NewX(key)
	nonce := make([]byte, 24)
	sealed := aead.Seal(nil, nonce, make([]byte, 71), []byte("ad"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aead.Open(nil, nonce, sealed, []byte("ad")); err != nil {
			b.Fatal(err)
		}
	}
}
