package membership

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

const benchChainLen = 256

// benchChain is a genesis and benchChainLen-1 additions by the owner: the
// common shape of a real chain.
func benchChain(b *testing.B) ([][]byte, Pin) {
	b.Helper()
	owner := keys.NewSigningKey()
	t0 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	g, err := NewGenesis("tenant-bench", Member{AccountID: "acct-owner", Email: "owner@example.com", Role: protocol.RoleOwner,
		VerifyKey: owner.Public(), Recipient: keys.NewIdentity().Recipient()}, owner, t0)
	if err != nil {
		b.Fatal(err)
	}
	s, err := VerifyFirstUse([][]byte{g}, "tenant-bench")
	if err != nil {
		b.Fatal(err)
	}
	chain := [][]byte{g}
	for i := 1; i < benchChainLen; i++ {
		m := Member{AccountID: fmt.Sprintf("acct-%d", i), Email: fmt.Sprintf("m%d@example.com", i), Role: protocol.RoleMember,
			VerifyKey: keys.NewSigningKey().Public(), Recipient: keys.NewIdentity().Recipient()}
		signed, err := s.Append("acct-owner", owner, AddMember{Member: m}, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Apply(signed); err != nil {
			b.Fatal(err)
		}
		chain = append(chain, signed)
	}
	return chain, s.Pin()
}

// BenchmarkVerifyChain reports the cost of checking a chain per statement
// (ns/statement), to be read next to BenchmarkBaselineEd25519Verify: the
// signature check is the floor, and parsing, hashing and the rules are the
// rest.
func BenchmarkVerifyChain(b *testing.B) {
	chain, pin := benchChain(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(chain, pin); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(chain)), "ns/statement")
}

// BenchmarkBaselineEd25519Verify is the raw primitive on a message of the
// size of an add-member statement.
func BenchmarkBaselineEd25519Verify(b *testing.B) {
	chain, _ := benchChain(b)
	st, err := Parse(chain[1])
	if err != nil {
		b.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	msg := append([]byte(protocol.LabelMembership+"\n"), st.body...)
	sig := ed25519.Sign(priv, msg)
	pub := priv.Public().(ed25519.PublicKey)
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkBaselineSHA256 is the chain hash of one statement.
func BenchmarkBaselineSHA256(b *testing.B) {
	chain, _ := benchChain(b)
	for b.Loop() {
		sha256.Sum256(chain[1])
	}
}
