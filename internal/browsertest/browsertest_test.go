//go:build !js

package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/server/httpd"
)

func TestArgs(t *testing.T) {
	want := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"}
	if got := Args(Options{}); !slices.Equal(got, want) {
		t.Errorf("Args() = %q, want %q", got, want)
	}
	if got := Args(Options{IgnoreCertificateErrors: true}); !slices.Equal(got, append(want, "--ignore-certificate-errors")) {
		t.Errorf("Args(IgnoreCertificateErrors) = %q", got)
	}
}

func TestChromiumPath(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "chrome")
	os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755)
	notExec := filepath.Join(dir, "chrome-noexec")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	defer func(p []string) { searchPaths = p }(searchPaths)
	searchPaths = []string{filepath.Join(dir, "missing"), notExec}

	t.Setenv("CHROME_BIN", fake)
	if got, err := ChromiumPath(); err != nil || got != fake {
		t.Errorf("with CHROME_BIN: %q, %v", got, err)
	}
	t.Setenv("CHROME_BIN", filepath.Join(dir, "missing"))
	if got, err := ChromiumPath(); err == nil {
		t.Errorf("nothing executable: found %q", got)
	}
	searchPaths = append(searchPaths, fake)
	if got, err := ChromiumPath(); err != nil || got != fake {
		t.Errorf("fallback: %q, %v", got, err)
	}
}

// recorder is a testing.TB that records Fatal and Skip instead of acting.
type recorder struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.fatal, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any)                  { r.skipped = true; runtime.Goexit() }
func (r *recorder) Skipf(string, ...any)              { r.skipped = true; runtime.Goexit() }
func (r *recorder) SkipNow()                          { r.skipped = true; runtime.Goexit() }

// TestMissingChromiumFails checks that a missing browser fails the test
// rather than skipping it.
func TestMissingChromiumFails(t *testing.T) {
	defer func(p []string) { searchPaths = p }(searchPaths)
	searchPaths = nil
	t.Setenv("CHROME_BIN", filepath.Join(t.TempDir(), "no-such-chromium"))
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(r, Options{})
	}()
	<-done
	if !r.fatal || r.skipped {
		t.Fatalf("Start without Chromium: fatal=%v skipped=%v, want a fatal failure", r.fatal, r.skipped)
	}
	if !strings.Contains(r.msg, "ensure-chromium.sh") {
		t.Errorf("message %q does not say how to install it", r.msg)
	}
}

// pages serves small test pages under the production CSP, so a test that
// forgets the policy (an inline script) shows up as a console error.
func pages(t *testing.T) *httptest.Server {
	files := map[string]string{
		"/clean.html":     `<!doctype html><title>clean</title><link rel="icon" href="data:,"><script type="module" src="clean.js"></script>`,
		"/clean.js":       `console.log("hello");`,
		"/errors.html":    `<!doctype html><title>errors</title><link rel="icon" href="data:,"><script type="module" src="errors.js"></script>`,
		"/errors.js":      `console.error("boom-console"); setTimeout(() => { throw new Error("boom-uncaught"); }); Promise.reject(new Error("boom-rejection"));`,
		"/inline.html":    `<!doctype html><title>inline</title><link rel="icon" href="data:,"><script>document.title = "ran";</script>`,
		"/worker.html":    `<!doctype html><title>worker</title><link rel="icon" href="data:,"><script type="module" src="worker-page.js"></script>`,
		"/worker-page.js": `const w = new Worker("worker.js", {type: "module"}); w.onerror = (e) => e.preventDefault();`,
		"/worker.js":      `setInterval(() => console.error("boom-worker"), 100);`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", httpd.ContentSecurityPolicy)
		if strings.HasSuffix(r.URL.Path, ".js") {
			w.Header().Set("Content-Type", "text/javascript")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func errorTexts(b *Browser) string {
	var s []string
	for _, m := range b.Errors() {
		s = append(s, m.String())
	}
	return strings.Join(s, "\n")
}

func TestCollectsErrors(t *testing.T) {
	srv := pages(t)
	b := Start(t, Options{})

	if err := b.Navigate(srv.URL + "/clean.html"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if errs := errorTexts(b); errs != "" {
		t.Errorf("clean page reported errors:\n%s", errs)
	}
	found := false
	for _, m := range b.Messages() {
		found = found || (m.From == "page" && m.Text == "hello")
	}
	if !found {
		t.Errorf("console.log not recorded: %v", b.Messages())
	}

	if err := b.Navigate(srv.URL + "/errors.html"); err != nil {
		t.Fatal(err)
	}
	// The uncaught error is thrown from a timer: wait for it.
	if _, err := Eval[bool](b, 5*time.Second, `new Promise((ok) => setTimeout(() => ok(true), 50))`); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	errs := errorTexts(b)
	for _, want := range []string{"boom-console", "boom-uncaught", "boom-rejection"} {
		if !strings.Contains(errs, want) {
			t.Errorf("error %q not recorded; errors:\n%s", want, errs)
		}
	}

	// An inline script under the CSP is refused, and the refusal is an error.
	if err := b.Navigate(srv.URL + "/inline.html"); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if title, _ := Eval[string](b, 5*time.Second, "document.title"); title == "ran" {
		t.Error("inline script ran under the CSP")
	}
	if errs := errorTexts(b); !strings.Contains(errs, "Content Security Policy") {
		t.Errorf("CSP violation not recorded; errors:\n%s", errs)
	}
}

func TestCollectsWorkerErrors(t *testing.T) {
	srv := pages(t)
	b := Start(t, Options{})
	if err := b.Navigate(srv.URL + "/worker.html"); err != nil {
		t.Fatal(err)
	}
	// The worker logs an error every 100 ms; it is seen once its session is
	// attached.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range b.Errors() {
			if strings.HasPrefix(m.From, "worker ") && strings.Contains(m.Text, "boom-worker") {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no worker error recorded; messages: %v", b.Messages())
}

func TestScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("VELLUM_ARTIFACTS", dir)
	if ArtifactsDir() != dir {
		t.Fatalf("ArtifactsDir() = %q", ArtifactsDir())
	}
	srv := pages(t)
	b := Start(t, Options{})
	if err := b.Navigate(srv.URL + "/clean.html"); err != nil {
		t.Fatal(err)
	}
	p, err := b.Screenshot("clean page/1")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p) != dir || filepath.Base(p) != "clean_page_1.png" {
		t.Errorf("saved to %q", p)
	}
	png, err := os.ReadFile(p)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("not a PNG: %v", err)
	}
}
