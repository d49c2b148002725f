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
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.appendLocked(leaf)
}

func (l *Log) appendLocked(leaf Leaf) (int64, error) {
	data := leaf.Marshal()
	n := l.size
	hashes, err := tlog.StoredHashes(n, data, l.st)
	if err != nil {
		return 0, fmt.Errorf("seallog: reading hashes for leaf %d: %w", n, err)
	}
	if err := l.st.Append(n, data, hashes); err != nil {
		return 0, fmt.Errorf("seallog: storing leaf %d: %w", n, err)
	}
	l.size = n + 1
	return n, nil
}

// AppendProof adds leaf to the log and returns its index and its inclusion
// proof in the tree that ends with it: what the server hands back to the
// client that sealed, for the .seal file.
func (l *Log) AppendProof(leaf Leaf) (int64, []byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, err := l.appendLocked(leaf)
	if err != nil {
		return 0, nil, err
	}
	p, err := l.proveLocked(i, i+1)
	return i, p, err
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
	root, err := tlog.TreeHash(size, l.st)
	if err != nil {
		return nil, fmt.Errorf("seallog: tree hash at %d: %w", size, err)
	}
	cp, err := signCheckpoint(Checkpoint{Origin: l.origin, Size: size, Root: root}, l.signer)
	if err != nil {
		return nil, err
	}
	l.cpSize, l.cp = size, cp
	return cp, nil
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
	leaf, err := l.st.ReadLeaf(index)
	if err != nil {
		return nil, fmt.Errorf("seallog: reading leaf %d: %w", index, err)
	}
	if _, err := ParseLeaf(leaf); err != nil {
		return nil, fmt.Errorf("seallog: stored leaf %d: %w", index, err)
	}
	path, err := tlog.ProveRecord(treeSize, index, l.st)
	if err != nil {
		return nil, fmt.Errorf("seallog: proving leaf %d: %w", index, err)
	}
	cp, err := l.checkpointLocked(treeSize)
	if err != nil {
		return nil, err
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
