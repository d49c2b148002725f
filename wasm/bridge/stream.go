//go:build js && wasm

package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
)

// MaxPush is the largest chunk one push takes, in bytes. It bounds what a
// single call copies across the JS boundary and so the memory a stream
// holds: a decryption keeps less than one age chunk plus one push of
// ciphertext, and returns at most one push of plaintext. The page splits
// larger chunks (vellum-client.js does).
const MaxPush = 1 << 20

// A stream turns pushed chunks into output chunks: plaintext into a
// document file, a document file into plaintext, or plaintext into nothing
// but a digest. The slices it returns are valid until its next call.
type stream interface {
	push(p []byte) ([]byte, error)
	finish() ([]byte, error)
}

// digester is the optional SHA-256 of a stream's plaintext: D of the seal,
// the same value as keys/seal.HashFile (what sha256sum prints).
type digester struct{ h hash.Hash }

func newDigester(on bool) digester {
	if !on {
		return digester{}
	}
	return digester{h: sha256.New()}
}

func (d digester) write(p []byte) {
	if d.h != nil {
		d.h.Write(p)
	}
}

// sum returns the digest, or nil if the stream was not hashing.
func (d digester) sum() []byte {
	if d.h == nil {
		return nil
	}
	return d.h.Sum(nil)
}

// encryptStream writes a document file to a recipient (document.Encrypt).
type encryptStream struct {
	// out is the ciphertext not yet returned: the header that Encrypt wrote
	// at the start, then what the current call made. Its storage is reused.
	out  bytes.Buffer
	sent bool // out was returned and is no longer needed
	w    io.WriteCloser
	digester
}

// take returns out and marks it as sent, to be dropped by the next call.
func (s *encryptStream) take() []byte {
	s.sent = true
	return s.out.Bytes()
}

func (s *encryptStream) drop() {
	if s.sent {
		s.out.Reset()
		s.sent = false
	}
}

func newEncryptStream(to keys.Recipient, hashing bool) (*encryptStream, error) {
	s := &encryptStream{digester: newDigester(hashing)}
	w, err := document.Encrypt(&s.out, to)
	if err != nil {
		return nil, err
	}
	s.w = w
	return s, nil
}

func (s *encryptStream) push(p []byte) ([]byte, error) {
	s.drop()
	s.write(p)
	if _, err := s.w.Write(p); err != nil {
		return nil, err
	}
	return s.take(), nil
}

func (s *encryptStream) finish() ([]byte, error) {
	s.drop()
	if err := s.w.Close(); err != nil {
		return nil, err
	}
	return s.take(), nil
}

// errStarved is what feed.Read returns when it has no data and more may
// come. decryptStream only reads when the data it needs is buffered, so age
// never sees it; if it did, age would keep it as a sticky error.
var errStarved = errors.New("bridge: internal error: decryption read past the pushed ciphertext")

// feed is the ciphertext pushed so far and not yet read: an io.Reader that
// distinguishes "no more yet" (errStarved) from the end (io.EOF, after close).
type feed struct {
	buf     []byte
	off     int
	closed  bool
	starved bool
}

func (f *feed) write(p []byte) {
	// Move the unread tail to the front, so the buffer never holds more than
	// one age chunk plus one push.
	if f.off > 0 {
		f.buf = f.buf[:copy(f.buf, f.buf[f.off:])]
		f.off = 0
	}
	if need := len(f.buf) + len(p); need > cap(f.buf) {
		// Grow by doubling, but never past the most it needs to hold, which
		// append's growth would overshoot.
		nb := make([]byte, len(f.buf), max(need, min(2*cap(f.buf), encChunk+1+MaxPush)))
		copy(nb, f.buf)
		f.buf = nb
	}
	f.buf = append(f.buf, p...)
}

func (f *feed) buffered() int { return len(f.buf) - f.off }

func (f *feed) Read(p []byte) (int, error) {
	if f.off == len(f.buf) {
		if f.closed {
			return 0, io.EOF
		}
		f.starved = true
		return 0, errStarved
	}
	n := copy(p, f.buf[f.off:])
	f.off += n
	return n, nil
}

// errHeaderTooLong is the cause of the CodeMalformed error for a header
// that does not end within headerWindow bytes.
var errHeaderTooLong = errors.New("bridge: document header too long")

const (
	// encChunk is one age STREAM chunk of ciphertext: 64 KiB and a tag.
	encChunk = 64<<10 + 16
	// headerWindow is how much ciphertext must be buffered before the header
	// is parsed (unless the stream is finished first). A Vellum document
	// header and nonce are 184 bytes; a header that does not fit in 64 KiB
	// is not one, and is refused as malformed.
	headerWindow = 64 << 10
)

// decryptStream reads a document file (document.Decrypt) from pushed
// chunks. age's reader pulls; pushes are adapted by reading only while
// enough ciphertext is buffered that no read can run dry: the whole header,
// then a full chunk and one byte more (age reads one byte past a full-size
// chunk to learn whether it is the last).
type decryptStream struct {
	key *keys.Identity
	in  feed
	r   io.Reader // nil until the header is read
	out []byte
	digester
}

func newDecryptStream(key *keys.Identity, hashing bool) *decryptStream {
	return &decryptStream{key: key, digester: newDigester(hashing)}
}

func (s *decryptStream) push(p []byte) ([]byte, error) {
	s.in.write(p)
	return s.drain()
}

func (s *decryptStream) finish() ([]byte, error) {
	s.in.closed = true
	return s.drain()
}

func (s *decryptStream) drain() ([]byte, error) {
	s.out = s.out[:0]
	if s.r == nil {
		if !s.in.closed && s.in.buffered() < headerWindow {
			return s.out, nil
		}
		r, err := document.Decrypt(&s.in, s.key)
		if s.in.starved {
			return nil, &Error{Code: CodeMalformed, Msg: fmt.Sprintf("document: header longer than %d bytes: not a Vellum document file", headerWindow), Err: errHeaderTooLong}
		}
		if err != nil {
			return nil, err
		}
		s.r = r
	}
	for s.in.closed || s.in.buffered() > encChunk {
		s.out = grow(s.out, 64<<10)
		n, err := s.r.Read(s.out[len(s.out):cap(s.out)])
		s.write(s.out[len(s.out) : len(s.out)+n])
		s.out = s.out[:len(s.out)+n]
		if s.in.starved {
			return nil, errorf(CodeInternal, "%v", errStarved)
		}
		if err == io.EOF {
			if !s.in.closed {
				// age found the last chunk with more data buffered after it,
				// which it reports as trailing data; io.EOF here cannot happen.
				return nil, errorf(CodeInternal, "bridge: internal error: plaintext ended before the ciphertext")
			}
			return s.out, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return s.out, nil
}

// grow returns b with room for at least n more bytes.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(2*cap(b), len(b)+n))
	copy(nb, b)
	return nb
}

// hashStream only hashes.
type hashStream struct{ digester }

func (s hashStream) push(p []byte) ([]byte, error) { s.write(p); return nil, nil }
func (s hashStream) finish() ([]byte, error)       { return nil, nil }

// digestOf returns the digest of a stream's plaintext, or nil.
func digestOf(s stream) []byte {
	switch s := s.(type) {
	case *encryptStream:
		return s.sum()
	case *decryptStream:
		return s.sum()
	case hashStream:
		return s.sum()
	}
	return nil
}
