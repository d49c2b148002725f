// Package sealtest makes real seals, and seals tampered with as a forger
// would, for the tests of every seal verifier: the vellum CLI, the wasm
// bridge and the public verify page. Everything goes through keys/seal and
// keys/seallog, the code the product runs; nothing is faked.
package sealtest

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
)

// Fixture is a real seal: a document signed by a member and an outsider,
// sealed with keys/seal, logged in a keys/seallog log in memory (after a
// few other seals, so that the proof has hashes), packed in a .seal file.
type Fixture struct {
	Doc    []byte
	Key    *seallog.SignerKey
	Log    *seallog.Log
	Seal   *seal.Seal
	Proof  []byte
	File   []byte
	Digest [32]byte
}

// T0 is the fixture's clock: the signers sign at T0 and T0+1m, the seal
// is made at T0+1h.
var T0 = time.Unix(1_790_000_000, 0).UTC()

// NewFixture makes the fixture.
func NewFixture(t testing.TB) *Fixture {
	t.Helper()
	f := &Fixture{Doc: []byte(strings.Repeat("Deed of sale, signed in two places.\n", 2000))}
	f.Digest = sha256.Sum256(f.Doc)
	var err error
	if f.Key, err = seallog.GenerateKey("log.vellum.test/seals"); err != nil {
		t.Fatal(err)
	}
	if f.Log, err = seallog.NewLog(&seallog.MemStorage{}, f.Key); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		f.Log.Append(seallog.NewLeaf([32]byte{byte(i)}, [32]byte{1}))
	}
	member, outsider := keys.NewSigningKey(), keys.NewSigningKey()
	signers := []seal.Signer{
		{Kind: seal.SignerMember, Name: "Carol Chen", Email: "carol@example.com", AccountID: "acct-carol", Key: member.Public()},
		{Kind: seal.SignerExternal, Name: "Dora Díaz", Email: "dora@example.org", Key: outsider.Public()},
	}
	var sigs []seal.SignedStatement
	for i, k := range []*keys.SigningKey{member, outsider} {
		att := seal.AttestSession
		if i == 1 {
			att = seal.AttestPINVerified
		}
		st, err := seal.Sign(k, seal.Statement{Digest: f.Digest, EnvelopeID: "env-1", Signer: signers[i], SignedAt: T0.Add(time.Duration(i) * time.Minute), Attestation: att})
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, *st)
	}
	if f.Seal, err = seal.New(f.Digest, "env-1", signers, sigs, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.File, f.Proof = LogSeal(t, f.Log, f.Seal)
	return f
}

// LogSeal appends s to log l and returns its .seal file and proof.
func LogSeal(t testing.TB, l *seallog.Log, s *seal.Seal) (file, proof []byte) {
	t.Helper()
	h, err := s.Hash()
	if err != nil {
		t.Fatal(err)
	}
	_, proof, err = l.AppendProof(seallog.NewLeaf(s.Commitment(), h))
	if err != nil {
		t.Fatal(err)
	}
	file, err = seal.NewFile(s, proof)
	if err != nil {
		t.Fatal(err)
	}
	return file, proof
}

// Pack makes a .seal file of any seal bytes and proof, as a forger would.
func Pack(t testing.TB, sealBytes, proof []byte) []byte {
	t.Helper()
	b, err := (&seal.File{Seal: sealBytes, Proof: proof}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Marshal encodes s, which must be structurally valid.
func Marshal(t testing.TB, s *seal.Seal) []byte {
	t.Helper()
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// EditProof parses proof, lets edit change it, and returns the re-encoded
// proof.
func EditProof(t testing.TB, proof []byte, edit func(*seallog.Proof)) []byte {
	t.Helper()
	p, err := seallog.ParseProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	edit(p)
	return p.Marshal()
}

// Open parses a .seal file into its seal and proof, for a test to alter.
func Open(t testing.TB, file []byte) (*seal.Seal, []byte) {
	t.Helper()
	f, err := seal.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.ParseSeal(f.Seal)
	if err != nil {
		t.Fatal(err)
	}
	return s, f.Proof
}

// Tampered holds the ways a forger alters a genuine .seal file, each made
// from the seal and proof in it.
type Tampered struct {
	SignatureRemoved []byte // the last signer's statement dropped
	SignersSwapped   []byte // the first two signers' names and addresses swapped
	OtherLogKey      []byte // the same seal, logged and signed by another log key
	TruncatedProof   []byte // the inclusion proof without its last hash
}

// Tamper makes each alteration of Tampered from file. The proof in file
// must have at least one hash (the log held another seal before it).
func Tamper(t testing.TB, file []byte) *Tampered {
	t.Helper()
	s, proof := Open(t, file)
	out := &Tampered{}

	removed := *s
	removed.Signatures = s.Signatures[:len(s.Signatures)-1]
	out.SignatureRemoved = Pack(t, Marshal(t, &removed), proof)

	swapped := *s
	swapped.Signers = append([]seal.Signer(nil), s.Signers...)
	a, b := &swapped.Signers[0], &swapped.Signers[1]
	a.Name, b.Name = b.Name, a.Name
	a.Email, b.Email = b.Email, a.Email
	out.SignersSwapped = Pack(t, Marshal(t, &swapped), proof)

	other, err := seallog.GenerateKey("log.other.test/seals")
	if err != nil {
		t.Fatal(err)
	}
	l, err := seallog.NewLog(&seallog.MemStorage{}, other)
	if err != nil {
		t.Fatal(err)
	}
	out.OtherLogKey, _ = LogSeal(t, l, s)

	out.TruncatedProof = Pack(t, Marshal(t, s), EditProof(t, proof, func(p *seallog.Proof) {
		if len(p.Hashes) == 0 {
			t.Fatal("sealtest: the proof has no hash to truncate")
		}
		p.Hashes = p.Hashes[:len(p.Hashes)-1]
	}))
	return out
}
