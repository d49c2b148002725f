package seallog

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/bits"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/protocol"
)

// proofHeader is the first line of a C2SP tlog-proof (c2sp.org/tlog-proof).
const proofHeader = "c2sp.org/tlog-proof@v1"

// maxProofHashes is the most hashes an inclusion or consistency proof can
// need in a tree of at most 2^63 leaves (RFC 6962: at most ⌈log₂ n⌉ + 1 for
// consistency). Longer proofs are refused while parsing.
const maxProofHashes = 64

// A Proof is an inclusion proof in the C2SP tlog-proof format:
//
//	c2sp.org/tlog-proof@v1
//	extra <base64 extra data>        (optional)
//	index <leaf index, decimal>
//	<base64 hash>                    (zero or more: the RFC 6962 audit path,
//	...                               leaf's sibling first, root's child last)
//	<empty line>
//	<signed checkpoint, verbatim>
//
// Vellum's log always writes the extra line, holding the encoded Leaf: the
// verifier of a seal knows C and S but not the leaf's random id, and the
// extra line is where C2SP puts "data necessary to reconstruct the record
// hash". It is not authenticated by itself; VerifyInclusion only uses it to
// refuse early, never to accept.
type Proof struct {
	Extra      []byte      // nil when the extra line is absent
	Index      int64       // zero-based leaf index
	Hashes     []tlog.Hash // audit path
	Checkpoint []byte      // the signed checkpoint note, verbatim
}

// Marshal returns the text form of p. ParseProof(p.Marshal()) returns p for
// every p that ParseProof returned.
func (p *Proof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(proofHeader + "\n")
	if len(p.Extra) > 0 {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	fmt.Fprintf(&b, "index %d\n", p.Index)
	writeHashes(&b, p.Hashes)
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseProof parses a tlog-proof strictly: every line as Marshal writes it,
// canonical base64 and decimal, at most 64 hashes, a non-empty checkpoint,
// the whole at most protocol.MaxProof bytes. It does not verify anything.
func ParseProof(b []byte) (*Proof, error) {
	if len(b) > protocol.MaxProof {
		return nil, fmt.Errorf("seallog: proof of %d bytes: %w", len(b), ErrTooLarge)
	}
	line, rest, err := nextLine(b)
	if err != nil || line != proofHeader {
		return nil, fmt.Errorf("seallog: proof does not start with %q: %w", proofHeader, ErrMalformed)
	}
	p := new(Proof)
	if line, rest, err = nextLine(rest); err != nil {
		return nil, err
	}
	if s, ok := strings.CutPrefix(line, "extra "); ok {
		// An empty extra line would be a second spelling of "no extra".
		if p.Extra, err = base64.StdEncoding.Strict().DecodeString(s); err != nil || len(p.Extra) == 0 ||
			base64.StdEncoding.EncodeToString(p.Extra) != s {
			return nil, fmt.Errorf("seallog: proof extra line: %w", ErrMalformed)
		}
		if line, rest, err = nextLine(rest); err != nil {
			return nil, err
		}
	}
	s, ok := strings.CutPrefix(line, "index ")
	if !ok {
		return nil, fmt.Errorf("seallog: proof has no index line: %w", ErrMalformed)
	}
	if p.Index, err = parseDecimal(s); err != nil {
		return nil, fmt.Errorf("seallog: proof index: %w", err)
	}
	if p.Hashes, rest, err = readHashes(rest); err != nil {
		return nil, err
	}
	if len(rest) == 0 {
		return nil, fmt.Errorf("seallog: proof has no checkpoint: %w", ErrMalformed)
	}
	if len(rest) > protocol.MaxCheckpoint {
		return nil, fmt.Errorf("seallog: checkpoint of %d bytes: %w", len(rest), ErrTooLarge)
	}
	p.Checkpoint = rest
	return p, nil
}

// Inclusion is what a verified inclusion proof establishes: the leaf is at
// Index in the tree described by Checkpoint.
type Inclusion struct {
	Index      int64
	Checkpoint Checkpoint
}

// VerifyInclusion checks, offline, that proof shows leaf in the log whose
// pinned verifier is v. The checks run in this order, each with its own
// error: parsing (ErrMalformed, ErrTooLarge), the checkpoint
// (ErrCheckpointSignature, ErrLogKeyMismatch), the extra line naming leaf
// (ErrWrongLeaf), the index inside the tree (ErrIndexOutOfRange), the number
// of hashes (ErrProofLength), and the Merkle path to the root
// (ErrRootMismatch).
func VerifyInclusion(proof []byte, leaf Leaf, v note.Verifier) (*Inclusion, error) {
	p, err := ParseProof(proof)
	if err != nil {
		return nil, err
	}
	return p.Verify(leaf, v)
}

// Verify is VerifyInclusion for an already parsed proof.
func (p *Proof) Verify(leaf Leaf, v note.Verifier) (*Inclusion, error) {
	c, err := OpenCheckpoint(p.Checkpoint, v)
	if err != nil {
		return nil, err
	}
	want := leaf.Marshal()
	if p.Extra == nil {
		return nil, fmt.Errorf("seallog: proof does not carry its leaf: %w", ErrMalformed)
	}
	if !bytes.Equal(p.Extra, want) {
		return nil, ErrWrongLeaf
	}
	if p.Index >= c.Size {
		return nil, fmt.Errorf("seallog: index %d in a tree of %d leaves: %w", p.Index, c.Size, ErrIndexOutOfRange)
	}
	if n := inclusionProofLen(p.Index, c.Size); len(p.Hashes) != n {
		return nil, fmt.Errorf("seallog: %d proof hashes, index %d of %d needs %d: %w", len(p.Hashes), p.Index, c.Size, n, ErrProofLength)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(p.Hashes), c.Size, c.Root, p.Index, tlog.RecordHash(want)); err != nil {
		return nil, ErrRootMismatch
	}
	return &Inclusion{Index: p.Index, Checkpoint: c}, nil
}

// consistencyHeader is the first line of a consistency proof. C2SP defines
// no text format for these; Vellum's mirrors tlog-proof.
const consistencyHeader = "vellum.dev/tlog-consistency@v1"

// A ConsistencyProof is an RFC 6962 consistency proof between two tree
// sizes, whose checkpoints the verifier holds. Its text form is
//
//	vellum.dev/tlog-consistency@v1
//	<base64 hash>   (zero or more, in RFC 6962 order)
//
// every line ending in a newline.
type ConsistencyProof []tlog.Hash

// Marshal returns the text form of p.
func (p ConsistencyProof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(consistencyHeader + "\n")
	writeHashes(&b, p)
	return b.Bytes()
}

// ParseConsistencyProof parses the text form strictly, with at most 64
// hashes and protocol.MaxProof bytes.
func ParseConsistencyProof(b []byte) (ConsistencyProof, error) {
	if len(b) > protocol.MaxProof {
		return nil, fmt.Errorf("seallog: consistency proof of %d bytes: %w", len(b), ErrTooLarge)
	}
	line, rest, err := nextLine(b)
	if err != nil || line != consistencyHeader {
		return nil, fmt.Errorf("seallog: consistency proof does not start with %q: %w", consistencyHeader, ErrMalformed)
	}
	var hashes []tlog.Hash
	for len(rest) > 0 {
		if len(hashes) == maxProofHashes {
			return nil, fmt.Errorf("seallog: consistency proof of more than %d hashes: %w", maxProofHashes, ErrMalformed)
		}
		if line, rest, err = nextLine(rest); err != nil {
			return nil, err
		}
		h, err := parseHash(line)
		if err != nil {
			return nil, fmt.Errorf("seallog: consistency proof hash: %w", err)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// VerifyConsistency checks, offline, that the tree of newCheckpoint extends
// the tree of oldCheckpoint, both signed by the pinned verifier v. It returns
// the two checkpoints. Checkpoint failures are as in OpenCheckpoint; a
// newer checkpoint with a smaller tree, or a proof that does not connect the
// two roots, is ErrNotConsistent; a proof of the wrong length is
// ErrProofLength.
func VerifyConsistency(oldCheckpoint, newCheckpoint, proof []byte, v note.Verifier) (older, newer Checkpoint, err error) {
	if older, err = OpenCheckpoint(oldCheckpoint, v); err != nil {
		return older, newer, fmt.Errorf("seallog: older checkpoint: %w", err)
	}
	if newer, err = OpenCheckpoint(newCheckpoint, v); err != nil {
		return older, newer, fmt.Errorf("seallog: newer checkpoint: %w", err)
	}
	p, err := ParseConsistencyProof(proof)
	if err != nil {
		return older, newer, err
	}
	if newer.Size < older.Size {
		return older, newer, fmt.Errorf("seallog: newer checkpoint has %d leaves, older %d: %w", newer.Size, older.Size, ErrNotConsistent)
	}
	if older.Size == 0 {
		// Every tree extends the empty tree, whose root is SHA-256 of "".
		if len(p) != 0 {
			return older, newer, fmt.Errorf("seallog: %d hashes from an empty tree: %w", len(p), ErrProofLength)
		}
		if older.Root != emptyRoot {
			return older, newer, fmt.Errorf("seallog: empty tree with a non-empty root: %w", ErrNotConsistent)
		}
		return older, newer, nil
	}
	if n := consistencyProofLen(older.Size, newer.Size); len(p) != n {
		return older, newer, fmt.Errorf("seallog: %d proof hashes, %d to %d needs %d: %w", len(p), older.Size, newer.Size, n, ErrProofLength)
	}
	if err := tlog.CheckTree(tlog.TreeProof(p), newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return older, newer, ErrNotConsistent
	}
	return older, newer, nil
}

// emptyRoot is the RFC 6962 hash of the empty tree, SHA-256("").
var emptyRoot, _ = tlog.TreeHash(0, nil)

// inclusionProofLen is the length of the RFC 6962 audit path of leaf index
// in a tree of size leaves (0 <= index < size), walking the same splits as
// tlog's leafProof.
func inclusionProofLen(index, size int64) int {
	n := 0
	for lo, hi := int64(0), size; hi-lo > 1; n++ {
		if k := maxPow2(hi - lo); index < lo+k {
			hi = lo + k
		} else {
			lo += k
		}
	}
	return n
}

// consistencyProofLen is the length of the RFC 6962 consistency proof from
// a tree of old leaves to one of size leaves (0 < old <= size), walking the
// same splits as tlog's treeProof.
func consistencyProofLen(old, size int64) int {
	n := 0
	lo, hi := int64(0), size
	for old != hi {
		if k := maxPow2(hi - lo); old <= lo+k {
			hi = lo + k
		} else {
			lo += k
		}
		n++
	}
	if lo != 0 {
		n++
	}
	return n
}

// maxPow2 returns the largest power of two smaller than n (n > 1).
func maxPow2(n int64) int64 { return 1 << (bits.Len64(uint64(n-1)) - 1) }

func writeHashes(b *bytes.Buffer, hashes []tlog.Hash) {
	for _, h := range hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
}

// readHashes reads hash lines up to and including the empty line that ends
// them, and returns what follows.
func readHashes(b []byte) ([]tlog.Hash, []byte, error) {
	var hashes []tlog.Hash
	for {
		line, rest, err := nextLine(b)
		if err != nil {
			return nil, nil, err
		}
		b = rest
		if line == "" {
			return hashes, b, nil
		}
		if len(hashes) == maxProofHashes {
			return nil, nil, fmt.Errorf("seallog: proof of more than %d hashes: %w", maxProofHashes, ErrMalformed)
		}
		h, err := parseHash(line)
		if err != nil {
			return nil, nil, fmt.Errorf("seallog: proof hash: %w", err)
		}
		hashes = append(hashes, h)
	}
}

// nextLine splits b after its first newline. A missing newline is
// ErrMalformed: every line of these formats ends in one.
func nextLine(b []byte) (string, []byte, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return "", nil, fmt.Errorf("seallog: unterminated or missing line: %w", ErrMalformed)
	}
	return string(b[:i]), b[i+1:], nil
}
