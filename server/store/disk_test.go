//go:build !js

package store_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vellum.dev/vellum/server/store"
)

// TestDiskReopen: what one process committed on a real directory is there
// for the next, and the directory is stamped with the format version.
func TestDiskReopen(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s, err := store.Open(dir, &store.Options{Now: c.Now})
	must(t, err)
	f := setup(t, s, "o@example.com")
	doc, data := store.NewID(), pattern(2<<20+5, 4)
	upload(t, s, f, doc, 0, data, 1<<20)
	must(t, s.Close())

	s, err = store.Open(dir, &store.Options{Now: c.Now})
	must(t, err)
	defer s.Close()
	checkBlob(t, s, doc, 1, data)
	if a, err := s.AccountByEmail("o@example.com"); err != nil || a.ID != f.account {
		t.Fatalf("account after reopen: %v", err)
	}
}

const crashChildEnv = "VELLUM_STORE_CRASH_CHILD_DIR"

// TestKillDuringWrites runs a child process that commits uploads to a real
// directory and reports each acknowledged commit, kills it with SIGKILL in
// the middle of its writes, and reopens the directory: every acknowledged
// document must be there, byte for byte, and no other.
func TestKillDuringWrites(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	var f fixture
	acked := map[store.ID]int{}
	var uncommitted []store.ID
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 12 {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "fixture":
			f = fixture{parseID(t, fields[1]), parseID(t, fields[2]), parseID(t, fields[3])}
		case "ack":
			i, _ := strconv.Atoi(fields[2])
			acked[parseID(t, fields[1])] = i
		case "pending":
			uncommitted = append(uncommitted, parseID(t, fields[1]))
		}
	}
	// SIGKILL: no deferred Close, no flush; the child is mid-write.
	must(t, cmd.Process.Kill())
	cmd.Wait()
	if len(acked) < 12 {
		t.Fatalf("child acknowledged only %d commits", len(acked))
	}
	s, err := store.Open(dir, nil)
	must(t, err)
	defer s.Close()
	for doc, i := range acked {
		checkBlob(t, s, doc, 1, crashData(i))
	}
	docs, err := s.DocumentsIn(f.folder)
	must(t, err)
	// The child may have committed one more that it had not yet reported.
	if len(docs) < len(acked) || len(docs) > len(acked)+1 {
		t.Fatalf("%d documents after the kill, %d acknowledged", len(docs), len(acked))
	}
	for _, id := range uncommitted {
		if _, err := s.Upload(id); err != nil {
			t.Fatalf("acknowledged upload session lost: %v", err)
		}
	}
}

func crashData(i int) []byte { return pattern(300<<10+i*1000, byte(i)) }

func parseID(t *testing.T, s string) store.ID {
	id, err := store.ParseID(s)
	must(t, err)
	return id
}

func crashChild(t *testing.T, dir string) {
	s, err := store.Open(dir, nil)
	must(t, err)
	f := setup(t, s, "o@example.com")
	fmt.Printf("fixture %s %s %s\n", f.account, f.tenant, f.folder)
	for i := 0; ; i++ {
		// An upload that is begun and half written but never committed.
		u := &store.Upload{Tenant: f.tenant, Document: store.NewID(), Folder: f.folder, NewDocument: true,
			Account: f.account, Metadata: []byte("m"), Size: 1 << 20}
		update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
		_, err := s.PutChunk(u.ID, 0, pattern(1000, 1))
		must(t, err)
		fmt.Printf("pending %s\n", u.ID)

		doc := store.NewID()
		upload(t, s, f, doc, 0, crashData(i), 64<<10)
		fmt.Printf("ack %s %d\n", doc, i)
	}
}
