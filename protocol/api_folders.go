package protocol

import "time"

// Folders and documents. Names and metadata are age files the server cannot
// read; folder and document ids are made by the client (16 random bytes,
// unpadded base64url), because grants, signed before the server sees them,
// name them. A taken id is CodeConflict.

// ObjectKind is what a grant or an access request is about. Wire enum:
// append only.
type ObjectKind string

const (
	ObjectFolder   ObjectKind = "folder"
	ObjectDocument ObjectKind = "document"
)

func needObject(kind ObjectKind, id string) error {
	if kind != ObjectFolder && kind != ObjectDocument {
		return Errorf(CodeBadRequest, "objectKind must be folder or document")
	}
	return needID("objectId", id)
}

// CreateFolderRequest creates a folder under ParentID (the tenant's root
// when empty). Recipient is the recipient of the folder key's version 1;
// Grants wrap that key to at least the creator.
type CreateFolderRequest struct {
	FolderID  string        `json:"folderId"`
	ParentID  string        `json:"parentId,omitempty"`
	Name      []byte        `json:"name"`
	Recipient string        `json:"recipient"`
	Grants    []GrantUpload `json:"grants"`
}

func (r *CreateFolderRequest) Validate() error {
	return first(needID("folderId", r.FolderID), optID("parentId", r.ParentID), needBytes("name", r.Name, MaxEncryptedName),
		needRecipient("recipient", r.Recipient), validGrants(r.Grants))
}

// Folder is a folder's server-side record.
type Folder struct {
	FolderID   string `json:"folderId"`
	ParentID   string `json:"parentId,omitempty"`
	Name       []byte `json:"name"`
	KeyVersion uint32 `json:"keyVersion"`
	// Recipient is the recipient of the current folder key version.
	Recipient string    `json:"recipient"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type FolderList struct {
	Folders    []Folder `json:"folders"`
	NextCursor string   `json:"nextCursor,omitempty"`
}

// RenameFolderRequest replaces the encrypted name.
type RenameFolderRequest struct {
	Name []byte `json:"name"`
}

func (r *RenameFolderRequest) Validate() error { return needBytes("name", r.Name, MaxEncryptedName) }

// MoveFolderRequest moves the folder under ParentID (the root when empty).
// A move into the folder itself or one of its descendants is CodeConflict.
type MoveFolderRequest struct {
	ParentID string `json:"parentId,omitempty"`
}

func (r *MoveFolderRequest) Validate() error { return optID("parentId", r.ParentID) }

// CreateUploadRequest opens an upload session for a new document
// (DocumentID made by the client) or, with NewVersion, for a new version of
// the existing document DocumentID. Size is the
// total ciphertext size. Metadata is the encrypted metadata (name, type,
// plaintext size) as an age file to the document key; KeyWrap is the
// document key wrapped to version FolderKeyVersion of the folder key, which
// MUST be the folder's current version.
type CreateUploadRequest struct {
	DocumentID       string `json:"documentId"`
	FolderID         string `json:"folderId"`
	NewVersion       bool   `json:"newVersion,omitempty"`
	Size             int64  `json:"size"`
	Metadata         []byte `json:"metadata"`
	KeyWrap          []byte `json:"keyWrap"`
	FolderKeyVersion uint32 `json:"folderKeyVersion"`
}

func (r *CreateUploadRequest) Validate() error {
	return first(needID("documentId", r.DocumentID), needID("folderId", r.FolderID), needRange("size", r.Size, 1, MaxUploadSize),
		needBytes("metadata", r.Metadata, MaxMetadata), needBytes("keyWrap", r.KeyWrap, MaxWrappedKey),
		needRange("folderKeyVersion", int64(r.FolderKeyVersion), 1, 1<<32-1))
}

// Upload is an upload session. The client sends the ciphertext in order,
// PUT .../uploads/{uploadId}?offset=N with N = Received and a binary body of
// at most ChunkSize bytes; a chunk at any other offset is CodeConflict and
// changes nothing, so a client that lost a reply asks GET for Received and
// resumes. Nothing is visible until the commit.
type Upload struct {
	UploadID   string    `json:"uploadId"`
	DocumentID string    `json:"documentId"`
	Version    uint32    `json:"version"`
	Size       int64     `json:"size"`
	Received   int64     `json:"received"`
	ChunkSize  int       `json:"chunkSize"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// CommitUploadRequest makes the upload visible. SHA256 is SHA-256 of the
// whole ciphertext, a transport check (never of the plaintext, whose hash is
// the seal's D and stays with the client). Statement is the uploader's
// signed version statement (keys/document, SPEC part 30 §Version
// statements) over this tenant, document, version, ciphertext size and
// SHA256: readers check the version against it.
type CommitUploadRequest struct {
	SHA256    []byte `json:"sha256"`
	Statement []byte `json:"statement"`
}

func (r *CommitUploadRequest) Validate() error {
	return first(needHash("sha256", r.SHA256), needBytes("statement", r.Statement, MaxVersionStatement))
}

// Document is a document's current version.
type Document struct {
	DocumentID string `json:"documentId"`
	FolderID   string `json:"folderId"`
	DocumentVersion
	UpdatedAt time.Time `json:"updatedAt"`
}

// DocumentVersion is one version of a document. Content downloads return
// the ciphertext bytes exactly as uploaded.
type DocumentVersion struct {
	Version          uint32    `json:"version"`
	Size             int64     `json:"size"`
	Metadata         []byte    `json:"metadata"`
	KeyWrap          []byte    `json:"keyWrap"`
	FolderKeyVersion uint32    `json:"folderKeyVersion"`
	Sealed           bool      `json:"sealed,omitempty"`
	CreatedBy        string    `json:"createdBy"`
	CreatedAt        time.Time `json:"createdAt"`
	// Statement is the uploader's signed version statement, as committed.
	Statement []byte `json:"statement"`
}

type DocumentList struct {
	Documents  []Document `json:"documents"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

type VersionList struct {
	Versions []DocumentVersion `json:"versions"`
}

// RenameDocumentRequest replaces the encrypted metadata of the document's
// current version: a rename, without a new version. The metadata holds the
// plaintext size, which clients check against the version's ciphertext
// size, so metadata made for one version does not fit another: Version
// MUST be the document's current version, else CodeConflict (a new
// version came in first; rename that one).
type RenameDocumentRequest struct {
	Version  uint32 `json:"version"`
	Metadata []byte `json:"metadata"`
}

func (r *RenameDocumentRequest) Validate() error {
	return first(needRange("version", int64(r.Version), 1, 1<<32-1), needBytes("metadata", r.Metadata, MaxMetadata))
}

// VersionKeyWrap is the key of one document version wrapped to a folder
// key.
type VersionKeyWrap struct {
	Version uint32 `json:"version"`
	KeyWrap []byte `json:"keyWrap"`
}

// MoveDocumentRequest moves a document to the folder FolderID of the same
// tenant. The client re-wraps the key of every version of the document to
// version FolderKeyVersion of the destination folder's key, which MUST be
// its current version (else CodeConflict); KeyWraps MUST hold exactly one
// wrap per version (else CodeConflict: a version came in meanwhile). The
// server checks the rights on both folders and the form of each wrap; it
// never makes one. A document of more than MaxBatch versions cannot move.
type MoveDocumentRequest struct {
	FolderID         string           `json:"folderId"`
	FolderKeyVersion uint32           `json:"folderKeyVersion"`
	KeyWraps         []VersionKeyWrap `json:"keyWraps"`
}

func (r *MoveDocumentRequest) Validate() error {
	if err := first(needID("folderId", r.FolderID), needRange("folderKeyVersion", int64(r.FolderKeyVersion), 1, 1<<32-1),
		needCount("keyWraps", len(r.KeyWraps), 1, MaxBatch)); err != nil {
		return err
	}
	seen := make(map[uint32]bool, len(r.KeyWraps))
	for _, w := range r.KeyWraps {
		if err := first(needRange("keyWraps.version", int64(w.Version), 1, 1<<32-1), needBytes("keyWraps.keyWrap", w.KeyWrap, MaxWrappedKey)); err != nil {
			return err
		}
		if seen[w.Version] {
			return Errorf(CodeBadRequest, "keyWraps lists a version twice")
		}
		seen[w.Version] = true
	}
	return nil
}
