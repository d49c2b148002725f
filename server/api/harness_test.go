package api_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// testServer is a real vellumd API on loopback: TLS with a self-signed
// certificate, a temporary Pebble directory, the console notices recorded.
type testServer struct {
	t        *testing.T
	base     string
	client   *http.Client
	api      *api.API
	store    *store.Store
	notices  *notify.Recorder
	httpd    *httpd.Server
	addr     string
	dir      string
	logs     *bytes.Buffer
	logKey   *seallog.SignerKey
	shutdown func()
}

type serverOptions struct {
	tune        func(*api.Limits)
	readTimeout time.Duration
	// dir, if set, is the directory of a server started before (and shut
	// down): the new server opens its database, as after a restart.
	dir string
	// logKey, if set, is the seal log's key (to keep it across a restart).
	logKey *seallog.SignerKey
	// now, if set, is the API's clock.
	now func() time.Time
}

func startServerWith(t *testing.T, tune func(*api.Limits)) *testServer {
	return startServer(t, &serverOptions{tune: tune})
}

// generousLimits lets a test make many requests from 127.0.0.1.
func generousLimits(st *store.Store) *api.Limits {
	return &api.Limits{
		PerIP:      ratelimit.New(ratelimit.Config{Burst: 100000, Refill: time.Microsecond}),
		Guess:      ratelimit.New(ratelimit.Config{Burst: 100000, Refill: time.Microsecond}),
		PerAccount: ratelimit.New(ratelimit.Config{Burst: 1000, Refill: time.Millisecond}),
		Login:      ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 10, LockFor: time.Minute, Store: st}),
		Codes:      ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5, Store: st}),
	}
}

func startServer(t *testing.T, o *serverOptions) *testServer {
	t.Helper()
	if o == nil {
		o = &serverOptions{}
	}
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	st, err := store.Open(filepath.Join(dir, "db"), &store.Options{MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ks := session.NewKeyset(time.Now())
	sess, err := session.New(session.Config{Keyset: ks})
	if err != nil {
		t.Fatal(err)
	}
	osrv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	logKey := o.logKey
	if logKey == nil {
		if logKey, err = seallog.GenerateKey("vellum.test/log"); err != nil {
			t.Fatal(err)
		}
	}
	lg, err := seallog.NewLog(api.SealStorage(st), logKey)
	if err != nil {
		t.Fatal(err)
	}
	rec := &notify.Recorder{}
	limits := generousLimits(st)
	if o.tune != nil {
		o.tune(limits)
	}
	logs := new(bytes.Buffer)
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &lockedWriter{w: logs}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := api.New(api.Config{
		Store: st, Sessions: sess, OPAQUE: osrv, Notifier: rec, SealLog: lg, Limits: *limits,
		Logger: logger, Origin: "https://localhost", Now: o.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := httpd.LoadCertificate("", "", filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	hs, err := httpd.Listen(httpd.Config{
		Addr: "127.0.0.1:0", TLS: httpd.TLSConfig(cert), Handler: a.Handler(), Logger: logger,
		ReadTimeout: o.readTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve() }()
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(filepath.Join(dir, "tls", "localhost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	_, port, _ := net.SplitHostPort(hs.Addr().String())
	ts := &testServer{
		t: t, base: "https://localhost:" + port, api: a, store: st, notices: rec, httpd: hs, addr: hs.Addr().String(), dir: dir, logs: logs,
		logKey: logKey,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, hs.Addr().String())
			},
		}},
	}
	closed := false
	ts.shutdown = func() {
		if closed {
			return
		}
		closed = true
		// fasthttp's Shutdown closes a connection that never sent a request
		// only once it is 5 s old (it counts as idle from then), and Go's
		// client opens such spare connections under concurrent requests;
		// with a loaded machine's slow handlers on top, 10 s was once too
		// little. The bound is a hang detector, not a timing assertion.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// DESIGN §9: stop HTTP and drain, then close Pebble.
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	}
	t.Cleanup(ts.shutdown)
	return ts
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
	err    *protocol.Error
}

// raw sends a request with the given content type and body.
func (s *testServer) raw(method, path, token, contentType string, body []byte, header ...string) *response {
	s.t.Helper()
	return s.rawVia(s.client, method, path, token, contentType, body, header...)
}

// rawVia is raw through the client hc (s.fromIP's, for another address).
func (s *testServer) rawVia(hc *http.Client, method, path, token, contentType string, body []byte, header ...string) *response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.StatusCode >= 400 {
		r.err = new(protocol.Error)
		if err := json.Unmarshal(b, r.err); err != nil {
			s.t.Fatalf("%s %s: error body %q does not parse: %v", method, path, b, err)
		}
	}
	return r
}

// call sends a JSON request (in may be nil) and decodes a 2xx reply into
// out (if not nil).
func (s *testServer) call(method, path, token string, in, out any) *response {
	s.t.Helper()
	var body []byte
	ct := ""
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			s.t.Fatal(err)
		}
		ct = "application/json"
	}
	r := s.raw(method, protocol.APIPrefix+path, token, ct, body)
	if r.status < 300 && out != nil {
		if err := protocol.DecodeJSON(r.body, out, 64<<20); err != nil {
			s.t.Fatalf("%s %s: reply does not decode strictly: %v", method, path, err)
		}
	}
	return r
}

// must sends a JSON request and fails the test unless it succeeds.
func (s *testServer) must(method, path, token string, in, out any) {
	s.t.Helper()
	if r := s.call(method, path, token, in, out); r.status >= 300 {
		s.t.Fatalf("%s %s: %d %v", method, path, r.status, r.err)
	}
}

// wantCode sends a JSON request and checks that it fails with code.
func (s *testServer) wantCode(code protocol.Code, method, path, token string, in any) *response {
	s.t.Helper()
	r := s.call(method, path, token, in, nil)
	if r.err == nil || r.err.Code != code {
		s.t.Fatalf("%s %s: got %d %v, want %s", method, path, r.status, r.err, code)
	}
	if r.status != code.HTTPStatus() {
		s.t.Fatalf("%s %s: status %d for %s, want %d", method, path, r.status, code, code.HTTPStatus())
	}
	return r
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode returns the code in the newest notice to an address.
func (s *testServer) lastCode(to string) string {
	s.t.Helper()
	n, ok := s.notices.Last(to)
	if !ok {
		s.t.Fatalf("no notice to %s", to)
	}
	m := codeRE.FindStringSubmatch(n.Body)
	if m == nil {
		s.t.Fatalf("no code in the notice to %s", to)
	}
	return m[1]
}

func p(format string, args ...any) string { return fmt.Sprintf(format, args...) }
