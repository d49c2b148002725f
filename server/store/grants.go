package store

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/protocol"
)

// ObjectKind is what a grant or an access request is about. Stored enum:
// do not reorder or reuse a value.
type ObjectKind uint8

const (
	ObjectFolder   ObjectKind = 1
	ObjectDocument ObjectKind = 2
	ObjectEnvelope ObjectKind = 3
)

func (k ObjectKind) valid() bool { return k >= ObjectFolder && k <= ObjectEnvelope }

// Grant is a key wrap: an age file holding an object's key (a folder key of
// version KeyVersion, or a document key), encrypted to the grantee's
// recipient and signed by the granter (DESIGN.md §2). The server stores and
// serves it; it never makes one. The grantee is an account, or a folder for
// a document key wrapped to its folder key.
type Grant struct {
	ID         ID         `cbor:"1,keyasint"`
	Tenant     ID         `cbor:"2,keyasint"`
	Object     ID         `cbor:"3,keyasint"`
	ObjectKind ObjectKind `cbor:"4,keyasint"`
	Grantee    ID         `cbor:"5,keyasint"`
	Granter    ID         `cbor:"6,keyasint"`
	KeyVersion uint64     `cbor:"7,keyasint"`
	// Wrapped is the age file; Statement the granter's signed grant.
	Wrapped   []byte    `cbor:"8,keyasint"`
	Statement []byte    `cbor:"9,keyasint"`
	Created   time.Time `cbor:"10,keyasint"`
}

// PutGrant stores a new grant; ErrExists if its ID is taken.
func (tx *Tx) PutGrant(g *Grant) error {
	for _, f := range []struct {
		n  string
		id ID
	}{{"grant", g.ID}, {"tenant", g.Tenant}, {"object", g.Object}, {"grantee", g.Grantee}, {"granter", g.Granter}} {
		if err := requireID(f.n, f.id); err != nil {
			return err
		}
	}
	if !g.ObjectKind.valid() || len(g.Wrapped) == 0 || len(g.Wrapped) > protocol.MaxWrappedKey ||
		len(g.Statement) > protocol.MaxStatement {
		return fmt.Errorf("store: grant of kind %d with %d wrapped and %d statement bytes: %w",
			g.ObjectKind, len(g.Wrapped), len(g.Statement), ErrInvalid)
	}
	if ok, err := tx.exists(grantKey(g.ID)); err != nil || ok {
		return orExists(err, "grant "+g.ID.String())
	}
	if g.Created.IsZero() {
		g.Created = tx.s.now().UTC()
	}
	if err := tx.set(grantKey(g.ID), g); err != nil {
		return err
	}
	if err := tx.setRaw(granteeKey(g.Grantee, g.Object, g.ID), nil); err != nil {
		return err
	}
	return tx.setRaw(grantObjectKey(g.Object, g.ID), nil)
}

// RevokeGrant deletes a grant and its index entries; ErrNotFound if none.
func (tx *Tx) RevokeGrant(id ID) error {
	g, err := tx.Grant(id)
	if err != nil {
		return err
	}
	for _, k := range [][]byte{grantKey(id), granteeKey(g.Grantee, g.Object, id), grantObjectKey(g.Object, id)} {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) deleteGrantsOn(object ID) error {
	ids, err := tx.idsAfter(key(pGrantObject, object[:]))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.RevokeGrant(id); err != nil {
			return err
		}
	}
	return nil
}

// Grant returns a grant, or ErrNotFound.
func (v View) Grant(id ID) (*Grant, error) {
	g := new(Grant)
	if err := v.getRecord(grantKey(id), g); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("grant", id)
		}
		return nil, err
	}
	return g, nil
}

// GrantsTo lists the grants held by grantee, ordered by object.
func (v View) GrantsTo(grantee ID) ([]*Grant, error) {
	return getByIndex[Grant](v, key(pGrantee, grantee[:]), grantKey)
}

// GrantsToFor lists the grants grantee holds on one object: what the
// server checks before serving the object to them.
func (v View) GrantsToFor(grantee, object ID) ([]*Grant, error) {
	return getByIndex[Grant](v, key(pGrantee, grantee[:], object[:]), grantKey)
}

// GrantsOn lists every grant on an object (for admins and for rotation).
func (v View) GrantsOn(object ID) ([]*Grant, error) {
	return getByIndex[Grant](v, key(pGrantObject, object[:]), grantKey)
}

// RequestState is the state of an access request. Stored enum: do not
// reorder or reuse.
type RequestState uint8

const (
	RequestPending  RequestState = 1
	RequestApproved RequestState = 2
	RequestDenied   RequestState = 3
)

// AccessRequest is a member asking for access to an object; an approval is
// followed by a grant, made by a client that holds the key.
type AccessRequest struct {
	ID         ID           `cbor:"1,keyasint"`
	Tenant     ID           `cbor:"2,keyasint"`
	Object     ID           `cbor:"3,keyasint"`
	ObjectKind ObjectKind   `cbor:"4,keyasint"`
	Requester  ID           `cbor:"5,keyasint"`
	State      RequestState `cbor:"6,keyasint"`
	Created    time.Time    `cbor:"7,keyasint"`
	DecidedBy  ID           `cbor:"8,keyasint"`
	Decided    time.Time    `cbor:"9,keyasint"`
}

// CreateAccessRequest stores a new pending request; ErrExists if its ID is
// taken.
func (tx *Tx) CreateAccessRequest(r *AccessRequest) error {
	for _, f := range []struct {
		n  string
		id ID
	}{{"request", r.ID}, {"tenant", r.Tenant}, {"object", r.Object}, {"requester", r.Requester}} {
		if err := requireID(f.n, f.id); err != nil {
			return err
		}
	}
	if !r.ObjectKind.valid() {
		return fmt.Errorf("store: object kind %d: %w", r.ObjectKind, ErrInvalid)
	}
	if ok, err := tx.exists(requestKey(r.ID)); err != nil || ok {
		return orExists(err, "access request "+r.ID.String())
	}
	r.State, r.DecidedBy, r.Decided = RequestPending, ID{}, time.Time{}
	if r.Created.IsZero() {
		r.Created = tx.s.now().UTC()
	}
	if err := tx.set(requestKey(r.ID), r); err != nil {
		return err
	}
	if err := tx.setRaw(requestObjectKey(r.Object, r.ID), nil); err != nil {
		return err
	}
	return tx.setRaw(requestTenantKey(r.Tenant, r.ID), nil)
}

// DecideAccessRequest approves or denies a pending request. A request that
// is no longer pending is not decided again (ErrConflict).
func (tx *Tx) DecideAccessRequest(id ID, state RequestState, by ID) (*AccessRequest, error) {
	if state != RequestApproved && state != RequestDenied {
		return nil, fmt.Errorf("store: request state %d: %w", state, ErrInvalid)
	}
	r, err := tx.AccessRequest(id)
	if err != nil {
		return nil, err
	}
	if r.State != RequestPending {
		return nil, fmt.Errorf("store: access request %s already decided: %w", id, ErrConflict)
	}
	r.State, r.DecidedBy, r.Decided = state, by, tx.s.now().UTC()
	return r, tx.set(requestKey(id), r)
}

// DeleteAccessRequest removes a request and its index entries.
func (tx *Tx) DeleteAccessRequest(id ID) error {
	r, err := tx.AccessRequest(id)
	if err != nil {
		return err
	}
	for _, k := range [][]byte{requestKey(id), requestObjectKey(r.Object, id), requestTenantKey(r.Tenant, id)} {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

// AccessRequest returns a request, or ErrNotFound.
func (v View) AccessRequest(id ID) (*AccessRequest, error) {
	r := new(AccessRequest)
	if err := v.getRecord(requestKey(id), r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("access request", id)
		}
		return nil, err
	}
	return r, nil
}

// AccessRequestsOn lists the requests on an object.
func (v View) AccessRequestsOn(object ID) ([]*AccessRequest, error) {
	return getByIndex[AccessRequest](v, key(pRequestObject, object[:]), requestKey)
}

// AccessRequestsIn lists the requests of a tenant (for its admins).
func (v View) AccessRequestsIn(tenant ID) ([]*AccessRequest, error) {
	return getByIndex[AccessRequest](v, key(pRequestTenant, tenant[:]), requestKey)
}
