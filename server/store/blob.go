package store

import (
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// BlobReader streams the ciphertext of one document version out of its
// chunks. It is an io.Reader, io.ReaderAt, io.Seeker and io.WriterTo; it
// holds at most one chunk in memory and no Pebble resources between calls,
// so a slow download pins nothing. Read, Seek and WriteTo MUST NOT be called
// concurrently; ReadAt may be. The caller MUST call Close.
type BlobReader struct {
	s      *Store
	blob   ID
	size   int64
	off    int64  // next byte Read returns
	buf    []byte // rest of the current chunk, starting at off
	closed bool
}

// OpenVersion returns a reader of the ciphertext of version n of a document.
func (s *Store) OpenVersion(doc ID, n uint64) (*BlobReader, error) {
	v, err := s.Version(doc, n)
	if err != nil {
		return nil, err
	}
	return s.OpenBlob(v.Blob, v.Size), nil
}

// OpenBlob returns a reader of the blob of a committed version (Version.Blob
// and Version.Size).
func (s *Store) OpenBlob(blob ID, size uint64) *BlobReader {
	return &BlobReader{s: s, blob: blob, size: int64(size)}
}

// Size is the blob's length in bytes.
func (r *BlobReader) Size() int64 { return r.size }

// Close releases the reader. It never fails.
func (r *BlobReader) Close() error {
	r.closed, r.buf = true, nil
	return nil
}

// chunkAt returns the chunk holding byte off and the offset it starts at.
func (r *BlobReader) chunkAt(off int64) (int64, []byte, error) {
	if err := r.s.enter(); err != nil {
		return 0, nil, err
	}
	defer r.s.leave()
	// A sequential read asks for the offset a chunk starts at: one Get.
	if v, err := getFrom(r.s.db, chunkKey(r.blob, uint64(off))); err == nil {
		return off, v, nil
	} else if !errors.Is(err, ErrNotFound) {
		return 0, nil, err
	}
	p := key(pChunk, r.blob[:])
	it, err := r.s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, nil, fmt.Errorf("store: %w", err)
	}
	defer it.Close()
	if !it.SeekLT(chunkKey(r.blob, uint64(off)+1)) {
		if err := it.Error(); err != nil {
			return 0, nil, fmt.Errorf("store: %w", err)
		}
		return 0, nil, fmt.Errorf("store: blob %s has no chunk at %d: %w", r.blob, off, ErrCorrupt)
	}
	start := int64(seqOf(it.Key()))
	v, err := it.ValueAndErr()
	if err != nil {
		return 0, nil, fmt.Errorf("store: %w", err)
	}
	if start+int64(len(v)) <= off {
		return 0, nil, fmt.Errorf("store: blob %s has a gap at %d: %w", r.blob, off, ErrCorrupt)
	}
	return start, append([]byte(nil), v...), nil
}

// Read implements io.Reader.
func (r *BlobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(r.buf) == 0 {
		start, c, err := r.chunkAt(r.off)
		if err != nil {
			return 0, err
		}
		r.buf = c[r.off-start:]
		if rest := r.size - r.off; int64(len(r.buf)) > rest {
			r.buf = r.buf[:rest]
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.off += int64(n)
	return n, nil
}

// ReadAt implements io.ReaderAt.
func (r *BlobReader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, ErrClosed
	}
	if off < 0 {
		return 0, fmt.Errorf("store: negative offset: %w", ErrInvalid)
	}
	n := 0
	for n < len(p) {
		if off >= r.size {
			return n, io.EOF
		}
		start, c, err := r.chunkAt(off)
		if err != nil {
			return n, err
		}
		c = c[off-start:]
		if rest := r.size - off; int64(len(c)) > rest {
			c = c[:rest]
		}
		m := copy(p[n:], c)
		n += m
		off += int64(m)
	}
	return n, nil
}

// Seek implements io.Seeker.
func (r *BlobReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("store: bad whence %d: %w", whence, ErrInvalid)
	}
	if abs < 0 {
		return 0, fmt.Errorf("store: seek to %d: %w", abs, ErrInvalid)
	}
	r.off, r.buf = abs, nil
	return abs, nil
}

// WriteTo implements io.WriterTo: io.Copy to a response body writes each
// chunk once, with no extra buffer.
func (r *BlobReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.closed {
			return total, ErrClosed
		}
		if r.off >= r.size {
			return total, nil
		}
		if len(r.buf) == 0 {
			start, c, err := r.chunkAt(r.off)
			if err != nil {
				return total, err
			}
			r.buf = c[r.off-start:]
			if rest := r.size - r.off; int64(len(r.buf)) > rest {
				r.buf = r.buf[:rest]
			}
		}
		n, err := w.Write(r.buf)
		total += int64(n)
		r.off += int64(n)
		r.buf = r.buf[n:]
		if err != nil {
			return total, err
		}
	}
}
