package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

var errDropped = errors.New("connection dropped")

// fakeUploads emulates the upload endpoints of one upload session: chunks
// at the committed offset only (else conflict), stored atomically with the
// offset, and faults injected by PUT number.
type fakeUploads struct {
	t         *testing.T
	mu        sync.Mutex
	size      int64
	chunkSize int
	data      bytes.Buffer
	puts      int
	gets      int
	chunks    []int
	// faults by PUT number (1-based): "before" drops the connection before
	// storing, "after" stores and then drops the reply, "skew" makes the
	// next GET lie about the offset.
	faults    map[int]string
	skew      bool
	committed bool
	aborted   bool
}

const fakeUploadPath = "/api/v1/tenants/" + testTenant + "/uploads/up1"

func (f *fakeUploads) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "PUT" && r.URL.Path == fakeUploadPath:
		f.puts++
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if r.Header.Get("Content-Type") != "application/octet-stream" {
			f.t.Errorf("chunk content type %q", r.Header.Get("Content-Type"))
		}
		fault := f.faults[f.puts]
		if fault == "before" {
			return nil, errDropped
		}
		off, err := protocol.ParseUint(r.URL.Query().Get("offset"))
		if err != nil {
			return jsonResponse(400, protocol.Error{Code: protocol.CodeBadRequest, Message: "offset"}), nil
		}
		if int64(off) != int64(f.data.Len()) {
			return jsonResponse(409, protocol.Error{Code: protocol.CodeConflict, Message: "offset"}), nil
		}
		if len(body) == 0 || len(body) > f.chunkSize || int64(f.data.Len()+len(body)) > f.size {
			return jsonResponse(400, protocol.Error{Code: protocol.CodeBadRequest, Message: "chunk"}), nil
		}
		f.data.Write(body)
		f.chunks = append(f.chunks, len(body))
		if fault == "after" {
			return nil, errDropped
		}
		if fault == "skew" {
			f.skew = true
			return nil, errDropped
		}
		return jsonResponse(200, f.upload()), nil
	case r.Method == "GET" && r.URL.Path == fakeUploadPath:
		f.gets++
		u := f.upload()
		if f.skew {
			u.Received++
		}
		return jsonResponse(200, u), nil
	case r.Method == "POST" && r.URL.Path == fakeUploadPath+"/commit":
		b, _ := io.ReadAll(r.Body)
		var in protocol.CommitUploadRequest
		if err := protocol.DecodeJSON(b, &in, protocol.MaxJSONBody); err != nil {
			f.t.Fatal(err)
		}
		sum := sha256.Sum256(f.data.Bytes())
		if int64(f.data.Len()) != f.size || !bytes.Equal(in.SHA256, sum[:]) {
			return jsonResponse(409, protocol.Error{Code: protocol.CodeConflict, Message: "incomplete or altered"}), nil
		}
		f.committed = true
		return jsonResponse(200, protocol.Document{DocumentID: "doc1", FolderID: "f1", DocumentVersion: protocol.DocumentVersion{
			Version: 1, Size: f.size, Metadata: []byte{1}, KeyWrap: []byte{1}, FolderKeyVersion: 1, CreatedBy: testAccount,
			Statement: in.Statement,
		}}), nil
	case r.Method == "DELETE" && r.URL.Path == fakeUploadPath:
		f.aborted = true
		return rawResponse(204, ""), nil
	}
	f.t.Errorf("unexpected %s %s", r.Method, r.URL)
	return jsonResponse(404, protocol.Error{Code: protocol.CodeNotFound, Message: "no"}), nil
}

func (f *fakeUploads) upload() protocol.Upload {
	return protocol.Upload{UploadID: "up1", DocumentID: "doc1", Version: 1, Size: f.size, Received: int64(f.data.Len()), ChunkSize: f.chunkSize}
}

// plaintext returns n bytes of a fixed, non-repeating pattern.
func plaintext(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func runUpload(t *testing.T, f *fakeUploads, clientChunk int, data []byte, declared int64) ([]Progress, error) {
	t.Helper()
	var progress []Progress
	var pmu sync.Mutex
	c := newTestClient(t, f, WithChunkSize(clientChunk), WithProgress(func(p Progress) {
		pmu.Lock()
		progress = append(progress, p)
		pmu.Unlock()
	}))
	kr := loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	_ = kr
	key := document.NewKey()
	csize, err := document.EncryptedSize(declared)
	if err != nil {
		t.Fatal(err)
	}
	f.size = csize
	up := f.upload()
	_, err = c.sendUpload(context.Background(), testTenant, &up, key, bytes.NewReader(data), declared)
	if err == nil {
		pr, derr := document.Decrypt(bytes.NewReader(f.data.Bytes()), key)
		if derr != nil {
			t.Fatal(derr)
		}
		got, derr := io.ReadAll(pr)
		if derr != nil {
			t.Fatal(derr)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("the stored ciphertext does not decrypt to the plaintext")
		}
	}
	return progress, err
}

func TestUploadChunks(t *testing.T) {
	data := plaintext(5<<20 + 12345)
	f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk}
	progress, err := runUpload(t, f, 256<<10, data, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !f.committed {
		t.Error("not committed")
	}
	for i, n := range f.chunks {
		if n > 256<<10 || (i < len(f.chunks)-1 && n != 256<<10) {
			t.Errorf("chunk %d of %d bytes", i, n)
		}
	}
	if f.gets != 0 {
		t.Errorf("%d status requests without a fault", f.gets)
	}
	var last int64
	for _, p := range progress {
		if p.Op != "upload" || p.Done <= last || p.Total != f.size {
			t.Fatalf("progress %+v after %d", p, last)
		}
		last = p.Done
	}
	if last != f.size {
		t.Errorf("progress ended at %d of %d", last, f.size)
	}
}

func TestUploadServerChunkSize(t *testing.T) {
	data := plaintext(300 << 10)
	f := &fakeUploads{t: t, chunkSize: 64 << 10}
	if _, err := runUpload(t, f, 1<<20, data, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.chunks {
		if n > 64<<10 {
			t.Errorf("chunk of %d bytes over the server's 64 KiB", n)
		}
	}
}

func TestUploadResume(t *testing.T) {
	data := plaintext(5 << 20)
	// A connection dropped before the chunk landed, and one dropped after
	// it landed (the reply lost): the first is sent again, the second not.
	f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk, faults: map[int]string{3: "before", 6: "after"}}
	if _, err := runUpload(t, f, 512<<10, data, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if !f.committed || f.gets != 2 {
		t.Errorf("committed %v after %d status requests, want 2", f.committed, f.gets)
	}
	csize, _ := document.EncryptedSize(int64(len(data)))
	wantPuts := int((csize+512<<10-1)/(512<<10)) + 1 // one chunk sent twice
	if f.puts != wantPuts {
		t.Errorf("%d PUTs, want %d", f.puts, wantPuts)
	}
}

func TestUploadResumeFailures(t *testing.T) {
	data := plaintext(1 << 20)
	t.Run("retries exhausted", func(t *testing.T) {
		faults := map[int]string{}
		for i := 2; i < 20; i++ {
			faults[i] = "before"
		}
		f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk, faults: faults}
		_, err := runUpload(t, f, 256<<10, data, int64(len(data)))
		if !errors.Is(err, ErrNetwork) || !errors.Is(err, errDropped) {
			t.Fatalf("%v: want the network error", err)
		}
		if f.puts != 1+1+3 { // one good chunk, then the first try and 3 retries
			t.Errorf("%d PUTs", f.puts)
		}
		if f.committed {
			t.Error("committed")
		}
	})
	t.Run("server offset fits nothing", func(t *testing.T) {
		f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk, faults: map[int]string{2: "skew"}}
		if _, err := runUpload(t, f, 256<<10, data, int64(len(data))); !errors.Is(err, ErrUploadLost) {
			t.Fatalf("%v: want ErrUploadLost", err)
		}
	})
	t.Run("reader too short", func(t *testing.T) {
		f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk}
		if _, err := runUpload(t, f, 256<<10, data[:len(data)-1], int64(len(data))); !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("%v: want ErrSizeMismatch", err)
		}
		if f.committed {
			t.Error("committed")
		}
	})
	t.Run("reader too long", func(t *testing.T) {
		f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk}
		if _, err := runUpload(t, f, 256<<10, append(data, 1), int64(len(data))); !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("%v: want ErrSizeMismatch", err)
		}
	})
	t.Run("a refusal is not retried", func(t *testing.T) {
		c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != "PUT" {
				t.Errorf("unexpected %s %s", r.Method, r.URL)
			}
			return jsonResponse(403, protocol.Error{Code: protocol.CodeForbidden, Message: "no"}), nil
		}))
		loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
		up := protocol.Upload{UploadID: "up1", DocumentID: "doc1", Size: 1000}
		u := newUploader(context.Background(), c, testTenant, &up)
		err := u.send(make([]byte, 10))
		if protocol.CodeOf(err) != protocol.CodeForbidden {
			t.Fatalf("%v", err)
		}
	})
}

func TestUploadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeUploads{t: t, chunkSize: protocol.MaxChunk}
	c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == "PUT" {
			cancel()
			return nil, r.Context().Err()
		}
		return f.RoundTrip(r)
	}), WithRetry(3, time.Hour))
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	data := plaintext(100 << 10)
	f.size, _ = document.EncryptedSize(int64(len(data)))
	up := f.upload()
	_, err := c.sendUpload(ctx, testTenant, &up, document.NewKey(), bytes.NewReader(data), int64(len(data)))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v: want context.Canceled (and no hour-long wait)", err)
	}
}

func TestMIMEType(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":  "application/pdf",
		"photo.JPG":   "image/jpeg",
		"no-ext":      "application/octet-stream",
		"weird.zzzzz": "application/octet-stream",
	} {
		got := mimeType(name)
		if got != want && !(want == "application/octet-stream" && got == want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		if _, err := (&document.Metadata{Name: name, Type: got, Size: 1, Created: time.Unix(1, 0)}).Marshal(); err != nil {
			t.Errorf("%s: type %q refused by the metadata record: %v", name, got, err)
		}
	}
	if !strings.HasPrefix(mimeType("a.txt"), "text/plain") {
		t.Errorf("txt: %q", mimeType("a.txt"))
	}
}
