package client

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the client itself. Refusals by the server are *protocol.Error
// values instead (errors.As), carrying the server's code; failures of the
// keys packages keep their own sentinels (errors.Is), wrapped.
var (
	// ErrNetwork wraps every transport failure: the request may or may not
	// have reached the server. The underlying error is wrapped too.
	ErrNetwork = errors.New("client: network error")
	// ErrNotLoggedIn: the call needs a session and there is none.
	ErrNotLoggedIn = errors.New("client: not logged in")
	// ErrLocked: logged in, but the keyring is not unlocked (no unlock
	// method of this login opened the account key).
	ErrLocked = errors.New("client: the account's keyring is locked")
	// ErrDeviceVerificationNeeded: the login worked but this device is not
	// trusted yet; submit the code the server e-mailed with VerifyDevice.
	// The error is a *DeviceVerificationError.
	ErrDeviceVerificationNeeded = errors.New("client: this device must be confirmed with the code sent by e-mail")
	// ErrNoPendingLogin: VerifyDevice without a login waiting for a code.
	ErrNoPendingLogin = errors.New("client: no login is waiting for a device code")
	// ErrNoUnlockWrap: the server offered no wrap of the account key that
	// the given secret can open.
	ErrNoUnlockWrap = errors.New("client: no wrap of the account key for this unlock method")
	// ErrNoDevice: a DeviceStore holds no device for the account.
	ErrNoDevice = errors.New("client: no trusted device stored for this account")
	// ErrNotPinned: a PinStore holds no pin for the tenant.
	ErrNotPinned = errors.New("client: tenant not pinned")
	// ErrNoAccess: this account holds no key that opens the object.
	ErrNoAccess = errors.New("client: no key for this object")
	// ErrInconsistent: the server's answer contradicts what it said before
	// or what signed data says (a folder's key version or recipient that
	// its checked rotations do not give, an upload that went backwards).
	ErrInconsistent = errors.New("client: the server's answer is inconsistent")
	// ErrVersionNotSigned: a document version whose uploader's statement is
	// missing, does not verify, is not signed with a key the membership
	// chain gave its uploader, or signs other bytes than those served: the
	// server may have made the document itself. It wraps ErrInconsistent.
	ErrVersionNotSigned = fmt.Errorf("%w: the document version is not signed by the member who uploaded it", ErrInconsistent)
	// ErrSizeMismatch: an upload's reader gave more or fewer bytes than the
	// size announced.
	ErrSizeMismatch = errors.New("client: the data is not the announced size")
	// ErrUploadLost: an upload could not be resumed (the server holds an
	// offset this client can no longer send from).
	ErrUploadLost = errors.New("client: the upload cannot be resumed")
	// ErrAlreadyRegistered: Finish called twice on one registration.
	ErrAlreadyRegistered = errors.New("client: this registration is finished")
)

// DeviceVerificationError is returned by Login when the server wants this
// device confirmed with a code sent to the account's e-mail address. It
// matches ErrDeviceVerificationNeeded with errors.Is.
type DeviceVerificationError struct {
	// SentTo is the masked address the code went to ("a•••@e•••.com").
	SentTo    string
	ExpiresAt time.Time
}

func (e *DeviceVerificationError) Error() string {
	return ErrDeviceVerificationNeeded.Error() + " (sent to " + e.SentTo + ")"
}

func (e *DeviceVerificationError) Is(target error) bool { return target == ErrDeviceVerificationNeeded }
