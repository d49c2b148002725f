package api

import (
	"fmt"
	"slices"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

func (a *API) grantHandlers() map[string]handler {
	return map[string]handler{
		"grants.create":  a.grantsCreate,
		"grants.list":    a.grantsList,
		"grants.mine":    a.grantsMine,
		"grants.revoke":  a.grantsRevoke,
		"access.request": a.accessRequest,
		"access.list":    a.accessList,
		"access.approve": a.accessApprove,
		"access.deny":    a.accessDeny,
	}
}

// object is a folder or document of the call's tenant.
type object struct {
	id     store.ID
	kind   store.ObjectKind
	folder *store.Folder
	doc    *store.Document
}

func (c *call) objectIn(kind protocol.ObjectKind, s string) (*object, error) {
	id, err := store.ParseID(s)
	if err != nil {
		return nil, notFound(string(kind))
	}
	if kind == protocol.ObjectFolder {
		f, err := c.folderIn(id)
		if err != nil {
			return nil, err
		}
		return &object{id: id, kind: store.ObjectFolder, folder: f}, nil
	}
	d, err := c.documentIn(id)
	if err != nil {
		return nil, err
	}
	return &object{id: id, kind: store.ObjectDocument, doc: d}, nil
}

// objectByID finds an object of the tenant by id alone.
func (c *call) objectByID(id store.ID) (*object, error) {
	if f, err := c.folderIn(id); err == nil {
		return &object{id: id, kind: store.ObjectFolder, folder: f}, nil
	}
	if d, err := c.documentIn(id); err == nil {
		return &object{id: id, kind: store.ObjectDocument, doc: d}, nil
	}
	return nil, notFound("folder or document")
}

// holdsObject reports whether acct holds a key of the object.
func (c *call) holdsObject(acct store.ID, o *object) (bool, error) {
	if o.folder != nil {
		return holds(c.a.st.View, acct, o.id)
	}
	return holdsDocument(c.a.st.View, acct, o.doc)
}

func (c *call) needObject(o *object) error {
	ok, err := c.holdsObject(c.account.ID, o)
	if err != nil {
		return err
	}
	if !ok {
		return forbidden("you hold no key of this %s", protocolKind(o.kind))
	}
	return nil
}

// checkGrantFor checks an uploaded grant of an object the caller holds.
func (c *call) checkGrantFor(up *protocol.GrantUpload) (*checkedGrant, error) {
	o, err := c.objectIn(up.ObjectKind, up.ObjectID)
	if err != nil {
		return nil, err
	}
	if err := c.needObject(o); err != nil {
		return nil, err
	}
	var rec func(uint64) (string, error)
	if o.folder != nil {
		if uint64(up.KeyVersion) > o.folder.KeyVersion {
			return nil, badRequest("the folder has no key version %d", up.KeyVersion)
		}
		rec = c.folderRecipientOf(o.id)
	} else if up.KeyVersion != 1 {
		return nil, badRequest("a document grant is of key version 1")
	}
	return c.checkGrant(up, rec)
}

// grantsCreate stores grants the caller made: the server checks each and
// never makes one.
func (a *API) grantsCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateGrantsRequest)
	gs := make([]*checkedGrant, 0, len(r.Grants))
	for i := range r.Grants {
		g, err := c.checkGrantFor(&r.Grants[i])
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	out := &protocol.GrantList{Grants: []protocol.Grant{}}
	err := a.st.Update(func(tx *store.Tx) error {
		for _, g := range gs {
			if err := c.putGrant(tx, g); err != nil {
				return err
			}
			out.Grants = append(out.Grants, grantView(g.rec))
		}
		return nil
	})
	return out, err
}

// grantsList lists the grants on one object to the object's holders and
// the tenant's admins.
func (a *API) grantsList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	oid := c.ctx.QueryArgs().Peek("objectId")
	if oid == nil {
		return nil, badRequest("query parameter objectId is required")
	}
	id, err := store.ParseID(string(oid))
	if err != nil {
		return nil, notFound("folder or document")
	}
	o, err := c.objectByID(id)
	if err != nil {
		return nil, err
	}
	if !isAdminRole(c.member.Role) {
		if err := c.needObject(o); err != nil {
			return nil, err
		}
	}
	gs, err := a.st.GrantsOn(o.id)
	if err != nil {
		return nil, err
	}
	return grantPage(gs, pg)
}

func grantPage(gs []*store.Grant, pg protocol.Page) (*protocol.GrantList, error) {
	page, next, err := pageOf(gs, func(g *store.Grant) store.ID { return g.ID }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.GrantList{Grants: []protocol.Grant{}, NextCursor: next}
	for _, g := range page {
		out.Grants = append(out.Grants, grantView(g))
	}
	return out, nil
}

func (a *API) grantsMine(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	all, err := a.st.GrantsTo(c.account.ID)
	if err != nil {
		return nil, err
	}
	var gs []*store.Grant
	for _, g := range all {
		if g.Tenant == c.tenant.ID {
			gs = append(gs, g)
		}
	}
	slices.SortFunc(gs, func(x, y *store.Grant) int { return compareID(x.ID, y.ID) })
	return grantPage(gs, pg)
}

func compareID(x, y store.ID) int {
	for i := range x {
		if x[i] != y[i] {
			return int(x[i]) - int(y[i])
		}
	}
	return 0
}

// grantsRevoke deletes a grant: its granter, its grantee (giving it up)
// and the tenant's admins may. Keys already opened stay opened; a folder
// rotation is what protects what comes next.
func (a *API) grantsRevoke(c *call) (any, error) {
	id, err := c.pathID("grantId", "grant")
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		g, err := tx.Grant(id)
		if err != nil || g.Tenant != c.tenant.ID {
			return notFound("grant")
		}
		if g.Granter != c.account.ID && g.Grantee != c.account.ID && !isAdminRole(c.member.Role) {
			return forbidden("only the granter, the grantee and admins revoke a grant")
		}
		if err := tx.RevokeGrant(id); err != nil {
			return err
		}
		return c.event(tx, c.tenant.ID, auditlog.KindGrantRevoked, g.ID, g.Object, g.Grantee)
	})
}

func requestView(v store.View, r *store.AccessRequest) (protocol.AccessRequest, error) {
	out := protocol.AccessRequest{
		RequestID: r.ID.String(), RequesterID: r.Requester.String(), ObjectKind: protocolKind(r.ObjectKind),
		ObjectID: r.Object.String(), CreatedAt: r.Created,
	}
	switch r.State {
	case store.RequestPending:
		out.Status = protocol.AccessPending
	case store.RequestApproved:
		out.Status = protocol.AccessApproved
	case store.RequestDenied:
		out.Status = protocol.AccessDenied
	}
	if !r.DecidedBy.IsZero() {
		out.DecidedBy = r.DecidedBy.String()
	}
	note, err := v.RequestNote(r.ID)
	out.Message = note
	return out, err
}

func (a *API) accessRequest(c *call) (any, error) {
	r := c.req.(*protocol.CreateAccessRequest)
	o, err := c.objectIn(r.ObjectKind, r.ObjectID)
	if err != nil {
		return nil, err
	}
	if ok, err := c.holdsObject(c.account.ID, o); err != nil {
		return nil, err
	} else if ok {
		return nil, conflict("you hold a key of this %s already", r.ObjectKind)
	}
	ar := &store.AccessRequest{ID: store.NewID(), Tenant: c.tenant.ID, Object: o.id, ObjectKind: o.kind, Requester: c.account.ID, Created: c.now}
	var out protocol.AccessRequest
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.CreateAccessRequest(ar); err != nil {
			return err
		}
		if err := tx.PutRequestNote(ar.ID, r.Message); err != nil {
			return err
		}
		if err := c.event(tx, c.tenant.ID, auditlog.KindAccessRequested, ar.ID, o.id); err != nil {
			return err
		}
		var err error
		out, err = requestView(tx.View, ar)
		return err
	})
	return &out, err
}

// accessList shows the tenant's admins every request, and others the
// requests they made and those on objects they hold.
func (a *API) accessList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	all, err := a.st.AccessRequestsIn(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	var rs []*store.AccessRequest
	for _, r := range all {
		ok := isAdminRole(c.member.Role) || r.Requester == c.account.ID
		if !ok {
			if o, err := c.objectByID(r.Object); err == nil {
				if ok, err = c.holdsObject(c.account.ID, o); err != nil {
					return nil, err
				}
			}
		}
		if ok {
			rs = append(rs, r)
		}
	}
	page, next, err := pageOf(rs, func(r *store.AccessRequest) store.ID { return r.ID }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.AccessRequestList{Requests: []protocol.AccessRequest{}, NextCursor: next}
	for _, r := range page {
		v, err := requestView(a.st.View, r)
		if err != nil {
			return nil, err
		}
		out.Requests = append(out.Requests, v)
	}
	return out, nil
}

func (c *call) accessRequestParam() (*store.AccessRequest, *object, error) {
	id, err := c.pathID("requestId", "access request")
	if err != nil {
		return nil, nil, err
	}
	r, err := c.a.st.AccessRequest(id)
	if err != nil || r.Tenant != c.tenant.ID {
		return nil, nil, notFound("access request")
	}
	o, err := c.objectByID(r.Object)
	if err != nil {
		return nil, nil, err
	}
	return r, o, nil
}

// accessApprove approves a request with the grant the approver made in
// their own browser: to the requester, of the requested object. Holding the
// key is what approving needs; the admin role alone cannot make a grant.
func (a *API) accessApprove(c *call) (any, error) {
	body := c.req.(*protocol.ApproveAccessRequest)
	r, o, err := c.accessRequestParam()
	if err != nil {
		return nil, err
	}
	if r.State != store.RequestPending {
		return nil, conflict("the request is no longer pending")
	}
	if body.Grant.GranteeID != r.Requester.String() || body.Grant.ObjectID != r.Object.String() || body.Grant.ObjectKind != protocolKind(r.ObjectKind) {
		return nil, badRequest("the grant must be to the requester, of the requested object")
	}
	g, err := c.checkGrantFor(&body.Grant)
	if err != nil {
		return nil, err
	}
	err = a.st.Update(func(tx *store.Tx) error {
		if _, err := tx.DecideAccessRequest(r.ID, store.RequestApproved, c.account.ID); err != nil {
			return err
		}
		if err := c.putGrant(tx, g); err != nil {
			return err
		}
		return c.event(tx, c.tenant.ID, auditlog.KindAccessApproved, r.ID, g.rec.ID, o.id, r.Requester)
	})
	if err != nil {
		return nil, err
	}
	if acct, err := a.st.Account(r.Requester); err == nil {
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: acct.Email, Subject: "Your Vellum access request was approved",
			Body: fmt.Sprintf("%s approved your request for access. Open Vellum to see it.", c.account.Email)})
	}
	v := grantView(g.rec)
	return &v, nil
}

func (a *API) accessDeny(c *call) (any, error) {
	body := c.req.(*protocol.DenyRequest)
	r, o, err := c.accessRequestParam()
	if err != nil {
		return nil, err
	}
	if !isAdminRole(c.member.Role) {
		if err := c.needObject(o); err != nil {
			return nil, err
		}
	}
	err = a.st.Update(func(tx *store.Tx) error {
		if _, err := tx.DecideAccessRequest(r.ID, store.RequestDenied, c.account.ID); err != nil {
			return err
		}
		return c.event(tx, c.tenant.ID, auditlog.KindAccessDenied, r.ID, o.id, r.Requester)
	})
	if err != nil {
		return nil, err
	}
	if acct, err := a.st.Account(r.Requester); err == nil {
		msg := "Your request for access in Vellum was denied."
		if body.Reason != "" {
			msg += "\nThe reason given: " + body.Reason
		}
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: acct.Email, Subject: "Your Vellum access request was denied", Body: msg})
	}
	return nil, nil
}
