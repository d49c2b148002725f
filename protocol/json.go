package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrTooLarge is returned by decoders for input over a limit in limits.go.
var ErrTooLarge = errors.New("protocol: input too large")

// DecodeJSON decodes exactly one JSON value from data into v, which MUST be
// a pointer. It refuses input over max bytes, invalid UTF-8, unknown fields,
// trailing data, malformed JSON, and what encoding/json alone lets through
// (see checkShape: names matching only case-insensitively, duplicate names,
// null, non-canonical base64), each with an *Error carrying the matching
// Code, so the server can answer with a clear 4xx. It never echoes the input
// back in the message.
func DecodeJSON(data []byte, v any, max int) error {
	if len(data) > max {
		return Errorf(CodeTooLarge, "body of %d bytes is over the limit of %d", len(data), max)
	}
	if !utf8.Valid(data) {
		return Errorf(CodeBadEncoding, "body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(CodeBadEncoding, "trailing data after the JSON value")
	}
	return checkShape(json.NewDecoder(bytes.NewReader(data)), reflect.TypeOf(v).Elem(), "body")
}

// DecodeJSONReader is DecodeJSON for a reader; it reads at most max+1 bytes.
func DecodeJSONReader(r io.Reader, v any, max int) error {
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return Errorf(CodeBadRequest, "reading body: %v", err)
	}
	return DecodeJSON(data, v, max)
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return Errorf(CodeBadEncoding, "malformed JSON at offset %d", syntax.Offset)
	case errors.As(err, &typ):
		return Errorf(CodeBadRequest, "field %q must be of type %s", typ.Field, typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeBadEncoding, "empty or truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Errorf(CodeUnknownField, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	var perr *Error
	if errors.As(err, &perr) {
		return perr
	}
	var terr *time.ParseError
	if errors.As(err, &terr) {
		return Errorf(CodeBadRequest, "a time is not in RFC 3339 form")
	}
	// Other errors (from UnmarshalText or UnmarshalJSON methods) may quote
	// the input, which may be a secret: say only what kind of thing failed.
	return Errorf(CodeBadRequest, "invalid value in JSON body")
}

// EncodeJSON encodes v as compact JSON. It exists so that every writer of the
// wire format goes through one place.
func EncodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("protocol: encoding JSON: %w", err)
	}
	return b, nil
}
