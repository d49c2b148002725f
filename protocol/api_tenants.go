package protocol

import "time"

// Tenants, invitations, members, the membership chain, and tenant recovery.
//
// The membership chain (SPEC §Membership) is the authority on who belongs
// to a tenant with which keys. Every change to it is a signed statement the
// client builds (keys/membership) and the server checks against the chain
// before appending it; the lists below are conveniences for display.

// CreateTenantRequest creates a tenant. The client makes TenantID (16
// random bytes, unpadded base64url) because the genesis statement, signed
// before the server sees it, names it; a taken id is CodeConflict. Profile
// is client-defined and opaque to the server (an encrypted name, say).
type CreateTenantRequest struct {
	TenantID string `json:"tenantId"`
	Profile  []byte `json:"profile,omitempty"`
	Genesis  []byte `json:"genesis"`
}

func (r *CreateTenantRequest) Validate() error {
	return first(needID("tenantId", r.TenantID), optBytes("profile", r.Profile, MaxMetadata),
		needBytes("genesis", r.Genesis, MaxStatement))
}

// Tenant is a tenant as its member sees it.
type Tenant struct {
	TenantID        string    `json:"tenantId"`
	Profile         []byte    `json:"profile,omitempty"`
	Role            Role      `json:"role"`
	MembershipSeq   uint64    `json:"membershipSeq"`
	RecoveryEnabled bool      `json:"recoveryEnabled"`
	CreatedAt       time.Time `json:"createdAt"`
}

type TenantList struct {
	Tenants []Tenant `json:"tenants"`
}

// CreateInviteRequest invites an e-mail address. The server e-mails a link
// holding the invite id and token; accepting it does not make a member: an
// admin's client then appends the add-member statement with the keys of the
// account that accepted.
type CreateInviteRequest struct {
	Email string `json:"email"`
	Role  Role   `json:"role"`
}

func (r *CreateInviteRequest) Validate() error {
	if err := needEmail("email", r.Email); err != nil {
		return err
	}
	if !r.Role.Valid() {
		return required("role")
	}
	return nil
}

// InviteStatus is a wire enum: append only.
type InviteStatus string

const (
	InvitePending  InviteStatus = "pending"  // sent, not accepted
	InviteAccepted InviteStatus = "accepted" // accepted, waiting for an admin's add-member statement
	InviteDone     InviteStatus = "done"     // the account is a member
	InviteRevoked  InviteStatus = "revoked"
	InviteExpired  InviteStatus = "expired"
)

type Invite struct {
	InviteID  string       `json:"inviteId"`
	Email     string       `json:"email"`
	Role      Role         `json:"role"`
	Status    InviteStatus `json:"status"`
	CreatedBy string       `json:"createdBy"`
	CreatedAt time.Time    `json:"createdAt"`
	ExpiresAt time.Time    `json:"expiresAt"`
	// AccountID and PublicKeyring are set once the invite is accepted: the
	// admin's client checks the keyring's self-signature and builds the
	// add-member statement from it.
	AccountID     string `json:"accountId,omitempty"`
	PublicKeyring []byte `json:"publicKeyring,omitempty"`
}

type InviteList struct {
	Invites []Invite `json:"invites"`
}

// AcceptInviteRequest accepts an invite with the token from its e-mail, as
// the signed-in account.
type AcceptInviteRequest struct {
	Token string `json:"token"`
}

func (r *AcceptInviteRequest) Validate() error { return needToken("token", r.Token) }

type AcceptInviteResponse struct {
	TenantID string       `json:"tenantId"`
	Status   InviteStatus `json:"status"`
}

// MemberInfo is a member as the server lists it. Clients MUST NOT wrap keys
// from this list: keys come from the checked membership chain.
type MemberInfo struct {
	AccountID string    `json:"accountId"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	Since     time.Time `json:"since"`
}

type MemberList struct {
	Members    []MemberInfo `json:"members"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// ChangeRoleRequest carries the change-role statement for the member of the
// path; the server checks that it names that member and Role.
type ChangeRoleRequest struct {
	Role      Role   `json:"role"`
	Statement []byte `json:"statement"`
}

func (r *ChangeRoleRequest) Validate() error {
	if !r.Role.Valid() {
		return required("role")
	}
	return needBytes("statement", r.Statement, MaxStatement)
}

// RemoveMemberRequest carries the remove-member statement for the member of
// the path (any member may remove themselves; the chain rules decide).
type RemoveMemberRequest struct {
	Statement []byte `json:"statement"`
}

func (r *RemoveMemberRequest) Validate() error {
	return needBytes("statement", r.Statement, MaxStatement)
}

// MembershipChain is a page of the chain: the statements with seq After+1
// onwards (from the genesis without "after"), oldest first.
type MembershipChain struct {
	Statements [][]byte `json:"statements"`
	// HeadSeq is the seq of the chain's newest statement; the page is the
	// last when its last statement has it.
	HeadSeq uint64 `json:"headSeq"`
}

// AppendMembershipRequest appends one signed statement. The server refuses
// it unless it verifies against the chain (SPEC §Membership, Errors); a
// statement made on a stale head is CodeConflict.
type AppendMembershipRequest struct {
	Statement []byte `json:"statement"`
}

func (r *AppendMembershipRequest) Validate() error {
	return needBytes("statement", r.Statement, MaxStatement)
}

type MembershipAppended struct {
	Seq uint64 `json:"seq"`
}

// TenantRecovery is tenant recovery as a member sees it. The threshold and
// holders a client acts on come from the checked membership chain; this is
// for display. Turning recovery on or off is a membership statement
// (POST …/membership).
type TenantRecovery struct {
	Enabled   bool     `json:"enabled"`
	Threshold int      `json:"threshold,omitempty"`
	Holders   []string `json:"holders,omitempty"`
	// Enrolled says the caller has a tenant-recovery unlock method here.
	Enrolled bool `json:"enrolled"`
}

// CreateRecoveryRequest asks the tenant's recovery holders to restore the
// caller's account key to a new device: DeviceRecipient is that device's
// recipient. Every request is an audit event and is shown to the member.
type CreateRecoveryRequest struct {
	DeviceRecipient string `json:"deviceRecipient"`
}

func (r *CreateRecoveryRequest) Validate() error {
	return needRecipient("deviceRecipient", r.DeviceRecipient)
}

// RecoveryStatus is a wire enum: append only.
type RecoveryStatus string

const (
	RecoveryPending  RecoveryStatus = "pending"
	RecoveryApproved RecoveryStatus = "approved" // the last holder has posted the account key for the device
	RecoveryDenied   RecoveryStatus = "denied"
	RecoveryExpired  RecoveryStatus = "expired"
)

// RecoveryRequest is one recovery in progress. Wrap is the member's
// tenant-recovery wrap (account.WrapForTenant: one onion per M-subset of
// the holders). The M holders peel one onion in turn, outermost first
// (SPEC §Accounts): Admins fixes who, in peel order, and Layers holds what
// each has posted so far. The last holder opens the core and posts the
// account key wrapped to DeviceRecipient. Wrap and Layers are shown only to
// the member and the holders.
type RecoveryRequest struct {
	RequestID       string          `json:"requestId"`
	AccountID       string          `json:"accountId"`
	DeviceRecipient string          `json:"deviceRecipient"`
	Status          RecoveryStatus  `json:"status"`
	Threshold       int             `json:"threshold"`
	CreatedAt       time.Time       `json:"createdAt"`
	Wrap            []byte          `json:"wrap,omitempty"`
	Admins          []string        `json:"admins,omitempty"`
	Layers          []RecoveryLayer `json:"layers,omitempty"`
}

// RecoveryLayer is what one holder posted: the onion with their layer
// peeled (an age file to the next holder), or, from the last, the account
// key wrapped to the device.
type RecoveryLayer struct {
	AccountID string    `json:"accountId"`
	Wrap      []byte    `json:"wrap"`
	PostedAt  time.Time `json:"postedAt"`
}

type RecoveryRequestList struct {
	Requests   []RecoveryRequest `json:"requests"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// ApproveRecoveryRequest is one holder's step. The first approval names
// the M holders in peel order (Admins, the caller first); later ones leave
// Admins out, and the server accepts a step only from the next holder in
// that order.
type ApproveRecoveryRequest struct {
	Admins []string `json:"admins,omitempty"`
	Wrap   []byte   `json:"wrap"`
}

func (r *ApproveRecoveryRequest) Validate() error {
	return first(needIDs("admins", r.Admins, 0), needCount("admins", len(r.Admins), 0, MaxRecoveryAdmins),
		needBytes("wrap", r.Wrap, MaxAccountWrap))
}

// DenyRequest refuses an access or recovery request; Reason is shown to the
// requester and read by the server.
type DenyRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (r *DenyRequest) Validate() error { return optText("reason", r.Reason, MaxReasonLength) }
