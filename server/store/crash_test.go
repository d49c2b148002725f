package store_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/server/store"
)

// TestCrashKeepsAcknowledged simulates power loss: while a writer is still
// appending chunks, the file system is cloned as a crash would leave it
// (everything synced, and a random share of what was not), and the store is
// reopened from the clone without the original ever being closed. Every
// acknowledged commit and chunk must be there; no uncommitted upload may be
// visible as a document.
func TestCrashKeepsAcknowledged(t *testing.T) {
	for seed := uint64(0); seed < 4; seed++ {
		fs := vfs.NewCrashableMem()
		c := newClock()
		s, err := store.Open("db", &store.Options{FS: fs, Now: c.Now, MemTableSize: 1 << 20})
		must(t, err)
		f := setup(t, s, "o@example.com")

		acked := map[store.ID][]byte{}
		for i := range 4 {
			doc, data := store.NewID(), pattern(200<<10+i, byte(i))
			upload(t, s, f, doc, 0, data, 64<<10)
			acked[doc] = data
		}
		// An upload left half way, and one still being written when the
		// crash comes.
		half := &store.Upload{Tenant: f.tenant, Document: store.NewID(), Folder: f.folder, NewDocument: true,
			Account: f.account, Metadata: []byte("m"), Size: 1 << 20}
		busy := &store.Upload{Tenant: f.tenant, Document: store.NewID(), Folder: f.folder, NewDocument: true,
			Account: f.account, Metadata: []byte("m"), Size: 64 << 20}
		update(t, s, func(tx *store.Tx) error {
			if err := tx.BeginUpload(half); err != nil {
				return err
			}
			return tx.BeginUpload(busy)
		})
		_, err = s.PutChunk(half.ID, 0, pattern(100<<10, 7))
		must(t, err)

		var ackedBusy atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := pattern(32<<10, 9)
			for off := uint64(0); ; {
				select {
				case <-stop:
					return
				default:
				}
				next, err := s.PutChunk(busy.ID, off, chunk)
				if err != nil {
					return
				}
				off = next
				ackedBusy.Store(off)
			}
		}()
		for ackedBusy.Load() < 20*32<<10 {
			// Let the writer get going.
			runtime.Gosched()
		}
		before := ackedBusy.Load()
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: int(seed * 30), RNG: rand.New(rand.NewPCG(seed, seed))})
		close(stop)
		wg.Wait()

		r, err := store.Open("db", &store.Options{FS: crashed, Now: c.Now, MemTableSize: 1 << 20})
		must(t, err)
		for doc, data := range acked {
			checkBlob(t, r, doc, 1, data)
		}
		docs, err := r.DocumentsIn(f.folder)
		must(t, err)
		if len(docs) != len(acked) {
			t.Fatalf("seed %d: %d documents after the crash, want %d", seed, len(docs), len(acked))
		}
		if u, err := r.Upload(half.ID); err != nil || u.Offset != 100<<10 {
			t.Fatalf("seed %d: half upload after the crash: %v", seed, err)
		}
		u, err := r.Upload(busy.ID)
		must(t, err)
		if u.Offset < before {
			t.Fatalf("seed %d: busy upload at %d after the crash, but %d was acknowledged", seed, u.Offset, before)
		}
		// The chunks up to the recovered offset are all there and intact.
		got, err := io.ReadAll(r.OpenBlob(busy.ID, u.Offset))
		must(t, err)
		if want := bytes.Repeat(pattern(32<<10, 9), int(u.Offset/(32<<10))); !bytes.Equal(got, want) {
			t.Fatalf("seed %d: busy upload's chunks differ after the crash", seed)
		}
		for _, id := range []store.ID{half.Document, busy.Document} {
			if _, err := r.Document(id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("seed %d: uncommitted document visible after the crash: %v", seed, err)
			}
		}
		must(t, r.Close())
		must(t, s.Close())
	}
}
