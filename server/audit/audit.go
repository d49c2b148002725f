// Package audit keeps Vellum's per-tenant hash-chained audit log in the
// server's store (DESIGN.md §4, SPEC part 60 §Audit log).
//
// The log's formats and its verifier are package protocol/auditlog, which the
// browser client shares; this package holds only what needs the store. The
// store writes an entry in the same synced batch as the change it records
// (Append in the change's transaction), so a change is never made without
// its event, nor an event logged for a change that was not made. Entries
// reads a tenant's chain back and Export streams it as JSON lines that
// anyone holding them checks with auditlog.VerifyExport.
package audit

import (
	"fmt"
	"io"

	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// Append records e as the next entry of its tenant's chain, in tx: the entry
// is committed with the change it records, or not at all. It sets e.Seq.
// e.Time MUST be set by the caller (from its clock).
func Append(tx *store.Tx, e *auditlog.Event) (*auditlog.Entry, error) {
	if e.Time.IsZero() {
		return nil, fmt.Errorf("audit: event without a time: %w", auditlog.ErrMalformed)
	}
	h, err := tx.AuditHead(e.Tenant)
	if err != nil {
		return nil, err
	}
	prev := h.Hash
	if h.Seq == 0 {
		prev = auditlog.Genesis(e.Tenant)
	}
	e.Seq = h.Seq + 1
	raw, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	ent := &auditlog.Entry{Event: e, Raw: raw, Prev: prev, Hash: auditlog.ChainHash(prev, raw)}
	if err := tx.AppendAuditEntry(&store.AuditEntry{Tenant: e.Tenant, Seq: e.Seq, Event: raw, Hash: ent.Hash}); err != nil {
		return nil, err
	}
	return ent, nil
}

// Source is where entries are read from: *store.Store and *store.Tx.
type Source interface {
	AuditEntries(tenant store.ID, from uint64, limit int) ([]*store.AuditEntry, error)
	AuditHead(tenant store.ID) (*store.AuditHead, error)
}

// Entries reads up to limit entries of a tenant's chain from seq from on
// (from ≥ 1), with their previous hashes. It does not verify them: that is
// the reader's job (auditlog.Verify), since the reader may not trust the
// server.
func Entries(src Source, tenant store.ID, from uint64, limit int) ([]*auditlog.Entry, error) {
	if from == 0 {
		from = 1
	}
	prev := auditlog.Genesis(tenant)
	if from > 1 {
		p, err := src.AuditEntries(tenant, from-1, 1)
		if err != nil {
			return nil, err
		}
		if len(p) == 1 && p[0].Seq == from-1 {
			prev = p[0].Hash
		} else {
			return nil, nil // nothing at or after from
		}
	}
	stored, err := src.AuditEntries(tenant, from, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*auditlog.Entry, 0, len(stored))
	for _, s := range stored {
		ev, err := auditlog.ParseEvent(s.Event)
		if err != nil {
			return nil, fmt.Errorf("audit: stored entry %d: %w", s.Seq, err)
		}
		out = append(out, &auditlog.Entry{Event: ev, Raw: s.Event, Prev: prev, Hash: s.Hash})
		prev = s.Hash
	}
	return out, nil
}

// exportPage is how many entries Export reads from the store at a time.
const exportPage = 1000

// Export streams a tenant's whole chain from src to w as JSON lines
// (auditlog.WriteExportLine) and returns the head it exported. It does not
// verify what it reads (the reader of the export will); it does refuse an
// entry that does not parse.
func Export(w io.Writer, src Source, tenant store.ID) (auditlog.Head, error) {
	var head auditlog.Head
	for from := uint64(1); ; {
		es, err := Entries(src, tenant, from, exportPage)
		if err != nil {
			return head, err
		}
		for _, e := range es {
			if err := auditlog.WriteExportLine(w, e); err != nil {
				return head, err
			}
			head = auditlog.Head{Seq: e.Event.Seq, Hash: e.Hash}
		}
		if len(es) < exportPage {
			return head, nil
		}
		from = head.Seq + 1
	}
}
