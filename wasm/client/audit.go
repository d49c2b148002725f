package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"vellum.dev/vellum/protocol"
)

// The audit log (SPEC §Audit log) is checked here as the server's
// server/audit package checks it, because that package sits on the server's
// store and does not build for the browser. A test (audit_crosscheck_test.go)
// runs both on the same chains.

// Audit verification errors: each cause is its own sentinel, wrapped in an
// *AuditChainError naming the entry.
var (
	ErrAuditMalformed = errors.New("client: audit entry malformed")
	ErrAuditRemoved   = errors.New("client: audit entry removed")
	ErrAuditReordered = errors.New("client: audit entries reordered")
	ErrAuditAltered   = errors.New("client: audit entry altered")
	ErrAuditTruncated = errors.New("client: audit chain truncated")
)

// AuditChainError is a verification failure at one entry.
type AuditChainError struct {
	Seq uint64
	Err error
}

func (e *AuditChainError) Error() string { return fmt.Sprintf("%v at entry %d", e.Err, e.Seq) }
func (e *AuditChainError) Unwrap() error { return e.Err }

// AuditHead is a position in a tenant's audit chain: the newest entry's
// seq and hash (Seq 0 for an empty chain).
type AuditHead struct {
	Seq  uint64
	Hash [32]byte
}

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

// kindNames are the audit kinds' export names (server/audit; a test keeps
// them equal). A wire enum: append only.
var kindNames = [...]string{
	1: "login", 2: "login_failed", 3: "grant_created", 4: "grant_revoked",
	5: "access_requested", 6: "access_approved", 7: "member_added", 8: "member_removed",
	9: "role_changed", 10: "document_downloaded", 11: "document_uploaded", 12: "recovery_used",
	13: "link_locked", 14: "pin_failed", 15: "access_denied", 16: "document_deleted",
	17: "folder_rotated", 18: "device_added", 19: "device_removed", 20: "sessions_revoked",
	21: "envelope_sent", 22: "envelope_signed", 23: "envelope_sealed", 24: "recovery_enabled",
	25: "recovery_disabled", 26: "audit_exported", 27: "locked_out", 28: "document_renamed",
	29: "document_moved", 30: "envelope_declined", 31: "envelope_cancelled", 32: "link_replaced",
}

// AuditKindName returns an audit kind's export name, or "kind_N".
func AuditKindName(k uint16) string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind_" + strconv.Itoa(int(k))
}

// auditWire is the canonical CBOR form of an event.
type auditWire struct {
	Version uint8      `cbor:"1,keyasint"`
	Tenant  [16]byte   `cbor:"2,keyasint"`
	Seq     uint64     `cbor:"3,keyasint"`
	Time    int64      `cbor:"4,keyasint"`
	Kind    uint16     `cbor:"5,keyasint"`
	Actor   [16]byte   `cbor:"6,keyasint"`
	IP      []byte     `cbor:"7,keyasint"`
	Objects [][16]byte `cbor:"8,keyasint"`
}

var idText = base64.RawURLEncoding.Strict()

func auditID(b [16]byte) string { return idText.EncodeToString(b[:]) }

type parsedEvent struct {
	tenant [16]byte
	ev     AuditEvent
}

// parseAuditEvent decodes an event strictly: at most MaxAuditEvent bytes,
// canonical CBOR, every field present and in range.
func parseAuditEvent(b []byte) (*parsedEvent, error) {
	if len(b) > protocol.MaxAuditEvent {
		return nil, ErrAuditMalformed
	}
	var w auditWire
	if err := protocol.UnmarshalCBOR(b, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuditMalformed, err)
	}
	switch {
	case w.IP == nil || w.Objects == nil, w.Version != 1, w.Tenant == [16]byte{}, w.Seq == 0, w.Time < 0, w.Kind == 0,
		len(w.IP) != 0 && len(w.IP) != 4 && len(w.IP) != 16, len(w.Objects) > protocol.MaxAuditObjects:
		return nil, ErrAuditMalformed
	}
	p := &parsedEvent{tenant: w.Tenant, ev: AuditEvent{
		Seq: w.Seq, Time: time.UnixMilli(w.Time).UTC(), Kind: w.Kind, KindName: AuditKindName(w.Kind),
	}}
	if w.Actor != ([16]byte{}) {
		p.ev.Actor = auditID(w.Actor)
	}
	if len(w.IP) > 0 {
		a, _ := netip.AddrFromSlice(w.IP)
		if a.Is4In6() {
			return nil, ErrAuditMalformed // IPv4 MUST be written as 4 bytes
		}
		p.ev.IP = a
	}
	for _, o := range w.Objects {
		if o == ([16]byte{}) {
			return nil, ErrAuditMalformed
		}
		p.ev.Objects = append(p.ev.Objects, auditID(o))
	}
	return p, nil
}

// auditGenesis is SHA-256("vellum-audit-genesis/v1" ‖ 0x0A ‖ tenant id).
func auditGenesis(tenant [16]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(protocol.LabelAuditGenesis))
	h.Write([]byte{0x0a})
	h.Write(tenant[:])
	return [32]byte(h.Sum(nil))
}

func auditChainHash(prev [32]byte, event []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(event)
	return [32]byte(h.Sum(nil))
}

func tenantBytes(tenantID string) ([16]byte, error) {
	var t [16]byte
	b, err := idText.DecodeString(tenantID)
	if err != nil || len(b) != len(t) {
		return t, protocol.Errorf(protocol.CodeBadRequest, "tenant id is not 16 bytes of base64url")
	}
	copy(t[:], b)
	return t, nil
}

// auditVerifier walks a chain in order. A gap does not fail at once: if
// the missing entry turns up later the entries were reordered, if it never
// does one was removed.
type auditVerifier struct {
	tenant  [16]byte
	head    AuditHead
	prev    [32]byte
	broken  *AuditChainError
	gap     bool
	maxSeen uint64
	expect  []AuditHead
}

func newAuditVerifier(tenant [16]byte, start *AuditHead, expect ...AuditHead) *auditVerifier {
	v := &auditVerifier{tenant: tenant, prev: auditGenesis(tenant), expect: expect}
	if start != nil && start.Seq > 0 {
		v.head, v.prev, v.maxSeen = *start, start.Hash, start.Seq
	}
	return v
}

func (v *auditVerifier) fail(seq uint64, err error) {
	if v.broken == nil {
		v.broken = &AuditChainError{Seq: seq, Err: err}
	}
}

// add checks the next entry: raw is the event, prev the previous hash the
// entry claims (nil if it carries none), hash its hash.
func (v *auditVerifier) add(p *parsedEvent, raw []byte, prev *[32]byte, hash [32]byte) {
	if v.broken != nil && !v.gap {
		return
	}
	if p == nil {
		v.broken, v.gap = &AuditChainError{Seq: v.head.Seq + 1, Err: ErrAuditMalformed}, false
		return
	}
	seq := p.ev.Seq
	if seq <= v.maxSeen && (v.gap || seq <= v.head.Seq) {
		v.broken, v.gap = &AuditChainError{Seq: seq, Err: ErrAuditReordered}, false
		return
	}
	v.maxSeen = max(v.maxSeen, seq)
	if v.gap {
		return
	}
	switch {
	case seq > v.head.Seq+1:
		v.gap = true
		v.fail(v.head.Seq+1, ErrAuditRemoved)
		return
	case p.tenant != v.tenant:
		v.fail(seq, ErrAuditAltered)
		return
	case prev != nil && *prev != v.prev:
		v.fail(seq, ErrAuditAltered)
		return
	case auditChainHash(v.prev, raw) != hash:
		v.fail(seq, ErrAuditAltered)
		return
	}
	v.head = AuditHead{Seq: seq, Hash: hash}
	v.prev = hash
	for _, e := range v.expect {
		if e.Seq == seq && e.Hash != hash {
			v.fail(seq, ErrAuditAltered)
		}
	}
}

func (v *auditVerifier) finish() (AuditHead, error) {
	if v.broken != nil {
		return v.head, v.broken
	}
	for _, e := range v.expect {
		if v.head.Seq < e.Seq {
			return v.head, &AuditChainError{Seq: v.head.Seq + 1, Err: ErrAuditTruncated}
		}
	}
	return v.head, nil
}

// exportLine is one line of an audit export.
type exportLine struct {
	Tenant  string   `json:"tenant"`
	Seq     uint64   `json:"seq"`
	Time    string   `json:"time"`
	Kind    string   `json:"kind"`
	Actor   string   `json:"actor,omitempty"`
	IP      string   `json:"ip,omitempty"`
	Objects []string `json:"objects,omitempty"`
	Event   string   `json:"event"`
	Prev    string   `json:"prev"`
	Hash    string   `json:"hash"`
}

const exportTime = "2006-01-02T15:04:05.000Z07:00"

// parseExportLine decodes one line strictly and checks that its readable
// fields are what its event bytes say, so what an admin reads is what was
// hashed.
func parseExportLine(line []byte) (p *parsedEvent, raw []byte, prev, hash [32]byte, err error) {
	var l exportLine
	if err := protocol.DecodeJSON(line, &l, protocol.MaxAuditExportLine); err != nil {
		return nil, nil, prev, hash, ErrAuditMalformed
	}
	if raw, err = hex.DecodeString(l.Event); err != nil || len(raw) == 0 {
		return nil, nil, prev, hash, ErrAuditMalformed
	}
	if !hex32(&prev, l.Prev) || !hex32(&hash, l.Hash) {
		return nil, nil, prev, hash, ErrAuditMalformed
	}
	if p, err = parseAuditEvent(raw); err != nil {
		return nil, nil, prev, hash, err
	}
	e := &p.ev
	ip := ""
	if e.IP.IsValid() {
		ip = e.IP.String()
	}
	if l.Tenant != auditID(p.tenant) || l.Seq != e.Seq || l.Time != e.Time.Format(exportTime) || l.Kind != e.KindName ||
		l.Actor != e.Actor || l.IP != ip || !slices.Equal(l.Objects, e.Objects) || l.Event != hex.EncodeToString(raw) {
		return nil, nil, prev, hash, fmt.Errorf("%w: readable fields of entry %d disagree with its event", ErrAuditAltered, e.Seq)
	}
	e.Hash = hash
	return p, raw, prev, hash, nil
}

func hex32(dst *[32]byte, s string) bool {
	if len(s) != 64 || s != string(bytes.ToLower([]byte(s))) {
		return false
	}
	_, err := hex.Decode(dst[:], []byte(s))
	return err == nil
}

// VerifyAuditExport checks an audit export of a tenant (JSON lines) as a
// hash chain from its genesis, line by line in constant memory, and
// returns its head. With expect (a head seen before), the chain must pass
// through it (else ErrAuditAltered) and reach it (else ErrAuditTruncated).
// A removed, reordered or altered entry is an *AuditChainError wrapping
// its sentinel.
func VerifyAuditExport(r io.Reader, tenantID string, expect ...AuditHead) (AuditHead, error) {
	t, err := tenantBytes(tenantID)
	if err != nil {
		return AuditHead{}, err
	}
	v := newAuditVerifier(t, nil, expect...)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), protocol.MaxAuditExportLine)
	for sc.Scan() {
		if v.broken != nil && !v.gap {
			break
		}
		p, raw, prev, hash, err := parseExportLine(sc.Bytes())
		if err != nil {
			if v.broken == nil || v.gap {
				v.broken, v.gap = &AuditChainError{Seq: v.head.Seq + 1, Err: err}, false
			}
			break
		}
		v.add(p, raw, &prev, hash)
	}
	if err := sc.Err(); err != nil {
		return v.head, &AuditChainError{Seq: v.head.Seq + 1, Err: fmt.Errorf("%w: %v", ErrAuditMalformed, err)}
	}
	return v.finish()
}

// AuditLog reads a page of a tenant's audit log (cursor "" for the first)
// and checks it as a continuation of the chain when it can be placed: the
// first page from the genesis, a later one from the head of the page this
// client checked before it.
func (c *Client) AuditLog(ctx context.Context, tenantID, cursor string) (*AuditPage, error) {
	tb, err := tenantBytes(tenantID)
	if err != nil {
		return nil, err
	}
	var pg protocol.AuditPage
	if err := c.do(ctx, call(rAuditList, "tenantId", tenantID).page(cursor), &pg); err != nil {
		return nil, err
	}
	out := &AuditPage{NextCursor: pg.NextCursor}
	parsed := make([]*parsedEvent, len(pg.Events))
	for i, e := range pg.Events {
		p, err := parseAuditEvent(e.Entry)
		if err != nil || p.ev.Seq != e.Seq || len(e.Hash) != 32 {
			return nil, &AuditChainError{Seq: e.Seq, Err: ErrAuditMalformed}
		}
		p.ev.Hash = [32]byte(e.Hash)
		parsed[i] = p
		out.Events = append(out.Events, p.ev)
	}
	if len(parsed) == 0 {
		out.Verified = true
		return out, nil
	}
	t := c.tenant(tenantID)
	t.mu.Lock()
	known := t.audit
	t.mu.Unlock()
	var start *AuditHead
	switch first := parsed[0].ev.Seq; {
	case first == 1:
	case known != nil && known.Seq == first-1:
		start = known
	default:
		return out, nil
	}
	var expect []AuditHead
	if known != nil {
		expect = append(expect, *known)
	}
	v := newAuditVerifier(tb, start)
	for i, p := range parsed {
		v.add(p, pg.Events[i].Entry, nil, p.ev.Hash)
	}
	head, err := v.finish()
	if err != nil {
		return nil, err
	}
	if known != nil && known.Seq <= head.Seq && known.Seq >= parsed[0].ev.Seq {
		// The page passes the head checked before: it must be the same.
		if parsed[known.Seq-parsed[0].ev.Seq].ev.Hash != known.Hash {
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
	if _, err := tenantBytes(tenantID); err != nil {
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
