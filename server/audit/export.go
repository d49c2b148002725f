package audit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// ExportLine is one line of an audit export (JSON lines, one entry per
// line). Event, Prev and Hash are what is verified; the other fields are
// the event in readable form, and VerifyExport refuses a line whose
// readable fields disagree with its event bytes, so what an admin reads is
// what was hashed.
type ExportLine struct {
	Tenant  store.ID   `json:"tenant"`
	Seq     uint64     `json:"seq"`
	Time    string     `json:"time"` // RFC 3339, UTC, milliseconds
	Kind    string     `json:"kind"`
	Actor   *store.ID  `json:"actor,omitempty"`
	IP      string     `json:"ip,omitempty"`
	Objects []store.ID `json:"objects,omitempty"`
	Event   string     `json:"event"` // canonical CBOR, hex
	Prev    string     `json:"prev"`  // hex
	Hash    string     `json:"hash"`  // hex
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
	b, err := json.Marshal(lineOf(e))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// exportPage is how many entries Export reads from the store at a time.
const exportPage = 1000

// Export streams a tenant's whole chain from src to w as JSON lines and
// returns the head it exported. It does not verify what it reads (the
// reader of the export will); it does refuse an entry that does not parse.
func Export(w io.Writer, src Source, tenant store.ID) (Head, error) {
	var head Head
	for from := uint64(1); ; {
		es, err := Entries(src, tenant, from, exportPage)
		if err != nil {
			return head, err
		}
		for _, e := range es {
			if err := WriteExportLine(w, e); err != nil {
				return head, err
			}
			head = Head{Seq: e.Event.Seq, Hash: e.Hash}
		}
		if len(es) < exportPage {
			return head, nil
		}
		from = head.Seq + 1
	}
}

// VerifyExport reads an export of tenant's chain and verifies it, line by
// line, in constant memory. Besides the chain failures of Verify, a line
// that is not one JSON object of the ExportLine shape, is over
// protocol.MaxAuditExportLine, or whose readable fields disagree with its
// event bytes fails with ErrMalformed or ErrAltered.
func VerifyExport(r io.Reader, tenant store.ID, o *Options) (Head, error) {
	if o == nil {
		o = &Options{}
	}
	v := newVerifier(tenant, o.Start)
	v.expect = o.Expect
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), protocol.MaxAuditExportLine)
	for sc.Scan() {
		if v.broken != nil && !v.gap {
			break
		}
		raw, prev, hash, err := parseLine(sc.Bytes())
		if err != nil {
			if v.broken == nil || v.gap {
				v.broken, v.gap = &ChainError{Seq: v.head.Seq + 1, Err: err}, false
			}
			break
		}
		v.add(raw, &prev, hash)
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
// readable fields match its event bytes. It returns the event bytes and the
// hashes; it does not check the chain.
func ParseExportLine(line []byte) (raw []byte, prev, hash [32]byte, err error) {
	return parseLine(line)
}

func parseLine(line []byte) (raw []byte, prev, hash [32]byte, err error) {
	if len(line) > protocol.MaxAuditExportLine {
		return nil, prev, hash, fmt.Errorf("audit: export line of %d bytes: %w", len(line), ErrMalformed)
	}
	var l ExportLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, prev, hash, fmt.Errorf("audit: export line: %w", ErrMalformed)
	}
	if dec.More() {
		return nil, prev, hash, fmt.Errorf("audit: trailing data on an export line: %w", ErrMalformed)
	}
	if raw, err = hex.DecodeString(l.Event); err != nil || len(raw) == 0 {
		return nil, prev, hash, fmt.Errorf("audit: event is not hex: %w", ErrMalformed)
	}
	if err := hex32(&prev, l.Prev); err != nil {
		return nil, prev, hash, err
	}
	if err := hex32(&hash, l.Hash); err != nil {
		return nil, prev, hash, err
	}
	ev, err := ParseEvent(raw)
	if err != nil {
		return nil, prev, hash, err
	}
	// Re-render the readable fields from the bytes and compare: an export
	// edited to show something other than what was hashed is altered.
	want := lineOf(&Entry{Event: ev, Raw: raw, Prev: prev, Hash: hash})
	if !sameLine(&l, want) {
		return nil, prev, hash, fmt.Errorf("audit: readable fields of entry %d disagree with its event: %w", ev.Seq, ErrAltered)
	}
	return raw, prev, hash, nil
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
