package seallog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/cryptotest"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// Vector file types, one per folder under protocol/testdata. A vector with
// Error set holds input that MUST be refused with that named error.

// keyVector: with crypto/rand seeded by Seed, GenerateKey(Origin) yields
// SignerKey, whose public half is VerifierKey.
type keyVector struct {
	Comment     string `json:"comment"`
	Seed        uint64 `json:"seed"`
	Origin      string `json:"origin"`
	SignerKey   string `json:"signer_key"`
	VerifierKey string `json:"verifier_key"`
}

// leafVector: with crypto/rand seeded by Seed, NewLeaf(Commitment, Seal)
// encodes to Leaf, whose RFC 6962 leaf hash is RecordHash.
type leafVector struct {
	Comment    string         `json:"comment"`
	Seed       uint64         `json:"seed"`
	Commitment vectortest.Hex `json:"commitment,omitempty"`
	Seal       vectortest.Hex `json:"seal,omitempty"`
	Leaf       vectortest.Hex `json:"leaf"`
	RecordHash vectortest.Hex `json:"record_hash,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// checkpointVector: OpenCheckpoint(Checkpoint, VerifierKey) gives Origin,
// Size and Root, or Error.
type checkpointVector struct {
	Comment     string         `json:"comment"`
	Seed        uint64         `json:"seed"`
	VerifierKey string         `json:"verifier_key"`
	Checkpoint  string         `json:"checkpoint"`
	Origin      string         `json:"origin,omitempty"`
	Size        int64          `json:"size,omitempty"`
	Root        vectortest.Hex `json:"root,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// proofVector: VerifyInclusion(Proof, Leaf, VerifierKey) shows Leaf at
// Index in a tree of TreeSize leaves, or fails with Error.
type proofVector struct {
	Comment     string         `json:"comment"`
	Seed        uint64         `json:"seed"`
	VerifierKey string         `json:"verifier_key"`
	Leaf        vectortest.Hex `json:"leaf"`
	Proof       string         `json:"proof"`
	Index       int64          `json:"index,omitempty"`
	TreeSize    int64          `json:"tree_size,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// consistencyVector: VerifyConsistency(Old, New, Proof, VerifierKey)
// succeeds, or fails with Error.
type consistencyVector struct {
	Comment     string `json:"comment"`
	Seed        uint64 `json:"seed"`
	VerifierKey string `json:"verifier_key"`
	Old         string `json:"old"`
	New         string `json:"new"`
	Proof       string `json:"proof"`
	Error       string `json:"error,omitempty"`
}

var sentinels = map[string]error{
	"malformed":            seallog.ErrMalformed,
	"too_large":            seallog.ErrTooLarge,
	"checkpoint_signature": seallog.ErrCheckpointSignature,
	"log_key_mismatch":     seallog.ErrLogKeyMismatch,
	"wrong_leaf":           seallog.ErrWrongLeaf,
	"index_out_of_range":   seallog.ErrIndexOutOfRange,
	"proof_length":         seallog.ErrProofLength,
	"root_mismatch":        seallog.ErrRootMismatch,
	"not_consistent":       seallog.ErrNotConsistent,
}

// checkError fails unless err is exactly the named sentinel: errors.Is the
// named one and none of the others, so that each failure stays distinct.
func checkError(t *testing.T, err error, name string) {
	t.Helper()
	if name == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	want, ok := sentinels[name]
	if !ok {
		t.Fatalf("vector names unknown error %q", name)
	}
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %s", err, name)
	}
	for other, e := range sentinels {
		if other != name && errors.Is(err, e) {
			t.Fatalf("error %v is also %s; failures must be distinct", err, other)
		}
	}
}

// check compares v, encoded as vectortest.Write would store it, with the
// stored vector byte for byte; with -update it rewrites the file instead.
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
	got = append(got, '\n')
	if !bytes.Equal(got, want) {
		t.Errorf("vector %s/%s differs from what the code makes now:\n got: %s\nwant: %s", format, name, got, want)
	}
}

const testOrigin = "vellum.test/seal-log"

// testLeaf is the i-th leaf of a test log: fixed commitment and seal
// hashes, and a random id (deterministic under SetGlobalRandom).
func testLeaf(i int) seallog.Leaf {
	return seallog.NewLeaf(sha256.Sum256(fmt.Appendf(nil, "commitment %d", i)), sha256.Sum256(fmt.Appendf(nil, "seal %d", i)))
}

// testLog makes a key and a log of n test leaves. Call it under
// SetGlobalRandom for deterministic bytes.
func testLog(t testing.TB, n int) (*seallog.SignerKey, *seallog.Log, []seallog.Leaf) {
	t.Helper()
	key, err := seallog.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	log, err := seallog.NewLog(new(seallog.MemStorage), key)
	if err != nil {
		t.Fatal(err)
	}
	var leaves []seallog.Leaf
	for i := range n {
		l := testLeaf(i)
		if idx, err := log.Append(l); err != nil || idx != int64(i) {
			t.Fatalf("Append = %d, %v", idx, err)
		}
		leaves = append(leaves, l)
	}
	return key, log, leaves
}

// must panics on err: only for set-up steps that cannot fail unless the
// code under test is broken, where a panic is a test failure with a stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// replaceLine returns s with its line number i (from 0) replaced by line.
func replaceLine(s string, i int, line string) string {
	lines := strings.Split(s, "\n")
	lines[i] = line
	return strings.Join(lines, "\n")
}

func removeLine(s string, i int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
}

// TestGenerateVectors rebuilds every vector of this package from its seed
// and compares it byte for byte with protocol/testdata (natively and under
// wasm). `go test ./keys/seallog -run GenerateVectors -update` rewrites them.
func TestGenerateVectors(t *testing.T) {
	const seed = 1

	// Keys.
	var key, otherKey *seallog.SignerKey
	t.Run("key", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		key = must(seallog.GenerateKey(testOrigin))
		otherKey = must(seallog.GenerateKey(testOrigin))
	})
	check(t, "seallog-key", "generate", keyVector{
		Comment:     "the log signer key made by GenerateKey(origin) with crypto/rand seeded by seed; signed-note text forms: PRIVATE+KEY+name+hash+base64(0x01 ‖ seed) and name+hash+base64(0x01 ‖ public key), hash = first 4 bytes of SHA-256(name ‖ 0x0a ‖ 0x01 ‖ public key)",
		Seed:        seed,
		Origin:      testOrigin,
		SignerKey:   string(key.MarshalSecret()),
		VerifierKey: key.VerifierKey(),
	})

	// Leaves.
	var leaf seallog.Leaf
	t.Run("leaf", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		leaf = testLeaf(0)
	})
	check(t, "seallog-leaf", "v1", leafVector{
		Comment:    "0x01 ‖ id[16] ‖ C[32] ‖ S[32]; id from crypto/rand seeded by seed; record_hash = SHA-256(0x00 ‖ leaf) (RFC 6962 leaf hash)",
		Seed:       seed,
		Commitment: leaf.Commitment[:],
		Seal:       leaf.Seal[:],
		Leaf:       leaf.Marshal(),
		RecordHash: func() []byte { h := leaf.Hash(); return h[:] }(),
	})
	bad := leaf.Marshal()
	bad[0] = 0x02
	check(t, "seallog-leaf", "unknown-version", leafVector{
		Comment: "the v1 leaf with version byte 0x02: malformed",
		Seed:    seed, Leaf: bad, Error: "malformed",
	})
	check(t, "seallog-leaf", "truncated", leafVector{
		Comment: "the v1 leaf without its last byte: malformed",
		Seed:    seed, Leaf: leaf.Marshal()[:seallog.LeafSize-1], Error: "malformed",
	})

	// A log of 7 leaves, and a fork of it: the same key over other leaves.
	var log *seallog.Log
	var leaves []seallog.Leaf
	var fork *seallog.Log
	t.Run("log", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, seed)
		key, log, leaves = testLog(t, 7)
		fork = must(seallog.NewLog(new(seallog.MemStorage), key))
		for i := range 7 {
			must(fork.Append(testLeaf(100 + i)))
		}
	})
	vkey := key.VerifierKey()

	// Checkpoints.
	cp := string(must(log.Checkpoint()))
	root := must(seallog.OpenCheckpoint([]byte(cp), key.Verifier())).Root
	check(t, "seallog-checkpoint", "size-7", checkpointVector{
		Comment:     "a C2SP tlog-checkpoint: origin, tree size, base64 RFC 6962 root, blank line, one Ed25519 note signature line \"— key-name base64(key hash[4] ‖ signature[64])\"",
		Seed:        seed,
		VerifierKey: vkey, Checkpoint: cp, Origin: testOrigin, Size: 7, Root: root[:],
	})
	cosigned := cp + "— witness.vellum.test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	check(t, "seallog-checkpoint", "witness-cosigned", checkpointVector{
		Comment:     "size-7 with one more signature line by an unknown key (a witness): ignored, as signed notes require",
		Seed:        seed,
		VerifierKey: vkey, Checkpoint: cosigned, Origin: testOrigin, Size: 7, Root: root[:],
	})
	check(t, "seallog-checkpoint", "tampered", checkpointVector{
		Comment:     "size-7 with the tree size changed to 8: the log key's signature no longer verifies",
		Seed:        seed,
		VerifierKey: vkey, Checkpoint: replaceLine(cp, 1, "8"), Error: "checkpoint_signature",
	})
	check(t, "seallog-checkpoint", "other-key", checkpointVector{
		Comment:     "size-7 checked against the verifier key of another key of the same origin: no signature by the pinned key",
		Seed:        seed,
		VerifierKey: otherKey.VerifierKey(), Checkpoint: cp, Error: "log_key_mismatch",
	})
	check(t, "seallog-checkpoint", "unsigned", checkpointVector{
		Comment:     "size-7 without its signature line: not a signed note",
		Seed:        seed,
		VerifierKey: vkey, Checkpoint: cp[:strings.Index(cp, "\n\n")+2], Error: "malformed",
	})

	// Inclusion proofs.
	proofAt := func(i, n int64) string { return string(must(log.InclusionProof(i, n))) }
	p := proofAt(2, 7)
	check(t, "seallog-proof", "index-2-of-7", proofVector{
		Comment:     "a C2SP tlog-proof: header, extra = base64(leaf), index, the RFC 6962 audit path (leaf's sibling first), blank line, the size-7 checkpoint",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: p, Index: 2, TreeSize: 7,
	})
	check(t, "seallog-proof", "index-6-of-7", proofVector{
		Comment:     "the last leaf of the size-7 tree: two hashes",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[6].Marshal(), Proof: proofAt(6, 7), Index: 6, TreeSize: 7,
	})
	check(t, "seallog-proof", "index-0-of-1", proofVector{
		Comment:     "the first leaf in the tree of size 1: no hashes, the root is the leaf hash",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[0].Marshal(), Proof: proofAt(0, 1), Index: 0, TreeSize: 1,
	})
	// Line numbers in p: 0 header, 1 extra, 2 index, 3..5 hashes, 6 blank,
	// 7.. checkpoint (7 origin, 8 size, 9 root).
	check(t, "seallog-proof", "tampered-checkpoint", proofVector{
		Comment:     "index-2-of-7 with the checkpoint's root hash replaced by another's: the log signature fails",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: replaceLine(p, 9, base64Hash(sha256.Sum256([]byte("other root")))), Error: "checkpoint_signature",
	})
	check(t, "seallog-proof", "other-key", proofVector{
		Comment:     "index-2-of-7 checked against another log key of the same origin",
		Seed:        seed,
		VerifierKey: otherKey.VerifierKey(), Leaf: leaves[2].Marshal(), Proof: p, Error: "log_key_mismatch",
	})
	check(t, "seallog-proof", "wrong-leaf", proofVector{
		Comment:     "index-2-of-7 checked for leaf 3: the proof is for another leaf",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[3].Marshal(), Proof: p, Error: "wrong_leaf",
	})
	check(t, "seallog-proof", "index-out-of-range", proofVector{
		Comment:     "index-2-of-7 with the index line changed to 7: outside the tree of 7",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: replaceLine(p, 2, "index 7"), Error: "index_out_of_range",
	})
	check(t, "seallog-proof", "wrong-index", proofVector{
		Comment:     "index-2-of-7 with the index line changed to 3 (same path length): the path no longer leads to the root",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: replaceLine(p, 2, "index 3"), Error: "root_mismatch",
	})
	check(t, "seallog-proof", "truncated", proofVector{
		Comment:     "index-2-of-7 without its last hash line: 2 hashes where 3 are needed",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: removeLine(p, 5), Error: "proof_length",
	})
	check(t, "seallog-proof", "altered-hash", proofVector{
		Comment:     "index-2-of-7 with its first hash replaced",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: replaceLine(p, 3, base64Hash(sha256.Sum256([]byte("other hash")))), Error: "root_mismatch",
	})
	check(t, "seallog-proof", "cut", proofVector{
		Comment:     "index-2-of-7 cut before its checkpoint: malformed",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: p[:strings.Index(p, "\n\n")+2], Error: "malformed",
	})
	check(t, "seallog-proof", "non-canonical-index", proofVector{
		Comment:     "index-2-of-7 with index written \"02\": malformed",
		Seed:        seed,
		VerifierKey: vkey, Leaf: leaves[2].Marshal(), Proof: replaceLine(p, 2, "index 02"), Error: "malformed",
	})

	// Consistency proofs.
	cp3 := string(must(log.InclusionProof(0, 3)))
	cp3 = cp3[strings.Index(cp3, "\n\n")+2:] // the size-3 checkpoint
	c37 := string(must(log.ConsistencyProof(3, 7)))
	check(t, "seallog-consistency", "3-to-7", consistencyVector{
		Comment:     "vellum.dev/tlog-consistency@v1 then the RFC 6962 consistency proof from size 3 to size 7, one base64 hash a line",
		Seed:        seed,
		VerifierKey: vkey, Old: cp3, New: cp, Proof: c37,
	})
	check(t, "seallog-consistency", "7-to-7", consistencyVector{
		Comment:     "a checkpoint is consistent with itself: empty proof",
		Seed:        seed,
		VerifierKey: vkey, Old: cp, New: cp, Proof: string(must(log.ConsistencyProof(7, 7))),
	})
	check(t, "seallog-consistency", "rollback", consistencyVector{
		Comment:     "3-to-7 with the checkpoints swapped: the newer tree is smaller",
		Seed:        seed,
		VerifierKey: vkey, Old: cp, New: cp3, Proof: c37, Error: "not_consistent",
	})
	forkCP := string(must(fork.Checkpoint()))
	check(t, "seallog-consistency", "fork", consistencyVector{
		Comment:     "3-to-7 where the size-7 checkpoint comes from a fork signed by the same key over other leaves",
		Seed:        seed,
		VerifierKey: vkey, Old: cp3, New: forkCP, Proof: c37, Error: "not_consistent",
	})
	check(t, "seallog-consistency", "truncated", consistencyVector{
		Comment:     "3-to-7 without its last hash line",
		Seed:        seed,
		VerifierKey: vkey, Old: cp3, New: cp, Proof: c37[:strings.LastIndex(c37[:len(c37)-1], "\n")+1], Error: "proof_length",
	})
	check(t, "seallog-consistency", "other-key", consistencyVector{
		Comment:     "3-to-7 checked against another key of the same origin",
		Seed:        seed,
		VerifierKey: otherKey.VerifierKey(), Old: cp3, New: cp, Proof: c37, Error: "log_key_mismatch",
	})
}

func base64Hash(h [32]byte) string { return base64.StdEncoding.EncodeToString(h[:]) }
