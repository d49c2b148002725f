// Package document encrypts Vellum documents and their metadata.
//
// A folder key and a document key are each a [keys.Identity] (an age X25519
// identity). A document's content is an age file to its document key's
// recipient, written and read as a stream with constant memory, or read at
// random offsets through age's seekable reader. Its metadata (name, MIME
// type, size, creation time) is a second, small age file to the same
// recipient holding deterministic CBOR; a folder's name is one to the folder
// key. A document key reaches its folder as keys.WrapIdentity to the folder
// key's recipient, so adding a member to a folder is one grant however many
// documents it holds.
//
// Every file this package writes is a plain age v1 file that the stock age
// tool opens given the identity (age -d -i key.txt).
package document

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
)

// Errors. Each failure has its own sentinel so callers (and the UI) can tell
// a wrong key from a cut download from tampering; they are matched with
// errors.Is and are wrapped with age's description, which never holds secrets.
var (
	// ErrWrongKey means the identity given is not the one the file was
	// encrypted to (or the recipient stanza was altered: age cannot tell
	// those apart). It is keys.ErrWrongKey.
	ErrWrongKey = keys.ErrWrongKey
	// ErrTruncated means the ciphertext ended before its final chunk: the
	// stream stopped at a chunk boundary or inside the header, or a ReaderAt
	// returned fewer bytes than the size it was given. A stream cut inside a
	// chunk is indistinguishable from an altered final chunk and is reported
	// as ErrCorrupted; CheckSize against the metadata's size tells them apart.
	ErrTruncated = errors.New("document: ciphertext is truncated")
	// ErrCorrupted means a chunk or the header failed authentication after
	// the right key was found: chunks were altered, reordered, dropped from
	// the middle, or data was appended.
	ErrCorrupted = errors.New("document: ciphertext is corrupted or was altered")
	// ErrMalformed means the input is not a Vellum document file or metadata
	// record at all (not age, not exactly one X25519 stanza, bad CBOR, a
	// field out of range). It is keys.ErrMalformed.
	ErrMalformed = keys.ErrMalformed
	// ErrTooLarge means the input is over its limit in protocol. It is
	// keys.ErrTooLarge.
	ErrTooLarge = keys.ErrTooLarge
	// ErrRange means a requested plaintext range lies outside the document.
	ErrRange = errors.New("document: range outside the plaintext")
	// ErrVersion means a metadata record has a version this code does not know.
	ErrVersion = errors.New("document: unsupported metadata version")
)

// NewKey returns a fresh document or folder key.
func NewKey() *keys.Identity { return keys.NewIdentity() }

// WrapKey wraps a document key to its folder key's recipient (or a folder key
// to a parent's). It is keys.WrapIdentity: a small age file holding the
// identity's AGE-SECRET-KEY-1 line.
func WrapKey(key *keys.Identity, to keys.Recipient) ([]byte, error) {
	return keys.WrapIdentity(key, to)
}

// UnwrapKey opens a key wrapped by WrapKey with the folder key. It returns
// ErrTooLarge, ErrMalformed or ErrWrongKey.
func UnwrapKey(wrapped []byte, folder *keys.Identity) (*keys.Identity, error) {
	return keys.UnwrapIdentity(wrapped, folder.Age())
}

// Encrypt returns a writer that encrypts what is written to it as an age file
// to the document recipient and writes the file to dst. The caller MUST call
// Close to write the final chunk; a file without it is refused as truncated.
// Memory use is one 64 KiB chunk whatever the size of the document.
func Encrypt(dst io.Writer, to keys.Recipient) (io.WriteCloser, error) {
	if to.IsZero() {
		return nil, errors.New("document: encrypting to the zero Recipient")
	}
	w, err := age.Encrypt(dst, to.Age())
	if err != nil {
		return nil, fmt.Errorf("document: encrypting: %w", err)
	}
	return w, nil
}

// Decrypt reads a document file from src and returns a reader of its
// plaintext. The header is read and the key checked before Decrypt returns
// (ErrWrongKey, ErrMalformed, ErrTruncated, ErrCorrupted); failures of the
// payload are returned by Read, as ErrTruncated or ErrCorrupted, before any
// unauthenticated byte is released. Errors of src itself are returned
// wrapped, not classified. Memory use is constant.
func Decrypt(src io.Reader, doc *keys.Identity) (io.Reader, error) {
	rec := &recordingReader{r: src}
	r, err := age.Decrypt(rec, strictIdentity{doc.Age()})
	if err != nil {
		return nil, classify(err, rec.err)
	}
	return &plainReader{r: r, src: &rec.err}, nil
}

// DecryptRange returns a reader of the n plaintext bytes at offset off of the
// document file held by src, which is size bytes long. Only the chunks that
// hold the range are read and authenticated (plus the final chunk, once,
// which authenticates the plaintext size), so a viewer can page through a
// large file without downloading it. It returns ErrRange if the range is not
// inside the plaintext, and otherwise the errors of Decrypt.
func DecryptRange(src io.ReaderAt, size int64, doc *keys.Identity, off, n int64) (io.Reader, error) {
	rec := &recordingReaderAt{r: src}
	ra, plainSize, err := age.DecryptReaderAt(rec, size, strictIdentity{doc.Age()})
	if err != nil {
		return nil, classify(err, rec.err())
	}
	if off < 0 || n < 0 || off > plainSize || n > plainSize-off {
		return nil, fmt.Errorf("document: range [%d, %d+%d) of a %d-byte plaintext: %w", off, off, n, plainSize, ErrRange)
	}
	return &plainReader{r: io.NewSectionReader(ra, off, n), srcAt: rec}, nil
}

// strictIdentity opens only files with exactly one X25519 recipient stanza:
// the one shape Vellum writes. Refusing others keeps the header a fixed
// length (so EncryptedSize is exact) and turns files made for someone else's
// purpose into ErrMalformed rather than a puzzling wrong-key error.
type strictIdentity struct{ id age.Identity }

var errStanzas = errors.New("not exactly one X25519 recipient stanza")

func (s strictIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "X25519" {
		// Not wrapping age.ErrIncorrectIdentity makes age return it as is.
		return nil, errStanzas
	}
	return s.id.Unwrap(stanzas)
}

// classify maps an error from age onto this package's sentinels. srcErr is
// the first error the underlying reader returned, if any: when age is only
// passing it on, it is an I/O failure and not a property of the ciphertext.
func classify(err, srcErr error) error {
	if srcErr != nil && errors.Is(err, srcErr) {
		return fmt.Errorf("document: reading ciphertext: %w", err)
	}
	var noMatch *age.NoIdentityMatchError
	msg := err.Error()
	switch {
	case errors.As(err, &noMatch):
		return fmt.Errorf("document: %w (%v)", ErrWrongKey, err)
	case errors.Is(err, errStanzas):
		return fmt.Errorf("document: %v: %w", err, ErrMalformed)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		strings.Contains(msg, "unexpected EOF"), strings.Contains(msg, "file is empty"):
		return fmt.Errorf("%w (%v)", ErrTruncated, err)
	case strings.Contains(msg, "failed to decrypt and authenticate"),
		strings.Contains(msg, "bad header MAC"),
		strings.Contains(msg, "trailing data"),
		strings.Contains(msg, "last chunk is empty"),
		strings.Contains(msg, "invalid encrypted payload size"):
		return fmt.Errorf("%w (%v)", ErrCorrupted, err)
	}
	// age's parse errors can quote the input: do not pass them on.
	return fmt.Errorf("document: not a valid age file: %w", ErrMalformed)
}

// recordingReader remembers the first non-EOF error of the reader it wraps.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// recordingReaderAt remembers the first error of the ReaderAt it wraps other
// than io.EOF (which ReadAt may return with a full read at the end).
type recordingReaderAt struct {
	r     io.ReaderAt
	first error
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF && r.first == nil {
		r.first = err
	}
	return n, err
}

func (r *recordingReaderAt) err() error { return r.first }

// plainReader classifies the errors of a plaintext reader.
type plainReader struct {
	r     io.Reader
	src   *error
	srcAt *recordingReaderAt
}

func (p *plainReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF {
		var srcErr error
		if p.src != nil {
			srcErr = *p.src
		} else if p.srcAt != nil {
			srcErr = p.srcAt.err()
		}
		err = classify(err, srcErr)
	}
	return n, err
}
