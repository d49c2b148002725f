//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vellum.dev/vellum/internal/vellumdproc"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// This file runs the real vellumd binary as a child process and kills it
// with SIGKILL while uploads are in flight: every upload the server
// acknowledged must survive, and nothing it did not commit may show.
// Nothing here waits on a clock to decide an outcome: the kill happens
// when counts say the uploads are where the test wants them, and every
// wait has a generous deadline that fails the test rather than hangs it.

// buildVellumd compiles this package into dir.
func buildVellumd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "vellumd")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startVellumd starts bin on a free loopback port with the given data and
// secrets directories, waits until it says where it serves, and kills it
// at the end of the test if it still runs.
func startVellumd(t *testing.T, bin, data, secrets string) *vellumdproc.Proc {
	t.Helper()
	p, err := vellumdproc.Start(bin, vellumdproc.Options{Data: data, Secrets: secrets, TailLines: 200, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

// code waits for a console notice to addr and returns the code in it.
func code(t *testing.T, p *vellumdproc.Proc, addr string) string {
	t.Helper()
	c, err := p.Code(addr, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func kill(t *testing.T, p *vellumdproc.Proc) {
	t.Helper()
	err := p.Kill()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("vellumd did not die of SIGKILL: %v", err)
	}
}

// wire records what the server acknowledged of each upload session, as
// seen on the wire: the truth the test checks the restarted server against.
type wire struct {
	next http.RoundTripper

	mu      sync.Mutex
	uploads map[string]*uploadSession // by upload id
	bearer  string
}

type uploadSession struct {
	docID        string
	acked        int64 // the largest offset a chunk reply acknowledged
	commitSent   bool
	commitAcked  bool
	abortAcked   bool
	committedDoc string
}

var uploadPathRE = regexp.MustCompile(`^/api/v1/tenants/[^/]+/uploads(?:/([^/]+)(/commit)?)?$`)

func (w *wire) RoundTrip(q *http.Request) (*http.Response, error) {
	m := uploadPathRE.FindStringSubmatch(q.URL.Path)
	var reqBody []byte
	if m != nil && q.Body != nil && q.Method == "POST" && m[1] == "" {
		b, err := io.ReadAll(q.Body)
		if err != nil {
			return nil, err
		}
		q.Body.Close()
		reqBody = b
		q.Body = io.NopCloser(bytes.NewReader(b))
	}
	w.mu.Lock()
	if a := q.Header.Get("Authorization"); a != "" {
		w.bearer = a
	}
	if m != nil && m[2] != "" && q.Method == "POST" {
		w.session(m[1]).commitSent = true
	}
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(q)
	if err != nil || m == nil || resp.StatusCode >= 300 {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case m[1] == "" && q.Method == "POST": // begin
		var in protocol.CreateUploadRequest
		var up protocol.Upload
		if json.Unmarshal(reqBody, &in) == nil && json.Unmarshal(body, &up) == nil {
			w.session(up.UploadID).docID = in.DocumentID
		}
	case m[2] == "" && q.Method == "PUT": // chunk
		var up protocol.Upload
		if json.Unmarshal(body, &up) == nil {
			s := w.session(m[1])
			s.acked = max(s.acked, up.Received)
		}
	case m[2] != "" && q.Method == "POST": // commit
		var d protocol.Document
		if json.Unmarshal(body, &d) == nil {
			s := w.session(m[1])
			s.commitAcked, s.committedDoc = true, d.DocumentID
		}
	case m[2] == "" && q.Method == "DELETE": // abort
		w.session(m[1]).abortAcked = true
	}
	return resp, nil
}

func (w *wire) session(id string) *uploadSession {
	s := w.uploads[id]
	if s == nil {
		s = &uploadSession{}
		w.uploads[id] = s
	}
	return s
}

// content is the plaintext of the file called name: pseudo-random bytes
// from a seed derived from the name, so that it can be made again to
// compare a download.
func content(name string, size int) []byte {
	h := sha256.Sum256([]byte(name))
	r := rand.New(rand.NewChaCha8(h))
	b := make([]byte, size)
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b
}

var errHeld = errors.New("held upload released after the crash")

// gate serves data up to hold bytes, then blocks until released, then
// fails: an upload that is mid-way when the server dies and never commits.
type gate struct {
	data    []byte
	off     int
	hold    int
	blocked chan struct{}
	release <-chan struct{}
	once    sync.Once
}

func (g *gate) Read(p []byte) (int, error) {
	if g.off >= g.hold {
		g.once.Do(func() { close(g.blocked) })
		<-g.release
		return 0, errHeld
	}
	n := copy(p, g.data[g.off:g.hold])
	g.off += n
	return n, nil
}

// TestKillDuringUploads: vellumd is killed with SIGKILL while uploads are
// at every stage (finished, held mid-way after chunks were acknowledged,
// and running in loops); after a restart on the same directories, every
// upload whose commit was acknowledged downloads byte for byte, no upload
// whose commit was never sent is listed, every acknowledged chunk offset
// of an unfinished upload is still held, the audit chain has exactly one
// upload event per listed document, and the server serves and shuts down
// normally.
func TestKillDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs vellumd")
	}
	dir := t.TempDir()
	bin := buildVellumd(t, dir)
	data, secrets := filepath.Join(dir, "data"), filepath.Join(dir, "secrets")
	ctx := context.Background()
	const email, password = "crash@example.com", "correct horse battery staple"
	devices, pins := client.NewMemoryDeviceStore(), client.NewMemoryPinStore()

	newClient := func(c *vellumdproc.Proc) (*client.Client, *wire) {
		pem, err := os.ReadFile(filepath.Join(data, "tls", "localhost.crt"))
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr := &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, c.Addr)
			},
		}
		t.Cleanup(tr.CloseIdleConnections)
		w := &wire{next: tr, uploads: map[string]*uploadSession{}}
		hc := &http.Client{Timeout: 2 * time.Minute, Transport: w}
		return client.New(c.URL, client.WithHTTPClient(hc), client.WithDeviceStore(devices), client.WithPinStore(pins),
			client.WithChunkSize(64<<10), client.WithRetry(1, 10*time.Millisecond)), w
	}

	// First run: an account, a tenant, a folder.
	srv := startVellumd(t, bin, data, secrets)
	c1, w1 := newClient(srv)
	reg, err := c1.Register(ctx, email, password)
	if err != nil {
		t.Fatalf("register: %v\n%s", err, srv.Tail())
	}
	if _, err := reg.Finish(ctx, code(t, srv, email)); err != nil {
		t.Fatalf("finishing the registration: %v", err)
	}
	tenant, err := c1.CreateTenant(ctx, "Crash Test Ltd")
	if err != nil {
		t.Fatal(err)
	}
	folder, err := c1.CreateFolder(ctx, tenant.ID, "", "Uploads")
	if err != nil {
		t.Fatal(err)
	}
	tid, fid := tenant.ID, folder.ID

	type result struct {
		name string
		size int
		doc  *client.Document
		err  error
	}
	var (
		resMu   sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	upload := func(name string, r io.Reader, size int) error {
		d, err := c1.Upload(ctx, tid, fid, name, r, int64(size))
		resMu.Lock()
		results = append(results, result{name, size, d, err})
		resMu.Unlock()
		return err
	}

	// Finished before the crash: four uploads at once.
	const finished, held, loops, maxRounds = 4, 3, 3, 15
	for i := range finished {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("finished-%d.bin", i)
			size := 700<<10 + i*13_001
			upload(name, bytes.NewReader(content(name, size)), size)
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("%s before the crash: %v\n%s", r.name, r.err, srv.Tail())
		}
	}

	// Held: each stops reading after 600 KiB of a 1 MiB file, so that its
	// earlier chunks are acknowledged and its commit is never sent.
	release := make(chan struct{})
	var gates []*gate
	for i := range held {
		name := fmt.Sprintf("held-%d.bin", i)
		size := 1<<20 + i*7_001
		g := &gate{data: content(name, size), hold: 600 << 10, blocked: make(chan struct{}), release: release}
		gates = append(gates, g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			upload(name, g, size)
		}()
	}
	// Running: loops that upload one file after another until one fails.
	var loopMu sync.Mutex
	rounds := make([]int, loops)
	stopped := make([]bool, loops)
	loopCond := sync.NewCond(&loopMu)
	for l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				loopMu.Lock()
				stopped[l] = true
				loopCond.Broadcast()
				loopMu.Unlock()
			}()
			for i := range maxRounds {
				name := fmt.Sprintf("loop-%d-%d.bin", l, i)
				size := 200<<10 + l*10_007 + i*3_001
				if upload(name, bytes.NewReader(content(name, size)), size) != nil {
					return
				}
				loopMu.Lock()
				rounds[l]++
				loopCond.Broadcast()
				loopMu.Unlock()
			}
		}()
	}
	// Kill when every held upload waits on its reader and every loop has
	// finished a round (or stopped): the loops are then in a later upload.
	for _, g := range gates {
		select {
		case <-g.blocked:
		case <-time.After(2 * time.Minute):
			t.Fatalf("a held upload did not reach its hold point\n%s", srv.Tail())
		}
	}
	waitLoops := time.AfterFunc(2*time.Minute, func() {
		loopMu.Lock()
		for l := range stopped {
			stopped[l] = true
		}
		loopCond.Broadcast()
		loopMu.Unlock()
	})
	loopMu.Lock()
	for l := 0; l < loops; {
		if rounds[l] == 0 && !stopped[l] {
			loopCond.Wait()
			continue
		}
		l++
	}
	loopMu.Unlock()
	waitLoops.Stop()
	kill(t, srv)
	close(release)
	wg.Wait()

	// What the wire says: acknowledged commits, commits never sent.
	w1.mu.Lock()
	sessions := make(map[string]uploadSession, len(w1.uploads))
	for id, s := range w1.uploads {
		sessions[id] = *s
	}
	w1.mu.Unlock()
	committed := map[string]bool{} // document ids whose commit was acknowledged
	maybe := map[string]bool{}     // document ids whose commit was sent
	never := map[string]bool{}     // document ids whose commit was never sent
	for _, s := range sessions {
		switch {
		case s.commitAcked:
			committed[s.committedDoc] = true
			maybe[s.committedDoc] = true
		case s.commitSent:
			maybe[s.docID] = true
		default:
			never[s.docID] = true
		}
	}
	names := map[string]int{} // name → size of every file an upload was tried with
	acked := map[string]string{}
	for _, r := range results {
		names[r.name] = r.size
		if r.err == nil {
			acked[r.name] = r.doc.ID
			if !committed[r.doc.ID] {
				t.Errorf("%s: the client reported success without an acknowledged commit", r.name)
			}
		} else if strings.HasPrefix(r.name, "finished-") {
			t.Errorf("%s failed: %v", r.name, r.err)
		}
	}
	for _, g := range gates {
		if g.off != g.hold {
			t.Fatalf("a held upload read %d bytes, want %d", g.off, g.hold)
		}
	}
	if len(never) < held {
		t.Fatalf("%d uploads never sent their commit, want at least the %d held ones", len(never), held)
	}
	t.Logf("before the kill: %d commits acknowledged, %d sent without a reply, %d never sent; loop rounds %v",
		len(committed), len(maybe)-len(committed), len(never), rounds)

	// Restart on the same directories, and log in again.
	srv = startVellumd(t, bin, data, secrets)
	c2, w2 := newClient(srv)
	if err := c2.Login(ctx, email, password); err != nil {
		if !errors.Is(err, client.ErrDeviceVerificationNeeded) {
			t.Fatalf("login after the restart: %v\n%s", err, srv.Tail())
		}
		if err := c2.VerifyDevice(ctx, code(t, srv, email)); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := c2.ListDocuments(ctx, tid, fid)
	if err != nil {
		t.Fatalf("listing after the restart: %v\n%s", err, srv.Tail())
	}
	listed := map[string]bool{}
	for _, d := range docs {
		listed[d.ID] = true
		if d.Err != nil {
			t.Errorf("document %s: %v", d.ID, d.Err)
			continue
		}
		size, ok := names[d.Name]
		switch {
		case !ok:
			t.Errorf("a document named %q that no upload sent", d.Name)
			continue
		case never[d.ID]:
			t.Errorf("%s is listed, but its commit was never sent", d.Name)
		case !maybe[d.ID]:
			t.Errorf("%s is listed, but no commit of it was sent", d.Name)
		}
		dl, err := c2.Download(ctx, tid, d.ID, 0)
		if err != nil {
			t.Errorf("%s: %v", d.Name, err)
			continue
		}
		var got bytes.Buffer
		_, err = dl.WriteTo(&got)
		dl.Close()
		if err != nil || !bytes.Equal(got.Bytes(), content(d.Name, size)) {
			t.Errorf("%s downloads %d bytes that differ from the %d uploaded: %v", d.Name, got.Len(), size, err)
		}
	}
	for name, id := range acked {
		if !listed[id] {
			t.Errorf("%s was acknowledged but is not listed after the restart", name)
		}
	}
	for id := range committed {
		if !listed[id] {
			t.Errorf("document %s: its commit was acknowledged but it is not listed after the restart", id)
		}
	}
	// Every acknowledged chunk of an upload that did not commit is still
	// held; the session is then aborted.
	w2.mu.Lock()
	bearer := w2.bearer
	w2.mu.Unlock()
	hc := &http.Client{Timeout: time.Minute, Transport: w2.next}
	checked := 0
	for id, s := range sessions {
		if s.commitSent || s.abortAcked || s.docID == "" {
			continue
		}
		base := srv.URL + protocol.APIPrefix + "/tenants/" + tid + "/uploads/" + id
		req, _ := http.NewRequest("GET", base, nil)
		req.Header.Set("Authorization", bearer)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var up protocol.Upload
		if resp.StatusCode != 200 || json.Unmarshal(body, &up) != nil {
			t.Errorf("upload %s after the restart: %d %s", id, resp.StatusCode, body)
			continue
		}
		if up.Received < s.acked {
			t.Errorf("upload %s holds %d bytes after the restart; %d were acknowledged", id, up.Received, s.acked)
		}
		checked++
		req, _ = http.NewRequest("DELETE", base, nil)
		req.Header.Set("Authorization", bearer)
		if resp, err := hc.Do(req); err != nil || resp.StatusCode != 204 {
			t.Errorf("aborting upload %s: %v", id, err)
		} else {
			resp.Body.Close()
		}
	}
	if checked < held {
		t.Errorf("checked %d unfinished uploads, want at least %d", checked, held)
	}
	// One upload event per listed document: no commit without its event,
	// no event without its commit, and the chain checks after the crash.
	uploadsLogged := 0
	for cursor, first := "", true; first || cursor != ""; first = false {
		page, err := c2.AuditLog(ctx, tid, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if !page.Verified {
			t.Error("an audit page after the restart does not verify")
		}
		for _, e := range page.Events {
			if e.KindName == "document_uploaded" {
				uploadsLogged++
			}
		}
		cursor = page.NextCursor
	}
	if uploadsLogged != len(docs) {
		t.Errorf("%d document_uploaded events for %d documents", uploadsLogged, len(docs))
	}
	var export bytes.Buffer
	if _, err := c2.ExportAudit(ctx, tid, &export); err != nil {
		t.Errorf("audit export after the restart: %v", err)
	}

	// The server serves normally: a new upload, downloaded back.
	after := content("after-restart.bin", 300<<10)
	d, err := c2.Upload(ctx, tid, fid, "after-restart.bin", bytes.NewReader(after), int64(len(after)))
	if err != nil {
		t.Fatalf("upload after the restart: %v", err)
	}
	dl, err := c2.Download(ctx, tid, d.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(dl)
	dl.Close()
	if err != nil || !bytes.Equal(got, after) {
		t.Fatalf("the upload after the restart downloads differently: %v", err)
	}
	t.Logf("after the restart: %d documents listed, %d unfinished uploads checked", len(docs), checked)
	if err := srv.Stop(); err != nil {
		t.Fatalf("shutdown after the restart: %v\n%s", err, srv.Tail())
	}
}
