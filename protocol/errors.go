package protocol

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code returned by the API in the "code"
// field of an error body. Codes are part of the wire contract: do not change
// or reuse one; append new ones.
type Code string

const (
	CodeBadRequest       Code = "bad_request"        // malformed input
	CodeBadEncoding      Code = "bad_encoding"       // not valid JSON/CBOR/base64 or not canonical
	CodeUnknownField     Code = "unknown_field"      // a JSON object carried a field the type does not have
	CodeTooLarge         Code = "too_large"          // over a limit in limits.go
	CodeUnauthenticated  Code = "unauthenticated"    // no session, or an expired or revoked one
	CodeForbidden        Code = "forbidden"          // authenticated, but not allowed
	CodeNotFound         Code = "not_found"          // no such object, or not visible to the caller
	CodeConflict         Code = "conflict"           // the object changed or already exists
	CodeRateLimited      Code = "rate_limited"       // too many attempts; retry later
	CodeLocked           Code = "locked"             // locked after too many wrong secrets
	CodeExpired          Code = "expired"            // a link, PIN, code or upload expired
	CodeBadSignature     Code = "bad_signature"      // a signed statement did not verify
	CodeBadChain         Code = "bad_chain"          // a membership or audit chain did not verify
	CodeAuthFailed       Code = "auth_failed"        // wrong password, PIN or code
	CodeUnsupported      Code = "unsupported"        // unknown version or algorithm
	CodeInternal         Code = "internal"           // the server failed; nothing was changed
	CodeMethodNotAllowed Code = "method_not_allowed" // the route exists but not with this method
)

// Error is the JSON error body: {"code": "...", "message": "..."}.
// Message is for people and MUST NOT contain secrets.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the Code of the first *Error in err's chain, or
// CodeInternal if there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
