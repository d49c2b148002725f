//go:build !js

package web_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/internal/browsertest"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/web"
)

// clientDir holds the freshly built client (vellum.wasm, wasm_exec.js,
// vellum.wasm.sha256), served in place of any copies in static/.
var clientDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vellum-client-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := browsertest.BuildClient(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	clientDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// siteFS is static/ with the generated files taken from clientDir.
type siteFS struct{ static, built fs.FS }

func (s siteFS) Open(name string) (fs.File, error) {
	switch name {
	case "vellum.wasm", "wasm_exec.js", "vellum.wasm.sha256":
		return s.built.Open(name)
	}
	if strings.HasPrefix(name, "vendor/") { // scripts/vendor-web.sh's copies
		return s.built.Open(name)
	}
	return s.static.Open(name)
}

// serve runs vellumd's HTTP front (TLS with a self-signed localhost
// certificate, security headers on every response) over the static site.
func serve(t testing.TB) (url string, client *http.Client) {
	t.Helper()
	return serveFS(t, siteFS{os.DirFS("static"), os.DirFS(clientDir)})
}

func serveFS(t testing.TB, site fs.FS) (url string, client *http.Client) {
	t.Helper()
	cert, err := httpd.LoadCertificate("", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := httpd.Listen(httpd.Config{
		Addr:    "127.0.0.1:0",
		TLS:     httpd.TLSConfig(cert),
		Handler: web.StaticHandler(site),
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(client.CloseIdleConnections)
	return "https://" + srv.Addr().String(), client
}

type memStats struct {
	HeapAlloc  float64 `json:"heapAlloc"`
	HeapSys    float64 `json:"heapSys"`
	Sys        float64 `json:"sys"`
	WasmMemory float64 `json:"wasmMemory"`
	Keys       int     `json:"keys"`
	Streams    int     `json:"streams"`
}

// selftest is what web/static/selftest.js resolves to.
type selftest struct {
	Size int64 `json:"size"`
	Info struct {
		Version struct {
			API int    `json:"api"`
			Go  string `json:"go"`
		} `json:"version"`
		SHA256  string `json:"sha256"`
		MaxPush int    `json:"maxPush"`
	} `json:"info"`
	PageSHA256      string   `json:"pageSha256"`
	WorkerSHA256    string   `json:"workerSha256"`
	EncryptSHA256   string   `json:"encryptSha256"`
	DecryptSHA256   string   `json:"decryptSha256"`
	RoundTripSHA256 string   `json:"roundTripSha256"`
	RoundTripBytes  int64    `json:"roundTripBytes"`
	CiphertextBytes int64    `json:"ciphertextBytes"`
	KeyFields       []string `json:"keyFields"`
	Peak            memStats `json:"peak"`
	MemSamples      int      `json:"memSamples"`
	Final           memStats `json:"final"`
	Errors          struct {
		WrongKey                  string `json:"wrongKey"`
		Truncated                 string `json:"truncated"`
		Corrupted                 string `json:"corrupted"`
		BadRecipient              string `json:"badRecipient"`
		BadArgument               string `json:"badArgument"`
		UnknownOp                 string `json:"unknownOp"`
		WrappedHoldsSecret        bool   `json:"wrappedHoldsSecret"`
		UnwrappedRecipientMatches bool   `json:"unwrappedRecipientMatches"`
		UnwrappedDecrypts         bool   `json:"unwrappedDecrypts"`
		Released                  string `json:"released"`
		StreamsAfterCancel        int    `json:"streamsAfterCancel"`
	} `json:"errors"`
	MS   int  `json:"ms"`
	Pass bool `json:"pass"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestHeaders checks what the browser relies on: the strict CSP on the page
// and the types a module worker and WebAssembly need under nosniff.
func TestHeaders(t *testing.T) {
	url, client := serve(t)
	for path, typ := range map[string]string{
		"/selftest.html":      "text/html; charset=utf-8",
		"/selftest.js":        "text/javascript; charset=utf-8",
		"/worker.js":          "text/javascript; charset=utf-8",
		"/vellum-client.js":   "text/javascript; charset=utf-8",
		"/wasm_exec.js":       "text/javascript; charset=utf-8",
		"/vellum.wasm":        "application/wasm",
		"/":                   "text/html; charset=utf-8",
		"/index.html":         "text/html; charset=utf-8",
		"/invite/abc":         "text/html; charset=utf-8",
		"/app.css":            "text/css; charset=utf-8",
		"/app/main.js":        "text/javascript; charset=utf-8",
		"/app/views/files.js": "text/javascript; charset=utf-8",
		"/sw.js":              "text/javascript; charset=utf-8",
		"/favicon.svg":        "image/svg+xml",
		"/bench/index.html":   "text/html; charset=utf-8",
		"/vellum.wasm.sha256": "text/plain; charset=utf-8",
	} {
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != typ {
			t.Errorf("%s: %d %q, want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), typ)
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != httpd.ContentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

// TestSelftest runs web/static/selftest.html in headless Chromium: a 64 MiB
// file is encrypted and decrypted through the worker's streaming API in one
// pipeline, digests computed in the page and in the worker must agree, the
// error codes must be right, no console error may appear, and the worker's
// memory must stay well under the size of the file.
func TestSelftest(t *testing.T) {
	const size = 64 << 20
	url, _ := serve(t)
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	if err := b.Navigate(url + "/selftest.html"); err != nil {
		t.Fatal(err)
	}
	res, err := browsertest.Eval[selftest](b, 2*time.Minute, fmt.Sprintf("vellumSelftest({size: %d})", size))
	if err != nil {
		t.Fatalf("self-test: %v\nbrowser errors: %v", err, b.Errors())
	}
	raw, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("self-test of %d MiB took %d ms in the page; worker peak heapSys %.1f MiB, wasm memory %.1f MiB",
		size>>20, res.MS, res.Peak.HeapSys/(1<<20), res.Peak.WasmMemory/(1<<20))

	built, err := os.ReadFile(clientDir + "/vellum.wasm.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if want, _, _ := strings.Cut(string(built), " "); res.Info.SHA256 != want {
		t.Errorf("worker runs module %s, vellum.wasm.sha256 says %s", res.Info.SHA256, want)
	}
	if res.Info.Version.API != 1 || res.Info.MaxPush != 1<<20 {
		t.Errorf("info: %+v", res.Info)
	}

	if !sha256Hex.MatchString(res.PageSHA256) {
		t.Fatalf("page digest %q\n%s", res.PageSHA256, raw)
	}
	for name, got := range map[string]string{
		"worker sha256()":           res.WorkerSHA256,
		"encryptStream onDigest":    res.EncryptSHA256,
		"decryptTransform onDigest": res.DecryptSHA256,
		"page digest of round trip": res.RoundTripSHA256,
	} {
		if got != res.PageSHA256 {
			t.Errorf("%s = %s, page computed %s", name, got, res.PageSHA256)
		}
	}
	if res.RoundTripBytes != size {
		t.Errorf("round trip gave %d bytes, want %d", res.RoundTripBytes, size)
	}
	if want, _ := document.EncryptedSize(size); res.CiphertextBytes != want {
		t.Errorf("ciphertext of %d bytes, want document.EncryptedSize = %d", res.CiphertextBytes, want)
	}
	if !res.Pass {
		t.Error("the page's own verdict is FAIL")
	}

	// Keys reach the page as handles and recipients only.
	if !slices.Equal(res.KeyFields, []string{"handle", "recipient"}) {
		t.Errorf("generateKey() fields %v", res.KeyFields)
	}
	e := res.Errors
	for name, c := range map[string][2]string{
		"wrong key":           {e.WrongKey, "wrong_key"},
		"truncated":           {e.Truncated, "truncated"},
		"corrupted":           {e.Corrupted, "corrupted"},
		"bad recipient":       {e.BadRecipient, "malformed"},
		"bad argument":        {e.BadArgument, "bad_argument"},
		"unknown operation":   {e.UnknownOp, "bad_argument"},
		"released key handle": {e.Released, "not_found"},
	} {
		if c[0] != c[1] {
			t.Errorf("%s: code %q, want %q", name, c[0], c[1])
		}
	}
	if e.WrappedHoldsSecret || !e.UnwrappedRecipientMatches || !e.UnwrappedDecrypts {
		t.Errorf("wrap/unwrap: %+v", e)
	}
	if e.StreamsAfterCancel != 0 {
		t.Errorf("%d worker streams open after the reader cancelled", e.StreamsAfterCancel)
	}

	// Memory, not time: streaming 64 MiB must not grow the worker by
	// anything like 64 MiB. The bridge holds about two 1 MiB buffers per
	// stream; the Go heap measured here stays at a few MiB.
	if res.MemSamples < 16 {
		t.Errorf("only %d memory samples while streaming", res.MemSamples)
	}
	const limit = 64 << 20
	if res.Peak.HeapSys >= limit || res.Peak.WasmMemory >= limit {
		t.Errorf("worker memory while streaming %d MiB: heapSys %.1f MiB, wasm memory %.1f MiB; want both under %d MiB",
			size>>20, res.Peak.HeapSys/(1<<20), res.Peak.WasmMemory/(1<<20), limit>>20)
	}
	if res.Final.Streams != 0 || res.Final.Keys != 0 {
		t.Errorf("worker still holds %d streams and %d keys", res.Final.Streams, res.Final.Keys)
	}

	b.CheckNoErrors(t)
	for _, m := range b.Messages() {
		if strings.Contains(m.Text, "AGE-SECRET-KEY") {
			t.Errorf("a secret key reached the console: %s", m.From)
		}
	}
	if strings.Contains(string(raw), "AGE-SECRET-KEY") {
		t.Error("a secret key reached the page")
	}
	if os.Getenv("VELLUM_ARTIFACTS") != "" {
		if p, err := b.Screenshot("selftest"); err == nil {
			t.Logf("screenshot: %s", p)
		}
	}
	if t.Failed() {
		t.Logf("self-test result:\n%s", raw)
	}
}

// TestWorkerUnavailable checks that a worker that cannot start fails loudly:
// every call rejects with code "unavailable", and the page logs an error
// (which a browser test then fails on).
func TestWorkerUnavailable(t *testing.T) {
	url, _ := serveFS(t, siteFS{os.DirFS("static"), os.DirFS(t.TempDir())}) // no vellum.wasm
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	if err := b.Navigate(url + "/selftest.html"); err != nil {
		t.Fatal(err)
	}
	code, err := browsertest.Eval[string](b, 30*time.Second,
		`import("/vellum-client.js").then((m) => m.client().generateKey()).then(() => "resolved", (e) => e.code)`)
	if err != nil {
		t.Fatal(err)
	}
	if code != "unavailable" {
		t.Errorf("generateKey without a module: %q, want unavailable", code)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	logged := false
	for _, m := range b.Errors() {
		logged = logged || (m.From == "page" && strings.Contains(m.Text, "Vellum worker"))
	}
	if !logged {
		t.Errorf("no error logged in the page; errors: %v", b.Errors())
	}
}

// BenchmarkBrowser times the worker's streaming API in headless Chromium on
// 64 MiB, as measured inside the page (browser start-up and the DevTools
// round trip excluded), next to the browser's own SHA-256 of the same bytes
// in the page as the same-run baseline. Run it short:
//
//	go test -run '^$' -bench Browser -benchtime 2x ./web/
func BenchmarkBrowser(b *testing.B) {
	const size = 64 << 20
	url, _ := serve(b)
	for _, op := range []string{"subtle", "sha256", "encrypt", "decrypt"} {
		b.Run(op, func(b *testing.B) {
			br := browsertest.Start(b, browsertest.Options{IgnoreCertificateErrors: true})
			if err := br.Navigate(url + "/selftest.html"); err != nil {
				b.Fatal(err)
			}
			var ms float64
			for b.Loop() {
				r, err := browsertest.Eval[struct {
					MS float64 `json:"ms"`
				}](br, 2*time.Minute, fmt.Sprintf("vellumBench({op: %q, size: %d})", op, size))
				if err != nil {
					b.Fatal(err)
				}
				ms += r.MS
			}
			b.ReportMetric(float64(size)*float64(b.N)/(ms/1000)/1e6, "MB/s")
			b.ReportMetric(ms/float64(b.N), "page-ms/op")
			br.CheckNoErrors(b)
		})
	}
}
