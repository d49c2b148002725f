package seallog

import (
	"bytes"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Storage is where a Log keeps its leaves and tree hashes. It is the whole
// contract between the log and the server's database: the Log decides what
// is stored where, Storage only keeps bytes.
//
// Implementations MUST be safe for concurrent reads while one Append runs;
// the Log never calls Append concurrently with itself.
type Storage interface {
	tlog.HashReader
	LeafReader
	Appender
	// Size returns the number of leaves stored.
	Size() (int64, error)
}

// A LeafReader returns stored leaves.
type LeafReader interface {
	// ReadLeaf returns the encoded leaf at index, 0 <= index < Size().
	ReadLeaf(index int64) ([]byte, error)
}

// An Appender stores one more leaf.
type Appender interface {
	// Append stores leaf as leaf number index, which MUST equal Size(), and
	// hashes at the stored-hash indexes tlog.StoredHashIndex(0, index),
	// +1, +2, ... It MUST be atomic and durable: when it returns nil, the
	// leaf, all its hashes and the new size survive a crash; when it
	// returns an error, none of them are visible. It MUST refuse an index
	// other than Size() (a second writer, or a lost update).
	Append(index int64, leaf []byte, hashes []tlog.Hash) error
}

// Log is a transparency log of seal leaves. It is safe for concurrent use:
// appends are serialized; proofs and checkpoints run alongside them.
type Log struct {
	mu     sync.RWMutex
	st     Storage
	signer note.Signer
	origin string
	vkey   string
	size   int64

	cpMu   sync.Mutex
	cpSize int64  // size of the last checkpoint signed, or -1
	cp     []byte // that checkpoint
}

// NewLog opens the log kept in st, signing checkpoints with key. The log's
// origin is key.Origin().
func NewLog(st Storage, key *SignerKey) (*Log, error) {
	size, err := st.Size()
	if err != nil {
		return nil, fmt.Errorf("seallog: reading log size: %w", err)
	}
	if size < 0 {
		return nil, fmt.Errorf("seallog: storage reports size %d", size)
	}
	return &Log{st: st, signer: key.signer(), origin: key.Origin(), vkey: key.VerifierKey(), size: size, cpSize: -1}, nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the public verifier key of the log's checkpoints,
// <origin>+<hash>+<key>: what verifiers pin (NewVerifier parses it).
func (l *Log) VerifierKey() string { return l.vkey }

// Size returns the number of leaves in the log.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// Append adds leaf to the log and returns its index.
func (l *Log) Append(leaf Leaf) (int64, error) {
	i, _, err := l.appendLocking(leaf, false, l.storeAppend)
	return i, err
}

// AppendProof adds leaf to the log and returns its index and its inclusion
// proof in the tree that ends with it: what the server hands back to the
// client that sealed, for the .seal file.
func (l *Log) AppendProof(leaf Leaf) (int64, []byte, error) {
	return l.appendLocking(leaf, true, l.storeAppend)
}

func (l *Log) storeAppend(index int64, leaf []byte, hashes []tlog.Hash, _ []byte) error {
	return l.st.Append(index, leaf, hashes)
}

// AppendProofWith adds leaf to the log like AppendProof, but leaves making
// it durable to commit, so that the leaf and what the caller stores beside
// it (the seal that holds the proof) are one atomic write: with two
// writes, a crash between them would log a seal that is never stored.
//
// The index, the leaf's stored hashes and its proof (checkpoint included)
// are computed first, from the storage and the pending leaf. commit is then
// called once, under the log's lock, with the arguments Appender.Append
// takes and the proof: it MUST store the leaf and the hashes as Append
// would (atomically and durably, refusing an index other than the stored
// size) and return nil only once they are durable. If commit returns an
// error, the log is as it was: the next append takes the same index.
func (l *Log) AppendProofWith(leaf Leaf, commit func(index int64, leaf []byte, hashes []tlog.Hash, proof []byte) error) (int64, []byte, error) {
	return l.appendLocking(leaf, true, commit)
}

// appendLocking appends leaf through commit, with its proof if withProof.
func (l *Log) appendLocking(leaf Leaf, withProof bool, commit func(index int64, leaf []byte, hashes []tlog.Hash, proof []byte) error) (int64, []byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	data := leaf.Marshal()
	n := l.size
	hashes, err := tlog.StoredHashes(n, data, l.st)
	if err != nil {
		return 0, nil, fmt.Errorf("seallog: reading hashes for leaf %d: %w", n, err)
	}
	var cp, proof []byte
	if withProof {
		next := pendingLeaf{Storage: l.st, index: n, leaf: data, base: tlog.StoredHashIndex(0, n), hashes: hashes}
		// Signed for a tree that does not exist yet: kept out of the
		// checkpoint cache until commit says it does.
		if cp, err = l.signCheckpoint(next, n+1); err != nil {
			return 0, nil, err
		}
		if proof, err = prove(next, n, n+1, cp); err != nil {
			return 0, nil, err
		}
	}
	if err := commit(n, data, hashes, proof); err != nil {
		return 0, nil, fmt.Errorf("seallog: storing leaf %d: %w", n, err)
	}
	l.size = n + 1
	if cp != nil {
		l.cpMu.Lock()
		l.cpSize, l.cp = n+1, cp
		l.cpMu.Unlock()
	}
	return n, proof, nil
}

// pendingLeaf is the log's storage as it will be once leaf number index
// and its stored hashes are appended: what the proof handed back with an
// append is computed from, before the append is durable.
type pendingLeaf struct {
	Storage
	index  int64
	leaf   []byte
	base   int64 // stored-hash index of hashes[0]
	hashes []tlog.Hash
}

func (p pendingLeaf) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var stored []int64 // indexes[i] for the i not pending, in order
	for _, x := range indexes {
		if x < p.base {
			stored = append(stored, x)
		}
	}
	old, err := p.Storage.ReadHashes(stored)
	if err != nil {
		return nil, err
	}
	if len(old) != len(stored) {
		return nil, fmt.Errorf("seallog: storage returned %d hashes for %d indexes", len(old), len(stored))
	}
	for i, x := range indexes {
		switch {
		case x < p.base:
			out[i], old = old[0], old[1:]
		case x-p.base < int64(len(p.hashes)):
			out[i] = p.hashes[x-p.base]
		default:
			return nil, fmt.Errorf("seallog: no stored hash %d in a log of %d", x, p.index+1)
		}
	}
	return out, nil
}

func (p pendingLeaf) ReadLeaf(index int64) ([]byte, error) {
	if index == p.index {
		return p.leaf, nil
	}
	return p.Storage.ReadLeaf(index)
}

// Checkpoint returns the signed checkpoint of the log at its current size.
func (l *Log) Checkpoint() ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	cp, err := l.checkpointLocked(l.size)
	return bytes.Clone(cp), err
}

// checkpointLocked signs the checkpoint of the first size leaves. Any size
// up to the current one is safe to sign: an append-only tree is consistent
// with every prefix of itself. The result is shared with the cache: callers
// copy it before handing it out.
func (l *Log) checkpointLocked(size int64) ([]byte, error) {
	l.cpMu.Lock()
	defer l.cpMu.Unlock()
	if l.cpSize == size {
		return l.cp, nil
	}
	cp, err := l.signCheckpoint(l.st, size)
	if err != nil {
		return nil, err
	}
	l.cpSize, l.cp = size, cp
	return cp, nil
}

// signCheckpoint signs the checkpoint of the first size leaves of st.
func (l *Log) signCheckpoint(st tlog.HashReader, size int64) ([]byte, error) {
	root, err := tlog.TreeHash(size, st)
	if err != nil {
		return nil, fmt.Errorf("seallog: tree hash at %d: %w", size, err)
	}
	return signCheckpoint(Checkpoint{Origin: l.origin, Size: size, Root: root}, l.signer)
}

// InclusionProof returns the tlog-proof that leaf index is in the tree of
// the first treeSize leaves, with that tree's signed checkpoint.
func (l *Log) InclusionProof(index, treeSize int64) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.proveLocked(index, treeSize)
}

func (l *Log) proveLocked(index, treeSize int64) ([]byte, error) {
	if treeSize > l.size || index < 0 || index >= treeSize {
		return nil, fmt.Errorf("seallog: index %d in a tree of %d (log has %d): %w", index, treeSize, l.size, ErrIndexOutOfRange)
	}
	cp, err := l.checkpointLocked(treeSize)
	if err != nil {
		return nil, err
	}
	return prove(l.st, index, treeSize, cp)
}

// prove returns the tlog-proof of leaf index of st in the tree of the
// first treeSize leaves, whose signed checkpoint is cp.
func prove(st Storage, index, treeSize int64, cp []byte) ([]byte, error) {
	leaf, err := st.ReadLeaf(index)
	if err != nil {
		return nil, fmt.Errorf("seallog: reading leaf %d: %w", index, err)
	}
	if _, err := ParseLeaf(leaf); err != nil {
		return nil, fmt.Errorf("seallog: stored leaf %d: %w", index, err)
	}
	path, err := tlog.ProveRecord(treeSize, index, st)
	if err != nil {
		return nil, fmt.Errorf("seallog: proving leaf %d: %w", index, err)
	}
	p := &Proof{Extra: leaf, Index: index, Hashes: path, Checkpoint: cp}
	return p.Marshal(), nil
}

// ConsistencyProof returns the proof that the tree of newSize leaves extends
// the tree of oldSize leaves, 0 <= oldSize <= newSize <= Size().
func (l *Log) ConsistencyProof(oldSize, newSize int64) ([]byte, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if oldSize < 0 || oldSize > newSize || newSize > l.size {
		return nil, fmt.Errorf("seallog: consistency from %d to %d (log has %d): %w", oldSize, newSize, l.size, ErrIndexOutOfRange)
	}
	var p ConsistencyProof
	if oldSize > 0 {
		tp, err := tlog.ProveTree(newSize, oldSize, l.st)
		if err != nil {
			return nil, fmt.Errorf("seallog: proving consistency: %w", err)
		}
		p = ConsistencyProof(tp)
	}
	return p.Marshal(), nil
}

// MemStorage is a Storage in memory, for tests and the CLI. Its zero value
// is an empty log.
type MemStorage struct {
	mu     sync.RWMutex
	leaves [][]byte
	hashes []tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (m *MemStorage) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("seallog: no stored hash %d", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// ReadLeaf implements LeafReader.
func (m *MemStorage) ReadLeaf(index int64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if index < 0 || index >= int64(len(m.leaves)) {
		return nil, fmt.Errorf("seallog: no leaf %d", index)
	}
	return append([]byte(nil), m.leaves[index]...), nil
}

// Append implements Appender.
func (m *MemStorage) Append(index int64, leaf []byte, hashes []tlog.Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if index != int64(len(m.leaves)) || tlog.StoredHashIndex(0, index) != int64(len(m.hashes)) {
		return fmt.Errorf("seallog: append of leaf %d to a log of %d: %w", index, len(m.leaves), ErrStorageConflict)
	}
	m.leaves = append(m.leaves, append([]byte(nil), leaf...))
	m.hashes = append(m.hashes, hashes...)
	return nil
}

// Size implements Storage.
func (m *MemStorage) Size() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.leaves)), nil
}
