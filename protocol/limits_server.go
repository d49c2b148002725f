package protocol

// Limits of the server's storage, session tokens and audit log (SPEC part
// 60-server-storage-sessions-audit). Like limits.go, every decoder MUST
// refuse input beyond them before doing work proportional to it.
const (
	// MaxUploadSize is the largest ciphertext of one document version, in
	// bytes.
	MaxUploadSize = 64 << 30

	// MaxSessionToken is the longest text form of a session token, in bytes.
	MaxSessionToken = 512

	// MaxAuditEvent is the largest canonical CBOR audit event, in bytes.
	MaxAuditEvent = 4 << 10

	// MaxAuditObjects is the most object IDs one audit event names.
	MaxAuditObjects = 8

	// MaxAuditExportLine is the longest line of an audit export, in bytes.
	MaxAuditExportLine = 16 << 10

	// MaxLockoutKey is the longest key of a lock-out counter, in bytes.
	MaxLockoutKey = 256
)
