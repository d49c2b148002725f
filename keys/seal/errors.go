package seal

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seallog"
)

// Errors. Each failure that Verify can find wraps exactly one of these
// (proof failures wrap ErrProofInvalid and the seallog error that says
// which check failed), so that a verifier can say what is wrong with
// errors.Is. Failures of one signer are a *SignerError carrying its index.
var (
	// ErrMalformed: a statement, seal or .seal file does not parse, is not
	// canonical CBOR, or breaks a structural rule. It wraps keys.ErrMalformed.
	ErrMalformed = fmt.Errorf("seal: malformed: %w", keys.ErrMalformed)
	// ErrTooLarge: input over protocol.MaxSeal or protocol.MaxStatement, or
	// more than protocol.MaxSigners signers. It wraps keys.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("seal: %w", keys.ErrTooLarge)
	// ErrUnsupported: a format version this code does not know.
	ErrUnsupported = errors.New("seal: unsupported format version")

	// ErrHashMismatch: the document's SHA-256 is not the seal's D.
	ErrHashMismatch = errors.New("seal: the document is not the one that was sealed")
	// ErrMissingSignature: a signer listed in the seal has no statement.
	ErrMissingSignature = errors.New("seal: a signer's signature is missing")
	// ErrSignerMismatch: a statement is validly signed but bound to another
	// signer identity, envelope or document, or is by a key that is not one
	// of the seal's signers.
	ErrSignerMismatch = errors.New("seal: a statement does not belong to this seal's signer")
	// ErrBadSignature: a statement's signature does not verify under its
	// signer's key. It wraps keys.ErrBadSignature.
	ErrBadSignature = fmt.Errorf("seal: %w", keys.ErrBadSignature)
	// ErrLogKeyMismatch: the proof's checkpoint is not signed by the pinned
	// log key. It is seallog.ErrLogKeyMismatch.
	ErrLogKeyMismatch = seallog.ErrLogKeyMismatch
	// ErrProofInvalid: the log proof does not show this seal in the log.
	// It is joined with the seallog error naming the failed check
	// (seallog.ErrWrongLeaf when the log entry is for another seal).
	ErrProofInvalid = errors.New("seal: the log proof does not show this seal")
)

// SignerError is the failure of one signer of a seal.
type SignerError struct {
	Index int // position in Seal.Signers
	Err   error
}

func (e *SignerError) Error() string { return fmt.Sprintf("seal: signer %d: %v", e.Index, e.Err) }
func (e *SignerError) Unwrap() error { return e.Err }

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
