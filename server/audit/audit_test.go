package audit_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
)

// The formats and the verifier are tested in protocol/auditlog, against the
// vectors in protocol/testdata/audit-chain; these tests are of the store's
// side: appending in a transaction, reading back, exporting.

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

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

func TestAppendInTransaction(t *testing.T) {
	s, acct, tenant := openStore(t)
	g := &store.Grant{ID: store.NewID(), Tenant: tenant, Object: store.NewID(), ObjectKind: store.ObjectDocument,
		Grantee: store.NewID(), Granter: acct, Wrapped: []byte("age")}
	var got *auditlog.Entry
	if err := s.Update(func(tx *store.Tx) error {
		if err := tx.PutGrant(g); err != nil {
			return err
		}
		var err error
		got, err = audit.Append(tx, &auditlog.Event{Tenant: tenant, Time: t0, Kind: auditlog.KindGrantCreated,
			Actor: acct, ActorIP: netip.MustParseAddr("2001:db8::1"), Objects: []store.ID{g.ID, g.Object}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Event.Seq != 1 || got.Prev != auditlog.Genesis(tenant) {
		t.Fatalf("first entry: seq %d", got.Event.Seq)
	}
	// A transaction that fails takes its event with it.
	if err := s.Update(func(tx *store.Tx) error {
		if _, err := audit.Append(tx, &auditlog.Event{Tenant: tenant, Time: t0, Kind: auditlog.KindLogin, Actor: acct}); err != nil {
			return err
		}
		return errors.New("abort")
	}); err == nil {
		t.Fatal("expected abort")
	}
	for i := 0; i < 5; i++ {
		if err := s.Update(func(tx *store.Tx) error {
			_, err := audit.Append(tx, &auditlog.Event{Tenant: tenant, Time: t0.Add(time.Minute), Kind: auditlog.KindDocumentDownloaded,
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
	head, err := auditlog.Verify(tenant, es, nil)
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
	start := auditlog.Head{Seq: 3, Hash: es[2].Hash}
	if h, err := auditlog.Verify(tenant, page, &auditlog.Options{Start: &start}); err != nil || h.Seq != 5 {
		t.Fatalf("page: %v, head %d", err, h.Seq)
	}
	if es, err := audit.Entries(s, tenant, 7, 10); err != nil || len(es) != 0 {
		t.Fatalf("past the head: %d entries, %v", len(es), err)
	}

	var buf bytes.Buffer
	eh, err := audit.Export(&buf, s, tenant)
	if err != nil || eh != head {
		t.Fatalf("export: %v", err)
	}
	if vh, err := auditlog.VerifyExport(&buf, tenant, &auditlog.Options{Expect: []auditlog.Head{start}}); err != nil || vh != head {
		t.Fatalf("VerifyExport: %v", err)
	}
	if _, err := audit.Append(nil, &auditlog.Event{Tenant: tenant}); !errors.Is(err, auditlog.ErrMalformed) {
		t.Fatalf("event without time: %v", err)
	}
}
