package client

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
)

// The audit log (SPEC part 60 §Audit log) is decoded and checked by
// protocol/auditlog, the package the server's server/audit writes it with.

// Audit verification errors are protocol/auditlog's: each cause is its own
// sentinel, wrapped in an *AuditChainError naming the entry.
var (
	ErrAuditMalformed = auditlog.ErrMalformed
	ErrAuditRemoved   = auditlog.ErrRemoved
	ErrAuditReordered = auditlog.ErrReordered
	ErrAuditAltered   = auditlog.ErrAltered
	ErrAuditTruncated = auditlog.ErrTruncated
)

// AuditChainError is a verification failure at one entry.
type AuditChainError = auditlog.ChainError

// AuditHead is a position in a tenant's audit chain: the newest entry's
// seq and hash (Seq 0 for an empty chain).
type AuditHead = auditlog.Head

// AuditEvent is one checked entry of the audit log.
type AuditEvent struct {
	Seq      uint64
	Time     time.Time
	Kind     uint16
	KindName string
	// Actor is the acting account's id, "" if none.
	Actor   string
	IP      netip.Addr
	Objects []string
	Hash    [32]byte
}

// AuditPage is a page of the audit log, oldest first. Verified says the
// page was checked as a continuation of the chain from its genesis or from
// a head this client checked before; a page that could not be placed (a
// later page read first) is returned unverified.
type AuditPage struct {
	Events     []AuditEvent
	NextCursor string
	Verified   bool
}

// AuditKindName returns an audit kind's export name, or "kind_N".
func AuditKindName(k uint16) string { return auditlog.Kind(k).String() }

func auditEventOf(ev *auditlog.Event, hash [32]byte) AuditEvent {
	a := AuditEvent{Seq: ev.Seq, Time: ev.Time, Kind: uint16(ev.Kind), KindName: ev.Kind.String(), IP: ev.ActorIP, Hash: hash}
	if !ev.Actor.IsZero() {
		a.Actor = ev.Actor.String()
	}
	for _, o := range ev.Objects {
		a.Objects = append(a.Objects, o.String())
	}
	return a
}

// VerifyAuditExport checks an audit export of a tenant (JSON lines) as a
// hash chain from its genesis, line by line in constant memory, and
// returns its head. With expect (a head seen before), the chain must pass
// through it (else ErrAuditAltered) and reach it (else ErrAuditTruncated).
// A removed, reordered or altered entry is an *AuditChainError wrapping
// its sentinel.
func VerifyAuditExport(r io.Reader, tenantID string, expect ...AuditHead) (AuditHead, error) {
	t, err := protocol.ParseID(tenantID)
	if err != nil {
		return AuditHead{}, err
	}
	return auditlog.VerifyExport(r, t, &auditlog.Options{Expect: expect})
}

// AuditLog reads a page of a tenant's audit log (cursor "" for the first)
// and checks it as a continuation of the chain when it can be placed: the
// first page from the genesis, a later one from the head of the page this
// client checked before it.
func (c *Client) AuditLog(ctx context.Context, tenantID, cursor string) (*AuditPage, error) {
	tid, err := protocol.ParseID(tenantID)
	if err != nil {
		return nil, err
	}
	var pg protocol.AuditPage
	if err := c.do(ctx, call(rAuditList, "tenantId", tenantID).page(cursor), &pg); err != nil {
		return nil, err
	}
	out := &AuditPage{NextCursor: pg.NextCursor}
	entries := make([]*auditlog.Entry, len(pg.Events))
	for i, e := range pg.Events {
		ev, err := auditlog.ParseEvent(e.Entry)
		if err != nil || ev.Seq != e.Seq || len(e.Hash) != 32 {
			return nil, &AuditChainError{Seq: e.Seq, Err: ErrAuditMalformed}
		}
		entries[i] = &auditlog.Entry{Event: ev, Raw: e.Entry, Hash: [32]byte(e.Hash)}
		out.Events = append(out.Events, auditEventOf(ev, entries[i].Hash))
	}
	if len(entries) == 0 {
		out.Verified = true
		return out, nil
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	known := t.audit
	t.mu.Unlock()
	var start *AuditHead
	prev := auditlog.Genesis(tid)
	switch first := entries[0].Event.Seq; {
	case first == 1:
	case known != nil && known.Seq == first-1:
		start, prev = known, known.Hash
	default:
		return out, nil
	}
	// A page carries no previous hashes: each entry's is the hash of the
	// one before it, the first's that of the head it continues. The
	// verifier recomputes every hash from them.
	for _, e := range entries {
		e.Prev, prev = prev, e.Hash
	}
	head, err := auditlog.Verify(tid, entries, &auditlog.Options{Start: start})
	if err != nil {
		return nil, err
	}
	if first := entries[0].Event.Seq; known != nil && known.Seq <= head.Seq && known.Seq >= first {
		// The page passes the head checked before: it must be the same.
		if entries[known.Seq-first].Hash != known.Hash {
			return nil, &AuditChainError{Seq: known.Seq, Err: ErrAuditAltered}
		}
	}
	c.noteAuditHead(t, head)
	out.Verified = true
	return out, nil
}

func (c *Client) noteAuditHead(t *tenantState, h AuditHead) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.audit == nil || h.Seq > t.audit.Seq {
		t.audit = &h
	}
}

// ExportAudit streams a tenant's audit export to w and checks it as it
// goes: a hash chain from the genesis that reaches the head the server
// names now and passes through the newest head this client checked before.
// The bytes reach w before the check ends: on error the caller MUST discard
// what was written.
func (c *Client) ExportAudit(ctx context.Context, tenantID string, w io.Writer) (AuditHead, error) {
	if _, err := protocol.ParseID(tenantID); err != nil {
		return AuditHead{}, err
	}
	var h protocol.AuditHead
	if err := c.do(ctx, call(rAuditHead, "tenantId", tenantID), &h); err != nil {
		return AuditHead{}, err
	}
	expect := []AuditHead{}
	if h.Seq > 0 {
		if len(h.Hash) != 32 {
			return AuditHead{}, fmt.Errorf("client: %s: %w: head hash of %d bytes", rAuditHead.Name, ErrBadResponse, len(h.Hash))
		}
		expect = append(expect, AuditHead{Seq: h.Seq, Hash: [32]byte(h.Hash)})
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	if t.audit != nil {
		expect = append(expect, *t.audit)
	}
	t.mu.Unlock()
	resp, err := c.send(ctx, call(rAuditExport, "tenantId", tenantID))
	if err != nil {
		return AuditHead{}, err
	}
	defer resp.Body.Close()
	src := &watchedReader{r: resp.Body}
	dst := &watchedWriter{w: w}
	head, err := VerifyAuditExport(io.TeeReader(src, dst), tenantID, expect...)
	switch {
	case dst.err != nil:
		return head, fmt.Errorf("client: audit export: %w", dst.err)
	case src.err != nil:
		return head, transportError(ctx, rAuditExport, src.err)
	case err != nil:
		return head, err
	}
	c.noteAuditHead(t, head)
	return head, nil
}

// watchedReader and watchedWriter keep the first error of the reader and
// writer under a TeeReader, so that a dropped connection or a full disk is
// reported as itself rather than as a malformed export.
type watchedReader struct {
	r   io.Reader
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF && w.err == nil {
		w.err = err
	}
	return n, err
}

type watchedWriter struct {
	w   io.Writer
	err error
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}
