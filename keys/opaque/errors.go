package opaque

import (
	"errors"
	"fmt"

	bo "github.com/bytemare/opaque"

	"vellum.dev/vellum/keys"
)

var (
	// ErrWrongPassword means the login did not authenticate: on the client,
	// the password is wrong, the account does not exist (the server answered
	// with a fake record), or KE2 was altered; on the server, KE3 does not
	// prove knowledge of the password. These causes are deliberately one
	// error: telling them apart would let anyone enumerate accounts.
	// It wraps keys.ErrWrongKey.
	ErrWrongPassword = fmt.Errorf("opaque: wrong password or unknown account: %w", keys.ErrWrongKey)

	// ErrStateUsed means a ClientRegistration or ClientLogin was finished
	// twice. Each holds one-time secrets; start a new one.
	ErrStateUsed = errors.New("opaque: client state already used")
)

// malformed wraps keys.ErrMalformed with what was being parsed.
func malformed(what, why string) error {
	return fmt.Errorf("opaque: %s: %s: %w", what, why, keys.ErrMalformed)
}

// classify maps an error of github.com/bytemare/opaque onto the sentinels
// of this package. bytemare's messages name which check failed and never
// carry secret values, so they are kept for people.
func classify(what string, err error) error {
	switch {
	case errors.Is(err, bo.ErrCodeAuthentication):
		return fmt.Errorf("opaque: %s: %w", what, ErrWrongPassword)
	case errors.Is(err, bo.ErrCodeMessage), errors.Is(err, bo.ErrCodeClientRecord),
		errors.Is(err, bo.ErrCodeRegistration):
		return fmt.Errorf("opaque: %s: %w (%v)", what, keys.ErrMalformed, err)
	}
	return fmt.Errorf("opaque: %s: %v", what, err)
}
