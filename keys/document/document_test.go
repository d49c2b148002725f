package document_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

func encrypt(t testing.TB, to keys.Recipient, pt []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := document.Encrypt(&buf, to)
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes, so chunk boundaries fall inside writes.
	for p := pt; len(p) > 0; {
		n := min(len(p), 7777)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decrypt(file []byte, id *keys.Identity) ([]byte, error) {
	r, err := document.Decrypt(bytes.NewReader(file), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestRoundTrip(t *testing.T) {
	id := document.NewKey()
	for _, n := range []int{0, 1, full - 1, full, full + 1, 3 * full, 3*full + 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			pt := randomBytes(n)
			file := encrypt(t, id.Recipient(), pt)
			if want, err := document.EncryptedSize(int64(n)); err != nil || int64(len(file)) != want {
				t.Errorf("file of %d bytes, EncryptedSize says %d (%v)", len(file), want, err)
			}
			if p, err := document.PlaintextSize(int64(len(file))); err != nil || p != int64(n) {
				t.Errorf("PlaintextSize(%d) = %d, %v", len(file), p, err)
			}
			if err := document.CheckSize(int64(len(file)), int64(n)); err != nil {
				t.Error(err)
			}
			got, err := decrypt(file, id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatal("plaintext differs")
			}
		})
	}
}

// patternReader yields n bytes of pattern without holding them.
type patternReader struct{ off, n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.n-p.off)]
	for i := range b {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// TestStreamingConstantMemory streams 64 MiB through Encrypt and Decrypt,
// connected by a pipe, and samples the heap while it flows. A version that
// buffered the document would hold at least 64 MiB; the stream holds a few
// 64 KiB chunks plus garbage the collector has not reclaimed yet.
func TestStreamingConstantMemory(t *testing.T) {
	const total = 64 << 20
	const bound = 16 << 20
	id := document.NewKey()
	pr, pw := io.Pipe()
	sent := make(chan []byte, 1)
	go func() {
		h := sha256.New()
		w, err := document.Encrypt(pw, id.Recipient())
		if err == nil {
			_, err = io.Copy(io.MultiWriter(w, h), &patternReader{n: total})
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
		sent <- h.Sum(nil)
	}()

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc

	r, err := document.Decrypt(pr, id)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	buf := make([]byte, 32<<10)
	var got, next int64
	for {
		n, err := r.Read(buf)
		h.Write(buf[:n])
		got += int64(n)
		if got >= next {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			next += 2 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != total {
		t.Fatalf("decrypted %d bytes, want %d", got, total)
	}
	if !bytes.Equal(h.Sum(nil), <-sent) {
		t.Fatal("plaintext differs")
	}
	growth := int64(peak) - int64(base)
	t.Logf("heap: base %d KiB, peak %d KiB, growth %d KiB while streaming %d MiB", base>>10, peak>>10, growth>>10, total>>20)
	if growth > bound {
		t.Errorf("heap grew by %d MiB while streaming %d MiB, want under %d MiB", growth>>20, total>>20, bound>>20)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func TestDecryptRange(t *testing.T) {
	id := document.NewKey()
	pt := randomBytes(10*full + 777)
	file := encrypt(t, id.Recipient(), pt)
	size := int64(len(file))
	rng := mrand.New(mrand.NewPCG(1, 2))
	check := func(off, n int64) {
		t.Helper()
		r, err := document.DecryptRange(bytes.NewReader(file), size, id, off, n)
		if err != nil {
			t.Fatalf("DecryptRange(%d, %d): %v", off, n, err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("DecryptRange(%d, %d): %v", off, n, err)
		}
		if !bytes.Equal(got, pt[off:off+n]) {
			t.Fatalf("DecryptRange(%d, %d): wrong bytes", off, n)
		}
	}
	p := int64(len(pt))
	for _, c := range [][2]int64{{0, 0}, {0, p}, {p, 0}, {p - 1, 1}, {full - 1, 2}, {full, full}, {9 * full, p - 9*full}} {
		check(c[0], c[1])
	}
	for range 50 {
		off := rng.Int64N(p + 1)
		check(off, rng.Int64N(p-off+1))
	}

	// Only the chunks of the range, and the final chunk, are read.
	c := &countingReaderAt{r: bytes.NewReader(file)}
	r, err := document.DecryptRange(c, size, id, 5*full+10, 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	if limit := int64(document.Overhead + 2*(full+16) + 4096); c.n > limit {
		t.Errorf("read %d bytes of a %d-byte file for a 100-byte range, want under %d", c.n, size, limit)
	}

	for _, bad := range [][2]int64{{-1, 1}, {0, -1}, {p + 1, 0}, {p, 1}, {1, p}} {
		if _, err := document.DecryptRange(bytes.NewReader(file), size, id, bad[0], bad[1]); !errors.Is(err, document.ErrRange) {
			t.Errorf("DecryptRange(%d, %d): %v, want ErrRange", bad[0], bad[1], err)
		}
	}
}

// TestDecryptRangeAlteredChunk: a chunk altered after the header checks out
// is caught when the range that holds it is read, not before.
func TestDecryptRangeAlteredChunk(t *testing.T) {
	id := document.NewKey()
	file := encrypt(t, id.Recipient(), randomBytes(3*full))
	file[184+(full+16)+5] ^= 1 // inside chunk 1
	r, err := document.DecryptRange(bytes.NewReader(file), int64(len(file)), id, 0, full)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err != nil {
		t.Errorf("chunk 0 is intact, got %v", err)
	}
	r, _ = document.DecryptRange(bytes.NewReader(file), int64(len(file)), id, full, 10)
	if _, err := io.ReadAll(r); !errors.Is(err, document.ErrCorrupted) {
		t.Errorf("reading chunk 1: %v, want ErrCorrupted", err)
	}
}

// errReader fails with err after n bytes.
type errReader struct {
	r   io.Reader
	n   int
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, e.err
	}
	p = p[:min(len(p), e.n)]
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

// An error of the source is passed on as itself, not mistaken for a property
// of the ciphertext.
func TestDecryptSourceError(t *testing.T) {
	id := document.NewKey()
	file := encrypt(t, id.Recipient(), randomBytes(2*full))
	boom := errors.New("connection reset")
	for _, at := range []int{10, 184 + 100} {
		r, err := document.Decrypt(&errReader{r: bytes.NewReader(file), n: at, err: boom}, id)
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if !errors.Is(err, boom) {
			t.Errorf("cut at %d: %v, want the source's error", at, err)
		}
		for _, s := range []error{document.ErrTruncated, document.ErrCorrupted, document.ErrMalformed, document.ErrWrongKey} {
			if errors.Is(err, s) {
				t.Errorf("cut at %d: %v also matches %v", at, err, s)
			}
		}
	}
}

// A writer that is not closed leaves a file without its final chunk.
func TestEncryptNotClosed(t *testing.T) {
	id := document.NewKey()
	var buf bytes.Buffer
	w, err := document.Encrypt(&buf, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(randomBytes(2 * full))
	if _, err := decrypt(buf.Bytes(), id); !errors.Is(err, document.ErrTruncated) {
		t.Errorf("unclosed file: %v, want ErrTruncated", err)
	}
	if _, err := document.Encrypt(&buf, keys.Recipient{}); err == nil {
		t.Error("Encrypt to the zero Recipient succeeded")
	}
}

func TestSizes(t *testing.T) {
	for _, bad := range []int64{-1, 0, document.Overhead - 1, 184 + full + 16 + 1, 184 + full + 16 + 16} {
		if _, err := document.PlaintextSize(bad); !errors.Is(err, document.ErrMalformed) {
			t.Errorf("PlaintextSize(%d): %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := document.EncryptedSize(-1); !errors.Is(err, document.ErrMalformed) {
		t.Errorf("EncryptedSize(-1): %v", err)
	}
	for p := int64(0); p < 3*full+100; p += 997 {
		e, err := document.EncryptedSize(p)
		if err != nil {
			t.Fatal(err)
		}
		if q, err := document.PlaintextSize(e); err != nil || q != p {
			t.Fatalf("PlaintextSize(EncryptedSize(%d)) = %d, %v", p, q, err)
		}
		if err := document.CheckSize(e-1, p); !errors.Is(err, document.ErrTruncated) {
			t.Fatalf("CheckSize short: %v", err)
		}
		if err := document.CheckSize(e+1, p); !errors.Is(err, document.ErrCorrupted) {
			t.Fatalf("CheckSize long: %v", err)
		}
	}
}

func TestMetadata(t *testing.T) {
	id := document.NewKey()
	m := &document.Metadata{Name: "Q3 report.pdf", Type: "application/pdf", Size: 42, Created: time.Unix(1795219200, 123456789)}
	sealed, err := document.SealMetadata(m, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	got, err := document.OpenMetadata(sealed, id)
	if err != nil {
		t.Fatal(err)
	}
	want := *m
	want.Created = time.Unix(1795219200, 0).UTC()
	if *got != want {
		t.Errorf("OpenMetadata = %+v, want %+v (time to the second, UTC)", got, want)
	}
	if _, err := document.OpenMetadata(sealed, document.NewKey()); !errors.Is(err, document.ErrWrongKey) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := document.OpenMetadata(sealed[:len(sealed)-1], id); !errors.Is(err, document.ErrCorrupted) {
		t.Errorf("cut metadata: %v", err)
	}
	if _, err := document.OpenMetadata(make([]byte, protocol.MaxMetadata+1), id); !errors.Is(err, document.ErrTooLarge) {
		t.Errorf("oversized metadata: %v", err)
	}
	// A content file that is not a metadata record is refused as malformed.
	if _, err := document.OpenMetadata(encrypt(t, id.Recipient(), []byte("not CBOR")), id); !errors.Is(err, document.ErrMalformed) {
		t.Errorf("non-CBOR payload: %v", err)
	}

	for _, bad := range []document.Metadata{
		{Name: "", Type: "text/plain", Created: m.Created},
		{Name: strings.Repeat("x", protocol.MaxNameLength+1), Type: "text/plain", Created: m.Created},
		{Name: "a\x00b", Type: "text/plain", Created: m.Created},
		{Name: "a\u0085b", Type: "text/plain", Created: m.Created},
		{Name: "\xff", Type: "text/plain", Created: m.Created},
		{Name: "a", Type: "", Created: m.Created},
		{Name: "a", Type: "text", Created: m.Created},
		{Name: "a", Type: "text/", Created: m.Created},
		{Name: "a", Type: "/plain", Created: m.Created},
		{Name: "a", Type: "text/plain/x", Created: m.Created},
		{Name: "a", Type: "TEXT/plain", Created: m.Created},
		{Name: "a", Type: "text/plain;charset=utf-8", Created: m.Created},
		{Name: "a", Type: "text/" + strings.Repeat("x", protocol.MaxMIMEType), Created: m.Created},
		{Name: "a", Type: "text/plain", Size: -1, Created: m.Created},
		{Name: "a", Type: "text/plain"}, // the zero time is before 1970
	} {
		if _, err := bad.Marshal(); !errors.Is(err, document.ErrMalformed) {
			t.Errorf("Marshal(%q, %q): %v, want ErrMalformed", bad.Name, bad.Type, err)
		}
		if _, err := document.SealMetadata(&bad, id.Recipient()); err == nil {
			t.Errorf("SealMetadata(%q, %q) succeeded", bad.Name, bad.Type)
		}
	}
}

func TestFolderMetadata(t *testing.T) {
	folder := document.NewKey()
	sealed, err := document.SealFolderMetadata(&document.FolderMetadata{Name: "Board"}, folder.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	m, err := document.OpenFolderMetadata(sealed, folder)
	if err != nil || m.Name != "Board" {
		t.Fatalf("OpenFolderMetadata = %v, %v", m, err)
	}
	if _, err := document.OpenFolderMetadata(sealed, document.NewKey()); !errors.Is(err, document.ErrWrongKey) {
		t.Errorf("wrong key: %v", err)
	}
	// A document's metadata record is not a folder's.
	doc, _ := document.SealMetadata(&document.Metadata{Name: "a", Type: "text/plain", Created: time.Unix(0, 0)}, folder.Recipient())
	if _, err := document.OpenFolderMetadata(doc, folder); !errors.Is(err, document.ErrMalformed) {
		t.Errorf("document metadata opened as a folder's: %v", err)
	}
}

func TestKeyWrap(t *testing.T) {
	folder, doc := document.NewKey(), document.NewKey()
	w, err := document.WrapKey(doc, folder.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	got, err := document.UnwrapKey(w, folder)
	if err != nil || !got.Equal(doc) {
		t.Fatalf("UnwrapKey: %v", err)
	}
	if _, err := document.UnwrapKey(w, doc); !errors.Is(err, document.ErrWrongKey) {
		t.Errorf("wrong folder key: %v", err)
	}
}
