package store

import (
	"fmt"

	"vellum.dev/vellum/protocol"
)

// AuditEntry is one stored entry of a tenant's hash-chained audit log. The
// store keeps the bytes and the chain position; package audit defines the
// event encoding and computes Hash = SHA-256(previous Hash ‖ Event).
type AuditEntry struct {
	Tenant ID       `cbor:"1,keyasint"`
	Seq    uint64   `cbor:"2,keyasint"` // from 1, no gaps
	Event  []byte   `cbor:"3,keyasint"` // canonical CBOR event
	Hash   [32]byte `cbor:"4,keyasint"`
}

// AuditHead is the newest entry of a tenant's audit log: Seq 0 and a zero
// Hash for an empty log.
type AuditHead struct {
	Tenant ID       `cbor:"1,keyasint"`
	Seq    uint64   `cbor:"2,keyasint"`
	Hash   [32]byte `cbor:"3,keyasint"`
}

// AuditHead returns the head of a tenant's audit log.
func (v View) AuditHead(tenant ID) (*AuditHead, error) {
	h := new(AuditHead)
	if ok, err := v.exists(auditHeadKey(tenant)); err != nil || !ok {
		return &AuditHead{Tenant: tenant}, err
	}
	return h, v.getRecord(auditHeadKey(tenant), h)
}

// AppendAuditEntry appends e to its tenant's log and moves the head, in the
// transaction that makes the change the entry records. e.Seq MUST be the
// head's Seq plus one (else ErrConflict). The store does not check Hash:
// package audit computes it from the head this transaction read.
func (tx *Tx) AppendAuditEntry(e *AuditEntry) error {
	if len(e.Event) == 0 || len(e.Event) > protocol.MaxAuditEvent {
		return fmt.Errorf("store: audit event of %d bytes: %w", len(e.Event), ErrInvalid)
	}
	if _, err := tx.Tenant(e.Tenant); err != nil {
		return err
	}
	h, err := tx.AuditHead(e.Tenant)
	if err != nil {
		return err
	}
	if e.Seq != h.Seq+1 {
		return fmt.Errorf("store: audit entry %d, next is %d: %w", e.Seq, h.Seq+1, ErrConflict)
	}
	if err := tx.set(auditEntryKey(e.Tenant, e.Seq), e); err != nil {
		return err
	}
	return tx.set(auditHeadKey(e.Tenant), &AuditHead{Tenant: e.Tenant, Seq: e.Seq, Hash: e.Hash})
}

// AuditEntries returns up to limit entries of a tenant's log from seq from on.
func (v View) AuditEntries(tenant ID, from uint64, limit int) ([]*AuditEntry, error) {
	return scanFrom[AuditEntry](v, key(pAuditEntry, tenant[:]), from, limit)
}
