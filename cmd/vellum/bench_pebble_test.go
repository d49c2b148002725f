//go:build !js

package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/server/store"
)

// BenchmarkLogAppendProofPebble: BenchmarkLogAppendProof on the server's
// storage, server/store's seal log tables in Pebble, each append one synced
// batch, as vellumd runs it. It reports appends/s.
func BenchmarkLogAppendProofPebble(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "db"), &store.Options{MemTableSize: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	log := benchLog(b, pebbleLog{st.SealLog()}, 1<<12)
	leaf := seallog.NewLeaf([32]byte{1}, [32]byte{2})
	for b.Loop() {
		if _, _, err := log.AppendProof(leaf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// pebbleLog adapts store.SealLog to seallog.Storage as server/api does:
// the store computes the stored hashes itself, in the batch of the leaf.
type pebbleLog struct{ l *store.SealLog }

func (p pebbleLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) { return p.l.ReadHashes(indexes) }
func (p pebbleLog) ReadLeaf(index int64) ([]byte, error)            { return p.l.Leaf(index) }
func (p pebbleLog) Size() (int64, error)                            { return p.l.Size() }

func (p pebbleLog) Append(index int64, leaf []byte, hashes []tlog.Hash) error {
	n, err := p.l.Size()
	if err != nil {
		return err
	}
	if n != index {
		return fmt.Errorf("leaf %d, log has %d: %w", index, n, seallog.ErrStorageConflict)
	}
	if _, err := p.l.Append(leaf); err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, index)
	idx := make([]int64, len(hashes))
	for i := range idx {
		idx[i] = base + int64(i)
	}
	got, err := p.l.ReadHashes(idx)
	if err != nil {
		return err
	}
	for i := range hashes {
		if got[i] != hashes[i] {
			return fmt.Errorf("stored hash %d differs from the log's", i)
		}
	}
	return nil
}
