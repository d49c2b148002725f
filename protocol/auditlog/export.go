package auditlog

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"vellum.dev/vellum/protocol"
)

// ExportLine is one line of an audit export (JSON lines, one entry per
// line). Event, Prev and Hash are what is verified; the other fields are
// the event in readable form, and VerifyExport refuses a line whose
// readable fields disagree with its event bytes, so what an admin reads is
// what was hashed.
type ExportLine struct {
	Tenant  protocol.ID   `json:"tenant"`
	Seq     uint64        `json:"seq"`
	Time    string        `json:"time"` // RFC 3339, UTC, milliseconds
	Kind    string        `json:"kind"`
	Actor   *protocol.ID  `json:"actor,omitempty"`
	IP      string        `json:"ip,omitempty"`
	Objects []protocol.ID `json:"objects,omitempty"`
	Event   string        `json:"event"` // canonical CBOR, hex
	Prev    string        `json:"prev"`  // hex
	Hash    string        `json:"hash"`  // hex
}

const exportTime = "2006-01-02T15:04:05.000Z07:00"

func lineOf(e *Entry) *ExportLine {
	ev := e.Event
	l := &ExportLine{
		Tenant: ev.Tenant, Seq: ev.Seq, Time: ev.Time.UTC().Format(exportTime), Kind: ev.Kind.String(),
		Objects: ev.Objects, Event: hex.EncodeToString(e.Raw),
		Prev: hex.EncodeToString(e.Prev[:]), Hash: hex.EncodeToString(e.Hash[:]),
	}
	if !ev.Actor.IsZero() {
		a := ev.Actor
		l.Actor = &a
	}
	if ev.ActorIP.IsValid() {
		l.IP = ev.ActorIP.String()
	}
	return l
}

// WriteExportLine writes one entry as a line of an export.
func WriteExportLine(w io.Writer, e *Entry) error {
	b, err := protocol.EncodeJSON(lineOf(e))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// VerifyExport reads an export of tenant's chain and verifies it, line by
// line, in constant memory. Besides the chain failures of Verify, a line
// that is not one JSON object of the ExportLine shape (decoded strictly, as
// protocol.DecodeJSON does), is over protocol.MaxAuditExportLine, or whose
// readable fields disagree with its event bytes fails with ErrMalformed or
// ErrAltered.
func VerifyExport(r io.Reader, tenant protocol.ID, o *Options) (Head, error) {
	v := newVerifier(tenant, o)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), protocol.MaxAuditExportLine)
	for sc.Scan() && !v.done() {
		e, err := ParseExportLine(sc.Bytes())
		if err != nil {
			v.stop(err)
			break
		}
		v.add(e.Event, e.Raw, e.Prev, e.Hash)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = ErrMalformed
		}
		return v.head, &ChainError{Seq: v.head.Seq + 1, Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	return v.finish()
}

// ParseExportLine decodes one line of an export strictly and checks that its
// readable fields match its event bytes. It returns the entry the line
// carries; it does not check the chain.
func ParseExportLine(line []byte) (*Entry, error) {
	var l ExportLine
	if err := protocol.DecodeJSON(line, &l, protocol.MaxAuditExportLine); err != nil {
		return nil, fmt.Errorf("audit: export line: %w: %v", ErrMalformed, err)
	}
	e := new(Entry)
	var err error
	if e.Raw, err = hex.DecodeString(l.Event); err != nil || len(e.Raw) == 0 {
		return nil, fmt.Errorf("audit: event is not hex: %w", ErrMalformed)
	}
	if err := hex32(&e.Prev, l.Prev); err != nil {
		return nil, err
	}
	if err := hex32(&e.Hash, l.Hash); err != nil {
		return nil, err
	}
	if e.Event, err = ParseEvent(e.Raw); err != nil {
		return nil, err
	}
	// Re-render the readable fields from the bytes and compare: an export
	// edited to show something other than what was hashed is altered.
	if !sameLine(&l, lineOf(e)) {
		return nil, fmt.Errorf("audit: readable fields of entry %d disagree with its event: %w", e.Event.Seq, ErrAltered)
	}
	return e, nil
}

func sameLine(a, b *ExportLine) bool {
	if (a.Actor == nil) != (b.Actor == nil) || a.Actor != nil && *a.Actor != *b.Actor {
		return false
	}
	return a.Tenant == b.Tenant && a.Seq == b.Seq && a.Time == b.Time && a.Kind == b.Kind &&
		a.IP == b.IP && slices.Equal(a.Objects, b.Objects) && a.Event == b.Event &&
		a.Prev == b.Prev && a.Hash == b.Hash
}

func hex32(dst *[32]byte, s string) error {
	if len(s) != 64 {
		return fmt.Errorf("audit: hash of %d hex digits: %w", len(s), ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("audit: hash is not lower-case hex: %w", ErrMalformed)
		}
	}
	hex.Decode(dst[:], []byte(s))
	return nil
}
