package document

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// MetadataVersion is the version of the metadata records this package writes.
// A new field or a changed meaning gets a new version; readers refuse
// versions they do not know with ErrVersion.
const MetadataVersion = 1

// Metadata is what a document's encrypted metadata record says about it. The
// server never sees any of it.
type Metadata struct {
	// Name is the file name shown to people: 1 to protocol.MaxNameLength
	// bytes of UTF-8 without control characters.
	Name string
	// Type is the MIME type in canonical form (lower-case type and subtype,
	// parameters as mime.FormatMediaType writes them), at most
	// protocol.MaxMIMEType bytes.
	Type string
	// Size is the plaintext size in bytes. CheckSize compares it with the
	// size of the content file.
	Size int64
	// Created is when the document was made, to the second, in UTC. It MUST
	// NOT be before 1970.
	Created time.Time
}

// metadataWire is the CBOR form of Metadata. Keys are integers; do not
// renumber them.
type metadataWire struct {
	Version uint64 `cbor:"1,keyasint"`
	Name    string `cbor:"2,keyasint"`
	Type    string `cbor:"3,keyasint"`
	Size    uint64 `cbor:"4,keyasint"`
	Created int64  `cbor:"5,keyasint"` // seconds since the Unix epoch
}

// FolderMetadata is what a folder's encrypted metadata record says about it.
type FolderMetadata struct {
	// Name is the folder name, with the same rules as Metadata.Name.
	Name string
}

type folderMetadataWire struct {
	Version uint64 `cbor:"1,keyasint"`
	Name    string `cbor:"2,keyasint"`
}

// Marshal returns the record in deterministic CBOR after checking every
// field. Created is truncated to the second.
func (m *Metadata) Marshal() ([]byte, error) {
	if err := checkName(m.Name); err != nil {
		return nil, err
	}
	if err := checkMIMEType(m.Type); err != nil {
		return nil, err
	}
	if m.Size < 0 {
		return nil, fmt.Errorf("document: negative size: %w", ErrMalformed)
	}
	created := m.Created.Unix()
	if created < 0 {
		return nil, fmt.Errorf("document: creation time before 1970: %w", ErrMalformed)
	}
	return protocol.MarshalCBOR(&metadataWire{
		Version: MetadataVersion, Name: m.Name, Type: m.Type,
		Size: uint64(m.Size), Created: created,
	})
}

// ParseMetadata decodes a record made by Metadata.Marshal. It accepts only
// the canonical encoding, refuses unknown fields, and returns ErrTooLarge,
// ErrVersion or ErrMalformed.
func ParseMetadata(b []byte) (*Metadata, error) {
	var w metadataWire
	if err := decodeVersioned(b, &w); err != nil {
		return nil, err
	}
	if w.Version != MetadataVersion {
		return nil, fmt.Errorf("document: metadata version %d: %w", w.Version, ErrVersion)
	}
	if w.Size > math.MaxInt64 {
		return nil, fmt.Errorf("document: size out of range: %w", ErrMalformed)
	}
	if w.Created < 0 {
		return nil, fmt.Errorf("document: creation time before 1970: %w", ErrMalformed)
	}
	m := &Metadata{Name: w.Name, Type: w.Type, Size: int64(w.Size), Created: time.Unix(w.Created, 0).UTC()}
	if err := checkName(m.Name); err != nil {
		return nil, err
	}
	if err := checkMIMEType(m.Type); err != nil {
		return nil, err
	}
	return m, nil
}

// Marshal returns the folder record in deterministic CBOR.
func (m *FolderMetadata) Marshal() ([]byte, error) {
	if err := checkName(m.Name); err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(&folderMetadataWire{Version: MetadataVersion, Name: m.Name})
}

// ParseFolderMetadata decodes a record made by FolderMetadata.Marshal, as
// strictly as ParseMetadata.
func ParseFolderMetadata(b []byte) (*FolderMetadata, error) {
	var w folderMetadataWire
	if err := decodeVersioned(b, &w); err != nil {
		return nil, err
	}
	if w.Version != MetadataVersion {
		return nil, fmt.Errorf("document: folder metadata version %d: %w", w.Version, ErrVersion)
	}
	if err := checkName(w.Name); err != nil {
		return nil, err
	}
	return &FolderMetadata{Name: w.Name}, nil
}

// decodeVersioned decodes b strictly into v. If that fails, it looks at the
// version alone, so that a record from a newer client is reported as
// ErrVersion (update the app) and not as ErrMalformed (a bug or an attack).
func decodeVersioned(b []byte, v any) error {
	if len(b) > protocol.MaxMetadata {
		return fmt.Errorf("document: metadata of %d bytes: %w", len(b), ErrTooLarge)
	}
	err := protocol.UnmarshalCBOR(b, v)
	if err == nil {
		return nil
	}
	var peek struct {
		Version uint64 `cbor:"1,keyasint"`
	}
	if cbor.Unmarshal(b, &peek) == nil && peek.Version != MetadataVersion {
		return fmt.Errorf("document: metadata version %d: %w", peek.Version, ErrVersion)
	}
	if errors.Is(err, protocol.ErrTooLarge) {
		return fmt.Errorf("document: %v: %w", err, ErrTooLarge)
	}
	return fmt.Errorf("document: %v: %w", err, ErrMalformed)
}

func checkName(name string) error {
	if len(name) == 0 || len(name) > protocol.MaxNameLength {
		return fmt.Errorf("document: name of %d bytes, want 1 to %d: %w", len(name), protocol.MaxNameLength, ErrMalformed)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("document: name is not UTF-8: %w", ErrMalformed)
	}
	for _, r := range name {
		// Control characters in a name would let one file's name draw
		// over another's in a listing or a log line.
		if unicode.IsControl(r) {
			return fmt.Errorf("document: name holds a control character: %w", ErrMalformed)
		}
	}
	return nil
}

func checkMIMEType(t string) error {
	if len(t) == 0 || len(t) > protocol.MaxMIMEType {
		return fmt.Errorf("document: MIME type of %d bytes, want 1 to %d: %w", len(t), protocol.MaxMIMEType, ErrMalformed)
	}
	mt, params, err := mime.ParseMediaType(t)
	typ, sub, ok := strings.Cut(mt, "/")
	if err != nil || !ok || typ == "" || sub == "" || strings.Contains(sub, "/") {
		return fmt.Errorf("document: MIME type: %w", ErrMalformed)
	}
	if mime.FormatMediaType(mt, params) != t {
		return fmt.Errorf("document: MIME type not in canonical form: %w", ErrMalformed)
	}
	return nil
}

// SealMetadata encrypts the document's metadata record as an age file to the
// document key's recipient.
func SealMetadata(m *Metadata, to keys.Recipient) ([]byte, error) {
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return sealRecord(b, to)
}

// OpenMetadata decrypts and parses a record made by SealMetadata. It returns
// ErrTooLarge, ErrWrongKey, ErrTruncated, ErrCorrupted, ErrMalformed or
// ErrVersion.
func OpenMetadata(sealed []byte, doc *keys.Identity) (*Metadata, error) {
	b, err := openRecord(sealed, doc)
	if err != nil {
		return nil, err
	}
	return ParseMetadata(b)
}

// SealFolderMetadata encrypts a folder's metadata record as an age file to
// the folder key's recipient.
func SealFolderMetadata(m *FolderMetadata, to keys.Recipient) ([]byte, error) {
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return sealRecord(b, to)
}

// OpenFolderMetadata decrypts and parses a record made by SealFolderMetadata,
// with the errors of OpenMetadata. The sealed record is at most
// protocol.MaxEncryptedName bytes.
func OpenFolderMetadata(sealed []byte, folder *keys.Identity) (*FolderMetadata, error) {
	if len(sealed) > protocol.MaxEncryptedName {
		return nil, fmt.Errorf("document: sealed folder metadata of %d bytes: %w", len(sealed), ErrTooLarge)
	}
	b, err := openRecord(sealed, folder)
	if err != nil {
		return nil, err
	}
	return ParseFolderMetadata(b)
}

func sealRecord(b []byte, to keys.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := Encrypt(&buf, to)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("document: sealing metadata: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("document: sealing metadata: %w", err)
	}
	if buf.Len() > protocol.MaxMetadata {
		return nil, fmt.Errorf("document: sealed metadata of %d bytes: %w", buf.Len(), ErrTooLarge)
	}
	return buf.Bytes(), nil
}

func openRecord(sealed []byte, id *keys.Identity) ([]byte, error) {
	if len(sealed) > protocol.MaxMetadata {
		return nil, fmt.Errorf("document: sealed metadata of %d bytes: %w", len(sealed), ErrTooLarge)
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), strictIdentity{id.Age()})
	if err != nil {
		return nil, classify(err, nil)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, classify(err, nil)
	}
	return b, nil
}
