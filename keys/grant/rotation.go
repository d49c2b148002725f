package grant

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// A folder's key has versions 1, 2, 3, ... Version 1 is made with the
// folder. When a member is removed, an admin's client makes version n+1 with
// Rotate and signs a FolderRotation that names it, the version before it,
// and the member removed; it then grants version n+1 to every remaining
// member with Make. New documents use the newest version at once. Existing
// document keys are moved lazily: the next client that holds version n
// re-wraps each document key with Rewrap. What the removed member already
// downloaded stays theirs; rotation protects everything after.
//
// Clients accept a folder key version only through CheckChain: the versions
// are consecutive, each rotation names the key before it, and each is signed
// by someone the membership chain says is an admin.

// FolderRotation is a parsed folder rotation statement. Nothing in it is
// trustworthy before CheckChain (or VerifyRotation).
type FolderRotation struct {
	FolderID string
	// Version is the new key version, n+1, at least 2.
	Version uint64
	// Recipient is the new folder key's recipient.
	Recipient keys.Recipient
	// PreviousVersion is n, always Version-1: it is stated so that a
	// signature covers exactly which version this one replaces.
	PreviousVersion uint64
	// PreviousRecipient is version n's recipient, which chains the versions.
	PreviousRecipient keys.Recipient
	// Removed is the account id of the member whose removal caused the
	// rotation.
	Removed string
	// Admin is the account id of the signer and AdminKey their key.
	Admin    string
	AdminKey keys.VerifyKey
	// Time is when the rotation was made, to the second.
	Time time.Time

	body, signature, signed []byte
}

// RotationParams are the fields of a rotation that its maker chooses.
type RotationParams struct {
	FolderID string
	// Previous is the current version n; the rotation makes n+1.
	Previous uint64
	Removed  string
	Admin    string
	Time     time.Time
}

// Wire layout: signed as {1: body, 2: signature} like a grant, with the
// signature over protocol.LabelFolderRotation ‖ 0x0A ‖ body. Integer keys:
// do not renumber.
type wireRotation struct {
	Version           uint64 `cbor:"1,keyasint"`
	Folder            string `cbor:"2,keyasint"`
	KeyVersion        uint64 `cbor:"3,keyasint"`
	Recipient         string `cbor:"4,keyasint"`
	PreviousVersion   uint64 `cbor:"5,keyasint"`
	PreviousRecipient string `cbor:"6,keyasint"`
	Removed           string `cbor:"7,keyasint"`
	Admin             string `cbor:"8,keyasint"`
	AdminKey          []byte `cbor:"9,keyasint"`
	Time              uint64 `cbor:"10,keyasint"`
}

// Rotate makes a new folder key, version p.Previous+1, and the rotation
// statement naming it, signed by the admin. previous is version
// p.Previous's recipient. The caller then grants the new key to the
// remaining members (Make with KeyVersion p.Previous+1).
func Rotate(admin *keys.SigningKey, p RotationParams, previous keys.Recipient) (*FolderRotation, *keys.Identity, error) {
	if p.Previous >= maxTime {
		return nil, nil, errors.New("grant: folder key version out of range")
	}
	next := keys.NewIdentity()
	vk := admin.Public()
	w := &wireRotation{
		Version: Version, Folder: p.FolderID, KeyVersion: p.Previous + 1, Recipient: next.Recipient().String(),
		PreviousVersion: p.Previous, PreviousRecipient: previous.String(), Removed: p.Removed,
		Admin: p.Admin, AdminKey: vk[:],
	}
	if t := p.Time.Unix(); t > 0 {
		w.Time = uint64(t)
	}
	if _, err := rotationFromWire(w); err != nil {
		return nil, nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, nil, err
	}
	signed, err := protocol.MarshalCBOR(&wireSigned{Body: body, Signature: admin.Sign(protocol.LabelFolderRotation, body)})
	if err != nil {
		return nil, nil, err
	}
	r, err := ParseRotation(signed)
	if err != nil {
		return nil, nil, err
	}
	return r, next, nil
}

// ParseRotation parses a signed folder rotation strictly: at most
// protocol.MaxFolderRotation bytes, canonical CBOR, every field present and
// well formed, Version = PreviousVersion+1. It does not check the signature.
func ParseRotation(signed []byte) (*FolderRotation, error) {
	if len(signed) > protocol.MaxFolderRotation {
		return nil, fmt.Errorf("%w: folder rotation of %d bytes", ErrTooLarge, len(signed))
	}
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(signed, &ws); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(ws.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(ws.Signature))
	}
	var w wireRotation
	if err := unmarshalVersioned(ws.Body, &w); err != nil {
		return nil, err
	}
	r, err := rotationFromWire(&w)
	if err != nil {
		return nil, err
	}
	r.body, r.signature, r.signed = ws.Body, ws.Signature, bytes.Clone(signed)
	return r, nil
}

func rotationFromWire(w *wireRotation) (*FolderRotation, error) {
	if w.Version != Version {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, w.Version)
	}
	if !protocol.ValidID(w.Folder) {
		return nil, malformed("folder id")
	}
	if w.PreviousVersion < 1 || w.PreviousVersion >= maxTime || w.KeyVersion != w.PreviousVersion+1 {
		return nil, malformed("key version %d after %d", w.KeyVersion, w.PreviousVersion)
	}
	if !protocol.ValidID(w.Removed) || !protocol.ValidID(w.Admin) {
		return nil, malformed("account id")
	}
	if w.Time == 0 || w.Time > maxTime {
		return nil, malformed("time")
	}
	rcpt, err := keys.ParseRecipient(w.Recipient)
	if err != nil {
		return nil, malformed("recipient")
	}
	prev, err := keys.ParseRecipient(w.PreviousRecipient)
	if err != nil {
		return nil, malformed("previous recipient")
	}
	if rcpt.Equal(prev) {
		return nil, malformed("rotation to the same key")
	}
	vk, err := verifyKey(w.AdminKey)
	if err != nil {
		return nil, err
	}
	return &FolderRotation{
		FolderID: w.Folder, Version: w.KeyVersion, Recipient: rcpt,
		PreviousVersion: w.PreviousVersion, PreviousRecipient: prev,
		Removed: w.Removed, Admin: w.Admin, AdminKey: vk, Time: time.Unix(int64(w.Time), 0).UTC(),
	}, nil
}

// Bytes returns a copy of the signed rotation as made or parsed.
func (r *FolderRotation) Bytes() []byte { return bytes.Clone(r.signed) }

// Marshal encodes the rotation again from its fields and signature; for a
// parsed rotation it returns Bytes exactly.
func (r *FolderRotation) Marshal() ([]byte, error) {
	w := &wireRotation{
		Version: Version, Folder: r.FolderID, KeyVersion: r.Version, Recipient: r.Recipient.String(),
		PreviousVersion: r.PreviousVersion, PreviousRecipient: r.PreviousRecipient.String(),
		Removed: r.Removed, Admin: r.Admin, AdminKey: r.AdminKey[:], Time: uint64(max(r.Time.Unix(), 0)),
	}
	if _, err := rotationFromWire(w); err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(&wireSigned{Body: body, Signature: r.signature})
}

// VerifyRotation checks that r is signed by admin. It returns
// ErrWrongGranter if r names another key and ErrBadSignature if the
// signature does not verify.
func VerifyRotation(r *FolderRotation, admin keys.VerifyKey) error {
	if r.AdminKey != admin {
		return fmt.Errorf("%w: rotation names %s, want %s", ErrWrongGranter, r.AdminKey.Fingerprint(), admin.Fingerprint())
	}
	return r.verifySignature()
}

func (r *FolderRotation) verifySignature() error {
	if err := r.AdminKey.Verify(protocol.LabelFolderRotation, r.body, r.signature); err != nil {
		return fmt.Errorf("%w: folder rotation by %s", ErrBadSignature, r.Admin)
	}
	return nil
}

// Admins decides whether an account, with the key it signed with, may
// rotate folder keys. The signed membership state answers it: the account
// MUST be an owner or admin and the key MUST be its current verify key.
type Admins interface {
	CheckAdmin(accountID string, key keys.VerifyKey) error
}

// AdminsFunc makes a function an Admins.
type AdminsFunc func(accountID string, key keys.VerifyKey) error

func (f AdminsFunc) CheckAdmin(accountID string, key keys.VerifyKey) error { return f(accountID, key) }

// Chain is a folder's checked key versions.
type Chain struct {
	FolderID   string
	recipients []keys.Recipient // version v at index v-1
}

// CheckChain checks a folder's rotations, in version order, starting from
// version 1's recipient (first): each rotation is for this folder, is the
// next version (ErrVersionGap), names the current key as its previous one
// and a key not used before (ErrBrokenChain), verifies (ErrBadSignature),
// and is signed by someone admins accepts (ErrNotAdmin).
func CheckChain(folderID string, first keys.Recipient, rotations []*FolderRotation, admins Admins) (*Chain, error) {
	if len(rotations) >= protocol.MaxFolderVersions {
		return nil, fmt.Errorf("%w: %d folder key versions", ErrTooLarge, len(rotations)+1)
	}
	if first.IsZero() {
		return nil, errors.New("grant: folder chain without a first key")
	}
	c := &Chain{FolderID: folderID, recipients: []keys.Recipient{first}}
	seen := map[string]bool{first.String(): true}
	for i, r := range rotations {
		want := uint64(i) + 2
		switch {
		case r.FolderID != folderID:
			return nil, fmt.Errorf("%w: rotation %d is for another folder", ErrBrokenChain, i)
		case r.Version != want:
			return nil, fmt.Errorf("%w: rotation %d is to version %d, want %d", ErrVersionGap, i, r.Version, want)
		case !r.PreviousRecipient.Equal(c.recipients[i]):
			return nil, fmt.Errorf("%w: rotation to version %d names another previous key", ErrBrokenChain, want)
		case seen[r.Recipient.String()]:
			return nil, fmt.Errorf("%w: rotation to version %d reuses an earlier key", ErrBrokenChain, want)
		}
		if err := r.verifySignature(); err != nil {
			return nil, fmt.Errorf("rotation to version %d: %w", want, err)
		}
		if err := admins.CheckAdmin(r.Admin, r.AdminKey); err != nil {
			return nil, fmt.Errorf("%w: rotation to version %d by %s: %v", ErrNotAdmin, want, r.Admin, err)
		}
		seen[r.Recipient.String()] = true
		c.recipients = append(c.recipients, r.Recipient)
	}
	return c, nil
}

// Latest returns the newest version and its recipient: what new documents
// are wrapped to.
func (c *Chain) Latest() (uint64, keys.Recipient) {
	return uint64(len(c.recipients)), c.recipients[len(c.recipients)-1]
}

// Recipient returns version v's recipient. It returns ErrVersionGap for a
// version the chain does not have.
func (c *Chain) Recipient(v uint64) (keys.Recipient, error) {
	if v < 1 || v > uint64(len(c.recipients)) {
		return keys.Recipient{}, fmt.Errorf("%w: folder has no key version %d", ErrVersionGap, v)
	}
	return c.recipients[v-1], nil
}

// CheckGrant checks that a folder grant carries the key of the version it
// names, as this chain has it (ErrKeyMismatch), for this folder
// (ErrBrokenChain).
func (c *Chain) CheckGrant(g *Grant) error {
	if g.Kind != KindFolder || g.ObjectID != c.FolderID {
		return fmt.Errorf("%w: grant is not for folder %s", ErrBrokenChain, c.FolderID)
	}
	r, err := c.Recipient(g.KeyVersion)
	if err != nil {
		return err
	}
	if !r.Equal(g.KeyRecipient) {
		return fmt.Errorf("%w: grant's key is not folder key version %d", ErrKeyMismatch, g.KeyVersion)
	}
	return nil
}

// Rewrap moves a document key from folder key version n to version n+1: it
// opens wrapped (a document key wrapped to version n) with old, which MUST
// be version n's identity (ErrKeyMismatch), and wraps the key to the
// rotation's new recipient. The caller MUST have accepted r through
// CheckChain. The result is a fresh wrap; its randomness is drawn inside.
func Rewrap(wrapped []byte, old *keys.Identity, r *FolderRotation) ([]byte, error) {
	if !old.Recipient().Equal(r.PreviousRecipient) {
		return nil, fmt.Errorf("%w: identity is not folder key version %d", ErrKeyMismatch, r.PreviousVersion)
	}
	doc, err := keys.UnwrapIdentity(wrapped, old.Age())
	switch {
	case errors.Is(err, keys.ErrWrongKey):
		return nil, fmt.Errorf("%w: %v", ErrWrongKey, err)
	case errors.Is(err, keys.ErrTooLarge):
		return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
	case err != nil:
		return nil, fmt.Errorf("%w: wrapped key: %v", ErrMalformed, err)
	}
	return keys.WrapIdentity(doc, r.Recipient)
}
