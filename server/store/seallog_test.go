package store_test

import (
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
