package auditlog_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func idOf(b byte) protocol.ID {
	var id protocol.ID
	for i := range id {
		id[i] = b
	}
	return id
}

// chain builds n entries of a tenant, of every shape: with and without an
// actor, an IPv4 or IPv6 address or none, objects or none.
func chain(t testing.TB, tenant protocol.ID, n int) []*auditlog.Entry {
	prev := auditlog.Genesis(tenant)
	var out []*auditlog.Entry
	for i := 1; i <= n; i++ {
		ev := &auditlog.Event{Tenant: tenant, Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second),
			Kind: auditlog.Kind(1 + i%14)}
		if i%2 == 0 {
			ev.Actor, ev.ActorIP = idOf(byte(i)), netip.MustParseAddr("192.0.2.1")
		}
		if i%3 == 0 {
			ev.Objects, ev.ActorIP = []protocol.ID{idOf(0xd0 + byte(i)), idOf(0xe0 + byte(i))}, netip.MustParseAddr("2001:db8::1")
		}
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e := &auditlog.Entry{Event: ev, Raw: raw, Prev: prev, Hash: auditlog.ChainHash(prev, raw)}
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestVerifyDetects(t *testing.T) {
	tenant := idOf(0x11)
	es := chain(t, tenant, 6)
	if _, err := auditlog.Verify(tenant, es, nil); err != nil {
		t.Fatal(err)
	}
	drop := func(i int) []*auditlog.Entry { return append(append([]*auditlog.Entry{}, es[:i]...), es[i+1:]...) }
	swap := func(i, j int) []*auditlog.Entry {
		c := append([]*auditlog.Entry{}, es...)
		c[i], c[j] = c[j], c[i]
		return c
	}
	alter := func(i int, rehash bool) []*auditlog.Entry {
		c := append([]*auditlog.Entry{}, es...)
		ev := *c[i].Event
		ev.Kind = auditlog.KindAccessApproved
		raw, _ := ev.Marshal()
		e := &auditlog.Entry{Event: &ev, Raw: raw, Prev: c[i].Prev, Hash: c[i].Hash}
		if rehash {
			e.Hash = auditlog.ChainHash(e.Prev, raw)
		}
		c[i] = e
		return c
	}
	last := []auditlog.Head{{Seq: 6, Hash: es[5].Hash}}
	for _, tc := range []struct {
		name    string
		entries []*auditlog.Entry
		opts    *auditlog.Options
		want    error
		seq     uint64
	}{
		{"removed middle", drop(2), nil, auditlog.ErrRemoved, 3},
		{"removed first", drop(0), nil, auditlog.ErrRemoved, 1},
		{"swapped", swap(2, 3), nil, auditlog.ErrReordered, 3},
		{"swapped ends", swap(0, 5), nil, auditlog.ErrReordered, 2},
		{"duplicated", append(append([]*auditlog.Entry{}, es...), es[2]), nil, auditlog.ErrReordered, 3},
		{"altered event", alter(3, false), nil, auditlog.ErrAltered, 4},
		{"altered and rehashed", alter(3, true), nil, auditlog.ErrAltered, 5},
		{"last altered and rehashed", alter(5, true), &auditlog.Options{Expect: last}, auditlog.ErrAltered, 6},
		{"truncated", es[:4], &auditlog.Options{Expect: last}, auditlog.ErrTruncated, 5},
		{"other tenant", chain(t, idOf(0x22), 2), nil, auditlog.ErrAltered, 1},
		{"not an event", []*auditlog.Entry{es[0], {Raw: []byte{0xa0}}}, nil, auditlog.ErrMalformed, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auditlog.Verify(tenant, tc.entries, tc.opts)
			var ce *auditlog.ChainError
			if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Seq != tc.seq {
				t.Fatalf("Verify = %v, want %v at %d", err, tc.want, tc.seq)
			}
		})
	}
	// The last entry altered and rehashed is only caught against a known head.
	if _, err := auditlog.Verify(tenant, alter(5, true), nil); err != nil {
		t.Fatalf("without a head to check against: %v", err)
	}
	// A page from the middle verifies from the head before it.
	start := auditlog.Head{Seq: 3, Hash: es[2].Hash}
	if h, err := auditlog.Verify(tenant, es[3:5], &auditlog.Options{Start: &start}); err != nil || h.Seq != 5 {
		t.Fatalf("page: %v, head %d", err, h.Seq)
	}
}

func TestVerifyExportDetects(t *testing.T) {
	tenant := idOf(0x11)
	es := chain(t, tenant, 8)
	var lines []string
	for _, e := range es {
		var b bytes.Buffer
		if err := auditlog.WriteExportLine(&b, e); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b.String())
	}
	join := func(ls ...string) string { return strings.Join(ls, "") }
	drop := func(i int) string { return join(lines[:i]...) + join(lines[i+1:]...) }
	edit := func(i int, old, new string) string {
		out := append([]string{}, lines...)
		if !strings.Contains(out[i], old) {
			t.Fatalf("line %d has no %s", i+1, old)
		}
		out[i] = strings.Replace(out[i], old, new, 1)
		return join(out...)
	}
	hashHex := func(i int) string { return hex.EncodeToString(es[i].Hash[:]) }
	whole := join(lines...)
	n := len(es)
	last := auditlog.Head{Seq: uint64(n), Hash: es[n-1].Hash}
	for _, tc := range []struct {
		name, export string
		expect       []auditlog.Head
		want         error
		seq          uint64
	}{
		{"whole", whole, []auditlog.Head{last}, nil, 0},
		{"whole, two heads", whole, []auditlog.Head{last, {Seq: 2, Hash: es[1].Hash}}, nil, 0},
		{"empty", "", nil, nil, 0},
		{"removed", drop(3), nil, auditlog.ErrRemoved, 4},
		{"first removed", drop(0), nil, auditlog.ErrRemoved, 1},
		{"reordered", join(lines[0], lines[2], lines[1]) + join(lines[3:]...), nil, auditlog.ErrReordered, 2},
		{"repeated", whole + lines[2], nil, auditlog.ErrReordered, 3},
		{"truncated", join(lines[:n-1]...), []auditlog.Head{last}, auditlog.ErrTruncated, uint64(n)},
		{"other history", whole, []auditlog.Head{last, {Seq: 2, Hash: es[0].Hash}}, auditlog.ErrAltered, 2},
		{"hash changed", edit(4, hashHex(4), hashHex(3)), nil, auditlog.ErrAltered, 5},
		{"readable kind changed", edit(1, `"kind":"`, `"kind":"x`), nil, auditlog.ErrAltered, 2},
		{"readable time changed", edit(0, `12:00:01.000Z`, `12:00:09.000Z`), nil, auditlog.ErrAltered, 1},
		{"readable actor removed", edit(1, `"actor":"`+idOf(2).String()+`",`, ``), nil, auditlog.ErrAltered, 2},
		{"not JSON", join(lines[:2]...) + "{not json\n", nil, auditlog.ErrMalformed, 3},
		{"unknown field", edit(0, `{"tenant"`, `{"x":1,"tenant"`), nil, auditlog.ErrMalformed, 1},
		{"field twice", edit(0, `{"tenant"`, `{"seq":1,"tenant"`), nil, auditlog.ErrMalformed, 1},
		{"field name in capitals", edit(0, `"seq"`, `"SEQ"`), nil, auditlog.ErrMalformed, 1},
		{"null field", edit(0, `{"tenant"`, `{"actor":null,"tenant"`), nil, auditlog.ErrMalformed, 1},
		{"trailing data", edit(0, "}\n", "}}\n"), nil, auditlog.ErrMalformed, 1},
		{"tenant not canonical", edit(0, `"tenant":"`+tenant.String()[:21], `"tenant":"`+tenant.String()[:21]+"x"), nil, auditlog.ErrMalformed, 1},
		{"upper-case hash", edit(0, hashHex(0), strings.ToUpper(hashHex(0))), nil, auditlog.ErrMalformed, 1},
		{"too long", strings.Repeat("x", 20000) + "\n", nil, auditlog.ErrMalformed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, err := auditlog.VerifyExport(strings.NewReader(tc.export), tenant, &auditlog.Options{Expect: tc.expect})
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tc.export != "" && head != last {
					t.Errorf("head %+v", head)
				}
				return
			}
			var ce *auditlog.ChainError
			if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Seq != tc.seq {
				t.Fatalf("VerifyExport = %v, want %v at entry %d", err, tc.want, tc.seq)
			}
		})
	}
	// Another tenant's chain is not this one's.
	if _, err := auditlog.VerifyExport(strings.NewReader(whole), idOf(0x22), nil); !errors.Is(err, auditlog.ErrAltered) {
		t.Errorf("other tenant: %v", err)
	}
}

func TestEventEncoding(t *testing.T) {
	ev := &auditlog.Event{Tenant: idOf(1), Seq: 1, Time: t0.Add(1234567 * time.Nanosecond), Kind: auditlog.KindLogin}
	raw, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := auditlog.ParseEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(t0.Add(time.Millisecond)) || back.ActorIP.IsValid() || back.Objects != nil {
		t.Fatalf("round trip: %+v", back)
	}
	// An IPv4-mapped address is written as IPv4.
	ev.ActorIP = netip.MustParseAddr("::ffff:198.51.100.7")
	if raw, err = ev.Marshal(); err != nil {
		t.Fatal(err)
	}
	if back, err = auditlog.ParseEvent(raw); err != nil || back.ActorIP.String() != "198.51.100.7" {
		t.Fatalf("IPv4-mapped address: %v, %v", back, err)
	}
	for _, bad := range []*auditlog.Event{
		{Seq: 1, Time: t0, Kind: auditlog.KindLogin},
		{Tenant: idOf(1), Time: t0, Kind: auditlog.KindLogin},
		{Tenant: idOf(1), Seq: 1, Time: t0},
		{Tenant: idOf(1), Seq: 1, Time: t0, Kind: 1, Objects: make([]protocol.ID, 9)},
		{Tenant: idOf(1), Seq: 1, Time: t0, Kind: 1, Objects: []protocol.ID{{}}},
	} {
		if _, err := bad.Marshal(); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("Marshal(%+v) = %v, want ErrMalformed", bad, err)
		}
	}
	// Non-canonical and truncated bytes are refused.
	for _, b := range [][]byte{raw[:len(raw)-1], append(append([]byte{}, raw...), 0), {0xa0}, nil} {
		if _, err := auditlog.ParseEvent(b); !errors.Is(err, auditlog.ErrMalformed) {
			t.Errorf("ParseEvent(%x) = %v", b, err)
		}
	}
	seen := map[string]bool{}
	for k := auditlog.Kind(1); k.Known(); k++ {
		if seen[k.String()] {
			t.Fatalf("duplicate kind name %s", k)
		}
		seen[k.String()] = true
		if p, err := auditlog.ParseKind(k.String()); err != nil || p != k {
			t.Fatalf("ParseKind(%s) = %v, %v", k, p, err)
		}
	}
	if auditlog.KindPINFailed != 14 || auditlog.KindLogin.String() != "login" || auditlog.KindLockedOut.String() != "locked_out" {
		t.Fatal("wire enum values moved")
	}
	if p, err := auditlog.ParseKind("kind_999"); err != nil || p != 999 || p.String() != "kind_999" {
		t.Fatalf("unknown kind: %v %v", p, err)
	}
	if auditlog.Kind(0).String() != "kind_0" {
		t.Fatal("kind 0")
	}
	for _, bad := range []string{"kind_01", "kind_0", "kind_1", "nope", "kind_70000"} {
		if _, err := auditlog.ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) accepted", bad)
		}
	}
}
