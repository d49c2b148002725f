package membership

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Errors. Each failure of a chain check wraps exactly one of these, so that
// callers (and the server mapping errors to protocol codes) can tell causes
// apart with errors.Is. Errors about one statement of a chain are a
// *StatementError carrying its position.
var (
	// ErrMalformed: a statement does not parse, is not in canonical CBOR,
	// or carries a field its kind does not have or lacks one it needs.
	// It wraps keys.ErrMalformed.
	ErrMalformed = fmt.Errorf("membership: malformed statement: %w", keys.ErrMalformed)
	// ErrTooLarge: a statement is over protocol.MaxStatement, a chain over
	// protocol.MaxMembershipChain, or recovery holders over
	// protocol.MaxRecoveryAdmins. It wraps keys.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("membership: %w", keys.ErrTooLarge)
	// ErrUnsupported: a statement of a version, kind or role this code does
	// not know. A newer client may have written it; this one cannot judge it.
	ErrUnsupported = errors.New("membership: unsupported statement version, kind or role")
	// ErrBadSignature: a signature does not verify under the key the chain
	// gives the signer at that point. It wraps keys.ErrBadSignature.
	ErrBadSignature = fmt.Errorf("membership: %w", keys.ErrBadSignature)
	// ErrBrokenChain: a statement does not follow the one before it (wrong
	// seq, wrong previous hash, another tenant), the chain is empty, or a
	// genesis appears anywhere but first.
	ErrBrokenChain = errors.New("membership: broken chain")
	// ErrStale: a statement of the right tenant whose seq or previous hash
	// is not the head's; it wraps ErrBrokenChain. To a server appending a
	// statement it usually means another statement got in first, and the
	// client should fetch the chain and build its statement again.
	ErrStale = fmt.Errorf("%w: statement does not follow the head", ErrBrokenChain)
	// ErrPinMismatch: the chain's genesis is not the pinned one.
	ErrPinMismatch = errors.New("membership: genesis does not match the pin")
	// ErrNotAuthorized: the signer's role does not allow the change.
	ErrNotAuthorized = errors.New("membership: signer is not authorized for this change")
	// ErrUnknownMember: the signer or the subject of a change is not a
	// member, or a lookup named an account that is not one.
	ErrUnknownMember = errors.New("membership: not a member")
	// ErrAlreadyMember: an added account, or its e-mail address, is
	// already a member.
	ErrAlreadyMember = errors.New("membership: already a member")
	// ErrLastOwner: the change would leave the tenant without an owner.
	ErrLastOwner = errors.New("membership: the last owner cannot leave or be demoted")
	// ErrNoChange: the statement changes nothing (the same role, the same
	// keys, disabling recovery that is off). Refused so that a chain holds
	// only real events.
	ErrNoChange = errors.New("membership: statement changes nothing")
	// ErrRecoveryHolder: a recovery holder is not an owner or admin, or a
	// change would take a current holder out of those roles while recovery
	// is on (disable or re-enable recovery without them first; members'
	// wraps to the old holders stay openable by them until re-wrapped).
	ErrRecoveryHolder = errors.New("membership: recovery holders must be owners or admins")
	// ErrRecoveryDisabled: tenant recovery is off.
	ErrRecoveryDisabled = errors.New("membership: tenant recovery is off")
	// ErrKeyMismatch: a key offered for a member is not the one the chain
	// holds for them (see State.CheckRecipient).
	ErrKeyMismatch = errors.New("membership: key does not match the membership chain")
)

// Code is the protocol code a server answers with when it refuses a
// statement with err (SPEC §Membership, Errors).
func Code(err error) protocol.Code {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMalformed):
		return protocol.CodeBadEncoding
	case errors.Is(err, ErrTooLarge):
		return protocol.CodeTooLarge
	case errors.Is(err, ErrUnsupported):
		return protocol.CodeUnsupported
	case errors.Is(err, ErrBadSignature):
		return protocol.CodeBadSignature
	case errors.Is(err, ErrStale), errors.Is(err, ErrAlreadyMember), errors.Is(err, ErrLastOwner),
		errors.Is(err, ErrNoChange), errors.Is(err, ErrRecoveryHolder), errors.Is(err, ErrRecoveryDisabled):
		return protocol.CodeConflict
	case errors.Is(err, ErrBrokenChain), errors.Is(err, ErrPinMismatch), errors.Is(err, ErrKeyMismatch):
		return protocol.CodeBadChain
	case errors.Is(err, ErrNotAuthorized):
		return protocol.CodeForbidden
	case errors.Is(err, ErrUnknownMember):
		return protocol.CodeNotFound
	}
	return protocol.CodeInternal
}

// StatementError is a failure of one statement of a chain.
type StatementError struct {
	// Index is the statement's position in the chain, which is also the
	// seq it was expected to carry.
	Index uint64
	Err   error
}

func (e *StatementError) Error() string {
	return fmt.Sprintf("membership: statement %d: %v", e.Index, e.Err)
}

func (e *StatementError) Unwrap() error { return e.Err }
