package seal_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

func TestVectorsStatement(t *testing.T) {
	for _, c := range vectortest.Load[statementVector](t, "seal-statement") {
		t.Run(c.Name, func(t *testing.T) {
			st, err := seal.ParseSignedStatement(c.V.Signed)
			if err == nil {
				err = st.Verify()
			}
			checkErrors(t, err, c.V.Error)
			if err != nil {
				return
			}
			if st.Statement.Signer.Key.String() != c.V.VerifyKey {
				t.Errorf("statement key %v", st.Statement.Signer.Key)
			}
			// The signature is over label ‖ 0x0a ‖ the statement bytes.
			if err := st.Statement.Signer.Key.Verify(protocol.LabelSignerStatement, c.V.Statement, st.Signature); err != nil {
				t.Errorf("signature is not over the vector's statement bytes: %v", err)
			}
			if again, err := st.Marshal(); err != nil || !bytes.Equal(again, c.V.Signed) {
				t.Errorf("statement does not round-trip: %v", err)
			}
		})
	}
}

func TestVectorsSeal(t *testing.T) {
	for _, c := range vectortest.Load[sealVector](t, "seal-seal") {
		t.Run(c.Name, func(t *testing.T) {
			s, err := seal.ParseSeal(c.V.Seal)
			checkErrors(t, err, c.V.Error)
			if err != nil {
				return
			}
			if h := sha256.Sum256(c.V.Seal); !bytes.Equal(h[:], c.V.SealHash) {
				t.Errorf("S is not SHA-256 of the seal")
			}
			if h, _ := s.Hash(); !bytes.Equal(h[:], c.V.SealHash) {
				t.Errorf("Hash() = %x, want %x", h, c.V.SealHash)
			}
			cm := s.Commitment()
			want := sha256.Sum256(append(append([]byte("vellum-seal/v1"), c.V.Salt...), c.V.Digest...))
			if !bytes.Equal(cm[:], c.V.Commitment) || cm != want {
				t.Errorf("commitment %x, want %x", cm, c.V.Commitment)
			}
		})
	}
}

func TestVectorsFile(t *testing.T) {
	for _, c := range vectortest.Load[fileVector](t, "seal-file") {
		t.Run(c.Name, func(t *testing.T) {
			v, err := seallog.NewVerifier(c.V.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			r, err := seal.Verify(bytes.NewReader(c.V.Document), c.V.File, v)
			checkErrors(t, err, c.V.Errors...)
			if r == nil {
				if err == nil {
					t.Fatal("no report and no error")
				}
				return
			}
			if r.Document != sha256.Sum256(c.V.Document) {
				t.Errorf("report has the wrong document digest")
			}
			if c.V.SignerErrors != nil && len(c.V.SignerErrors) != len(r.Signers) {
				t.Fatalf("%d signers, vector has %d", len(r.Signers), len(c.V.SignerErrors))
			}
			for i, sr := range r.Signers {
				want := ""
				if c.V.SignerErrors != nil {
					want = c.V.SignerErrors[i]
				}
				t.Run(fmt.Sprint("signer", i), func(t *testing.T) { checkErrors(t, sr.Err, want) })
				if sr.Err == nil && (sr.SignedAt.IsZero() || sr.Attestation == 0) {
					t.Errorf("signer %d verified without a time or attestation", i)
				}
				var se *seal.SignerError
				if sr.Err != nil && (!errors.As(sr.Err, &se) || se.Index != i) {
					t.Errorf("signer %d error is not a *SignerError for it: %v", i, sr.Err)
				}
			}
			if (r.Log != nil) != (err == nil || !errors.Is(err, seal.ErrProofInvalid) && !errors.Is(err, seal.ErrLogKeyMismatch)) {
				t.Errorf("report log %+v with error %v", r.Log, err)
			}
		})
	}
}

// TestRoundTrip: sign, seal, log, pack, verify; the report says who signed
// when.
func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	s := f.seal(t)
	file := f.logged(t, s)
	r, err := seal.Verify(bytes.NewReader(f.doc), file, f.logKey.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Signers) != 3 || r.Signers[2].Signer.Kind != seal.SignerExternal || r.Signers[2].Attestation != seal.AttestPINVerified ||
		!r.Signers[1].SignedAt.Equal(t0.Add(5*time.Minute)) || r.Log == nil || r.Log.Index != 5 || r.EnvelopeID != f.envelope {
		t.Errorf("report %+v", r)
	}
	if r.SealHash != must(s.Hash()) || r.Commitment != s.Commitment() {
		t.Errorf("report S or C differ from the seal's")
	}
	// The .seal file's seal parses back to the same seal.
	pf := must(seal.ParseFile(file))
	back := must(seal.ParseSeal(pf.Seal))
	if !bytes.Equal(must(back.Marshal()), pf.Seal) {
		t.Errorf("seal does not round-trip")
	}
	// The proof still verifies after the log has grown, against a newer
	// checkpoint, and is consistent with it.
	for i := range 3 {
		must(f.log.Append(seallog.NewLeaf([32]byte{byte(i)}, [32]byte{})))
	}
	newer := must(f.log.InclusionProof(r.Log.Index, f.log.Size()))
	leaf := must(seallog.ParseLeaf(must(seallog.ParseProof(pf.Proof)).Extra))
	if _, err := seallog.VerifyInclusion(newer, leaf, f.logKey.Verifier()); err != nil {
		t.Fatal(err)
	}
	cp := must(f.log.Checkpoint())
	cons := must(f.log.ConsistencyProof(r.Log.Checkpoint.Size, f.log.Size()))
	old := must(seallog.ParseProof(pf.Proof)).Checkpoint
	if _, _, err := seallog.VerifyConsistency(old, cp, cons, f.logKey.Verifier()); err != nil {
		t.Fatal(err)
	}
}

func TestNewRefuses(t *testing.T) {
	f := newFixture(t)
	at := t0.Add(time.Hour)
	other := f.sign(t, 1, f.digest, "env_Another-000000000001", t0)
	outsider := keys.NewSigningKey()
	impostor := f.signers[0]
	impostor.Key = outsider.Public()
	forged := must(seal.Sign(outsider, seal.Statement{Digest: f.digest, EnvelopeID: f.envelope, Signer: impostor, SignedAt: t0, Attestation: seal.AttestSession}))
	flipped := f.sigs[2]
	flipped.Signature = flip(flipped.Signature, 0)
	tooMany := make([]seal.Signer, protocol.MaxSigners+1)
	for _, c := range []struct {
		name    string
		signers []seal.Signer
		sigs    []seal.SignedStatement
		at      time.Time
		want    error
	}{
		{"missing", f.signers, f.sigs[:2], at, seal.ErrMissingSignature},
		{"other envelope", f.signers, []seal.SignedStatement{f.sigs[0], *other, f.sigs[2]}, at, seal.ErrSignerMismatch},
		{"outsider", f.signers, []seal.SignedStatement{*forged, f.sigs[1], f.sigs[2]}, at, seal.ErrMissingSignature},
		{"bad signature", f.signers, []seal.SignedStatement{f.sigs[0], f.sigs[1], flipped}, at, seal.ErrBadSignature},
		{"before signing", f.signers, f.sigs, t0, nil},
		{"no signers", nil, nil, at, seal.ErrMalformed},
		{"too many signers", tooMany, nil, at, seal.ErrTooLarge},
		{"repeated signer", []seal.Signer{f.signers[0], f.signers[0]}, f.sigs[:2], at, seal.ErrMalformed},
	} {
		_, err := seal.New(f.digest, f.envelope, c.signers, c.sigs, c.at)
		if err == nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: New = %v, want %v", c.name, err, c.want)
		}
	}
	// Statements given out of order are sealed in signer order.
	s, err := seal.New(f.digest, f.envelope, f.signers, []seal.SignedStatement{f.sigs[2], f.sigs[0], f.sigs[1]}, at)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Signatures {
		if s.Signatures[i].Statement.Signer != f.signers[i] {
			t.Errorf("statement %d is not signer %d's", i, i)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	f := newFixture(t)
	good := seal.Statement{Digest: f.digest, EnvelopeID: f.envelope, Signer: f.signers[0], SignedAt: t0, Attestation: seal.AttestSession}
	if _, err := seal.Sign(f.keys[1], good); !errors.Is(err, seal.ErrSignerMismatch) {
		t.Errorf("signed with another signer's key: %v", err)
	}
	bad := func(edit func(*seal.Statement)) seal.Statement { s := good; edit(&s); return s }
	for name, st := range map[string]seal.Statement{
		"external with a session":   bad(func(s *seal.Statement) { s.Signer.Kind = seal.SignerExternal; s.Signer.AccountID = "" }),
		"external with an account":  bad(func(s *seal.Statement) { s.Signer.Kind = seal.SignerExternal; s.Attestation = seal.AttestPINVerified }),
		"member with a PIN":         bad(func(s *seal.Statement) { s.Attestation = seal.AttestPINVerified }),
		"member without an account": bad(func(s *seal.Statement) { s.Signer.AccountID = "" }),
		"empty name":                bad(func(s *seal.Statement) { s.Signer.Name = "" }),
		"long name":                 bad(func(s *seal.Statement) { s.Signer.Name = strings.Repeat("a", protocol.MaxNameLength+1) }),
		"invalid UTF-8 name":        bad(func(s *seal.Statement) { s.Signer.Name = "\xff" }),
		"bad e-mail":                bad(func(s *seal.Statement) { s.Signer.Email = "alice" }),
		"bad envelope id":           bad(func(s *seal.Statement) { s.EnvelopeID = "env 1" }),
		"before 1970":               bad(func(s *seal.Statement) { s.SignedAt = time.Unix(0, 0) }),
	} {
		if _, err := seal.Sign(f.keys[0], st); !errors.Is(err, seal.ErrMalformed) {
			t.Errorf("%s: Sign = %v", name, err)
		}
	}
	for name, st := range map[string]seal.Statement{
		"unknown signer kind": bad(func(s *seal.Statement) { s.Signer.Kind = 3 }),
		"unknown attestation": bad(func(s *seal.Statement) { s.Attestation = 3 }),
	} {
		if _, err := seal.Sign(f.keys[0], st); !errors.Is(err, seal.ErrUnsupported) {
			t.Errorf("%s: Sign = %v", name, err)
		}
	}
	// Sub-second times are dropped, and the result says so.
	st := must(seal.Sign(f.keys[0], bad(func(s *seal.Statement) { s.SignedAt = t0.Add(1500 * time.Millisecond) })))
	if !st.Statement.SignedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("signed at %v", st.Statement.SignedAt)
	}
}

// TestErrorsAreDistinct: every failure named in the brief has its own
// sentinel.
func TestErrorsAreDistinct(t *testing.T) {
	all := []error{seal.ErrMalformed, seal.ErrTooLarge, seal.ErrUnsupported, seal.ErrHashMismatch, seal.ErrMissingSignature,
		seal.ErrSignerMismatch, seal.ErrBadSignature, seal.ErrLogKeyMismatch, seal.ErrProofInvalid}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v is %v", a, b)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, protocol.MaxSeal+1)
	if _, err := seal.ParseFile(big); !errors.Is(err, seal.ErrTooLarge) {
		t.Errorf("oversize .seal file: %v", err)
	}
	if _, err := seal.ParseSeal(big); !errors.Is(err, seal.ErrTooLarge) {
		t.Errorf("oversize seal: %v", err)
	}
	if _, err := seal.ParseSignedStatement(big[:protocol.MaxStatement+1]); !errors.Is(err, seal.ErrTooLarge) {
		t.Errorf("oversize statement: %v", err)
	}
	if _, err := seal.VerifyDigest([32]byte{}, big, nil); !errors.Is(err, seal.ErrTooLarge) {
		t.Errorf("oversize .seal file: %v", err)
	}
}

// TestMaxSigners: a seal of protocol.MaxSigners signers with names and
// e-mail addresses at their limits fits protocol.MaxSeal and verifies.
func TestMaxSigners(t *testing.T) {
	f := newFixture(t)
	var signers []seal.Signer
	var sigs []seal.SignedStatement
	for i := range protocol.MaxSigners {
		k := keys.NewSigningKey()
		local := fmt.Sprintf("%03d", i) + strings.Repeat("x", 64-3)
		sg := seal.Signer{Kind: seal.SignerMember, Name: strings.Repeat("é", protocol.MaxNameLength/2),
			Email:     local + "@" + strings.Repeat("d", protocol.MaxEmailLength-len(local)-1-4) + ".com",
			AccountID: strings.Repeat("A", protocol.MaxIDLength-3) + fmt.Sprintf("%03d", i), Key: k.Public()}
		signers = append(signers, sg)
		sigs = append(sigs, *must(seal.Sign(k, seal.Statement{Digest: f.digest, EnvelopeID: f.envelope, Signer: sg, SignedAt: t0, Attestation: seal.AttestSession})))
	}
	s, err := seal.New(f.digest, f.envelope, signers, sigs, t0)
	if err != nil {
		t.Fatal(err)
	}
	file := f.logged(t, s)
	t.Logf(".seal file of %d signers at their limits: %d bytes (limit %d)", len(signers), len(file), protocol.MaxSeal)
	if _, err := seal.VerifyDigest(f.digest, file, f.logKey.Verifier()); err != nil {
		t.Fatal(err)
	}
}

func TestHashFile(t *testing.T) {
	// D is what sha256sum prints, for any read pattern.
	data := bytes.Repeat([]byte("vellum"), 100000)
	want := sha256.Sum256(data)
	for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
		if got, err := seal.HashFile(r); err != nil || got != want {
			t.Errorf("HashFile = %x, %v", got, err)
		}
	}
	if d := must(seal.HashFile(strings.NewReader(""))); fmt.Sprintf("%x", d) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty file D = %x", d)
	}
	boom := errors.New("disk on fire")
	if _, err := seal.HashFile(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("read error lost: %v", err)
	}
	if _, err := seal.Verify(iotest.ErrReader(boom), nil, nil); !errors.Is(err, boom) {
		t.Errorf("read error lost in Verify: %v", err)
	}
}

func TestNewFileRefusesOtherProof(t *testing.T) {
	f := newFixture(t)
	s := f.seal(t)
	_, proof, err := f.log.AppendProof(seallog.NewLeaf(s.Commitment(), [32]byte{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.NewFile(s, proof); !errors.Is(err, seal.ErrProofInvalid) || !errors.Is(err, seallog.ErrWrongLeaf) {
		t.Errorf("NewFile with another seal's proof: %v", err)
	}
}
