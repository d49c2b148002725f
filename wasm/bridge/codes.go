//go:build js && wasm

package main

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/keys/document"
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
	// CodeInternal: the bridge failed; it is a bug in Vellum.
	CodeInternal Code = "internal"
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
// its own; for the errors of keys/document and age it is a fixed text per
// code, because theirs can quote input (age quotes the first line of a file
// that is not age, which could be a plaintext document decrypted by
// mistake) and the page may log or report messages.
func messageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	switch codeOf(err) {
	case CodeWrongKey:
		return "the key does not open this file (a wrong key, or the file was altered)"
	case CodeTruncated:
		return "the document file is cut short"
	case CodeCorrupted:
		return "the document file was altered or damaged"
	case CodeMalformed:
		return "the input is not in the expected format"
	case CodeTooLarge:
		return "the input is over its size limit"
	}
	return "internal error in the Vellum bridge"
}

// codeOf classifies err for the page. Errors of keys/document map onto
// their own codes; anything unexpected is CodeInternal.
func codeOf(err error) Code {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
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
