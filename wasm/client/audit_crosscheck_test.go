//go:build !js

package client

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
)

// The client checks audit chains with its own code because server/audit
// does not build for the browser. These tests hold the two to one meaning:
// same bytes, same kind names, same verdicts.

func TestAuditCrossCheckKinds(t *testing.T) {
	for k := 0; k < 200; k++ {
		if got, want := AuditKindName(uint16(k)), audit.Kind(k).String(); got != want {
			t.Errorf("kind %d: client %q, server %q", k, got, want)
		}
	}
}

func TestAuditCrossCheckChains(t *testing.T) {
	// The server's encoder writes the chain; both verifiers read it.
	raws, hashes, lines := auditChain(t, 9)
	tenant := store.ID(auditTenant)
	for i, raw := range raws {
		ev, err := audit.ParseEvent(raw)
		if err != nil {
			t.Fatalf("server refuses client-built event %d: %v", i+1, err)
		}
		again, err := ev.Marshal()
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("event %d encodes differently on the server", i+1)
		}
		var prev [32]byte
		if i == 0 {
			prev = audit.Genesis(tenant)
		} else {
			prev = hashes[i-1]
		}
		if audit.ChainHash(prev, raw) != hashes[i] {
			t.Fatalf("hash %d differs", i+1)
		}
		var line bytes.Buffer
		if err := audit.WriteExportLine(&line, &audit.Entry{Event: ev, Raw: raw, Prev: prev, Hash: hashes[i]}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimSuffix(line.Bytes(), []byte("\n")), lines[i]) {
			t.Fatalf("export line %d differs:\nserver %s\nclient %s", i+1, line.Bytes(), lines[i])
		}
	}
	sentinels := map[error]error{
		ErrAuditMalformed: audit.ErrMalformed, ErrAuditRemoved: audit.ErrRemoved, ErrAuditReordered: audit.ErrReordered,
		ErrAuditAltered: audit.ErrAltered, ErrAuditTruncated: audit.ErrTruncated,
	}
	for _, m := range auditMutations(lines, hashes) {
		t.Run(m.name, func(t *testing.T) {
			var expect *audit.Head
			if len(m.expect) == 1 {
				expect = &audit.Head{Seq: m.expect[0].Seq, Hash: m.expect[0].Hash}
			}
			sh, serr := audit.VerifyExport(bytes.NewReader(m.export), tenant, &audit.Options{Expect: expect})
			ch, cerr := VerifyAuditExport(bytes.NewReader(m.export), testTenant, m.expect...)
			if sh.Seq != ch.Seq || sh.Hash != ch.Hash {
				t.Errorf("heads differ: server %+v, client %+v", sh, ch)
			}
			if (serr == nil) != (cerr == nil) {
				t.Fatalf("server %v, client %v", serr, cerr)
			}
			if cerr == nil {
				return
			}
			var sce *audit.ChainError
			var cce *AuditChainError
			if !errors.As(serr, &sce) || !errors.As(cerr, &cce) || sce.Seq != cce.Seq {
				t.Errorf("server %v, client %v", serr, cerr)
			}
			for c, s := range sentinels {
				if errors.Is(cerr, c) != errors.Is(serr, s) {
					t.Errorf("server %v, client %v", serr, cerr)
				}
			}
		})
	}
}

// TestAuditCrossCheckServerEvents has the server write events of every
// shape and the client parse them.
func TestAuditCrossCheckServerEvents(t *testing.T) {
	tenant := store.ID(auditTenant)
	for i, ev := range []*audit.Event{
		{Tenant: tenant, Seq: 1, Time: time.UnixMilli(1_790_000_000_123), Kind: audit.KindLogin},
		{Tenant: tenant, Seq: 2, Time: time.UnixMilli(1_790_000_000_124), Kind: audit.KindGrantCreated, Actor: store.ID{1}, ActorIP: netip.MustParseAddr("::ffff:192.0.2.7"), Objects: []store.ID{{2}, {3}}},
		{Tenant: tenant, Seq: 3, Time: time.UnixMilli(0), Kind: 500, ActorIP: netip.MustParseAddr("2001:db8::1")},
	} {
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p, err := parseAuditEvent(raw)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if p.ev.Seq != ev.Seq || !p.ev.Time.Equal(ev.Time) || p.ev.KindName != ev.Kind.String() || len(p.ev.Objects) != len(ev.Objects) ||
			p.ev.IP != ev.ActorIP.Unmap() || (p.ev.Actor == "") != ev.Actor.IsZero() {
			t.Errorf("event %d: %+v from %+v", i, p.ev, ev)
		}
		if !ev.Actor.IsZero() && p.ev.Actor != ev.Actor.String() {
			t.Errorf("actor %s, want %s", p.ev.Actor, ev.Actor)
		}
	}
}
