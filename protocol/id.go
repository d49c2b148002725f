package protocol

import (
	"crypto/rand"
	"encoding/base64"
)

// ID is an id in binary form: 16 bytes, as the server stores ids
// (server/store.ID is this type) and audit events carry them
// (protocol/auditlog). Its text form is the API's id form (ValidID): 16
// bytes in unpadded base64url, 22 characters, the canonical encoding only.
// The zero ID means "none" and is never assigned.
type ID [16]byte

var idText = base64.RawURLEncoding.Strict()

// NewID returns a fresh random ID, never the zero ID: the server's ids and
// the ids clients make (documents, folders, tenants, envelopes, signers).
func NewID() ID {
	var id ID
	for id.IsZero() {
		rand.Read(id[:]) // never fails: see crypto/rand.Read
	}
	return id
}

// ParseID parses the text form of an ID: exactly 22 characters of unpadded
// base64url in canonical form (unused bits zero), not the zero ID. Only one
// text maps to each ID, so IDs can be compared as text too. Its errors are
// *Error with CodeBadRequest and do not quote s.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != idText.EncodedLen(len(id)) {
		return ID{}, Errorf(CodeBadRequest, "id of %d characters, want 22", len(s))
	}
	if n, err := idText.Decode(id[:], []byte(s)); err != nil || n != len(id) {
		return ID{}, Errorf(CodeBadRequest, "id is not canonical base64url")
	}
	if id.IsZero() {
		return ID{}, Errorf(CodeBadRequest, "zero id")
	}
	return id, nil
}

func (id ID) String() string { return idText.EncodeToString(id[:]) }

// IsZero reports whether id is the zero ID ("none").
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText implements encoding.TextMarshaler, so IDs are strings in JSON.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseID.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}
