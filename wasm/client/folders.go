package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Folder is a folder with its name decrypted, if this account holds a key
// that opens it.
type Folder struct {
	ID       string
	ParentID string
	// Name is the decrypted name; empty when Err is set.
	Name string
	// Err says why the name could not be read: ErrNoAccess when this
	// account holds no key of the folder, or a failed check of the folder's
	// key chain or grants, which is worth showing.
	Err        error
	KeyVersion uint32
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// folderKeys are a folder's checked key versions and the ones this account
// holds.
type folderKeys struct {
	chain *grant.Chain
	keys  map[uint64]*keys.Identity
}

// newest returns the newest version this account holds.
func (f *folderKeys) newest() (uint64, *keys.Identity) {
	var v uint64
	for k := range f.keys {
		v = max(v, k)
	}
	return v, f.keys[v]
}

// withState runs fn on the tenant's checked membership state, brought up
// to the server's head first.
func (c *Client) withState(ctx context.Context, tenantID string, fn func(st *membership.State, t *tenantState) error) error {
	t := c.tenant(tenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := c.refreshLocked(ctx, t, tenantID); err != nil {
		return err
	}
	return fn(t.state, t)
}

// admins accepts a folder rotation signer when the checked chain says they
// are an owner or admin whose current verify key signed it (SPEC §Folder key
// versions).
func admins(st *membership.State) grant.Admins {
	return grant.AdminsFunc(func(accountID string, key keys.VerifyKey) error {
		m, err := st.Member(accountID)
		if err != nil || (m.Role != protocol.RoleOwner && m.Role != protocol.RoleAdmin) || m.VerifyKey != key {
			return grant.ErrNotAdmin
		}
		return nil
	})
}

// openGrant accepts a grant to this account: parsed strictly, signed by the
// key the chain holds for its granter (who must be a member), addressed to
// this account, and opening to the key it names.
func openGrant(st *membership.State, s *session, raw []byte) (*grant.Grant, *keys.Identity, error) {
	g, err := grant.Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	if g.Grantee != s.accountID {
		return nil, nil, grant.ErrWrongGrantee
	}
	vk, err := st.VerifyKeyFor(g.Granter)
	if err != nil {
		return nil, nil, err
	}
	if err := grant.Verify(g, vk); err != nil {
		return nil, nil, err
	}
	id, err := grant.Open(g, s.keyring.Identity())
	if err != nil {
		return nil, nil, err
	}
	return g, id, nil
}

// listGrants reads every grant of an object visible to this account.
func (c *Client) listGrants(ctx context.Context, tenantID, objectID string) ([]protocol.Grant, error) {
	var out []protocol.Grant
	for cursor := ""; ; {
		var l protocol.GrantList
		if err := c.do(ctx, call(rGrantsList, "tenantId", tenantID).q("objectId", objectID).page(cursor), &l); err != nil {
			return nil, err
		}
		out = append(out, l.Grants...)
		if l.NextCursor == "" {
			return out, nil
		}
		cursor = l.NextCursor
	}
}

// myGrants reads every grant to this account in the tenant, by object id.
func (c *Client) myGrants(ctx context.Context, tenantID string) (map[string][]protocol.Grant, error) {
	out := make(map[string][]protocol.Grant)
	for cursor := ""; ; {
		var l protocol.GrantList
		if err := c.do(ctx, call(rGrantsMine, "tenantId", tenantID).page(cursor), &l); err != nil {
			return nil, err
		}
		for _, g := range l.Grants {
			out[g.ObjectID] = append(out[g.ObjectID], g)
		}
		if l.NextCursor == "" {
			return out, nil
		}
		cursor = l.NextCursor
	}
}

func (c *Client) getFolder(ctx context.Context, tenantID, folderID string) (*protocol.Folder, error) {
	var f protocol.Folder
	if err := c.do(ctx, call(rFolderGet, "tenantId", tenantID, "folderId", folderID), &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// folderKeysFor checks a folder's key chain and opens the grants of it to
// this account. f is the folder's record (fetched if nil); grants are the
// grants to this account of the folder (fetched if nil). A cached result is
// used while it knows the folder's current key version.
func (c *Client) folderKeysFor(ctx context.Context, tenantID string, f *protocol.Folder, grants []protocol.Grant) (*folderKeys, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("client: folderKeysFor without a folder")
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	if fk := t.folderKeys[f.FolderID]; fk != nil {
		// A cached result is used while it knows the current version and
		// holds its key; otherwise grants may have come since.
		if v, r := fk.chain.Latest(); v == uint64(f.KeyVersion) && r.String() == f.Recipient && fk.keys[v] != nil {
			t.mu.Unlock()
			return fk, nil
		}
	}
	t.mu.Unlock()

	var rl protocol.RotationList
	if err := c.do(ctx, call(rFolderRotations, "tenantId", tenantID, "folderId", f.FolderID), &rl); err != nil {
		return nil, err
	}
	rots := make([]*grant.FolderRotation, 0, len(rl.Rotations))
	for _, r := range rl.Rotations {
		p, err := grant.ParseRotation(r.Rotation)
		if err != nil {
			return nil, fmt.Errorf("client: folder %s: %w", f.FolderID, err)
		}
		rots = append(rots, p)
	}
	slices.SortFunc(rots, func(a, b *grant.FolderRotation) int { return cmpU64(a.Version, b.Version) })
	// Version 1's recipient: named by the first rotation's signature, or,
	// with no rotation, the folder's current one, which every grant of
	// version 1 is then checked against.
	var first keys.Recipient
	if len(rots) > 0 {
		first = rots[0].PreviousRecipient
	} else if first, err = keys.ParseRecipient(f.Recipient); err != nil {
		return nil, fmt.Errorf("client: folder %s: %w: %w", f.FolderID, ErrBadResponse, err)
	}
	if grants == nil {
		all, err := c.listGrants(ctx, tenantID, f.FolderID)
		if err != nil {
			return nil, err
		}
		for _, g := range all {
			if g.GranteeID == s.accountID {
				grants = append(grants, g)
			}
		}
	}
	fk := &folderKeys{keys: make(map[uint64]*keys.Identity)}
	err = c.withState(ctx, tenantID, func(st *membership.State, t *tenantState) error {
		chain, err := grant.CheckChain(f.FolderID, first, rots, admins(st))
		if err != nil {
			return fmt.Errorf("client: folder %s: %w", f.FolderID, err)
		}
		if v, r := chain.Latest(); v != uint64(f.KeyVersion) || r.String() != f.Recipient {
			return fmt.Errorf("client: folder %s: %w: its key version is not its rotations' newest", f.FolderID, ErrInconsistent)
		}
		fk.chain = chain
		for _, pg := range grants {
			g, id, err := openGrant(st, s, pg.Grant)
			if err != nil {
				continue // a grant that does not check out opens nothing
			}
			if g.Kind != grant.KindFolder || g.ObjectID != f.FolderID || chain.CheckGrant(g) != nil {
				continue
			}
			fk.keys[g.KeyVersion] = id
		}
		t.folderKeys[f.FolderID] = fk
		return nil
	})
	if err != nil {
		return nil, err
	}
	return fk, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// folderName opens a folder's name with the newest key that opens it.
func folderName(sealed []byte, fk *folderKeys) (string, *keys.Identity, error) {
	vs := make([]uint64, 0, len(fk.keys))
	for v := range fk.keys {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	slices.Reverse(vs)
	for _, v := range vs {
		if m, err := document.OpenFolderMetadata(sealed, fk.keys[v]); err == nil {
			return m.Name, fk.keys[v], nil
		}
	}
	return "", nil, ErrNoAccess
}

func (c *Client) folderOf(ctx context.Context, tenantID string, f *protocol.Folder, grants []protocol.Grant) Folder {
	out := Folder{
		ID: f.FolderID, ParentID: f.ParentID, KeyVersion: f.KeyVersion,
		CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
	}
	fk, err := c.folderKeysFor(ctx, tenantID, f, grants)
	if err != nil {
		out.Err = err
		return out
	}
	out.Name, _, out.Err = folderName(f.Name, fk)
	return out
}

// CreateFolder creates a folder under parentID (the tenant's root when
// empty): a fresh folder key, the name sealed to it, and a grant of it to
// this account, made with the recipient the checked membership chain holds
// for this account.
func (c *Client) CreateFolder(ctx context.Context, tenantID, parentID, name string) (*Folder, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	key := document.NewKey()
	id := newID()
	sealed, err := document.SealFolderMetadata(&document.FolderMetadata{Name: name}, key.Recipient())
	if err != nil {
		return nil, fmt.Errorf("client: folder name: %w", err)
	}
	var g *grant.Grant
	err = c.withState(ctx, tenantID, func(st *membership.State, _ *tenantState) error {
		to, err := st.RecipientFor(s.accountID)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		g, err = grant.Make(s.keyring.SigningKey(), grant.Params{
			Kind: grant.KindFolder, ObjectID: id, KeyVersion: 1, Grantee: s.accountID, Granter: s.accountID, Time: c.now(),
		}, key, to)
		return err
	})
	if err != nil {
		return nil, err
	}
	var f protocol.Folder
	if err := c.do(ctx, call(rFoldersCreate, "tenantId", tenantID).with(&protocol.CreateFolderRequest{
		FolderID: id, ParentID: parentID, Name: sealed, Recipient: key.Recipient().String(),
		Grants: []protocol.GrantUpload{grantUpload(g)},
	}), &f); err != nil {
		return nil, err
	}
	if f.FolderID != id {
		return nil, fmt.Errorf("client: %w: created folder %s came back as another", ErrInconsistent, id)
	}
	chain, err := grant.CheckChain(id, key.Recipient(), nil, grant.AdminsFunc(func(string, keys.VerifyKey) error { return grant.ErrNotAdmin }))
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	t.folderKeys[id] = &folderKeys{chain: chain, keys: map[uint64]*keys.Identity{1: key}}
	t.mu.Unlock()
	out := Folder{ID: id, ParentID: f.ParentID, Name: name, KeyVersion: f.KeyVersion, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
	return &out, nil
}

func grantUpload(g *grant.Grant) protocol.GrantUpload {
	kind := protocol.ObjectFolder
	if g.Kind == grant.KindDocument {
		kind = protocol.ObjectDocument
	}
	return protocol.GrantUpload{Grant: g.Bytes(), GranteeID: g.Grantee, ObjectKind: kind, ObjectID: g.ObjectID, KeyVersion: uint32(g.KeyVersion)}
}

// Folder returns one folder with its name decrypted.
func (c *Client) Folder(ctx context.Context, tenantID, folderID string) (*Folder, error) {
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		return nil, err
	}
	out := c.folderOf(ctx, tenantID, f, nil)
	return &out, nil
}

// ListFolders lists the folders under parentID (the root when empty), with
// the names this account can open decrypted.
func (c *Client) ListFolders(ctx context.Context, tenantID, parentID string) ([]Folder, error) {
	raw, err := c.listFolders(ctx, tenantID, parentID)
	if err != nil {
		return nil, err
	}
	mine, err := c.myGrants(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Folder, len(raw))
	for i := range raw {
		g := mine[raw[i].FolderID]
		if g == nil {
			g = []protocol.Grant{}
		}
		out[i] = c.folderOf(ctx, tenantID, &raw[i], g)
	}
	return out, nil
}

func (c *Client) listFolders(ctx context.Context, tenantID, parentID string) ([]protocol.Folder, error) {
	var out []protocol.Folder
	for cursor := ""; ; {
		r := call(rFoldersList, "tenantId", tenantID).page(cursor)
		if parentID != "" {
			r.q("parent", parentID)
		}
		var l protocol.FolderList
		if err := c.do(ctx, r, &l); err != nil {
			return nil, err
		}
		out = append(out, l.Folders...)
		if l.NextCursor == "" {
			return out, nil
		}
		cursor = l.NextCursor
	}
}

// RenameFolder replaces a folder's name, sealed to its current key version
// as its checked rotations give it.
func (c *Client) RenameFolder(ctx context.Context, tenantID, folderID, name string) error {
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		return err
	}
	fk, err := c.folderKeysFor(ctx, tenantID, f, nil)
	if err != nil {
		return err
	}
	_, to := fk.chain.Latest()
	sealed, err := document.SealFolderMetadata(&document.FolderMetadata{Name: name}, to)
	if err != nil {
		return fmt.Errorf("client: folder name: %w", err)
	}
	return c.do(ctx, call(rFolderRename, "tenantId", tenantID, "folderId", folderID).with(&protocol.RenameFolderRequest{Name: sealed}), &protocol.Folder{})
}

// MoveFolder moves a folder under parentID (the root when empty).
func (c *Client) MoveFolder(ctx context.Context, tenantID, folderID, parentID string) error {
	return c.do(ctx, call(rFolderMove, "tenantId", tenantID, "folderId", folderID).with(&protocol.MoveFolderRequest{ParentID: parentID}), &protocol.Folder{})
}

// DeleteFolder deletes a folder.
func (c *Client) DeleteFolder(ctx context.Context, tenantID, folderID string) error {
	err := c.do(ctx, call(rFolderDelete, "tenantId", tenantID, "folderId", folderID), nil)
	if err == nil {
		t := c.tenant(tenantID)
		t.mu.Lock()
		delete(t.folderKeys, folderID)
		t.mu.Unlock()
	}
	return err
}

// RotateFolder makes a new key version of a folder after removed lost
// access: a new folder key, the rotation statement signed by this account
// (an owner or admin), and grants of the new key to every member who keeps
// access. Those are the grantees of the folder's grants that check out
// (signed by a member under the key the chain holds), less removed, and this
// account; each is wrapped to the recipient the checked chain holds. If
// this account can read the folder's name, the name is sealed again to the
// new key. Document keys move to the new version lazily (RewrapFolder).
func (c *Client) RotateFolder(ctx context.Context, tenantID, folderID, removed string) error {
	s, err := c.unlocked()
	if err != nil {
		return err
	}
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		return err
	}
	fk, err := c.folderKeysFor(ctx, tenantID, f, nil)
	if err != nil {
		return err
	}
	all, err := c.listGrants(ctx, tenantID, folderID)
	if err != nil {
		return err
	}
	prevV, prevR := fk.chain.Latest()
	var req protocol.RotateFolderRequest
	var newKey *keys.Identity
	err = c.withState(ctx, tenantID, func(st *membership.State, _ *tenantState) error {
		rot, key, err := grant.Rotate(s.keyring.SigningKey(), grant.RotationParams{
			FolderID: folderID, Previous: prevV, Removed: removed, Admin: s.accountID, Time: c.now(),
		}, prevR)
		if err != nil {
			return fmt.Errorf("client: rotating folder %s: %w", folderID, err)
		}
		newKey = key
		keep := map[string]bool{s.accountID: true}
		for _, pg := range all {
			g, err := grant.Parse(pg.Grant)
			if err != nil || g.Kind != grant.KindFolder || g.ObjectID != folderID || g.Grantee == removed {
				continue
			}
			vk, err := st.VerifyKeyFor(g.Granter)
			if err != nil || grant.Verify(g, vk) != nil {
				continue
			}
			if _, err := st.Member(g.Grantee); err == nil {
				keep[g.Grantee] = true
			}
		}
		ids := make([]string, 0, len(keep))
		for id := range keep {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		req = protocol.RotateFolderRequest{KeyVersion: uint32(prevV + 1), Recipient: key.Recipient().String(), Rotation: rot.Bytes()}
		for _, id := range ids {
			to, err := st.RecipientFor(id)
			if err != nil {
				return fmt.Errorf("client: %w", err)
			}
			g, err := grant.Make(s.keyring.SigningKey(), grant.Params{
				Kind: grant.KindFolder, ObjectID: folderID, KeyVersion: prevV + 1, Grantee: id, Granter: s.accountID, Time: c.now(),
			}, key, to)
			if err != nil {
				return fmt.Errorf("client: %w", err)
			}
			req.Grants = append(req.Grants, grantUpload(g))
		}
		return nil
	})
	if err != nil {
		return err
	}
	var done protocol.FolderRotation
	if err := c.do(ctx, call(rFolderRotate, "tenantId", tenantID, "folderId", folderID).with(&req), &done); err != nil {
		return err
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	delete(t.folderKeys, folderID)
	t.mu.Unlock()
	if name, _, err := folderName(f.Name, fk); err == nil {
		sealed, err := document.SealFolderMetadata(&document.FolderMetadata{Name: name}, newKey.Recipient())
		if err != nil {
			return fmt.Errorf("client: folder name: %w", err)
		}
		return c.do(ctx, call(rFolderRename, "tenantId", tenantID, "folderId", folderID).with(&protocol.RenameFolderRequest{Name: sealed}), &protocol.Folder{})
	}
	return nil
}

// foldersHeldBy walks the tenant's folder tree as this account sees it and
// returns the folders the account holds a grant of.
func (c *Client) foldersHeldBy(ctx context.Context, tenantID, accountID string) ([]string, error) {
	var held []string
	queue := []string{""}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		folders, err := c.listFolders(ctx, tenantID, parent)
		if err != nil {
			return nil, err
		}
		for _, f := range folders {
			queue = append(queue, f.FolderID)
			grants, err := c.listGrants(ctx, tenantID, f.FolderID)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(grants, func(g protocol.Grant) bool { return g.GranteeID == accountID }) {
				held = append(held, f.FolderID)
			}
		}
	}
	return held, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// RewrapFolder moves the document keys of a folder still wrapped to an
// older key version to the current one (the lazy re-wrap after a rotation),
// for the versions this account holds. It returns how many it moved.
func (c *Client) RewrapFolder(ctx context.Context, tenantID, folderID string) (int, error) {
	f, err := c.getFolder(ctx, tenantID, folderID)
	if err != nil {
		return 0, err
	}
	fk, err := c.folderKeysFor(ctx, tenantID, f, nil)
	if err != nil {
		return 0, err
	}
	latest, to := fk.chain.Latest()
	var batch []protocol.Rewrap
	for cursor := ""; ; {
		var l protocol.RewrapList
		if err := c.do(ctx, call(rRewrapsList, "tenantId", tenantID, "folderId", folderID).page(cursor), &l); err != nil {
			return 0, err
		}
		for _, w := range l.Rewraps {
			old := fk.keys[uint64(w.FolderKeyVersion)]
			if old == nil || uint64(w.FolderKeyVersion) >= latest {
				continue
			}
			dk, err := document.UnwrapKey(w.KeyWrap, old)
			if err != nil {
				continue
			}
			nw, err := document.WrapKey(dk, to)
			if err != nil {
				return 0, fmt.Errorf("client: %w", err)
			}
			batch = append(batch, protocol.Rewrap{DocumentID: w.DocumentID, Version: w.Version, FolderKeyVersion: uint32(latest), KeyWrap: nw})
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	done := 0
	for len(batch) > 0 {
		n := min(len(batch), protocol.MaxBatch)
		var res protocol.RewrapResult
		if err := c.do(ctx, call(rRewrapsStore, "tenantId", tenantID, "folderId", folderID).with(&protocol.RewrapRequest{Rewraps: batch[:n]}), &res); err != nil {
			return done, err
		}
		done += res.Done
		batch = batch[n:]
	}
	return done, nil
}
