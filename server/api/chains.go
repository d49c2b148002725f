package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

// chains caches each tenant's verified membership state, so that checking
// a new statement, a grant's signer or a rotation's admin costs a map
// lookup rather than a replay of the chain. An entry is rebuilt from the
// store whenever the store's chain has moved past it, and dropped when a
// transaction that applied a statement to it fails.
type chains struct {
	mu sync.Mutex
	m  map[store.ID]*chainEntry
}

type chainEntry struct {
	mu   sync.Mutex
	st   *membership.State
	next uint64 // the store's MembershipNext when st was built
}

func (cs *chains) entry(tenant store.ID) *chainEntry {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	e := cs.m[tenant]
	if e == nil {
		e = new(chainEntry)
		cs.m[tenant] = e
	}
	return e
}

// withChain runs fn with the tenant's verified membership state, holding
// the tenant's chain lock: appends to one tenant's chain are serialized.
// If fn changes the state and then fails, it MUST return an error so the
// state is rebuilt from the store.
func (a *API) withChain(tenant store.ID, fn func(st *membership.State) error) error {
	e := a.chains.entry(tenant)
	e.mu.Lock()
	defer e.mu.Unlock()
	next, err := a.st.MembershipNext(tenant)
	if err != nil {
		return err
	}
	if e.st == nil || e.next != next {
		stmts, err := a.st.Membership(tenant, 1, protocol.MaxMembershipChain+1)
		if err != nil {
			return err
		}
		chain := make([][]byte, len(stmts))
		for i, s := range stmts {
			chain[i] = s.Statement
		}
		// The genesis was checked against its creator when the tenant was
		// made; every later statement is checked again here.
		st, err := membership.VerifyFirstUse(chain, tenant.String())
		if err != nil {
			return fmt.Errorf("api: stored membership chain of %s does not verify (%v): %w", tenant, err, errInternalChain)
		}
		e.st, e.next = st, next
	}
	if err := fn(e.st); err != nil {
		var re readErr
		if !errors.As(err, &re) {
			e.st = nil
		}
		return err
	}
	e.next, err = a.st.MembershipNext(tenant)
	if err != nil {
		e.st = nil
	}
	return err
}

// errInternalChain marks a stored chain that no longer verifies: a server
// fault, never the client's.
var errInternalChain = errors.New("api: stored chain is broken")

// chainRead returns what fn computes from the tenant's verified state,
// under the tenant's chain lock.
func chainRead[T any](a *API, tenant store.ID, fn func(st *membership.State) (T, error)) (T, error) {
	var out T
	err := a.withChain(tenant, func(st *membership.State) error {
		var err error
		out, err = fn(st)
		if err != nil {
			return readErr{err}
		}
		return nil
	})
	var re readErr
	if errors.As(err, &re) {
		return out, re.err
	}
	return out, err
}

// readErr marks an error of a step that left the state as it was (a read,
// or an Apply that refused a statement), so the state is kept.
type readErr struct{ err error }

func (e readErr) Error() string { return e.err.Error() }
func (e readErr) Unwrap() error { return e.err }

// event appends an audit event to tenant's chain in tx, as the caller.
func (c *call) event(tx *store.Tx, tenant store.ID, kind auditlog.Kind, objects ...store.ID) error {
	var actor store.ID
	if c.account != nil {
		actor = c.account.ID
	}
	return c.eventAs(tx, tenant, actor, kind, objects...)
}

func (c *call) eventAs(tx *store.Tx, tenant, actor store.ID, kind auditlog.Kind, objects ...store.ID) error {
	objs := make([]store.ID, 0, len(objects))
	for _, o := range objects {
		if !o.IsZero() && len(objs) < protocol.MaxAuditObjects {
			objs = append(objs, o)
		}
	}
	_, err := audit.Append(tx, &auditlog.Event{Tenant: tenant, Time: c.now, Kind: kind, Actor: actor, ActorIP: c.ip, Objects: objs})
	return err
}

// eventAllTenants appends an event about an account (a login, a revoked
// session) to the audit log of every tenant the account belongs to, so
// that each tenant's admins see it.
func (c *call) eventAllTenants(tx *store.Tx, account store.ID, kind auditlog.Kind, objects ...store.ID) error {
	ts, err := tx.TenantsOf(account)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := c.eventAs(tx, t, account, kind, append([]store.ID{account}, objects...)...); err != nil {
			return err
		}
	}
	return nil
}

// send hands a notice to the notifier. A notice that cannot be sent is an
// error the caller decides about; it is logged without its body.
func (a *API) send(n notify.Notice) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.notifier.Send(ctx, n); err != nil {
		a.logger.Error("api: sending a notice failed", "kind", n.Kind.String(), "err", err)
		return protocol.Errorf(protocol.CodeInternal, "the notice could not be sent; try again later")
	}
	return nil
}

// maskEmail shows enough of an address to recognize it: "a•••@e•••.com".
func maskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" {
		return "•••"
	}
	tld := ""
	if i := strings.LastIndexByte(domain, '.'); i > 0 {
		tld = domain[i:]
	}
	return firstRune(local) + "•••@" + firstRune(domain) + "•••" + tld
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// parseID parses an id made by the server or a client (16 bytes in
// unpadded base64url); what names the id in the error.
func parseID(what, s string) (store.ID, error) {
	id, err := store.ParseID(s)
	if err != nil {
		return store.ID{}, badRequest("%s must be 16 bytes in unpadded base64url", what)
	}
	return id, nil
}

// pathID parses a path parameter; an id that cannot be ours names nothing.
func (c *call) pathID(name, what string) (store.ID, error) {
	id, err := store.ParseID(c.params[name])
	if err != nil {
		return store.ID{}, notFound(what)
	}
	return id, nil
}
