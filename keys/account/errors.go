package account

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/keys"
)

// Each unlock method has its own wrong-secret error, so a client can tell
// the user which secret was wrong. All wrap keys.ErrWrongKey: an
// authenticated cipher cannot tell a wrong key from altered ciphertext, so
// "wrong" here also covers a wrap altered in storage.
var (
	ErrWrongPassword     = fmt.Errorf("account: the password does not unlock this wrap: %w", keys.ErrWrongKey)
	ErrWrongPasskey      = fmt.Errorf("account: the passkey does not unlock this wrap: %w", keys.ErrWrongKey)
	ErrWrongDevice       = fmt.Errorf("account: the device key does not unlock this wrap: %w", keys.ErrWrongKey)
	ErrWrongRecoveryCode = fmt.Errorf("account: the recovery code does not unlock this wrap: %w", keys.ErrWrongKey)
	ErrWrongAdmins       = fmt.Errorf("account: the admin keys do not unlock this wrap: %w", keys.ErrWrongKey)
	// ErrWrongAccountKey means AK does not open the sealed keyring.
	ErrWrongAccountKey = fmt.Errorf("account: the account key does not open this keyring: %w", keys.ErrWrongKey)
)

var (
	// ErrWrongMethod means an Unlocker was given a wrap of another method.
	ErrWrongMethod = errors.New("account: the wrap is for another unlock method")

	// ErrRecoveryCodeTypo means a recovery code's checksum does not match:
	// it was mistyped. It is caught before any key is derived.
	ErrRecoveryCodeTypo = fmt.Errorf("account: the recovery code has a typo (checksum mismatch): %w", keys.ErrMalformed)

	// ErrKeyringMismatch means an opened keyring is not the one the
	// account's public keyring names.
	ErrKeyringMismatch = errors.New("account: the keyring does not match the account's public keyring")
)

func malformed(what, why string) error {
	return fmt.Errorf("account: %s: %s: %w", what, why, keys.ErrMalformed)
}
