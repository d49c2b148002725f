package audit

import (
	"fmt"

	"vellum.dev/vellum/server/store"
)

// Entry is one link of a tenant's chain: the event, its canonical bytes,
// the previous entry's hash (the genesis hash for the first) and its own.
type Entry struct {
	Event *Event
	Raw   []byte
	Prev  [32]byte
	Hash  [32]byte
}

// Head is the position of a chain: the newest entry's sequence number and
// hash (Seq 0 for an empty chain). A client that keeps the head it saw can
// later check that the chain it is shown still extends it.
type Head struct {
	Seq  uint64
	Hash [32]byte
}

// Append records e as the next entry of its tenant's chain, in tx: the entry
// is committed with the change it records, or not at all. It sets e.Seq.
// e.Time MUST be set by the caller (from its clock).
func Append(tx *store.Tx, e *Event) (*Entry, error) {
	if e.Time.IsZero() {
		return nil, fmt.Errorf("audit: event without a time: %w", ErrMalformed)
	}
	h, err := tx.AuditHead(e.Tenant)
	if err != nil {
		return nil, err
	}
	prev := h.Hash
	if h.Seq == 0 {
		prev = Genesis(e.Tenant)
	}
	e.Seq = h.Seq + 1
	raw, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	ent := &Entry{Event: e, Raw: raw, Prev: prev, Hash: ChainHash(prev, raw)}
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
// the reader's job (Verify), since the reader may not trust the server.
func Entries(src Source, tenant store.ID, from uint64, limit int) ([]*Entry, error) {
	if from == 0 {
		from = 1
	}
	prev := Genesis(tenant)
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
	out := make([]*Entry, 0, len(stored))
	for _, s := range stored {
		ev, err := ParseEvent(s.Event)
		if err != nil {
			return nil, fmt.Errorf("audit: stored entry %d: %w", s.Seq, err)
		}
		out = append(out, &Entry{Event: ev, Raw: s.Event, Prev: prev, Hash: s.Hash})
		prev = s.Hash
	}
	return out, nil
}

// verifier walks a chain in order. A gap in the sequence does not fail at
// once: if the missing entry turns up later the entries were reordered, if
// it never does one was removed.
type verifier struct {
	tenant store.ID
	head   Head
	prev   [32]byte
	// broken is the first failure; after a gap, only the order of the
	// sequence numbers is still checked.
	broken  *ChainError
	gap     bool
	maxSeen uint64
	expect  *Head
}

func newVerifier(tenant store.ID, start *Head) *verifier {
	v := &verifier{tenant: tenant, prev: Genesis(tenant)}
	if start != nil && start.Seq > 0 {
		v.head, v.prev, v.maxSeen = *start, start.Hash, start.Seq
	}
	return v
}

func (v *verifier) fail(seq uint64, err error) {
	if v.broken == nil {
		v.broken = &ChainError{Seq: seq, Err: err}
	}
}

// add checks the next entry: raw is the event bytes, prev the previous hash
// the entry claims (nil if it does not carry one), hash its hash.
func (v *verifier) add(raw []byte, prev *[32]byte, hash [32]byte) {
	if v.broken != nil && !v.gap {
		return // the first failure stands
	}
	ev, err := ParseEvent(raw)
	if err != nil {
		v.broken, v.gap = &ChainError{Seq: v.head.Seq + 1, Err: ErrMalformed}, false
		return
	}
	seq := ev.Seq
	if seq <= v.maxSeen && (v.gap || seq <= v.head.Seq) {
		// A sequence number seen before, or one that comes back to fill a
		// gap: the entries are out of order. This outranks the gap.
		v.broken, v.gap = &ChainError{Seq: seq, Err: ErrReordered}, false
		return
	}
	v.maxSeen = max(v.maxSeen, seq)
	if v.gap {
		return
	}
	switch {
	case seq > v.head.Seq+1:
		v.gap = true
		v.fail(v.head.Seq+1, ErrRemoved)
		return
	case ev.Tenant != v.tenant:
		v.fail(seq, ErrAltered)
		return
	case prev != nil && *prev != v.prev:
		v.fail(seq, ErrAltered)
		return
	case ChainHash(v.prev, raw) != hash:
		v.fail(seq, ErrAltered)
		return
	}
	v.head = Head{Seq: seq, Hash: hash}
	v.prev = hash
	if v.expect != nil && v.expect.Seq == seq && v.expect.Hash != hash {
		v.fail(seq, ErrAltered)
	}
}

func (v *verifier) finish() (Head, error) {
	if v.broken != nil {
		return v.head, v.broken
	}
	if v.expect != nil && v.head.Seq < v.expect.Seq {
		return v.head, &ChainError{Seq: v.head.Seq + 1, Err: ErrTruncated}
	}
	return v.head, nil
}

// Options tune a verification.
type Options struct {
	// Start is a trusted head to continue from, for a chain given from
	// Start.Seq+1 on; nil means the chain starts at entry 1.
	Start *Head
	// Expect is a head the verifier trusts (one it saw before): the chain
	// MUST reach it (else ErrTruncated) and pass through it (else
	// ErrAltered).
	Expect *Head
}

// Verify checks entries as a chain of tenant's log and returns its head.
// Each entry's hash is recomputed from its Raw bytes and the previous hash;
// Event is not trusted (it is re-parsed from Raw). A removed, reordered or
// altered entry fails with a *ChainError wrapping ErrRemoved, ErrReordered
// or ErrAltered.
func Verify(tenant store.ID, entries []*Entry, o *Options) (Head, error) {
	if o == nil {
		o = &Options{}
	}
	v := newVerifier(tenant, o.Start)
	v.expect = o.Expect
	for _, e := range entries {
		prev := e.Prev
		v.add(e.Raw, &prev, e.Hash)
	}
	return v.finish()
}
