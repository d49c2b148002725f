package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// sinkUploads acknowledges every chunk at the right offset and discards
// it, so that a benchmark measures the client.
type sinkUploads struct {
	mu       sync.Mutex
	size     int64
	received int64
}

func (s *sinkUploads) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case "PUT":
		n, _ := io.Copy(io.Discard, r.Body)
		s.received += n
		return jsonResponse(200, protocol.Upload{UploadID: "up1", DocumentID: "doc1", Size: s.size, Received: s.received}), nil
	case "POST":
		return jsonResponse(200, protocol.Document{DocumentID: "doc1", FolderID: "f1", DocumentVersion: protocol.DocumentVersion{
			Version: 1, Size: s.size, Metadata: []byte{1}, KeyWrap: []byte{1}, FolderKeyVersion: 1, CreatedBy: testAccount,
			Statement: []byte("statement"),
		}}), nil
	}
	return jsonResponse(404, protocol.Error{Code: protocol.CodeNotFound, Message: "no"}), nil
}

const benchSize = 16 << 20

// BenchmarkUpload streams 16 MiB through encryption, chunking and the
// transport's request building (to an in-process sink), in MB/s of
// plaintext, next to BenchmarkUploadBaseline in the same run.
func BenchmarkUpload(b *testing.B) {
	data := plaintext(benchSize)
	csize, _ := document.EncryptedSize(benchSize)
	key := document.NewKey()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		sink := &sinkUploads{size: csize}
		c := New(testBase, WithHTTPClient(&http.Client{Transport: sink}))
		loginAs(c, testAccount, "alice@example.com", "tok", time.Now().Add(time.Hour))
		up := protocol.Upload{UploadID: "up1", DocumentID: "doc1", Size: csize, ChunkSize: protocol.MaxChunk}
		if _, err := c.sendUpload(context.Background(), testTenant, &up, key, bytes.NewReader(data), benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadBaseline is the floor: document encryption and SHA-256 of
// the ciphertext, with no chunking or requests.
func BenchmarkUploadBaseline(b *testing.B) {
	data := plaintext(benchSize)
	key := document.NewKey()
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		h := sha256.New()
		w, err := document.Encrypt(h, key.Recipient())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
