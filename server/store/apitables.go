package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"vellum.dev/vellum/protocol"
)

// The API server's tables (prefixes 0x20 to 0x2a in keys.go): the state of
// sign-ups, new-device codes, invitations and tenant recovery requests, and
// the few fields the API needs beside the core records (the document key wrap
// of each version, the recipient of each folder key version, the note of an
// access request, a folder's last change, an account's keyring version).
// Like every table, they hold no plaintext and no secret: codes and tokens
// are stored as MACs or hashes.

// RegistrationKind says what a pending OPAQUE registration is for. Stored
// enum: do not reorder or reuse.
type RegistrationKind uint8

const (
	// RegistrationSignUp creates an account once the e-mailed code checks.
	RegistrationSignUp RegistrationKind = 1
	// RegistrationPassword replaces the password of a signed-in account.
	RegistrationPassword RegistrationKind = 2
)

// Registration is an OPAQUE registration between its start and its finish.
// Account is the account the registration response was made for (a fresh
// ID for a sign-up). CodeMAC is the MAC of the e-mailed code (sign-up
// only); an address that already has an account gets a registration whose
// code was never sent, so that the routes answer alike for both.
type Registration struct {
	ID      ID               `cbor:"1,keyasint"`
	Kind    RegistrationKind `cbor:"2,keyasint"`
	Email   string           `cbor:"3,keyasint"`
	Account ID               `cbor:"4,keyasint"`
	CodeMAC []byte           `cbor:"5,keyasint"`
	Created time.Time        `cbor:"6,keyasint"`
	Expires time.Time        `cbor:"7,keyasint"`
}

// maxMAC bounds stored code MACs and token hashes.
const maxMAC = 64

// CreateRegistration stores a new pending registration; ErrExists if its
// ID is taken.
func (tx *Tx) CreateRegistration(r *Registration) error {
	if err := requireID("registration", r.ID); err != nil {
		return err
	}
	if err := requireID("account", r.Account); err != nil {
		return err
	}
	if r.Kind != RegistrationSignUp && r.Kind != RegistrationPassword || len(r.CodeMAC) > maxMAC ||
		len(r.Email) > protocol.MaxNameLength {
		return fmt.Errorf("store: registration of kind %d: %w", r.Kind, ErrInvalid)
	}
	if ok, err := tx.exists(key(pRegistration, r.ID[:])); err != nil || ok {
		return orExists(err, "registration "+r.ID.String())
	}
	return tx.set(key(pRegistration, r.ID[:]), r)
}

// Registration returns a pending registration, or ErrNotFound.
func (v View) Registration(id ID) (*Registration, error) {
	return getOne[Registration](v, key(pRegistration, id[:]), "registration", id)
}

// DeleteRegistration removes a pending registration (none is no error).
func (tx *Tx) DeleteRegistration(id ID) error { return tx.del(key(pRegistration, id[:])) }

// VerificationMethod is how the login that a new-device code completes was
// made. Stored enum: do not reorder or reuse.
type VerificationMethod uint8

const (
	// VerifyPassword: an OPAQUE login; the password wrap is returned
	// after it.
	VerifyPassword VerificationMethod = 1
	// VerifyPasskey: a passkey login; the wrap of Passkey is returned.
	VerifyPasskey VerificationMethod = 2
)

// Verification is a new-device check in progress: a login succeeded from a
// browser that is not a trusted device, and a code was e-mailed to the
// account. CodeMAC is the MAC of the current code.
type Verification struct {
	ID      ID                 `cbor:"1,keyasint"`
	Account ID                 `cbor:"2,keyasint"`
	Method  VerificationMethod `cbor:"3,keyasint"`
	CodeMAC []byte             `cbor:"4,keyasint"`
	Created time.Time          `cbor:"5,keyasint"`
	Expires time.Time          `cbor:"6,keyasint"`
	Resends uint32             `cbor:"7,keyasint"`
	// Passkey is the passkey of a passkey login.
	Passkey ID `cbor:"8,keyasint"`
	// Device, if not zero, is the trusted device the login named: the
	// sign-in is confirmed by the device's proof (CodeMAC is the MAC of
	// the challenge it was sent), never by an e-mailed code.
	Device ID `cbor:"9,keyasint,omitempty"`
}

// PutVerification stores (or replaces, after a resend) a verification.
func (tx *Tx) PutVerification(vr *Verification) error {
	if err := requireID("verification", vr.ID); err != nil {
		return err
	}
	if (vr.Method != VerifyPassword && vr.Method != VerifyPasskey) || len(vr.CodeMAC) == 0 || len(vr.CodeMAC) > maxMAC {
		return fmt.Errorf("store: verification of method %d: %w", vr.Method, ErrInvalid)
	}
	if _, err := tx.Account(vr.Account); err != nil {
		return err
	}
	return tx.set(key(pVerification, vr.ID[:]), vr)
}

// Verification returns a verification, or ErrNotFound.
func (v View) Verification(id ID) (*Verification, error) {
	return getOne[Verification](v, key(pVerification, id[:]), "verification", id)
}

// DeleteVerification removes a verification (none is no error).
func (tx *Tx) DeleteVerification(id ID) error { return tx.del(key(pVerification, id[:])) }

// InviteState is an invitation's state. Stored enum: do not reorder or
// reuse. Expiry is not a state: it is read from Expires.
type InviteState uint8

const (
	InvitePending  InviteState = 1 // sent
	InviteAccepted InviteState = 2 // accepted by Account, waiting for the add-member statement
	InviteDone     InviteState = 3 // Account is a member
	InviteRevoked  InviteState = 4
)

// Invite is an invitation of an e-mail address to a tenant. TokenHash is
// SHA-256 of the token e-mailed with it; the token itself is not kept.
type Invite struct {
	ID        ID            `cbor:"1,keyasint"`
	Tenant    ID            `cbor:"2,keyasint"`
	Email     string        `cbor:"3,keyasint"` // normalized
	Role      protocol.Role `cbor:"4,keyasint"`
	State     InviteState   `cbor:"5,keyasint"`
	CreatedBy ID            `cbor:"6,keyasint"`
	Created   time.Time     `cbor:"7,keyasint"`
	Expires   time.Time     `cbor:"8,keyasint"`
	TokenHash []byte        `cbor:"9,keyasint"`
	Account   ID            `cbor:"10,keyasint"` // zero until accepted
	Updated   time.Time     `cbor:"11,keyasint"`
}

// PutInvite stores a new invitation or replaces one of the same tenant.
func (tx *Tx) PutInvite(in *Invite) error {
	if err := requireID("invite", in.ID); err != nil {
		return err
	}
	if in.State < InvitePending || in.State > InviteRevoked || !in.Role.Valid() || len(in.TokenHash) == 0 ||
		len(in.TokenHash) > maxMAC || len(in.Email) > protocol.MaxNameLength {
		return fmt.Errorf("store: invite in state %d: %w", in.State, ErrInvalid)
	}
	if _, err := tx.Tenant(in.Tenant); err != nil {
		return err
	}
	if old, err := tx.Invite(in.ID); err == nil && old.Tenant != in.Tenant {
		return fmt.Errorf("store: invite %s belongs to another tenant: %w", in.ID, ErrConflict)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.set(key(pInvite, in.ID[:]), in); err != nil {
		return err
	}
	return tx.setRaw(key(pTenantInvite, in.Tenant[:], in.ID[:]), nil)
}

// Invite returns an invitation, or ErrNotFound.
func (v View) Invite(id ID) (*Invite, error) {
	return getOne[Invite](v, key(pInvite, id[:]), "invite", id)
}

// InvitesOf lists a tenant's invitations in ID order.
func (v View) InvitesOf(tenant ID) ([]*Invite, error) {
	return getByIndex[Invite](v, key(pTenantInvite, tenant[:]), func(id ID) []byte { return key(pInvite, id[:]) })
}

// BlobKey is the document key of one committed version (or of an upload in
// progress: a blob's ID is its upload's ID), wrapped to version
// FolderKeyVersion of its folder's key. A re-wrap after a folder rotation
// replaces it.
type BlobKey struct {
	Blob             ID     `cbor:"1,keyasint"`
	Document         ID     `cbor:"2,keyasint"`
	KeyWrap          []byte `cbor:"3,keyasint"`
	FolderKeyVersion uint64 `cbor:"4,keyasint"`
}

// PutBlobKey stores or replaces a blob's key wrap.
func (tx *Tx) PutBlobKey(b *BlobKey) error {
	if err := requireID("blob", b.Blob); err != nil {
		return err
	}
	if len(b.KeyWrap) == 0 || len(b.KeyWrap) > protocol.MaxWrappedKey || b.FolderKeyVersion == 0 {
		return fmt.Errorf("store: key wrap of %d bytes for folder key version %d: %w", len(b.KeyWrap), b.FolderKeyVersion, ErrInvalid)
	}
	return tx.set(key(pBlobKey, b.Blob[:]), b)
}

// BlobKey returns a blob's key wrap, or ErrNotFound.
func (v View) BlobKey(blob ID) (*BlobKey, error) {
	return getOne[BlobKey](v, key(pBlobKey, blob[:]), "blob key", blob)
}

// DeleteBlobKey removes a blob's key wrap (none is no error).
func (tx *Tx) DeleteBlobKey(blob ID) error { return tx.del(key(pBlobKey, blob[:])) }

// FolderKey is the recipient of one version of a folder's key: version 1
// from the folder's creation, later ones from its rotations.
type FolderKey struct {
	Folder     ID        `cbor:"1,keyasint"`
	KeyVersion uint64    `cbor:"2,keyasint"`
	Recipient  string    `cbor:"3,keyasint"`
	Created    time.Time `cbor:"4,keyasint"`
}

// PutFolderKey records a folder key version; ErrExists if it is recorded.
func (tx *Tx) PutFolderKey(k *FolderKey) error {
	if k.KeyVersion == 0 || k.Recipient == "" || len(k.Recipient) > 256 {
		return fmt.Errorf("store: folder key version %d: %w", k.KeyVersion, ErrInvalid)
	}
	if _, err := tx.Folder(k.Folder); err != nil {
		return err
	}
	kk := key(pFolderKey, k.Folder[:], u64(k.KeyVersion))
	if ok, err := tx.exists(kk); err != nil || ok {
		return orExists(err, fmt.Sprintf("key version %d of folder %s", k.KeyVersion, k.Folder))
	}
	return tx.set(kk, k)
}

// FolderKey returns one version of a folder's key, or ErrNotFound.
func (v View) FolderKey(folder ID, version uint64) (*FolderKey, error) {
	k := new(FolderKey)
	if err := v.getRecord(key(pFolderKey, folder[:], u64(version)), k); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: key version %d of folder %s: %w", version, folder, ErrNotFound)
		}
		return nil, err
	}
	return k, nil
}

// DeleteFolderExtras removes a folder's key versions and info; call it in
// the transaction that deletes the folder.
func (tx *Tx) DeleteFolderExtras(folder ID) error {
	if err := tx.delPrefix(key(pFolderKey, folder[:])); err != nil {
		return err
	}
	return tx.del(key(pFolderInfo, folder[:]))
}

// FolderInfo is what the API shows of a folder beside its record: when its
// name or place last changed.
type FolderInfo struct {
	Folder  ID        `cbor:"1,keyasint"`
	Updated time.Time `cbor:"2,keyasint"`
}

// PutFolderInfo stores a folder's info.
func (tx *Tx) PutFolderInfo(fi *FolderInfo) error {
	if err := requireID("folder", fi.Folder); err != nil {
		return err
	}
	return tx.set(key(pFolderInfo, fi.Folder[:]), fi)
}

// FolderInfo returns a folder's info, or ErrNotFound.
func (v View) FolderInfo(folder ID) (*FolderInfo, error) {
	return getOne[FolderInfo](v, key(pFolderInfo, folder[:]), "folder info", folder)
}

// PutRequestNote stores the message of an access request: plain text the
// requester wrote for the approvers, at most protocol.MaxReasonLength bytes.
func (tx *Tx) PutRequestNote(request ID, note string) error {
	if len(note) > protocol.MaxReasonLength || !utf8.ValidString(note) {
		return fmt.Errorf("store: request note of %d bytes: %w", len(note), ErrInvalid)
	}
	if note == "" {
		return tx.del(key(pRequestNote, request[:]))
	}
	return tx.setRaw(key(pRequestNote, request[:]), []byte(note))
}

// RequestNote returns an access request's message, "" if it has none.
func (v View) RequestNote(request ID) (string, error) {
	b, err := v.r.get(key(pRequestNote, request[:]))
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// DeleteRequestNote removes an access request's message (none is no error).
func (tx *Tx) DeleteRequestNote(request ID) error { return tx.del(key(pRequestNote, request[:])) }

// RecoveryState is a tenant recovery request's state. Stored enum.
type RecoveryState uint8

const (
	RecoveryPending  RecoveryState = 1
	RecoveryApproved RecoveryState = 2
	RecoveryDenied   RecoveryState = 3
)

// RecoveryRequest is a member's request that the tenant's recovery holders
// restore their account key to a new device (SPEC §Accounts). Wrap is the
// member's tenant-recovery wrap; Admins the holders in peel order, fixed by
// the first approval; Layers what each has posted.
type RecoveryRequest struct {
	ID              ID              `cbor:"1,keyasint"`
	Tenant          ID              `cbor:"2,keyasint"`
	Account         ID              `cbor:"3,keyasint"`
	DeviceRecipient string          `cbor:"4,keyasint"`
	State           RecoveryState   `cbor:"5,keyasint"`
	Threshold       uint64          `cbor:"6,keyasint"`
	Created         time.Time       `cbor:"7,keyasint"`
	Wrap            []byte          `cbor:"8,keyasint"`
	Admins          []ID            `cbor:"9,keyasint"`
	Layers          []RecoveryLayer `cbor:"10,keyasint"`
	Updated         time.Time       `cbor:"11,keyasint"`
}

// RecoveryLayer is one holder's step of a recovery.
type RecoveryLayer struct {
	Account ID        `cbor:"1,keyasint"`
	Wrap    []byte    `cbor:"2,keyasint"`
	Posted  time.Time `cbor:"3,keyasint"`
}

// PutRecoveryRequest stores or replaces a recovery request.
func (tx *Tx) PutRecoveryRequest(r *RecoveryRequest) error {
	if err := requireID("recovery request", r.ID); err != nil {
		return err
	}
	if r.State < RecoveryPending || r.State > RecoveryDenied || len(r.Wrap) > protocol.MaxAccountWrap ||
		len(r.Admins) > protocol.MaxRecoveryAdmins || len(r.Layers) > protocol.MaxRecoveryAdmins || len(r.DeviceRecipient) > 256 {
		return fmt.Errorf("store: recovery request in state %d: %w", r.State, ErrInvalid)
	}
	for _, l := range r.Layers {
		if len(l.Wrap) > protocol.MaxAccountWrap {
			return fmt.Errorf("store: recovery layer of %d bytes: %w", len(l.Wrap), ErrInvalid)
		}
	}
	if _, err := tx.Tenant(r.Tenant); err != nil {
		return err
	}
	if err := tx.set(key(pRecovery, r.ID[:]), r); err != nil {
		return err
	}
	return tx.setRaw(key(pTenantRecov, r.Tenant[:], r.ID[:]), nil)
}

// RecoveryRequest returns a recovery request, or ErrNotFound.
func (v View) RecoveryRequest(id ID) (*RecoveryRequest, error) {
	return getOne[RecoveryRequest](v, key(pRecovery, id[:]), "recovery request", id)
}

// RecoveryRequestsOf lists a tenant's recovery requests in ID order.
func (v View) RecoveryRequestsOf(tenant ID) ([]*RecoveryRequest, error) {
	return getByIndex[RecoveryRequest](v, key(pTenantRecov, tenant[:]), func(id ID) []byte { return key(pRecovery, id[:]) })
}

// AccountInfo is what the API keeps of an account beside its record: the
// version of its keyring, which grows with every replacement.
type AccountInfo struct {
	Account        ID     `cbor:"1,keyasint"`
	KeyringVersion uint64 `cbor:"2,keyasint"`
}

// PutAccountInfo stores an account's info.
func (tx *Tx) PutAccountInfo(ai *AccountInfo) error {
	if _, err := tx.Account(ai.Account); err != nil {
		return err
	}
	return tx.set(key(pAccountInfo, ai.Account[:]), ai)
}

// AccountInfo returns an account's info, or ErrNotFound.
func (v View) AccountInfo(account ID) (*AccountInfo, error) {
	return getOne[AccountInfo](v, key(pAccountInfo, account[:]), "account info", account)
}

// getOne reads one record, naming it in a not-found error.
func getOne[T any](v View, k []byte, what string, id ID) (*T, error) {
	r := new(T)
	if err := v.getRecord(k, r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound(what, id)
		}
		return nil, err
	}
	return r, nil
}

// SweepAPI deletes what the API server left behind: registrations and
// verifications past their expiry, and the key wraps of blobs that are
// neither an upload in progress nor a committed version (an upload the
// store's upload sweep deleted). It returns how many records it deleted.
func (s *Store) SweepAPI() (int, error) {
	now := s.now()
	n := 0
	err := s.Update(func(tx *Tx) error {
		for _, p := range []byte{pRegistration, pVerification} {
			var due [][]byte
			err := tx.r.scan([]byte{p}, false, func(k, b []byte) (bool, error) {
				var rec struct {
					Expires time.Time
				}
				switch p {
				case pRegistration:
					var r Registration
					if err := decode(b, &r); err != nil {
						return false, err
					}
					rec.Expires = r.Expires
				default:
					var r Verification
					if err := decode(b, &r); err != nil {
						return false, err
					}
					rec.Expires = r.Expires
				}
				if !now.Before(rec.Expires) {
					due = append(due, append([]byte(nil), k...))
				}
				return len(due) < sweepBatch, nil
			})
			if err != nil {
				return err
			}
			for _, k := range due {
				if err := tx.del(k); err != nil {
					return err
				}
				n++
			}
		}
		var orphans []ID
		err := tx.r.scan([]byte{pBlobKey}, false, func(_, b []byte) (bool, error) {
			var bk BlobKey
			if err := decode(b, &bk); err != nil {
				return false, err
			}
			if ok, err := tx.exists(uploadKey(bk.Blob)); err != nil || ok {
				return err == nil, err
			}
			live := false
			err := tx.r.scan(key(pVersion, bk.Document[:]), false, func(_, vb []byte) (bool, error) {
				var ver Version
				if err := decode(vb, &ver); err != nil {
					return false, err
				}
				live = ver.Blob == bk.Blob
				return !live, nil
			})
			if err != nil {
				return false, err
			}
			if !live {
				orphans = append(orphans, bk.Blob)
			}
			return len(orphans) < sweepBatch, nil
		})
		if err != nil {
			return err
		}
		for _, b := range orphans {
			if err := tx.DeleteBlobKey(b); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// MoveFolder moves a folder under another folder of its tenant, or to the
// tenant's root (a zero parent). A move into the folder itself or one of its
// descendants is refused (ErrConflict): it would cut the subtree off.
func (tx *Tx) MoveFolder(id, parent ID) error {
	f, err := tx.Folder(id)
	if err != nil {
		return err
	}
	for p := parent; !p.IsZero(); {
		if p == id {
			return fmt.Errorf("store: moving folder %s under itself: %w", id, ErrConflict)
		}
		pf, err := tx.Folder(p)
		if err != nil {
			return err
		}
		if pf.Tenant != f.Tenant {
			return fmt.Errorf("store: parent folder is in another tenant: %w", ErrInvalid)
		}
		p = pf.Parent
	}
	if err := tx.del(folderChildKey(f.Tenant, f.Parent, id)); err != nil {
		return err
	}
	f.Parent = parent
	if err := tx.set(folderKey(id), f); err != nil {
		return err
	}
	return tx.setRaw(folderChildKey(f.Tenant, parent, id), nil)
}

// Passkey is a WebAuthn credential of an account. Credential is the
// WebAuthn library's credential record (public key, sign count, flags) as
// JSON, opaque to the store; CredentialID is indexed for discoverable
// logins.
type Passkey struct {
	Account      ID        `cbor:"1,keyasint"`
	ID           ID        `cbor:"2,keyasint"`
	CredentialID []byte    `cbor:"3,keyasint"`
	Label        string    `cbor:"4,keyasint"`
	Credential   []byte    `cbor:"5,keyasint"`
	PRF          bool      `cbor:"6,keyasint"`
	Created      time.Time `cbor:"7,keyasint"`
	LastUsed     time.Time `cbor:"8,keyasint"`
}

func passkeyCredKey(credID []byte) []byte {
	h := sha256.Sum256(credID)
	return key(pPasskeyCred, h[:])
}

// PutPasskey stores or replaces a passkey of an existing account. A
// credential ID registered to another passkey is ErrExists.
func (tx *Tx) PutPasskey(p *Passkey) error {
	if err := requireID("passkey", p.ID); err != nil {
		return err
	}
	if len(p.CredentialID) == 0 || len(p.CredentialID) > protocol.MaxPasskeyCredentialID || len(p.Credential) > protocol.MaxStatement ||
		len(p.Label) > protocol.MaxLabelLength {
		return fmt.Errorf("store: passkey field over its limit: %w", ErrInvalid)
	}
	if _, err := tx.Account(p.Account); err != nil {
		return err
	}
	ref := append(append([]byte(nil), p.Account[:]...), p.ID[:]...)
	if b, err := tx.r.get(passkeyCredKey(p.CredentialID)); err == nil && !bytes.Equal(b, ref) {
		return fmt.Errorf("store: credential registered to another passkey: %w", ErrExists)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := tx.set(key(pPasskey, p.Account[:], p.ID[:]), p); err != nil {
		return err
	}
	return tx.setRaw(passkeyCredKey(p.CredentialID), ref)
}

// Passkey returns a passkey of an account, or ErrNotFound.
func (v View) Passkey(account, id ID) (*Passkey, error) {
	return getOne[Passkey](v, key(pPasskey, account[:], id[:]), "passkey", id)
}

// Passkeys lists an account's passkeys in ID order.
func (v View) Passkeys(account ID) ([]*Passkey, error) {
	return scanRecords[Passkey](v, key(pPasskey, account[:]))
}

// PasskeyByCredential finds the passkey of a WebAuthn credential ID.
func (v View) PasskeyByCredential(credID []byte) (*Passkey, error) {
	b, err := v.r.get(passkeyCredKey(credID))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: no passkey with that credential: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("store: passkey index entry of %d bytes: %w", len(b), ErrCorrupt)
	}
	var a, id ID
	copy(a[:], b[:16])
	copy(id[:], b[16:])
	return v.Passkey(a, id)
}

// DeletePasskey removes a passkey and its index entry; ErrNotFound if none.
func (tx *Tx) DeletePasskey(account, id ID) error {
	p, err := tx.Passkey(account, id)
	if err != nil {
		return err
	}
	if err := tx.del(passkeyCredKey(p.CredentialID)); err != nil {
		return err
	}
	return tx.del(key(pPasskey, account[:], id[:]))
}
