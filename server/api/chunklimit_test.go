package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// limiterClock is the clock of the limiters a chunk test makes. Running,
// it jumps a long way forward at every reading, so that the test's set-up
// (sign-up, tenant, folder) always finds full buckets; stopped, it stands
// still until the test moves it, so that buckets only empty and the test
// counts exactly what they let through.
type limiterClock struct {
	mu      sync.Mutex
	t       time.Time
	running bool
}

func newLimiterClock() *limiterClock {
	return &limiterClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), running: true}
}

func (c *limiterClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.t = c.t.Add(1000 * time.Hour)
	}
	return c.t
}

func (c *limiterClock) stop() { c.mu.Lock(); c.running = false; c.mu.Unlock() }

func (c *limiterClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// openUpload begins an upload of a new document of size bytes into folder
// fid (key fk at version 1) and returns its id.
func (u *user) openUpload(tid, fid string, fk *keys.Identity, size int) string {
	s := u.s
	s.t.Helper()
	dk := document.NewKey()
	wrap, err := document.WrapKey(dk, fk.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	var up protocol.Upload
	s.must("POST", "/tenants/"+tid+"/uploads", u.access, &protocol.CreateUploadRequest{
		DocumentID: store.NewID().String(), FolderID: fid, Size: int64(size), Metadata: sealedMetadata(s.t, dk, "big.bin", size),
		KeyWrap: wrap, FolderKeyVersion: 1,
	}, &up)
	return up.UploadID
}

// putChunk sends data at offset off of an upload through hc.
func (s *testServer) putChunk(hc *http.Client, token, tid, upID string, off int, data []byte) *response {
	s.t.Helper()
	return s.rawVia(hc, "PUT", protocol.APIPrefix+"/tenants/"+tid+"/uploads/"+upID+p("?offset=%d", off), token, "application/octet-stream", data)
}

// TestChunksNotCountedAsRequests: one client uploading one large file
// sends more chunks than the per-IP request limit's burst, with no time
// for it to refill, and every chunk is accepted: chunks of 1 MiB or more
// are limited by bytes, not counted as requests (a 2 GiB upload in 2 MiB
// chunks was cut off at 600 of them). Everything else from the address
// still counts: a chunk refused at authentication or by its handler, a
// small chunk, and other routes, down to rate_limited with Retry-After.
func TestChunksNotCountedAsRequests(t *testing.T) {
	const burst = 6
	clk := newLimiterClock()
	s := startServerWith(t, func(ls *api.Limits) {
		ls.PerIP = ratelimit.New(ratelimit.Config{Burst: burst, Refill: time.Hour, Now: clk.Now})
	})
	alice := s.register("alice@example.com")
	tid := alice.newTenant()
	fid, fk := alice.newFolder(tid, "Archive")
	const chunk, chunks = 1 << 20, 3 * burst
	up := alice.openUpload(tid, fid, fk, chunks*chunk+1024)
	clk.stop()

	hc := s.fromIP("127.0.0.2")
	data := make([]byte, chunk)
	for i := range chunks {
		if r := s.putChunk(hc, alice.access, tid, up, i*chunk, data); r.status != 200 {
			t.Fatalf("chunk %d of %d (1 MiB each) from one address, with a request burst of %d: %d %v",
				i+1, chunks, burst, r.status, r.err)
		}
	}
	// A large chunk that is refused counts as a request: one with no
	// session, and one at a wrong offset.
	if r := s.putChunk(hc, "", tid, up, chunks*chunk, data); codeOf(r) != protocol.CodeUnauthenticated {
		t.Fatalf("a chunk without a session: %d %v", r.status, r.err)
	}
	if r := s.putChunk(hc, alice.access, tid, up, 0, data); codeOf(r) != protocol.CodeConflict {
		t.Fatalf("a chunk at a wrong offset: %d %v", r.status, r.err)
	}
	// So does a small chunk, accepted or not: here the last of the upload.
	if r := s.putChunk(hc, alice.access, tid, up, chunks*chunk, data[:1024]); r.status != 200 {
		t.Fatalf("the last, small chunk: %d %v", r.status, r.err)
	}
	// Three requests counted: burst-3 more pass, then the address is
	// limited.
	get := func() *response {
		return s.rawVia(hc, "GET", protocol.APIPrefix+"/tenants/"+tid+"/uploads/"+up, alice.access, "", nil)
	}
	for i := range burst - 3 {
		if r := get(); r.status != 200 {
			t.Fatalf("request %d after the chunks: %d %v", i+1, r.status, r.err)
		}
	}
	if r := get(); codeOf(r) != protocol.CodeRateLimited || r.header.Get("Retry-After") == "" {
		t.Fatalf("request %d after the chunks: %d %v, Retry-After %q; want rate_limited", burst-2, r.status, r.err, r.header.Get("Retry-After"))
	}
	// The upload holds every byte.
	clk.add(time.Hour)
	var got protocol.Upload
	s.must("GET", "/tenants/"+tid+"/uploads/"+up, alice.access, nil, &got)
	if got.Received != chunks*chunk+1024 {
		t.Fatalf("received %d bytes, want %d", got.Received, chunks*chunk+1024)
	}
}

// TestChunkByteBudgets: chunks are charged by bytes, per address and per
// account, and a client that sends faster than its budget is refused with
// rate_limited and a Retry-After, storing nothing, until the budget has
// refilled. Here the budgets are small: 8 MiB per address at 1 MiB/s, and
// 12 MiB per account at 4 MiB/s.
func TestChunkByteBudgets(t *testing.T) {
	const mib = 1 << 20
	clk := newLimiterClock()
	s := startServerWith(t, func(ls *api.Limits) {
		ls.ChunkBytesPerIP = ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 8 * mib, PerSecond: 1 * mib, Now: clk.Now})
		ls.ChunkBytesPerAccount = ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 12 * mib, PerSecond: 4 * mib, Now: clk.Now})
	})
	alice := s.register("alice@example.com")
	tid := alice.newTenant()
	fid, fk := alice.newFolder(tid, "Archive")
	up := alice.openUpload(tid, fid, fk, 16*mib)
	clk.stop()
	received := func(want int) {
		t.Helper()
		var got protocol.Upload
		s.must("GET", "/tenants/"+tid+"/uploads/"+up, alice.access, nil, &got)
		if got.Received != int64(want) {
			t.Fatalf("the upload holds %d bytes, want %d", got.Received, want)
		}
	}
	limited := func(r *response, what string) {
		t.Helper()
		// The budget is empty; the 1 MiB or 4 MiB asked for take 1 s to
		// come back, so the client is told to wait 2 s (whole seconds,
		// rounded up past the wait).
		if codeOf(r) != protocol.CodeRateLimited || r.status != 429 || r.header.Get("Retry-After") != "2" {
			t.Fatalf("%s: %d %v, Retry-After %q; want rate_limited, retry after 2 s", what, r.status, r.err, r.header.Get("Retry-After"))
		}
	}
	chunk := make([]byte, 4*mib)

	a := s.fromIP("127.0.0.2")
	for off := 0; off < 8*mib; off += 4 * mib {
		if r := s.putChunk(a, alice.access, tid, up, off, chunk); r.status != 200 {
			t.Fatalf("chunk at %d MiB within the address's burst: %d %v", off/mib, r.status, r.err)
		}
	}
	limited(s.putChunk(a, alice.access, tid, up, 8*mib, chunk[:mib]), "1 MiB past the address's burst")
	received(8 * mib)

	// Another address of the same account has its own budget, but the
	// account's holds 4 MiB more (the refused chunk above charged it
	// nothing).
	b := s.fromIP("127.0.0.3")
	if r := s.putChunk(b, alice.access, tid, up, 8*mib, chunk); r.status != 200 {
		t.Fatalf("4 MiB from another address, within the account's burst: %d %v", r.status, r.err)
	}
	limited(s.putChunk(b, alice.access, tid, up, 12*mib, chunk), "4 MiB past the account's burst")
	received(12 * mib)

	// A second later the account has 4 MiB again, and the address 5 MiB:
	// the bytes of the chunk the account refused were given back to it
	// (else it would have 1 MiB).
	clk.add(time.Second)
	if r := s.putChunk(b, alice.access, tid, up, 12*mib, chunk); r.status != 200 {
		t.Fatalf("4 MiB once both budgets refilled: %d %v", r.status, r.err)
	}
	received(16 * mib)
}

// TestChunkBudgetBurstAtLeastMaxChunk: a byte budget that could never let
// a chunk of MaxChunk through is a configuration error.
func TestChunkBudgetBurstAtLeastMaxChunk(t *testing.T) {
	st, err := store.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sess, err := session.New(session.Config{Keyset: session.NewKeyset(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	osrv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	small := ratelimit.NewBytes(ratelimit.BytesConfig{Burst: protocol.MaxChunk - 1, PerSecond: 1 << 30})
	for name, ls := range map[string]api.Limits{"per address": {ChunkBytesPerIP: small}, "per account": {ChunkBytesPerAccount: small}} {
		if _, err := api.New(api.Config{Store: st, Sessions: sess, OPAQUE: osrv, Notifier: &notify.Recorder{}, Limits: ls}); err == nil {
			t.Errorf("a chunk budget %s with a burst under MaxChunk was accepted", name)
		}
	}
	if _, err := api.New(api.Config{Store: st, Sessions: sess, OPAQUE: osrv, Notifier: &notify.Recorder{}}); err != nil {
		t.Fatalf("the default limits: %v", err)
	}
}
