package api

import (
	"bytes"
	"errors"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// guessRoutes are the unauthenticated routes that check a secret; they
// take a token of the per-IP guess limiter on top of the per-IP limit.
var guessRoutes = map[string]bool{
	"auth.register.start": true, "auth.register.finish": true, "auth.login.start": true, "auth.login.finish": true,
	"auth.passkey.start": true, "auth.passkey.finish": true, "auth.device.verify": true, "auth.device.resend": true,
	"auth.refresh": true, "links.open": true,
}

// authorize enforces the route's Auth level before its handler runs. It is
// the only place that reads credentials: a handler sees a call whose
// account (and tenant membership, for tenant routes) is already checked.
func (a *API) authorize(c *call) error {
	switch c.route.Auth {
	case protocol.AuthNone:
		if guessRoutes[c.route.Name] {
			return c.take(a.limits.Guess, "guess/"+c.ip.String())
		}
		return nil
	case protocol.AuthSignerLink:
		return a.authorizeSigner(c)
	case protocol.AuthSession, protocol.AuthTenantMember, protocol.AuthTenantAdmin:
	default:
		return protocol.Errorf(protocol.CodeInternal, "route without an authentication level")
	}
	tok, ok := bearer(c.ctx.Request.Header.Peek("Authorization"))
	if !ok {
		return ErrNoSession
	}
	var acct *store.Account
	claims, err := a.sessions.Verify(tok, session.KindAccess, func(id store.ID) (uint64, error) {
		var err error
		acct, err = a.st.Account(id)
		if err != nil {
			return 0, err
		}
		return acct.Epoch, nil
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || isSessionErr(err) {
			return ErrNoSession
		}
		return err
	}
	c.claims, c.account = claims, acct
	if c.route.Auth == protocol.AuthSession {
		return nil
	}
	tid, err := store.ParseID(c.params["tenantId"])
	if err != nil {
		return ErrNotMember
	}
	m, err := a.st.Member(tid, acct.ID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotMember
	}
	if err != nil {
		return err
	}
	if c.route.Auth == protocol.AuthTenantAdmin && !isAdminRole(m.Role) {
		return ErrNotAdmin
	}
	t, err := a.st.Tenant(tid)
	if err != nil {
		return err
	}
	c.tenant, c.member = t, m
	return nil
}

func isSessionErr(err error) bool {
	return errors.Is(err, session.ErrInvalid) || errors.Is(err, session.ErrExpired) ||
		errors.Is(err, session.ErrRevoked) || errors.Is(err, session.ErrUnknownKey)
}

func isAdminRole(r protocol.Role) bool { return r == protocol.RoleOwner || r == protocol.RoleAdmin }

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(h []byte) (string, bool) {
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !bytes.EqualFold(h[:len(prefix)], []byte(prefix)) {
		return "", false
	}
	tok := bytes.TrimSpace(h[len(prefix):])
	if len(tok) == 0 || len(tok) > protocol.MaxSessionToken {
		return "", false
	}
	return string(tok), true
}
