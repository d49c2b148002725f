package keys

import "errors"

// Sentinel errors. Subpackages wrap these with %w and add their own for
// format-specific failures, so callers can tell causes apart with errors.Is.
var (
	// ErrWrongKey means the ciphertext is well-formed but the key given does
	// not open it (or the ciphertext was altered; the two are the same to an
	// authenticated cipher).
	ErrWrongKey = errors.New("keys: wrong key or altered ciphertext")
	// ErrMalformed means the input is not in the expected format.
	ErrMalformed = errors.New("keys: malformed input")
	// ErrBadSignature means an Ed25519 signature did not verify.
	ErrBadSignature = errors.New("keys: signature does not verify")
	// ErrTooLarge means the input is over its limit in protocol/limits.go.
	ErrTooLarge = errors.New("keys: input too large")
)
