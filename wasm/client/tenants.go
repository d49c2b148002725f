package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Tenant is a tenant as this account sees it. Name is read from the
// tenant's profile, which is plain (SPEC §Identifiers: tenant names are text
// the server reads).
type Tenant struct {
	ID              string
	Name            string
	Role            protocol.Role
	MembershipSeq   uint64
	RecoveryEnabled bool
	CreatedAt       time.Time
}

// The tenant profile is the record {1: version 1, 2: name} in deterministic
// CBOR: the folder metadata record of SPEC §Document and folder metadata,
// not encrypted, since a tenant has no key all its members share and its
// name is not secret from the operator.
func tenantProfile(name string) ([]byte, error) {
	return (&document.FolderMetadata{Name: name}).Marshal()
}

func tenantOf(t *protocol.Tenant) Tenant {
	out := Tenant{ID: t.TenantID, Role: t.Role, MembershipSeq: t.MembershipSeq, RecoveryEnabled: t.RecoveryEnabled, CreatedAt: t.CreatedAt}
	if len(t.Profile) > 0 {
		if m, err := document.ParseFolderMetadata(t.Profile); err == nil {
			out.Name = m.Name
		}
	}
	return out
}

// CreateTenant creates a tenant owned by this account: a fresh tenant id,
// the genesis membership statement signed with this account's key, and the
// pin of that genesis, saved at once.
func (c *Client) CreateTenant(ctx context.Context, name string) (*Tenant, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	profile, err := tenantProfile(name)
	if err != nil {
		return nil, fmt.Errorf("client: tenant name: %w", err)
	}
	id := newID()
	owner := membership.Member{
		AccountID: s.accountID, Email: s.email, Role: protocol.RoleOwner,
		VerifyKey: s.public.VerifyKey, Recipient: s.public.Recipient,
	}
	genesis, err := membership.NewGenesis(id, owner, s.keyring.SigningKey(), c.now())
	if err != nil {
		return nil, fmt.Errorf("client: genesis: %w", err)
	}
	st, err := membership.VerifyFirstUse([][]byte{genesis}, id)
	if err != nil {
		return nil, fmt.Errorf("client: genesis: %w", err)
	}
	var t protocol.Tenant
	if err := c.do(ctx, call(rTenantsCreate).with(&protocol.CreateTenantRequest{TenantID: id, Profile: profile, Genesis: genesis}), &t); err != nil {
		return nil, err
	}
	if err := c.pins.SavePin(ctx, st.Pin()); err != nil {
		return nil, fmt.Errorf("client: saving the tenant's pin: %w", err)
	}
	ts := c.tenant(id)
	ts.mu.Lock()
	ts.state, ts.ownerFingerprint = st, owner.VerifyKey.Fingerprint()
	ts.mu.Unlock()
	out := tenantOf(&t)
	return &out, nil
}

// Tenants lists the tenants this account belongs to.
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	var l protocol.TenantList
	if err := c.do(ctx, call(rTenantsList), &l); err != nil {
		return nil, err
	}
	out := make([]Tenant, len(l.Tenants))
	for i := range l.Tenants {
		out[i] = tenantOf(&l.Tenants[i])
	}
	return out, nil
}

// Tenant returns one tenant.
func (c *Client) Tenant(ctx context.Context, tenantID string) (*Tenant, error) {
	var t protocol.Tenant
	if err := c.do(ctx, call(rTenantGet, "tenantId", tenantID), &t); err != nil {
		return nil, err
	}
	out := tenantOf(&t)
	return &out, nil
}

// Membership is a tenant's checked membership chain.
type Membership struct {
	TenantID string
	// Seq is the seq of the chain's head.
	Seq uint64
	// Pin is the tenant's pin; FirstUse says it was taken by this check, in
	// which case the user SHOULD be shown OwnerFingerprint to compare out of
	// band.
	Pin      membership.Pin
	FirstUse bool
	// OwnerFingerprint is the fingerprint of the genesis owner's verify key.
	OwnerFingerprint string
	Members          []membership.Member
	// Recovery is the tenant recovery setting, nil while it is off.
	Recovery *membership.Recovery
}

// PinTenant saves a pin obtained out of band (from an inviting admin's
// client) before the tenant's chain is first fetched.
func (c *Client) PinTenant(ctx context.Context, pin membership.Pin) error {
	if !protocol.ValidID(pin.TenantID) || pin.Genesis == ([32]byte{}) {
		return protocol.Errorf(protocol.CodeBadRequest, "not a pin")
	}
	return c.pins.SavePin(ctx, pin)
}

// VerifyMembership fetches the tenant's membership chain (only the new
// statements, after the first time) and checks it against the pin, pinning
// the genesis at first use. It also checks that the chain holds this
// account's own keys, so that a server cannot have others wrap keys for
// this account to a key of its own.
func (c *Client) VerifyMembership(ctx context.Context, tenantID string) (*Membership, error) {
	t := c.tenant(tenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	first, err := c.refreshLocked(ctx, t, tenantID)
	if err != nil {
		return nil, err
	}
	m := &Membership{
		TenantID: tenantID, Seq: t.state.Seq(), Pin: t.state.Pin(), FirstUse: first,
		OwnerFingerprint: t.ownerFingerprint, Members: t.state.Members(),
	}
	if r, ok := t.state.Recovery(); ok {
		m.Recovery = &r
	}
	return m, nil
}

// Members returns the tenant's members as its checked membership chain
// states them: roles, e-mail addresses and keys.
func (c *Client) Members(ctx context.Context, tenantID string) ([]membership.Member, error) {
	m, err := c.VerifyMembership(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return m.Members, nil
}

// refreshLocked brings t.state up to the server's head. t.mu is held. It
// reports whether the tenant was pinned by this call.
func (c *Client) refreshLocked(ctx context.Context, t *tenantState, tenantID string) (firstUse bool, err error) {
	s, err := c.current()
	if err != nil {
		return false, err
	}
	if t.state == nil {
		chain, err := c.fetchChain(ctx, tenantID, -1)
		if err != nil {
			return false, err
		}
		pin, err := c.pins.LoadPin(ctx, tenantID)
		var st *membership.State
		switch {
		case errors.Is(err, ErrNotPinned):
			if st, err = membership.VerifyFirstUse(chain, tenantID); err != nil {
				return false, fmt.Errorf("client: membership of %s: %w", tenantID, err)
			}
			if err := c.pins.SavePin(ctx, st.Pin()); err != nil {
				return false, fmt.Errorf("client: saving the tenant's pin: %w", err)
			}
			firstUse = true
		case err != nil:
			return false, fmt.Errorf("client: loading the tenant's pin: %w", err)
		default:
			if st, err = membership.Verify(chain, pin); err != nil {
				return false, fmt.Errorf("client: membership of %s: %w", tenantID, err)
			}
		}
		g, err := membership.Parse(chain[0])
		if err != nil {
			return false, fmt.Errorf("client: membership of %s: %w", tenantID, err)
		}
		if gen, ok := g.Change.(membership.Genesis); ok {
			t.ownerFingerprint = gen.Owner.VerifyKey.Fingerprint()
		}
		t.state = st
	} else {
		news, err := c.fetchChain(ctx, tenantID, int64(t.state.Seq()))
		if err != nil {
			return false, err
		}
		for _, stmt := range news {
			if err := t.state.Apply(stmt); err != nil {
				t.state = nil // check the whole chain again next time
				return false, fmt.Errorf("client: membership of %s: %w", tenantID, err)
			}
		}
	}
	if m, err := t.state.Member(s.accountID); err == nil {
		if m.VerifyKey != s.public.VerifyKey || !m.Recipient.Equal(s.public.Recipient) {
			t.state = nil
			return false, fmt.Errorf("client: membership of %s: this account's keys: %w", tenantID, membership.ErrKeyMismatch)
		}
	}
	return firstUse, nil
}

// fetchChain reads the statements after seq after (all of them for -1),
// page by page, up to the head the server names.
func (c *Client) fetchChain(ctx context.Context, tenantID string, after int64) ([][]byte, error) {
	var out [][]byte
	for {
		r := call(rMembershipGet, "tenantId", tenantID).q("limit", strconv.Itoa(protocol.MaxPageSize))
		if after >= 0 {
			r.q("after", strconv.FormatInt(after, 10))
		}
		var page protocol.MembershipChain
		if err := c.do(ctx, r, &page); err != nil {
			return nil, err
		}
		if int64(page.HeadSeq) < after {
			return nil, fmt.Errorf("client: membership of %s: %w: the chain went back from %d to %d", tenantID, ErrInconsistent, after, page.HeadSeq)
		}
		out = append(out, page.Statements...)
		if len(out) > protocol.MaxMembershipChain {
			return nil, fmt.Errorf("client: membership of %s: %w", tenantID, membership.ErrTooLarge)
		}
		last := after + int64(len(page.Statements))
		if last >= int64(page.HeadSeq) {
			return out, nil
		}
		if len(page.Statements) == 0 {
			return nil, fmt.Errorf("client: membership of %s: %w: an empty page before the head", tenantID, ErrInconsistent)
		}
		after = last
	}
}

// appendStatement builds a membership statement on the checked head, has
// the server append it with post, and applies it. A conflict (another
// statement got in first) is retried on the new head; the rules are then
// checked again, so a change that no longer applies fails here.
func (c *Client) appendStatement(ctx context.Context, tenantID string,
	build func(st *membership.State, s *session) ([]byte, error), post func(stmt []byte) error) error {
	s, err := c.unlocked()
	if err != nil {
		return err
	}
	t := c.tenant(tenantID)
	for attempt := 0; ; attempt++ {
		err := func() error {
			t.mu.Lock()
			defer t.mu.Unlock()
			if _, err := c.refreshLocked(ctx, t, tenantID); err != nil {
				return err
			}
			stmt, err := build(t.state, s)
			if err != nil {
				return fmt.Errorf("client: membership statement: %w", err)
			}
			if err := post(stmt); err != nil {
				return err
			}
			if err := t.state.Apply(stmt); err != nil {
				t.state = nil
				return fmt.Errorf("client: membership of %s: %w", tenantID, err)
			}
			return nil
		}()
		if attempt < 2 && protocol.CodeOf(err) == protocol.CodeConflict && isServerError(err) {
			continue
		}
		return err
	}
}

// isServerError reports whether err carries a *protocol.Error.
func isServerError(err error) bool {
	var pe *protocol.Error
	return errors.As(err, &pe)
}

// Invite invites an e-mail address to the tenant with a role. The server
// e-mails the invitation; once it is accepted, an admin's client adds the
// member with AddMember.
func (c *Client) Invite(ctx context.Context, tenantID, email string, role protocol.Role) (*protocol.Invite, error) {
	var inv protocol.Invite
	if err := c.do(ctx, call(rInviteCreate, "tenantId", tenantID).with(&protocol.CreateInviteRequest{Email: email, Role: role}), &inv); err != nil {
		return nil, err
	}
	return &inv, nil
}

// Invites lists the tenant's invitations.
func (c *Client) Invites(ctx context.Context, tenantID string) ([]protocol.Invite, error) {
	var l protocol.InviteList
	if err := c.do(ctx, call(rInvitesList, "tenantId", tenantID), &l); err != nil {
		return nil, err
	}
	return l.Invites, nil
}

// RevokeInvite withdraws an invitation.
func (c *Client) RevokeInvite(ctx context.Context, tenantID, inviteID string) error {
	return c.do(ctx, call(rInviteRevoke, "tenantId", tenantID, "inviteId", inviteID), nil)
}

// AcceptInvite accepts an invitation as this account, with the token from
// its e-mail. It does not make a member yet: an admin's client appends the
// add-member statement (AddMember).
func (c *Client) AcceptInvite(ctx context.Context, inviteID, token string) (*protocol.AcceptInviteResponse, error) {
	var r protocol.AcceptInviteResponse
	if err := c.do(ctx, call(rInviteAccept, "inviteId", inviteID).with(&protocol.AcceptInviteRequest{Token: token}), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// AddMember makes the account that accepted an invitation a member: it
// takes that account's signed public keyring (from the accepted invite, or
// the public-keyring route), checks its self-signature, and
// appends the add-member statement, signed by this account, naming the
// invitation's e-mail address and role and the keyring's keys. The caller
// SHOULD show the returned member's verify-key fingerprint to compare with
// the invitee out of band: the server alone vouches for which account
// accepted.
func (c *Client) AddMember(ctx context.Context, tenantID, inviteID string) (*membership.Member, error) {
	invites, err := c.Invites(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var inv *protocol.Invite
	for i := range invites {
		if invites[i].InviteID == inviteID {
			inv = &invites[i]
		}
	}
	if inv == nil {
		return nil, fmt.Errorf("client: invite %s: %w", inviteID, protocol.Errorf(protocol.CodeNotFound, "no such invite"))
	}
	if inv.Status != protocol.InviteAccepted || inv.AccountID == "" {
		return nil, fmt.Errorf("client: invite %s: %w", inviteID, protocol.Errorf(protocol.CodeConflict, "the invite is %s, not accepted", inv.Status))
	}
	// The accepted invite carries the invitee's signed public keyring (the
	// public-keyring route serves only accounts that already share a tenant
	// with the caller); fetch it only if the invite lacks it.
	pkb := inv.PublicKeyring
	if len(pkb) == 0 {
		var pk protocol.PublicKeyring
		if err := c.do(ctx, call(rPublicKeyring, "accountId", inv.AccountID), &pk); err != nil {
			return nil, err
		}
		if pk.AccountID != inv.AccountID {
			return nil, fmt.Errorf("client: invite %s: %w: the keyring of another account", inviteID, ErrInconsistent)
		}
		pkb = pk.PublicKeyring
	}
	pub, err := account.ParseSignedPublicKeyring(pkb)
	if err != nil {
		return nil, fmt.Errorf("client: the invitee's public keyring: %w", err)
	}
	m := membership.Member{AccountID: inv.AccountID, Email: inv.Email, Role: inv.Role, VerifyKey: pub.VerifyKey, Recipient: pub.Recipient}
	err = c.appendStatement(ctx, tenantID,
		func(st *membership.State, s *session) ([]byte, error) {
			return st.Append(s.accountID, s.keyring.SigningKey(), membership.AddMember{Member: m}, c.now())
		},
		func(stmt []byte) error {
			var ok protocol.MembershipAppended
			return c.do(ctx, call(rMembershipPost, "tenantId", tenantID).with(&protocol.AppendMembershipRequest{Statement: stmt}), &ok)
		})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ChangeRole gives a member another role, by a change-role statement signed
// by this account.
func (c *Client) ChangeRole(ctx context.Context, tenantID, accountID string, role protocol.Role) error {
	return c.appendStatement(ctx, tenantID,
		func(st *membership.State, s *session) ([]byte, error) {
			return st.Append(s.accountID, s.keyring.SigningKey(), membership.ChangeRole{AccountID: accountID, Role: role}, c.now())
		},
		func(stmt []byte) error {
			var ok protocol.MembershipAppended
			return c.do(ctx, call(rMemberRole, "tenantId", tenantID, "accountId", accountID).with(&protocol.ChangeRoleRequest{Role: role, Statement: stmt}), &ok)
		})
}

// RemoveMember removes a member (or, for this account's own id, leaves the
// tenant) by a remove-member statement signed by this account. When this
// account may (an owner or admin removing someone else), it then rotates
// the key of every folder the removed member held a grant of, and returns
// those folders' ids. The folders are found before the removal, since the
// server stops serving a removed member's grants at once. What the removed
// member already downloaded stays theirs; rotation protects what comes
// after.
func (c *Client) RemoveMember(ctx context.Context, tenantID, accountID string) ([]string, error) {
	var held []string
	self := accountID == c.AccountID()
	if !self {
		role, err := c.myRole(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if role == protocol.RoleOwner || role == protocol.RoleAdmin {
			if held, err = c.foldersHeldBy(ctx, tenantID, accountID); err != nil {
				return nil, err
			}
		}
	}
	err := c.appendStatement(ctx, tenantID,
		func(st *membership.State, s *session) ([]byte, error) {
			return st.Append(s.accountID, s.keyring.SigningKey(), membership.RemoveMember{AccountID: accountID}, c.now())
		},
		func(stmt []byte) error {
			var ok protocol.MembershipAppended
			return c.do(ctx, call(rMemberRemove, "tenantId", tenantID, "accountId", accountID).with(&protocol.RemoveMemberRequest{Statement: stmt}), &ok)
		})
	if err != nil {
		return nil, err
	}
	if self {
		c.mu.Lock()
		delete(c.tenants, tenantID)
		c.mu.Unlock()
		return nil, nil
	}
	var rotated []string
	var firstErr error
	for _, id := range held {
		if err := c.RotateFolder(ctx, tenantID, id, accountID); err != nil {
			firstErr = cmpErr(firstErr, err)
			continue
		}
		rotated = append(rotated, id)
	}
	return rotated, firstErr
}

// myRole returns this account's role in the checked chain.
func (c *Client) myRole(ctx context.Context, tenantID string) (protocol.Role, error) {
	s, err := c.current()
	if err != nil {
		return 0, err
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := c.refreshLocked(ctx, t, tenantID); err != nil {
		return 0, err
	}
	m, err := t.state.Member(s.accountID)
	if err != nil {
		return 0, fmt.Errorf("client: %w", err)
	}
	return m.Role, nil
}
