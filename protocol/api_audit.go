package protocol

import "time"

// The tenant audit log: a hash chain of events the server writes
// (server/audit). Entry is the event in its canonical encoding
// (protocol/auditlog, which also checks the chain), and Hash is
// the chain hash over it and the previous Hash, as SPEC §Audit defines, so
// that a client can check the chain without trusting this JSON.

type AuditEvent struct {
	Seq   uint64 `json:"seq"`
	Entry []byte `json:"entry"`
	Hash  []byte `json:"hash"`
}

// AuditPage is a page of events, oldest first.
type AuditPage struct {
	Events     []AuditEvent `json:"events"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// AuditHead is the newest event, for a client to pin and compare.
type AuditHead struct {
	Seq  uint64    `json:"seq"`
	Hash []byte    `json:"hash"`
	Time time.Time `json:"time"`
}
