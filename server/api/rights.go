package api

import (
	"errors"

	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// Rights on folders and documents (SPEC part 30). Holding a key is the
// right: a member may read, upload to or share a folder when the server
// holds a grant of the folder's key to them, and a document when it holds a
// grant of the document's key or of its folder's key. Admins manage
// (list, delete, rotate) but, like everyone, open nothing without a grant.

// folderIn returns a folder of the call's tenant.
func (c *call) folderIn(id store.ID) (*store.Folder, error) {
	f, err := c.a.st.Folder(id)
	if err != nil || f.Tenant != c.tenant.ID {
		return nil, notFound("folder")
	}
	return f, nil
}

func (c *call) folderParam() (*store.Folder, error) {
	id, err := c.pathID("folderId", "folder")
	if err != nil {
		return nil, err
	}
	return c.folderIn(id)
}

// documentIn returns a document of the call's tenant.
func (c *call) documentIn(id store.ID) (*store.Document, error) {
	d, err := c.a.st.Document(id)
	if err != nil || d.Tenant != c.tenant.ID {
		return nil, notFound("document")
	}
	return d, nil
}

func (c *call) documentParam() (*store.Document, error) {
	id, err := c.pathID("documentId", "document")
	if err != nil {
		return nil, err
	}
	return c.documentIn(id)
}

// holds reports whether acct holds a grant on object.
func holds(v store.View, acct, object store.ID) (bool, error) {
	gs, err := v.GrantsToFor(acct, object)
	return len(gs) > 0, err
}

// holdsVersion reports whether acct holds a grant of version kv of a
// folder's key.
func holdsVersion(v store.View, acct, folder store.ID, kv uint64) (bool, error) {
	gs, err := v.GrantsToFor(acct, folder)
	if err != nil {
		return false, err
	}
	for _, g := range gs {
		if g.KeyVersion == kv {
			return true, nil
		}
	}
	return false, nil
}

func holdsDocument(v store.View, acct store.ID, d *store.Document) (bool, error) {
	ok, err := holds(v, acct, d.ID)
	if err != nil || ok {
		return ok, err
	}
	return holds(v, acct, d.Folder)
}

var (
	errNoFolderKey   = forbidden("you hold no key of this folder")
	errNoDocumentKey = forbidden("you hold no key of this document")
)

func (c *call) needFolder(f *store.Folder) error {
	ok, err := holds(c.a.st.View, c.account.ID, f.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errNoFolderKey
	}
	return nil
}

// needFolderOrAdmin lets the tenant's admins manage a folder they cannot
// open.
func (c *call) needFolderOrAdmin(f *store.Folder) error {
	if isAdminRole(c.member.Role) {
		return nil
	}
	return c.needFolder(f)
}

func (c *call) needDocument(d *store.Document) error {
	ok, err := holdsDocument(c.a.st.View, c.account.ID, d)
	if err != nil {
		return err
	}
	if !ok {
		return errNoDocumentKey
	}
	return nil
}

func objectKind(k protocol.ObjectKind) (store.ObjectKind, grant.Kind) {
	if k == protocol.ObjectFolder {
		return store.ObjectFolder, grant.KindFolder
	}
	return store.ObjectDocument, grant.KindDocument
}

func protocolKind(k store.ObjectKind) protocol.ObjectKind {
	if k == store.ObjectFolder {
		return protocol.ObjectFolder
	}
	return protocol.ObjectDocument
}

// checkedGrant is a grant the server verified, ready to store.
type checkedGrant struct {
	rec *store.Grant
	up  protocol.GrantUpload
}

// checkGrant verifies an uploaded grant before the server stores it: the
// bytes parse (keys/grant) and say what the fields beside them say; the
// caller is the granter and the signature verifies under the caller's key in
// the tenant's membership chain; the grantee is a member and the key is
// wrapped to the grantee's recipient in the chain. For a folder key, the
// granted key's recipient MUST be the one recorded for that key version.
// Whether the caller may share the object is the route's to check.
func (c *call) checkGrant(up *protocol.GrantUpload, folderRecipient func(kv uint64) (string, error)) (*checkedGrant, error) {
	g, err := grant.Parse(up.Grant)
	if err != nil {
		return nil, err
	}
	sk, gk := objectKind(up.ObjectKind)
	if g.Kind != gk || g.ObjectID != up.ObjectID || g.KeyVersion != uint64(up.KeyVersion) || g.Grantee != up.GranteeID {
		return nil, badRequest("the grant's fields differ from its signed bytes")
	}
	if g.Granter != c.account.ID.String() {
		return nil, forbidden("a grant is posted by the member who signed it")
	}
	obj, err := parseID("objectId", up.ObjectID)
	if err != nil {
		return nil, err
	}
	grantee, err := store.ParseID(up.GranteeID)
	if err != nil {
		return nil, notFound("grantee")
	}
	if gk == grant.KindFolder && folderRecipient != nil {
		want, err := folderRecipient(uint64(up.KeyVersion))
		if err != nil {
			return nil, err
		}
		if g.KeyRecipient.String() != want {
			return nil, badRequest("the granted key is not that folder key version")
		}
	}
	_, err = chainRead(c.a, c.tenant.ID, func(st *membership.State) (struct{}, error) {
		vk, err := st.VerifyKeyFor(g.Granter)
		if err != nil {
			return struct{}{}, err
		}
		if err := grant.Verify(g, vk); err != nil {
			return struct{}{}, err
		}
		if err := st.CheckRecipient(g.Grantee, g.GranteeRecipient); err != nil {
			if errors.Is(err, membership.ErrUnknownMember) {
				return struct{}{}, notFound("member to grant to")
			}
			return struct{}{}, err
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	return &checkedGrant{up: *up, rec: &store.Grant{
		ID: store.NewID(), Tenant: c.tenant.ID, Object: obj, ObjectKind: sk, Grantee: grantee, Granter: c.account.ID,
		KeyVersion: g.KeyVersion, Wrapped: g.Wrapped, Statement: up.Grant, Created: c.now,
	}}, nil
}

// putGrant stores a checked grant with its audit event.
func (c *call) putGrant(tx *store.Tx, g *checkedGrant) error {
	if _, err := tx.Member(c.tenant.ID, g.rec.Grantee); err != nil {
		return notFound("member to grant to")
	}
	if err := tx.PutGrant(g.rec); err != nil {
		return err
	}
	return c.event(tx, c.tenant.ID, auditlog.KindGrantCreated, g.rec.ID, g.rec.Object, g.rec.Grantee)
}

func grantView(g *store.Grant) protocol.Grant {
	return protocol.Grant{
		GrantID: g.ID.String(),
		GrantUpload: protocol.GrantUpload{
			Grant: g.Statement, GranteeID: g.Grantee.String(), ObjectKind: protocolKind(g.ObjectKind),
			ObjectID: g.Object.String(), KeyVersion: uint32(g.KeyVersion),
		},
		GranterID: g.Granter.String(), CreatedAt: g.Created,
	}
}

// folderRecipientOf returns the recorded recipient of a folder key version.
func (c *call) folderRecipientOf(folder store.ID) func(uint64) (string, error) {
	return func(kv uint64) (string, error) {
		k, err := c.a.st.FolderKey(folder, kv)
		if err != nil {
			return "", badRequest("the folder has no key version %d", kv)
		}
		return k.Recipient, nil
	}
}
