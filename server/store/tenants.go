package store

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/protocol"
)

// Tenant is a company on the server.
type Tenant struct {
	ID      ID        `cbor:"1,keyasint"`
	Owner   ID        `cbor:"2,keyasint"` // the account whose key roots the membership chain
	Created time.Time `cbor:"3,keyasint"`
	// Profile is client-defined and opaque here (e.g. an encrypted name).
	Profile []byte `cbor:"4,keyasint"`
	// RecoveryRecipient is the age recipient of tenant recovery (DESIGN.md
	// §2), empty while tenant recovery is off; RecoveryThreshold is how
	// many admins must approve a use.
	RecoveryRecipient string `cbor:"5,keyasint"`
	RecoveryThreshold uint8  `cbor:"6,keyasint"`
}

func checkTenant(t *Tenant) error {
	if err := requireID("tenant", t.ID); err != nil {
		return err
	}
	if err := requireID("owner", t.Owner); err != nil {
		return err
	}
	if len(t.Profile) > protocol.MaxMetadata || len(t.RecoveryRecipient) > 256 {
		return fmt.Errorf("store: tenant field over its limit: %w", ErrInvalid)
	}
	return nil
}

// CreateTenant stores a new tenant; ErrExists if the ID is taken. The owner
// account MUST exist. The owner's membership is added with PutMember in the
// same transaction, after the first membership statement.
func (tx *Tx) CreateTenant(t *Tenant) error {
	if err := checkTenant(t); err != nil {
		return err
	}
	if _, err := tx.Account(t.Owner); err != nil {
		return err
	}
	if ok, err := tx.exists(tenantKey(t.ID)); err != nil || ok {
		return orExists(err, "tenant "+t.ID.String())
	}
	return tx.set(tenantKey(t.ID), t)
}

// PutTenant replaces an existing tenant record. The owner cannot change.
func (tx *Tx) PutTenant(t *Tenant) error {
	if err := checkTenant(t); err != nil {
		return err
	}
	old, err := tx.Tenant(t.ID)
	if err != nil {
		return err
	}
	if old.Owner != t.Owner {
		return fmt.Errorf("store: a tenant's owner is fixed by its membership chain: %w", ErrConflict)
	}
	return tx.set(tenantKey(t.ID), t)
}

// Tenant returns a tenant, or ErrNotFound.
func (v View) Tenant(id ID) (*Tenant, error) {
	t := new(Tenant)
	if err := v.getRecord(tenantKey(id), t); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("tenant", id)
		}
		return nil, err
	}
	return t, nil
}

// MembershipStatement is one signed statement of a tenant's membership
// chain, stored as the client sent it. The server does not rewrite or
// remove statements: the chain is append-only, numbered from 1.
type MembershipStatement struct {
	Tenant    ID        `cbor:"1,keyasint"`
	Seq       uint64    `cbor:"2,keyasint"`
	Statement []byte    `cbor:"3,keyasint"`
	Added     time.Time `cbor:"4,keyasint"`
}

// AppendMembership appends a signed statement to a tenant's chain. seq MUST
// be the next sequence number (MembershipNext), else ErrConflict: two admins
// racing to append cannot both succeed.
func (tx *Tx) AppendMembership(tenant ID, seq uint64, statement []byte) (*MembershipStatement, error) {
	if len(statement) == 0 || len(statement) > protocol.MaxStatement {
		return nil, fmt.Errorf("store: membership statement of %d bytes: %w", len(statement), ErrInvalid)
	}
	if _, err := tx.Tenant(tenant); err != nil {
		return nil, err
	}
	next, err := tx.MembershipNext(tenant)
	if err != nil {
		return nil, err
	}
	if seq != next {
		return nil, fmt.Errorf("store: membership statement %d, next is %d: %w", seq, next, ErrConflict)
	}
	m := &MembershipStatement{Tenant: tenant, Seq: seq, Statement: statement, Added: tx.s.now().UTC()}
	return m, tx.set(membershipKey(tenant, seq), m)
}

// MembershipNext returns the sequence number the next statement of the
// tenant's chain will take (1 for an empty chain).
func (v View) MembershipNext(tenant ID) (uint64, error) {
	last, ok, err := v.lastSeq(key(pMembership, tenant[:]))
	if err != nil || !ok {
		return 1, err
	}
	return last + 1, nil
}

// Membership returns up to limit statements of the chain from seq from on.
func (v View) Membership(tenant ID, from uint64, limit int) ([]*MembershipStatement, error) {
	return scanFrom[MembershipStatement](v, key(pMembership, tenant[:]), from, limit)
}

// scanFrom decodes up to limit records under prefix p whose keys end in a
// big-endian sequence number ≥ from.
func scanFrom[T any](v View, p []byte, from uint64, limit int) ([]*T, error) {
	var out []*T
	if limit <= 0 {
		return nil, nil
	}
	err := v.r.scan(p, false, func(k, b []byte) (bool, error) {
		if len(k) != len(p)+8 {
			return false, fmt.Errorf("store: bad sequence key: %w", ErrCorrupt)
		}
		if seqOf(k) < from {
			return true, nil
		}
		r := new(T)
		if err := decode(b, r); err != nil {
			return false, err
		}
		out = append(out, r)
		return len(out) < limit, nil
	})
	return out, err
}

// Member is the server's index of a tenant's membership, kept in step with
// the signed chain so that rights can be checked with one read. The chain,
// not this index, is what clients trust.
type Member struct {
	Tenant  ID            `cbor:"1,keyasint"`
	Account ID            `cbor:"2,keyasint"`
	Role    protocol.Role `cbor:"3,keyasint"`
	Since   time.Time     `cbor:"4,keyasint"`
	// Seq is the membership statement that set this role.
	Seq uint64 `cbor:"5,keyasint"`
}

// PutMember adds a member or changes their role. The tenant and the account
// MUST exist, and Seq MUST name a statement already in the chain.
func (tx *Tx) PutMember(m *Member) error {
	if !m.Role.Valid() {
		return fmt.Errorf("store: %v: %w", m.Role, ErrInvalid)
	}
	if _, err := tx.Tenant(m.Tenant); err != nil {
		return err
	}
	if _, err := tx.Account(m.Account); err != nil {
		return err
	}
	if ok, err := tx.exists(membershipKey(m.Tenant, m.Seq)); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("store: member set by statement %d, which is not in the chain: %w", m.Seq, ErrConflict)
		}
		return err
	}
	if err := tx.set(memberKey(m.Tenant, m.Account), m); err != nil {
		return err
	}
	return tx.setRaw(accountTenantKey(m.Account, m.Tenant), nil)
}

// DeleteMember removes a member from the index; ErrNotFound if not a member.
func (tx *Tx) DeleteMember(tenant, account ID) error {
	if _, err := tx.Member(tenant, account); err != nil {
		return err
	}
	if err := tx.del(memberKey(tenant, account)); err != nil {
		return err
	}
	return tx.del(accountTenantKey(account, tenant))
}

// Member returns an account's membership of a tenant, or ErrNotFound.
func (v View) Member(tenant, account ID) (*Member, error) {
	m := new(Member)
	if err := v.getRecord(memberKey(tenant, account), m); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: account %s in tenant %s: %w", account, tenant, ErrNotFound)
		}
		return nil, err
	}
	return m, nil
}

// Members lists a tenant's members in account ID order.
func (v View) Members(tenant ID) ([]*Member, error) {
	return scanRecords[Member](v, key(pMember, tenant[:]))
}

// TenantsOf lists the IDs of the tenants an account is a member of.
func (v View) TenantsOf(account ID) ([]ID, error) {
	return v.idsAfter(key(pAccountTenant, account[:]))
}
