package httpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func startTLS(t *testing.T, cfg Config) (*Server, *http.Client) {
	t.Helper()
	dir := t.TempDir()
	cert, err := LoadCertificate("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.TLS = TLSConfig(cert)
	if cfg.Handler == nil {
		cfg.Handler = func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hello") }
	}
	s, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(filepath.Join(dir, "localhost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return s, client
}

func url(s *Server, path string) string {
	_, port, _ := net.SplitHostPort(s.Addr().String())
	return "https://localhost:" + port + path
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s, client := startTLS(t, Config{Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/fail" {
			ctx.Error("nope", fasthttp.StatusNotFound)
			return
		}
		ctx.SetBodyString("ok")
	}})
	for _, path := range []string{"/", "/fail"} {
		resp, err := client.Get(url(s, path))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, kv := range securityHeaders {
			if got := resp.Header.Get(kv[0]); got != kv[1] {
				t.Errorf("%s: %s = %q, want %q", path, kv[0], got, kv[1])
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"'wasm-unsafe-eval'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP lacks %s", want)
			}
		}
		if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("CSP allows inline or eval: %s", csp)
		}
		if resp.Header.Get("Server") != "" {
			t.Errorf("Server header present: %q", resp.Header.Get("Server"))
		}
	}
}

func TestTLSVersionsAndSuites(t *testing.T) {
	s, _ := startTLS(t, Config{})
	addr := s.Addr().String()
	dial := func(cfg *tls.Config) (*tls.ConnectionState, error) {
		cfg.InsecureSkipVerify = true // this test checks protocol versions, not trust
		c, err := tls.Dial("tcp", addr, cfg)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		st := c.ConnectionState()
		return &st, nil
	}
	st, err := dial(&tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != tls.VersionTLS13 {
		t.Errorf("default handshake negotiated %x, want TLS 1.3", st.Version)
	}
	if _, err := dial(&tls.Config{MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}); err == nil {
		t.Error("TLS 1.1 handshake succeeded")
	}
	if _, err := dial(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}); err == nil {
		t.Error("TLS 1.2 with a CBC suite succeeded")
	}
	st, err = dial(&tls.Config{MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS 1.2 with AEAD suites: %v", err)
	}
	if name := tls.CipherSuiteName(st.CipherSuite); !strings.Contains(name, "ECDHE") || !(strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")) {
		t.Errorf("TLS 1.2 negotiated %s", name)
	}
}

func TestLocalCertificateKeptAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadCertificate("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadCertificate("", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Certificate[0], b.Certificate[0]) {
		t.Error("a second run made a new certificate")
	}
	fi, err := os.Stat(filepath.Join(dir, "localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	leaf, _ := x509.ParseCertificate(a.Certificate[0])
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if _, err := LoadCertificate(filepath.Join(dir, "localhost.crt"), "", dir); err == nil {
		t.Error("a certificate without a key was accepted")
	}
}

func TestOversizeBodyRefusedAndServerKeepsServing(t *testing.T) {
	s, client := startTLS(t, Config{MaxRequestBodySize: 1024})
	resp, err := client.Post(url(s, "/"), "application/octet-stream", bytes.NewReader(make([]byte, 4096)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"code":"too_large"`) {
		t.Errorf("oversize body: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("error response without security headers")
	}
	resp, err = client.Get(url(s, "/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after an oversize body: %d", resp.StatusCode)
	}
}

// TestSlowlorisCutOff: a client that sends its headers a byte at a time is
// disconnected at the read deadline, while another client is served.
func TestSlowlorisCutOff(t *testing.T) {
	s, client := startTLS(t, Config{ReadTimeout: 300 * time.Millisecond})
	conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan string, 1)
	go func() {
		req := "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
		for i := 0; i < 200; i++ {
			if _, err := conn.Write([]byte{req[i%len(req)]}); err != nil {
				closed <- "write failed"
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		closed <- "never cut off"
	}()
	resp, err := client.Get(url(s, "/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("other client got %d while a slow client was connected", resp.StatusCode)
	}
	// The server answers the slow client with 408 or closes: reading shows it.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil && !strings.Contains(line, "408") {
		t.Errorf("slow client got %q", line)
	}
	if err != nil && strings.Contains(err.Error(), "timeout") {
		t.Error("slow client was still connected after 5s")
	}
	select {
	case got := <-closed:
		if got == "never cut off" {
			t.Error(got)
		}
	case <-time.After(15 * time.Second):
		t.Error("slow writer still writing after 15s")
	}
}

func TestListenNeedsHandler(t *testing.T) {
	if _, err := Listen(Config{Addr: "127.0.0.1:0"}); err == nil {
		t.Error("Listen without a handler succeeded")
	}
}

func TestMaxConnsPerIP(t *testing.T) {
	s, client := startTLS(t, Config{MaxConnsPerIP: 2})
	var conns []*tls.Conn
	for i := 0; i < 2; i++ {
		c, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	if n := s.perIP.open("127.0.0.1"); n != 2 {
		t.Fatalf("%d connections counted, want 2", n)
	}
	// A third connection from the same address is closed at accept.
	c, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Error("a third connection was served")
	}
	// Closing one frees its place.
	conns[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.perIP.open("127.0.0.1") != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := client.Get(url(s, "/"))
	if err != nil {
		t.Fatalf("after a place was freed: %v", err)
	}
	resp.Body.Close()
}

// TestShutdownBeforeServe: a Shutdown that comes before Serve (a start
// interrupted early) closes the listener, so the Serve that follows
// returns at once instead of serving on, and nothing accepts connections.
func TestShutdownBeforeServe(t *testing.T) {
	s, err := Listen(Config{Addr: "127.0.0.1:0", Handler: func(ctx *fasthttp.RequestCtx) {}})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second): // a hang detector
		t.Fatal("Serve after Shutdown is still serving")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("the listener still accepts connections")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("a second shutdown: %v", err)
	}
}
