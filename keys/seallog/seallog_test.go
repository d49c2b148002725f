package seallog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/cryptotest"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

func TestVectorsKey(t *testing.T) {
	for _, c := range vectortest.Load[keyVector](t, "seallog-key") {
		t.Run(c.Name, func(t *testing.T) {
			k, err := seallog.ParseSignerKey(c.V.SignerKey)
			if err != nil {
				t.Fatal(err)
			}
			if string(k.MarshalSecret()) != c.V.SignerKey || k.VerifierKey() != c.V.VerifierKey || k.Origin() != c.V.Origin {
				t.Errorf("key does not round-trip")
			}
			v, err := seallog.NewVerifier(c.V.VerifierKey)
			if err != nil {
				t.Fatal(err)
			}
			if v.Name() != c.V.Origin {
				t.Errorf("verifier name %q", v.Name())
			}
			// The stock note package reads both forms.
			s, err := note.NewSigner(c.V.SignerKey)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := note.Sign(&note.Note{Text: "hello\n"}, s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
				t.Errorf("note signed by the vector key does not open: %v", err)
			}
		})
	}
}

func TestVectorsLeaf(t *testing.T) {
	for _, c := range vectortest.Load[leafVector](t, "seallog-leaf") {
		t.Run(c.Name, func(t *testing.T) {
			l, err := seallog.ParseLeaf(c.V.Leaf)
			checkError(t, err, c.V.Error)
			if err != nil {
				return
			}
			if !bytes.Equal(l.Commitment[:], c.V.Commitment) || !bytes.Equal(l.Seal[:], c.V.Seal) {
				t.Errorf("leaf fields differ")
			}
			if h := l.Hash(); !bytes.Equal(h[:], c.V.RecordHash) {
				t.Errorf("record hash %x, want %x", h, c.V.RecordHash)
			}
			// RFC 6962: the leaf hash is SHA-256(0x00 ‖ leaf).
			if h := sha256.Sum256(append([]byte{0}, c.V.Leaf...)); !bytes.Equal(h[:], c.V.RecordHash) {
				t.Errorf("record hash is not the RFC 6962 leaf hash")
			}
			if !bytes.Equal(l.Marshal(), c.V.Leaf) {
				t.Errorf("leaf does not round-trip")
			}
		})
	}
}

func verifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := seallog.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorsCheckpoint(t *testing.T) {
	for _, c := range vectortest.Load[checkpointVector](t, "seallog-checkpoint") {
		t.Run(c.Name, func(t *testing.T) {
			cp, err := seallog.OpenCheckpoint([]byte(c.V.Checkpoint), verifier(t, c.V.VerifierKey))
			checkError(t, err, c.V.Error)
			if err != nil {
				return
			}
			if cp.Origin != c.V.Origin || cp.Size != c.V.Size || !bytes.Equal(cp.Root[:], c.V.Root) {
				t.Errorf("checkpoint %+v differs from the vector", cp)
			}
			if !strings.HasPrefix(c.V.Checkpoint, string(cp.Text())+"\n") {
				t.Errorf("checkpoint text does not round-trip")
			}
		})
	}
}

func TestVectorsProof(t *testing.T) {
	for _, c := range vectortest.Load[proofVector](t, "seallog-proof") {
		t.Run(c.Name, func(t *testing.T) {
			leaf, err := seallog.ParseLeaf(c.V.Leaf)
			if err != nil {
				t.Fatal(err)
			}
			inc, err := seallog.VerifyInclusion([]byte(c.V.Proof), leaf, verifier(t, c.V.VerifierKey))
			checkError(t, err, c.V.Error)
			if err != nil {
				return
			}
			if inc.Index != c.V.Index || inc.Checkpoint.Size != c.V.TreeSize {
				t.Errorf("proof of index %d in %d, want %d in %d", inc.Index, inc.Checkpoint.Size, c.V.Index, c.V.TreeSize)
			}
			p, err := seallog.ParseProof([]byte(c.V.Proof))
			if err != nil {
				t.Fatal(err)
			}
			if string(p.Marshal()) != c.V.Proof {
				t.Errorf("proof does not round-trip")
			}
		})
	}
}

func TestVectorsConsistency(t *testing.T) {
	for _, c := range vectortest.Load[consistencyVector](t, "seallog-consistency") {
		t.Run(c.Name, func(t *testing.T) {
			_, _, err := seallog.VerifyConsistency([]byte(c.V.Old), []byte(c.V.New), []byte(c.V.Proof), verifier(t, c.V.VerifierKey))
			checkError(t, err, c.V.Error)
		})
	}
}

// TestLogProofs checks every inclusion proof and every consistency proof of
// logs of every size up to 21 (enough for every shape of a tree of depth 5),
// and that each way of bending an inclusion proof gets its named error.
func TestLogProofs(t *testing.T) {
	const n = 21
	key, log, leaves := testLog(t, 0)
	v := key.Verifier()
	var cps [][]byte
	cp0, err := log.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	cps = append(cps, cp0)
	for i := range n {
		leaf := testLeaf(i)
		idx, proof, err := log.AppendProof(leaf)
		if err != nil || idx != int64(i) {
			t.Fatalf("AppendProof = %d, %v", idx, err)
		}
		leaves = append(leaves, leaf)
		inc, err := seallog.VerifyInclusion(proof, leaf, v)
		if err != nil || inc.Index != idx || inc.Checkpoint.Size != idx+1 {
			t.Fatalf("fresh proof of %d: %+v, %v", i, inc, err)
		}
		cp, err := log.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, cp)
	}
	for size := int64(1); size <= n; size++ {
		for i := int64(0); i < size; i++ {
			proof, err := log.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			p, err := seallog.ParseProof(proof)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Checkpoint, cps[size]) {
				t.Fatalf("proof at size %d carries another checkpoint", size)
			}
			leaf := leaves[i]
			if !bytes.Equal(p.Extra, leaf.Marshal()) {
				t.Fatalf("proof of %d carries another leaf", i)
			}
			if _, err := seallog.VerifyInclusion(proof, leaf, v); err != nil {
				t.Fatalf("index %d of %d: %v", i, size, err)
			}
			// Dropping any one hash is a length error, never a pass.
			for j := range p.Hashes {
				q := *p
				q.Hashes = append(append([]tlog.Hash(nil), p.Hashes[:j]...), p.Hashes[j+1:]...)
				if _, err := q.Verify(leaf, v); !errors.Is(err, seallog.ErrProofLength) {
					t.Fatalf("index %d of %d without hash %d: %v", i, size, j, err)
				}
			}
			q := *p
			q.Hashes = append(append([]tlog.Hash(nil), p.Hashes...), tlog.Hash{})
			if _, err := q.Verify(leaf, v); !errors.Is(err, seallog.ErrProofLength) {
				t.Fatalf("index %d of %d with a hash too many: %v", i, size, err)
			}
			// Claiming the leaf sits at another index never passes.
			for j := int64(0); j < size; j++ {
				if j == i {
					continue
				}
				q := *p
				q.Index = j
				if _, err := q.Verify(leaf, v); !errors.Is(err, seallog.ErrRootMismatch) && !errors.Is(err, seallog.ErrProofLength) {
					t.Fatalf("leaf %d claimed at %d of %d: %v", i, j, size, err)
				}
			}
		}
	}
	for old := int64(0); old <= n; old++ {
		for size := old; size <= n; size++ {
			proof, err := log.ConsistencyProof(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := seallog.VerifyConsistency(cps[old], cps[size], proof, v); err != nil {
				t.Fatalf("consistency %d to %d: %v", old, size, err)
			}
			if old < size && old > 0 {
				if _, _, err := seallog.VerifyConsistency(cps[size], cps[old], proof, v); !errors.Is(err, seallog.ErrNotConsistent) {
					t.Fatalf("reversed consistency %d to %d: %v", old, size, err)
				}
			}
		}
	}
}

func TestLogRefusesBadRanges(t *testing.T) {
	_, log, _ := testLog(t, 3)
	for _, c := range [][2]int64{{3, 3}, {0, 4}, {-1, 2}, {2, 2}} {
		if _, err := log.InclusionProof(c[0], c[1]); !errors.Is(err, seallog.ErrIndexOutOfRange) {
			t.Errorf("InclusionProof(%d, %d) = %v", c[0], c[1], err)
		}
	}
	for _, c := range [][2]int64{{2, 1}, {0, 4}, {-1, 2}} {
		if _, err := log.ConsistencyProof(c[0], c[1]); !errors.Is(err, seallog.ErrIndexOutOfRange) {
			t.Errorf("ConsistencyProof(%d, %d) = %v", c[0], c[1], err)
		}
	}
}

// TestLogReopen: a Log opened over existing storage continues the same tree.
func TestLogReopen(t *testing.T) {
	key, err := seallog.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	st := new(seallog.MemStorage)
	a, _ := seallog.NewLog(st, key)
	for i := range 5 {
		a.Append(testLeaf(i))
	}
	cp5, _ := a.Checkpoint()
	b, err := seallog.NewLog(st, key)
	if err != nil || b.Size() != 5 {
		t.Fatalf("reopened log of size %d: %v", b.Size(), err)
	}
	if _, err := b.Append(testLeaf(5)); err != nil {
		t.Fatal(err)
	}
	cp6, _ := b.Checkpoint()
	proof, _ := b.ConsistencyProof(5, 6)
	if _, _, err := seallog.VerifyConsistency(cp5, cp6, proof, key.Verifier()); err != nil {
		t.Fatal(err)
	}
	// The key the log publishes is its signer's, and verifies its checkpoints.
	if b.VerifierKey() != key.VerifierKey() {
		t.Fatalf("log publishes %q, its key is %q", b.VerifierKey(), key.VerifierKey())
	}
	published, err := seallog.NewVerifier(b.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seallog.OpenCheckpoint(cp6, published); err != nil {
		t.Fatalf("checkpoint under the published key: %v", err)
	}
	// The first log no longer knows the storage's size: its append is
	// refused by the storage instead of corrupting the tree.
	if _, err := a.Append(testLeaf(6)); !errors.Is(err, seallog.ErrStorageConflict) {
		t.Fatalf("stale writer: %v", err)
	}
}

func TestSignerKeyIsSecret(t *testing.T) {
	k, err := seallog.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	secret := string(k.MarshalSecret())
	// PRIVATE+KEY+<origin>+<hash>+<key data>: the key data is base64 and
	// may hold a "+" itself, so it is all that follows the fourth one
	// (the text after the last "+" can be one letter of "[REDACTED]").
	fields := strings.SplitN(secret, "+", 5)
	if len(fields) != 5 || len(fields[4]) < 40 {
		t.Fatalf("secret key of %d fields", len(fields))
	}
	seedPart := fields[4]
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x", k, k, k, k, k), fmt.Sprint(*k)} {
		if strings.Contains(s, seedPart) || !strings.Contains(s, "[REDACTED]") {
			t.Errorf("key printed as %q", s)
		}
	}
	if _, err := json.Marshal(k); err == nil {
		t.Errorf("secret key marshalled as JSON")
	}
	k2, err := seallog.ParseSignerKey(secret)
	if err != nil || !k.Equal(k2) {
		t.Fatalf("ParseSignerKey: %v", err)
	}
	other, _ := seallog.GenerateKey(testOrigin)
	if k.Equal(other) {
		t.Errorf("two generated keys are equal")
	}
}

func TestKeyParsersRefuse(t *testing.T) {
	k, _ := seallog.GenerateKey(testOrigin)
	secret, vkey := string(k.MarshalSecret()), k.VerifierKey()
	for name, s := range map[string]string{
		"upper-case hash": strings.Replace(secret, secret[30:38], strings.ToUpper(secret[30:38]), 1),
		"no prefix":       strings.TrimPrefix(secret, "PRIVATE+"),
		"short":           secret[:len(secret)-4],
		"empty":           "",
	} {
		if _, err := seallog.ParseSignerKey(s); !errors.Is(err, seallog.ErrMalformed) {
			t.Errorf("%s: ParseSignerKey(%q) = %v", name, s, err)
		}
	}
	for name, s := range map[string]string{
		"other hash": vkey[:len(testOrigin)+1] + "00000000" + vkey[len(testOrigin)+9:],
		"short":      vkey[:len(vkey)-4],
		"space name": "a b" + vkey[len(testOrigin):],
	} {
		if _, err := seallog.NewVerifier(s); !errors.Is(err, seallog.ErrMalformed) {
			t.Errorf("%s: NewVerifier(%q) = %v", name, s, err)
		}
	}
	if _, err := seallog.GenerateKey("has space"); !errors.Is(err, seallog.ErrMalformed) {
		t.Errorf("GenerateKey accepted an invalid origin: %v", err)
	}
}

func TestLimits(t *testing.T) {
	v := verifier(t, vectortest.Load[keyVector](t, "seallog-key")[0].V.VerifierKey)
	big := bytes.Repeat([]byte("a"), protocol.MaxCheckpoint+1)
	if _, err := seallog.OpenCheckpoint(big, v); !errors.Is(err, seallog.ErrTooLarge) {
		t.Errorf("oversize checkpoint: %v", err)
	}
	big = bytes.Repeat([]byte("a"), protocol.MaxProof+1)
	if _, err := seallog.ParseProof(big); !errors.Is(err, seallog.ErrTooLarge) {
		t.Errorf("oversize proof: %v", err)
	}
	if _, err := seallog.ParseConsistencyProof(big); !errors.Is(err, seallog.ErrTooLarge) {
		t.Errorf("oversize consistency proof: %v", err)
	}
	// 65 hashes: more than any tree of 2^63 leaves needs.
	var b strings.Builder
	b.WriteString("c2sp.org/tlog-proof@v1\nindex 0\n")
	for range 65 {
		b.WriteString(base64Hash([32]byte{}) + "\n")
	}
	b.WriteString("\nx\n")
	if _, err := seallog.ParseProof([]byte(b.String())); !errors.Is(err, seallog.ErrMalformed) {
		t.Errorf("proof of 65 hashes: %v", err)
	}
}

// TestCheckpointExtensionLine: a note signed by the log key whose text has a
// fourth line is refused: Vellum's log never writes extension lines.
func TestCheckpointExtensionLine(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2)
	key, err := seallog.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(string(key.MarshalSecret()))
	for _, text := range []string{
		testOrigin + "\n1\n" + base64Hash([32]byte{}) + "\nextension\n",
		testOrigin + "\n01\n" + base64Hash([32]byte{}) + "\n",
		testOrigin + "\n1\n" + base64Hash([32]byte{})[:43] + "\n",
		"other.origin\n1\n" + base64Hash([32]byte{}) + "\n",
	} {
		msg, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seallog.OpenCheckpoint(msg, key.Verifier()); err == nil {
			t.Errorf("accepted checkpoint text %q", text)
		}
	}
}

func TestMemStorageConflict(t *testing.T) {
	var m seallog.MemStorage
	if err := m.Append(1, []byte("x"), nil); !errors.Is(err, seallog.ErrStorageConflict) {
		t.Errorf("append at 1 of an empty log: %v", err)
	}
	if _, err := m.ReadLeaf(0); err == nil {
		t.Errorf("read a leaf of an empty log")
	}
	if _, err := m.ReadHashes([]int64{0}); err == nil {
		t.Errorf("read a hash of an empty log")
	}
}

// TestAppendProofWith: the proof computed before the leaf is stored is the
// one the log serves once it is, commit is given what Append would store,
// and a commit that fails leaves the log, its storage and its checkpoint
// as they were, so the next append takes the same index.
func TestAppendProofWith(t *testing.T) {
	key, err := seallog.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	st := new(seallog.MemStorage)
	log, err := seallog.NewLog(st, key)
	if err != nil {
		t.Fatal(err)
	}
	// Sizes 1 to 9 cover a first leaf, full subtrees (2, 4, 8) and
	// ragged ones, where the proof reads hashes stored and pending.
	for i := range 9 {
		before, err := log.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		refused := errors.New("the caller's transaction failed")
		calls := 0
		if _, _, err := log.AppendProofWith(testLeaf(100+i), func(int64, []byte, []tlog.Hash, []byte) error {
			calls++
			return refused
		}); !errors.Is(err, refused) || calls != 1 {
			t.Fatalf("failed commit at %d: %v after %d calls", i, err, calls)
		}
		if got, _ := st.Size(); log.Size() != int64(i) || got != int64(i) {
			t.Fatalf("after a failed commit: log %d, storage %d, want %d", log.Size(), got, i)
		}
		if after, _ := log.Checkpoint(); !bytes.Equal(after, before) {
			t.Fatalf("a failed commit at %d changed the checkpoint:\n%s\n%s", i, before, after)
		}

		leaf := testLeaf(i)
		var committed []byte
		idx, proof, err := log.AppendProofWith(leaf, func(index int64, data []byte, hashes []tlog.Hash, p []byte) error {
			if !bytes.Equal(data, leaf.Marshal()) {
				t.Fatalf("commit of leaf %d given other bytes", index)
			}
			committed = p
			return st.Append(index, data, hashes) // refuses hashes of the wrong count or place
		})
		if err != nil || idx != int64(i) || !bytes.Equal(committed, proof) {
			t.Fatalf("AppendProofWith = %d, %v (proof passed to commit equal: %v)", idx, err, bytes.Equal(committed, proof))
		}
		if _, err := seallog.VerifyInclusion(proof, leaf, key.Verifier()); err != nil {
			t.Fatalf("proof of leaf %d: %v", i, err)
		}
		served, err := log.InclusionProof(idx, idx+1)
		if err != nil || !bytes.Equal(served, proof) {
			t.Fatalf("the log serves another proof of leaf %d than it gave at append (%v)", i, err)
		}
		// The stored hashes are the tree's: a log reopened over the
		// storage, which knows nothing of the append, proves the same.
		reopened, err := seallog.NewLog(st, key)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := reopened.InclusionProof(idx, idx+1); err != nil || !bytes.Equal(again, proof) {
			t.Fatalf("reopened log proves leaf %d otherwise (%v)", i, err)
		}
	}
}
