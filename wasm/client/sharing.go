package client

import (
	"context"
	"fmt"
	"slices"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Object names what a grant or an access request is about.
type Object struct {
	Kind protocol.ObjectKind
	ID   string
}

// FolderObject and DocumentObject name a folder and a document.
func FolderObject(id string) Object   { return Object{Kind: protocol.ObjectFolder, ID: id} }
func DocumentObject(id string) Object { return Object{Kind: protocol.ObjectDocument, ID: id} }

// grantsFor makes the grants that give grantee the object's keys this
// account holds: for a folder, every key version it holds (documents not
// yet re-wrapped after a rotation still need the older ones), the newest
// required; for a document, its key. The grantee's recipient is the one
// the tenant's checked membership chain holds, never the server's word.
func (c *Client) grantsFor(ctx context.Context, tenantID string, obj Object, grantee string) ([]protocol.GrantUpload, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	type versioned struct {
		v   uint64
		key *keys.Identity
	}
	var give []versioned
	kind := grant.KindFolder
	switch obj.Kind {
	case protocol.ObjectFolder:
		f, err := c.getFolder(ctx, tenantID, obj.ID)
		if err != nil {
			return nil, err
		}
		fk, err := c.folderKeysFor(ctx, tenantID, f, nil)
		if err != nil {
			return nil, err
		}
		latest, _ := fk.chain.Latest()
		if fk.keys[latest] == nil {
			return nil, fmt.Errorf("client: folder %s: %w: this account lacks its current key", obj.ID, ErrNoAccess)
		}
		for v, k := range fk.keys {
			give = append(give, versioned{v, k})
		}
		slices.SortFunc(give, func(a, b versioned) int { return cmpU64(a.v, b.v) })
	case protocol.ObjectDocument:
		kind = grant.KindDocument
		d, err := c.getDocument(ctx, tenantID, obj.ID)
		if err != nil {
			return nil, err
		}
		fk, err := c.folderKeysOf(ctx, tenantID, d.FolderID)
		if err != nil {
			return nil, err
		}
		dk, err := c.documentKey(ctx, tenantID, obj.ID, fk, &d.DocumentVersion)
		if err != nil {
			return nil, err
		}
		// Check the key before handing it on: it must open the metadata.
		if _, err := openMetadata(&d.DocumentVersion, dk); err != nil {
			return nil, err
		}
		give = []versioned{{1, dk}}
	default:
		return nil, protocol.Errorf(protocol.CodeBadRequest, "objectKind must be folder or document")
	}
	var out []protocol.GrantUpload
	err = c.withState(ctx, tenantID, func(st *membership.State, _ *tenantState) error {
		to, err := st.RecipientFor(grantee)
		if err != nil {
			return fmt.Errorf("client: sharing with %s: %w", grantee, err)
		}
		for _, g := range give {
			made, err := grant.Make(s.keyring.SigningKey(), grant.Params{
				Kind: kind, ObjectID: obj.ID, KeyVersion: g.v, Grantee: grantee, Granter: s.accountID, Time: c.now(),
			}, g.key, to)
			if err != nil {
				return fmt.Errorf("client: %w", err)
			}
			out = append(out, grantUpload(made))
		}
		return nil
	})
	return out, err
}

// Share gives a member of the tenant the keys of a folder or a document.
func (c *Client) Share(ctx context.Context, tenantID string, obj Object, memberAccountID string) ([]protocol.Grant, error) {
	gs, err := c.grantsFor(ctx, tenantID, obj, memberAccountID)
	if err != nil {
		return nil, err
	}
	var l protocol.GrantList
	if err := c.do(ctx, call(rGrantsCreate, "tenantId", tenantID).with(&protocol.CreateGrantsRequest{Grants: gs}), &l); err != nil {
		return nil, err
	}
	return l.Grants, nil
}

// Grants lists the grants of an object visible to this account (who has
// access). The list is the server's: its signed grants are what counts.
func (c *Client) Grants(ctx context.Context, tenantID, objectID string) ([]protocol.Grant, error) {
	return c.listGrants(ctx, tenantID, objectID)
}

// Revoke deletes a grant: the server stops serving it. It does not take
// back a key already fetched; for a folder, RotateFolder does that for
// everything after.
func (c *Client) Revoke(ctx context.Context, tenantID, grantID string) error {
	return c.do(ctx, call(rGrantRevoke, "tenantId", tenantID, "grantId", grantID), nil)
}

// RequestAccess asks for access to an object. message is plain text the
// server reads and shows to whoever can grant it.
func (c *Client) RequestAccess(ctx context.Context, tenantID string, obj Object, message string) (*protocol.AccessRequest, error) {
	var r protocol.AccessRequest
	if err := c.do(ctx, call(rAccessRequest, "tenantId", tenantID).with(&protocol.CreateAccessRequest{
		ObjectKind: obj.Kind, ObjectID: obj.ID, Message: message,
	}), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// PendingRequests lists the access requests waiting for a decision that
// this account can see.
func (c *Client) PendingRequests(ctx context.Context, tenantID string) ([]protocol.AccessRequest, error) {
	var out []protocol.AccessRequest
	for cursor := ""; ; {
		var l protocol.AccessRequestList
		if err := c.do(ctx, call(rAccessList, "tenantId", tenantID).page(cursor), &l); err != nil {
			return nil, err
		}
		for _, r := range l.Requests {
			if r.Status == protocol.AccessPending {
				out = append(out, r)
			}
		}
		if l.NextCursor == "" {
			return out, nil
		}
		cursor = l.NextCursor
	}
}

// Approve grants an access request: this account's client wraps the key to
// the requester's recipient from the checked membership chain, and posts
// the grant with the approval. For a folder, older key versions this
// account holds follow as further grants.
func (c *Client) Approve(ctx context.Context, tenantID string, req *protocol.AccessRequest) (*protocol.Grant, error) {
	gs, err := c.grantsFor(ctx, tenantID, Object{Kind: req.ObjectKind, ID: req.ObjectID}, req.RequesterID)
	if err != nil {
		return nil, err
	}
	newest := gs[len(gs)-1]
	var g protocol.Grant
	if err := c.do(ctx, call(rAccessApprove, "tenantId", tenantID, "requestId", req.RequestID).with(&protocol.ApproveAccessRequest{Grant: newest}), &g); err != nil {
		return nil, err
	}
	if older := gs[:len(gs)-1]; len(older) > 0 {
		if err := c.do(ctx, call(rGrantsCreate, "tenantId", tenantID).with(&protocol.CreateGrantsRequest{Grants: older}), &protocol.GrantList{}); err != nil {
			return &g, err
		}
	}
	return &g, nil
}

// Deny refuses an access request; reason is shown to the requester.
func (c *Client) Deny(ctx context.Context, tenantID, requestID, reason string) error {
	return c.do(ctx, call(rAccessDeny, "tenantId", tenantID, "requestId", requestID).with(&protocol.DenyRequest{Reason: reason}), nil)
}
