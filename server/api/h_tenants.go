package api

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

const inviteTTL = 7 * 24 * time.Hour

func (a *API) tenantHandlers() map[string]handler {
	return map[string]handler{
		"tenants.create":               a.tenantCreate,
		"tenants.list":                 a.tenantList,
		"tenants.get":                  a.tenantGet,
		"tenants.invites.create":       a.inviteCreate,
		"tenants.invites.list":         a.inviteList,
		"tenants.invites.revoke":       a.inviteRevoke,
		"invites.accept":               a.inviteAccept,
		"tenants.members.list":         a.membersList,
		"tenants.members.role":         a.memberRole,
		"tenants.members.remove":       a.memberRemove,
		"tenants.membership.get":       a.membershipGet,
		"tenants.membership.append":    a.membershipAppend,
		"tenants.recovery.get":         a.recoveryGet,
		"tenants.recovery.request":     a.recoveryCreate,
		"tenants.recovery.requests":    a.recoveryList,
		"tenants.recovery.request.get": a.recoveryGetOne,
		"tenants.recovery.approve":     a.recoveryApprove,
		"tenants.recovery.deny":        a.recoveryDeny,
	}
}

func (a *API) tenantView(v store.View, t *store.Tenant, m *store.Member) (*protocol.Tenant, error) {
	next, err := v.MembershipNext(t.ID)
	if err != nil {
		return nil, err
	}
	return &protocol.Tenant{
		TenantID: t.ID.String(), Profile: t.Profile, Role: m.Role, MembershipSeq: next - 2,
		RecoveryEnabled: t.RecoveryThreshold > 0, CreatedAt: t.Created,
	}, nil
}

// checkMemberKeys checks that a statement names an account of this server,
// under its e-mail address, with the keys of its published public keyring.
// Clients check the chain themselves; this keeps the server's index and its
// chain about the same people.
func (a *API) checkMemberKeys(v store.View, m membership.Member) error {
	id, err := store.ParseID(m.AccountID)
	if err != nil {
		return notFound("account")
	}
	acct, err := v.Account(id)
	if err != nil {
		return notFound("account")
	}
	if e, err := store.NormalizeEmail(m.Email); err != nil || e != acct.Email {
		return badRequest("the statement's e-mail address is not the account's")
	}
	return a.checkKeys(acct, m.VerifyKey, m.Recipient)
}

func (a *API) checkKeys(acct *store.Account, vk interface{ String() string }, r interface{ String() string }) error {
	pub, err := account.ParseSignedPublicKeyring(acct.PublicKeyring)
	if err != nil {
		return fmt.Errorf("api: stored public keyring of %s: %w", acct.ID, err)
	}
	if pub.VerifyKey.String() != vk.String() || pub.Recipient.String() != r.String() {
		return badRequest("the statement's keys are not the account's published public keyring")
	}
	return nil
}

func (a *API) tenantCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateTenantRequest)
	tid, err := parseID("tenantId", r.TenantID)
	if err != nil {
		return nil, err
	}
	st, err := membership.VerifyFirstUse([][]byte{r.Genesis}, r.TenantID)
	if err != nil {
		return nil, err
	}
	owners := st.Members()
	if len(owners) != 1 || owners[0].AccountID != c.account.ID.String() {
		return nil, forbidden("the genesis must name the caller as the owner")
	}
	if err := a.checkMemberKeys(a.st.View, owners[0]); err != nil {
		return nil, err
	}
	t := &store.Tenant{ID: tid, Owner: c.account.ID, Created: c.now, Profile: r.Profile}
	m := &store.Member{Tenant: tid, Account: c.account.ID, Role: protocol.RoleOwner, Since: c.now, Seq: 1}
	var out *protocol.Tenant
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.CreateTenant(t); err != nil {
			return err
		}
		if _, err := tx.AppendMembership(tid, 1, r.Genesis); err != nil {
			return err
		}
		if err := tx.PutMember(m); err != nil {
			return err
		}
		if err := c.event(tx, tid, auditlog.KindMemberAdded, c.account.ID); err != nil {
			return err
		}
		out, err = a.tenantView(tx.View, t, m)
		return err
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("a tenant with this id exists")
	}
	return out, err
}

func (a *API) tenantList(c *call) (any, error) {
	ids, err := a.st.TenantsOf(c.account.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.TenantList{Tenants: []protocol.Tenant{}}
	for _, id := range ids {
		t, err := a.st.Tenant(id)
		if err != nil {
			return nil, err
		}
		m, err := a.st.Member(id, c.account.ID)
		if err != nil {
			return nil, err
		}
		v, err := a.tenantView(a.st.View, t, m)
		if err != nil {
			return nil, err
		}
		out.Tenants = append(out.Tenants, *v)
	}
	return out, nil
}

func (a *API) tenantGet(c *call) (any, error) { return a.tenantView(a.st.View, c.tenant, c.member) }

func (a *API) inviteView(v store.View, in *store.Invite, now time.Time) (protocol.Invite, error) {
	out := protocol.Invite{
		InviteID: in.ID.String(), Email: in.Email, Role: in.Role, CreatedBy: in.CreatedBy.String(),
		CreatedAt: in.Created, ExpiresAt: in.Expires,
	}
	switch in.State {
	case store.InvitePending:
		out.Status = protocol.InvitePending
	case store.InviteAccepted:
		out.Status = protocol.InviteAccepted
	case store.InviteDone:
		out.Status = protocol.InviteDone
	case store.InviteRevoked:
		out.Status = protocol.InviteRevoked
	}
	if (in.State == store.InvitePending || in.State == store.InviteAccepted) && !now.Before(in.Expires) {
		out.Status = protocol.InviteExpired
	}
	if !in.Account.IsZero() {
		out.AccountID = in.Account.String()
		if acct, err := v.Account(in.Account); err == nil {
			out.PublicKeyring = acct.PublicKeyring
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
	}
	return out, nil
}

func (a *API) inviteCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateInviteRequest)
	email, err := normalizeEmail(r.Email)
	if err != nil {
		return nil, err
	}
	if isAdminRole(r.Role) && c.member.Role != protocol.RoleOwner {
		return nil, forbidden("only owners may invite owners and admins")
	}
	if acct, err := a.st.AccountByEmail(email); err == nil {
		if _, err := a.st.Member(c.tenant.ID, acct.ID); err == nil {
			return nil, conflict("that address is a member already")
		}
	}
	tok := newToken()
	h := sha256.Sum256([]byte(tok))
	in := &store.Invite{
		ID: store.NewID(), Tenant: c.tenant.ID, Email: email, Role: r.Role, State: store.InvitePending,
		CreatedBy: c.account.ID, Created: c.now, Expires: c.now.Add(inviteTTL), TokenHash: h[:], Updated: c.now,
	}
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutInvite(in) }); err != nil {
		return nil, err
	}
	link := fmt.Sprintf("%s/invite/%s#%s", a.origin, in.ID, tok)
	if err := a.send(notify.Notice{
		Kind: notify.KindEmail, To: email, Subject: "You are invited to a company on Vellum",
		Body: fmt.Sprintf("%s invited you to join their company on Vellum as %s.\nOpen this link to accept (it expires in 7 days):\n%s\n",
			maskEmail(c.account.Email), r.Role, link),
	}); err != nil {
		return nil, err
	}
	return a.inviteView(a.st.View, in, c.now)
}

func (a *API) inviteList(c *call) (any, error) {
	ins, err := a.st.InvitesOf(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.InviteList{Invites: []protocol.Invite{}}
	for _, in := range ins {
		v, err := a.inviteView(a.st.View, in, c.now)
		if err != nil {
			return nil, err
		}
		out.Invites = append(out.Invites, v)
	}
	return out, nil
}

func (a *API) inviteRevoke(c *call) (any, error) {
	id, err := c.pathID("inviteId", "invite")
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		in, err := tx.Invite(id)
		if err != nil || in.Tenant != c.tenant.ID {
			return notFound("invite")
		}
		if in.State != store.InvitePending && in.State != store.InviteAccepted {
			return conflict("the invite is no longer open")
		}
		in.State, in.Updated = store.InviteRevoked, c.now
		return tx.PutInvite(in)
	})
}

// inviteAccept accepts an invite with its e-mailed token, as the signed-in
// account, whose address MUST be the invited one. It does not make a
// member: an admin's client appends the add-member statement next.
func (a *API) inviteAccept(c *call) (any, error) {
	r := c.req.(*protocol.AcceptInviteRequest)
	if err := c.take(a.limits.Guess, "guess/"+c.ip.String()); err != nil {
		return nil, err
	}
	id, err := c.pathID("inviteId", "invite")
	if err != nil {
		return nil, err
	}
	in, err := a.st.Invite(id)
	if err != nil {
		return nil, notFound("invite")
	}
	lockKey := "code/invite/" + id.String()
	if err := a.limits.Codes.Check(lockKey); err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(r.Token))
	if subtle.ConstantTimeCompare(h[:], in.TokenHash) != 1 {
		if _, err := a.limits.Codes.Fail(lockKey); err != nil {
			return nil, err
		}
		return nil, protocol.Errorf(protocol.CodeAuthFailed, "wrong invite token")
	}
	if in.Email != c.account.Email {
		return nil, forbidden("this invite is for another e-mail address")
	}
	switch {
	case in.State == store.InviteAccepted && in.Account == c.account.ID && c.now.Before(in.Expires):
		return &protocol.AcceptInviteResponse{TenantID: in.Tenant.String(), Status: protocol.InviteAccepted}, nil
	case in.State != store.InvitePending:
		return nil, conflict("the invite is no longer open")
	case !c.now.Before(in.Expires):
		return nil, protocol.Errorf(protocol.CodeExpired, "the invite expired; ask for a new one")
	}
	in.State, in.Account, in.Updated = store.InviteAccepted, c.account.ID, c.now
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutInvite(in) }); err != nil {
		return nil, err
	}
	if inviter, err := a.st.Account(in.CreatedBy); err == nil {
		// Telling the inviter is a convenience: a failure is logged only.
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: inviter.Email, Subject: "An invitation to Vellum was accepted",
			Body: fmt.Sprintf("%s accepted your invitation. Open Vellum to check their keys and add them.", in.Email)})
	}
	return &protocol.AcceptInviteResponse{TenantID: in.Tenant.String(), Status: protocol.InviteAccepted}, nil
}

// pageOf returns the page of items (sorted by key, bytewise) after the
// cursor, which is the last key of the previous page.
func pageOf[T any](items []T, key func(T) store.ID, p protocol.Page) ([]T, string, error) {
	start := 0
	if p.Cursor != "" {
		after, err := store.ParseID(p.Cursor)
		if err != nil {
			return nil, "", badRequest("cursor is not one this server made")
		}
		start = len(items)
		for i, it := range items {
			k := key(it)
			if bytes.Compare(k[:], after[:]) > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+p.Limit, len(items))
	next := ""
	if end < len(items) {
		next = key(items[end-1]).String()
	}
	return items[start:end], next, nil
}

func (c *call) page() (protocol.Page, error) {
	q := c.ctx.QueryArgs()
	return protocol.ParsePage(string(q.Peek("cursor")), string(q.Peek("limit")))
}

func (a *API) membersList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	ms, err := a.st.Members(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	ms, next, err := pageOf(ms, func(m *store.Member) store.ID { return m.Account }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.MemberList{Members: []protocol.MemberInfo{}, NextCursor: next}
	for _, m := range ms {
		acct, err := a.st.Account(m.Account)
		if err != nil {
			return nil, err
		}
		out.Members = append(out.Members, protocol.MemberInfo{AccountID: m.Account.String(), Email: acct.Email, Role: m.Role, Since: m.Since})
	}
	return out, nil
}

func (a *API) memberRole(c *call) (any, error) {
	r := c.req.(*protocol.ChangeRoleRequest)
	subject := c.params["accountId"]
	return a.appendMembership(c, r.Statement, func(st *membership.Statement) error {
		ch, ok := st.Change.(membership.ChangeRole)
		if !ok || ch.AccountID != subject || ch.Role != r.Role {
			return badRequest("the statement must change the role of the member in the path to the role in the body")
		}
		return nil
	})
}

func (a *API) memberRemove(c *call) (any, error) {
	r := c.req.(*protocol.RemoveMemberRequest)
	subject := c.params["accountId"]
	return a.appendMembership(c, r.Statement, func(st *membership.Statement) error {
		ch, ok := st.Change.(membership.RemoveMember)
		if !ok || ch.AccountID != subject {
			return badRequest("the statement must remove the member in the path")
		}
		return nil
	})
}

func (a *API) membershipAppend(c *call) (any, error) {
	r := c.req.(*protocol.AppendMembershipRequest)
	return a.appendMembership(c, r.Statement, nil)
}

// appendMembership checks a signed statement against the tenant's chain
// (keys/membership: signature under the signer's key in the chain, and the
// chain's rules) and, only if it checks, stores it with the index changes
// and the audit event it makes, in one transaction.
func (a *API) appendMembership(c *call, signed []byte, check func(*membership.Statement) error) (any, error) {
	st, err := membership.Parse(signed)
	if err != nil {
		return nil, err
	}
	if st.Signer != c.account.ID.String() {
		return nil, forbidden("a statement is posted by the member who signed it")
	}
	if check != nil {
		if err := check(st); err != nil {
			return nil, err
		}
	}
	switch ch := st.Change.(type) {
	case membership.AddMember:
		if err := a.checkMemberKeys(a.st.View, ch.Member); err != nil {
			return nil, err
		}
	case membership.UpdateKeys:
		id, err := store.ParseID(ch.AccountID)
		if err != nil {
			return nil, notFound("account")
		}
		acct, err := a.st.Account(id)
		if err != nil {
			return nil, notFound("account")
		}
		if err := a.checkKeys(acct, ch.VerifyKey, ch.Recipient); err != nil {
			return nil, err
		}
	}
	tid := c.tenant.ID
	err = a.withChain(tid, func(ms *membership.State) error {
		if err := ms.Apply(signed); err != nil {
			return readErr{err}
		}
		// ms is now ahead of the store: a failure below drops it.
		return a.st.Update(func(tx *store.Tx) error {
			stored, err := tx.AppendMembership(tid, st.Seq+1, signed)
			if err != nil {
				return err
			}
			return c.applyIndex(tx, tid, st, stored.Seq)
		})
	})
	var re readErr
	if errors.As(err, &re) {
		return nil, re.err
	}
	if err != nil {
		return nil, err
	}
	return &protocol.MembershipAppended{Seq: st.Seq}, nil
}

// applyIndex keeps the server's member index and tenant record in step with
// a statement just appended, and records its audit event.
func (c *call) applyIndex(tx *store.Tx, tid store.ID, st *membership.Statement, seq uint64) error {
	subject := func(s string) (store.ID, error) {
		id, err := store.ParseID(s)
		if err != nil {
			return store.ID{}, notFound("account")
		}
		return id, nil
	}
	switch ch := st.Change.(type) {
	case membership.AddMember:
		id, err := subject(ch.Member.AccountID)
		if err != nil {
			return err
		}
		if err := tx.PutMember(&store.Member{Tenant: tid, Account: id, Role: ch.Member.Role, Since: c.now, Seq: seq}); err != nil {
			return err
		}
		ins, err := tx.InvitesOf(tid)
		if err != nil {
			return err
		}
		for _, in := range ins {
			if in.Account == id && in.State == store.InviteAccepted {
				in.State, in.Updated = store.InviteDone, c.now
				if err := tx.PutInvite(in); err != nil {
					return err
				}
			}
		}
		return c.event(tx, tid, auditlog.KindMemberAdded, id)
	case membership.ChangeRole:
		id, err := subject(ch.AccountID)
		if err != nil {
			return err
		}
		m, err := tx.Member(tid, id)
		if err != nil {
			return err
		}
		m.Role, m.Seq = ch.Role, seq
		if err := tx.PutMember(m); err != nil {
			return err
		}
		return c.event(tx, tid, auditlog.KindRoleChanged, id)
	case membership.RemoveMember:
		id, err := subject(ch.AccountID)
		if err != nil {
			return err
		}
		if err := tx.DeleteMember(tid, id); err != nil {
			return err
		}
		// The server stops serving the removed member's grants here at
		// once; the keys they already opened are theirs, which is what
		// folder rotation is for.
		gs, err := tx.GrantsTo(id)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.Tenant == tid {
				if err := tx.RevokeGrant(g.ID); err != nil {
					return err
				}
			}
		}
		return c.event(tx, tid, auditlog.KindMemberRemoved, id)
	case membership.EnableRecovery, membership.DisableRecovery:
		t, err := tx.Tenant(tid)
		if err != nil {
			return err
		}
		kind := auditlog.KindRecoveryDisabled
		t.RecoveryThreshold = 0
		if e, ok := ch.(membership.EnableRecovery); ok {
			kind, t.RecoveryThreshold = auditlog.KindRecoveryEnabled, uint8(e.Recovery.Threshold)
		}
		if err := tx.PutTenant(t); err != nil {
			return err
		}
		return c.event(tx, tid, kind)
	}
	return nil // update-keys: the chain itself is the record
}

func (a *API) membershipGet(c *call) (any, error) {
	after, hasAfter, err := c.queryUint("after", false)
	if err != nil {
		return nil, err
	}
	pg, err := protocol.ParsePage("", string(c.ctx.QueryArgs().Peek("limit")))
	if err != nil {
		return nil, err
	}
	limit := pg.Limit
	if c.ctx.QueryArgs().Peek("limit") == nil {
		limit = protocol.MaxPageSize
	}
	from := uint64(1)
	if hasAfter {
		from = after + 2
	}
	stmts, err := a.st.Membership(c.tenant.ID, from, limit)
	if err != nil {
		return nil, err
	}
	next, err := a.st.MembershipNext(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.MembershipChain{Statements: [][]byte{}, HeadSeq: next - 2}
	for _, s := range stmts {
		out.Statements = append(out.Statements, s.Statement)
	}
	return out, nil
}

func (a *API) recoveryGet(c *call) (any, error) {
	out, err := chainRead(a, c.tenant.ID, func(st *membership.State) (*protocol.TenantRecovery, error) {
		rec, on := st.Recovery()
		out := &protocol.TenantRecovery{Enabled: on}
		if on {
			out.Threshold = rec.Threshold
			for _, h := range rec.Holders {
				out.Holders = append(out.Holders, h.AccountID)
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	w, err := a.tenantWrap(c.account.ID, c.tenant.ID)
	if err != nil {
		return nil, err
	}
	out.Enrolled = w != nil
	return out, nil
}

// tenantWrap returns the account's tenant-recovery wrap for a tenant, or nil.
func (a *API) tenantWrap(acct, tid store.ID) (*store.UnlockWrap, error) {
	ws, err := a.st.UnlockWraps(acct)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.Kind == store.WrapTenantRecovery && bytes.Equal(w.Ref, tid[:]) {
			return w, nil
		}
	}
	return nil, nil
}

func (a *API) recoveryHolders(tid store.ID) ([]string, int, error) {
	type hs struct {
		ids []string
		m   int
	}
	h, err := chainRead(a, tid, func(st *membership.State) (hs, error) {
		rec, on := st.Recovery()
		if !on {
			return hs{}, conflict("tenant recovery is off")
		}
		var ids []string
		for _, h := range rec.Holders {
			ids = append(ids, h.AccountID)
		}
		return hs{ids, rec.Threshold}, nil
	})
	return h.ids, h.m, err
}

func (a *API) recoveryCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateRecoveryRequest)
	holders, threshold, err := a.recoveryHolders(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	w, err := a.tenantWrap(c.account.ID, c.tenant.ID)
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, conflict("you have no tenant recovery wrap in this tenant")
	}
	rr := &store.RecoveryRequest{
		ID: store.NewID(), Tenant: c.tenant.ID, Account: c.account.ID, DeviceRecipient: r.DeviceRecipient,
		State: store.RecoveryPending, Threshold: uint64(threshold), Created: c.now, Wrap: w.Wrapped, Updated: c.now,
	}
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutRecoveryRequest(rr) }); err != nil {
		return nil, err
	}
	for _, h := range holders {
		if id, err := store.ParseID(h); err == nil {
			if acct, err := a.st.Account(id); err == nil {
				_ = a.send(notify.Notice{Kind: notify.KindEmail, To: acct.Email, Subject: "A Vellum account recovery waits for you",
					Body: fmt.Sprintf("%s asked the recovery holders of your company to restore their account to a new device. "+
						"Open Vellum to review the request.", c.account.Email)})
			}
		}
	}
	return recoveryView(rr, true), nil
}

func recoveryView(r *store.RecoveryRequest, full bool) *protocol.RecoveryRequest {
	out := &protocol.RecoveryRequest{
		RequestID: r.ID.String(), AccountID: r.Account.String(), DeviceRecipient: r.DeviceRecipient,
		Threshold: int(r.Threshold), CreatedAt: r.Created,
	}
	switch r.State {
	case store.RecoveryPending:
		out.Status = protocol.RecoveryPending
	case store.RecoveryApproved:
		out.Status = protocol.RecoveryApproved
	case store.RecoveryDenied:
		out.Status = protocol.RecoveryDenied
	}
	if full {
		out.Wrap = r.Wrap
		for _, id := range r.Admins {
			out.Admins = append(out.Admins, id.String())
		}
		for _, l := range r.Layers {
			out.Layers = append(out.Layers, protocol.RecoveryLayer{AccountID: l.Account.String(), Wrap: l.Wrap, PostedAt: l.Posted})
		}
	}
	return out
}

func (a *API) isHolder(tid, acct store.ID) (bool, error) {
	holders, _, err := a.recoveryHolders(tid)
	if protocol.CodeOf(err) == protocol.CodeConflict {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.Contains(holders, acct.String()), nil
}

func (a *API) recoveryList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	rs, err := a.st.RecoveryRequestsOf(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	rs, next, err := pageOf(rs, func(r *store.RecoveryRequest) store.ID { return r.ID }, pg)
	if err != nil {
		return nil, err
	}
	holder, err := a.isHolder(c.tenant.ID, c.account.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.RecoveryRequestList{Requests: []protocol.RecoveryRequest{}, NextCursor: next}
	for _, r := range rs {
		out.Requests = append(out.Requests, *recoveryView(r, holder))
	}
	return out, nil
}

func (a *API) recoveryRequest(c *call) (*store.RecoveryRequest, error) {
	id, err := c.pathID("requestId", "recovery request")
	if err != nil {
		return nil, err
	}
	r, err := a.st.RecoveryRequest(id)
	if err != nil || r.Tenant != c.tenant.ID {
		return nil, notFound("recovery request")
	}
	return r, nil
}

func (a *API) recoveryGetOne(c *call) (any, error) {
	r, err := a.recoveryRequest(c)
	if err != nil {
		return nil, err
	}
	if r.Account == c.account.ID {
		return recoveryView(r, true), nil
	}
	if !isAdminRole(c.member.Role) {
		return nil, forbidden("only the requester and the tenant's admins see a recovery request")
	}
	holder, err := a.isHolder(c.tenant.ID, c.account.ID)
	if err != nil {
		return nil, err
	}
	return recoveryView(r, holder), nil
}

// recoveryApprove takes one holder's step. The first names the holders in
// peel order, itself first; each later step MUST come from the next holder.
func (a *API) recoveryApprove(c *call) (any, error) {
	body := c.req.(*protocol.ApproveRecoveryRequest)
	holders, _, err := a.recoveryHolders(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(holders, c.account.ID.String()) {
		return nil, forbidden("only the tenant's recovery holders approve recoveries")
	}
	var out *store.RecoveryRequest
	var done bool
	err = a.st.Update(func(tx *store.Tx) error {
		r, err := a.recoveryRequest(c)
		if err != nil {
			return err
		}
		if r.State != store.RecoveryPending {
			return conflict("the recovery request is no longer pending")
		}
		if len(r.Layers) == 0 {
			if len(body.Admins) != int(r.Threshold) || body.Admins[0] != c.account.ID.String() {
				return badRequest("the first approval names %d holders in peel order, the caller first", r.Threshold)
			}
			for _, h := range body.Admins {
				id, err := store.ParseID(h)
				if err != nil || !slices.Contains(holders, h) {
					return badRequest("admins must be recovery holders")
				}
				r.Admins = append(r.Admins, id)
			}
		} else {
			if len(body.Admins) > 0 {
				return badRequest("only the first approval names the holders")
			}
			if r.Admins[len(r.Layers)] != c.account.ID {
				return forbidden("it is another holder's turn")
			}
		}
		r.Layers = append(r.Layers, store.RecoveryLayer{Account: c.account.ID, Wrap: body.Wrap, Posted: c.now})
		r.Updated = c.now
		if len(r.Layers) == int(r.Threshold) {
			r.State, done = store.RecoveryApproved, true
			if err := c.event(tx, c.tenant.ID, auditlog.KindRecoveryUsed, r.ID, r.Account); err != nil {
				return err
			}
		}
		out = r
		return tx.PutRecoveryRequest(r)
	})
	if err != nil {
		return nil, err
	}
	if done {
		if acct, err := a.st.Account(out.Account); err == nil {
			_ = a.send(notify.Notice{Kind: notify.KindEmail, To: acct.Email, Subject: "Your Vellum account recovery is ready",
				Body: "Your company's recovery holders approved your account recovery. Open Vellum on your new device to finish."})
		}
	}
	return recoveryView(out, true), nil
}

func (a *API) recoveryDeny(c *call) (any, error) {
	body := c.req.(*protocol.DenyRequest)
	var r *store.RecoveryRequest
	err := a.st.Update(func(tx *store.Tx) error {
		var err error
		if r, err = a.recoveryRequest(c); err != nil {
			return err
		}
		if r.State != store.RecoveryPending {
			return conflict("the recovery request is no longer pending")
		}
		r.State, r.Updated = store.RecoveryDenied, c.now
		return tx.PutRecoveryRequest(r)
	})
	if err != nil {
		return nil, err
	}
	if acct, err := a.st.Account(r.Account); err == nil {
		msg := "Your company's admins denied your account recovery request."
		if body.Reason != "" {
			msg += "\nTheir reason: " + body.Reason
		}
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: acct.Email, Subject: "Your Vellum account recovery was denied", Body: msg})
	}
	return nil, nil
}
