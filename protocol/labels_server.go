package protocol

// Labels of the server's own formats (SPEC part 60). Like labels.go, they are
// part of stored formats: do not change, reorder or reuse one.
const (
	// LabelAuditGenesis starts a tenant's audit chain: the "previous hash"
	// of its first entry is SHA-256(LabelAuditGenesis ‖ 0x0A ‖ tenant ID).
	LabelAuditGenesis Label = "vellum-audit-genesis/v1"

	// LabelSessionTokenAD is the associated data prefix of a session token:
	// the AEAD binds LabelSessionTokenAD ‖ 0x0A ‖ token header.
	LabelSessionTokenAD Label = "vellum-session-token/v1"
)
