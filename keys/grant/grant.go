// Package grant makes and opens grants: signed statements that carry a
// folder or document key, wrapped to one member, from the member who holds
// it. It also makes and checks folder rotations, the signed statements that
// start a new folder key version when a member is removed.
//
// A grant is the only way a key travels between people. The server stores a
// grant and serves it to its grantee, but cannot make one (it has no key to
// wrap) nor change one (it is signed). Before trusting a grant, a client
// checks who signed it with Verify against the granter's key from the signed
// membership chain; Open then checks the statement against itself (the
// signature, the grantee, and that the wrapped key is the one it names)
// before returning the key.
package grant

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Version is the grant and folder rotation format this package writes and
// reads. A new version gets a new number here and new labels.
const Version = 1

// Errors. Each failure wraps exactly one of these, so that callers can tell
// causes apart with errors.Is.
var (
	// ErrMalformed: the input does not parse, is not canonical CBOR, or a
	// field is out of range. It wraps keys.ErrMalformed.
	ErrMalformed = fmt.Errorf("grant: malformed: %w", keys.ErrMalformed)
	// ErrTooLarge: the input is over protocol.MaxGrant,
	// protocol.MaxFolderRotation or protocol.MaxFolderVersions. It wraps
	// keys.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("grant: %w", keys.ErrTooLarge)
	// ErrUnsupported: a version or object kind this code does not know.
	ErrUnsupported = errors.New("grant: unsupported version or kind")
	// ErrBadSignature: the signature does not verify under the key the
	// statement names; some field was changed after signing. It wraps
	// keys.ErrBadSignature.
	ErrBadSignature = fmt.Errorf("grant: %w", keys.ErrBadSignature)
	// ErrWrongGranter: the statement is signed by a key other than the one
	// the caller expected (a valid grant from the wrong person).
	ErrWrongGranter = errors.New("grant: signed by another key than expected")
	// ErrWrongGrantee: the identity given to Open is not the grantee the
	// statement names.
	ErrWrongGrantee = errors.New("grant: not addressed to this identity")
	// ErrWrongKey: the wrapped key does not open with the grantee's
	// identity, although the statement names it: the granter wrapped to
	// someone else. It wraps keys.ErrWrongKey.
	ErrWrongKey = fmt.Errorf("grant: %w", keys.ErrWrongKey)
	// ErrKeyMismatch: the key inside the wrap is not the one the statement
	// names, or an identity given for a folder version is not that
	// version's key.
	ErrKeyMismatch = errors.New("grant: wrapped key does not match the statement")
	// ErrVersionGap: a folder rotation does not follow the version before
	// it (a version is missing, repeated, or out of order).
	ErrVersionGap = errors.New("grant: folder key versions are not consecutive")
	// ErrBrokenChain: a folder rotation names a previous key other than
	// the current one, another folder, or reuses an earlier key.
	ErrBrokenChain = errors.New("grant: folder rotation does not continue the chain")
	// ErrNotAdmin: a folder rotation is signed by someone the caller's
	// Admins does not accept.
	ErrNotAdmin = errors.New("grant: folder rotation not signed by an admin")
)

// Kind is the kind of object a grant gives access to. It is a wire enum:
// do not reorder or renumber; append new kinds only.
type Kind uint8

const (
	KindFolder   Kind = 1 // a folder key version: every document in the folder
	KindDocument Kind = 2 // one document key, granted directly
)

func (k Kind) String() string {
	switch k {
	case KindFolder:
		return "folder"
	case KindDocument:
		return "document"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Params are the fields of a grant that its maker chooses.
type Params struct {
	Kind Kind
	// ObjectID is the folder or document id (protocol.ValidID).
	ObjectID string
	// KeyVersion is the folder key version (1 for a folder's first key);
	// 1 for a document.
	KeyVersion uint64
	// Grantee and Granter are account ids (protocol.ValidID).
	Grantee string
	Granter string
	// Time is when the grant is made, to the second.
	Time time.Time
}

// Grant is a parsed grant. Its fields are what the granter signed; nothing
// in it is trustworthy before Verify.
type Grant struct {
	Params
	// KeyRecipient is the public half of the wrapped key: Open checks that
	// the key it unwraps is this one.
	KeyRecipient keys.Recipient
	// GranteeRecipient is the recipient the key is wrapped to.
	GranteeRecipient keys.Recipient
	// GranterKey is the key the statement is signed with.
	GranterKey keys.VerifyKey
	// Wrapped is the key as an age file to GranteeRecipient
	// (keys.WrapIdentity).
	Wrapped []byte

	body, signature, signed []byte
}

// Wire layout: the signed grant is {1: body (bstr), 2: signature (bstr)};
// the signature is Ed25519 over protocol.LabelGrant ‖ 0x0A ‖ body. Integer
// keys: do not renumber.
type wireSigned struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

type wireGrant struct {
	Version          uint64 `cbor:"1,keyasint"`
	Kind             uint64 `cbor:"2,keyasint"`
	Object           string `cbor:"3,keyasint"`
	KeyVersion       uint64 `cbor:"4,keyasint"`
	KeyRecipient     string `cbor:"5,keyasint"`
	Grantee          string `cbor:"6,keyasint"`
	GranteeRecipient string `cbor:"7,keyasint"`
	Granter          string `cbor:"8,keyasint"`
	GranterKey       []byte `cbor:"9,keyasint"`
	Time             uint64 `cbor:"10,keyasint"`
	Wrapped          []byte `cbor:"11,keyasint"`
}

// maxTime bounds statement times (about the year 36812) so that every time
// converts to time.Time and back exactly.
const maxTime = 1 << 40

// Make wraps key to the grantee's recipient and signs the grant with the
// granter's key. The caller MUST have checked, against the signed membership
// chain, that to is the grantee's recipient: Make wraps to whatever it is
// given. The wrap's randomness is drawn inside.
func Make(granter *keys.SigningKey, p Params, key *keys.Identity, to keys.Recipient) (*Grant, error) {
	if to.IsZero() {
		return nil, errors.New("grant: granting to the zero Recipient")
	}
	wrapped, err := keys.WrapIdentity(key, to)
	if err != nil {
		return nil, err
	}
	vk := granter.Public()
	w := &wireGrant{
		Version: Version, Kind: uint64(p.Kind), Object: p.ObjectID, KeyVersion: p.KeyVersion,
		KeyRecipient: key.Recipient().String(), Grantee: p.Grantee, GranteeRecipient: to.String(),
		Granter: p.Granter, GranterKey: vk[:], Wrapped: wrapped,
	}
	if t := p.Time.Unix(); t > 0 {
		w.Time = uint64(t)
	}
	// Check with the parser's rules, so that nothing this package writes is
	// something it would refuse to read.
	if _, err := fromWire(w); err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	signed, err := protocol.MarshalCBOR(&wireSigned{Body: body, Signature: granter.Sign(protocol.LabelGrant, body)})
	if err != nil {
		return nil, err
	}
	return Parse(signed)
}

// Parse parses a signed grant strictly: at most protocol.MaxGrant bytes,
// canonical CBOR only, every field present and well formed. It does not
// check the signature: Verify and Open do.
func Parse(signed []byte) (*Grant, error) {
	if len(signed) > protocol.MaxGrant {
		return nil, fmt.Errorf("%w: grant of %d bytes", ErrTooLarge, len(signed))
	}
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(signed, &ws); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(ws.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(ws.Signature))
	}
	var w wireGrant
	if err := unmarshalVersioned(ws.Body, &w); err != nil {
		return nil, err
	}
	g, err := fromWire(&w)
	if err != nil {
		return nil, err
	}
	g.body, g.signature, g.signed = ws.Body, ws.Signature, bytes.Clone(signed)
	return g, nil
}

// unmarshalVersioned decodes a statement body strictly; if that fails
// because the body is of another version (which may have other fields), it
// says so rather than "malformed", so that an old client can ask to update.
func unmarshalVersioned(body []byte, v any) error {
	err := protocol.UnmarshalCBOR(body, v)
	if err == nil {
		return nil
	}
	var peek struct {
		Version uint64 `cbor:"1,keyasint"`
	}
	if cbor.Unmarshal(body, &peek) == nil && peek.Version != Version {
		return fmt.Errorf("%w: version %d", ErrUnsupported, peek.Version)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func fromWire(w *wireGrant) (*Grant, error) {
	if w.Version != Version {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, w.Version)
	}
	k := Kind(w.Kind)
	if w.Kind > 255 || (k != KindFolder && k != KindDocument) {
		return nil, fmt.Errorf("%w: kind %d", ErrUnsupported, w.Kind)
	}
	if !protocol.ValidID(w.Object) {
		return nil, malformed("object id")
	}
	if w.KeyVersion < 1 || (k == KindDocument && w.KeyVersion != 1) {
		return nil, malformed("key version %d for a %s", w.KeyVersion, k)
	}
	if !protocol.ValidID(w.Grantee) || !protocol.ValidID(w.Granter) {
		return nil, malformed("account id")
	}
	if w.Time == 0 || w.Time > maxTime {
		return nil, malformed("time")
	}
	keyRcpt, err := keys.ParseRecipient(w.KeyRecipient)
	if err != nil {
		return nil, malformed("key recipient")
	}
	granteeRcpt, err := keys.ParseRecipient(w.GranteeRecipient)
	if err != nil {
		return nil, malformed("grantee recipient")
	}
	vk, err := verifyKey(w.GranterKey)
	if err != nil {
		return nil, err
	}
	if len(w.Wrapped) == 0 || len(w.Wrapped) > protocol.MaxWrappedKey {
		return nil, malformed("wrapped key of %d bytes", len(w.Wrapped))
	}
	return &Grant{
		Params: Params{Kind: k, ObjectID: w.Object, KeyVersion: w.KeyVersion,
			Grantee: w.Grantee, Granter: w.Granter, Time: time.Unix(int64(w.Time), 0).UTC()},
		KeyRecipient: keyRcpt, GranteeRecipient: granteeRcpt, GranterKey: vk,
		Wrapped: bytes.Clone(w.Wrapped),
	}, nil
}

func verifyKey(b []byte) (keys.VerifyKey, error) {
	vk, err := keys.VerifyKeyFromBytes(b)
	if err != nil {
		return vk, malformed("%v", err)
	}
	return vk, nil
}

// Bytes returns a copy of the signed grant as made or parsed: what is stored
// and sent.
func (g *Grant) Bytes() []byte { return bytes.Clone(g.signed) }

// Marshal encodes the grant again from its fields and signature. For a grant
// returned by Parse or Make it returns Bytes exactly, since only canonical
// input parses.
func (g *Grant) Marshal() ([]byte, error) {
	w := &wireGrant{
		Version: Version, Kind: uint64(g.Kind), Object: g.ObjectID, KeyVersion: g.KeyVersion,
		KeyRecipient: g.KeyRecipient.String(), Grantee: g.Grantee, GranteeRecipient: g.GranteeRecipient.String(),
		Granter: g.Granter, GranterKey: g.GranterKey[:], Time: uint64(max(g.Time.Unix(), 0)), Wrapped: g.Wrapped,
	}
	if _, err := fromWire(w); err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(&wireSigned{Body: body, Signature: g.signature})
}

// Verify checks that the grant is signed by granter, the key the caller
// trusts for g.Granter (from the membership chain). It returns
// ErrWrongGranter if the grant names another key, and ErrBadSignature if the
// signature does not verify.
func Verify(g *Grant, granter keys.VerifyKey) error {
	if g.GranterKey != granter {
		return fmt.Errorf("%w: grant names %s, want %s", ErrWrongGranter, g.GranterKey.Fingerprint(), granter.Fingerprint())
	}
	return g.verifySignature()
}

func (g *Grant) verifySignature() error {
	if err := g.GranterKey.Verify(protocol.LabelGrant, g.body, g.signature); err != nil {
		return fmt.Errorf("%w: granter %s", ErrBadSignature, g.Granter)
	}
	return nil
}

// Open returns the key the grant carries. It checks, in this order, that the
// signature verifies under the key the grant names (ErrBadSignature), that
// grantee is the recipient the grant names (ErrWrongGrantee), that the wrap
// opens (ErrWrongKey), and that the key inside is the one the grant names
// (ErrKeyMismatch).
//
// Open does not decide whom to trust: a grant that opens was signed by
// whoever holds g.GranterKey. Callers MUST call Verify with the key the
// membership chain gives g.Granter before using the key.
func Open(g *Grant, grantee *keys.Identity) (*keys.Identity, error) {
	if err := g.verifySignature(); err != nil {
		return nil, err
	}
	if !grantee.Recipient().Equal(g.GranteeRecipient) {
		return nil, ErrWrongGrantee
	}
	key, err := keys.UnwrapIdentity(g.Wrapped, grantee.Age())
	switch {
	case errors.Is(err, keys.ErrWrongKey):
		return nil, fmt.Errorf("%w: %v", ErrWrongKey, err)
	case err != nil:
		return nil, fmt.Errorf("%w: wrapped key: %v", ErrMalformed, err)
	}
	if !key.Recipient().Equal(g.KeyRecipient) {
		return nil, ErrKeyMismatch
	}
	return key, nil
}
