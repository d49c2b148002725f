package auditlog_test

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
)

// chainVector is one file of protocol/testdata/audit-chain: an export (JSON
// lines) of a tenant's chain and what verifying it gives. The positive
// vector also lists each entry's fields, canonical event bytes and hash.
type chainVector struct {
	Comment string         `json:"comment"`
	Tenant  string         `json:"tenant"`
	Genesis vectortest.Hex `json:"genesis,omitempty"`
	Entries []entryVector  `json:"entries,omitempty"`
	Export  string         `json:"export"`
	Expect  *headVector    `json:"expect,omitempty"`
	Head    *headVector    `json:"head,omitempty"`
	Error   string         `json:"error,omitempty"`
}

type entryVector struct {
	Seq     uint64         `json:"seq"`
	TimeMs  int64          `json:"timeMs"`
	Kind    string         `json:"kind"`
	Actor   string         `json:"actor,omitempty"`
	IP      string         `json:"ip,omitempty"`
	Objects []string       `json:"objects,omitempty"`
	Event   vectortest.Hex `json:"event"`
	Hash    vectortest.Hex `json:"hash"`
}

type headVector struct {
	Seq  uint64         `json:"seq"`
	Hash vectortest.Hex `json:"hash"`
}

const vectorFormat = "audit-chain"

// vectorEntries is the fixed chain of the vectors: IDs of repeated bytes,
// times a second apart, no randomness.
func vectorEntries(t testing.TB) (protocol.ID, []entryVector, []*auditlog.Entry) {
	tenant := idOf(0x11)
	events := []*auditlog.Event{
		{Kind: auditlog.KindLogin, Actor: idOf(0xa1), ActorIP: netip.MustParseAddr("192.0.2.10")},
		{Kind: auditlog.KindGrantCreated, Actor: idOf(0xa1), ActorIP: netip.MustParseAddr("192.0.2.10"), Objects: []protocol.ID{idOf(0xd1), idOf(0xb2)}},
		{Kind: auditlog.KindDocumentDownloaded, Actor: idOf(0xb2), ActorIP: netip.MustParseAddr("2001:db8::7"), Objects: []protocol.ID{idOf(0xd1)}},
		{Kind: auditlog.KindPINFailed, ActorIP: netip.MustParseAddr("198.51.100.4"), Objects: []protocol.ID{idOf(0xe1)}},
		{Kind: auditlog.KindLinkLocked, Objects: []protocol.ID{idOf(0xe1)}},
	}
	prev := auditlog.Genesis(tenant)
	var vs []entryVector
	var es []*auditlog.Entry
	for i, ev := range events {
		ev.Tenant, ev.Seq = tenant, uint64(i+1)
		ev.Time = time.Date(2026, 11, 21, 12, 0, i, 0, time.UTC)
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e := &auditlog.Entry{Event: ev, Raw: raw, Prev: prev, Hash: auditlog.ChainHash(prev, raw)}
		prev = e.Hash
		es = append(es, e)
		vs = append(vs, entryVectorOf(ev, raw, e.Hash))
	}
	return tenant, vs, es
}

// entryVectorOf is an entry as its vector lists it.
func entryVectorOf(ev *auditlog.Event, raw []byte, hash [32]byte) entryVector {
	v := entryVector{Seq: ev.Seq, TimeMs: ev.Time.UnixMilli(), Kind: ev.Kind.String(), Event: raw, Hash: hash[:]}
	if !ev.Actor.IsZero() {
		v.Actor = ev.Actor.String()
	}
	if ev.ActorIP.IsValid() {
		v.IP = ev.ActorIP.String()
	}
	for _, o := range ev.Objects {
		v.Objects = append(v.Objects, o.String())
	}
	return v
}

func exportOf(t testing.TB, es []*auditlog.Entry) string {
	var buf bytes.Buffer
	for _, e := range es {
		if err := auditlog.WriteExportLine(&buf, e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// buildVectors makes every vector of the format from the fixed chain.
func buildVectors(t testing.TB) map[string]chainVector {
	tenant, vs, es := vectorEntries(t)
	g := auditlog.Genesis(tenant)
	good := exportOf(t, es)
	lines := strings.SplitAfter(strings.TrimSuffix(good, "\n"), "\n")
	last := es[len(es)-1]
	head := &headVector{Seq: last.Event.Seq, Hash: last.Hash[:]}
	neg := func(comment, export, errName string, expect *headVector) chainVector {
		return chainVector{Comment: comment, Tenant: tenant.String(), Export: export, Expect: expect, Error: errName}
	}
	return map[string]chainVector{
		"chain": {
			Comment: "five events of tenant 0x11…: genesis = SHA-256(\"vellum-audit-genesis/v1\" ‖ 0x0a ‖ tenant); " +
				"event = canonical CBOR {1: 1, 2: tenant, 3: seq, 4: Unix ms, 5: kind, 6: actor (zero if none), 7: IP (0/4/16 bytes), 8: [objects]}; " +
				"hash = SHA-256(prev ‖ event). The export is one JSON line per entry.",
			Tenant: tenant.String(), Genesis: g[:], Entries: vs, Export: good, Head: head,
		},
		"removed":   neg("the export with its second line deleted", lines[0]+strings.Join(lines[2:], ""), "removed", nil),
		"reordered": neg("the export with lines 2 and 3 swapped", lines[0]+lines[2]+lines[1]+strings.Join(lines[3:], ""), "reordered", nil),
		"altered-event": neg("entry 3's event bytes re-encoded with another kind, hashes left as they were",
			lines[0]+lines[1]+rewriteKind(t, es[2], auditlog.KindDocumentUploaded)+strings.Join(lines[3:], ""), "altered", nil),
		"altered-readable": neg("entry 1's readable kind changed from login to login_failed; the hashed bytes still say login",
			strings.Replace(good, `"kind":"login"`, `"kind":"login_failed"`, 1), "altered", nil),
		"truncated": neg("the last entry dropped, checked against the head of the full chain",
			strings.Join(lines[:len(lines)-1], ""), "truncated", head),
		"malformed": neg("line 2 is not JSON", lines[0]+"{\n"+strings.Join(lines[2:], ""), "malformed", nil),
	}
}

// rewriteKind returns e's export line with its event re-encoded under
// another kind, and its hashes unchanged.
func rewriteKind(t testing.TB, e *auditlog.Entry, k auditlog.Kind) string {
	ev := *e.Event
	ev.Kind = k
	raw, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return exportOf(t, []*auditlog.Entry{{Event: &ev, Raw: raw, Prev: e.Prev, Hash: e.Hash}})
}

var errNames = map[string]error{
	"removed": auditlog.ErrRemoved, "reordered": auditlog.ErrReordered, "altered": auditlog.ErrAltered,
	"truncated": auditlog.ErrTruncated, "malformed": auditlog.ErrMalformed,
}

// TestVectorsGenerate rebuilds every vector and compares it with the file
// byte for byte (through its decoded form); with -update it rewrites them.
func TestVectorsGenerate(t *testing.T) {
	built := buildVectors(t)
	if *vectortest.Update {
		for name, v := range built {
			vectortest.Write(t, vectorFormat, name, v)
		}
		return
	}
	cases := vectortest.Load[chainVector](t, vectorFormat)
	if len(cases) != len(built) {
		t.Fatalf("%d vector files, the generator makes %d", len(cases), len(built))
	}
	for _, c := range cases {
		want, ok := built[c.Name]
		if !ok {
			t.Fatalf("vector %s is not generated", c.Name)
		}
		if c.V.Export != want.Export || c.V.Error != want.Error || !bytes.Equal(c.V.Genesis, want.Genesis) || len(c.V.Entries) != len(want.Entries) {
			t.Fatalf("vector %s differs from what the code produces", c.Name)
		}
		for i := range want.Entries {
			if !bytes.Equal(c.V.Entries[i].Event, want.Entries[i].Event) || !bytes.Equal(c.V.Entries[i].Hash, want.Entries[i].Hash) {
				t.Fatalf("vector %s entry %d differs", c.Name, i+1)
			}
		}
	}
}

// TestVectors checks the stored vectors against the code, independently of
// the generator: hashes recomputed by hand, events parsed, exports verified.
func TestVectors(t *testing.T) {
	for _, c := range vectortest.Load[chainVector](t, vectorFormat) {
		t.Run(c.Name, func(t *testing.T) {
			tenant, err := protocol.ParseID(c.V.Tenant)
			if err != nil {
				t.Fatal(err)
			}
			if c.V.Genesis != nil {
				g := auditlog.Genesis(tenant)
				if !bytes.Equal(g[:], c.V.Genesis) {
					t.Fatal("genesis hash differs")
				}
				prev := g
				for _, e := range c.V.Entries {
					ev, err := auditlog.ParseEvent(e.Event)
					if err != nil {
						t.Fatal(err)
					}
					again, _ := ev.Marshal()
					if !bytes.Equal(again, e.Event) {
						t.Fatalf("entry %d does not re-encode to its bytes", e.Seq)
					}
					h := auditlog.ChainHash(prev, e.Event)
					if !bytes.Equal(h[:], e.Hash) {
						t.Fatalf("entry %d hash differs: %s", e.Seq, hex.EncodeToString(h[:]))
					}
					if got := entryVectorOf(ev, e.Event, h); !reflect.DeepEqual(got, e) {
						t.Fatalf("entry %d reads %+v, want %+v", e.Seq, got, e)
					}
					prev = h
				}
			}
			var o auditlog.Options
			if c.V.Expect != nil {
				o.Expect = []auditlog.Head{{Seq: c.V.Expect.Seq, Hash: [32]byte(c.V.Expect.Hash)}}
			}
			head, err := auditlog.VerifyExport(strings.NewReader(c.V.Export), tenant, &o)
			if c.V.Error == "" {
				if err != nil {
					t.Fatal(err)
				}
				if head.Seq != c.V.Head.Seq || !bytes.Equal(head.Hash[:], c.V.Head.Hash) {
					t.Fatal("head differs")
				}
				return
			}
			vectortest.WantError(t, "VerifyExport", err, c.V.Error, errNames)
		})
	}
}
