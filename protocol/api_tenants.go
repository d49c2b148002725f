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
// before the server sees it, names it; a taken id is CodeConflict. Name is
// the tenant's display name, which the server reads.
type CreateTenantRequest struct {
	TenantID string `json:"tenantId"`
	Name     string `json:"name"`
	Genesis  []byte `json:"genesis"`
}

func (r *CreateTenantRequest) Validate() error {
	return first(needID("tenantId", r.TenantID), needText("name", r.Name, MaxNameLength),
		needBytes("genesis", r.Genesis, MaxStatement))
}

// Tenant is a tenant as its member sees it.
type Tenant struct {
	TenantID        string    `json:"tenantId"`
	Name            string    `json:"name"`
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

// TenantRecovery is tenant recovery as a member sees it. The recipient and
// holders a client acts on come from the chain; this is for display and
// for a holder to fetch their share.
type TenantRecovery struct {
	Enabled   bool     `json:"enabled"`
	Threshold int      `json:"threshold,omitempty"`
	Holders   []string `json:"holders,omitempty"`
	// Enrolled says the caller has a tenant-recovery unlock method here.
	Enrolled bool `json:"enrolled"`
	// Share is the caller's share of the recovery key, if they hold one.
	Share []byte `json:"share,omitempty"`
}

// SetRecoveryRequest carries an enable-recovery or disable-recovery
// statement; with enable, Shares holds each holder's share of the new
// recovery key, wrapped to the holder's recipient in the statement.
type SetRecoveryRequest struct {
	Statement []byte          `json:"statement"`
	Shares    []RecoveryShare `json:"shares,omitempty"`
}

type RecoveryShare struct {
	AccountID string `json:"accountId"`
	Wrap      []byte `json:"wrap"`
}

func (r *SetRecoveryRequest) Validate() error {
	if err := first(needBytes("statement", r.Statement, MaxStatement), needCount("shares", len(r.Shares), 0, MaxRecoveryHolders)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(r.Shares))
	for _, s := range r.Shares {
		if err := first(needID("shares.accountId", s.AccountID), needBytes("shares.wrap", s.Wrap, MaxWrappedKey)); err != nil {
			return err
		}
		if seen[s.AccountID] {
			return Errorf(CodeBadRequest, "shares lists an account twice")
		}
		seen[s.AccountID] = true
	}
	return nil
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
	RecoveryApproved RecoveryStatus = "approved" // Threshold approvals are in
	RecoveryDenied   RecoveryStatus = "denied"
	RecoveryExpired  RecoveryStatus = "expired"
)

type RecoveryRequest struct {
	RequestID       string         `json:"requestId"`
	AccountID       string         `json:"accountId"`
	DeviceRecipient string         `json:"deviceRecipient"`
	Status          RecoveryStatus `json:"status"`
	Threshold       int            `json:"threshold"`
	CreatedAt       time.Time      `json:"createdAt"`
	// AccountKeyWrap is the member's account key wrapped to the tenant
	// recovery recipient; shown to holders and the member only.
	AccountKeyWrap []byte `json:"accountKeyWrap,omitempty"`
	// Approvals are the holders' contributions, each wrapped to
	// DeviceRecipient; shown to the member only.
	Approvals []RecoveryApproval `json:"approvals,omitempty"`
}

type RecoveryApproval struct {
	AccountID  string    `json:"accountId"`
	Wrap       []byte    `json:"wrap"`
	ApprovedAt time.Time `json:"approvedAt"`
}

type RecoveryRequestList struct {
	Requests   []RecoveryRequest `json:"requests"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// ApproveRecoveryRequest is one holder's approval: their contribution
// wrapped to the request's device recipient.
type ApproveRecoveryRequest struct {
	Wrap []byte `json:"wrap"`
}

func (r *ApproveRecoveryRequest) Validate() error { return needBytes("wrap", r.Wrap, MaxWrappedKey) }

// DenyRequest refuses an access or recovery request; Reason is shown to the
// requester and read by the server.
type DenyRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (r *DenyRequest) Validate() error { return optText("reason", r.Reason, MaxReasonLength) }
