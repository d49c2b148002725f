//go:build js && wasm

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/seal"
)

// These tests run under Node: GOOS=js GOARCH=wasm go test
// -exec=$(go env GOROOT)/lib/wasm/go_js_wasm_exec ./wasm/bridge/
// The browser test in web/ runs the same module in Chromium's worker.

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// run pushes data through stream h in pieces of step bytes and finishes it.
func run(t testing.TB, b *bridge, h handle, data []byte, step int) (out []byte, digest []byte, err error) {
	t.Helper()
	for len(data) > 0 {
		n := min(step, len(data))
		o, err := b.push(h, data[:n])
		if err != nil {
			return nil, nil, err
		}
		out = append(out, o...)
		data = data[n:]
	}
	o, digest, err := b.finish(h)
	if err != nil {
		return nil, nil, err
	}
	return append(out, o...), digest, nil
}

func encrypt(t testing.TB, b *bridge, to string, plain []byte, step int) []byte {
	t.Helper()
	h, err := b.encryptStart(to, false)
	if err != nil {
		t.Fatal(err)
	}
	ct, _, err := run(t, b, h, plain, step)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func decrypt(t testing.TB, b *bridge, key handle, ct []byte, step int) ([]byte, []byte, error) {
	t.Helper()
	h, err := b.decryptStart(key, true)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, b, h, ct, step)
}

const chunk = 64 << 10

var sizes = []int{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 3*chunk + 17, 300_000}
var steps = []int{1 << 20, chunk, chunk + 16, chunk + 17, 4093, 1}

func TestRoundTrip(t *testing.T) {
	b := newBridge()
	k, r, err := b.generateKey()
	if err != nil {
		t.Fatal(err)
	}
	id := b.keys[k]
	for _, size := range sizes {
		plain := randomBytes(t, size)
		want, err := seal.HashFile(bytes.NewReader(plain))
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range steps {
			if step == 1 && size > 2*chunk {
				continue // a byte at a time is slow and proves nothing more
			}
			t.Run(fmt.Sprintf("size=%d/step=%d", size, step), func(t *testing.T) {
				h, err := b.encryptStart(r.String(), true)
				if err != nil {
					t.Fatal(err)
				}
				ct, encDigest, err := run(t, b, h, plain, step)
				if err != nil {
					t.Fatal(err)
				}
				if wantSize, _ := document.EncryptedSize(int64(size)); int64(len(ct)) != wantSize {
					t.Errorf("ciphertext of %d bytes, want %d", len(ct), wantSize)
				}
				// The bridge writes what document.Decrypt reads.
				pr, err := document.Decrypt(bytes.NewReader(ct), id)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := io.ReadAll(pr); err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("document.Decrypt of the bridge's ciphertext: %v", err)
				}
				got, decDigest, err := decrypt(t, b, k, ct, step)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("decrypted %d bytes, not the %d encrypted", len(got), len(plain))
				}
				if !bytes.Equal(encDigest, want[:]) || !bytes.Equal(decDigest, want[:]) {
					t.Errorf("digests %x (encrypt) %x (decrypt), want seal.HashFile %x", encDigest, decDigest, want)
				}
			})
		}
	}
	if len(b.streams) != 0 {
		t.Errorf("%d streams left open", len(b.streams))
	}
}

// TestDecryptsDocumentEncrypt checks the other direction: a file written
// by keys/document, pushed in uneven pieces.
func TestDecryptsDocumentEncrypt(t *testing.T) {
	b := newBridge()
	k, _, _ := b.generateKey()
	plain := randomBytes(t, 5*chunk+3)
	var ct bytes.Buffer
	w, err := document.Encrypt(&ct, b.keys[k].Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	got, _, err := decrypt(t, b, k, ct.Bytes(), 12345)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypting document.Encrypt's file: %v", err)
	}
}

func TestHash(t *testing.T) {
	b := newBridge()
	for _, size := range []int{0, 1, 3*chunk + 5} {
		data := randomBytes(t, size)
		want, _ := seal.HashFile(bytes.NewReader(data))
		h, err := b.hashStart()
		if err != nil {
			t.Fatal(err)
		}
		out, digest, err := run(t, b, h, data, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 0 || !bytes.Equal(digest, want[:]) {
			t.Errorf("size %d: digest %x, output %d bytes; want %x and none", size, digest, len(out), want)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	b := newBridge()
	k, r, _ := b.generateKey()
	other, _, _ := b.generateKey()
	plain := randomBytes(t, 3*chunk+100)
	ct := encrypt(t, b, r.String(), plain, chunk)
	const header = 168 + 16
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	for _, tc := range []struct {
		name string
		key  handle
		ct   []byte
		want Code
		is   error
	}{
		{"wrong key", other, ct, CodeWrongKey, document.ErrWrongKey},
		{"cut at a chunk boundary", k, ct[:header+encChunk], CodeTruncated, document.ErrTruncated},
		{"cut inside the header", k, ct[:100], CodeTruncated, document.ErrTruncated},
		{"empty", k, nil, CodeTruncated, document.ErrTruncated},
		{"altered first chunk", k, flip(header + 10), CodeCorrupted, document.ErrCorrupted},
		{"altered last chunk", k, flip(len(ct) - 1), CodeCorrupted, document.ErrCorrupted},
		{"cut inside the last chunk", k, ct[:len(ct)-1], CodeCorrupted, document.ErrCorrupted},
		{"trailing data", k, append(bytes.Clone(ct), 0), CodeCorrupted, document.ErrCorrupted},
		{"trailing chunk", k, append(bytes.Clone(ct), ct[header:header+encChunk+1]...), CodeCorrupted, document.ErrCorrupted},
		{"not age", k, []byte("hello, world\n"), CodeMalformed, document.ErrMalformed},
		{"header without end", k, bytes.Repeat([]byte("a"), 200<<10), CodeMalformed, nil},
	} {
		for _, step := range []int{1 << 20, 1000} {
			t.Run(fmt.Sprintf("%s/step=%d", tc.name, step), func(t *testing.T) {
				h, err := b.decryptStart(tc.key, false)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = run(t, b, h, tc.ct, step)
				if err == nil {
					t.Fatal("no error")
				}
				if got := codeOf(err); got != tc.want {
					t.Errorf("code %q, want %q (%v)", got, tc.want, err)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("error %v is not %v", err, tc.is)
				}
				// A failed stream is closed.
				if _, err := b.push(h, []byte{1}); codeOf(err) != CodeNotFound {
					t.Errorf("push after failure: %v, want %s", err, CodeNotFound)
				}
			})
		}
	}
	if len(b.streams) != 0 {
		t.Errorf("%d streams left open", len(b.streams))
	}
}

// TestDecryptMemory checks that decryption holds a bounded amount whatever
// the size of the document: less than a chunk and a push of ciphertext,
// and at most a push of plaintext (plus a chunk) per call.
func TestDecryptMemory(t *testing.T) {
	b := newBridge()
	k, r, _ := b.generateKey()
	plain := randomBytes(t, 16<<20)
	ct := encrypt(t, b, r.String(), plain, MaxPush)
	h, _ := b.decryptStart(k, false)
	s := b.streams[h].(*decryptStream)
	var got bytes.Buffer
	for p := ct; len(p) > 0; {
		n := min(MaxPush, len(p))
		out, err := b.push(h, p[:n])
		if err != nil {
			t.Fatal(err)
		}
		got.Write(out)
		p = p[n:]
		if c := cap(s.in.buf); c > encChunk+1+MaxPush {
			t.Fatalf("ciphertext buffer grew to %d bytes", c)
		}
		if c := cap(s.out); c > 2*(MaxPush+chunk) {
			t.Fatalf("plaintext buffer grew to %d bytes", c)
		}
	}
	out, _, err := b.finish(h)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(out)
	if !bytes.Equal(got.Bytes(), plain) {
		t.Fatal("round trip differs")
	}
}

func TestKeys(t *testing.T) {
	b := newBridge()
	doc, docR, _ := b.generateKey()
	folder, folderR, _ := b.generateKey()
	if _, err := keys.ParseRecipient(docR.String()); err != nil {
		t.Fatal(err)
	}
	wrapped, err := b.wrapKey(doc, folderR.String())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, []byte("AGE-SECRET-KEY")) {
		t.Fatal("wrapped key holds the secret key in clear")
	}
	got, gotR, err := b.unwrapKey(wrapped, folder)
	if err != nil {
		t.Fatal(err)
	}
	if got == doc || !gotR.Equal(docR) || !b.keys[got].Equal(b.keys[doc]) {
		t.Fatal("unwrapped key differs, or reused a handle")
	}
	if _, _, err := b.unwrapKey(wrapped, doc); codeOf(err) != CodeWrongKey {
		t.Errorf("unwrap with the wrong key: %v", err)
	}
	if _, _, err := b.unwrapKey([]byte("junk"), folder); codeOf(err) != CodeMalformed {
		t.Errorf("unwrap junk: %v", err)
	}
	if _, _, err := b.unwrapKey(make([]byte, 17<<10), folder); codeOf(err) != CodeTooLarge {
		t.Errorf("unwrap oversize: %v", err)
	}
	if _, err := b.wrapKey(doc, "AGE1NOTARECIPIENT"); codeOf(err) != CodeMalformed {
		t.Errorf("wrap to junk: %v", err)
	}
	if _, err := b.encryptStart(folderR.String()+" ", false); codeOf(err) != CodeMalformed {
		t.Errorf("encrypt to a non-canonical recipient: %v", err)
	}
	if err := b.releaseKey(doc); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"release twice":   b.releaseKey(doc),
		"wrap released":   func() error { _, err := b.wrapKey(doc, folderR.String()); return err }(),
		"decrypt with it": func() error { _, err := b.decryptStart(doc, false); return err }(),
		"key as stream":   b.abort(folder),
	} {
		if codeOf(err) != CodeNotFound {
			t.Errorf("%s: %v, want %s", name, err, CodeNotFound)
		}
	}
}

func TestLimits(t *testing.T) {
	b := newBridge()
	_, r, _ := b.generateKey()
	h, _ := b.encryptStart(r.String(), false)
	if _, err := b.push(h, make([]byte, MaxPush+1)); codeOf(err) != CodeTooLarge {
		t.Errorf("oversize push: %v", err)
	}
	if _, ok := b.streams[h]; ok {
		t.Error("stream open after an oversize push")
	}
	for range MaxStreams {
		if _, err := b.hashStart(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.hashStart(); codeOf(err) != CodeLimit {
		t.Errorf("stream over the limit: %v", err)
	}
}

func TestErrorsHoldNoSecrets(t *testing.T) {
	b := newBridge()
	k, r, _ := b.generateKey()
	other, _, _ := b.generateKey()
	secrets := [][]byte{b.keys[k].MarshalSecret(), b.keys[other].MarshalSecret()}
	ct := encrypt(t, b, r.String(), []byte("marker-plaintext-1234"), 100)
	var errs []error
	for _, tc := range []struct {
		key handle
		ct  []byte
	}{
		{other, ct}, {other, ct[:50]}, {k, ct[:50]}, {k, append(bytes.Clone(ct), 'x')},
		// A plaintext decrypted by mistake: age's error quotes its first line.
		{k, []byte("marker-plaintext-1234 is not age\n")},
	} {
		h, _ := b.decryptStart(tc.key, false)
		_, _, err := run(t, b, h, tc.ct, 7)
		errs = append(errs, err)
	}
	if _, _, err := b.unwrapKey([]byte("marker-plaintext-1234\n"), k); err != nil {
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("no error")
		}
		msg := messageOf(err) // what the page sees
		for _, s := range append(secrets, []byte("marker-plaintext"), []byte(hex.EncodeToString(ct[170:180]))) {
			if bytes.Contains([]byte(msg), s) {
				t.Errorf("error %q holds a secret", msg)
			}
		}
	}
}
