//go:build !js

// Package browsertest runs Vellum's browser tests in headless Chromium
// through chromedp. It starts one browser per test with a fixed set of flags
// and a fresh profile, records every console message, uncaught exception and
// browser log entry of the page and of its workers so a test can fail on
// them, and saves a screenshot and the console to the artifacts directory
// when a test fails.
//
// A missing browser fails the test: browser tests are never skipped. Install
// it with scripts/ensure-chromium.sh.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Flags are the command-line switches Chromium runs with, and the only ones
// apart from a fresh --user-data-dir, what Options turns on, and what chromedp
// needs to drive it (--remote-debugging-pipe and the first page,
// about:blank). They keep the browser quiet and deterministic: no GPU, no
// QUIC, no background or component-update traffic, no sync.
var Flags = []string{
	"headless",
	"no-sandbox",
	"disable-gpu",
	"disable-quic",
	"no-first-run",
	"disable-background-networking",
	"disable-component-update",
	"disable-sync",
}

// Options are the per-test settings of the browser.
type Options struct {
	// IgnoreCertificateErrors adds --ignore-certificate-errors so the
	// browser accepts the self-signed localhost certificate that vellumd
	// makes on first run. Only tests set it.
	IgnoreCertificateErrors bool
}

// searchPaths are where ChromiumPath looks after $CHROME_BIN.
var searchPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"}

// ChromiumPath returns the browser the tests run, found as
// scripts/ensure-chromium.sh finds it: $CHROME_BIN, /usr/bin/chromium, then
// /usr/bin/chromium-browser.
func ChromiumPath() (string, error) {
	for _, p := range append([]string{os.Getenv("CHROME_BIN")}, searchPaths...) {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("browsertest: Chromium not found in $CHROME_BIN, /usr/bin/chromium or /usr/bin/chromium-browser; run scripts/ensure-chromium.sh")
}

// executable returns the program to start for path. Debian's
// /usr/bin/chromium is a launcher script that adds switches of its own from
// /etc/chromium.d (extensions, GPU rasterization, and more); starting the
// binary it would exec keeps the switches exactly Flags.
func executable(path string) string {
	if path == "/usr/bin/chromium" {
		const real = "/usr/lib/chromium/chromium"
		if fi, err := os.Stat(real); err == nil && fi.Mode()&0o111 != 0 {
			return real
		}
	}
	return path
}

// Args returns the switches for opts, as passed to Chromium (without the
// profile directory and chromedp's own).
func Args(opts Options) []string {
	args := make([]string, 0, len(Flags)+1)
	for _, f := range Flags {
		args = append(args, "--"+f)
	}
	if opts.IgnoreCertificateErrors {
		args = append(args, "--ignore-certificate-errors")
	}
	return args
}

// ArtifactsDir is where screenshots and console logs go: $VELLUM_ARTIFACTS,
// or ./artifacts (relative to the test's package directory).
func ArtifactsDir() string {
	if d := os.Getenv("VELLUM_ARTIFACTS"); d != "" {
		return d
	}
	return "artifacts"
}

// Message is a console message, an uncaught exception or a browser log
// entry, from the page or from one of its workers.
type Message struct {
	// From is "page", or "worker " and the worker's URL.
	From string
	chromedp.ConsoleMessage
}

func (m Message) String() string {
	loc := ""
	if m.URL != "" {
		loc = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
	}
	return fmt.Sprintf("%s: %s%s", m.From, m.ConsoleMessage.String(), loc)
}

// IsError reports whether m is an error: a console.error call, an uncaught
// exception or unhandled rejection, or a browser log entry of level error
// (a failed load, a Content-Security-Policy violation).
func (m Message) IsError() bool {
	return m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	t       testing.TB
	profile string
	ctx     context.Context
	cancel  context.CancelFunc
	output  lockedBuffer

	mu       sync.Mutex
	messages []Message
	watched  map[target.ID]bool
	cancels  []context.CancelFunc
	syncs    int
	wg       sync.WaitGroup
}

// Start starts Chromium for t. It fails t (never skips it) if Chromium is
// missing or does not start. The browser stops when t ends; if t failed, a
// screenshot and the console are saved to ArtifactsDir first.
func Start(t testing.TB, opts Options) *Browser {
	t.Helper()
	path, err := ChromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh profile, removed by close: not t.TempDir, whose cleanup fails
	// the test if a Chromium helper process still writes there.
	profile, err := os.MkdirTemp("", "browsertest-profile-")
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{t: t, profile: profile, watched: make(map[target.ID]bool)}
	alloc := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(executable(path)),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(&b.output),
	}
	for _, f := range Flags {
		alloc = append(alloc, chromedp.Flag(f, true))
	}
	if opts.IgnoreCertificateErrors {
		alloc = append(alloc, chromedp.Flag("ignore-certificate-errors", true))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), alloc...)
	ctx, cancel := chromedp.NewContext(actx)
	b.ctx = ctx
	b.cancel = func() { cancel(); acancel() }
	t.Cleanup(b.close)

	// Start the browser, then subscribe before any page loads. The first
	// Run's context is the browser's lifetime, so it gets ctx itself.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting %s: %v\n%s", path, err, b.output.String())
	}
	b.watch(ctx, "page")
	attached := chromedp.Events(ctx, target.AttachedToTarget)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for ev, err := range attached {
			if err != nil {
				return
			}
			if strings.Contains(ev.TargetInfo.Type, "worker") {
				b.watchWorker(ev.TargetInfo)
			}
		}
	}()
	return b
}

// watch records the console of the target of ctx under the name from.
func (b *Browser) watch(ctx context.Context, from string) {
	msgs := chromedp.Console(ctx)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.messages = append(b.messages, Message{From: from, ConsoleMessage: m})
			b.mu.Unlock()
		}
	}()
}

// watchWorker attaches a second session to a worker to read its console.
// Messages the worker writes before the session is attached are lost; the
// Vellum worker also reports its fatal errors to the page, which logs them.
func (b *Browser) watchWorker(info *target.Info) {
	b.mu.Lock()
	seen := b.watched[info.TargetID]
	b.watched[info.TargetID] = true
	b.mu.Unlock()
	if seen {
		return
	}
	wctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
	b.mu.Lock()
	b.cancels = append(b.cancels, cancel)
	b.mu.Unlock()
	// Attaching runs commands; do it off the event loop of the page.
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		// The first Run's context is the session's lifetime: wctx itself.
		if err := chromedp.Do(wctx); err != nil {
			return // the worker ended before it could be attached
		}
		b.watch(wctx, "worker "+info.URL)
	}()
}

// Context returns the context of the tab, for chromedp actions.
func (b *Browser) Context() context.Context { return b.ctx }

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(url string) error {
	return chromedp.Do(b.ctx, chromedp.Navigate(url))
}

// Eval evaluates a JavaScript expression in the page, waits for it if it is a
// Promise, and decodes its JSON value into T. timeout bounds the wait.
func Eval[T any](b *Browser, timeout time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// syncPrefix marks the console.debug messages that Sync writes.
const syncPrefix = "browsertest-sync-"

// Messages returns what the page and its workers wrote so far.
func (b *Browser) Messages() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ms []Message
	for _, m := range b.messages {
		if !strings.HasPrefix(m.Text, syncPrefix) {
			ms = append(ms, m)
		}
	}
	return ms
}

// Sync waits until every message the page sent before the call is
// recorded: it logs a marker and waits for it to come back. (Messages of
// workers travel on sessions of their own and are not ordered with it.)
func (b *Browser) Sync() error {
	b.mu.Lock()
	b.syncs++
	marker := fmt.Sprintf("%s%d", syncPrefix, b.syncs)
	b.mu.Unlock()
	if _, err := Eval[chromedp.Void](b, 10*time.Second, fmt.Sprintf("console.debug(%q)", marker)); err != nil {
		return fmt.Errorf("browsertest: sync: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for _, m := range b.messages {
			if m.Text == marker {
				b.mu.Unlock()
				return nil
			}
		}
		b.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("browsertest: sync: the console marker did not come back")
}

// Errors returns the messages that are errors (see Message.IsError).
func (b *Browser) Errors() []Message {
	var errs []Message
	for _, m := range b.Messages() {
		if m.IsError() {
			errs = append(errs, m)
		}
	}
	return errs
}

// CheckNoErrors fails the test for each error the page or its workers
// reported so far. It calls Sync first, so that every message the page
// sent before the call is counted.
func (b *Browser) CheckNoErrors(t testing.TB) {
	t.Helper()
	if err := b.Sync(); err != nil {
		t.Error(err)
	}
	for _, m := range b.Errors() {
		t.Errorf("browser reported an error: %s", m)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a PNG of the viewport as ArtifactsDir()/<name>.png and
// returns its path.
func (b *Browser) Screenshot(name string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return writeArtifact(unsafeName.ReplaceAllString(name, "_")+".png", png)
}

func writeArtifact(name string, data []byte) (string, error) {
	dir := ArtifactsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("browsertest: %w", err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("browsertest: %w", err)
	}
	return p, nil
}

func (b *Browser) close() {
	if b.t.Failed() {
		base := unsafeName.ReplaceAllString(b.t.Name(), "_")
		if p, err := b.Screenshot(base + "-failure"); err == nil {
			b.t.Logf("browsertest: screenshot saved to %s", p)
		}
		var log bytes.Buffer
		for _, m := range b.Messages() {
			fmt.Fprintln(&log, m)
		}
		fmt.Fprintf(&log, "\n--- browser output ---\n%s", b.output.String())
		if p, err := writeArtifact(base+"-console.txt", log.Bytes()); err == nil {
			b.t.Logf("browsertest: console saved to %s", p)
		}
	}
	b.mu.Lock()
	cancels := b.cancels
	b.mu.Unlock()
	for _, c := range cancels {
		c()
	}
	b.cancel()
	b.wg.Wait()
	// Helper processes can outlive the browser for a moment.
	for range 20 {
		if os.RemoveAll(b.profile) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Logf("browsertest: could not remove the profile %s", b.profile)
}

// lockedBuffer collects the browser's output from its own goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RepoRoot returns the root of the module: the nearest directory above the
// working directory that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// BuildClient builds the browser client into dir with scripts/build-wasm.sh
// (vellum.wasm, wasm_exec.js, vellum.wasm.sha256): the same build as for
// release, so tests run what ships. Tests call it from TestMain, so they work
// from a clean clone.
func BuildClient(dir string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-wasm.sh"), dir)
	cmd.Dir = root
	// A seal log key pinned from the caller's shell would make the pages
	// distrust the test server's own log: tests run the unpinned build.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VELLUM_LOG_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("browsertest: building the wasm client: %v\n%s", err, out)
	}
	return nil
}
