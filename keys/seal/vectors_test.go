package seal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// statementVector: Statement is the canonical CBOR body that VerifyKey's
// signature covers; Signed is the SignedStatement as a signer's client
// sends it. A vector with Error holds a Signed that MUST be refused so.
type statementVector struct {
	Comment   string         `json:"comment"`
	Seed      uint64         `json:"seed"`
	VerifyKey string         `json:"verify_key,omitempty"`
	Statement vectortest.Hex `json:"statement,omitempty"`
	Signed    vectortest.Hex `json:"signed"`
	Error     string         `json:"error,omitempty"`
}

// sealVector: Seal is a canonical seal; SealHash is S = SHA-256(Seal) and
// Commitment is C = SHA-256("vellum-seal/v1" ‖ Salt ‖ Digest).
type sealVector struct {
	Comment    string         `json:"comment"`
	Seed       uint64         `json:"seed"`
	Seal       vectortest.Hex `json:"seal"`
	Digest     vectortest.Hex `json:"digest,omitempty"`
	Salt       vectortest.Hex `json:"salt,omitempty"`
	SealHash   vectortest.Hex `json:"seal_hash,omitempty"`
	Commitment vectortest.Hex `json:"commitment,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// fileVector: VerifyDigest(SHA-256(Document), File, VerifierKey) fails
// with exactly the named Errors (none: it verifies), and each signer's
// report carries SignerErrors[i] ("" for a good signature).
type fileVector struct {
	Comment      string         `json:"comment"`
	Seed         uint64         `json:"seed"`
	VerifierKey  string         `json:"verifier_key"`
	Document     vectortest.Hex `json:"document"`
	File         vectortest.Hex `json:"file"`
	Errors       []string       `json:"errors,omitempty"`
	SignerErrors []string       `json:"signer_errors,omitempty"`
}

var sentinels = map[string]error{
	"malformed":         seal.ErrMalformed,
	"too_large":         seal.ErrTooLarge,
	"unsupported":       seal.ErrUnsupported,
	"hash_mismatch":     seal.ErrHashMismatch,
	"missing_signature": seal.ErrMissingSignature,
	"signer_mismatch":   seal.ErrSignerMismatch,
	"bad_signature":     seal.ErrBadSignature,
	"log_key_mismatch":  seal.ErrLogKeyMismatch,
	"proof_invalid":     seal.ErrProofInvalid,
	// What seallog says about an invalid proof, joined to ErrProofInvalid.
	"wrong_leaf":           seallog.ErrWrongLeaf,
	"proof_length":         seallog.ErrProofLength,
	"root_mismatch":        seallog.ErrRootMismatch,
	"checkpoint_signature": seallog.ErrCheckpointSignature,
	"index_out_of_range":   seallog.ErrIndexOutOfRange,
}

// checkErrors fails unless err matches every named sentinel and no other.
func checkErrors(t *testing.T, err error, names ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		if n == "" {
			continue
		}
		if _, ok := sentinels[n]; !ok {
			t.Fatalf("vector names unknown error %q", n)
		}
		want[n] = true
	}
	if len(want) == 0 && err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	for n, e := range sentinels {
		if got := errors.Is(err, e); got != want[n] {
			t.Errorf("errors.Is(%v, %s) = %v, want %v", err, n, got, want[n])
		}
	}
}

func check(t *testing.T, format, name string, v any) {
	t.Helper()
	if *vectortest.Update {
		vectortest.Write(t, format, name, v)
		return
	}
	want, err := fs.ReadFile(protocol.Vectors, path.Join("testdata", format, name+".json"))
	if err != nil {
		t.Fatalf("vector %s/%s: %v (regenerate with -update)", format, name, err)
	}
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if got = append(got, '\n'); !bytes.Equal(got, want) {
		t.Errorf("vector %s/%s differs from what the code makes now:\n got: %s\nwant: %s", format, name, got, want)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// fixture is an envelope of three signers (two members, one external) over
// a small document, all signed, and a log with a few leaves already in it.
type fixture struct {
	doc      []byte
	digest   [32]byte
	envelope string
	keys     []*keys.SigningKey
	signers  []seal.Signer
	sigs     []seal.SignedStatement
	logKey   *seallog.SignerKey
	log      *seallog.Log
}

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// newFixture draws every key, salt and id from crypto/rand: run it under
// cryptotest.SetGlobalRandom for deterministic bytes.
func newFixture(t testing.TB) *fixture {
	f := &fixture{doc: []byte("Vellum test contract.\nThe parties agree to test.\n"), envelope: "env_7Tq2kX9mZb4Lw0Ra-c3yQg"}
	f.digest = sha256.Sum256(f.doc)
	people := []struct {
		kind          seal.SignerKind
		name, email   string
		account       string
		signedMinutes int
	}{
		{seal.SignerMember, "Alice Martin", "alice@example.com", "acct_Alice-0000000000001", 1},
		{seal.SignerMember, "Bob Lefèvre", "bob@example.com", "acct_Bob-00000000000000002", 5},
		{seal.SignerExternal, "Carol Nguyen", "carol@example.net", "", 42},
	}
	for _, p := range people {
		k := keys.NewSigningKey()
		sg := seal.Signer{Kind: p.kind, Name: p.name, Email: p.email, AccountID: p.account, Key: k.Public()}
		f.keys, f.signers = append(f.keys, k), append(f.signers, sg)
		f.sigs = append(f.sigs, *f.sign(t, len(f.keys)-1, f.digest, f.envelope, t0.Add(time.Duration(p.signedMinutes)*time.Minute)))
	}
	f.logKey = must(seallog.GenerateKey("vellum.test/seal-log"))
	f.log = must(seallog.NewLog(new(seallog.MemStorage), f.logKey))
	for i := range 5 {
		filler := sha256.Sum256([]byte{byte(i)})
		must(f.log.Append(seallog.NewLeaf(filler, filler)))
	}
	return f
}

func (f *fixture) sign(t testing.TB, i int, digest [32]byte, envelope string, at time.Time) *seal.SignedStatement {
	attest := seal.AttestSession
	if f.signers[i].Kind == seal.SignerExternal {
		attest = seal.AttestPINVerified
	}
	st, err := seal.Sign(f.keys[i], seal.Statement{Digest: digest, EnvelopeID: envelope, Signer: f.signers[i], SignedAt: at, Attestation: attest})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) seal(t testing.TB) *seal.Seal {
	s, err := seal.New(f.digest, f.envelope, f.signers, f.sigs, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logged appends s to the log, as the server does, and returns its .seal
// file. Tampered seals logged this way isolate one failure: the log part
// of the check passes.
func (f *fixture) logged(t testing.TB, s *seal.Seal) []byte {
	leaf := seallog.NewLeaf(s.Commitment(), must(s.Hash()))
	_, proof, err := f.log.AppendProof(leaf)
	if err != nil {
		t.Fatal(err)
	}
	file, err := seal.NewFile(s, proof)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// rawFile packs seal bytes and a proof without NewFile's checks.
func rawFile(t testing.TB, sealBytes, proof []byte) []byte {
	return must((&seal.File{Seal: sealBytes, Proof: proof}).Marshal())
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// TestGenerateVectors rebuilds every vector of this package from its seed
// and compares it byte for byte with protocol/testdata (natively and under
// wasm). `go test ./keys/seal -run GenerateVectors -update` rewrites them.
func TestGenerateVectors(t *testing.T) {
	const seed = 1
	var f *fixture
	var good *seal.Seal
	var goodFile []byte
	var otherLog *seallog.SignerKey
	var files = map[string]fileVector{}
	t.Run("build", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		f = newFixture(t)
		good = f.seal(t)
		goodFile = f.logged(t, good)
		otherLog = must(seallog.GenerateKey("vellum.test/seal-log"))
		vkey := f.logKey.VerifierKey()
		fv := func(comment string, doc, file []byte, errs []string, signerErrs ...string) fileVector {
			return fileVector{Comment: comment, Seed: seed, VerifierKey: vkey, Document: doc, File: file, Errors: errs, SignerErrors: signerErrs}
		}

		files["valid"] = fv("a document signed by two members and one external signer; CBOR {1: 1, 2: seal, 3: tlog-proof} whose proof's extra line is the leaf 0x01 ‖ id ‖ C ‖ S at index 5 of 6", f.doc, goodFile, nil)
		files["document-altered"] = fv("valid, checked against the document with one byte changed", flip(f.doc, 7), goodFile, []string{"hash_mismatch"})
		files["other-log-key"] = fileVector{Comment: "valid, checked against another log key of the same origin", Seed: seed,
			VerifierKey: otherLog.VerifierKey(), Document: f.doc, File: goodFile, Errors: []string{"log_key_mismatch"}}

		// Tampered seals that a malicious or broken client built and had
		// logged: only the seal checks fail.
		removed := *good
		removed.Signatures = good.Signatures[:2]
		files["signature-removed"] = fv("Carol's statement left out of the seal, which was then logged", f.doc, f.logged(t, &removed), []string{"missing_signature"}, "", "", "missing_signature")

		swapped := *good
		swapped.Signatures = append([]seal.SignedStatement(nil), good.Signatures...)
		swapped.Signatures[1] = *f.sign(t, 1, f.digest, "env_OtherEnvelope-000001", t0.Add(5*time.Minute))
		files["signer-swapped"] = fv("Bob's statement replaced by one he validly signed for another envelope; logged", f.doc, f.logged(t, &swapped), []string{"signer_mismatch"}, "", "signer_mismatch", "")

		otherDoc := swapped
		otherDoc.Signatures = append([]seal.SignedStatement(nil), good.Signatures...)
		otherDoc.Signatures[0] = *f.sign(t, 0, sha256.Sum256([]byte("another document")), f.envelope, t0.Add(time.Minute))
		files["signed-other-document"] = fv("Alice's statement replaced by one she validly signed over another document in the same envelope; logged", f.doc, f.logged(t, &otherDoc), []string{"signer_mismatch"}, "signer_mismatch", "", "")

		mallory := keys.NewSigningKey()
		outsider := *good
		outsider.Signatures = append([]seal.SignedStatement(nil), good.Signatures...)
		impostor := f.signers[2]
		impostor.Key = mallory.Public()
		outsider.Signatures[2] = *must(seal.Sign(mallory, seal.Statement{Digest: f.digest, EnvelopeID: f.envelope, Signer: impostor, SignedAt: t0.Add(42 * time.Minute), Attestation: seal.AttestPINVerified}))
		files["outsider-key"] = fv("Carol's statement replaced by one naming Carol but signed with another key; logged: Carol has no statement and one statement is by no signer", f.doc, f.logged(t, &outsider), []string{"missing_signature", "signer_mismatch"}, "", "", "missing_signature")

		badSig := *good
		badSig.Signatures = append([]seal.SignedStatement(nil), good.Signatures...)
		badSig.Signatures[0].Signature = flip(good.Signatures[0].Signature, 10)
		files["bad-signature"] = fv("one bit of Alice's signature flipped; logged", f.doc, f.logged(t, &badSig), []string{"bad_signature"}, "bad_signature", "", "")

		// Damage to the .seal file after logging.
		parsed := must(seal.ParseFile(goodFile))
		lines := strings.Split(string(parsed.Proof), "\n")
		truncated := strings.Join(append(lines[:3:3], lines[4:]...), "\n") // drops the first hash
		files["proof-truncated"] = fv("valid with the first hash of the inclusion proof removed", f.doc, rawFile(t, parsed.Seal, []byte(truncated)), []string{"proof_invalid", "proof_length"})

		cpRoot := len(lines) - 4 // lines: ... origin, size, root, "", signature, ""
		lines2 := append([]string(nil), lines...)
		lines2[cpRoot-2] = "6000"
		files["checkpoint-tampered"] = fv("valid with the checkpoint's tree size changed", f.doc, rawFile(t, parsed.Seal, []byte(strings.Join(lines2, "\n"))), []string{"proof_invalid", "checkpoint_signature"})

		later := *good
		later.SealedAt = good.SealedAt.Add(time.Hour)
		files["seal-altered"] = fv("the seal's sealing time changed after logging: S no longer matches the log entry", f.doc, rawFile(t, must(later.Marshal()), parsed.Proof), []string{"proof_invalid", "wrong_leaf"})

		files["cut"] = fv("valid without its last byte", f.doc, goodFile[:len(goodFile)-1], []string{"malformed"})
		v2 := bytes.Clone(goodFile)
		if v2[1] != 0x01 || v2[2] != 0x01 {
			t.Fatalf("file does not start with {1: 1: % x", v2[:3])
		}
		v2[2] = 0x02
		files["unknown-version"] = fv("valid with the container version 2", f.doc, v2, []string{"unsupported"})
	})

	for name, v := range files {
		check(t, "seal-file", name, v)
	}

	// Statements.
	for i, name := range []string{"member", "member-2", "external"} {
		st := f.sigs[i]
		check(t, "seal-statement", name, statementVector{
			Comment:   "signed statement {1: statement, 2: Ed25519 signature over \"vellum-signature/v1\" ‖ 0x0a ‖ statement}; statement {1: version 1, 2: D, 3: envelope id, 4: signer {1: kind, 2: name, 3: e-mail, 4: account id (members only), 5: key}, 5: Unix seconds, 6: attestation}",
			Seed:      seed,
			VerifyKey: st.Statement.Signer.Key.String(),
			Statement: statementBody(t, &st),
			Signed:    must(st.Marshal()),
		})
	}
	signed := must(f.sigs[0].Marshal())
	check(t, "seal-statement", "bad-signature", statementVector{
		Comment: "member with the signature's last byte flipped",
		Seed:    seed, VerifyKey: f.sigs[0].Statement.Signer.Key.String(), Signed: flip(signed, len(signed)-1), Error: "bad_signature",
	})
	check(t, "seal-statement", "altered-time", statementVector{
		Comment: "member with one bit of the signing time flipped inside the signed bytes",
		Seed:    seed, VerifyKey: f.sigs[0].Statement.Signer.Key.String(), Signed: alterTime(t, signed), Error: "bad_signature",
	})
	check(t, "seal-statement", "trailing-byte", statementVector{
		Comment: "member with a byte appended: not canonical CBOR",
		Seed:    seed, Signed: append(bytes.Clone(signed), 0x00), Error: "malformed",
	})
	check(t, "seal-statement", "short-signature", statementVector{
		Comment: "member with a 63-byte signature",
		Seed:    seed, Signed: shortSignature(t, signed), Error: "malformed",
	})

	// Seals.
	sb := must(good.Marshal())
	s := must(good.Hash())
	c := good.Commitment()
	check(t, "seal-seal", "three-signers", sealVector{
		Comment: "{1: version 1, 2: D, 3: salt, 4: envelope id, 5: [signer], 6: [signed statement], 7: sealed at, Unix seconds}; S = SHA-256(seal), C = SHA-256(\"vellum-seal/v1\" ‖ salt ‖ D)",
		Seed:    seed, Seal: sb, Digest: good.Digest[:], Salt: good.Salt[:], SealHash: s[:], Commitment: c[:],
	})
	v2 := bytes.Clone(sb)
	v2[2] = 0x02 // {1: 2, ...}
	check(t, "seal-seal", "unknown-version", sealVector{Comment: "three-signers with version 2", Seed: seed, Seal: v2, Error: "unsupported"})
	check(t, "seal-seal", "trailing-byte", sealVector{Comment: "three-signers with a byte appended", Seed: seed, Seal: append(bytes.Clone(sb), 0), Error: "malformed"})
	check(t, "seal-seal", "repeated-signer", sealVector{Comment: "three-signers edited to list Alice twice, with her statement only", Seed: seed, Seal: repeatFirstSigner(t, sb), Error: "malformed"})
}
