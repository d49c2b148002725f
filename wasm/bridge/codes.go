//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// Code is the machine-readable code of an error that crosses to the page, in
// the code property of the rejected Error. Codes are part of the page API:
// append new ones; never change or reuse one. The worker adds one of its own,
// "unavailable" (the worker or the WebAssembly module could not start or has
// stopped), which this package never returns.
type Code string

const (
	// CodeBadArgument: a function got the wrong number or type of arguments,
	// an unknown option, or a value out of range. It is a bug in the caller.
	CodeBadArgument Code = "bad_argument"
	// CodeNotFound: no key or stream has that handle: it was never made, was
	// released, or its stream finished, was aborted or failed.
	CodeNotFound Code = "not_found"
	// CodeTooLarge: an input is over its limit (MaxPush for a chunk,
	// protocol.MaxWrappedKey for a wrapped key).
	CodeTooLarge Code = "too_large"
	// CodeLimit: too many keys or streams are open at once.
	CodeLimit Code = "limit"
	// CodeWrongKey: the key given does not open the ciphertext (or its
	// recipient stanza was altered). document.ErrWrongKey.
	CodeWrongKey Code = "wrong_key"
	// CodeTruncated: the ciphertext ended early. document.ErrTruncated.
	CodeTruncated Code = "truncated"
	// CodeCorrupted: the ciphertext was altered, reordered, or has data
	// appended. document.ErrCorrupted.
	CodeCorrupted Code = "corrupted"
	// CodeMalformed: the input is not a Vellum document file or wrapped key
	// at all, or a recipient string is not a canonical age X25519 recipient.
	CodeMalformed Code = "malformed"
	// CodeInternal: the bridge failed; it is a bug in Vellum. (A server
	// that failed sends "internal" too.)
	CodeInternal Code = "internal"

	// Codes of the account functions (app.go). A refusal by the server
	// carries the server's own code (protocol/errors.go: "auth_failed",
	// "forbidden", "not_found", "rate_limited", ...), as does a request the
	// client refused to send for the same reason; the codes below are the
	// client's.

	// CodeNetwork: the server could not be reached, or its reply was cut.
	// The request may or may not have taken effect. client.ErrNetwork.
	CodeNetwork Code = "network"
	// CodeBadResponse: the server's reply is not what the API says.
	CodeBadResponse Code = "bad_response"
	// CodeNotLoggedIn: the call needs a session and there is none.
	CodeNotLoggedIn Code = "not_logged_in"
	// CodeKeyringLocked: logged in, but no unlock method opened the
	// account key: unlock with the recovery code. client.ErrLocked.
	CodeKeyringLocked Code = "keyring_locked"
	// CodeDeviceVerification: the login needs the code e-mailed to the
	// account (the error has sentTo and expiresAt). Call verifyDevice.
	CodeDeviceVerification Code = "device_verification"
	// CodeNoPendingLogin: verifyDevice or resendDeviceCode without a login
	// waiting for a code, or finishRegistration without a sign-up.
	CodeNoPendingLogin Code = "no_pending_login"
	// CodeNoAccess: this account holds no key that opens the object.
	CodeNoAccess Code = "no_access"
	// CodeNotMember: the account named is not a member of the tenant (as
	// its checked membership chain says).
	CodeNotMember Code = "not_member"
	// CodeNotAllowed: the membership rules do not let this account make
	// that change (membership.ErrNotAuthorized).
	CodeNotAllowed Code = "not_allowed"
	// CodeLastOwner: the change would leave the tenant without an owner.
	CodeLastOwner Code = "last_owner"
	// CodeAlreadyMember: the account is a member already.
	CodeAlreadyMember Code = "already_member"
	// CodeNoChange: the change changes nothing.
	CodeNoChange Code = "no_change"
	// CodePinMismatch: the tenant's membership chain does not start with
	// the genesis this browser pinned: the server, or someone who controls
	// it, replaced the company's history. Do not go on.
	CodePinMismatch Code = "pin_mismatch"
	// CodeUntrusted: a signature, a membership or key chain, or an opened
	// keyring did not check out: the server's answer cannot be trusted.
	CodeUntrusted Code = "untrusted"
	// CodeInconsistent: the server's answer contradicts what it said
	// before or what signed data says (client.ErrInconsistent).
	CodeInconsistent Code = "inconsistent"
	// CodeVersionNotSigned: a document version is not signed by the member
	// who uploaded it, or its bytes are not the signed ones: the server may
	// have made it (client.ErrVersionNotSigned).
	CodeVersionNotSigned Code = "version_not_signed"
	// CodeWrongRecoveryCode: the recovery code does not open the account.
	CodeWrongRecoveryCode Code = "wrong_recovery_code"
	// CodeRecoveryCodeTypo: the recovery code was mistyped (its checksum
	// does not match); nothing was tried.
	CodeRecoveryCodeTypo Code = "recovery_code_typo"
	// CodeSizeMismatch: the file gave more or fewer bytes than its size.
	CodeSizeMismatch Code = "size_mismatch"
	// CodeUploadLost: the upload cannot be resumed; start it again.
	CodeUploadLost Code = "upload_lost"
	// CodeSource: the page's File or stream failed while being read.
	CodeSource Code = "source_failed"
	// CodeCancelled: the call was cancelled (cancel(op), or the reader of
	// a download stream cancelled it).
	CodeCancelled Code = "cancelled"
	// CodeStorage: the browser's storage (IndexedDB) is missing or failed,
	// so this browser cannot be remembered as a trusted device.
	CodeStorage Code = "storage"

	// Codes of the signing functions (app_signing.go). A refusal by the
	// server keeps its code: a wrong PIN is "auth_failed", a link locked
	// after protocol.PINTries wrong PINs "locked", an expired envelope or
	// link "expired".

	// CodeBadLink: the signing link is not a Vellum signing link (cut
	// short when copied, or altered). Nothing was sent.
	CodeBadLink Code = "bad_link"
	// CodeBadPIN: the PIN typed is not six digits. Nothing was sent, and
	// no try was counted.
	CodeBadPIN Code = "bad_pin"
	// CodeLinkOrigin: the signing link is for another Vellum server than
	// the one this page came from (client.ErrLinkOrigin).
	CodeLinkOrigin Code = "link_origin"
	// CodeEnvelopeClosed: the envelope was cancelled by its sender or
	// declined by a signer: nothing more can be signed.
	CodeEnvelopeClosed Code = "envelope_closed"
	// CodeNotYourTurn: the envelope is signed in order, and a signer
	// before this one has not signed yet.
	CodeNotYourTurn Code = "not_your_turn"
	// CodeAlreadySigned: this signer has signed already.
	CodeAlreadySigned Code = "already_signed"
	// CodeEnvelopeState: the envelope is not in a state that allows the
	// call (not completed for a seal, not sealed for a sealed download);
	// client.ErrEnvelopeState.
	CodeEnvelopeState Code = "envelope_state"
	// CodeNotSigner: this account or link is not a signer of the envelope
	// (client.ErrNotSigner).
	CodeNotSigner Code = "not_signer"
	// CodeNotRead: a signature before the document was read to its end
	// (client.ErrNotRead): a signer signs the bytes they were shown.
	CodeNotRead Code = "not_read"
	// CodeSealInvalid: a seal made or downloaded does not verify against
	// the document and the pinned log key (client.ErrSealInvalid); any
	// bytes of a download that ends with it MUST be discarded.
	CodeSealInvalid Code = "seal_invalid"
	// CodeDigestMismatch: a signer signed other bytes than the document
	// this client read (client.ErrDigestMismatch).
	CodeDigestMismatch Code = "digest_mismatch"
)

// Error is an error with a Code. Its message is for people and MUST NOT
// contain secrets or data: it is this package's own text, with sizes and
// handles at most.
type Error struct {
	Code Code
	Msg  string
	Err  error // the cause, if any, for errors.Is
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// messageOf returns the message the page sees for err. An *Error carries
// its own; a server's refusal its own message; the client's errors their
// text, which holds no password, key, code or token (wasm/client's rule).
// For the errors of keys/document and age it is a fixed text per code,
// because theirs can quote input (age quotes the first line of a file
// that is not age, which could be a plaintext document decrypted by
// mistake) and the page may log or report messages.
func messageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	code := codeOf(err)
	switch code {
	case CodeWrongKey:
		return "the key does not open this file (a wrong key, or the file was altered)"
	case CodeTruncated:
		return "the document file is cut short"
	case CodeCorrupted:
		return "the document file was altered or damaged"
	case CodeMalformed:
		return "the input is not in the expected format"
	case CodeTooLarge:
		if _, ok := serverError(err); !ok {
			return "the input is over its size limit"
		}
	case CodeCancelled:
		return "the operation was cancelled"
	}
	if pe, ok := serverError(err); ok {
		if pe.Message != "" {
			return pe.Message
		}
		return string(pe.Code)
	}
	if code == CodeInternal {
		// Unexpected: its text is not known to be free of data.
		return "internal error in the Vellum client"
	}
	return strings.TrimPrefix(err.Error(), "client: ")
}

// serverError returns the *protocol.Error in err's chain: a refusal by the
// server, or a request the client refused to send for the same reason.
func serverError(err error) (*protocol.Error, bool) {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// codeOf classifies err for the page. The order matters: the client's and
// the account package's own errors first (several wrap keys.ErrWrongKey or
// keys.ErrMalformed, which keys/document shares), then the server's code,
// then keys/document's; anything unexpected is CodeInternal.
func codeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	for _, m := range sentinels {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	if pe, ok := serverError(err); ok {
		return Code(pe.Code)
	}
	switch {
	case errors.Is(err, document.ErrWrongKey):
		return CodeWrongKey
	case errors.Is(err, document.ErrTruncated):
		return CodeTruncated
	case errors.Is(err, document.ErrCorrupted):
		return CodeCorrupted
	case errors.Is(err, document.ErrMalformed):
		return CodeMalformed
	case errors.Is(err, document.ErrTooLarge):
		return CodeTooLarge
	}
	return CodeInternal
}

// sentinels map the errors of wasm/client and of the keys packages it
// returns to codes, in the order they are tried.
var sentinels = []struct {
	err  error
	code Code
}{
	{context.Canceled, CodeCancelled},
	{client.ErrNetwork, CodeNetwork},
	{client.ErrBadResponse, CodeBadResponse},
	{client.ErrNotLoggedIn, CodeNotLoggedIn},
	{client.ErrLocked, CodeKeyringLocked},
	{client.ErrDeviceVerificationNeeded, CodeDeviceVerification},
	{client.ErrNoPendingLogin, CodeNoPendingLogin},
	{client.ErrNoUnlockWrap, CodeWrongRecoveryCode},
	{client.ErrNoAccess, CodeNoAccess},
	{client.ErrVersionNotSigned, CodeVersionNotSigned}, // before ErrInconsistent, which it wraps
	{client.ErrInconsistent, CodeInconsistent},
	{client.ErrSizeMismatch, CodeSizeMismatch},
	{client.ErrUploadLost, CodeUploadLost},
	{client.ErrAlreadyRegistered, CodeNoPendingLogin},
	{client.ErrLinkOrigin, CodeLinkOrigin},
	{client.ErrNotSigner, CodeNotSigner},
	{client.ErrNotRead, CodeNotRead},
	{client.ErrDigestMismatch, CodeDigestMismatch},
	{client.ErrSealInvalid, CodeSealInvalid},
	{client.ErrEnvelopeState, CodeEnvelopeState},
	{account.ErrRecoveryCodeTypo, CodeRecoveryCodeTypo},
	{account.ErrWrongRecoveryCode, CodeWrongRecoveryCode},
	{account.ErrKeyringMismatch, CodeUntrusted},
	{membership.ErrPinMismatch, CodePinMismatch},
	{membership.ErrKeyMismatch, CodeUntrusted},
	{membership.ErrBrokenChain, CodeUntrusted},
	{membership.ErrBadSignature, CodeUntrusted},
	{membership.ErrNotAuthorized, CodeNotAllowed},
	{membership.ErrLastOwner, CodeLastOwner},
	{membership.ErrAlreadyMember, CodeAlreadyMember},
	{membership.ErrUnknownMember, CodeNotMember},
	{membership.ErrNoChange, CodeNoChange},
	{grant.ErrBrokenChain, CodeUntrusted},
	{grant.ErrNotAdmin, CodeUntrusted},
	{grant.ErrVersionGap, CodeUntrusted},
	{grant.ErrWrongGranter, CodeUntrusted},
	{grant.ErrKeyMismatch, CodeUntrusted},
	{keys.ErrBadSignature, CodeUntrusted},
}

// jsErrorOf returns the JavaScript Error the page sees for err: named
// VellumError, with a code, a message, server: true for a refusal by the
// server, and for a device verification the masked address the code went
// to and when it expires.
func jsErrorOf(err error) js.Value {
	e := jsError.New(messageOf(err))
	e.Set("name", "VellumError")
	e.Set("code", string(codeOf(err)))
	var dv *client.DeviceVerificationError
	if errors.As(err, &dv) {
		e.Set("sentTo", dv.SentTo)
		e.Set("expiresAt", timeJS(dv.ExpiresAt))
	}
	return e
}
