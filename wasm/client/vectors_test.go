package client

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
)

// auditVector is one file of protocol/testdata/audit-chain (written by
// server/audit's generator): the client's verifier must reach the same
// head or name the same error.
type auditVector struct {
	Comment string             `json:"comment"`
	Tenant  string             `json:"tenant"`
	Genesis vectortest.Hex     `json:"genesis,omitempty"`
	Entries []auditEntryVector `json:"entries,omitempty"`
	Export  string             `json:"export"`
	Expect  *auditHeadVector   `json:"expect,omitempty"`
	Head    *auditHeadVector   `json:"head,omitempty"`
	Error   string             `json:"error,omitempty"`
}

type auditEntryVector struct {
	Seq     uint64         `json:"seq"`
	TimeMs  int64          `json:"timeMs"`
	Kind    string         `json:"kind"`
	Actor   string         `json:"actor,omitempty"`
	IP      string         `json:"ip,omitempty"`
	Objects []string       `json:"objects,omitempty"`
	Event   vectortest.Hex `json:"event"`
	Hash    vectortest.Hex `json:"hash"`
}

type auditHeadVector struct {
	Seq  uint64         `json:"seq"`
	Hash vectortest.Hex `json:"hash"`
}

func (h *auditHeadVector) head() AuditHead { return AuditHead{Seq: h.Seq, Hash: [32]byte(h.Hash)} }

func TestAuditVectors(t *testing.T) {
	sentinels := map[string]error{
		"malformed": ErrAuditMalformed, "removed": ErrAuditRemoved, "reordered": ErrAuditReordered,
		"altered": ErrAuditAltered, "truncated": ErrAuditTruncated,
	}
	for _, c := range vectortest.Load[auditVector](t, "audit-chain") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			var expect []AuditHead
			if v.Expect != nil {
				expect = append(expect, v.Expect.head())
			}
			head, err := VerifyAuditExport(bytes.NewReader([]byte(v.Export)), v.Tenant, expect...)
			if v.Error != "" {
				want, ok := sentinels[v.Error]
				if !ok {
					t.Fatalf("unknown error name %q", v.Error)
				}
				if !errors.Is(err, want) {
					t.Fatalf("%v, want %s", err, v.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Head == nil || head != v.Head.head() {
				t.Errorf("head %+v, want %+v", head, v.Head)
			}
			tb, err := tenantBytes(v.Tenant)
			if err != nil {
				t.Fatal(err)
			}
			if g := auditGenesis(tb); len(v.Genesis) > 0 && !bytes.Equal(g[:], v.Genesis) {
				t.Errorf("genesis %x, want %x", g, []byte(v.Genesis))
			}
			for _, e := range v.Entries {
				p, err := parseAuditEvent(e.Event)
				if err != nil {
					t.Fatalf("entry %d: %v", e.Seq, err)
				}
				ev := p.ev
				ip := ""
				if ev.IP.IsValid() {
					ip = ev.IP.String()
				}
				if ev.Seq != e.Seq || ev.Time.UnixMilli() != e.TimeMs || ev.KindName != e.Kind || ev.Actor != e.Actor || ip != e.IP || len(ev.Objects) != len(e.Objects) {
					t.Errorf("entry %d reads %+v, want %+v", e.Seq, ev, e)
				}
			}
		})
	}
}

// FuzzAuditExportLine checks that whatever line parses re-renders to a line
// that parses to the same event and hashes, and that its event bytes are
// canonical.
func FuzzAuditExportLine(f *testing.F) {
	for _, export := range vectortest.Seeds(f, "audit-chain", func(v auditVector) []byte { return []byte(v.Export) }) {
		for _, line := range bytes.Split(export, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p, raw, prev, hash, err := parseExportLine(line)
		if err != nil {
			return
		}
		var w auditWire
		if err := protocol.UnmarshalCBOR(raw, &w); err != nil {
			t.Fatalf("accepted an event that does not decode canonically: %v", err)
		}
		again, err := protocol.MarshalCBOR(&w)
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatal("event bytes do not round-trip")
		}
		e := p.ev
		l := exportLine{
			Tenant: auditID(p.tenant), Seq: e.Seq, Time: e.Time.Format(exportTime), Kind: e.KindName, Actor: e.Actor,
			Objects: e.Objects, Event: hex.EncodeToString(raw), Prev: hex.EncodeToString(prev[:]), Hash: hex.EncodeToString(hash[:]),
		}
		if e.IP.IsValid() {
			l.IP = e.IP.String()
		}
		out, err := protocol.EncodeJSON(l)
		if err != nil {
			t.Fatal(err)
		}
		p2, raw2, prev2, hash2, err := parseExportLine(out)
		if err != nil {
			t.Fatalf("re-rendered line refused: %v", err)
		}
		if !bytes.Equal(raw2, raw) || prev2 != prev || hash2 != hash || p2.tenant != p.tenant || p2.ev.Seq != e.Seq {
			t.Fatal("re-rendered line reads differently")
		}
	})
}
