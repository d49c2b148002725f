package audit_test

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func idOf(b byte) store.ID {
	var id store.ID
	for i := range id {
		id[i] = b
	}
	return id
}

func openStore(t *testing.T) (*store.Store, store.ID, store.ID) {
	t.Helper()
	s, err := store.Open("db", &store.Options{FS: vfs.NewMem(), MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	acct, tenant := store.NewID(), store.NewID()
	if err := s.Update(func(tx *store.Tx) error {
		if err := tx.CreateAccount(&store.Account{ID: acct, Email: "o@example.com"}); err != nil {
			return err
		}
		return tx.CreateTenant(&store.Tenant{ID: tenant, Owner: acct})
	}); err != nil {
		t.Fatal(err)
	}
	return s, acct, tenant
}

// chain builds n entries of a tenant without a store.
func chain(t testing.TB, tenant store.ID, n int) []*audit.Entry {
	prev := audit.Genesis(tenant)
	var out []*audit.Entry
	for i := 1; i <= n; i++ {
		ev := &audit.Event{Tenant: tenant, Seq: uint64(i), Time: t0.Add(time.Duration(i) * time.Second),
			Kind: audit.Kind(1 + i%14), Actor: idOf(byte(i)), ActorIP: netip.MustParseAddr("192.0.2.1"),
			Objects: []store.ID{idOf(0xd0 + byte(i))}}
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		e := &audit.Entry{Event: ev, Raw: raw, Prev: prev, Hash: audit.ChainHash(prev, raw)}
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestAppendInTransaction(t *testing.T) {
	s, acct, tenant := openStore(t)
	g := &store.Grant{ID: store.NewID(), Tenant: tenant, Object: store.NewID(), ObjectKind: store.ObjectDocument,
		Grantee: store.NewID(), Granter: acct, Wrapped: []byte("age")}
	var got *audit.Entry
	if err := s.Update(func(tx *store.Tx) error {
		if err := tx.PutGrant(g); err != nil {
			return err
		}
		var err error
		got, err = audit.Append(tx, &audit.Event{Tenant: tenant, Time: t0, Kind: audit.KindGrantCreated,
			Actor: acct, ActorIP: netip.MustParseAddr("2001:db8::1"), Objects: []store.ID{g.ID, g.Object}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Event.Seq != 1 || got.Prev != audit.Genesis(tenant) {
		t.Fatalf("first entry: seq %d", got.Event.Seq)
	}
	// A transaction that fails takes its event with it.
	if err := s.Update(func(tx *store.Tx) error {
		if _, err := audit.Append(tx, &audit.Event{Tenant: tenant, Time: t0, Kind: audit.KindLogin, Actor: acct}); err != nil {
			return err
		}
		return errors.New("abort")
	}); err == nil {
		t.Fatal("expected abort")
	}
	for i := 0; i < 5; i++ {
		if err := s.Update(func(tx *store.Tx) error {
			_, err := audit.Append(tx, &audit.Event{Tenant: tenant, Time: t0.Add(time.Minute), Kind: audit.KindDocumentDownloaded,
				Actor: acct, ActorIP: netip.MustParseAddr("::ffff:198.51.100.7"), Objects: []store.ID{g.Object}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	es, err := audit.Entries(s, tenant, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	head, err := audit.Verify(tenant, es, nil)
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := s.AuditHead(tenant)
	if len(es) != 6 || head.Seq != 6 || head.Hash != sh.Hash {
		t.Fatalf("%d entries, head %d", len(es), head.Seq)
	}
	if es[1].Event.ActorIP.String() != "198.51.100.7" {
		t.Fatalf("IPv4-mapped address not unmapped: %v", es[1].Event.ActorIP)
	}
	// A page from the middle verifies from the head before it.
	page, err := audit.Entries(s, tenant, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	start := audit.Head{Seq: 3, Hash: es[2].Hash}
	if h, err := audit.Verify(tenant, page, &audit.Options{Start: &start}); err != nil || h.Seq != 5 {
		t.Fatalf("page: %v, head %d", err, h.Seq)
	}

	var buf bytes.Buffer
	eh, err := audit.Export(&buf, s, tenant)
	if err != nil || eh != head {
		t.Fatalf("export: %v", err)
	}
	if vh, err := audit.VerifyExport(&buf, tenant, &audit.Options{Expect: &start}); err != nil || vh != head {
		t.Fatalf("VerifyExport: %v", err)
	}
	if _, err := audit.Append(nil, &audit.Event{Tenant: tenant}); !errors.Is(err, audit.ErrMalformed) {
		t.Fatalf("event without time: %v", err)
	}
}

func TestVerifyDetects(t *testing.T) {
	tenant := idOf(0x11)
	es := chain(t, tenant, 6)
	if _, err := audit.Verify(tenant, es, nil); err != nil {
		t.Fatal(err)
	}
	drop := func(i int) []*audit.Entry { return append(append([]*audit.Entry{}, es[:i]...), es[i+1:]...) }
	swap := func(i, j int) []*audit.Entry {
		c := append([]*audit.Entry{}, es...)
		c[i], c[j] = c[j], c[i]
		return c
	}
	alter := func(i int, rehash bool) []*audit.Entry {
		c := append([]*audit.Entry{}, es...)
		ev := *c[i].Event
		ev.Kind = audit.KindAccessApproved
		raw, _ := ev.Marshal()
		e := &audit.Entry{Event: &ev, Raw: raw, Prev: c[i].Prev, Hash: c[i].Hash}
		if rehash {
			e.Hash = audit.ChainHash(e.Prev, raw)
		}
		c[i] = e
		return c
	}
	last := audit.Head{Seq: 6, Hash: es[5].Hash}
	for _, tc := range []struct {
		name    string
		entries []*audit.Entry
		opts    *audit.Options
		want    error
		seq     uint64
	}{
		{"removed middle", drop(2), nil, audit.ErrRemoved, 3},
		{"removed first", drop(0), nil, audit.ErrRemoved, 1},
		{"swapped", swap(2, 3), nil, audit.ErrReordered, 3},
		{"swapped ends", swap(0, 5), nil, audit.ErrReordered, 2},
		{"duplicated", append(append([]*audit.Entry{}, es...), es[2]), nil, audit.ErrReordered, 3},
		{"altered event", alter(3, false), nil, audit.ErrAltered, 4},
		{"altered and rehashed", alter(3, true), nil, audit.ErrAltered, 5},
		{"last altered and rehashed", alter(5, true), &audit.Options{Expect: &last}, audit.ErrAltered, 6},
		{"truncated", es[:4], &audit.Options{Expect: &last}, audit.ErrTruncated, 5},
		{"other tenant", chain(t, idOf(0x22), 2), nil, audit.ErrAltered, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.Verify(tenant, tc.entries, tc.opts)
			var ce *audit.ChainError
			if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Seq != tc.seq {
				t.Fatalf("Verify = %v, want %v at %d", err, tc.want, tc.seq)
			}
		})
	}
	// The last entry altered and rehashed is only caught against a known head.
	if _, err := audit.Verify(tenant, alter(5, true), nil); err != nil {
		t.Fatalf("without a head to check against: %v", err)
	}
}

func TestExportDetects(t *testing.T) {
	tenant := idOf(0x11)
	es := chain(t, tenant, 4)
	var buf bytes.Buffer
	for _, e := range es {
		if err := audit.WriteExportLine(&buf, e); err != nil {
			t.Fatal(err)
		}
	}
	good := buf.String()
	lines := strings.SplitAfter(strings.TrimSuffix(good, "\n"), "\n")
	if _, err := audit.VerifyExport(strings.NewReader(good), tenant, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, export string
		want         error
	}{
		{"removed", lines[0] + lines[2] + lines[3], audit.ErrRemoved},
		{"reordered", lines[0] + lines[2] + lines[1] + lines[3], audit.ErrReordered},
		{"readable kind edited", strings.Replace(good, `"kind":"login_failed"`, `"kind":"login"`, 1), audit.ErrAltered},
		{"readable time edited", strings.Replace(good, `12:00:01.000Z`, `12:00:09.000Z`, 1), audit.ErrAltered},
		{"hash edited", lines[0] + flipHash(lines[1]) + lines[2] + lines[3], audit.ErrAltered},
		{"intact", good, nil},
		{"unknown field", strings.Replace(good, `{"tenant"`, `{"x":1,"tenant"`, 1), audit.ErrMalformed},
		{"not json", "hello\n", audit.ErrMalformed},
		{"too long", strings.Repeat("x", 20000) + "\n", audit.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.VerifyExport(strings.NewReader(tc.export), tenant, nil)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyExport = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEventEncoding(t *testing.T) {
	ev := &audit.Event{Tenant: idOf(1), Seq: 1, Time: t0.Add(1234567 * time.Nanosecond), Kind: audit.KindLogin}
	raw, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := audit.ParseEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(t0.Add(time.Millisecond)) || back.ActorIP.IsValid() || back.Objects != nil {
		t.Fatalf("round trip: %+v", back)
	}
	for _, bad := range []*audit.Event{
		{Seq: 1, Time: t0, Kind: audit.KindLogin},
		{Tenant: idOf(1), Time: t0, Kind: audit.KindLogin},
		{Tenant: idOf(1), Seq: 1, Time: t0},
		{Tenant: idOf(1), Seq: 1, Time: t0, Kind: 1, Objects: make([]store.ID, 9)},
		{Tenant: idOf(1), Seq: 1, Time: t0, Kind: 1, Objects: []store.ID{{}}},
	} {
		if _, err := bad.Marshal(); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("Marshal(%+v) = %v, want ErrMalformed", bad, err)
		}
	}
	// Non-canonical and truncated bytes are refused.
	for _, b := range [][]byte{raw[:len(raw)-1], append(append([]byte{}, raw...), 0), {0xa0}, nil} {
		if _, err := audit.ParseEvent(b); !errors.Is(err, audit.ErrMalformed) {
			t.Errorf("ParseEvent(%x) = %v", b, err)
		}
	}
	seen := map[string]bool{}
	for k := audit.Kind(1); k.Known(); k++ {
		if seen[k.String()] {
			t.Fatalf("duplicate kind name %s", k)
		}
		seen[k.String()] = true
		if p, err := audit.ParseKind(k.String()); err != nil || p != k {
			t.Fatalf("ParseKind(%s) = %v, %v", k, p, err)
		}
	}
	if audit.KindPINFailed != 14 || audit.KindLogin.String() != "login" {
		t.Fatal("wire enum values moved")
	}
	if p, err := audit.ParseKind("kind_999"); err != nil || p != 999 || p.String() != "kind_999" {
		t.Fatalf("unknown kind: %v %v", p, err)
	}
	for _, bad := range []string{"kind_01", "kind_0", "kind_1", "nope", "kind_70000"} {
		if _, err := audit.ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) accepted", bad)
		}
	}
}

// flipHash changes the first digit of a line's entry hash.
func flipHash(line string) string {
	i := strings.Index(line, `"hash":"`) + len(`"hash":"`)
	c := byte('0')
	if line[i] == '0' {
		c = '1'
	}
	return line[:i] + string(c) + line[i+1:]
}
