package protocol

import "time"

// Grants (signed key wraps, keys/grant), access requests and folder key
// rotations. The server stores a grant and serves it only to its grantee
// and to members who can see the object; it never makes one. The fields
// beside the grant bytes repeat what the signed grant says, so the server
// can index it; the server MUST refuse a grant whose fields and bytes
// disagree, and clients MUST trust only the signed bytes.

// GrantUpload is one signed grant to store.
type GrantUpload struct {
	Grant      []byte     `json:"grant"`
	GranteeID  string     `json:"granteeId"`
	ObjectKind ObjectKind `json:"objectKind"`
	ObjectID   string     `json:"objectId"`
	KeyVersion uint32     `json:"keyVersion"`
}

func (g *GrantUpload) Validate() error {
	return first(needBytes("grant", g.Grant, MaxGrant), needID("granteeId", g.GranteeID),
		needObject(g.ObjectKind, g.ObjectID), needRange("keyVersion", int64(g.KeyVersion), 1, 1<<32-1))
}

func validGrants(gs []GrantUpload) error {
	if err := needCount("grants", len(gs), 1, MaxBatch); err != nil {
		return err
	}
	for i := range gs {
		if err := gs[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// CreateGrantsRequest stores grants (one, or a batch such as a folder shared
// with a team).
type CreateGrantsRequest struct {
	Grants []GrantUpload `json:"grants"`
}

func (r *CreateGrantsRequest) Validate() error { return validGrants(r.Grants) }

// Grant is a stored grant.
type Grant struct {
	GrantID string `json:"grantId"`
	GrantUpload
	GranterID string    `json:"granterId"`
	CreatedAt time.Time `json:"createdAt"`
}

type GrantList struct {
	Grants     []Grant `json:"grants"`
	NextCursor string  `json:"nextCursor,omitempty"`
}

// CreateAccessRequest asks for access to an object. Message is plain text
// the server reads.
type CreateAccessRequest struct {
	ObjectKind ObjectKind `json:"objectKind"`
	ObjectID   string     `json:"objectId"`
	Message    string     `json:"message,omitempty"`
}

func (r *CreateAccessRequest) Validate() error {
	return first(needObject(r.ObjectKind, r.ObjectID), optText("message", r.Message, MaxReasonLength))
}

// AccessStatus is a wire enum: append only.
type AccessStatus string

const (
	AccessPending  AccessStatus = "pending"
	AccessApproved AccessStatus = "approved"
	AccessDenied   AccessStatus = "denied"
)

type AccessRequest struct {
	RequestID   string       `json:"requestId"`
	RequesterID string       `json:"requesterId"`
	ObjectKind  ObjectKind   `json:"objectKind"`
	ObjectID    string       `json:"objectId"`
	Message     string       `json:"message,omitempty"`
	Status      AccessStatus `json:"status"`
	CreatedAt   time.Time    `json:"createdAt"`
	DecidedBy   string       `json:"decidedBy,omitempty"`
}

type AccessRequestList struct {
	Requests   []AccessRequest `json:"requests"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// ApproveAccessRequest approves by posting the grant; it MUST be to the
// requester for the requested object.
type ApproveAccessRequest struct {
	Grant GrantUpload `json:"grant"`
}

func (r *ApproveAccessRequest) Validate() error { return r.Grant.Validate() }

// RotateFolderRequest makes a new folder key version after a member lost
// access: KeyVersion is the current version plus one (else CodeConflict),
// Recipient the new key's recipient, Rotation the signed rotation statement,
// and Grants the new key to every member who keeps access.
type RotateFolderRequest struct {
	KeyVersion uint32        `json:"keyVersion"`
	Recipient  string        `json:"recipient"`
	Rotation   []byte        `json:"rotation"`
	Grants     []GrantUpload `json:"grants"`
}

func (r *RotateFolderRequest) Validate() error {
	return first(needRange("keyVersion", int64(r.KeyVersion), 2, 1<<32-1), needRecipient("recipient", r.Recipient),
		needBytes("rotation", r.Rotation, MaxFolderRotation), validGrants(r.Grants))
}

// FolderRotation is one rotation, with how many document keys still wait
// to be re-wrapped to the new version.
type FolderRotation struct {
	FolderID   string    `json:"folderId"`
	KeyVersion uint32    `json:"keyVersion"`
	Rotation   []byte    `json:"rotation"`
	RotatedBy  string    `json:"rotatedBy"`
	RotatedAt  time.Time `json:"rotatedAt"`
	Pending    int64     `json:"pending"`
}

type RotationList struct {
	Rotations []FolderRotation `json:"rotations"`
}

// Rewrap is a document version's key wrapped to a newer folder key version:
// the lazy re-wrap a member client does after a rotation.
type Rewrap struct {
	DocumentID       string `json:"documentId"`
	Version          uint32 `json:"version"`
	FolderKeyVersion uint32 `json:"folderKeyVersion"`
	KeyWrap          []byte `json:"keyWrap"`
}

// RewrapList is a page of document versions whose key is wrapped to an
// older folder key version.
type RewrapList struct {
	Rewraps    []Rewrap `json:"rewraps"`
	NextCursor string   `json:"nextCursor,omitempty"`
}

// RewrapRequest stores re-wrapped document keys. Each MUST move a key to
// the folder's current version from an older one; others are CodeConflict.
type RewrapRequest struct {
	Rewraps []Rewrap `json:"rewraps"`
}

func (r *RewrapRequest) Validate() error {
	if err := needCount("rewraps", len(r.Rewraps), 1, MaxBatch); err != nil {
		return err
	}
	for _, w := range r.Rewraps {
		if err := first(needID("rewraps.documentId", w.DocumentID), needRange("rewraps.version", int64(w.Version), 1, 1<<32-1),
			needRange("rewraps.folderKeyVersion", int64(w.FolderKeyVersion), 2, 1<<32-1), needBytes("rewraps.keyWrap", w.KeyWrap, MaxWrappedKey)); err != nil {
			return err
		}
	}
	return nil
}

type RewrapResult struct {
	Done    int   `json:"done"`
	Pending int64 `json:"pending"`
}
