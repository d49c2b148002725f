package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
)

var auditTenant = [16]byte{15: 1} // testTenant

// auditChain builds a chain of n events of auditTenant as the server
// writes it: the raw events, their hashes, and the export's lines.
func auditChain(t *testing.T, n int) (raws [][]byte, hashes [][32]byte, lines [][]byte) {
	t.Helper()
	prev := auditGenesis(auditTenant)
	for i := 1; i <= n; i++ {
		w := auditWire{
			Version: 1, Tenant: auditTenant, Seq: uint64(i), Time: 1_790_000_000_000 + int64(i)*1001,
			Kind: uint16(i%30 + 1), IP: []byte{}, Objects: [][16]byte{},
		}
		if i%2 == 0 {
			w.Actor = [16]byte{0: byte(i)}
			w.IP = []byte{192, 0, 2, byte(i)}
		}
		if i%3 == 0 {
			w.Objects = [][16]byte{{1, byte(i)}, {2, byte(i)}}
			w.IP = bytes.Repeat([]byte{0x20}, 16)
		}
		raw, err := protocol.MarshalCBOR(&w)
		if err != nil {
			t.Fatal(err)
		}
		h := auditChainHash(prev, raw)
		p, err := parseAuditEvent(raw)
		if err != nil {
			t.Fatal(err)
		}
		l := exportLine{
			Tenant: auditID(auditTenant), Seq: p.ev.Seq, Time: p.ev.Time.Format(exportTime), Kind: p.ev.KindName,
			Actor: p.ev.Actor, Objects: p.ev.Objects, Event: hex.EncodeToString(raw),
			Prev: hex.EncodeToString(prev[:]), Hash: hex.EncodeToString(h[:]),
		}
		if p.ev.IP.IsValid() {
			l.IP = p.ev.IP.String()
		}
		line, err := protocol.EncodeJSON(l)
		if err != nil {
			t.Fatal(err)
		}
		raws, hashes, lines = append(raws, raw), append(hashes, h), append(lines, line)
		prev = h
	}
	return raws, hashes, lines
}

func joinLines(lines [][]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// auditMutations are the ways an export can be changed, each with the
// error and entry a verifier must report.
func auditMutations(lines [][]byte, hashes [][32]byte) []struct {
	name   string
	export []byte
	expect []AuditHead
	err    error
	seq    uint64
} {
	n := len(lines)
	drop := func(i int) [][]byte { return append(append([][]byte{}, lines[:i]...), lines[i+1:]...) }
	swapped := append([][]byte{}, lines...)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	edit := func(i int, old, new string) [][]byte {
		out := append([][]byte{}, lines...)
		out[i] = bytes.Replace(out[i], []byte(old), []byte(new), 1)
		return out
	}
	last := AuditHead{Seq: uint64(n), Hash: hashes[n-1]}
	return []struct {
		name   string
		export []byte
		expect []AuditHead
		err    error
		seq    uint64
	}{
		{"whole", joinLines(lines), []AuditHead{last}, nil, 0},
		{"empty", nil, nil, nil, 0},
		{"removed", joinLines(drop(3)), nil, ErrAuditRemoved, 4},
		{"first removed", joinLines(drop(0)), nil, ErrAuditRemoved, 1},
		{"reordered", joinLines(swapped), nil, ErrAuditReordered, 3},
		{"repeated", joinLines(append(append([][]byte{}, lines...), lines[2])), nil, ErrAuditReordered, 3},
		{"truncated", joinLines(lines[:n-1]), []AuditHead{last}, ErrAuditTruncated, uint64(n)},
		{"other history", joinLines(lines), []AuditHead{{Seq: 2, Hash: hashes[0]}}, ErrAuditAltered, 2},
		{"hash changed", joinLines(edit(4, hex.EncodeToString(hashes[4][:]), hex.EncodeToString(hashes[3][:]))), nil, ErrAuditAltered, 5},
		{"readable kind changed", joinLines(edit(1, `"kind":"`, `"kind":"x`)), nil, ErrAuditAltered, 2},
		{"not JSON", joinLines(append(append([][]byte{}, lines[:2]...), []byte("{not json"))), nil, ErrAuditMalformed, 3},
		{"unknown field", joinLines(edit(0, `{"tenant"`, `{"x":1,"tenant"`)), nil, ErrAuditMalformed, 1},
		{"upper-case hash", joinLines(edit(0, `"hash":"`+hex.EncodeToString(hashes[0][:]), `"hash":"`+string(bytes.ToUpper([]byte(hex.EncodeToString(hashes[0][:])))))), nil, ErrAuditMalformed, 1},
	}
}

func TestVerifyAuditExport(t *testing.T) {
	_, hashes, lines := auditChain(t, 8)
	for _, m := range auditMutations(lines, hashes) {
		t.Run(m.name, func(t *testing.T) {
			head, err := VerifyAuditExport(bytes.NewReader(m.export), testTenant, m.expect...)
			if m.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if m.export != nil && (head.Seq != uint64(len(lines)) || head.Hash != hashes[len(hashes)-1]) {
					t.Errorf("head %+v", head)
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
	if _, err := VerifyAuditExport(bytes.NewReader(joinLines(lines)), "AAAAAAAAAAAAAAAAAAAAAg"); !errors.Is(err, ErrAuditAltered) {
		t.Errorf("other tenant: %v", err)
	}
	if _, err := VerifyAuditExport(bytes.NewReader(nil), "short"); protocol.CodeOf(err) != protocol.CodeBadRequest {
		t.Errorf("bad tenant id: %v", err)
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
