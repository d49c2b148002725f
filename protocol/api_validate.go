package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Request is a JSON request body of the API. Validate checks what a decoder
// cannot: required fields, lengths against the limits in api_limits.go, and
// the shape of ids, e-mail addresses, keys and codes. It returns an *Error
// with CodeBadRequest, or CodeTooLarge for a field over its limit. It never
// quotes the offending value, which may be a secret typed in the wrong box.
//
// Validate checks syntax only. Whether the caller may do what it asks, and
// whether signed bytes verify, is for the server and the client to decide.
type Request interface {
	Validate() error
}

// ValidID reports whether s is a well-formed identifier: 1 to MaxIDLength
// bytes from the unpadded base64url alphabet [A-Za-z0-9_-]. Ids made by
// clients (tenants, folders, documents, envelopes) are 16 random bytes in
// unpadded base64url, 22 characters; ids made by the server have the same
// form, but nothing may depend on their length.
func ValidID(s string) bool {
	return len(s) > 0 && len(s) <= MaxIDLength && base64URL(s)
}

// base64URL reports whether s holds only characters of the unpadded
// base64url alphabet.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidEmail reports whether s has the shape of an e-mail address as Vellum
// accepts it: at most MaxEmailLength bytes of valid UTF-8, exactly one "@"
// with a non-empty local part and a domain, and no spaces, control
// characters, or the characters "<>()[]\,;:" that only quoted local parts
// may hold (Vellum does not accept those). Whether the address exists is
// checked by sending it a code.
func ValidEmail(s string) bool {
	if len(s) < 3 || len(s) > MaxEmailLength || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at < 1 || at != strings.LastIndexByte(s, '@') || at == len(s)-1 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || strings.ContainsRune(`<>()[]\,;:"`, r) {
			return false
		}
	}
	return true
}

func first(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func required(field string) error { return Errorf(CodeBadRequest, "%s is required", field) }

func tooLarge(field string, max int) error {
	return Errorf(CodeTooLarge, "%s is over its limit of %d", field, max)
}

func needID(field, v string) error {
	if v == "" {
		return required(field)
	}
	if !ValidID(v) {
		return Errorf(CodeBadRequest, "%s must be 1 to %d characters from [A-Za-z0-9_-]", field, MaxIDLength)
	}
	return nil
}

func optID(field, v string) error {
	if v == "" {
		return nil
	}
	return needID(field, v)
}

func needIDs(field string, ids []string, min int) error {
	if len(ids) < min {
		return required(field)
	}
	if len(ids) > MaxBatch {
		return tooLarge(field, MaxBatch)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := needID(field, id); err != nil {
			return err
		}
		if seen[id] {
			return Errorf(CodeBadRequest, "%s lists an id twice", field)
		}
		seen[id] = true
	}
	return nil
}

func needEmail(field, v string) error {
	if v == "" {
		return required(field)
	}
	if len(v) > MaxEmailLength {
		return tooLarge(field, MaxEmailLength)
	}
	if !ValidEmail(v) {
		return Errorf(CodeBadRequest, "%s is not an e-mail address", field)
	}
	return nil
}

func optEmail(field, v string) error {
	if v == "" {
		return nil
	}
	return needEmail(field, v)
}

// needPhone accepts E.164: "+" then 8 to 15 digits, the first not 0.
func needPhone(field, v string) error {
	if v == "" {
		return required(field)
	}
	if len(v) > MaxPhoneLength {
		return tooLarge(field, MaxPhoneLength)
	}
	if len(v) < 9 || v[0] != '+' || v[1] == '0' || !digits(v[1:]) {
		return Errorf(CodeBadRequest, "%s must be an E.164 phone number", field)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func needDigits(field, v string, min, max int) error {
	if v == "" {
		return required(field)
	}
	if len(v) < min || len(v) > max || !digits(v) {
		return Errorf(CodeBadRequest, "%s must be %d to %d digits", field, min, max)
	}
	return nil
}

func needBytes(field string, b []byte, max int) error {
	if len(b) == 0 {
		return required(field)
	}
	if len(b) > max {
		return tooLarge(field, max)
	}
	return nil
}

func optBytes(field string, b []byte, max int) error {
	if len(b) == 0 {
		return nil
	}
	return needBytes(field, b, max)
}

func needHash(field string, b []byte) error {
	if len(b) == 0 {
		return required(field)
	}
	if len(b) != 32 {
		return Errorf(CodeBadRequest, "%s must be 32 bytes", field)
	}
	return nil
}

// needText is for plaintext the server may read: valid UTF-8, no control
// characters, at most max bytes.
func needText(field, v string, max int) error {
	if v == "" {
		return required(field)
	}
	return optText(field, v, max)
}

func optText(field, v string, max int) error {
	if len(v) > max {
		return tooLarge(field, max)
	}
	if !utf8.ValidString(v) {
		return Errorf(CodeBadEncoding, "%s is not valid UTF-8", field)
	}
	for _, r := range v {
		if r < ' ' && r != '\n' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return Errorf(CodeBadRequest, "%s holds a control character", field)
		}
	}
	return nil
}

// needToken accepts an opaque token of printable ASCII without spaces.
func needToken(field, v string) error {
	if v == "" {
		return required(field)
	}
	if len(v) > MaxTokenLength {
		return tooLarge(field, MaxTokenLength)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return Errorf(CodeBadRequest, "%s must be printable ASCII", field)
		}
	}
	return nil
}

func optToken(field, v string) error {
	if v == "" {
		return nil
	}
	return needToken(field, v)
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// needRecipient checks the shape of an age X25519 recipient: "age1" and 58
// lower-case bech32 characters. The client parses it fully (keys.ParseRecipient)
// before wrapping anything to it.
func needRecipient(field, v string) error {
	if v == "" {
		return required(field)
	}
	rest, ok := strings.CutPrefix(v, "age1")
	if !ok || len(rest) != 58 {
		return Errorf(CodeBadRequest, "%s must be an age X25519 recipient", field)
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(bech32Charset, rest[i]) < 0 {
			return Errorf(CodeBadRequest, "%s must be an age X25519 recipient", field)
		}
	}
	return nil
}

// needVerifyKey checks the shape of "ed25519:" and 43 unpadded base64url
// characters (keys.VerifyKey's text form).
func needVerifyKey(field, v string) error {
	if v == "" {
		return required(field)
	}
	rest, ok := strings.CutPrefix(v, "ed25519:")
	if !ok || !base64URL32(rest) {
		return Errorf(CodeBadRequest, "%s must be an ed25519: verify key", field)
	}
	return nil
}

// need32 checks 32 bytes in canonical unpadded base64url: 43 characters,
// the last one's two pad bits zero (a link PIN verifier or its hash).
func need32(field, v string) error {
	if v == "" {
		return required(field)
	}
	if !base64URL32(v) {
		return Errorf(CodeBadRequest, "%s must be 32 bytes in unpadded base64url", field)
	}
	return nil
}

func base64URL32(s string) bool {
	return len(s) == 43 && base64URL(s) && strings.IndexByte("AEIMQUYcgkosw048", s[42]) >= 0
}

// needJSONObject checks a pass-through JSON value (WebAuthn options and
// responses): present, at most max bytes, and an object.
func needJSONObject(field string, v json.RawMessage, max int) error {
	if len(v) == 0 {
		return required(field)
	}
	if len(v) > max {
		return tooLarge(field, max)
	}
	t := bytes.TrimLeft(v, " \t\r\n")
	if len(t) == 0 || t[0] != '{' || !json.Valid(v) {
		return Errorf(CodeBadRequest, "%s must be a JSON object", field)
	}
	return nil
}

func needCount(field string, n, min, max int) error {
	if n < min {
		if min == 1 {
			return required(field)
		}
		return Errorf(CodeBadRequest, "%s needs at least %d items", field, min)
	}
	if n > max {
		return tooLarge(field, max)
	}
	return nil
}

func needRange(field string, v, min, max int64) error {
	if v < min || v > max {
		return Errorf(CodeBadRequest, "%s must be between %d and %d", field, min, max)
	}
	return nil
}

func optDigits(field, v string, min, max int) error {
	if v == "" {
		return nil
	}
	return needDigits(field, v, min, max)
}
