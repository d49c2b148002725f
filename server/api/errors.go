package api

import (
	"errors"
	"net/http"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// The authorization layer's refusals. They are values so that the
// authorization test can tell them apart from a handler's own refusals.
var (
	ErrNoSession  = protocol.Errorf(protocol.CodeUnauthenticated, "sign in first: no valid session")
	ErrNotMember  = protocol.Errorf(protocol.CodeForbidden, "not a member of this tenant")
	ErrNotAdmin   = protocol.Errorf(protocol.CodeForbidden, "only the tenant's owners and admins may do this")
	ErrNoSignerID = protocol.Errorf(protocol.CodeUnauthenticated, "open the signing link first: no signer session")
)

// mapError turns err into the protocol error the client sees and its HTTP
// status. Messages of mapped errors are fixed texts: the errors of the
// packages below may name ids, never secrets, but the client needs no more
// than the code.
func (a *API) mapError(c *call, err error) (*protocol.Error, int) {
	if err == errNotImplemented {
		return errNotImplemented, http.StatusNotImplemented
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe, pe.Code.HTTPStatus()
	}
	code, msg := classify(err)
	if code == protocol.CodeInternal {
		route := ""
		if c.route != nil {
			route = c.route.Name
		}
		a.logger.Error("api: request failed", "route", route, "err", err)
	}
	return &protocol.Error{Code: code, Message: msg}, code.HTTPStatus()
}

func classify(err error) (protocol.Code, string) {
	var locked *ratelimit.LockedError
	switch {
	case errors.As(err, &locked):
		return protocol.CodeLocked, "locked after too many wrong attempts"
	case errors.Is(err, session.ErrInvalid), errors.Is(err, session.ErrExpired), errors.Is(err, session.ErrRevoked),
		errors.Is(err, session.ErrUnknownKey):
		return protocol.CodeUnauthenticated, "the session is not valid"
	case errors.Is(err, store.ErrNotFound):
		return protocol.CodeNotFound, "not found"
	case errors.Is(err, store.ErrExists):
		return protocol.CodeConflict, "already exists"
	case errors.Is(err, store.ErrConflict):
		return protocol.CodeConflict, "the object changed; fetch it and try again"
	case errors.Is(err, store.ErrExpired):
		return protocol.CodeExpired, "expired"
	case errors.Is(err, store.ErrInvalid):
		return protocol.CodeBadRequest, "the request does not fit what is stored"
	case errors.Is(err, opaque.ErrWrongPassword):
		return protocol.CodeAuthFailed, "wrong e-mail address or password"
	case errors.Is(err, seallog.ErrIndexOutOfRange):
		return protocol.CodeNotFound, "no such leaf or tree size in the log"
	}
	var se *membership.StatementError
	if errors.As(err, &se) || isMembershipErr(err) {
		return membership.Code(err), "the membership statement was refused: " + membershipReason(err)
	}
	switch {
	case errors.Is(err, grant.ErrTooLarge), errors.Is(err, keys.ErrTooLarge):
		return protocol.CodeTooLarge, "a signed statement or wrap is over its limit"
	case errors.Is(err, grant.ErrUnsupported):
		return protocol.CodeUnsupported, "unsupported statement version or kind"
	case errors.Is(err, grant.ErrBadSignature), errors.Is(err, grant.ErrWrongGranter), errors.Is(err, keys.ErrBadSignature):
		return protocol.CodeBadSignature, "a signature does not verify under the signer's key in the membership chain"
	case errors.Is(err, grant.ErrMalformed), errors.Is(err, keys.ErrMalformed):
		return protocol.CodeBadEncoding, "a signed statement or wrap is malformed"
	}
	return protocol.CodeInternal, "internal error; nothing was changed"
}

func isMembershipErr(err error) bool {
	for _, e := range []error{membership.ErrMalformed, membership.ErrTooLarge, membership.ErrUnsupported,
		membership.ErrBadSignature, membership.ErrBrokenChain, membership.ErrPinMismatch, membership.ErrNotAuthorized,
		membership.ErrUnknownMember, membership.ErrAlreadyMember, membership.ErrLastOwner, membership.ErrNoChange,
		membership.ErrRecoveryHolder, membership.ErrRecoveryDisabled, membership.ErrKeyMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// membershipReason names the rule a statement broke, without quoting it.
func membershipReason(err error) string {
	switch {
	case errors.Is(err, membership.ErrStale):
		return "it does not follow the chain's head (fetch the chain and sign again)"
	case errors.Is(err, membership.ErrMalformed):
		return "malformed"
	case errors.Is(err, membership.ErrTooLarge):
		return "too large"
	case errors.Is(err, membership.ErrUnsupported):
		return "unsupported version, kind or role"
	case errors.Is(err, membership.ErrBadSignature):
		return "bad signature"
	case errors.Is(err, membership.ErrBrokenChain), errors.Is(err, membership.ErrPinMismatch):
		return "it breaks the chain"
	case errors.Is(err, membership.ErrNotAuthorized):
		return "the signer is not allowed to make this change"
	case errors.Is(err, membership.ErrUnknownMember):
		return "not a member"
	case errors.Is(err, membership.ErrAlreadyMember):
		return "already a member"
	case errors.Is(err, membership.ErrLastOwner):
		return "the last owner cannot leave or be demoted"
	case errors.Is(err, membership.ErrNoChange):
		return "it changes nothing"
	case errors.Is(err, membership.ErrRecoveryHolder):
		return "recovery holders must be owners or admins"
	case errors.Is(err, membership.ErrRecoveryDisabled):
		return "tenant recovery is off"
	case errors.Is(err, membership.ErrKeyMismatch):
		return "a key does not match the chain"
	}
	return "refused"
}

// Shorthands for the errors handlers return.
func badRequest(format string, args ...any) error {
	return protocol.Errorf(protocol.CodeBadRequest, format, args...)
}
func forbidden(format string, args ...any) error {
	return protocol.Errorf(protocol.CodeForbidden, format, args...)
}
func notFound(what string) error { return protocol.Errorf(protocol.CodeNotFound, "no such %s", what) }
func conflict(format string, args ...any) error {
	return protocol.Errorf(protocol.CodeConflict, format, args...)
}
