package protocol

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"time"
)

// DecodeRequest decodes and validates the JSON body of a request for route
// r, as the server MUST before acting on it: DecodeJSON, then the request's
// Validate.
//
// checkShape, which DecodeJSON runs for every caller, refuses what
// encoding/json alone lets through, so that one body has one meaning to
// every reader:
//
//   - a member name that matches a field only case-insensitively
//     (CodeUnknownField): encoding/json would read "EMAIL" as "email";
//   - a member name twice in one object (CodeBadRequest): encoding/json
//     keeps the last;
//   - null, for the body or any member (CodeBadRequest): leave the member
//     out instead;
//   - a byte field whose base64 is not canonical (CodeBadEncoding): standard
//     alphabet, padded, zero pad bits, no line breaks; encoding/json
//     ignores line breaks and pad bits.
//
// It then calls the request's Validate.
func DecodeRequest(r *Route, body []byte) (Request, error) {
	if r.Body != BodyJSON || r.NewRequest == nil {
		return nil, Errorf(CodeBadRequest, "this route takes no JSON body")
	}
	v := r.NewRequest()
	if err := DecodeJSON(body, v, r.MaxBody); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

var (
	rawMessageType = reflect.TypeOf(json.RawMessage(nil))
	timeType       = reflect.TypeOf(time.Time{})
	textUnmarshal  = reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem()
)

// checkShape walks one JSON value, already known to be valid JSON that
// decodes into t, and checks the rules of DecodeRequest.
func checkShape(dec *json.Decoder, t reflect.Type, where string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return shapeError(err)
	}
	if tok == nil {
		return Errorf(CodeBadRequest, "%s is null; leave it out instead", where)
	}
	if t == rawMessageType {
		return skipRest(dec, tok)
	}
	switch {
	case t.Kind() == reflect.Struct && t != timeType && !reflect.PointerTo(t).Implements(textUnmarshal):
		if tok != json.Delim('{') {
			return skipRest(dec, tok) // a type error DecodeJSON already refused
		}
		fields := jsonFields(t)
		seen := make(map[string]bool)
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return shapeError(err)
			}
			name, _ := k.(string)
			ft, ok := fields[name]
			if !ok {
				return Errorf(CodeUnknownField, "unknown field in %s (member names are case-sensitive)", where)
			}
			if seen[name] {
				return Errorf(CodeBadRequest, "field %q appears twice", name)
			}
			seen[name] = true
			if err := checkShape(dec, ft, name); err != nil {
				return err
			}
		}
		_, err := dec.Token() // '}'
		return shapeError(err)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		s, ok := tok.(string)
		if !ok {
			return skipRest(dec, tok)
		}
		if strings.ContainsAny(s, "\r\n") {
			return Errorf(CodeBadEncoding, "%s is not canonical base64", where)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
			return Errorf(CodeBadEncoding, "%s is not canonical base64", where)
		}
		return nil
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if tok != json.Delim('[') {
			return skipRest(dec, tok)
		}
		for dec.More() {
			if err := checkShape(dec, t.Elem(), where); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return shapeError(err)
	}
	return skipRest(dec, tok)
}

// skipRest consumes the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		var err error
		if tok, err = dec.Token(); err != nil {
			return shapeError(err)
		}
	}
}

func shapeError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return Errorf(CodeBadEncoding, "empty or truncated JSON")
	}
	return Errorf(CodeBadEncoding, "malformed JSON")
}

// jsonFields maps the exact JSON member names of a struct, including those
// of embedded structs, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}
