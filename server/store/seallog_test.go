package store_test

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/server/store"
)

// memHashes is an independent in-memory tlog hash storage, the reference
// the store's seal log is checked against.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func TestSealLog(t *testing.T) {
	s := openMem(t, newClock())
	l := s.SealLog()
	var _ tlog.HashReader = l
	var ref memHashes
	for n := int64(0); n < 37; n++ {
		leaf := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, leaf, ref)
		must(t, err)
		ref = append(ref, hs...)
		got, err := l.Append(leaf)
		must(t, err)
		if got != n {
			t.Fatalf("leaf index %d, want %d", got, n)
		}
		size, err := l.Size()
		must(t, err)
		th, err := l.TreeHash(size)
		must(t, err)
		want, _ := tlog.TreeHash(n+1, ref)
		if size != n+1 || th != want {
			t.Fatalf("after %d leaves: size %d, tree hash differs", n+1, size)
		}
	}
	// Inclusion and consistency proofs computed from the store verify.
	th, _ := l.TreeHash(37)
	for _, i := range []int64{0, 5, 36} {
		p, err := tlog.ProveRecord(37, i, l)
		must(t, err)
		leaf, err := l.Leaf(i)
		must(t, err)
		if err := tlog.CheckRecord(p, 37, th, i, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	old, _ := l.TreeHash(20)
	p, err := tlog.ProveTree(37, 20, l)
	must(t, err)
	must(t, tlog.CheckTree(p, 37, th, 20, old))

	// A seal and its leaf commit together or not at all.
	if err := s.Update(func(tx *store.Tx) error {
		if _, err := tx.AppendSealLeaf([]byte("rolled back")); err != nil {
			return err
		}
		return fmt.Errorf("abort")
	}); err == nil {
		t.Fatal("expected abort")
	}
	if n, _ := l.Size(); n != 37 {
		t.Fatalf("aborted append changed the size to %d", n)
	}
	_, err = l.Leaf(37)
	wantErr(t, err, store.ErrNotFound)
	_, err = l.Append(nil)
	wantErr(t, err, store.ErrInvalid)
}

// TestPutSealLeaf: a leaf with the hashes the log computed is stored only
// at the log's size and only with the tree's own hashes, and not at all
// when its transaction is abandoned.
func TestPutSealLeaf(t *testing.T) {
	s := openMem(t, newClock())
	l := s.SealLog()
	var ref memHashes
	put := func(n int64, leaf []byte, hashes []tlog.Hash) error {
		return s.Update(func(tx *store.Tx) error { return tx.PutSealLeaf(n, leaf, hashes) })
	}
	for n := int64(0); n < 5; n++ {
		leaf := []byte(fmt.Sprintf("leaf %d", n))
		hs, err := tlog.StoredHashes(n, leaf, ref)
		must(t, err)
		wantErr(t, put(n+1, leaf, hs), store.ErrConflict)
		if n > 0 {
			wantErr(t, put(n-1, leaf, hs), store.ErrConflict)
		}
		wantErr(t, put(n, leaf, nil), store.ErrInvalid)
		other, _ := tlog.StoredHashes(n, []byte("another leaf"), ref)
		wantErr(t, put(n, leaf, other), store.ErrCorrupt)
		wantErr(t, put(n, leaf, hs[:len(hs)-1]), store.ErrCorrupt)
		if size, _ := l.Size(); size != n {
			t.Fatalf("refused puts changed the size to %d, want %d", size, n)
		}
		abort := errors.New("the caller's other writes failed")
		wantErr(t, s.Update(func(tx *store.Tx) error {
			if err := tx.PutSealLeaf(n, leaf, hs); err != nil {
				return err
			}
			return abort
		}), abort)
		if size, _ := l.Size(); size != n {
			t.Fatalf("an abandoned put changed the size to %d, want %d", size, n)
		}
		must(t, put(n, leaf, hs))
		ref = append(ref, hs...)
		got, err := l.Leaf(n)
		must(t, err)
		th, _ := l.TreeHash(n + 1)
		want, _ := tlog.TreeHash(n+1, ref)
		if string(got) != string(leaf) || th != want {
			t.Fatalf("leaf %d stored as %q, tree hash differs: %v", n, got, th != want)
		}
	}
}
