package auditlog

import (
	"fmt"

	"vellum.dev/vellum/protocol"
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

// ChainError is a verification failure at one entry.
type ChainError struct {
	Seq uint64 // the entry at which the failure was seen
	Err error  // ErrRemoved, ErrReordered, ErrAltered, ErrTruncated or ErrMalformed
}

func (e *ChainError) Error() string { return fmt.Sprintf("%v at entry %d", e.Err, e.Seq) }
func (e *ChainError) Unwrap() error { return e.Err }

// Options tune a verification.
type Options struct {
	// Start is a trusted head to continue from, for a chain given from
	// Start.Seq+1 on; nil means the chain starts at entry 1.
	Start *Head
	// Expect are heads the verifier trusts (ones it saw before, or the one
	// the server named): the chain MUST reach each (else ErrTruncated) and
	// pass through each (else ErrAltered).
	Expect []Head
}

// verifier walks a chain in order. A gap in the sequence does not fail at
// once: if the missing entry turns up later the entries were reordered, if
// it never does one was removed.
type verifier struct {
	tenant protocol.ID
	head   Head
	prev   [32]byte
	// broken is the first failure; after a gap, only the order of the
	// sequence numbers is still checked.
	broken  *ChainError
	gap     bool
	maxSeen uint64
	expect  []Head
}

func newVerifier(tenant protocol.ID, o *Options) *verifier {
	if o == nil {
		o = &Options{}
	}
	v := &verifier{tenant: tenant, prev: Genesis(tenant), expect: o.Expect}
	if s := o.Start; s != nil && s.Seq > 0 {
		v.head, v.prev, v.maxSeen = *s, s.Hash, s.Seq
	}
	return v
}

func (v *verifier) fail(seq uint64, err error) {
	if v.broken == nil {
		v.broken = &ChainError{Seq: seq, Err: err}
	}
}

// done reports whether the outcome is settled: a failure that no later
// entry can change.
func (v *verifier) done() bool { return v.broken != nil && !v.gap }

// stop ends the walk at the next entry with err, unless it is settled.
func (v *verifier) stop(err error) {
	if !v.done() {
		v.broken, v.gap = &ChainError{Seq: v.head.Seq + 1, Err: err}, false
	}
}

// add checks the next entry: ev is its event parsed from raw (nil if raw
// does not parse), prev the previous hash the entry claims, hash its hash.
func (v *verifier) add(ev *Event, raw []byte, prev, hash [32]byte) {
	if v.done() {
		return // the first failure stands
	}
	if ev == nil {
		v.stop(ErrMalformed)
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
	case ev.Tenant != v.tenant, prev != v.prev, ChainHash(v.prev, raw) != hash:
		v.fail(seq, ErrAltered)
		return
	}
	v.head = Head{Seq: seq, Hash: hash}
	v.prev = hash
	for _, e := range v.expect {
		if e.Seq == seq && e.Hash != hash {
			v.fail(seq, ErrAltered)
		}
	}
}

func (v *verifier) finish() (Head, error) {
	if v.broken != nil {
		return v.head, v.broken
	}
	for _, e := range v.expect {
		if v.head.Seq < e.Seq {
			return v.head, &ChainError{Seq: v.head.Seq + 1, Err: ErrTruncated}
		}
	}
	return v.head, nil
}

// Verify checks entries as a chain of tenant's log and returns its head.
// Each entry's hash is recomputed from its Raw bytes and the previous hash;
// Event is not trusted (it is re-parsed from Raw). A removed, reordered or
// altered entry fails with a *ChainError wrapping ErrRemoved, ErrReordered
// or ErrAltered.
func Verify(tenant protocol.ID, entries []*Entry, o *Options) (Head, error) {
	v := newVerifier(tenant, o)
	for _, e := range entries {
		ev, _ := ParseEvent(e.Raw) // nil if it does not parse
		v.add(ev, e.Raw, e.Prev, e.Hash)
	}
	return v.finish()
}
