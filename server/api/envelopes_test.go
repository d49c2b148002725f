package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
	"vellum.dev/vellum/wasm/client"
)

// The e-signature flows of wasm/client, driven against the real server.

// bodyRecorder keeps the body of every request that passes through it: what
// the server received.
type bodyRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
}

func (b *bodyRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return b.next.RoundTrip(r)
}

func (b *bodyRecorder) all() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.bodies...)
}

// newClient returns a wasm/client Client of s whose requests rec records.
func (s *testServer) newClient(rec *bodyRecorder) *client.Client {
	rec.next = s.client.Transport
	return client.New(s.base, client.WithHTTPClient(&http.Client{Timeout: time.Minute, Transport: rec}),
		client.WithRetry(2, 10*time.Millisecond))
}

// fromIP returns an HTTP client of s whose connections come from ip (an
// address of the loopback network).
func (s *testServer) fromIP(ip string) *http.Client {
	tr := s.client.Transport.(*http.Transport)
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig: tr.TLSClientConfig,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
			return d.DialContext(ctx, network, s.addr)
		},
	}}
}

var inviteRE = regexp.MustCompile(`/invite/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]+)`)

// esignWorld is a tenant of alice (owner) and bob (member) made with the
// real client, and a document of alice's in a folder.
type esignWorld struct {
	s          *testServer
	rec        *bodyRecorder
	alice, bob *client.Client
	tid, docID string
	plaintext  []byte
}

const (
	envDocMarker  = "CANARY-ESIGN-DOCUMENT-3b9f1e"
	envNameMarker = "CANARY-ESIGN-FILENAME-77c0aa"
	envMsgMarker  = "CANARY-ESIGN-MESSAGE-d41e09"
	doraPhone     = "+4915112345678"
	emilPhone     = "+46701234567"
)

func newEsignWorld(t *testing.T, s *testServer) *esignWorld {
	t.Helper()
	ctx := context.Background()
	w := &esignWorld{s: s, rec: &bodyRecorder{}}
	w.alice, w.bob = s.newClient(w.rec), s.newClient(w.rec)
	for email, c := range map[string]*client.Client{"alice@example.com": w.alice, "bob@example.com": w.bob} {
		reg, err := c.Register(ctx, email, "a long password of "+email)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Finish(ctx, s.lastCode(email)); err != nil {
			t.Fatal(err)
		}
	}
	ten, err := w.alice.CreateTenant(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	w.tid = ten.ID
	inv, err := w.alice.Invite(ctx, w.tid, "bob@example.com", protocol.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.notices.Last("bob@example.com")
	m := inviteRE.FindStringSubmatch(n.Body)
	if m == nil {
		t.Fatal("no invite link")
	}
	if _, err := w.bob.AcceptInvite(ctx, m[1], m[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.alice.AddMember(ctx, w.tid, inv.InviteID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.bob.VerifyMembership(ctx, w.tid); err != nil {
		t.Fatal(err)
	}
	f, err := w.alice.CreateFolder(ctx, w.tid, "", "Contracts")
	if err != nil {
		t.Fatal(err)
	}
	w.plaintext = []byte(strings.Repeat("Contract of sale. "+envDocMarker+"\n", 4000))
	doc, err := w.alice.Upload(ctx, w.tid, f.ID, envNameMarker+".pdf", bytes.NewReader(w.plaintext), int64(len(w.plaintext)))
	if err != nil {
		t.Fatal(err)
	}
	w.docID = doc.ID
	return w
}

// pin returns the PIN in the newest SMS to phone.
func (w *esignWorld) pin(t *testing.T, phone string) string {
	t.Helper()
	n, ok := w.s.notices.Last(phone)
	if !ok || n.Kind != notify.KindSMS {
		t.Fatalf("no SMS to %s", phone)
	}
	m := codeRE.FindStringSubmatch(n.Body)
	if m == nil {
		t.Fatalf("no PIN in the SMS to %s", phone)
	}
	return m[1]
}

// flowSecrets are the secrets an envelope flow made, for the canary.
type flowSecrets struct {
	fragments, pins, verifiers []string
}

// runFlow is the whole path: alice sends the document to Dora (outsider),
// bob (member) and Emil (outsider), in that order; each reads and signs;
// the order is enforced; Emil, the last, seals through his link; everyone
// downloads the document with its .seal file, which verifies with
// keys/seal against the log's key, and whose D is SHA-256 of the bytes
// downloaded.
func runFlow(t *testing.T, w *esignWorld) *flowSecrets {
	t.Helper()
	ctx := context.Background()
	s := w.s
	sent, err := w.alice.CreateEnvelope(ctx, w.tid, client.NewEnvelope{
		DocumentID: w.docID, Order: client.Sequential, Message: "Please sign by Friday. " + envMsgMarker, ExpiresInDays: 7,
		Signers: []client.EnvelopeSigner{
			{Name: "Dora Díaz", Email: "dora@example.org", Phone: doraPhone},
			{AccountID: w.bob.AccountID(), Name: "Bob Berg"},
			{Name: "Emil Ek", Email: "emil@example.se", Phone: emilPhone},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := sent.Envelope
	if env.Status != protocol.EnvelopeSent || len(env.Signers) != 3 || len(sent.Links) != 2 {
		t.Fatalf("sent %+v", env)
	}
	for i, sg := range env.Signers {
		if sg.Order != i+1 || sg.State != protocol.SignerPending {
			t.Errorf("signer %d: %+v", i, sg)
		}
	}
	if env.Signers[1].AccountID != w.bob.AccountID() || env.Signers[1].Email != "bob@example.com" {
		t.Errorf("member signer %+v", env.Signers[1])
	}
	sec := &flowSecrets{}
	pins := map[string]string{}
	for i, phone := range []string{doraPhone, emilPhone} {
		p := w.pin(t, phone)
		l := sent.Links[i].Link
		pp, err := link.ParsePIN(p)
		if err != nil {
			t.Fatal(err)
		}
		pins[l.SignerID] = p
		sec.pins = append(sec.pins, p)
		sec.fragments = append(sec.fragments, l.Secret.Fragment())
		sec.verifiers = append(sec.verifiers, link.MakeVerifier(l.Secret, pp).Encode())
	}
	// Only Dora, the first, is told at once; bob and Emil when it is their turn.
	if _, ok := s.notices.Last("dora@example.org"); !ok {
		t.Error("Dora was not told of the envelope")
	}
	if _, ok := s.notices.Last("emil@example.se"); ok {
		t.Error("Emil was told before his turn")
	}

	doraC, emilC := s.newClient(w.rec), s.newClient(w.rec)
	// Emil's link opens, but he may not sign before Dora and bob.
	es, err := emilC.OpenSigningLink(ctx, sent.Links[1].Link.URL(), pins[sent.Links[1].SignerID])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := es.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := es.Sign(ctx); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("Emil signing first: %v", err)
	}
	bs, err := w.bob.OpenEnvelope(ctx, w.tid, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if bs.SignerID() != env.Signers[1].SignerID {
		t.Fatalf("bob is signer %q", bs.SignerID())
	}
	if _, err := bs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Sign(ctx); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("bob signing before Dora: %v", err)
	}

	ds, err := doraC.OpenSigningLink(ctx, sent.Links[0].Link.URL(), pins[sent.Links[0].SignerID])
	if err != nil {
		t.Fatal(err)
	}
	if name, _, size := ds.Document(); name != envNameMarker+".pdf" || size != int64(len(w.plaintext)) {
		t.Errorf("Dora sees %s of %d bytes", name, size)
	}
	if msg, err := ds.Message(); err != nil || msg != "Please sign by Friday. "+envMsgMarker {
		t.Errorf("message %q %v", msg, err)
	}
	var shown bytes.Buffer
	d, err := ds.ReadDocument(ctx, &shown)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shown.Bytes(), w.plaintext) || d != sha256.Sum256(w.plaintext) {
		t.Fatal("Dora was shown other bytes")
	}
	if last, err := ds.Sign(ctx); err != nil || last {
		t.Fatalf("Dora signs: %v %v", last, err)
	}
	if _, ok := s.notices.Last("emil@example.se"); ok {
		t.Error("Emil was told before bob signed")
	}
	if last, err := bs.Sign(ctx); err != nil || last {
		t.Fatalf("bob signs: %v %v", last, err)
	}
	if _, ok := s.notices.Last("emil@example.se"); !ok {
		t.Error("Emil was not told that it is his turn")
	}
	last, err := es.Sign(ctx)
	if err != nil || !last {
		t.Fatalf("Emil signs last: %v %v", last, err)
	}
	// The key the server publishes is the log's: a client that takes it
	// (no key pinned in its build) seals and checks with the right one.
	published, err := w.alice.PublishedLogKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if published.Name() != s.logKey.Verifier().Name() || published.KeyHash() != s.logKey.Verifier().KeyHash() {
		t.Fatalf("published log key %s+%08x, the log's is %s", published.Name(), published.KeyHash(), s.logKey.VerifierKey())
	}
	sealed, err := es.Seal(ctx, published)
	if err != nil {
		t.Fatal(err)
	}
	if es.Status() != protocol.EnvelopeSealed {
		t.Errorf("after sealing, the sealer's view says %s", es.Status())
	}
	if !sealed.Check.Valid() || sealed.Check.Report.Log == nil {
		t.Fatalf("seal check %v", sealed.Check.Failures)
	}

	as, err := w.alice.OpenEnvelope(ctx, w.tid, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*client.Signing{"alice": as, "bob": bs, "dora": ds, "emil": es} {
		var doc bytes.Buffer
		got, err := g.DownloadSealed(ctx, s.logKey.Verifier(), &doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(doc.Bytes(), w.plaintext) {
			t.Fatalf("%s downloaded other bytes", name)
		}
		rep, err := seal.Verify(bytes.NewReader(doc.Bytes()), got.File, s.logKey.Verifier())
		if err != nil {
			t.Fatalf("%s: the sealed output does not verify: %v", name, err)
		}
		if rep.Digest != sha256.Sum256(doc.Bytes()) || rep.Log == nil || rep.EnvelopeID != env.EnvelopeID {
			t.Errorf("%s: the seal's D is not sha256sum of the file, or it is not logged", name)
		}
		if len(rep.Signers) != 3 || rep.Signers[0].Signer.Kind != seal.SignerExternal || rep.Signers[0].Attestation != seal.AttestPINVerified ||
			rep.Signers[1].Signer.AccountID != w.bob.AccountID() || rep.Signers[1].Attestation != seal.AttestSession ||
			rep.Signers[2].Signer.Name != "Emil Ek" {
			t.Errorf("%s: seal signers %+v", name, rep.Signers)
		}
	}
	// Sealing again gives the stored seal; the envelope is sealed.
	again, err := ds.Seal(ctx, s.logKey.Verifier())
	if err != nil || !bytes.Equal(again.File, sealed.File) {
		t.Errorf("sealing twice: %v", err)
	}
	got, err := w.alice.Envelope(ctx, w.tid, env.EnvelopeID)
	if err != nil || got.Status != protocol.EnvelopeSealed {
		t.Fatalf("after sealing: %+v %v", got, err)
	}
	for _, sg := range got.Signers {
		if sg.State != protocol.SignerSigned || sg.SignedAt == nil || len(sg.Statement) == 0 {
			t.Errorf("signer after sealing %+v", sg)
		}
	}
	l, err := w.alice.Envelopes(ctx, w.tid, "")
	if err != nil || len(l.Envelopes) != 1 || l.Envelopes[0].EnvelopeID != env.EnvelopeID {
		t.Errorf("alice's envelopes: %+v %v", l, err)
	}
	l, err = w.bob.Envelopes(ctx, w.tid, "")
	if err != nil || len(l.Envelopes) != 1 {
		t.Errorf("bob's envelopes: %+v %v", l, err)
	}

	// The audit log records what happened.
	if count := w.auditKinds(t); count[auditlog.KindEnvelopeSent] != 1 || count[auditlog.KindEnvelopeSigned] != 3 || count[auditlog.KindEnvelopeSealed] != 1 {
		t.Errorf("audit events %v", count)
	}
	return sec
}

// auditKinds counts the tenant's audit events by kind.
func (w *esignWorld) auditKinds(t *testing.T) map[auditlog.Kind]int {
	t.Helper()
	count := map[auditlog.Kind]int{}
	for _, e := range w.auditEvents(t) {
		count[e.Kind]++
	}
	return count
}

func (w *esignWorld) auditEvents(t *testing.T) []*auditlog.Event {
	t.Helper()
	tid, _ := store.ParseID(w.tid)
	entries, err := audit.Entries(w.s.store, tid, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*auditlog.Event, len(entries))
	for i, e := range entries {
		out[i] = e.Event
	}
	return out
}

func TestEnvelopeFlow(t *testing.T) {
	s := startServer(t, nil)
	w := newEsignWorld(t, s)
	runFlow(t, w)
	for _, to := range []string{"alice@example.com", "dora@example.org", "emil@example.se", "bob@example.com"} {
		n, ok := s.notices.Last(to)
		if !ok || !strings.Contains(n.Subject, "sealed") {
			t.Errorf("%s was not told of the seal: %+v", to, n)
		}
	}
}

// TestEnvelopeCanary: after the whole flow, the Pebble directory, the
// server's log and every request body the server received hold no
// plaintext, file name or message, no link secret; the PINs are in no file
// and no log line, and in request bodies only in the field the SMS sender
// relays; the PIN verifiers are in no file and no log line, and only in the
// bodies of links.open.
func TestEnvelopeCanary(t *testing.T) {
	s := startServer(t, nil)
	w := newEsignWorld(t, s)
	sec := runFlow(t, w)
	s.shutdown()

	clear := [][]byte{[]byte(envDocMarker), []byte(envNameMarker), []byte(envMsgMarker)}
	for _, f := range sec.fragments {
		clear = append(clear, []byte(f))
	}
	secrets := append([][]byte(nil), clear...)
	for _, v := range sec.verifiers {
		secrets = append(secrets, []byte(v))
	}
	hits := 0
	check := func(where string, b []byte) {
		for _, m := range secrets {
			if bytes.Contains(b, m) {
				hits++
				t.Errorf("%s holds %.12s…", where, m)
			}
		}
		for _, p := range sec.pins {
			if containsNumber(b, p) {
				hits++
				t.Errorf("%s holds a PIN", where)
			}
		}
	}
	walk(t, s.dir, check)
	check("the server's log", s.logs.Bytes())

	// The recorder saw what it must: each PIN once in its field, each
	// verifier in links.open.
	all := bytes.Join(w.rec.all(), nil)
	for i := range sec.pins {
		if !bytes.Contains(all, []byte(`"pin":"`+sec.pins[i]+`"`)) || !bytes.Contains(all, []byte(`"verifier":"`+sec.verifiers[i]+`"`)) {
			t.Fatal("the recorded request bodies lack a PIN to relay or a verifier: the recorder is broken")
		}
	}
	for i, b := range w.rec.all() {
		for _, m := range clear {
			if bytes.Contains(b, m) {
				hits++
				t.Errorf("request body %d holds %.12s…", i, m)
			}
		}
		for _, p := range sec.pins {
			if strings.Count(string(b), p) != strings.Count(string(b), `"pin":"`+p+`"`) {
				hits++
				t.Errorf("request body %d holds a PIN outside the field to relay", i)
			}
		}
		for _, v := range sec.verifiers {
			if strings.Count(string(b), v) != strings.Count(string(b), `"verifier":"`+v+`"`) {
				hits++
				t.Errorf("request body %d holds a PIN verifier outside links.open", i)
			}
		}
	}
	for _, n := range s.notices.Notices() {
		for _, m := range clear {
			if strings.Contains(n.Body+n.Subject, string(m)) {
				hits++
				t.Errorf("a notice holds %.12s…", m)
			}
		}
		for i, p := range sec.pins {
			phone := []string{doraPhone, emilPhone}[i]
			if strings.Contains(n.Body, p) && n.To != phone {
				hits++
				t.Errorf("a notice to %s holds a PIN", n.To)
			}
		}
	}
	if hits != 0 {
		t.Errorf("%d hits", hits)
	}
}

// containsNumber reports whether b holds the decimal number n, not as part
// of a longer run of digits.
func containsNumber(b []byte, n string) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(n))
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(n)
		if (at == 0 || !isDigit(b[at-1])) && (end == len(b) || !isDigit(b[end])) {
			return true
		}
		i = at + 1
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// walk runs check on every file under dir.
func walk(t *testing.T, dir string, check func(where string, b []byte)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		check(path, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
