package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
	"vellum.dev/vellum/wasm/client"
)

// openFrom sends links.open for l with pin from the client hc (nil: the
// test server's client).
func (s *testServer) openFrom(hc *http.Client, l *link.Link, pin string) (*protocol.OpenLinkResponse, *response) {
	s.t.Helper()
	p, err := link.ParsePIN(pin)
	if err != nil {
		s.t.Fatal(err)
	}
	body, _ := json.Marshal(&protocol.OpenLinkRequest{SignerID: l.SignerID, Verifier: link.MakeVerifier(l.Secret, p).Encode()})
	if hc == nil {
		hc = s.client
	}
	req, _ := http.NewRequest("POST", s.base+protocol.APIPrefix+"/links/"+l.EnvelopeID+"/open", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, body: b}
	if resp.StatusCode >= 400 {
		r.err = new(protocol.Error)
		if err := json.Unmarshal(b, r.err); err != nil {
			s.t.Fatal(err)
		}
		return nil, r
	}
	var out protocol.OpenLinkResponse
	if err := protocol.DecodeJSON(b, &out, protocol.MaxJSONBody); err != nil {
		s.t.Fatal(err)
	}
	return &out, r
}

func codeOf(r *response) protocol.Code {
	if r.err == nil {
		return ""
	}
	return r.err.Code
}

func otherPIN(p string) string { return p[:5] + string('0'+(p[5]-'0'+1)%10) }

// TestPINLockout: five wrong PINs lock one signer's link (pin_failed ×5,
// link_locked, the sender told); the sixth try is refused even with the
// right PIN and from another address, and still after a restart; another
// signer's link is not locked. The sender's new link opens again, the old
// one and its sessions no longer do.
func TestPINLockout(t *testing.T) {
	s := startServer(t, nil)
	w := newEsignWorld(t, s)
	ctx := context.Background()
	sent, err := w.alice.CreateEnvelope(ctx, w.tid, client.NewEnvelope{DocumentID: w.docID, Signers: []client.EnvelopeSigner{
		{Name: "Dora", Email: "dora@example.org", Phone: doraPhone},
		{Name: "Emil", Email: "emil@example.se", Phone: emilPhone},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dora, emil := sent.Links[0].Link, sent.Links[1].Link
	doraPIN, emilPIN := w.pin(t, doraPhone), w.pin(t, emilPhone)

	// Emil opens his link before anything: a session to end later.
	emilOpen, r := s.openFrom(nil, emil, emilPIN)
	if r.err != nil {
		t.Fatal(r.err)
	}
	for i := range protocol.PINTries {
		want := protocol.CodeAuthFailed
		if i == protocol.PINTries-1 {
			want = protocol.CodeLocked // the wrong PIN that locks says so
		}
		if _, r := s.openFrom(nil, dora, otherPIN(doraPIN)); codeOf(r) != want {
			t.Fatalf("wrong PIN %d: %d %v, want %s", i+1, r.status, r.err, want)
		}
	}
	if _, r := s.openFrom(s.fromIP("127.0.0.2"), dora, doraPIN); codeOf(r) != protocol.CodeLocked {
		t.Fatalf("right PIN after %d wrong ones, from another address: %d %v", protocol.PINTries, r.status, r.err)
	}
	env, err := w.alice.Envelope(ctx, w.tid, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if st := env.Signers[0]; st.State != protocol.SignerLocked || st.FailedTries != protocol.PINTries {
		t.Errorf("the sender sees %+v", st)
	}
	if st := env.Signers[1]; st.State != protocol.SignerOpened || st.FailedTries != 0 {
		t.Errorf("the other signer: %+v", st)
	}
	if n, ok := s.notices.Last("alice@example.com"); !ok || !strings.Contains(n.Subject, "locked") {
		t.Errorf("the sender was not told: %+v", n)
	}
	tid, _ := store.ParseID(w.tid)
	entries, err := audit.Entries(s.store, tid, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[auditlog.Kind]int{}
	for _, e := range entries {
		count[e.Event.Kind]++
		if e.Event.Kind == auditlog.KindPINFailed && (!e.Event.Actor.IsZero() || len(e.Event.Objects) != 2) {
			t.Errorf("pin_failed event %+v", e.Event)
		}
	}
	if count[auditlog.KindPINFailed] != protocol.PINTries || count[auditlog.KindLinkLocked] != 1 {
		t.Errorf("audit: %d pin_failed, %d link_locked", count[auditlog.KindPINFailed], count[auditlog.KindLinkLocked])
	}

	// Emil's link: three wrong PINs, then the right one opens (the count
	// is per link and a good PIN does not reset it); two more wrong ones
	// lock it.
	for range 3 {
		s.openFrom(nil, emil, otherPIN(emilPIN))
	}
	if _, r := s.openFrom(nil, emil, emilPIN); r.err != nil {
		t.Fatalf("another signer's link: %v", r.err)
	}
	for range 2 {
		s.openFrom(nil, emil, otherPIN(emilPIN))
	}
	if _, r := s.openFrom(nil, emil, emilPIN); codeOf(r) != protocol.CodeLocked {
		t.Fatalf("after 3 + 2 wrong PINs: %v", r.err)
	}
	// The sender replaces Emil's locked link: the old link and its session
	// end, the new one opens.
	nl, err := w.alice.ReplaceLink(ctx, w.tid, sent.Envelope.EnvelopeID, emil.SignerID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, r := s.openFrom(nil, emil, emilPIN); codeOf(r) != protocol.CodeAuthFailed {
		t.Errorf("the old link after its replacement: %v", r.err)
	}
	if r := s.call("GET", "/links/"+emil.EnvelopeID, emilOpen.SignerSession, nil, nil); codeOf(r) != protocol.CodeUnauthenticated {
		t.Errorf("a session of the old link: %d %v", r.status, r.err)
	}
	if n := w.auditKinds(t)[auditlog.KindLinkReplaced]; n != 1 {
		t.Errorf("%d link_replaced events, want 1", n)
	}
	newPIN := w.pin(t, emilPhone)
	opened, r := s.openFrom(nil, nl.Link, newPIN)
	if r.err != nil {
		t.Fatalf("the new link: %v", r.err)
	}
	if st := opened.Signer.Signers[1]; st.FailedTries != 1 || st.State != protocol.SignerOpened {
		t.Errorf("after a replacement: %+v (one wrong try since)", st)
	}
	if _, err := link.Unwrap(opened.LinkWrap, nl.Link.Secret, mustPIN(t, newPIN)); err != nil {
		t.Errorf("the new wrap: %v", err)
	}

	// A restart keeps the lock: the right PIN, from yet another address.
	s.shutdown()
	s2 := startServer(t, &serverOptions{dir: s.dir, logKey: s.logKey})
	if _, r := s2.openFrom(s2.fromIP("127.0.0.3"), dora, doraPIN); codeOf(r) != protocol.CodeLocked {
		t.Fatalf("after a restart: %d %v", r.status, r.err)
	}
	if _, r := s2.openFrom(nil, nl.Link, newPIN); r.err != nil {
		t.Fatalf("an unlocked link after a restart: %v", r.err)
	}
}

func mustPIN(t *testing.T, p string) *link.PIN {
	pp, err := link.ParsePIN(p)
	if err != nil {
		t.Fatal(err)
	}
	return pp
}

// statement signs a statement as an outside signer with a fresh key.
func statement(t *testing.T, d [32]byte, envelopeID, name, email string, at time.Time) (*protocol.SubmitSignatureRequest, *keys.SigningKey) {
	t.Helper()
	key := keys.NewSigningKey()
	st, err := seal.Sign(key, seal.Statement{Digest: d, EnvelopeID: envelopeID, SignedAt: at, Attestation: seal.AttestPINVerified,
		Signer: seal.Signer{Kind: seal.SignerExternal, Name: name, Email: email, Key: key.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &protocol.SubmitSignatureRequest{Statement: b, VerifyKey: key.Public().String()}, key
}

// TestSignatureChecks: what the server refuses of statements and seals
// that a client other than wasm/client could send.
func TestSignatureChecks(t *testing.T) {
	s := startServer(t, nil)
	w := newEsignWorld(t, s)
	ctx := context.Background()
	sent, err := w.alice.CreateEnvelope(ctx, w.tid, client.NewEnvelope{DocumentID: w.docID, Order: client.Sequential, Signers: []client.EnvelopeSigner{
		{Name: "Dora", Email: "dora@example.org", Phone: doraPhone},
		{Name: "Emil", Email: "emil@example.se", Phone: emilPhone},
	}})
	if err != nil {
		t.Fatal(err)
	}
	eid := sent.Envelope.EnvelopeID
	dora, r := s.openFrom(nil, sent.Links[0].Link, w.pin(t, doraPhone))
	if r.err != nil {
		t.Fatal(r.err)
	}
	emil, r := s.openFrom(nil, sent.Links[1].Link, w.pin(t, emilPhone))
	if r.err != nil {
		t.Fatal(r.err)
	}
	signPath := "/links/" + eid + "/sign"
	d := sha256Of(w.plaintext)
	now := time.Now()

	// Sessions: none, an account's, one of another envelope's path.
	carol := s.register("carol@example.com")
	for name, tok := range map[string]string{"no session": "", "garbage": "abc", "an account's access token": carol.access} {
		if r := s.call("GET", "/links/"+eid, tok, nil, nil); codeOf(r) != protocol.CodeUnauthenticated {
			t.Errorf("%s: %d %v", name, r.status, r.err)
		}
	}
	if r := s.call("GET", "/links/"+store.NewID().String(), dora.SignerSession, nil, nil); codeOf(r) != protocol.CodeUnauthenticated {
		t.Errorf("a session on another envelope's path: %v", r.err)
	}

	emilReq, _ := statement(t, d, eid, "Emil", "emil@example.se", now)
	if r := s.call("POST", signPath, emil.SignerSession, emilReq, nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("Emil before Dora: %d %v", r.status, r.err)
	}
	for name, c := range map[string]struct {
		req  func() *protocol.SubmitSignatureRequest
		code protocol.Code
	}{
		"another envelope": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, store.NewID().String(), "Dora", "dora@example.org", now)
			return r
		}, protocol.CodeBadRequest},
		"another name": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Mallory", "dora@example.org", now)
			return r
		}, protocol.CodeBadRequest},
		"another address": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Dora", "mallory@example.org", now)
			return r
		}, protocol.CodeBadRequest},
		"last year": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Dora", "dora@example.org", now.AddDate(-1, 0, 0))
			return r
		}, protocol.CodeBadRequest},
		"bad signature": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Dora", "dora@example.org", now)
			r.Statement[len(r.Statement)-1] ^= 1
			return r
		}, protocol.CodeBadSignature},
		"another verify key": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Dora", "dora@example.org", now)
			r.VerifyKey = keys.NewSigningKey().Public().String()
			return r
		}, protocol.CodeBadRequest},
		"not CBOR": {func() *protocol.SubmitSignatureRequest {
			r, _ := statement(t, d, eid, "Dora", "dora@example.org", now)
			r.Statement = []byte("not a statement")
			return r
		}, protocol.CodeBadEncoding},
	} {
		if r := s.call("POST", signPath, dora.SignerSession, c.req(), nil); codeOf(r) != c.code {
			t.Errorf("%s: %d %v, want %s", name, r.status, r.err, c.code)
		}
	}
	doraReq, _ := statement(t, d, eid, "Dora", "dora@example.org", now)
	var view protocol.SignerView
	if r := s.call("POST", signPath, dora.SignerSession, doraReq, &view); r.err != nil {
		t.Fatal(r.err)
	}
	if view.Status != protocol.EnvelopeSent || view.Signers[0].State != protocol.SignerSigned {
		t.Errorf("after Dora signed: %+v", view)
	}
	if r := s.call("POST", signPath, dora.SignerSession, doraReq, nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("signing twice: %v", r.err)
	}
	// Emil signs other bytes: the signers would not agree.
	other, _ := statement(t, sha256Of([]byte("another document")), eid, "Emil", "emil@example.se", now)
	if r := s.call("POST", signPath, emil.SignerSession, other, nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("a statement over other bytes: %v", r.err)
	}
	sealPath := "/links/" + eid + "/seal"
	sealReq := func(sigs ...*protocol.SubmitSignatureRequest) *protocol.SealUploadRequest {
		var signers []seal.Signer
		var sts []seal.SignedStatement
		for _, sg := range sigs {
			st, err := seal.ParseSignedStatement(sg.Statement)
			if err != nil {
				t.Fatal(err)
			}
			signers, sts = append(signers, st.Statement.Signer), append(sts, *st)
		}
		sl, err := seal.New(d, eid, signers, sts, time.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		b, err := sl.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c, h := sl.Commitment(), sha256Of(b)
		return &protocol.SealUploadRequest{Seal: b, Commitment: c[:], SealHash: h[:]}
	}
	if r := s.call("POST", sealPath, dora.SignerSession, sealReq(doraReq, emilReq), nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("a seal before everyone signed: %v", r.err)
	}
	if r := s.call("POST", signPath, emil.SignerSession, emilReq, &view); r.err != nil {
		t.Fatal(r.err)
	}
	if view.Status != protocol.EnvelopeCompleted {
		t.Fatalf("after the last signature: %s", view.Status)
	}
	// A seal whose statement is not the one stored: Emil signs again with
	// another key.
	emilAgain, _ := statement(t, d, eid, "Emil", "emil@example.se", now)
	if r := s.call("POST", sealPath, emil.SignerSession, sealReq(doraReq, emilAgain), nil); codeOf(r) != protocol.CodeBadRequest {
		t.Errorf("a seal of another statement: %v", r.err)
	}
	bad := sealReq(doraReq, emilReq)
	bad.Commitment[0] ^= 1
	if r := s.call("POST", sealPath, emil.SignerSession, bad, nil); codeOf(r) != protocol.CodeBadSignature {
		t.Errorf("a seal with another C: %v", r.err)
	}
	good := sealReq(doraReq, emilReq)
	var rec protocol.SealRecord
	if r := s.call("POST", sealPath, emil.SignerSession, good, &rec); r.err != nil {
		t.Fatal(r.err)
	}
	if !bytes.Equal(rec.Seal, good.Seal) || rec.LeafIndex != 0 {
		t.Errorf("seal record: leaf %d", rec.LeafIndex)
	}
	if r := s.call("POST", sealPath, dora.SignerSession, sealReq(doraReq, emilReq), nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("a second seal: %v", r.err)
	}
	var cp protocol.Checkpoint
	s.must("GET", "/log/checkpoint", "", nil, &cp)
	if !strings.Contains(cp.Checkpoint, "\n1\n") {
		t.Errorf("checkpoint after one seal:\n%s", cp.Checkpoint)
	}
	var leaf protocol.LogLeaf
	s.must("GET", "/log/leaves/0", "", nil, &leaf)
	file, err := (&seal.File{Seal: rec.Seal, Proof: rec.Proof}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.Verify(bytes.NewReader(w.plaintext), file, s.logKey.Verifier()); err != nil {
		t.Errorf("the stored seal does not verify: %v", err)
	}
	if _, err := seal.Verify(bytes.NewReader(append(w.plaintext, 0)), file, s.logKey.Verifier()); err == nil {
		t.Error("the seal verifies another document")
	}
}

func sha256Of(b []byte) [32]byte {
	var d [32]byte
	h, _ := seal.HashFile(bytes.NewReader(b))
	copy(d[:], h[:])
	return d
}

// TestConcurrentWrongPINs: wrong PINs sent at once all count, and exactly
// PINTries of them are compared before the link locks.
func TestConcurrentWrongPINs(t *testing.T) {
	s := startServer(t, nil)
	w := newEsignWorld(t, s)
	sent, err := w.alice.CreateEnvelope(context.Background(), w.tid, client.NewEnvelope{DocumentID: w.docID,
		Signers: []client.EnvelopeSigner{{Name: "Dora", Email: "dora@example.org", Phone: doraPhone}}})
	if err != nil {
		t.Fatal(err)
	}
	l := sent.Links[0].Link
	wrong := mustPIN(t, otherPIN(w.pin(t, doraPhone)))
	body, _ := json.Marshal(&protocol.OpenLinkRequest{SignerID: l.SignerID, Verifier: link.MakeVerifier(l.Secret, wrong).Encode()})
	const tries = 3 * protocol.PINTries
	// Many connections at once: close them before the server shuts down,
	// which waits for open connections.
	t.Cleanup(s.client.CloseIdleConnections)
	codes := make(chan protocol.Code, tries)
	for range tries {
		go func() {
			req, _ := http.NewRequest("POST", s.base+protocol.APIPrefix+"/links/"+l.EnvelopeID+"/open", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := s.client.Do(req)
			if err != nil {
				codes <- "transport"
				return
			}
			defer resp.Body.Close()
			var e protocol.Error
			json.NewDecoder(resp.Body).Decode(&e)
			codes <- e.Code
		}()
	}
	count := map[protocol.Code]int{}
	for range tries {
		count[<-codes]++
	}
	// Every try is counted in turn: PINTries-1 refused as wrong, the one
	// that locks and all later ones as locked.
	if count[protocol.CodeAuthFailed] != protocol.PINTries-1 || count[protocol.CodeLocked] != tries-protocol.PINTries+1 {
		t.Errorf("answers %v", count)
	}
	env, err := w.alice.Envelope(context.Background(), w.tid, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if env.Signers[0].FailedTries != protocol.PINTries || env.Signers[0].State != protocol.SignerLocked {
		t.Errorf("after %d concurrent wrong PINs: %+v", tries, env.Signers[0])
	}
}
