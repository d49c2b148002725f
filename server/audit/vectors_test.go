package audit_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
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
func vectorEntries(t testing.TB) (store.ID, []entryVector, []*audit.Entry) {
	tenant := idOf(0x11)
	events := []*audit.Event{
		{Kind: audit.KindLogin, Actor: idOf(0xa1), ActorIP: netip.MustParseAddr("192.0.2.10")},
		{Kind: audit.KindGrantCreated, Actor: idOf(0xa1), ActorIP: netip.MustParseAddr("192.0.2.10"), Objects: []store.ID{idOf(0xd1), idOf(0xb2)}},
		{Kind: audit.KindDocumentDownloaded, Actor: idOf(0xb2), ActorIP: netip.MustParseAddr("2001:db8::7"), Objects: []store.ID{idOf(0xd1)}},
		{Kind: audit.KindPINFailed, ActorIP: netip.MustParseAddr("198.51.100.4"), Objects: []store.ID{idOf(0xe1)}},
		{Kind: audit.KindLinkLocked, Objects: []store.ID{idOf(0xe1)}},
	}
	prev := audit.Genesis(tenant)
	var vs []entryVector
	var es []*audit.Entry
	for i, ev := range events {
		ev.Tenant, ev.Seq = tenant, uint64(i+1)
		ev.Time = time.Date(2026, 11, 21, 12, 0, i, 0, time.UTC)
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e := &audit.Entry{Event: ev, Raw: raw, Prev: prev, Hash: audit.ChainHash(prev, raw)}
		prev = e.Hash
		es = append(es, e)
		v := entryVector{Seq: ev.Seq, TimeMs: ev.Time.UnixMilli(), Kind: ev.Kind.String(), Event: raw, Hash: e.Hash[:]}
		if !ev.Actor.IsZero() {
			v.Actor = ev.Actor.String()
		}
		if ev.ActorIP.IsValid() {
			v.IP = ev.ActorIP.String()
		}
		for _, o := range ev.Objects {
			v.Objects = append(v.Objects, o.String())
		}
		vs = append(vs, v)
	}
	return tenant, vs, es
}

func exportOf(t testing.TB, es []*audit.Entry) string {
	var buf bytes.Buffer
	for _, e := range es {
		if err := audit.WriteExportLine(&buf, e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// buildVectors makes every vector of the format from the fixed chain.
func buildVectors(t testing.TB) map[string]chainVector {
	tenant, vs, es := vectorEntries(t)
	g := audit.Genesis(tenant)
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
			lines[0]+lines[1]+rewriteKind(t, es[2], audit.KindDocumentUploaded)+strings.Join(lines[3:], ""), "altered", nil),
		"altered-readable": neg("entry 1's readable kind changed from login to login_failed; the hashed bytes still say login",
			strings.Replace(good, `"kind":"login"`, `"kind":"login_failed"`, 1), "altered", nil),
		"truncated": neg("the last entry dropped, checked against the head of the full chain",
			strings.Join(lines[:len(lines)-1], ""), "truncated", head),
		"malformed": neg("line 2 is not JSON", lines[0]+"{\n"+strings.Join(lines[2:], ""), "malformed", nil),
	}
}

// rewriteKind returns e's export line with its event re-encoded under
// another kind, and its hashes unchanged.
func rewriteKind(t testing.TB, e *audit.Entry, k audit.Kind) string {
	ev := *e.Event
	ev.Kind = k
	raw, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return exportOf(t, []*audit.Entry{{Event: &ev, Raw: raw, Prev: e.Prev, Hash: e.Hash}})
}

var errNames = map[string]error{
	"removed": audit.ErrRemoved, "reordered": audit.ErrReordered, "altered": audit.ErrAltered,
	"truncated": audit.ErrTruncated, "malformed": audit.ErrMalformed,
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
			tenant, err := store.ParseID(c.V.Tenant)
			if err != nil {
				t.Fatal(err)
			}
			if c.V.Genesis != nil {
				g := audit.Genesis(tenant)
				if !bytes.Equal(g[:], c.V.Genesis) {
					t.Fatal("genesis hash differs")
				}
				prev := g
				for _, e := range c.V.Entries {
					ev, err := audit.ParseEvent(e.Event)
					if err != nil {
						t.Fatal(err)
					}
					if ev.Seq != e.Seq || ev.Time.UnixMilli() != e.TimeMs || ev.Kind.String() != e.Kind {
						t.Fatalf("entry %d fields differ", e.Seq)
					}
					again, _ := ev.Marshal()
					if !bytes.Equal(again, e.Event) {
						t.Fatalf("entry %d does not re-encode to its bytes", e.Seq)
					}
					h := audit.ChainHash(prev, e.Event)
					if !bytes.Equal(h[:], e.Hash) {
						t.Fatalf("entry %d hash differs: %s", e.Seq, hex.EncodeToString(h[:]))
					}
					prev = h
				}
			}
			var o audit.Options
			if c.V.Expect != nil {
				o.Expect = &audit.Head{Seq: c.V.Expect.Seq, Hash: [32]byte(c.V.Expect.Hash)}
			}
			head, err := audit.VerifyExport(strings.NewReader(c.V.Export), tenant, &o)
			if c.V.Error == "" {
				if err != nil {
					t.Fatal(err)
				}
				if head.Seq != c.V.Head.Seq || !bytes.Equal(head.Hash[:], c.V.Head.Hash) {
					t.Fatal("head differs")
				}
				return
			}
			want, ok := errNames[c.V.Error]
			if !ok {
				t.Fatalf("unknown error name %q", c.V.Error)
			}
			if !errors.Is(err, want) {
				t.Fatalf("VerifyExport = %v, want %v", err, want)
			}
		})
	}
}
