//go:build !js

package client_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
	"vellum.dev/vellum/wasm/client"
)

// server is a real vellumd API (server/api over server/httpd and a Pebble
// store in a temporary directory) on loopback TLS with a self-signed
// certificate, its notices recorded.
type server struct {
	base    string
	tls     *tls.Config
	addr    string
	notices *notify.Recorder
}

func startServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), &store.Options{MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := session.New(session.Config{Keyset: session.NewKeyset(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	osrv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	rec := &notify.Recorder{}
	logger := slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := api.New(api.Config{
		Store: st, Sessions: sess, OPAQUE: osrv, Notifier: rec, Logger: logger, Origin: "https://localhost",
		Limits: api.Limits{
			PerIP:      ratelimit.New(ratelimit.Config{Burst: 100000, Refill: time.Microsecond}),
			Guess:      ratelimit.New(ratelimit.Config{Burst: 100000, Refill: time.Microsecond}),
			PerAccount: ratelimit.New(ratelimit.Config{Burst: 1000, Refill: time.Millisecond}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := httpd.LoadCertificate("", "", filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := httpd.Listen(httpd.Config{Addr: "127.0.0.1:0", TLS: httpd.TLSConfig(cert), Handler: a.Handler(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	pem, err := os.ReadFile(filepath.Join(dir, "tls", "localhost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	_, port, _ := net.SplitHostPort(hs.Addr().String())
	return &server{base: "https://localhost:" + port, tls: &tls.Config{RootCAs: pool}, addr: hs.Addr().String(), notices: rec}
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// transport is the client's HTTP transport to the test server, trusting
// its certificate. Its RoundTripper can be wrapped to inject faults. Its
// connections are closed before the server shuts down (cleanups run last
// first), so that the server's shutdown meets no idle connection.
func (s *server) transport(t *testing.T) *http.Transport {
	tr := &http.Transport{
		TLSClientConfig: s.tls,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, s.addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func (s *server) client(t *testing.T, opts ...client.Option) *client.Client {
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: s.transport(t)}
	return client.New(s.base, append([]client.Option{client.WithHTTPClient(hc), client.WithRetry(3, 10*time.Millisecond)}, opts...)...)
}

var codeRE = regexp.MustCompile(`\b(\d{6,10})\b`)

// code returns the code in the newest notice to an address.
func (s *server) code(t *testing.T, to string) string {
	t.Helper()
	n, ok := s.notices.Last(to)
	if !ok {
		t.Fatalf("no notice to %s", to)
	}
	m := codeRE.FindStringSubmatch(n.Body)
	if m == nil {
		t.Fatalf("no code in the notice to %s", to)
	}
	return m[1]
}

// register signs up email on c and returns the recovery code.
func (s *server) register(t *testing.T, c *client.Client, email, password string) string {
	t.Helper()
	ctx := context.Background()
	reg, err := c.Register(ctx, email, password)
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	if got := reg.String(); strings.Contains(got, password) {
		t.Fatal("a registration prints its secrets")
	}
	if _, err := reg.Finish(ctx, "000000"); protocol.CodeOf(err) != protocol.CodeAuthFailed {
		t.Fatalf("wrong code: %v, want auth_failed", err)
	}
	rc, err := reg.Finish(ctx, s.code(t, email))
	if err != nil {
		t.Fatalf("finishing the registration of %s: %v", email, err)
	}
	if !c.Unlocked() || c.Email() != email || c.AccountID() == "" {
		t.Fatalf("after registering: unlocked %v, email %q, account %q", c.Unlocked(), c.Email(), c.AccountID())
	}
	return rc.Reveal()
}

func TestIntegrationAccount(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	const email, password = "alice@example.com", "correct horse battery staple"

	// Sign up in one browser; it is trusted at once.
	c1 := s.client(t)
	recovery := s.register(t, c1, email, password)
	if err := c1.Logout(ctx, false); err != nil {
		t.Fatal(err)
	}
	if c1.Unlocked() {
		t.Error("unlocked after logout")
	}
	if err := c1.Login(ctx, email, password); err != nil {
		t.Fatalf("login on the trusted device: %v", err)
	}
	if !c1.Unlocked() {
		t.Fatal("not unlocked")
	}
	if err := c1.Refresh(ctx); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := c1.Tenants(ctx); err != nil {
		t.Fatalf("a call after refresh: %v", err)
	}

	// A second browser: a wrong password, then a device code.
	c2 := s.client(t)
	if err := c2.Login(ctx, email, "wrong password"); protocol.CodeOf(err) != protocol.CodeAuthFailed {
		t.Fatalf("wrong password: %v", err)
	}
	err := c2.Login(ctx, email, password)
	var dv *client.DeviceVerificationError
	if !errors.Is(err, client.ErrDeviceVerificationNeeded) || !errors.As(err, &dv) {
		t.Fatalf("new device: %v, want ErrDeviceVerificationNeeded", err)
	}
	if err := c2.VerifyDevice(ctx, "000000"); protocol.CodeOf(err) != protocol.CodeAuthFailed {
		t.Fatalf("wrong device code: %v", err)
	}
	if err := c2.VerifyDevice(ctx, s.code(t, email)); err != nil {
		t.Fatalf("device code: %v", err)
	}
	if !c2.Unlocked() || c2.AccountID() != c1.AccountID() {
		t.Fatal("the second browser is not the same unlocked account")
	}
	// Now trusted: the next login needs no code.
	if err := c2.Logout(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := c2.Login(ctx, email, password); err != nil {
		t.Fatalf("login on the newly trusted device: %v", err)
	}
	pub1, _ := c1.PublicKeyring()
	pub2, _ := c2.PublicKeyring()
	if !pub1.Equal(pub2) {
		t.Error("two keyrings for one account")
	}

	// The recovery code checks out against the wrap made at sign-up.
	if err := c2.UnlockWithRecoveryCode(ctx, "0000-0000-0000-0000-0000-0000-0000"); err == nil {
		t.Error("a wrong recovery code unlocked")
	}
	_ = recovery

	// Logging out everywhere ends the other browser's session too.
	if err := c2.Logout(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Tenants(ctx); protocol.CodeOf(err) != protocol.CodeUnauthenticated {
		t.Errorf("after logout everywhere: %v, want unauthenticated", err)
	}
}

// TestIntegrationDeviceProof: a login from a trusted device is confirmed by
// the device's key (the server's challenge, answered inside Login); a
// browser whose stored device key is not the one the server holds for its
// id forgets it and signs in as a new browser, with an e-mailed code.
func TestIntegrationDeviceProof(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	const email, password = "dora@example.com", "correct horse battery staple"
	devices := client.NewMemoryDeviceStore()
	c := s.client(t, client.WithDeviceStore(devices))
	s.register(t, c, email, password)
	if err := c.Logout(ctx, false); err != nil {
		t.Fatal(err)
	}
	sent := len(s.notices.Notices())
	if err := c.Login(ctx, email, password); err != nil || !c.Unlocked() {
		t.Fatalf("login on the trusted device: %v", err)
	}
	if n := len(s.notices.Notices()); n != sent {
		t.Fatalf("a login on the trusted device sent %d notices", n-sent)
	}
	if err := c.Logout(ctx, false); err != nil {
		t.Fatal(err)
	}

	// The same device id with another key: the id alone does not sign in.
	d, err := devices.LoadDevice(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := devices.SaveDevice(ctx, email, &client.Device{ID: d.ID, Identity: keys.NewIdentity()}); err != nil {
		t.Fatal(err)
	}
	err = c.Login(ctx, email, password)
	if !errors.Is(err, client.ErrDeviceVerificationNeeded) {
		t.Fatalf("login with another key under the device's id: %v, want ErrDeviceVerificationNeeded", err)
	}
	if _, err := devices.LoadDevice(ctx, email); !errors.Is(err, client.ErrNoDevice) {
		t.Fatalf("the unrecognized device was kept: %v", err)
	}
	if err := c.VerifyDevice(ctx, s.code(t, email)); err != nil || !c.Unlocked() {
		t.Fatalf("device code: %v", err)
	}
	if nd, err := devices.LoadDevice(ctx, email); err != nil || nd.ID == d.ID {
		t.Fatalf("after the code, the browser is trusted as a new device: %+v %v", nd, err)
	}
}

// dropOnce wraps a transport and loses the reply of the n-th chunk PUT
// after the server has stored it: the client must find out from the
// server's committed offset and go on.
type dropOnce struct {
	next  http.RoundTripper
	mu    sync.Mutex
	n     int
	puts  int
	drops int
	gets  int
}

func (d *dropOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	isChunk := r.Method == "PUT" && strings.Contains(r.URL.Path, "/uploads/")
	d.mu.Lock()
	if r.Method == "GET" && strings.Contains(r.URL.Path, "/uploads/") {
		d.gets++
	}
	drop := false
	if isChunk {
		d.puts++
		drop = d.puts == d.n
	}
	d.mu.Unlock()
	resp, err := d.next.RoundTrip(r)
	if err != nil || !drop {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d.mu.Lock()
	d.drops++
	d.mu.Unlock()
	return nil, errors.New("injected: connection dropped after the chunk was sent")
}

var inviteRE = regexp.MustCompile(`/invite/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]+)`)

// inviteToken returns the invite id and token of the newest invite to an
// address, from the link in its e-mail.
func (s *server) inviteToken(t *testing.T, to string) (string, string) {
	t.Helper()
	n, ok := s.notices.Last(to)
	if !ok {
		t.Fatalf("no notice to %s", to)
	}
	m := inviteRE.FindStringSubmatch(n.Body)
	if m == nil {
		t.Fatalf("no invite link in the notice to %s", to)
	}
	return m[1], m[2]
}

// pattern returns n bytes that do not repeat with a short period.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// TestIntegrationShare is the whole path through the real server: sign-up
// and login, a tenant with a pinned genesis, an invitation accepted and the
// member added with checked keys, a folder, a 5 MiB upload whose connection
// drops once, a share to the member from the verified membership, and the
// member's download, byte for byte.
func TestIntegrationShare(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()

	var progress []client.Progress
	drops := &dropOnce{next: s.transport(t), n: 3}
	alice := client.New(s.base,
		client.WithHTTPClient(&http.Client{Timeout: 2 * time.Minute, Transport: drops}),
		client.WithRetry(3, 10*time.Millisecond), client.WithChunkSize(1<<20),
		client.WithProgress(func(p client.Progress) { progress = append(progress, p) }))
	bob := s.client(t)
	s.register(t, alice, "alice@example.com", "alice's long password")
	s.register(t, bob, "bob@example.com", "bob's long password")

	// A tenant: alice's client signs the genesis and pins it.
	tenant, err := alice.CreateTenant(ctx, "Acme Corp")
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	if tenant.Name != "Acme Corp" || tenant.Role != protocol.RoleOwner {
		t.Errorf("tenant %+v", tenant)
	}
	tid := tenant.ID

	// Bob is invited, accepts, and alice's client adds him with the keys of
	// his published keyring.
	inv, err := alice.Invite(ctx, tid, "bob@example.com", protocol.RoleMember)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	id, token := s.inviteToken(t, "bob@example.com")
	if id != inv.InviteID {
		t.Fatalf("invite link for %s, created %s", id, inv.InviteID)
	}
	if _, err := bob.AcceptInvite(ctx, id, token); err != nil {
		t.Fatalf("accept: %v", err)
	}
	added, err := alice.AddMember(ctx, tid, inv.InviteID)
	if err != nil {
		t.Fatalf("add member: %v", err)
	}
	bobKeys, _ := bob.PublicKeyring()
	if added.AccountID != bob.AccountID() || added.VerifyKey != bobKeys.VerifyKey || !added.Recipient.Equal(bobKeys.Recipient) {
		t.Fatalf("added %+v, bob is %s", added, bob.AccountID())
	}

	// Bob's first look pins the genesis; alice's client pinned it at creation.
	mb, err := bob.VerifyMembership(ctx, tid)
	if err != nil {
		t.Fatalf("bob verifies membership: %v", err)
	}
	ma, err := alice.VerifyMembership(ctx, tid)
	if err != nil {
		t.Fatalf("alice verifies membership: %v", err)
	}
	if !mb.FirstUse || ma.FirstUse || mb.Pin != ma.Pin || len(mb.Members) != 2 || mb.OwnerFingerprint != ma.OwnerFingerprint {
		t.Fatalf("bob %+v\nalice %+v", mb, ma)
	}

	// A folder and a 5 MiB document; the third chunk's reply is lost.
	folder, err := alice.CreateFolder(ctx, tid, "", "Contracts 2026")
	if err != nil {
		t.Fatalf("create folder: %v", err)
	}
	data := pattern(5 << 20)
	doc, err := alice.Upload(ctx, tid, folder.ID, "master agreement.pdf", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if drops.drops != 1 || drops.gets < 1 {
		t.Errorf("%d drops, %d status requests: the fault was not injected and resumed", drops.drops, drops.gets)
	}
	if len(progress) == 0 || progress[len(progress)-1].Done != doc.CipherSize {
		t.Errorf("progress %v", progress)
	}
	if doc.Name != "master agreement.pdf" || doc.Type != "application/pdf" || doc.Size != int64(len(data)) {
		t.Errorf("document %+v", doc)
	}

	// Before a share, bob has no key.
	if _, err := bob.Download(ctx, tid, doc.ID, 0); err == nil {
		t.Fatal("bob downloaded before the share")
	}

	// Alice shares the folder; bob's recipient comes from the chain.
	if _, err := alice.Share(ctx, tid, client.FolderObject(folder.ID), bob.AccountID()); err != nil {
		t.Fatalf("share: %v", err)
	}
	folders, err := bob.ListFolders(ctx, tid, "")
	if err != nil {
		t.Fatalf("bob lists folders: %v", err)
	}
	if len(folders) != 1 || folders[0].Name != "Contracts 2026" || folders[0].Err != nil {
		t.Fatalf("bob sees %+v", folders)
	}
	docs, err := bob.ListDocuments(ctx, tid, folder.ID)
	if err != nil {
		t.Fatalf("bob lists documents: %v", err)
	}
	if len(docs) != 1 || docs[0].Name != "master agreement.pdf" || docs[0].Size != int64(len(data)) || docs[0].Err != nil {
		t.Fatalf("bob sees %+v", docs)
	}
	dl, err := bob.Download(ctx, tid, doc.ID, 0)
	if err != nil {
		t.Fatalf("bob downloads: %v", err)
	}
	var got bytes.Buffer
	if _, err := dl.WriteTo(&got); err != nil {
		t.Fatalf("bob reads: %v", err)
	}
	dl.Close()
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatal("bob's download differs from what alice uploaded")
	}
}

// twoMembers signs up alice and bob and makes a tenant of alice's with bob
// as a member.
func twoMembers(t *testing.T, s *server) (alice, bob *client.Client, tid string) {
	t.Helper()
	return twoMembersWith(t, s)
}

// twoMembersWith is twoMembers with options for alice's client.
func twoMembersWith(t *testing.T, s *server, aliceOpts ...client.Option) (alice, bob *client.Client, tid string) {
	t.Helper()
	ctx := context.Background()
	alice, bob = s.client(t, aliceOpts...), s.client(t)
	s.register(t, alice, "alice@example.com", "alice's long password")
	s.register(t, bob, "bob@example.com", "bob's long password")
	tenant, err := alice.CreateTenant(ctx, "Acme Corp")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := alice.Invite(ctx, tenant.ID, "bob@example.com", protocol.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	id, token := s.inviteToken(t, "bob@example.com")
	if _, err := bob.AcceptInvite(ctx, id, token); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.AddMember(ctx, tenant.ID, inv.InviteID); err != nil {
		t.Fatal(err)
	}
	return alice, bob, tenant.ID
}

func upload(t *testing.T, c *client.Client, tid, folderID, name string, data []byte) *client.Document {
	t.Helper()
	d, err := c.Upload(context.Background(), tid, folderID, name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return d
}

func download(t *testing.T, c *client.Client, tid, docID string, version uint32) []byte {
	t.Helper()
	dl, err := c.Download(context.Background(), tid, docID, version)
	if err != nil {
		t.Fatalf("download %s: %v", docID, err)
	}
	defer dl.Close()
	b, err := io.ReadAll(dl)
	if err != nil {
		t.Fatalf("reading %s: %v", docID, err)
	}
	return b
}

// TestIntegrationSharedWithMe: a document shared one by one is listed for
// its grantee, named, though the grantee cannot open its folder; a folder's
// share lists nothing there; a deleted document leaves the list.
func TestIntegrationSharedWithMe(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	alice, bob, tid := twoMembers(t, s)
	shared := func(c *client.Client) []string {
		t.Helper()
		ds, err := c.SharedWithMe(ctx, tid)
		if err != nil {
			t.Fatalf("shared with me: %v", err)
		}
		var names []string
		for _, d := range ds {
			if d.Err != nil {
				t.Fatalf("shared document %s: %v", d.ID, d.Err)
			}
			names = append(names, d.Name)
		}
		return names
	}
	private, err := alice.CreateFolder(ctx, tid, "", "Board")
	if err != nil {
		t.Fatal(err)
	}
	team, err := alice.CreateFolder(ctx, tid, "", "Team")
	if err != nil {
		t.Fatal(err)
	}
	minutes := upload(t, alice, tid, private.ID, "minutes.txt", []byte("the board met"))
	budget := upload(t, alice, tid, private.ID, "budget.csv", []byte("a,b\n1,2\n"))
	upload(t, alice, tid, team.ID, "roster.txt", []byte("alice, bob"))
	if got := shared(bob); len(got) != 0 {
		t.Fatalf("before any share bob sees %q", got)
	}
	if _, err := alice.Share(ctx, tid, client.FolderObject(team.ID), bob.AccountID()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Share(ctx, tid, client.DocumentObject(minutes.ID), bob.AccountID()); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Share(ctx, tid, client.DocumentObject(budget.ID), bob.AccountID()); err != nil {
		t.Fatal(err)
	}
	// (Newest first; the two may share a timestamp, so compare as a set.)
	if got := shared(bob); len(got) != 2 || !slices.Contains(got, "budget.csv") || !slices.Contains(got, "minutes.txt") {
		t.Fatalf("bob's shared documents %q, want budget.csv and minutes.txt", got)
	}
	if _, err := bob.ListDocuments(ctx, tid, private.ID); err == nil {
		t.Fatal("bob lists the folder he was not given")
	}
	if b := download(t, bob, tid, minutes.ID, 0); string(b) != "the board met" {
		t.Fatalf("bob downloads %q", b)
	}
	if got := shared(alice); len(got) != 0 {
		t.Fatalf("alice, who shared nothing with herself, sees %q", got)
	}
	if err := alice.DeleteDocument(ctx, tid, budget.ID); err != nil {
		t.Fatal(err)
	}
	if got := shared(bob); len(got) != 1 || got[0] != "minutes.txt" {
		t.Fatalf("after a deletion bob sees %q", got)
	}
}

// TestIntegrationLifecycle goes through the rest of the client against the
// real server: folders renamed and moved, versions, a rename by re-upload,
// access requests approved and denied, revocation, roles, removal with
// folder rotation and lazy re-wraps, and the audit log checked.
func TestIntegrationLifecycle(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	alice, bob, tid := twoMembers(t, s)

	// Folders: a tree, renamed and moved.
	legal, err := alice.CreateFolder(ctx, tid, "", "Legal")
	if err != nil {
		t.Fatal(err)
	}
	hr, err := alice.CreateFolder(ctx, tid, "", "HR")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := alice.CreateFolder(ctx, tid, legal.ID, "Drafts")
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.RenameFolder(ctx, tid, sub.ID, "Old drafts"); err != nil {
		t.Fatalf("rename folder: %v", err)
	}
	if err := alice.MoveFolder(ctx, tid, sub.ID, hr.ID); err != nil {
		t.Fatalf("move folder: %v", err)
	}
	under, err := alice.ListFolders(ctx, tid, hr.ID)
	if err != nil || len(under) != 1 || under[0].Name != "Old drafts" {
		t.Fatalf("folders under HR: %+v %v", under, err)
	}

	// Versions of a document, and a rename, which makes none.
	v1, v2 := pattern(70000), pattern(150000)[1000:]
	doc := upload(t, alice, tid, legal.ID, "nda.txt", v1)
	if _, err := alice.UploadVersion(ctx, tid, doc.ID, bytes.NewReader(v2), int64(len(v2))); err != nil {
		t.Fatalf("new version: %v", err)
	}
	rn, err := alice.RenameDocument(ctx, tid, doc.ID, "nda-signed.txt")
	if err != nil {
		t.Fatalf("rename document: %v", err)
	}
	if rn.Name != "nda-signed.txt" || rn.Version != 2 || rn.Size != int64(len(v2)) || rn.Type != "text/plain; charset=utf-8" {
		t.Fatalf("renamed: %+v", rn)
	}
	vs, err := alice.Versions(ctx, tid, doc.ID)
	if err != nil || len(vs) != 2 || vs[0].Name != "nda.txt" || vs[1].Name != "nda-signed.txt" || vs[1].Size != int64(len(v2)) {
		t.Fatalf("versions %+v %v", vs, err)
	}

	// A document moved from Legal to HR: its versions' keys go to HR's key.
	memo := upload(t, alice, tid, legal.ID, "memo.txt", v1)
	if _, err := alice.UploadVersion(ctx, tid, memo.ID, bytes.NewReader(v2), int64(len(v2))); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.MoveDocument(ctx, tid, memo.ID, legal.ID); protocol.CodeOf(err) != protocol.CodeBadRequest {
		t.Fatalf("a move into the same folder: %v", err)
	}
	mv, err := alice.MoveDocument(ctx, tid, memo.ID, hr.ID)
	if err != nil {
		t.Fatalf("move document: %v", err)
	}
	if mv.FolderID != hr.ID || mv.Name != "memo.txt" || mv.Version != 2 {
		t.Fatalf("moved: %+v", mv)
	}
	if inHR, err := alice.ListDocuments(ctx, tid, hr.ID); err != nil || len(inHR) != 1 || inHR[0].ID != memo.ID || inHR[0].Err != nil {
		t.Fatalf("documents in HR: %+v %v", inHR, err)
	}
	if inLegal, err := alice.ListDocuments(ctx, tid, legal.ID); err != nil || len(inLegal) != 1 || inLegal[0].ID != doc.ID {
		t.Fatalf("documents in Legal: %+v %v", inLegal, err)
	}
	if got := download(t, alice, tid, memo.ID, 1); !bytes.Equal(got, v1) {
		t.Error("version 1 of the moved document differs")
	}
	if got := download(t, alice, tid, memo.ID, 0); !bytes.Equal(got, v2) {
		t.Error("the moved document differs")
	}
	if got := download(t, alice, tid, doc.ID, 1); !bytes.Equal(got, v1) {
		t.Error("version 1 differs")
	}
	if got := download(t, alice, tid, doc.ID, 0); !bytes.Equal(got, v2) {
		t.Error("the current version differs")
	}

	// Bob asks for the document; alice approves with a grant her client
	// makes. A second request is denied.
	req, err := bob.RequestAccess(ctx, tid, client.DocumentObject(doc.ID), "for the audit")
	if err != nil {
		t.Fatalf("request access: %v", err)
	}
	pending, err := alice.PendingRequests(ctx, tid)
	if err != nil || len(pending) != 1 || pending[0].RequestID != req.RequestID {
		t.Fatalf("pending %+v %v", pending, err)
	}
	g, err := alice.Approve(ctx, tid, &pending[0])
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if got := download(t, bob, tid, doc.ID, 0); !bytes.Equal(got, v2) {
		t.Error("bob's download after approval differs")
	}
	hrDoc := upload(t, alice, tid, hr.ID, "salaries.csv", []byte("name,salary\nalice,1\n"))
	req2, err := bob.RequestAccess(ctx, tid, client.FolderObject(hr.ID), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.Deny(ctx, tid, req2.RequestID, "no"); err != nil {
		t.Fatalf("deny: %v", err)
	}
	if _, err := bob.Download(ctx, tid, hrDoc.ID, 0); err == nil {
		t.Error("bob opened a document of a folder he was denied")
	}
	// Revoking the document grant: the server stops serving it.
	if err := alice.Revoke(ctx, tid, g.GrantID); err != nil {
		t.Fatalf("revoke: %v", err)
	}

	// Bob gets the Legal folder, becomes admin and back, then is removed:
	// alice's client rotates Legal, and the re-wrap moves its documents'
	// keys to the new version.
	if _, err := alice.Share(ctx, tid, client.FolderObject(legal.ID), bob.AccountID()); err != nil {
		t.Fatal(err)
	}
	if err := alice.ChangeRole(ctx, tid, bob.AccountID(), protocol.RoleAdmin); err != nil {
		t.Fatalf("change role: %v", err)
	}
	if err := alice.ChangeRole(ctx, tid, bob.AccountID(), protocol.RoleMember); err != nil {
		t.Fatalf("change role back: %v", err)
	}
	members, err := bob.Members(ctx, tid)
	if err != nil || len(members) != 2 {
		t.Fatalf("members %+v %v", members, err)
	}
	rotated, err := alice.RemoveMember(ctx, tid, bob.AccountID())
	if err != nil {
		t.Fatalf("remove member: %v", err)
	}
	if len(rotated) != 1 || rotated[0] != legal.ID {
		t.Fatalf("rotated %v, want [%s]", rotated, legal.ID)
	}
	f, err := alice.Folder(ctx, tid, legal.ID)
	if err != nil || f.KeyVersion != 2 || f.Name != "Legal" {
		t.Fatalf("after rotation: %+v %v", f, err)
	}
	n, err := alice.RewrapFolder(ctx, tid, legal.ID)
	if err != nil || n != 2 {
		t.Fatalf("rewrapped %d %v, want the 2 versions", n, err)
	}
	if got := download(t, alice, tid, doc.ID, 1); !bytes.Equal(got, v1) {
		t.Error("version 1 after the re-wrap differs")
	}
	after := upload(t, alice, tid, legal.ID, "after.txt", []byte("new key version"))
	if got := download(t, alice, tid, after.ID, 0); string(got) != "new key version" {
		t.Error("a document under the new key version")
	}
	if _, err := bob.ListFolders(ctx, tid, ""); err == nil {
		t.Error("a removed member still lists the tenant's folders")
	}

	// The audit log: pages continue the chain, and the export checks out.
	var events []client.AuditEvent
	for cursor, first := "", true; first || cursor != ""; first = false {
		p, err := alice.AuditLog(ctx, tid, cursor)
		if err != nil {
			t.Fatalf("audit page: %v", err)
		}
		if !p.Verified {
			t.Error("an audit page in order was not verified")
		}
		events = append(events, p.Events...)
		cursor = p.NextCursor
	}
	var export bytes.Buffer
	head, err := alice.ExportAudit(ctx, tid, &export)
	if err != nil {
		t.Fatalf("audit export: %v", err)
	}
	if head.Seq < uint64(len(events)) || len(events) == 0 {
		t.Errorf("export head %d, %d events listed", head.Seq, len(events))
	}
	kinds := map[string]bool{}
	for _, e := range events {
		kinds[e.KindName] = true
	}
	for _, k := range []string{"member_added", "member_removed", "role_changed", "document_uploaded", "grant_created", "folder_rotated",
		"document_renamed", "document_moved"} {
		if !kinds[k] {
			t.Errorf("no %s event in %v", k, kinds)
		}
	}
	if _, err := client.VerifyAuditExport(bytes.NewReader(export.Bytes()), tid, head); err != nil {
		t.Errorf("the export offline: %v", err)
	}

	if err := alice.DeleteDocument(ctx, tid, after.ID); err != nil {
		t.Fatalf("delete document: %v", err)
	}
	if err := alice.DeleteFolder(ctx, tid, sub.ID); err != nil {
		t.Fatalf("delete folder: %v", err)
	}
}

// recording keeps every request a client sends: URL, headers and body.
type recording struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent [][]byte
}

func (r *recording) RoundTrip(q *http.Request) (*http.Response, error) {
	var b bytes.Buffer
	b.WriteString(q.Method + " " + q.URL.String() + "\n")
	for k, v := range q.Header {
		b.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	if q.Body != nil {
		body, err := io.ReadAll(q.Body)
		if err != nil {
			return nil, err
		}
		q.Body.Close()
		b.Write(body)
		q.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.sent = append(r.sent, b.Bytes())
	r.mu.Unlock()
	return r.next.RoundTrip(q)
}

// contains finds marker in b as it is or inside standard base64 (JSON byte
// fields), at any alignment.
func contains(b, marker []byte) bool {
	if bytes.Contains(b, marker) {
		return true
	}
	for off := 0; off < 3; off++ {
		e := base64.StdEncoding.EncodeToString(append(make([]byte, off), marker...))
		if inner := e[(4*off+2)/3 : (4*(off+len(marker)))/3]; strings.Contains(string(b), inner) {
			return true
		}
	}
	return false
}

// TestIntegrationCanary sends marked secrets and plaintext through the whole
// path and searches every request the clients made for them: none may
// leave the client in clear (the server may learn the tenant's name and
// e-mail addresses, DESIGN §1).
func TestIntegrationCanary(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	rec := &recording{next: s.transport(t)}
	mk := func() *client.Client {
		return client.New(s.base, client.WithHTTPClient(&http.Client{Transport: rec}), client.WithChunkSize(64<<10))
	}
	const (
		pwA     = "CANARY-password-of-alice"
		pwB     = "CANARY-password-of-bob"
		folderN = "CANARY folder name"
		fileN   = "CANARY-file-name.txt"
	)
	content := bytes.Repeat([]byte("CANARY-CONTENT "), 20000)
	alice, bob := mk(), mk()
	rcA := s.register(t, alice, "alice@example.com", pwA)
	rcB := s.register(t, bob, "bob@example.com", pwB)
	// A second browser of bob's, to send the password through a new-device
	// login too.
	bob2 := mk()
	if err := bob2.Login(ctx, "bob@example.com", pwB); !errors.Is(err, client.ErrDeviceVerificationNeeded) {
		t.Fatal(err)
	}
	if err := bob2.VerifyDevice(ctx, s.code(t, "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	tenant, err := alice.CreateTenant(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := alice.Invite(ctx, tenant.ID, "bob@example.com", protocol.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	id, token := s.inviteToken(t, "bob@example.com")
	if _, err := bob.AcceptInvite(ctx, id, token); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.AddMember(ctx, tenant.ID, inv.InviteID); err != nil {
		t.Fatal(err)
	}
	f, err := alice.CreateFolder(ctx, tenant.ID, "", folderN)
	if err != nil {
		t.Fatal(err)
	}
	doc := upload(t, alice, tenant.ID, f.ID, fileN, content)
	if _, err := alice.Share(ctx, tenant.ID, client.FolderObject(f.ID), bob2.AccountID()); err != nil {
		t.Fatal(err)
	}
	if got := download(t, bob2, tenant.ID, doc.ID, 0); !bytes.Equal(got, content) {
		t.Fatal("download differs")
	}
	if err := alice.RenameFolder(ctx, tenant.ID, f.ID, folderN+" 2"); err != nil {
		t.Fatal(err)
	}

	markers := map[string][]byte{
		"alice's password": []byte(pwA), "bob's password": []byte(pwB), "folder name": []byte(folderN),
		"file name": []byte(fileN), "content": []byte("CANARY-CONTENT"), "alice's recovery code": []byte(rcA),
		"bob's recovery code": []byte(rcB), "an age secret key": []byte("AGE-SECRET-KEY-1"),
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.sent) < 20 {
		t.Fatalf("only %d requests recorded", len(rec.sent))
	}
	for name, m := range markers {
		for i, b := range rec.sent {
			if contains(b, m) {
				t.Errorf("%s is in request %d: %.200q", name, i, b)
			}
		}
	}
	// The search itself finds what it looks for.
	if !contains([]byte(`{"x":"`+base64.StdEncoding.EncodeToString([]byte("ab"+pwA))+`"}`), []byte(pwA)) {
		t.Error("the base64 search misses")
	}
}
