//go:build !js

package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
	"vellum.dev/vellum/web"
)

// vellumd is a real Vellum server in this process, put together as
// cmd/vellumd puts it together: the API under /api/v1 and the embedded
// pages (here web/static with the freshly built client) behind the same
// HTTP front (server/httpd: TLS with a self-signed localhost certificate,
// the strict CSP and the other security headers), a Pebble database in a
// temporary directory, and the production rate limits. Notices are
// recorded (the test reads e-mailed codes from them), and so are the log
// and, if asked, every request body, for the canary test.
type vellumd struct {
	t       testing.TB
	url     string
	dir     string
	notices *notify.Recorder
	logs    *syncBuffer
	bodies  *syncBuffer // nil unless recording
	logKey  string      // the seal log's verifier key, as vellumd prints it
	stop    func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

type vellumdOptions struct {
	// recordBodies keeps every request body the server receives.
	recordBodies bool
	// deliver, if set, receives every notice after v.notices recorded
	// it: the real SMS and SMTP senders of startDelivery.
	deliver notify.Sender
}

func startVellumd(t testing.TB, o vellumdOptions) *vellumd {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), nil)
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
	logKey, err := seallog.GenerateKey("localhost/seals")
	if err != nil {
		t.Fatal(err)
	}
	lg, err := seallog.NewLog(api.SealStorage(st), logKey)
	if err != nil {
		t.Fatal(err)
	}
	v := &vellumd{t: t, dir: dir, notices: &notify.Recorder{Next: o.deliver}, logs: &syncBuffer{}, logKey: logKey.VerifierKey()}
	if o.recordBodies {
		v.bodies = &syncBuffer{}
	}
	logger := slog.New(slog.NewTextHandler(v.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cert, err := httpd.LoadCertificate("", "", filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	// The API needs the origin (for the links in notices), which needs the
	// port: listen first, then install the handler.
	var handler fasthttp.RequestHandler
	var ready sync.WaitGroup
	ready.Add(1)
	hs, err := httpd.Listen(httpd.Config{
		Addr: "127.0.0.1:0", TLS: httpd.TLSConfig(cert), Logger: logger,
		Handler: func(ctx *fasthttp.RequestCtx) { ready.Wait(); handler(ctx) },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(hs.Addr().String())
	v.url = "https://127.0.0.1:" + port
	a, err := api.New(api.Config{
		Store: st, Sessions: sess, OPAQUE: osrv, Notifier: v.notices, SealLog: lg,
		Logger: logger, Origin: v.url,
	})
	if err != nil {
		t.Fatal(err)
	}
	site := web.StaticHandler(siteFS{os.DirFS("static"), os.DirFS(clientDir)})
	apiH := a.Handler()
	prefix := []byte(protocol.APIPrefix + "/")
	handler = func(ctx *fasthttp.RequestCtx) {
		if v.bodies != nil && len(ctx.PostBody()) > 0 {
			v.bodies.Write(ctx.PostBody())
		}
		// As cmd/vellumd routes: the API by its prefix, the pages otherwise.
		if p := ctx.Path(); bytes.HasPrefix(p, prefix) || string(p) == protocol.APIPrefix {
			apiH(ctx)
			return
		}
		site(ctx)
	}
	ready.Done()
	served := make(chan error, 1)
	go func() { served <- hs.Serve() }()
	stopped := false
	v.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		// DESIGN §9: stop HTTP and drain, then close Pebble.
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("vellumd shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("vellumd serve: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	}
	t.Cleanup(v.stop)
	return v
}

var codeRE = regexp.MustCompile(`\b([0-9]{6,12})\b`)

// code waits for a notice to `to` whose subject contains subject, among
// those sent after the first `after` notices, and returns the code in it.
func (v *vellumd) code(to, subject string, after int) string {
	v.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ns := v.notices.Notices()
		for _, n := range ns[min(after, len(ns)):] {
			if n.To == to && strings.Contains(n.Subject, subject) {
				m := codeRE.FindStringSubmatch(n.Body)
				if m == nil {
					v.t.Fatalf("no code in the notice %q to %s", subject, to)
				}
				return m[1]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	v.t.Fatalf("no notice %q to %s", subject, to)
	return ""
}

// link waits for the notice to `to` whose subject contains subject and
// returns the first https link in it.
func (v *vellumd) link(to, subject string) string {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := v.notices.Wait(ctx, func(n notify.Notice) bool { return n.To == to && strings.Contains(n.Subject, subject) })
	if err != nil {
		v.t.Fatalf("no notice %q to %s: %v", subject, to, err)
	}
	for _, f := range strings.Fields(n.Body) {
		if strings.HasPrefix(f, "https://") {
			return f
		}
	}
	v.t.Fatalf("no link in the notice %q to %s", subject, to)
	return ""
}

// noticeCount is how many notices were sent so far.
func (v *vellumd) noticeCount() int { return len(v.notices.Notices()) }

// grep reports every place a marker appears in the server's data
// directory, its log, its notices and (if recorded) the request bodies it
// received.
func (v *vellumd) grep(markers ...string) []string {
	hits := v.grepStored(markers...)
	for _, m := range markers {
		for _, n := range v.notices.Notices() {
			if strings.Contains(n.Subject+n.Body, m) {
				hits = append(hits, "a notice to "+n.To+" holds "+m)
			}
		}
		if v.bodies != nil && bytes.Contains(v.bodies.Bytes(), []byte(m)) {
			hits = append(hits, "a request body holds "+m)
		}
	}
	return hits
}

// grepStored reports every place a marker appears in what the server
// keeps: its data directory and its log.
func (v *vellumd) grepStored(markers ...string) []string {
	var hits []string
	filepath.WalkDir(v.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				hits = append(hits, fmt.Sprintf("%s holds %s", path, m))
			}
		}
		return nil
	})
	for _, m := range markers {
		if bytes.Contains(v.logs.Bytes(), []byte(m)) {
			hits = append(hits, "the server log holds "+m)
		}
	}
	return hits
}
