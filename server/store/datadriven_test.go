package store_test

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/server/store"
)

//go:embed testdata
var testdataFS embed.FS

// TestUploadScript runs testdata/uploads.txt: each line is a command and the
// outcome it must have, so the upload state machine reads as a table.
func TestUploadScript(t *testing.T) {
	data, err := testdataFS.ReadFile("testdata/uploads.txt")
	must(t, err)
	c := newClock()
	s := openMem(t, c)
	f := setup(t, s, "o@example.com")
	ids := map[string]store.ID{}
	id := func(name string) store.ID {
		if _, ok := ids[name]; !ok {
			ids[name] = store.NewID()
		}
		return ids[name]
	}
	num := func(s string) uint64 {
		n, err := strconv.ParseUint(s, 10, 64)
		must(t, err)
		return n
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	lines := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		cmd, want, ok := strings.Cut(text, "=>")
		if !ok {
			t.Fatalf("line %d: no =>", line)
		}
		args := strings.Fields(cmd)
		var got string
		var err error
		switch args[0] {
		case "new", "next":
			u := &store.Upload{ID: id(args[1]), Tenant: f.tenant, Document: id(args[2]), Folder: f.folder,
				Account: f.account, Metadata: []byte("m")}
			if args[0] == "new" {
				u.NewDocument, u.Size = true, num(args[3])
			} else {
				u.BaseVersion, u.Size = num(args[3]), num(args[4])
			}
			err = s.Update(func(tx *store.Tx) error { return tx.BeginUpload(u) })
			got = "ok"
		case "chunk":
			var off uint64
			off, err = s.PutChunk(id(args[1]), num(args[2]), []byte(args[3]))
			got = fmt.Sprintf("offset %d", off)
		case "offset":
			var u *store.Upload
			u, err = s.Upload(id(args[1]))
			if err == nil {
				got = fmt.Sprintf("offset %d", u.Offset)
			}
		case "commit":
			var v *store.Version
			err = s.Update(func(tx *store.Tx) (err error) { v, err = tx.CommitUpload(id(args[1]), nil); return })
			if err == nil {
				got = fmt.Sprintf("version %d", v.N)
			}
		case "abort":
			err = s.Update(func(tx *store.Tx) error { return tx.AbortUpload(id(args[1])) })
			got = "ok"
		case "read":
			var r *store.BlobReader
			if r, err = s.OpenVersion(id(args[1]), num(args[2])); err == nil {
				var b []byte
				b, err = io.ReadAll(r)
				got = "data " + string(b)
			}
		case "docs":
			var ds []*store.Document
			ds, err = s.DocumentsIn(f.folder)
			got = fmt.Sprintf("docs %d", len(ds))
		case "advance":
			d, perr := time.ParseDuration(args[1])
			must(t, perr)
			c.Add(d)
			got = "ok"
		case "sweep":
			var n int
			n, err = s.SweepUploads()
			got = fmt.Sprintf("swept %d", n)
		default:
			t.Fatalf("line %d: unknown command %q", line, args[0])
		}
		if err != nil {
			got = "error " + errName(err)
		}
		if want = strings.TrimSpace(want); got != want {
			t.Errorf("line %d: %s => %s, want %s (%v)", line, strings.TrimSpace(cmd), got, want, err)
		}
		lines++
	}
	if lines == 0 {
		t.Fatal("script has no commands")
	}
}

func errName(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{store.ErrNotFound, "not-found"}, {store.ErrExists, "exists"}, {store.ErrConflict, "conflict"},
		{store.ErrExpired, "expired"}, {store.ErrInvalid, "invalid"}, {store.ErrCorrupt, "corrupt"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return err.Error()
}
