package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/protocol"
)

// SealLog is the storage of the seal transparency log (DESIGN.md §3): its
// leaves, and the tlog stored hashes by stored-hash index, from which any
// tree hash and proof is computed. It implements tlog.HashReader.
type SealLog struct{ s *Store }

// SealLog returns the store's seal log.
func (s *Store) SealLog() *SealLog { return &SealLog{s} }

// ReadHashes implements tlog.HashReader.
func (l *SealLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return hashReader{l.s.View}.ReadHashes(indexes)
}

// Size returns the number of leaves in the log.
func (l *SealLog) Size() (int64, error) { return sealSize(l.s.View) }

// TreeHash returns the hash of the tree of the first n leaves.
func (l *SealLog) TreeHash(n int64) (tlog.Hash, error) { return tlog.TreeHash(n, l) }

// Leaf returns leaf i.
func (l *SealLog) Leaf(i int64) ([]byte, error) {
	if i < 0 {
		return nil, fmt.Errorf("store: leaf %d: %w", i, ErrInvalid)
	}
	b, err := l.s.r.get(sealLeafKey(uint64(i)))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: seal log leaf %d: %w", i, ErrNotFound)
	}
	return b, err
}

// Append appends a leaf in its own transaction and returns its index.
func (l *SealLog) Append(leaf []byte) (int64, error) {
	var n int64
	err := l.s.Update(func(tx *Tx) error {
		var err error
		n, err = tx.AppendSealLeaf(leaf)
		return err
	})
	return n, err
}

// AppendSealLeaf appends a leaf to the seal log in this transaction and
// returns its index.
func (tx *Tx) AppendSealLeaf(leaf []byte) (int64, error) {
	n, err := sealSize(tx.View)
	if err != nil {
		return 0, err
	}
	return n, tx.putSealLeaf(n, leaf, nil)
}

// PutSealLeaf stores leaf number index of the seal log and its stored
// hashes, as the log computed them (seallog.Appender), in this transaction,
// so that a seal and its log entry are stored atomically. It refuses an
// index other than the log's size (ErrConflict: another writer) and hashes
// other than the ones the stored tree gives (ErrCorrupt: the log and the
// store disagree).
func (tx *Tx) PutSealLeaf(index int64, leaf []byte, hashes []tlog.Hash) error {
	n, err := sealSize(tx.View)
	if err != nil {
		return err
	}
	if index != n {
		return fmt.Errorf("store: seal log leaf %d, the log has %d: %w", index, n, ErrConflict)
	}
	if hashes == nil {
		return fmt.Errorf("store: seal log leaf %d without hashes: %w", index, ErrInvalid)
	}
	return tx.putSealLeaf(n, leaf, hashes)
}

// putSealLeaf stores leaf number n, n being the log's size, and its stored
// hashes; want, if not nil, are the hashes the caller computed, which MUST
// be the ones the stored tree gives.
func (tx *Tx) putSealLeaf(n int64, leaf []byte, want []tlog.Hash) error {
	if len(leaf) == 0 || len(leaf) > protocol.MaxStatement {
		return fmt.Errorf("store: seal log leaf of %d bytes: %w", len(leaf), ErrInvalid)
	}
	hashes, err := tlog.StoredHashes(n, leaf, hashReader{tx.View})
	if err != nil {
		return fmt.Errorf("store: seal log: %w", err)
	}
	if want != nil && !slices.Equal(want, hashes) {
		return fmt.Errorf("store: seal log leaf %d: its hashes are not the tree's: %w", n, ErrCorrupt)
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if err := tx.setRaw(sealHashKey(uint64(base+int64(i))), h[:]); err != nil {
			return err
		}
	}
	if err := tx.setRaw(sealLeafKey(uint64(n)), leaf); err != nil {
		return err
	}
	return tx.setRaw(metaSealSize, u64(uint64(n+1)))
}

func sealSize(v View) (int64, error) {
	b, err := v.r.get(metaSealSize)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("store: seal log size of %d bytes: %w", len(b), ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// hashReader reads stored hashes through a view (of the database or of a
// transaction, which sees the hashes it has written).
type hashReader struct{ v View }

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 {
			return nil, fmt.Errorf("store: stored hash %d: %w", idx, ErrInvalid)
		}
		b, err := r.v.r.get(sealHashKey(uint64(idx)))
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: stored hash %d: %w", idx, ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("store: stored hash of %d bytes: %w", len(b), ErrCorrupt)
		}
		copy(out[i][:], b)
	}
	return out, nil
}
