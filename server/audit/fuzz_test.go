package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/server/audit"
)

// FuzzParseEvent: whatever ParseEvent accepts re-encodes to the same bytes.
func FuzzParseEvent(f *testing.F) {
	for _, c := range vectortest.Load[chainVector](f, vectorFormat) {
		for _, e := range c.V.Entries {
			f.Add([]byte(e.Event))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := audit.ParseEvent(b)
		if err != nil {
			return
		}
		again, err := ev.Marshal()
		if err != nil {
			t.Fatalf("accepted event does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical event")
		}
	})
}

// FuzzVerifyExport: any input verifies or fails with an error, never
// panics; an accepted export re-verifies from its parsed lines to the same
// head.
func FuzzVerifyExport(f *testing.F) {
	for _, s := range vectortest.Seeds(f, vectorFormat, func(v chainVector) []byte { return []byte(v.Export) }) {
		f.Add(s)
	}
	tenant := idOf(0x11)
	f.Fuzz(func(t *testing.T, b []byte) {
		head, err := audit.VerifyExport(bytes.NewReader(b), tenant, nil)
		if err != nil {
			return
		}
		var es []*audit.Entry
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			raw, prev, hash, err := audit.ParseExportLine([]byte(line))
			if err != nil {
				t.Fatalf("accepted export has a bad line: %v", err)
			}
			ev, _ := audit.ParseEvent(raw)
			es = append(es, &audit.Entry{Event: ev, Raw: raw, Prev: prev, Hash: hash})
		}
		h2, err := audit.Verify(tenant, es, nil)
		if err != nil || h2 != head {
			t.Fatalf("export accepted, its entries are not: %v", err)
		}
	})
}
