package auditlog_test

import (
	"bytes"
	"strings"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol/auditlog"
)

// The fuzzers are seeded from protocol/testdata/audit-chain and fail if no
// vector loads.

// FuzzParseEvent: whatever ParseEvent accepts re-encodes to the same bytes.
func FuzzParseEvent(f *testing.F) {
	for _, c := range vectortest.Load[chainVector](f, vectorFormat) {
		for _, e := range c.V.Entries {
			f.Add([]byte(e.Event))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := auditlog.ParseEvent(b)
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

// FuzzParseExportLine: whatever line parses carries canonical event bytes,
// and re-renders to a line that parses to the same entry.
func FuzzParseExportLine(f *testing.F) {
	for _, export := range vectortest.Seeds(f, vectorFormat, func(v chainVector) []byte { return []byte(v.Export) }) {
		for _, line := range bytes.Split(export, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := auditlog.ParseExportLine(line)
		if err != nil {
			return
		}
		if again, err := e.Event.Marshal(); err != nil || !bytes.Equal(again, e.Raw) {
			t.Fatalf("accepted an event that does not re-encode to its bytes: %v", err)
		}
		var out bytes.Buffer
		if err := auditlog.WriteExportLine(&out, e); err != nil {
			t.Fatal(err)
		}
		e2, err := auditlog.ParseExportLine(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
		if err != nil {
			t.Fatalf("re-rendered line refused: %v", err)
		}
		if !bytes.Equal(e2.Raw, e.Raw) || e2.Prev != e.Prev || e2.Hash != e.Hash {
			t.Fatal("re-rendered line reads differently")
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
		head, err := auditlog.VerifyExport(bytes.NewReader(b), tenant, nil)
		if err != nil {
			return
		}
		var es []*auditlog.Entry
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if line == "" {
				continue
			}
			e, err := auditlog.ParseExportLine([]byte(line))
			if err != nil {
				t.Fatalf("accepted export has a bad line: %v", err)
			}
			es = append(es, e)
		}
		h2, err := auditlog.Verify(tenant, es, nil)
		if err != nil || h2 != head {
			t.Fatalf("export accepted, its entries are not: %v", err)
		}
	})
}
