package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
)

// The audit formats and the verifier are tested in protocol/auditlog,
// against the vectors; these tests are of the client's use of them.

var testTenantID = protocol.ID{15: 1} // testTenant

// auditChain builds a chain of n events of testTenant as the server writes
// it: the raw events, their hashes, and the export.
func auditChain(t *testing.T, n int) (raws [][]byte, hashes [][32]byte, export []byte) {
	t.Helper()
	prev := auditlog.Genesis(testTenantID)
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		ev := &auditlog.Event{
			Tenant: testTenantID, Seq: uint64(i), Time: time.UnixMilli(1_790_000_000_000 + int64(i)*1001), Kind: auditlog.Kind(i%30 + 1),
		}
		if i%2 == 0 {
			ev.Actor, ev.ActorIP = protocol.ID{0: byte(i)}, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		}
		if i%3 == 0 {
			ev.Objects, ev.ActorIP = []protocol.ID{{1, byte(i)}, {2, byte(i)}}, netip.MustParseAddr("2020:2020::2020")
		}
		raw, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		h := auditlog.ChainHash(prev, raw)
		if err := auditlog.WriteExportLine(&b, &auditlog.Entry{Event: ev, Raw: raw, Prev: prev, Hash: h}); err != nil {
			t.Fatal(err)
		}
		raws, hashes = append(raws, raw), append(hashes, h)
		prev = h
	}
	return raws, hashes, b.Bytes()
}

// TestVerifyAuditExport checks what the client adds to
// auditlog.VerifyExport: the tenant given as text, and every head it is
// given to expect.
func TestVerifyAuditExport(t *testing.T) {
	_, hashes, export := auditChain(t, 8)
	lines := bytes.SplitAfter(export, []byte("\n"))
	last := AuditHead{Seq: 8, Hash: hashes[7]}
	for _, m := range []struct {
		name   string
		export []byte
		expect []AuditHead
		err    error
		seq    uint64
	}{
		{"whole", export, []AuditHead{last}, nil, 0},
		{"whole, two heads", export, []AuditHead{last, {Seq: 2, Hash: hashes[1]}}, nil, 0},
		{"removed", bytes.Join([][]byte{lines[0], lines[2]}, nil), nil, ErrAuditRemoved, 2},
		{"truncated", bytes.Join(lines[:7], nil), []AuditHead{last}, ErrAuditTruncated, 8},
		{"other history", export, []AuditHead{last, {Seq: 2, Hash: hashes[0]}}, ErrAuditAltered, 2},
		{"not JSON", []byte("{not json\n"), nil, ErrAuditMalformed, 1},
	} {
		t.Run(m.name, func(t *testing.T) {
			head, err := VerifyAuditExport(bytes.NewReader(m.export), testTenant, m.expect...)
			if m.err == nil {
				if err != nil || head != last {
					t.Fatalf("head %+v, %v", head, err)
				}
				return
			}
			var ce *AuditChainError
			if !errors.Is(err, m.err) || !errors.As(err, &ce) || ce.Seq != m.seq {
				t.Errorf("%v, want %v at entry %d", err, m.err, m.seq)
			}
		})
	}
	// Another tenant's chain is not this one's.
	if _, err := VerifyAuditExport(bytes.NewReader(export), "AAAAAAAAAAAAAAAAAAAAAg"); !errors.Is(err, ErrAuditAltered) {
		t.Errorf("other tenant: %v", err)
	}
	for _, bad := range []string{"short", "AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := VerifyAuditExport(bytes.NewReader(nil), bad); protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("tenant id %q: %v", bad, err)
		}
	}
}

func TestAuditKindNames(t *testing.T) {
	if AuditKindName(1) != "login" || AuditKindName(27) != "locked_out" || AuditKindName(999) != "kind_999" || AuditKindName(0) != "kind_0" {
		t.Error("kind names")
	}
}

// fakeAudit serves pages of a chain: page i holds events [i*size, (i+1)*size).
func fakeAudit(t *testing.T, raws [][]byte, hashes [][32]byte, size int) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path != "/api/v1/tenants/"+testTenant+"/audit" {
			t.Errorf("unexpected %s", r.URL)
			return jsonResponse(404, protocol.Error{Code: protocol.CodeNotFound, Message: "no"}), nil
		}
		page := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			page = int(c[1] - '0')
		}
		var out protocol.AuditPage
		out.Events = []protocol.AuditEvent{}
		for i := page * size; i < min(len(raws), (page+1)*size); i++ {
			out.Events = append(out.Events, protocol.AuditEvent{Seq: uint64(i + 1), Entry: raws[i], Hash: hashes[i][:]})
		}
		if (page+1)*size < len(raws) {
			out.NextCursor = "p" + string(rune('0'+page+1))
		}
		return jsonResponse(200, out), nil
	})
}

func TestAuditLog(t *testing.T) {
	raws, hashes, _ := auditChain(t, 7)
	ctx := context.Background()

	c := newTestClient(t, fakeAudit(t, raws, hashes, 3))
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	// A later page alone cannot be placed in the chain.
	p, err := c.AuditLog(ctx, testTenant, "p1")
	if err != nil || p.Verified {
		t.Fatalf("later page first: %v, verified %v", err, p != nil && p.Verified)
	}
	var all []AuditEvent
	for cursor, i := "", 0; i == 0 || cursor != ""; i++ {
		p, err := c.AuditLog(ctx, testTenant, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Verified {
			t.Errorf("page %d not verified", i)
		}
		all = append(all, p.Events...)
		cursor = p.NextCursor
	}
	if len(all) != 7 || all[6].Hash != hashes[6] || all[1].Actor == "" || all[2].Objects == nil || all[0].KindName == "" {
		t.Errorf("events %+v", all)
	}

	// A page whose entry does not chain from the page before fails.
	bad := append([][32]byte{}, hashes...)
	bad[4][0] ^= 1
	c2 := newTestClient(t, fakeAudit(t, raws, bad, 3))
	loginAs(c2, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	p, err = c2.AuditLog(ctx, testTenant, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.AuditLog(ctx, testTenant, p.NextCursor); !errors.Is(err, ErrAuditAltered) {
		t.Errorf("altered page: %v", err)
	}
	// An entry whose seq disagrees with its event is malformed.
	c3 := newTestClient(t, rtFunc(func(*http.Request) (*http.Response, error) {
		return jsonResponse(200, protocol.AuditPage{Events: []protocol.AuditEvent{{Seq: 2, Entry: raws[0], Hash: hashes[0][:]}}}), nil
	}))
	loginAs(c3, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	if _, err := c3.AuditLog(ctx, testTenant, ""); !errors.Is(err, ErrAuditMalformed) {
		t.Errorf("seq mismatch: %v", err)
	}
}
