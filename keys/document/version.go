package document

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// A version statement is the uploader's signature over one stored version
// of a document: which tenant, document and version, the SHA-256 and size
// of its ciphertext exactly as stored, who uploaded it, with which key,
// when. The server cannot make one, so it cannot slip a document of its
// own making into a folder (it knows the folder's recipient, which is all
// an age file needs) nor serve other bytes under a real version: readers
// check the statement against the uploader's key in the signed membership
// chain, and the ciphertext they download against its hash.

// VersionStatementVersion is the version statement format this package
// writes and reads.
const VersionStatementVersion = 1

// Errors of version statements. Each failure wraps exactly one.
var (
	// ErrStatementMalformed: not a canonical version statement, or a field
	// out of range. It wraps keys.ErrMalformed.
	ErrStatementMalformed = fmt.Errorf("document: version statement: %w", keys.ErrMalformed)
	// ErrStatementTooLarge: over protocol.MaxVersionStatement. It wraps
	// keys.ErrTooLarge.
	ErrStatementTooLarge = fmt.Errorf("document: version statement: %w", keys.ErrTooLarge)
	// ErrStatementUnsupported: a statement version this code does not know.
	ErrStatementUnsupported = errors.New("document: unsupported version statement")
	// ErrStatementSignature: the signature does not verify under the key
	// the statement names. It wraps keys.ErrBadSignature.
	ErrStatementSignature = fmt.Errorf("document: version statement: %w", keys.ErrBadSignature)
	// ErrStatementMismatch: a valid statement of another tenant, document,
	// version, size, hash or uploader than the one it is checked for.
	ErrStatementMismatch = errors.New("document: the version statement is for other bytes or another version")
)

// VersionFacts are what a version statement binds.
type VersionFacts struct {
	// TenantID, DocumentID and UploaderID are ids (protocol.ValidID).
	TenantID   string
	DocumentID string
	Version    uint32
	// CipherSize and CipherSHA256 are the stored ciphertext's size and
	// SHA-256.
	CipherSize   int64
	CipherSHA256 [32]byte
	UploaderID   string
	// Time is when the upload was committed, to the second.
	Time time.Time
}

// VersionStatement is a parsed version statement. Nothing in it is
// trustworthy before Verify.
type VersionStatement struct {
	VersionFacts
	// Key is the key the statement is signed with: the uploader's, if the
	// membership chain says so (the caller checks).
	Key keys.VerifyKey

	body, signature, signed []byte
}

// Wire layout: {1: body (bstr), 2: signature (bstr)}, the signature being
// Ed25519 over protocol.LabelDocumentVersion ‖ 0x0A ‖ body. Integer keys:
// do not renumber.
type wireVersionSigned struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

type wireVersion struct {
	Version    uint64 `cbor:"1,keyasint"`
	Tenant     string `cbor:"2,keyasint"`
	Document   string `cbor:"3,keyasint"`
	DocVersion uint64 `cbor:"4,keyasint"`
	Size       uint64 `cbor:"5,keyasint"`
	SHA256     []byte `cbor:"6,keyasint"`
	Uploader   string `cbor:"7,keyasint"`
	Key        []byte `cbor:"8,keyasint"`
	Time       uint64 `cbor:"9,keyasint"`
}

// maxStatementTime bounds times so that each converts to time.Time and back.
const maxStatementTime = 1 << 40

// SignVersion signs f with the uploader's key.
func SignVersion(uploader *keys.SigningKey, f VersionFacts) (*VersionStatement, error) {
	vk := uploader.Public()
	w := toWireVersion(f, vk)
	// Checked with the parser's rules: nothing written is refused on read.
	if _, err := fromWireVersion(w); err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	signed, err := protocol.MarshalCBOR(&wireVersionSigned{Body: body, Signature: uploader.Sign(protocol.LabelDocumentVersion, body)})
	if err != nil {
		return nil, err
	}
	return ParseVersionStatement(signed)
}

func toWireVersion(f VersionFacts, vk keys.VerifyKey) *wireVersion {
	w := &wireVersion{
		Version: VersionStatementVersion, Tenant: f.TenantID, Document: f.DocumentID, DocVersion: uint64(f.Version),
		SHA256: bytes.Clone(f.CipherSHA256[:]), Uploader: f.UploaderID, Key: bytes.Clone(vk[:]),
	}
	if f.CipherSize > 0 {
		w.Size = uint64(f.CipherSize)
	}
	if t := f.Time.Unix(); t > 0 {
		w.Time = uint64(t)
	}
	return w
}

// ParseVersionStatement parses a signed version statement strictly: at
// most protocol.MaxVersionStatement bytes, canonical CBOR, every field
// present and in range. It does not check the signature: Verify does.
func ParseVersionStatement(signed []byte) (*VersionStatement, error) {
	if len(signed) > protocol.MaxVersionStatement {
		return nil, fmt.Errorf("%w: %d bytes", ErrStatementTooLarge, len(signed))
	}
	var ws wireVersionSigned
	if err := protocol.UnmarshalCBOR(signed, &ws); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatementMalformed, err)
	}
	if len(ws.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrStatementMalformed, len(ws.Signature))
	}
	var w wireVersion
	if err := protocol.UnmarshalCBOR(ws.Body, &w); err != nil {
		var peek struct {
			Version uint64 `cbor:"1,keyasint"`
		}
		if cbor.Unmarshal(ws.Body, &peek) == nil && peek.Version != VersionStatementVersion {
			return nil, fmt.Errorf("%w: version %d", ErrStatementUnsupported, peek.Version)
		}
		return nil, fmt.Errorf("%w: %v", ErrStatementMalformed, err)
	}
	s, err := fromWireVersion(&w)
	if err != nil {
		return nil, err
	}
	s.body, s.signature, s.signed = ws.Body, ws.Signature, bytes.Clone(signed)
	return s, nil
}

func fromWireVersion(w *wireVersion) (*VersionStatement, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrStatementMalformed, what) }
	if w.Version != VersionStatementVersion {
		return nil, fmt.Errorf("%w: version %d", ErrStatementUnsupported, w.Version)
	}
	if !protocol.ValidID(w.Tenant) || !protocol.ValidID(w.Document) || !protocol.ValidID(w.Uploader) {
		return nil, bad("id")
	}
	if w.DocVersion < 1 || w.DocVersion > 1<<32-1 {
		return nil, bad("document version")
	}
	if w.Size < 1 || w.Size > protocol.MaxUploadSize {
		return nil, bad("size")
	}
	if len(w.SHA256) != 32 {
		return nil, bad("hash")
	}
	vk, err := keys.VerifyKeyFromBytes(w.Key)
	if err != nil {
		return nil, bad(err.Error())
	}
	if w.Time == 0 || w.Time > maxStatementTime {
		return nil, bad("time")
	}
	s := &VersionStatement{Key: vk, VersionFacts: VersionFacts{
		TenantID: w.Tenant, DocumentID: w.Document, Version: uint32(w.DocVersion),
		CipherSize: int64(w.Size), UploaderID: w.Uploader, Time: time.Unix(int64(w.Time), 0).UTC(),
	}}
	copy(s.CipherSHA256[:], w.SHA256)
	return s, nil
}

// Bytes returns a copy of the signed statement: what is stored and sent.
func (s *VersionStatement) Bytes() []byte { return bytes.Clone(s.signed) }

// Marshal encodes the statement again from its fields and signature; for a
// parsed statement it is Bytes exactly, since only canonical input parses.
func (s *VersionStatement) Marshal() ([]byte, error) {
	w := toWireVersion(s.VersionFacts, s.Key)
	if _, err := fromWireVersion(w); err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(&wireVersionSigned{Body: body, Signature: s.signature})
}

// Check verifies the statement's signature under the key it names and
// that it is the statement of this version: tenant, document, version
// number, ciphertext size and uploader. Whether s.Key is the uploader's is
// the membership chain's to say: the caller checks it. The ciphertext's
// hash is checked by CheckContent once it has been read.
func (s *VersionStatement) Check(tenantID, documentID string, version uint32, cipherSize int64, uploaderID string) error {
	if err := s.Key.Verify(protocol.LabelDocumentVersion, s.body, s.signature); err != nil {
		return fmt.Errorf("%w: uploader %s", ErrStatementSignature, s.UploaderID)
	}
	f := &s.VersionFacts
	if f.TenantID != tenantID || f.DocumentID != documentID || f.Version != version || f.CipherSize != cipherSize || f.UploaderID != uploaderID {
		return ErrStatementMismatch
	}
	return nil
}

// CheckContent reports whether sum, the SHA-256 of the ciphertext as read,
// is the one the statement signs (ErrStatementMismatch if not).
func (s *VersionStatement) CheckContent(sum [32]byte) error {
	if sum != s.CipherSHA256 {
		return fmt.Errorf("%w: the ciphertext's SHA-256 differs", ErrStatementMismatch)
	}
	return nil
}
