package client

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// sealedWorld runs an envelope to its seal and returns the .seal file.
func sealedWorld(t *testing.T) (*esignWorld, *Sealed) {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t)
	sent := w.send(t, Parallel)
	ds, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := w.bob.OpenEnvelope(ctx, testTenant, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Signing{ds, bs} {
		if _, err := g.ReadDocument(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Sign(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s, err := ds.Seal(ctx, w.logKey.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	return w, s
}

// serveLog answers the public log routes from log l.
func serveLog(w *esignWorld, l func() *seallog.Log) {
	w.f.mux.HandleFunc("GET /api/v1/log/checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		cp, err := l().Checkpoint()
		if err != nil {
			fail(rw, protocol.CodeInternal, "checkpoint")
			return
		}
		reply(rw, 200, protocol.Checkpoint{Checkpoint: string(cp)})
	})
	w.f.mux.HandleFunc("GET /api/v1/log/consistency", func(rw http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		b, err := l().ConsistencyProof(from, to)
		if err != nil {
			fail(rw, protocol.CodeBadRequest, "sizes")
			return
		}
		p, _ := seallog.ParseConsistencyProof(b)
		out := protocol.ConsistencyProof{From: uint64(from), To: uint64(to), Hashes: [][]byte{}}
		for _, h := range p {
			out.Hashes = append(out.Hashes, h[:])
		}
		reply(rw, 200, out)
	})
}

// TestCheckLogOnline: the seal's checkpoint against the log's newest one.
func TestCheckLogOnline(t *testing.T) {
	ctx := context.Background()
	w, sealed := sealedWorld(t)
	v := w.logKey.Verifier()
	doc := func() *bytes.Reader { return bytes.NewReader(w.plaintext) }

	// The log grew: consistent.
	cur := w.f.log
	serveLog(w, func() *seallog.Log { return cur })
	for range 9 {
		cur.Append(seallog.NewLeaf([32]byte{3}, [32]byte{4}))
	}
	chk, err := CheckSeal(doc(), sealed.File, v)
	if err != nil || !chk.Valid() {
		t.Fatalf("offline: %v %v", err, chk.Failures)
	}
	if err := w.outsider.CheckLogOnline(ctx, chk, v); err != nil {
		t.Fatal(err)
	}
	if !chk.Valid() || chk.Online == nil || !chk.Online.Consistent || chk.Online.Newest.Size != cur.Size() {
		t.Fatalf("online: %+v %v", chk.Online, chk.Failures)
	}
	var text strings.Builder
	chk.WriteText(&text)
	if !strings.Contains(text.String(), "is consistent with the seal's") || !strings.Contains(text.String(), "Result    VALID") {
		t.Errorf("report:\n%s", text.String())
	}

	// A log that shows another history, signed by the same key: a fork.
	fork, err := seallog.NewLog(&seallog.MemStorage{}, w.logKey)
	if err != nil {
		t.Fatal(err)
	}
	for range cur.Size() + 3 {
		fork.Append(seallog.NewLeaf([32]byte{5}, [32]byte{6}))
	}
	cur = fork
	chk, _ = CheckSeal(doc(), sealed.File, v)
	if err := w.outsider.CheckLogOnline(ctx, chk, v); err != nil {
		t.Fatal(err)
	}
	if !chk.Has(FailNotConsistent) || chk.Online.Consistent {
		t.Errorf("fork: %v", chk.Failures)
	}

	// A log that went back.
	short, _ := seallog.NewLog(&seallog.MemStorage{}, w.logKey)
	short.Append(seallog.NewLeaf([32]byte{5}, [32]byte{6}))
	cur = short
	chk, _ = CheckSeal(doc(), sealed.File, v)
	if err := w.outsider.CheckLogOnline(ctx, chk, v); err != nil {
		t.Fatal(err)
	}
	if !chk.Has(FailNotConsistent) {
		t.Errorf("rollback: %v", chk.Failures)
	}

	// The newest checkpoint by another key.
	otherKey, _ := seallog.GenerateKey("log.vellum.test/seals")
	other, _ := seallog.NewLog(&seallog.MemStorage{}, otherKey)
	other.Append(seallog.NewLeaf([32]byte{5}, [32]byte{6}))
	cur = other
	chk, _ = CheckSeal(doc(), sealed.File, v)
	if err := w.outsider.CheckLogOnline(ctx, chk, v); err != nil {
		t.Fatal(err)
	}
	if !chk.Has(FailLogKeyMismatch) {
		t.Errorf("another key: %v", chk.Failures)
	}

	// A server that cannot be reached is an error, not a verdict.
	off := newTestClient(t, rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("down") }))
	chk, _ = CheckSeal(doc(), sealed.File, v)
	if err := off.CheckLogOnline(ctx, chk, v); !errors.Is(err, ErrNetwork) {
		t.Errorf("unreachable: %v", err)
	}
}

// TestCheckSealKinds: each way a seal fails has its kind, and the report
// names it.
func TestCheckSealKinds(t *testing.T) {
	w, sealed := sealedWorld(t)
	v := w.logKey.Verifier()
	altered := bytes.Clone(w.plaintext)
	altered[len(altered)/2] ^= 1
	chk, err := CheckSeal(bytes.NewReader(altered), sealed.File, v)
	if err != nil || !chk.Has(FailHashMismatch) || len(chk.Failures) != 1 {
		t.Errorf("one byte changed: %v %v", err, chk.Failures)
	}
	chk, _ = CheckSeal(bytes.NewReader(w.plaintext), sealed.File, nil)
	if !chk.Has(FailNoLogKey) || len(chk.Failures) != 1 {
		t.Errorf("no key: %v", chk.Failures)
	}
	chk, _ = CheckSeal(bytes.NewReader(w.plaintext), []byte("not a seal"), v)
	if !chk.Has(FailMalformed) || chk.Report != nil {
		t.Errorf("not a seal: %v", chk.Failures)
	}
	var text strings.Builder
	chk.WriteText(&text)
	if !strings.Contains(text.String(), "FAIL malformed") {
		t.Errorf("report:\n%s", text.String())
	}
}

func TestQuoteControl(t *testing.T) {
	for in, want := range map[string]string{
		"Dora Díaz":          "Dora Díaz",
		"Eve\nResult  VALID": `Eve\nResult  VALID`,
		"\x1b[2J":            `\x1b[2J`,
		"Eve\u202egnp.exe":   `Eve\u202egnp.exe`,
	} {
		if got := quoteControl(in); got != want {
			t.Errorf("quoteControl(%q) = %q, want %q", in, got, want)
		}
	}
}
