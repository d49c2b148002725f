package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Document is one version of a document with its metadata decrypted, if
// this account holds its key.
type Document struct {
	ID       string
	FolderID string
	Version  uint32
	// Name, Type, Size (of the plaintext) and Created come from the
	// encrypted metadata; they are zero when Err is set.
	Name    string
	Type    string
	Size    int64
	Created time.Time
	// Err says why the metadata could not be read (ErrNoAccess, or a
	// failed check).
	Err error
	// CipherSize is the stored ciphertext's size, which the server knows.
	CipherSize int64
	Sealed     bool
	CreatedBy  string
	UpdatedAt  time.Time
}

// documentKey finds a document version's key: its wrap to a folder key
// version this account holds, or else a direct grant of the document to
// this account.
func (c *Client) documentKey(ctx context.Context, tenantID, docID string, fk *folderKeys, v *protocol.DocumentVersion) (*keys.Identity, error) {
	if fk != nil {
		if k := fk.keys[uint64(v.FolderKeyVersion)]; k != nil {
			dk, err := document.UnwrapKey(v.KeyWrap, k)
			if err != nil {
				return nil, fmt.Errorf("client: document %s: %w", docID, err)
			}
			return dk, nil
		}
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	dk := t.docKeys[docID]
	t.mu.Unlock()
	if dk != nil {
		return dk, nil
	}
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	grants, err := c.listGrants(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	err = c.withState(ctx, tenantID, func(st *membership.State, t *tenantState) error {
		for _, pg := range grants {
			if pg.GranteeID != s.accountID {
				continue
			}
			g, id, err := openGrant(st, s, pg.Grant)
			if err != nil || g.Kind != grant.KindDocument || g.ObjectID != docID {
				continue
			}
			dk = id
			t.docKeys[docID] = id
			return nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if dk == nil {
		return nil, fmt.Errorf("client: document %s: %w", docID, ErrNoAccess)
	}
	return dk, nil
}

// folderKeysOf returns the checked keys of a document's folder, or nil if
// the folder cannot be read (a direct document grant may still open it).
func (c *Client) folderKeysOf(ctx context.Context, tenantID, folderID string) (*folderKeys, error) {
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		if protocol.CodeOf(err) == protocol.CodeNotFound || protocol.CodeOf(err) == protocol.CodeForbidden {
			return nil, nil
		}
		return nil, err
	}
	return c.folderKeysFor(ctx, tenantID, f, nil)
}

func (c *Client) documentOf(ctx context.Context, tenantID, docID, folderID string, fk *folderKeys, v *protocol.DocumentVersion, updated time.Time) Document {
	d := Document{
		ID: docID, FolderID: folderID, Version: v.Version, CipherSize: v.Size,
		Sealed: v.Sealed, CreatedBy: v.CreatedBy, UpdatedAt: updated,
	}
	if _, err := c.checkVersion(ctx, tenantID, docID, v); err != nil {
		d.Err = err
		return d
	}
	dk, err := c.documentKey(ctx, tenantID, docID, fk, v)
	if err != nil {
		d.Err = err
		return d
	}
	m, err := openMetadata(v, dk)
	if err != nil {
		d.Err = err
		return d
	}
	d.Name, d.Type, d.Size, d.Created = m.Name, m.Type, m.Size, m.Created
	return d
}

// openedVersion is a document version this account can read: checked
// against its uploader's statement, its key found, its metadata opened.
type openedVersion struct {
	doc       *protocol.Document
	version   *protocol.DocumentVersion
	statement *document.VersionStatement
	key       *keys.Identity
	meta      *document.Metadata
}

// openVersion finds a document version (0: the current one), checks its
// statement (checkVersion), finds its key (through the folder's checked keys
// or a direct grant) and opens and checks its metadata: what a download, an
// envelope's sender and a member signer need before reading it.
func (c *Client) openVersion(ctx context.Context, tenantID, docID string, version uint32) (*openedVersion, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	v := &d.DocumentVersion
	if version != 0 && version != d.Version {
		var l protocol.VersionList
		if err := c.do(ctx, call(rDocumentVers, "tenantId", tenantID, "documentId", docID), &l); err != nil {
			return nil, err
		}
		v = nil
		for i := range l.Versions {
			if l.Versions[i].Version == version {
				v = &l.Versions[i]
			}
		}
		if v == nil {
			return nil, fmt.Errorf("client: document %s: %w", docID, protocol.Errorf(protocol.CodeNotFound, "no version %d", version))
		}
	}
	stmt, err := c.checkVersion(ctx, tenantID, docID, v)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	dk, err := c.documentKey(ctx, tenantID, docID, fk, v)
	if err != nil {
		return nil, err
	}
	m, err := openMetadata(v, dk)
	if err != nil {
		return nil, err
	}
	return &openedVersion{doc: d, version: v, statement: stmt, key: dk, meta: m}, nil
}

// checkVersion checks a version's statement (SPEC part 30 §Version
// statements): it parses, verifies, names this tenant, document, version,
// ciphertext size and uploader, and is signed with a key the checked
// membership chain gave the uploader, then or now (State.Vouched). The
// chain cached by the last look is used first; a key it does not know
// sends for the statements added since. It returns the statement, whose
// ciphertext hash a download checks. Failures are ErrVersionNotSigned.
func (c *Client) checkVersion(ctx context.Context, tenantID, docID string, v *protocol.DocumentVersion) (*document.VersionStatement, error) {
	fail := func(why string, err error) (*document.VersionStatement, error) {
		if err != nil {
			return nil, fmt.Errorf("client: document %s version %d: %w: %s: %w", docID, v.Version, ErrVersionNotSigned, why, err)
		}
		return nil, fmt.Errorf("client: document %s version %d: %w: %s", docID, v.Version, ErrVersionNotSigned, why)
	}
	st, err := document.ParseVersionStatement(v.Statement)
	if err != nil {
		return fail("no valid statement", err)
	}
	if err := st.Check(tenantID, docID, v.Version, v.Size, v.CreatedBy); err != nil {
		return fail("the statement does not hold", err)
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	vouched := t.state != nil && t.state.Vouched(v.CreatedBy, st.Key)
	t.mu.Unlock()
	if !vouched {
		if err := c.withState(ctx, tenantID, func(ms *membership.State, _ *tenantState) error {
			vouched = ms.Vouched(v.CreatedBy, st.Key)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if !vouched {
		return fail("signed with a key the membership chain never gave the uploader", nil)
	}
	return st, nil
}

// openMetadata opens a version's metadata and checks it against the
// ciphertext size (SPEC §Document content: CheckSize).
func openMetadata(v *protocol.DocumentVersion, dk *keys.Identity) (*document.Metadata, error) {
	m, err := document.OpenMetadata(v.Metadata, dk)
	if err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	if err := document.CheckSize(v.Size, m.Size); err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	return m, nil
}

// ListDocuments lists a folder's documents (their current versions) with
// their metadata decrypted.
func (c *Client) ListDocuments(ctx context.Context, tenantID, folderID string) ([]Document, error) {
	fk, err := c.folderKeysOf(ctx, tenantID, folderID)
	if err != nil {
		return nil, err
	}
	var out []Document
	for cursor := ""; ; {
		var l protocol.DocumentList
		if err := c.do(ctx, call(rFolderDocuments, "tenantId", tenantID, "folderId", folderID).page(cursor), &l); err != nil {
			return nil, err
		}
		for i := range l.Documents {
			d := &l.Documents[i]
			out = append(out, c.documentOf(ctx, tenantID, d.DocumentID, d.FolderID, fk, &d.DocumentVersion, d.UpdatedAt))
		}
		if l.NextCursor == "" {
			return out, nil
		}
		cursor = l.NextCursor
	}
}

// SharedWithMe lists the documents granted to this account one by one (a
// document grant, as Share of a document makes, rather than a folder's),
// newest first, with their metadata decrypted: a member who was given a
// document but not its folder finds it here. Documents deleted since they
// were shared are left out.
func (c *Client) SharedWithMe(ctx context.Context, tenantID string) ([]Document, error) {
	mine, err := c.myGrants(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []Document
	for id, gs := range mine {
		if !slices.ContainsFunc(gs, func(g protocol.Grant) bool { return g.ObjectKind == protocol.ObjectDocument }) {
			continue
		}
		d, err := c.getDocument(ctx, tenantID, id)
		if code := protocol.CodeOf(err); code == protocol.CodeNotFound || code == protocol.CodeForbidden {
			continue
		}
		if err != nil {
			return nil, err
		}
		// The document's key comes from the grant (documentKey), whether
		// or not this account can open its folder too.
		out = append(out, c.documentOf(ctx, tenantID, d.DocumentID, d.FolderID, nil, &d.DocumentVersion, d.UpdatedAt))
	}
	slices.SortFunc(out, func(a, b Document) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (c *Client) getDocument(ctx context.Context, tenantID, docID string) (*protocol.Document, error) {
	var d protocol.Document
	if err := c.do(ctx, call(rDocumentGet, "tenantId", tenantID, "documentId", docID), &d); err != nil {
		return nil, err
	}
	if d.DocumentID != docID {
		return nil, fmt.Errorf("client: %w: asked for document %s, got another", ErrInconsistent, docID)
	}
	return &d, nil
}

// Document returns a document's current version with its metadata.
func (c *Client) Document(ctx context.Context, tenantID, docID string) (*Document, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	out := c.documentOf(ctx, tenantID, d.DocumentID, d.FolderID, fk, &d.DocumentVersion, d.UpdatedAt)
	return &out, nil
}

// Versions lists a document's versions, oldest first, with their metadata.
func (c *Client) Versions(ctx context.Context, tenantID, docID string) ([]Document, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	var l protocol.VersionList
	if err := c.do(ctx, call(rDocumentVers, "tenantId", tenantID, "documentId", docID), &l); err != nil {
		return nil, err
	}
	out := make([]Document, len(l.Versions))
	for i := range l.Versions {
		out[i] = c.documentOf(ctx, tenantID, docID, d.FolderID, fk, &l.Versions[i], l.Versions[i].CreatedAt)
	}
	return out, nil
}

// DeleteDocument deletes a document and all its versions.
func (c *Client) DeleteDocument(ctx context.Context, tenantID, docID string) error {
	return c.do(ctx, call(rDocumentDelete, "tenantId", tenantID, "documentId", docID), nil)
}

// mimeType guesses a file's MIME type from its name, in the canonical form
// the metadata record requires, or application/octet-stream.
func mimeType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, params, err := mime.ParseMediaType(t); err == nil {
			if f := mime.FormatMediaType(mt, params); f != "" && len(f) <= protocol.MaxMIMEType {
				return f
			}
		}
	}
	return "application/octet-stream"
}

// uploadSpec is what an upload is of.
type uploadSpec struct {
	docID      string
	folderID   string
	newVersion bool
	key        *keys.Identity
	name       string
	mimeType   string
}

// Upload encrypts size bytes read from r as a new document named name in a
// folder, streaming: memory use is one chunk, whatever the size. The
// ciphertext goes up in chunks of at most the chunk size, and a dropped
// connection is resumed where the server's committed offset says. The
// document key is wrapped to the folder's current key version, as its
// checked rotations give it. The plaintext's hash never leaves the client.
func (c *Client) Upload(ctx context.Context, tenantID, folderID, name string, r io.Reader, size int64) (*Document, error) {
	return c.upload(ctx, tenantID, &uploadSpec{
		docID: newID(), folderID: folderID, key: document.NewKey(), name: name, mimeType: mimeType(name),
	}, r, size)
}

// UploadVersion encrypts size bytes read from r as a new version of an
// existing document, under the same document key (so that direct grants
// of the document keep opening it) and the same name.
func (c *Client) UploadVersion(ctx context.Context, tenantID, docID string, r io.Reader, size int64) (*Document, error) {
	spec, err := c.versionSpec(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	return c.upload(ctx, tenantID, spec, r, size)
}

func (c *Client) versionSpec(ctx context.Context, tenantID, docID string) (*uploadSpec, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	dk, err := c.documentKey(ctx, tenantID, docID, fk, &d.DocumentVersion)
	if err != nil {
		return nil, err
	}
	m, err := openMetadata(&d.DocumentVersion, dk)
	if err != nil {
		return nil, err
	}
	return &uploadSpec{docID: docID, folderID: d.FolderID, newVersion: true, key: dk, name: m.Name, mimeType: m.Type}, nil
}

// RenameDocument gives a document a new name: it seals new metadata (the
// same type, size and creation time) to the document key and replaces the
// current version's metadata on the server. No content moves and no
// version is made. If a new version came in meanwhile, the server answers
// CodeConflict and nothing changes; call it again.
func (c *Client) RenameDocument(ctx context.Context, tenantID, docID, name string) (*Document, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	dk, err := c.documentKey(ctx, tenantID, docID, fk, &d.DocumentVersion)
	if err != nil {
		return nil, err
	}
	m, err := openMetadata(&d.DocumentVersion, dk)
	if err != nil {
		return nil, err
	}
	m.Name = name
	meta, err := document.SealMetadata(m, dk.Recipient())
	if err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	var out protocol.Document
	if err := c.do(ctx, call(rDocumentRename, "tenantId", tenantID, "documentId", docID).with(&protocol.RenameDocumentRequest{
		Version: d.Version, Metadata: meta,
	}), &out); err != nil {
		return nil, err
	}
	if out.DocumentID != docID || out.Version != d.Version || !bytes.Equal(out.Metadata, meta) {
		return nil, fmt.Errorf("client: rename: %w: the server answered with another document or metadata", ErrInconsistent)
	}
	doc := c.documentOf(ctx, tenantID, out.DocumentID, out.FolderID, fk, &out.DocumentVersion, out.UpdatedAt)
	if doc.Err != nil {
		return nil, doc.Err
	}
	return &doc, nil
}

// MoveDocument moves a document to another folder of the tenant. This
// account needs the document's folder and the destination: it opens the
// key of every version and wraps each to the destination folder's newest
// key version, as the destination's checked rotations give it, so that the
// destination's members open it and the source's no longer do (what they
// already downloaded stays theirs). The server checks the rights and the
// wraps' form and never makes a wrap. A new version or a rotation of the
// destination meanwhile is CodeConflict, and nothing changes; call it
// again.
func (c *Client) MoveDocument(ctx context.Context, tenantID, docID, folderID string) (*Document, error) {
	d, err := c.getDocument(ctx, tenantID, docID)
	if err != nil {
		return nil, err
	}
	if d.FolderID == folderID {
		return nil, fmt.Errorf("client: move: %w", protocol.Errorf(protocol.CodeBadRequest, "the document is already in this folder"))
	}
	src, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
	if err != nil {
		return nil, err
	}
	var l protocol.VersionList
	if err := c.do(ctx, call(rDocumentVers, "tenantId", tenantID, "documentId", docID), &l); err != nil {
		return nil, err
	}
	if len(l.Versions) == 0 || len(l.Versions) > protocol.MaxBatch {
		return nil, fmt.Errorf("client: move: %w: %d versions", ErrInconsistent, len(l.Versions))
	}
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		return nil, err
	}
	dst, err := c.folderKeysFor(ctx, tenantID, f, nil)
	if err != nil {
		return nil, err
	}
	fv, to := dst.chain.Latest()
	req := &protocol.MoveDocumentRequest{FolderID: folderID, FolderKeyVersion: uint32(fv)}
	for i := range l.Versions {
		v := &l.Versions[i]
		dk, err := c.documentKey(ctx, tenantID, docID, src, v)
		if err != nil {
			return nil, err
		}
		w, err := document.WrapKey(dk, to)
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		req.KeyWraps = append(req.KeyWraps, protocol.VersionKeyWrap{Version: v.Version, KeyWrap: w})
	}
	var out protocol.Document
	if err := c.do(ctx, call(rDocumentMove, "tenantId", tenantID, "documentId", docID).with(req), &out); err != nil {
		return nil, err
	}
	if out.DocumentID != docID || out.FolderID != folderID || out.FolderKeyVersion != uint32(fv) {
		return nil, fmt.Errorf("client: move: %w: the server answered with another document or folder", ErrInconsistent)
	}
	doc := c.documentOf(ctx, tenantID, out.DocumentID, out.FolderID, dst, &out.DocumentVersion, out.UpdatedAt)
	if doc.Err != nil {
		return nil, doc.Err
	}
	return &doc, nil
}

func (c *Client) upload(ctx context.Context, tenantID string, spec *uploadSpec, r io.Reader, size int64) (*Document, error) {
	if size < 0 {
		return nil, fmt.Errorf("client: upload: %w: negative size", ErrSizeMismatch)
	}
	csize, err := document.EncryptedSize(size)
	if err != nil {
		return nil, fmt.Errorf("client: upload: %w", err)
	}
	f, err := c.getFolder(ctx, tenantID, spec.folderID)
	if err != nil {
		return nil, err
	}
	fk, err := c.folderKeysFor(ctx, tenantID, f, nil)
	if err != nil {
		return nil, err
	}
	// New documents and versions use the newest key version at once
	// (SPEC §Folder key versions).
	fv, to := fk.chain.Latest()
	created := c.now()
	meta, err := document.SealMetadata(&document.Metadata{Name: spec.name, Type: spec.mimeType, Size: size, Created: created}, spec.key.Recipient())
	if err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	wrap, err := document.WrapKey(spec.key, to)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	var up protocol.Upload
	if err := c.do(ctx, call(rUploadCreate, "tenantId", tenantID).with(&protocol.CreateUploadRequest{
		DocumentID: spec.docID, FolderID: spec.folderID, NewVersion: spec.newVersion, Size: csize,
		Metadata: meta, KeyWrap: wrap, FolderKeyVersion: uint32(fv),
	}), &up); err != nil {
		return nil, err
	}
	if up.Size != csize || up.Received != 0 || up.DocumentID != spec.docID || !protocol.ValidID(up.UploadID) {
		c.abort(ctx, tenantID, up.UploadID)
		return nil, fmt.Errorf("client: upload: %w: the session is not the one asked for", ErrInconsistent)
	}
	doc, err := c.sendUpload(ctx, tenantID, &up, spec.key, r, size)
	if err != nil {
		c.abort(ctx, tenantID, up.UploadID)
		return nil, err
	}
	if doc.DocumentID != spec.docID || doc.Size != csize {
		return nil, fmt.Errorf("client: upload: %w: the committed document is not the one sent", ErrInconsistent)
	}
	return &Document{
		ID: doc.DocumentID, FolderID: doc.FolderID, Version: doc.Version, Name: spec.name, Type: spec.mimeType,
		Size: size, Created: created.Truncate(time.Second).UTC(), CipherSize: doc.Size, CreatedBy: doc.CreatedBy, UpdatedAt: doc.UpdatedAt,
	}, nil
}

// sendUpload streams the encryption of r into the upload session and
// commits it with the ciphertext's SHA-256 (a transport check).
func (c *Client) sendUpload(ctx context.Context, tenantID string, up *protocol.Upload, key *keys.Identity, r io.Reader, size int64) (*protocol.Document, error) {
	u := newUploader(ctx, c, tenantID, up)
	enc, err := document.Encrypt(u, key.Recipient())
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	n, err := io.Copy(enc, io.LimitReader(r, size+1))
	if err != nil {
		return nil, fmt.Errorf("client: upload: %w", err)
	}
	if n != size {
		return nil, fmt.Errorf("client: upload: %w: read %d bytes of %d", ErrSizeMismatch, n, size)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("client: upload: %w", err)
	}
	if err := u.flush(); err != nil {
		return nil, err
	}
	if u.offset != u.total {
		return nil, fmt.Errorf("client: upload: %w: %d bytes of ciphertext, announced %d", ErrSizeMismatch, u.offset, u.total)
	}
	sum := [32]byte(u.sum.Sum(nil))
	st, err := c.VersionStatement(tenantID, up.DocumentID, up.Version, u.total, sum)
	if err != nil {
		return nil, err
	}
	var doc protocol.Document
	if err := c.do(ctx, call(rUploadCommit, "tenantId", tenantID, "uploadId", up.UploadID).with(&protocol.CommitUploadRequest{SHA256: sum[:], Statement: st}), &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// VersionStatement signs, as this account, the version statement of a
// version it uploaded (SPEC part 30 §Version statements): version of
// documentID in tenantID, whose ciphertext is cipherSize bytes with SHA-256
// sum. Upload and UploadVersion make it themselves; it is for a caller
// that sends the ciphertext through the API on its own (the server
// benchmark), and it signs only what this account's caller states.
func (c *Client) VersionStatement(tenantID, documentID string, version uint32, cipherSize int64, sum [32]byte) ([]byte, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	st, err := document.SignVersion(s.keyring.SigningKey(), document.VersionFacts{
		TenantID: tenantID, DocumentID: documentID, Version: version, CipherSize: cipherSize,
		CipherSHA256: sum, UploaderID: s.accountID, Time: c.now(),
	})
	if err != nil {
		return nil, fmt.Errorf("client: version statement: %w", err)
	}
	return st.Bytes(), nil
}

// abort deletes an upload session that will not be finished, even when
// ctx is cancelled; failures are ignored (the server expires it anyway).
func (c *Client) abort(ctx context.Context, tenantID, uploadID string) {
	if !protocol.ValidID(uploadID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = c.do(ctx, call(rUploadAbort, "tenantId", tenantID, "uploadId", uploadID), nil)
}

// Download is a document's plaintext, decrypted as it is read. No byte is
// returned before its chunk authenticates; a cut or altered download fails
// with document.ErrTruncated or document.ErrCorrupted. Close it.
type Download struct {
	DocumentID string
	Version    uint32
	Name       string
	Type       string
	Size       int64
	Created    time.Time

	c    *Client
	body io.ReadCloser
	r    io.Reader
	done int64
	// cipher hashes the ciphertext as decryption reads it; at the end it
	// must be the SHA-256 the version's statement signs.
	cipher *hashingReader
	stmt   *document.VersionStatement
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// checkAgainst reads what is left (decryption may stop at the final chunk
// without reading to the end, and what follows counts too) and checks the
// whole ciphertext against the version's statement: ErrVersionNotSigned if
// it is not the signed one.
func (h *hashingReader) checkAgainst(st *document.VersionStatement) error {
	if _, err := io.Copy(io.Discard, h); err != nil {
		return err
	}
	if err := st.CheckContent([32]byte(h.h.Sum(nil))); err != nil {
		return fmt.Errorf("%w: %w", ErrVersionNotSigned, err)
	}
	return nil
}

// Read reads plaintext. The last read, which would return io.EOF, first
// checks the whole ciphertext against the version's statement: bytes the
// uploader did not sign end in ErrVersionNotSigned, not in io.EOF, and the
// caller MUST discard what it read.
func (d *Download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if n > 0 {
		d.done += int64(n)
		d.c.report(Progress{Op: "download", DocumentID: d.DocumentID, Done: d.done, Total: d.Size})
	}
	if errors.Is(err, io.EOF) {
		if cerr := d.cipher.checkAgainst(d.stmt); cerr != nil {
			return n, fmt.Errorf("client: download of %s: %w", d.DocumentID, cerr)
		}
		return n, err
	}
	if err != nil {
		err = fmt.Errorf("client: download: %w", err)
	}
	return n, err
}

// WriteTo writes the whole plaintext to w.
func (d *Download) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := d.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if errors.Is(err, io.EOF) {
			if d.done != d.Size {
				return total, fmt.Errorf("client: download: %w", document.ErrTruncated)
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close releases the connection.
func (d *Download) Close() error { return d.body.Close() }

// Download opens a document version (0 for the current one) for reading:
// it finds the document key (through the folder's checked keys or a direct
// grant), opens and checks the metadata, and streams the ciphertext through
// decryption.
func (c *Client) Download(ctx context.Context, tenantID, docID string, version uint32) (*Download, error) {
	ov, err := c.openVersion(ctx, tenantID, docID, version)
	if err != nil {
		return nil, err
	}
	v, dk, m, stmt := ov.version, ov.key, ov.meta, ov.statement
	resp, err := c.send(ctx, call(rDocumentContent, "tenantId", tenantID, "documentId", docID).q("version", strconv.FormatUint(uint64(v.Version), 10)))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || (resp.ContentLength >= 0 && resp.ContentLength != v.Size) {
		resp.Body.Close()
		return nil, fmt.Errorf("client: document %s: %w: content of another size than the version's", docID, ErrInconsistent)
	}
	cipher := &hashingReader{r: resp.Body, h: sha256.New()}
	pr, err := document.Decrypt(cipher, dk)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("client: document %s: %w", docID, err)
	}
	return &Download{
		DocumentID: docID, Version: v.Version, Name: m.Name, Type: m.Type, Size: m.Size, Created: m.Created,
		c: c, body: resp.Body, r: pr, cipher: cipher, stmt: stmt,
	}, nil
}
