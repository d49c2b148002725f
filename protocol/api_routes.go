package protocol

// Paths of the API. Segments in braces are parameters, each an id
// (ValidID). Do not change a path; add new ones.
const (
	PathRegisterStart        = APIPrefix + "/auth/register/start"
	PathRegisterFinish       = APIPrefix + "/auth/register/finish"
	PathLoginStart           = APIPrefix + "/auth/login/start"
	PathLoginFinish          = APIPrefix + "/auth/login/finish"
	PathPasskeyLoginStart    = APIPrefix + "/auth/passkey/start"
	PathPasskeyLoginFinish   = APIPrefix + "/auth/passkey/finish"
	PathDeviceVerification   = APIPrefix + "/auth/device-verification"
	PathDeviceVerifyResend   = APIPrefix + "/auth/device-verification/resend"
	PathRefresh              = APIPrefix + "/auth/refresh"
	PathLogout               = APIPrefix + "/auth/logout"
	PathAccount              = APIPrefix + "/account"
	PathKeyring              = APIPrefix + "/account/keyring"
	PathPasswordStart        = APIPrefix + "/account/password/start"
	PathPasswordFinish       = APIPrefix + "/account/password/finish"
	PathPasskeyCeremonies    = APIPrefix + "/account/passkey-ceremonies"
	PathPasskeys             = APIPrefix + "/account/passkeys"
	PathPasskey              = APIPrefix + "/account/passkeys/{passkeyId}"
	PathUnlockMethods        = APIPrefix + "/account/unlock-methods"
	PathUnlockMethod         = APIPrefix + "/account/unlock-methods/{methodId}"
	PathDevices              = APIPrefix + "/account/devices"
	PathDevice               = APIPrefix + "/account/devices/{deviceId}"
	PathPublicKeyring        = APIPrefix + "/accounts/{accountId}/public-keyring"
	PathTenants              = APIPrefix + "/tenants"
	PathTenant               = APIPrefix + "/tenants/{tenantId}"
	PathInvites              = APIPrefix + "/tenants/{tenantId}/invites"
	PathInvite               = APIPrefix + "/tenants/{tenantId}/invites/{inviteId}"
	PathAcceptInvite         = APIPrefix + "/invites/{inviteId}/accept"
	PathMembers              = APIPrefix + "/tenants/{tenantId}/members"
	PathMemberRole           = APIPrefix + "/tenants/{tenantId}/members/{accountId}/role"
	PathMemberRemove         = APIPrefix + "/tenants/{tenantId}/members/{accountId}/remove"
	PathMembership           = APIPrefix + "/tenants/{tenantId}/membership"
	PathRecovery             = APIPrefix + "/tenants/{tenantId}/recovery"
	PathRecoveryRequests     = APIPrefix + "/tenants/{tenantId}/recovery/requests"
	PathRecoveryRequest      = APIPrefix + "/tenants/{tenantId}/recovery/requests/{requestId}"
	PathRecoveryApprove      = APIPrefix + "/tenants/{tenantId}/recovery/requests/{requestId}/approve"
	PathRecoveryDeny         = APIPrefix + "/tenants/{tenantId}/recovery/requests/{requestId}/deny"
	PathFolders              = APIPrefix + "/tenants/{tenantId}/folders"
	PathFolder               = APIPrefix + "/tenants/{tenantId}/folders/{folderId}"
	PathFolderName           = APIPrefix + "/tenants/{tenantId}/folders/{folderId}/name"
	PathFolderMove           = APIPrefix + "/tenants/{tenantId}/folders/{folderId}/move"
	PathFolderDocuments      = APIPrefix + "/tenants/{tenantId}/folders/{folderId}/documents"
	PathFolderRotations      = APIPrefix + "/tenants/{tenantId}/folders/{folderId}/rotations"
	PathFolderRewraps        = APIPrefix + "/tenants/{tenantId}/folders/{folderId}/rewraps"
	PathUploads              = APIPrefix + "/tenants/{tenantId}/uploads"
	PathUpload               = APIPrefix + "/tenants/{tenantId}/uploads/{uploadId}"
	PathUploadCommit         = APIPrefix + "/tenants/{tenantId}/uploads/{uploadId}/commit"
	PathDocument             = APIPrefix + "/tenants/{tenantId}/documents/{documentId}"
	PathDocumentContent      = APIPrefix + "/tenants/{tenantId}/documents/{documentId}/content"
	PathDocumentVersions     = APIPrefix + "/tenants/{tenantId}/documents/{documentId}/versions"
	PathDocumentMetadata     = APIPrefix + "/tenants/{tenantId}/documents/{documentId}/metadata"
	PathDocumentMove         = APIPrefix + "/tenants/{tenantId}/documents/{documentId}/move"
	PathGrants               = APIPrefix + "/tenants/{tenantId}/grants"
	PathGrant                = APIPrefix + "/tenants/{tenantId}/grants/{grantId}"
	PathMyGrants             = APIPrefix + "/tenants/{tenantId}/my-grants"
	PathAccessRequests       = APIPrefix + "/tenants/{tenantId}/access-requests"
	PathAccessRequestApprove = APIPrefix + "/tenants/{tenantId}/access-requests/{requestId}/approve"
	PathAccessRequestDeny    = APIPrefix + "/tenants/{tenantId}/access-requests/{requestId}/deny"
	PathAudit                = APIPrefix + "/tenants/{tenantId}/audit"
	PathAuditExport          = APIPrefix + "/tenants/{tenantId}/audit/export"
	PathAuditHead            = APIPrefix + "/tenants/{tenantId}/audit/head"
	PathEnvelopes            = APIPrefix + "/tenants/{tenantId}/envelopes"
	PathEnvelope             = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}"
	PathEnvelopeSigners      = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/signers"
	PathEnvelopeRemind       = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/remind"
	PathEnvelopeCancel       = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/cancel"
	PathEnvelopeSeal         = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/seal"
	PathEnvelopeSign         = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/sign"
	PathEnvelopeDecline      = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/decline"
	PathEnvelopeLink         = APIPrefix + "/tenants/{tenantId}/envelopes/{envelopeId}/signers/{signerId}/link"
	PathLinkOpen             = APIPrefix + "/links/{envelopeId}/open"
	PathLink                 = APIPrefix + "/links/{envelopeId}"
	PathLinkDocument         = APIPrefix + "/links/{envelopeId}/document"
	PathLinkSign             = APIPrefix + "/links/{envelopeId}/sign"
	PathLinkDecline          = APIPrefix + "/links/{envelopeId}/decline"
	PathLinkSeal             = APIPrefix + "/links/{envelopeId}/seal"
	PathLogKey               = APIPrefix + "/log/key"
	PathLogCheckpoint        = APIPrefix + "/log/checkpoint"
	PathLogProof             = APIPrefix + "/log/proof"
	PathLogConsistency       = APIPrefix + "/log/consistency"
	PathLogLeaf              = APIPrefix + "/log/leaves/{index}"
)

func route(name, method, path string, auth Auth) Route {
	return Route{Name: name, Method: method, Path: path, Auth: auth}
}

func (r Route) takes(f func() Request) Route {
	r.Body, r.NewRequest, r.MaxBody = BodyJSON, f, MaxJSONBody
	return r
}

func (r Route) takesBinary(max int) Route {
	r.Body, r.MaxBody = BodyBinary, max
	return r
}

func (r Route) returns(v any) Route {
	r.Reply, r.Response = BodyJSON, v
	return r
}

func (r Route) returnsBinary() Route {
	r.Reply = BodyBinary
	return r
}

func (r Route) query(q ...string) Route {
	r.Query = q
	return r
}

var paged = []string{"cursor", "limit"}

// Short names for the table below.
const (
	rGet, rPost, rPut, rDel = "GET", "POST", "PUT", "DELETE"
	aNone, aSession         = AuthNone, AuthSession
	aMember, aAdmin, aLink  = AuthTenantMember, AuthTenantAdmin, AuthSignerLink
)

// Routes is every route of the API. The server registers exactly these, its
// authorization test is generated from them, and SPEC §API lists them (a
// test keeps the spec's table equal to this one).
var Routes = []Route{
	route("auth.register.start", rPost, PathRegisterStart, aNone).takes(req[RegisterStartRequest]).returns((*RegisterStartResponse)(nil)),
	route("auth.register.finish", rPost, PathRegisterFinish, aNone).takes(req[RegisterFinishRequest]).returns((*LoginResponse)(nil)),
	route("auth.login.start", rPost, PathLoginStart, aNone).takes(req[LoginStartRequest]).returns((*LoginStartResponse)(nil)),
	route("auth.login.finish", rPost, PathLoginFinish, aNone).takes(req[LoginFinishRequest]).returns((*LoginResponse)(nil)),
	route("auth.passkey.start", rPost, PathPasskeyLoginStart, aNone).takes(req[PasskeyLoginStartRequest]).returns((*PasskeyCeremony)(nil)),
	route("auth.passkey.finish", rPost, PathPasskeyLoginFinish, aNone).takes(req[PasskeyLoginFinishRequest]).returns((*LoginResponse)(nil)),
	route("auth.device.verify", rPost, PathDeviceVerification, aNone).takes(req[DeviceVerifyRequest]).returns((*LoginResponse)(nil)),
	route("auth.device.resend", rPost, PathDeviceVerifyResend, aNone).takes(req[DeviceVerifyResendRequest]).returns((*DeviceVerification)(nil)),
	route("auth.refresh", rPost, PathRefresh, aNone).takes(req[RefreshRequest]).returns((*AccessToken)(nil)),
	route("auth.logout", rPost, PathLogout, aSession).takes(req[LogoutRequest]),

	route("account.get", rGet, PathAccount, aSession).returns((*AccountInfo)(nil)),
	route("account.keyring.get", rGet, PathKeyring, aSession).returns((*Keyring)(nil)),
	route("account.keyring.replace", rPut, PathKeyring, aSession).takes(req[ReplaceKeyringRequest]).returns((*Keyring)(nil)),
	route("account.password.start", rPost, PathPasswordStart, aSession).takes(req[PasswordChangeStartRequest]).returns((*PasswordChangeStartResponse)(nil)),
	route("account.password.finish", rPost, PathPasswordFinish, aSession).takes(req[PasswordChangeFinishRequest]),
	route("account.passkeys.start", rPost, PathPasskeyCeremonies, aSession).takes(req[PasskeyRegisterStartRequest]).returns((*PasskeyCeremony)(nil)),
	route("account.passkeys.finish", rPost, PathPasskeys, aSession).takes(req[PasskeyRegisterFinishRequest]).returns((*Passkey)(nil)),
	route("account.passkeys.list", rGet, PathPasskeys, aSession).returns((*PasskeyList)(nil)),
	route("account.passkeys.delete", rDel, PathPasskey, aSession),
	route("account.unlock.list", rGet, PathUnlockMethods, aSession).returns((*UnlockMethodList)(nil)),
	route("account.unlock.add", rPost, PathUnlockMethods, aSession).takes(req[AddUnlockMethodRequest]).returns((*AddUnlockMethodResponse)(nil)),
	route("account.unlock.delete", rDel, PathUnlockMethod, aSession),
	route("account.devices.list", rGet, PathDevices, aSession).returns((*DeviceList)(nil)),
	route("account.devices.add", rPost, PathDevices, aSession).takes(req[AddDeviceRequest]).returns((*AddDeviceResponse)(nil)),
	route("account.devices.delete", rDel, PathDevice, aSession),
	route("accounts.public-keyring", rGet, PathPublicKeyring, aSession).returns((*PublicKeyring)(nil)),

	route("tenants.create", rPost, PathTenants, aSession).takes(req[CreateTenantRequest]).returns((*Tenant)(nil)),
	route("tenants.list", rGet, PathTenants, aSession).returns((*TenantList)(nil)),
	route("tenants.get", rGet, PathTenant, aMember).returns((*Tenant)(nil)),
	route("tenants.invites.create", rPost, PathInvites, aAdmin).takes(req[CreateInviteRequest]).returns((*Invite)(nil)),
	route("tenants.invites.list", rGet, PathInvites, aAdmin).returns((*InviteList)(nil)),
	route("tenants.invites.revoke", rDel, PathInvite, aAdmin),
	route("invites.accept", rPost, PathAcceptInvite, aSession).takes(req[AcceptInviteRequest]).returns((*AcceptInviteResponse)(nil)),
	route("tenants.members.list", rGet, PathMembers, aMember).query(paged...).returns((*MemberList)(nil)),
	route("tenants.members.role", rPut, PathMemberRole, aAdmin).takes(req[ChangeRoleRequest]).returns((*MembershipAppended)(nil)),
	route("tenants.members.remove", rPost, PathMemberRemove, aMember).takes(req[RemoveMemberRequest]).returns((*MembershipAppended)(nil)),
	route("tenants.membership.get", rGet, PathMembership, aMember).query("after", "limit").returns((*MembershipChain)(nil)),
	route("tenants.membership.append", rPost, PathMembership, aMember).takes(req[AppendMembershipRequest]).returns((*MembershipAppended)(nil)),
	route("tenants.recovery.get", rGet, PathRecovery, aMember).returns((*TenantRecovery)(nil)),
	route("tenants.recovery.request", rPost, PathRecoveryRequests, aMember).takes(req[CreateRecoveryRequest]).returns((*RecoveryRequest)(nil)),
	route("tenants.recovery.requests", rGet, PathRecoveryRequests, aAdmin).query(paged...).returns((*RecoveryRequestList)(nil)),
	route("tenants.recovery.request.get", rGet, PathRecoveryRequest, aMember).returns((*RecoveryRequest)(nil)),
	route("tenants.recovery.approve", rPost, PathRecoveryApprove, aAdmin).takes(req[ApproveRecoveryRequest]).returns((*RecoveryRequest)(nil)),
	route("tenants.recovery.deny", rPost, PathRecoveryDeny, aAdmin).takes(req[DenyRequest]),

	route("folders.create", rPost, PathFolders, aMember).takes(req[CreateFolderRequest]).returns((*Folder)(nil)),
	route("folders.list", rGet, PathFolders, aMember).query("parent", "cursor", "limit").returns((*FolderList)(nil)),
	route("folders.get", rGet, PathFolder, aMember).returns((*Folder)(nil)),
	route("folders.rename", rPut, PathFolderName, aMember).takes(req[RenameFolderRequest]).returns((*Folder)(nil)),
	route("folders.move", rPost, PathFolderMove, aMember).takes(req[MoveFolderRequest]).returns((*Folder)(nil)),
	route("folders.delete", rDel, PathFolder, aMember),
	route("folders.documents", rGet, PathFolderDocuments, aMember).query(paged...).returns((*DocumentList)(nil)),
	route("folders.rotate", rPost, PathFolderRotations, aMember).takes(req[RotateFolderRequest]).returns((*FolderRotation)(nil)),
	route("folders.rotations", rGet, PathFolderRotations, aMember).returns((*RotationList)(nil)),
	route("folders.rewraps.list", rGet, PathFolderRewraps, aMember).query(paged...).returns((*RewrapList)(nil)),
	route("folders.rewraps.store", rPost, PathFolderRewraps, aMember).takes(req[RewrapRequest]).returns((*RewrapResult)(nil)),

	route("uploads.create", rPost, PathUploads, aMember).takes(req[CreateUploadRequest]).returns((*Upload)(nil)),
	route("uploads.get", rGet, PathUpload, aMember).returns((*Upload)(nil)),
	route("uploads.chunk", rPut, PathUpload, aMember).query("offset").takesBinary(MaxChunk).returns((*Upload)(nil)),
	route("uploads.commit", rPost, PathUploadCommit, aMember).takes(req[CommitUploadRequest]).returns((*Document)(nil)),
	route("uploads.abort", rDel, PathUpload, aMember),
	route("documents.get", rGet, PathDocument, aMember).returns((*Document)(nil)),
	route("documents.content", rGet, PathDocumentContent, aMember).query("version").returnsBinary(),
	route("documents.versions", rGet, PathDocumentVersions, aMember).returns((*VersionList)(nil)),
	route("documents.delete", rDel, PathDocument, aMember),
	route("documents.rename", rPut, PathDocumentMetadata, aMember).takes(req[RenameDocumentRequest]).returns((*Document)(nil)),
	route("documents.move", rPost, PathDocumentMove, aMember).takes(req[MoveDocumentRequest]).returns((*Document)(nil)),

	route("grants.create", rPost, PathGrants, aMember).takes(req[CreateGrantsRequest]).returns((*GrantList)(nil)),
	route("grants.list", rGet, PathGrants, aMember).query("objectId", "cursor", "limit").returns((*GrantList)(nil)),
	route("grants.mine", rGet, PathMyGrants, aMember).query(paged...).returns((*GrantList)(nil)),
	route("grants.revoke", rDel, PathGrant, aMember),
	route("access.request", rPost, PathAccessRequests, aMember).takes(req[CreateAccessRequest]).returns((*AccessRequest)(nil)),
	route("access.list", rGet, PathAccessRequests, aMember).query(paged...).returns((*AccessRequestList)(nil)),
	route("access.approve", rPost, PathAccessRequestApprove, aMember).takes(req[ApproveAccessRequest]).returns((*Grant)(nil)),
	route("access.deny", rPost, PathAccessRequestDeny, aMember).takes(req[DenyRequest]),

	route("audit.list", rGet, PathAudit, aAdmin).query(paged...).returns((*AuditPage)(nil)),
	route("audit.export", rGet, PathAuditExport, aAdmin).returnsBinary(),
	route("audit.head", rGet, PathAuditHead, aMember).returns((*AuditHead)(nil)),

	route("envelopes.create", rPost, PathEnvelopes, aMember).takes(req[CreateEnvelopeRequest]).returns((*Envelope)(nil)),
	route("envelopes.list", rGet, PathEnvelopes, aMember).query(paged...).returns((*EnvelopeList)(nil)),
	route("envelopes.get", rGet, PathEnvelope, aMember).returns((*Envelope)(nil)),
	route("envelopes.signers", rGet, PathEnvelopeSigners, aMember).returns((*SignerStatusList)(nil)),
	route("envelopes.remind", rPost, PathEnvelopeRemind, aMember).takes(req[RemindRequest]),
	route("envelopes.cancel", rPost, PathEnvelopeCancel, aMember).takes(req[CancelEnvelopeRequest]).returns((*Envelope)(nil)),
	route("envelopes.sign", rPost, PathEnvelopeSign, aMember).takes(req[SubmitSignatureRequest]).returns((*Envelope)(nil)),
	route("envelopes.decline", rPost, PathEnvelopeDecline, aMember).takes(req[DeclineRequest]),
	route("envelopes.link.replace", rPut, PathEnvelopeLink, aMember).takes(req[ReplaceLinkRequest]).returns((*SignerStatus)(nil)),
	route("envelopes.seal.upload", rPost, PathEnvelopeSeal, aMember).takes(req[SealUploadRequest]).returns((*SealRecord)(nil)),
	route("envelopes.seal.get", rGet, PathEnvelopeSeal, aMember).returns((*SealRecord)(nil)),

	route("links.open", rPost, PathLinkOpen, aNone).takes(req[OpenLinkRequest]).returns((*OpenLinkResponse)(nil)),
	route("links.get", rGet, PathLink, aLink).returns((*SignerView)(nil)),
	route("links.document", rGet, PathLinkDocument, aLink).returnsBinary(),
	route("links.sign", rPost, PathLinkSign, aLink).takes(req[SubmitSignatureRequest]).returns((*SignerView)(nil)),
	route("links.decline", rPost, PathLinkDecline, aLink).takes(req[DeclineRequest]),
	route("links.seal.upload", rPost, PathLinkSeal, aLink).takes(req[SealUploadRequest]).returns((*SealRecord)(nil)),
	route("links.seal.get", rGet, PathLinkSeal, aLink).returns((*SealRecord)(nil)),

	route("log.key", rGet, PathLogKey, aNone).returns((*LogKey)(nil)),
	route("log.checkpoint", rGet, PathLogCheckpoint, aNone).returns((*Checkpoint)(nil)),
	route("log.proof", rGet, PathLogProof, aNone).query("leaf", "size").returns((*InclusionProof)(nil)),
	route("log.consistency", rGet, PathLogConsistency, aNone).query("from", "to").returns((*ConsistencyProof)(nil)),
	route("log.leaf", rGet, PathLogLeaf, aNone).returns((*LogLeaf)(nil)),
}
