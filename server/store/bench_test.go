//go:build !js

package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"vellum.dev/vellum/server/store"
)

// BenchmarkChunkIngest measures synced 1 MiB chunk appends into a store on
// disk, and reports next to it a same-run baseline: the same bytes written
// sequentially to a plain file with an fsync after every chunk. "ratio" is
// store MB/s over file MB/s.
func BenchmarkChunkIngest(b *testing.B) {
	const chunk = 1 << 20
	data := pattern(chunk, 5)
	dir := b.TempDir()
	s, err := store.Open(filepath.Join(dir, "db"), nil)
	must(b, err)
	defer s.Close()
	f := setup(b, s, "o@example.com")
	u := &store.Upload{Tenant: f.tenant, Document: store.NewID(), Folder: f.folder, NewDocument: true,
		Account: f.account, Metadata: []byte("m"), Size: uint64(b.N) * chunk}
	update(b, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })

	b.SetBytes(chunk)
	b.ResetTimer()
	start := time.Now()
	var off uint64
	for range b.N {
		if off, err = s.PutChunk(u.ID, off, data); err != nil {
			b.Fatal(err)
		}
	}
	storeTime := time.Since(start)
	b.StopTimer()

	fh, err := os.Create(filepath.Join(dir, "baseline"))
	must(b, err)
	defer fh.Close()
	start = time.Now()
	for range b.N {
		if _, err := fh.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := fh.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	fileTime := time.Since(start)
	mb := float64(b.N) * chunk / 1e6
	b.ReportMetric(mb/storeTime.Seconds(), "store-MB/s")
	b.ReportMetric(mb/fileTime.Seconds(), "file-MB/s")
	b.ReportMetric(fileTime.Seconds()/storeTime.Seconds(), "ratio")
}
