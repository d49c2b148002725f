package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// uploadChunkSize is the chunk size the server asks clients to use: large
// enough that Pebble writes efficiently (DESIGN §9), well below MaxChunk.
const uploadChunkSize = 4 << 20

func (a *API) documentHandlers() map[string]handler {
	return map[string]handler{
		"uploads.create":     a.uploadCreate,
		"uploads.get":        a.uploadGet,
		"uploads.chunk":      a.uploadChunk,
		"uploads.commit":     a.uploadCommit,
		"uploads.abort":      a.uploadAbort,
		"documents.get":      a.documentGet,
		"documents.content":  a.documentContent,
		"documents.versions": a.documentVersions,
		"documents.delete":   a.documentDelete,
		"documents.rename":   a.documentRename,
		"documents.move":     a.documentMove,
	}
}

func versionView(v store.View, ver *store.Version) (protocol.DocumentVersion, error) {
	bk, err := v.BlobKey(ver.Blob)
	if err != nil {
		return protocol.DocumentVersion{}, fmt.Errorf("api: key wrap of version %d of %s: %w", ver.N, ver.Document, err)
	}
	return protocol.DocumentVersion{
		Version: uint32(ver.N), Size: int64(ver.Size), Metadata: ver.Metadata, KeyWrap: bk.KeyWrap,
		FolderKeyVersion: uint32(bk.FolderKeyVersion), CreatedBy: ver.Uploader.String(), CreatedAt: ver.Created,
		Statement: ver.Statement,
	}, nil
}

func documentView(v store.View, d *store.Document) (*protocol.Document, error) {
	ver, err := v.Version(d.ID, d.Current)
	if err != nil {
		return nil, err
	}
	dv, err := versionView(v, ver)
	if err != nil {
		return nil, err
	}
	return &protocol.Document{DocumentID: d.ID.String(), FolderID: d.Folder.String(), DocumentVersion: dv, UpdatedAt: d.Updated}, nil
}

func uploadView(u *store.Upload) *protocol.Upload {
	return &protocol.Upload{
		UploadID: u.ID.String(), DocumentID: u.Document.String(), Version: uint32(u.BaseVersion + 1), Size: int64(u.Size),
		Received: int64(u.Offset), ChunkSize: uploadChunkSize, ExpiresAt: u.Expires,
	}
}

// uploadCreate opens an upload of a new document into a folder the caller
// holds, or of a new version of a document the caller holds. The document
// key MUST be wrapped to the folder's current key version.
func (a *API) uploadCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateUploadRequest)
	did, err := parseID("documentId", r.DocumentID)
	if err != nil {
		return nil, err
	}
	fid, err := parseID("folderId", r.FolderID)
	if err != nil {
		return nil, err
	}
	f, err := c.folderIn(fid)
	if err != nil {
		return nil, err
	}
	u := &store.Upload{
		Tenant: c.tenant.ID, Document: did, Folder: fid, NewDocument: !r.NewVersion, Account: c.account.ID,
		Metadata: r.Metadata, KeyVersion: uint64(r.FolderKeyVersion), Size: uint64(r.Size),
	}
	if r.NewVersion {
		d, err := c.documentIn(did)
		if err != nil {
			return nil, err
		}
		if d.Folder != fid {
			return nil, badRequest("the document is in another folder")
		}
		if err := c.needDocument(d); err != nil {
			return nil, err
		}
		u.BaseVersion = d.Current
	} else if err := c.needFolder(f); err != nil {
		return nil, err
	}
	if uint64(r.FolderKeyVersion) != f.KeyVersion {
		return nil, conflict("the folder's key is at version %d; wrap the document key to it", f.KeyVersion)
	}
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.BeginUpload(u); err != nil {
			return err
		}
		return tx.PutBlobKey(&store.BlobKey{Blob: u.ID, Document: did, KeyWrap: r.KeyWrap, FolderKeyVersion: uint64(r.FolderKeyVersion)})
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("a document with this id exists")
	}
	if err != nil {
		return nil, err
	}
	return uploadView(u), nil
}

// upload returns the caller's upload of the path; another's is not found.
func (c *call) upload() (*store.Upload, error) {
	id, err := c.pathID("uploadId", "upload")
	if err != nil {
		return nil, err
	}
	u, err := c.a.st.Upload(id)
	if err != nil || u.Tenant != c.tenant.ID || u.Account != c.account.ID {
		return nil, notFound("upload")
	}
	return u, nil
}

func (a *API) uploadGet(c *call) (any, error) {
	u, err := c.upload()
	if err != nil {
		return nil, err
	}
	return uploadView(u), nil
}

// uploadChunk appends a chunk at ?offset=, which MUST be the bytes
// received so far; anything else is a conflict that changes nothing.
func (a *API) uploadChunk(c *call) (any, error) {
	off, _, err := c.queryUint("offset", true)
	if err != nil {
		return nil, err
	}
	u, err := c.upload()
	if err != nil {
		return nil, err
	}
	body := c.ctx.PostBody()
	if len(body) == 0 {
		return nil, badRequest("a chunk holds at least one byte")
	}
	if _, err := a.st.PutChunk(u.ID, off, body); err != nil {
		var oe *store.OffsetError
		switch {
		case errors.As(err, &oe):
			return nil, conflict("the upload is at offset %d", oe.Expected)
		case errors.Is(err, store.ErrInvalid):
			return nil, badRequest("the chunk goes past the upload's declared size")
		}
		return nil, err
	}
	u, err = a.st.Upload(u.ID)
	if err != nil {
		return nil, err
	}
	return uploadView(u), nil
}

// uploadCommit checks the ciphertext's SHA-256 (a transport check) and
// makes the version visible, with its audit event, in one transaction.
func (a *API) uploadCommit(c *call) (any, error) {
	r := c.req.(*protocol.CommitUploadRequest)
	u, err := c.upload()
	if err != nil {
		return nil, err
	}
	if u.Offset != u.Size {
		return nil, conflict("the upload has %d of %d bytes", u.Offset, u.Size)
	}
	// Rights are checked again: a key revoked while the bytes travelled
	// revokes the upload too.
	if u.NewDocument {
		f, err := c.folderIn(u.Folder)
		if err != nil {
			return nil, err
		}
		if err := c.needFolder(f); err != nil {
			return nil, err
		}
	} else {
		d, err := c.documentIn(u.Document)
		if err != nil {
			return nil, err
		}
		if err := c.needDocument(d); err != nil {
			return nil, err
		}
		if d.Folder != u.Folder {
			return nil, conflict("the document moved to another folder; upload the version again")
		}
	}
	h := sha256.New()
	br := a.st.OpenBlob(u.ID, u.Size)
	_, err = br.WriteTo(h)
	br.Close()
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(h.Sum(nil), r.SHA256) != 1 {
		return nil, badRequest("sha256 does not match the bytes received; abort the upload and send it again")
	}
	if err := c.checkVersionStatement(r.Statement, u, [32]byte(r.SHA256)); err != nil {
		return nil, err
	}
	var out *protocol.Document
	err = a.st.Update(func(tx *store.Tx) error {
		ver, err := tx.CommitUpload(u.ID, r.Statement)
		if err != nil {
			return err
		}
		if err := c.event(tx, c.tenant.ID, auditlog.KindDocumentUploaded, ver.Document, u.Folder); err != nil {
			return err
		}
		d, err := tx.Document(ver.Document)
		if err != nil {
			return err
		}
		out, err = documentView(tx.View, d)
		return err
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("a document with this id exists")
	}
	return out, err
}

// checkVersionStatement checks the uploader's version statement of upload
// u, whose ciphertext's SHA-256 is sum: it names this tenant, document,
// version, size and hash and the caller, and is signed with the caller's
// key in the membership chain. The server cannot make one; it refuses one
// that readers would refuse, so that an honest client's mistake shows at
// once rather than on every reader's screen.
func (c *call) checkVersionStatement(signed []byte, u *store.Upload, sum [32]byte) error {
	st, err := document.ParseVersionStatement(signed)
	if err != nil {
		return protocol.Errorf(protocol.CodeBadEncoding, "statement is not a version statement")
	}
	if err := st.Check(c.tenant.ID.String(), u.Document.String(), uint32(u.BaseVersion+1), int64(u.Size), c.account.ID.String()); err != nil {
		if errors.Is(err, document.ErrStatementSignature) {
			return protocol.Errorf(protocol.CodeBadSignature, "the version statement's signature does not verify")
		}
		return badRequest("the version statement is not for this upload")
	}
	if st.CheckContent(sum) != nil {
		return badRequest("the version statement signs another ciphertext")
	}
	_, err = chainRead(c.a, c.tenant.ID, func(ms *membership.State) (struct{}, error) {
		vk, err := ms.VerifyKeyFor(c.account.ID.String())
		if err != nil {
			return struct{}{}, err
		}
		if vk != st.Key {
			return struct{}{}, protocol.Errorf(protocol.CodeBadSignature, "the version statement is not signed with the uploader's key in the membership chain")
		}
		return struct{}{}, nil
	})
	return err
}

func (a *API) uploadAbort(c *call) (any, error) {
	u, err := c.upload()
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		if err := tx.AbortUpload(u.ID); err != nil {
			return err
		}
		return tx.DeleteBlobKey(u.ID)
	})
}

func (a *API) documentGet(c *call) (any, error) {
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	if err := c.needDocument(d); err != nil {
		return nil, err
	}
	return documentView(a.st.View, d)
}

func (a *API) documentVersions(c *call) (any, error) {
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	if err := c.needDocument(d); err != nil {
		return nil, err
	}
	vs, err := a.st.Versions(d.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.VersionList{Versions: []protocol.DocumentVersion{}}
	for _, v := range vs {
		dv, err := versionView(a.st.View, v)
		if err != nil {
			return nil, err
		}
		out.Versions = append(out.Versions, dv)
	}
	return out, nil
}

// documentContent streams a version's ciphertext, exactly as uploaded, from
// the store one chunk at a time, with single-range support. A download from
// the start is an audit event.
func (a *API) documentContent(c *call) (any, error) {
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	if err := c.needDocument(d); err != nil {
		return nil, err
	}
	n := d.Current
	if v, ok, err := c.queryUint("version", false); err != nil {
		return nil, err
	} else if ok {
		n = v
	}
	ver, err := a.st.Version(d.ID, n)
	if err != nil {
		return nil, notFound("document version")
	}
	size := int64(ver.Size)
	start, end, partial, err := parseRange(string(c.ctx.Request.Header.Peek("Range")), size)
	if err != nil {
		c.ctx.Response.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		return nil, err
	}
	if start == 0 {
		if err := a.st.Update(func(tx *store.Tx) error {
			return c.event(tx, c.tenant.ID, auditlog.KindDocumentDownloaded, d.ID)
		}); err != nil {
			return nil, err
		}
	}
	return nil, c.serveBlob(ver.Blob, ver.Size, start, end, partial)
}

// serveBlob streams bytes [start, end) of a stored ciphertext blob as the
// response body, with the headers of a whole (200) or partial (206) answer.
func (c *call) serveBlob(blob store.ID, size uint64, start, end int64, partial bool) error {
	br := c.a.st.OpenBlob(blob, size)
	if _, err := br.Seek(start, io.SeekStart); err != nil {
		br.Close()
		return err
	}
	c.ctx.SetContentType("application/octet-stream")
	c.ctx.Response.Header.Set("Accept-Ranges", "bytes")
	c.ctx.Response.Header.Set("Content-Disposition", "attachment")
	if partial {
		c.ctx.SetStatusCode(206)
		c.ctx.Response.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
	} else {
		c.ctx.SetStatusCode(200)
	}
	// A sequential reader over the blob reads each stored chunk once; a
	// SectionReader would go through ReadAt, which fetches and copies the
	// whole chunk again for every small read the response writer makes.
	c.ctx.SetBodyStream(&blobSection{Reader: io.LimitReader(br, end-start), br: br}, int(end-start))
	return nil
}

// blobSection is a range of a blob that closes the blob when fasthttp is
// done with it.
type blobSection struct {
	io.Reader
	br *store.BlobReader
}

func (b *blobSection) Close() error { return b.br.Close() }

var errRange = protocol.Errorf(protocol.CodeBadRequest, "the Range header is not one satisfiable byte range")

// parseRange parses a Range header of one byte range ("bytes=a-b",
// "bytes=a-", "bytes=-n") against size. It returns the half-open range and
// whether it is partial. A header with several ranges or another unit is
// refused rather than ignored, so a client never mistakes a whole body for
// the part it asked for.
func parseRange(h string, size int64) (start, end int64, partial bool, err error) {
	if h == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, errRange
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, errRange
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && s != "" && s[0] != '+'
	}
	switch {
	case a == "":
		n, ok := num(b)
		if !ok || n == 0 || size == 0 {
			return 0, 0, false, errRange
		}
		return max(size-n, 0), size, true, nil
	default:
		s, ok := num(a)
		if !ok || s >= size {
			return 0, 0, false, errRange
		}
		e := size - 1
		if b != "" {
			if e, ok = num(b); !ok || e < s {
				return 0, 0, false, errRange
			}
			e = min(e, size-1)
		}
		return s, e + 1, true, nil
	}
}

func (a *API) documentDelete(c *call) (any, error) {
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	if !isAdminRole(c.member.Role) {
		if err := c.needDocument(d); err != nil {
			return nil, err
		}
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		vs, err := tx.Versions(d.ID)
		if err != nil {
			return err
		}
		reqs, err := tx.AccessRequestsOn(d.ID)
		if err != nil {
			return err
		}
		if err := tx.DeleteDocument(d.ID); err != nil {
			return err
		}
		for _, v := range vs {
			if err := tx.DeleteBlobKey(v.Blob); err != nil {
				return err
			}
		}
		for _, r := range reqs {
			if err := tx.DeleteRequestNote(r.ID); err != nil {
				return err
			}
		}
		return c.event(tx, c.tenant.ID, auditlog.KindDocumentDeleted, d.ID)
	})
}

// documentRename replaces the encrypted metadata of a document's current
// version, which the request names: metadata holds the plaintext size of
// one version, so a rename of a version that is no longer current is a
// conflict. The server cannot read the metadata; it checks its form.
func (a *API) documentRename(c *call) (any, error) {
	r := c.req.(*protocol.RenameDocumentRequest)
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	if err := c.needDocument(d); err != nil {
		return nil, err
	}
	if err := checkMetadataForm(r.Metadata); err != nil {
		return nil, err
	}
	var out *protocol.Document
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.RenameDocument(d.ID, uint64(r.Version), r.Metadata); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("the document is at another version; rename its current version")
			}
			return err
		}
		if err := c.event(tx, c.tenant.ID, auditlog.KindDocumentRenamed, d.ID); err != nil {
			return err
		}
		nd, err := tx.Document(d.ID)
		if err != nil {
			return err
		}
		out, err = documentView(tx.View, nd)
		return err
	})
	return out, err
}

// documentMove moves a document to another folder of the tenant. The
// caller MUST hold both folders, and sends the key of every version
// wrapped to the destination folder's current key version; the server
// checks each wrap's form and stores it, and never makes one. Uploads of
// a new version begun before the move no longer commit.
func (a *API) documentMove(c *call) (any, error) {
	r := c.req.(*protocol.MoveDocumentRequest)
	d, err := c.documentParam()
	if err != nil {
		return nil, err
	}
	src, err := c.folderIn(d.Folder)
	if err != nil {
		return nil, err
	}
	// Taking a document out of a folder changes the folder: its holders
	// decide, not someone holding only a direct grant of the document.
	if err := c.needFolder(src); err != nil {
		return nil, err
	}
	fid, err := parseID("folderId", r.FolderID)
	if err != nil {
		return nil, err
	}
	dst, err := c.folderIn(fid)
	if err != nil {
		return nil, err
	}
	if err := c.needFolder(dst); err != nil {
		return nil, err
	}
	if dst.ID == src.ID {
		return nil, badRequest("the document is already in this folder")
	}
	wraps := make(map[uint64][]byte, len(r.KeyWraps))
	for _, w := range r.KeyWraps {
		if err := checkKeyWrap(w.KeyWrap); err != nil {
			return nil, err
		}
		wraps[uint64(w.Version)] = w.KeyWrap
	}
	var out *protocol.Document
	err = a.st.Update(func(tx *store.Tx) error {
		// Read again in the transaction: a rotation of the destination or
		// a new version since the checks above makes the wraps stale.
		cur, err := tx.Folder(dst.ID)
		if err != nil {
			return err
		}
		if uint64(r.FolderKeyVersion) != cur.KeyVersion {
			return conflict("the destination folder's key is at version %d; wrap the keys to it", cur.KeyVersion)
		}
		vs, err := tx.Versions(d.ID)
		if err != nil {
			return err
		}
		if len(vs) != len(wraps) {
			return conflict("the document has %d versions; send one key wrap for each", len(vs))
		}
		for _, v := range vs {
			w, ok := wraps[v.N]
			if !ok {
				return conflict("no key wrap for version %d", v.N)
			}
			if err := tx.PutBlobKey(&store.BlobKey{Blob: v.Blob, Document: d.ID, KeyWrap: w, FolderKeyVersion: cur.KeyVersion}); err != nil {
				return err
			}
		}
		if err := tx.MoveDocument(d.ID, dst.ID); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return badRequest("the document is already in this folder")
			}
			return err
		}
		if err := c.event(tx, c.tenant.ID, auditlog.KindDocumentMoved, d.ID, src.ID, dst.ID); err != nil {
			return err
		}
		nd, err := tx.Document(d.ID)
		if err != nil {
			return err
		}
		out, err = documentView(tx.View, nd)
		return err
	})
	return out, err
}
