package api

import (
	"errors"

	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

func (a *API) folderHandlers() map[string]handler {
	return map[string]handler{
		"folders.create":        a.folderCreate,
		"folders.list":          a.folderList,
		"folders.get":           a.folderGet,
		"folders.rename":        a.folderRename,
		"folders.move":          a.folderMove,
		"folders.delete":        a.folderDelete,
		"folders.documents":     a.folderDocuments,
		"folders.rotate":        a.folderRotate,
		"folders.rotations":     a.folderRotations,
		"folders.rewraps.list":  a.rewrapsList,
		"folders.rewraps.store": a.rewrapsStore,
	}
}

func folderView(v store.View, f *store.Folder) (*protocol.Folder, error) {
	k, err := v.FolderKey(f.ID, f.KeyVersion)
	if err != nil {
		return nil, err
	}
	out := &protocol.Folder{
		FolderID: f.ID.String(), Name: f.Metadata, KeyVersion: uint32(f.KeyVersion), Recipient: k.Recipient,
		CreatedBy: f.Creator.String(), CreatedAt: f.Created, UpdatedAt: f.Created,
	}
	if !f.Parent.IsZero() {
		out.ParentID = f.Parent.String()
	}
	if fi, err := v.FolderInfo(f.ID); err == nil {
		out.UpdatedAt = fi.Updated
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return out, nil
}

// folderCreate makes a folder with version 1 of its key and the grants of
// that key, at least one of them to the creator. A folder inside another
// needs a key of the parent.
func (a *API) folderCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateFolderRequest)
	fid, err := parseID("folderId", r.FolderID)
	if err != nil {
		return nil, err
	}
	var parent store.ID
	if r.ParentID != "" {
		pid, err := parseID("parentId", r.ParentID)
		if err != nil {
			return nil, err
		}
		pf, err := c.folderIn(pid)
		if err != nil {
			return nil, err
		}
		if err := c.needFolder(pf); err != nil {
			return nil, err
		}
		parent = pid
	}
	gs := make([]*checkedGrant, 0, len(r.Grants))
	self := false
	for i := range r.Grants {
		up := &r.Grants[i]
		if up.ObjectKind != protocol.ObjectFolder || up.ObjectID != r.FolderID || up.KeyVersion != 1 {
			return nil, badRequest("a new folder's grants are of its key version 1")
		}
		g, err := c.checkGrant(up, func(uint64) (string, error) { return r.Recipient, nil })
		if err != nil {
			return nil, err
		}
		self = self || g.rec.Grantee == c.account.ID
		gs = append(gs, g)
	}
	if !self {
		return nil, badRequest("a new folder's grants include one to its creator")
	}
	f := &store.Folder{ID: fid, Tenant: c.tenant.ID, Parent: parent, Created: c.now, Creator: c.account.ID, KeyVersion: 1, Metadata: r.Name}
	var out *protocol.Folder
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.CreateFolder(f); err != nil {
			return err
		}
		if err := tx.PutFolderKey(&store.FolderKey{Folder: fid, KeyVersion: 1, Recipient: r.Recipient, Created: c.now}); err != nil {
			return err
		}
		for _, g := range gs {
			if err := c.putGrant(tx, g); err != nil {
				return err
			}
		}
		var err error
		out, err = folderView(tx.View, f)
		return err
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("a folder with this id exists")
	}
	return out, err
}

// visibleFolder reports whether the caller may see that a folder exists:
// its key holders and the tenant's admins.
func (c *call) visibleFolder(f *store.Folder) (bool, error) {
	if isAdminRole(c.member.Role) {
		return true, nil
	}
	return holds(c.a.st.View, c.account.ID, f.ID)
}

func (a *API) folderList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	var parent store.ID
	if p := c.ctx.QueryArgs().Peek("parent"); p != nil {
		if parent, err = store.ParseID(string(p)); err != nil {
			return nil, notFound("folder")
		}
		if _, err := c.folderIn(parent); err != nil {
			return nil, err
		}
	}
	fs, err := a.st.Folders(c.tenant.ID, parent)
	if err != nil {
		return nil, err
	}
	var visible []*store.Folder
	for _, f := range fs {
		ok, err := c.visibleFolder(f)
		if err != nil {
			return nil, err
		}
		if ok {
			visible = append(visible, f)
		}
	}
	page, next, err := pageOf(visible, func(f *store.Folder) store.ID { return f.ID }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.FolderList{Folders: []protocol.Folder{}, NextCursor: next}
	for _, f := range page {
		v, err := folderView(a.st.View, f)
		if err != nil {
			return nil, err
		}
		out.Folders = append(out.Folders, *v)
	}
	return out, nil
}

func (a *API) folderGet(c *call) (any, error) {
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolderOrAdmin(f); err != nil {
		return nil, err
	}
	return folderView(a.st.View, f)
}

func (a *API) folderRename(c *call) (any, error) {
	r := c.req.(*protocol.RenameFolderRequest)
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolder(f); err != nil {
		return nil, err
	}
	var out *protocol.Folder
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.SetFolderMetadata(f.ID, r.Name); err != nil {
			return err
		}
		if err := tx.PutFolderInfo(&store.FolderInfo{Folder: f.ID, Updated: c.now}); err != nil {
			return err
		}
		nf, err := tx.Folder(f.ID)
		if err != nil {
			return err
		}
		out, err = folderView(tx.View, nf)
		return err
	})
	return out, err
}

// folderMove moves a folder the caller holds under a folder the caller
// holds (or to the root).
func (a *API) folderMove(c *call) (any, error) {
	r := c.req.(*protocol.MoveFolderRequest)
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolder(f); err != nil {
		return nil, err
	}
	var parent store.ID
	if r.ParentID != "" {
		if parent, err = parseID("parentId", r.ParentID); err != nil {
			return nil, err
		}
		pf, err := c.folderIn(parent)
		if err != nil {
			return nil, err
		}
		if err := c.needFolder(pf); err != nil {
			return nil, err
		}
	}
	var out *protocol.Folder
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.MoveFolder(f.ID, parent); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("a folder cannot move into itself or its own subfolder")
			}
			return err
		}
		if err := tx.PutFolderInfo(&store.FolderInfo{Folder: f.ID, Updated: c.now}); err != nil {
			return err
		}
		nf, err := tx.Folder(f.ID)
		if err != nil {
			return err
		}
		out, err = folderView(tx.View, nf)
		return err
	})
	return out, err
}

func (a *API) folderDelete(c *call) (any, error) {
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolderOrAdmin(f); err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		if err := tx.DeleteFolder(f.ID); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("the folder is not empty")
			}
			return err
		}
		return tx.DeleteFolderExtras(f.ID)
	})
}

func (a *API) folderDocuments(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolderOrAdmin(f); err != nil {
		return nil, err
	}
	ds, err := a.st.DocumentsIn(f.ID)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(ds, func(d *store.Document) store.ID { return d.ID }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.DocumentList{Documents: []protocol.Document{}, NextCursor: next}
	for _, d := range page {
		v, err := documentView(a.st.View, d)
		if err != nil {
			return nil, err
		}
		out.Documents = append(out.Documents, *v)
	}
	return out, nil
}

// folderRotate records a new folder key version: the rotation statement,
// signed by an owner or admin whose key the membership chain holds, that
// chains from the current version, and the new key's grants.
func (a *API) folderRotate(c *call) (any, error) {
	r := c.req.(*protocol.RotateFolderRequest)
	if !isAdminRole(c.member.Role) {
		return nil, ErrNotAdmin
	}
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	rot, err := grant.ParseRotation(r.Rotation)
	if err != nil {
		return nil, err
	}
	if rot.Admin != c.account.ID.String() {
		return nil, forbidden("a rotation is posted by the admin who signed it")
	}
	if rot.FolderID != f.ID.String() || rot.Version != uint64(r.KeyVersion) || rot.Recipient.String() != r.Recipient {
		return nil, badRequest("the rotation's fields differ from the request")
	}
	if rot.Version != f.KeyVersion+1 {
		return nil, conflict("the folder's key is at version %d", f.KeyVersion)
	}
	cur, err := a.st.FolderKey(f.ID, f.KeyVersion)
	if err != nil {
		return nil, err
	}
	if rot.PreviousRecipient.String() != cur.Recipient {
		return nil, badRequest("the rotation does not chain from the folder's current key")
	}
	_, err = chainRead(a, c.tenant.ID, func(st *membership.State) (struct{}, error) {
		vk, err := st.VerifyKeyFor(rot.Admin)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, grant.VerifyRotation(rot, vk)
	})
	if err != nil {
		return nil, err
	}
	gs := make([]*checkedGrant, 0, len(r.Grants))
	for i := range r.Grants {
		up := &r.Grants[i]
		if up.ObjectKind != protocol.ObjectFolder || up.ObjectID != f.ID.String() || up.KeyVersion != r.KeyVersion {
			return nil, badRequest("a rotation's grants are of the new key version")
		}
		g, err := c.checkGrant(up, func(uint64) (string, error) { return r.Recipient, nil })
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	rec := &store.Rotation{Folder: f.ID, KeyVersion: rot.Version, Statement: r.Rotation, By: c.account.ID, Created: c.now}
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.AppendRotation(rec); err != nil {
			return err
		}
		if err := tx.PutFolderKey(&store.FolderKey{Folder: f.ID, KeyVersion: rot.Version, Recipient: r.Recipient, Created: c.now}); err != nil {
			return err
		}
		for _, g := range gs {
			if err := c.putGrant(tx, g); err != nil {
				return err
			}
		}
		return c.event(tx, c.tenant.ID, auditlog.KindFolderRotated, f.ID)
	})
	if err != nil {
		return nil, err
	}
	pending, err := a.stale(f.ID, rot.Version)
	if err != nil {
		return nil, err
	}
	return rotationView(rec, pending), nil
}

func rotationView(r *store.Rotation, pending int64) *protocol.FolderRotation {
	return &protocol.FolderRotation{
		FolderID: r.Folder.String(), KeyVersion: uint32(r.KeyVersion), Rotation: r.Statement,
		RotatedBy: r.By.String(), RotatedAt: r.Created, Pending: pending,
	}
}

// staleVersion is a document version whose key is wrapped to an older
// folder key version.
type staleVersion struct {
	doc *store.Document
	ver *store.Version
	key *store.BlobKey
}

// staleIn lists the versions of a folder's documents whose key wrap is
// older than key version kv.
func (a *API) staleIn(folder store.ID, kv uint64) ([]staleVersion, error) {
	ds, err := a.st.DocumentsIn(folder)
	if err != nil {
		return nil, err
	}
	var out []staleVersion
	for _, d := range ds {
		vs, err := a.st.Versions(d.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			bk, err := a.st.BlobKey(v.Blob)
			if err != nil {
				return nil, err
			}
			if bk.FolderKeyVersion < kv {
				out = append(out, staleVersion{d, v, bk})
			}
		}
	}
	return out, nil
}

func (a *API) stale(folder store.ID, kv uint64) (int64, error) {
	s, err := a.staleIn(folder, kv)
	return int64(len(s)), err
}

func (a *API) folderRotations(c *call) (any, error) {
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolderOrAdmin(f); err != nil {
		return nil, err
	}
	rs, err := a.st.Rotations(f.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.RotationList{Rotations: []protocol.FolderRotation{}}
	for _, r := range rs {
		n, err := a.stale(f.ID, r.KeyVersion)
		if err != nil {
			return nil, err
		}
		out.Rotations = append(out.Rotations, *rotationView(r, n))
	}
	return out, nil
}

// rewrapsList pages, by document, through the versions whose key is still
// wrapped to an older folder key version: the work a holder's client does
// after a rotation.
func (a *API) rewrapsList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	if err := c.needFolder(f); err != nil {
		return nil, err
	}
	st, err := a.staleIn(f.ID, f.KeyVersion)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(st, func(s staleVersion) store.ID { return s.doc.ID }, pg)
	if err != nil {
		return nil, err
	}
	// A page ends with a whole document: the cursor is a document id.
	if next != "" {
		last := page[len(page)-1].doc.ID
		for _, s := range st[len(page):] {
			if s.doc.ID != last {
				break
			}
			page = append(page, s)
		}
		if len(page) == len(st) {
			next = ""
		}
	}
	out := &protocol.RewrapList{Rewraps: []protocol.Rewrap{}, NextCursor: next}
	for _, s := range page {
		out.Rewraps = append(out.Rewraps, protocol.Rewrap{
			DocumentID: s.doc.ID.String(), Version: uint32(s.ver.N), FolderKeyVersion: uint32(s.key.FolderKeyVersion), KeyWrap: s.key.KeyWrap,
		})
	}
	return out, nil
}

// rewrapsStore stores document keys re-wrapped to the folder's current key
// version by a member who holds that version.
func (a *API) rewrapsStore(c *call) (any, error) {
	r := c.req.(*protocol.RewrapRequest)
	f, err := c.folderParam()
	if err != nil {
		return nil, err
	}
	ok, err := holdsVersion(a.st.View, c.account.ID, f.ID, f.KeyVersion)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, forbidden("you hold no grant of the folder's current key version")
	}
	done := 0
	err = a.st.Update(func(tx *store.Tx) error {
		cur, err := tx.Folder(f.ID)
		if err != nil {
			return err
		}
		for _, w := range r.Rewraps {
			if uint64(w.FolderKeyVersion) != cur.KeyVersion {
				return conflict("re-wraps are to the folder's current key version %d", cur.KeyVersion)
			}
			did, err := store.ParseID(w.DocumentID)
			if err != nil {
				return notFound("document")
			}
			d, err := tx.Document(did)
			if err != nil || d.Folder != f.ID {
				return notFound("document")
			}
			v, err := tx.Version(did, uint64(w.Version))
			if err != nil {
				return notFound("document version")
			}
			bk, err := tx.BlobKey(v.Blob)
			if err != nil {
				return err
			}
			if bk.FolderKeyVersion >= cur.KeyVersion {
				return conflict("a version's key is already wrapped to the current folder key")
			}
			bk.KeyWrap, bk.FolderKeyVersion = w.KeyWrap, cur.KeyVersion
			if err := tx.PutBlobKey(bk); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n, err := a.stale(f.ID, f.KeyVersion)
	if err != nil {
		return nil, err
	}
	return &protocol.RewrapResult{Done: done, Pending: n}, nil
}
