//go:build !js

package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"vellum.dev/vellum/internal/browsertest"
)

// person is one user in their own headless Chromium (own profile, so own
// IndexedDB and trusted-device identity), driving the real pages.
type person struct {
	t        *testing.T
	v        *vellumd
	name     string
	email    string
	password string
	recovery string
	b        *browsertest.Browser

	downloadDir string
	mu          sync.Mutex
	downloads   map[string]*browser.EventDownloadWillBegin // guid → begin
	finished    chan *browser.EventDownloadProgress
	took        map[string]bool // downloads already returned, by GUID
}

func newPerson(t *testing.T, v *vellumd, name, email, password string) *person {
	t.Helper()
	p := &person{t: t, v: v, name: name, email: email, password: password,
		downloadDir: t.TempDir(), downloads: make(map[string]*browser.EventDownloadWillBegin),
		finished: make(chan *browser.EventDownloadProgress, 16), took: make(map[string]bool)}
	p.b = browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	// Downloads go to a directory of the test, named by their GUID, and
	// report their end.
	if err := chromedp.ListenBrowser(p.b.Context(), func(ev any) {
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			p.mu.Lock()
			p.downloads[e.GUID] = e
			p.mu.Unlock()
		case *browser.EventDownloadProgress:
			if e.State != browser.DownloadProgressStateInProgress {
				select {
				case p.finished <- e:
				default:
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := chromedp.CallBrowser(p.b.Context(), browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: p.downloadDir, EventsEnabled: &on,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(p.b.Context(), chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *person) fatalf(format string, args ...any) {
	p.t.Helper()
	p.screenshot("failure-" + p.name)
	p.t.Fatalf("%s: %s\nbrowser errors: %v", p.name, fmt.Sprintf(format, args...), p.b.Errors())
}

// do runs actions with a timeout.
func (p *person) do(timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.b.Context(), timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fatalf("%s: %v", what, err)
	}
}

// open loads a route of the app in a fresh page and waits for the app.
func (p *person) open(route string) {
	p.t.Helper()
	p.navigate(p.v.url + "/#" + route)
}

func (p *person) navigate(url string) {
	p.t.Helper()
	p.do(30*time.Second, "navigate", chromedp.Navigate(url))
	p.waitJS(60*time.Second, `document.documentElement.dataset.ready === "true"`)
}

// route moves to a route inside the running app (no reload).
func (p *person) route(route string) {
	p.t.Helper()
	// The same route again draws the view again (as a click on its link
	// does in the app).
	p.eval(fmt.Sprintf(`(() => { if (location.hash === "#" + %q) window.dispatchEvent(new HashChangeEvent("hashchange")); else location.hash = %q; return true; })()`, route, route))
	p.idle()
}

// idle waits until the current view finished rendering.
func (p *person) idle() {
	p.t.Helper()
	p.waitJS(60*time.Second, `!document.querySelector("#view[aria-busy]") && document.documentElement.dataset.ready === "true"`)
}

func (p *person) fill(id, value string) {
	p.t.Helper()
	p.do(30*time.Second, "fill #"+id, chromedp.SetValue(chromedp.CSS("#"+id), value, chromedp.NodeVisible))
}

func (p *person) click(sel string) {
	p.t.Helper()
	p.do(30*time.Second, "click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (p *person) wait(sel string) {
	p.t.Helper()
	p.do(60*time.Second, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (p *person) text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.b.Context(), 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		p.fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval runs JavaScript in the page (awaiting a Promise) and decodes its value.
func (p *person) eval(expr string) any {
	p.t.Helper()
	v, err := browsertest.Eval[any](p.b, 2*time.Minute, expr)
	if err != nil {
		p.fatalf("eval %s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript expression until it is truthy.
func (p *person) waitJS(timeout time.Duration, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.b.Context(), timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.fatalf("waiting for %s: %v", expr, err)
	}
}

// errorCode returns the code of the error shown in the form or banner.
func (p *person) errorCode(sel string) string {
	p.t.Helper()
	p.wait(sel + " [data-code]")
	v := p.eval(fmt.Sprintf(`document.querySelector(%q).dataset.code`, sel+" [data-code]"))
	s, _ := v.(string)
	return s
}

// screenshot saves the viewport to the artifacts folder, and checks the
// page's accessibility basics as it is.
func (p *person) screenshot(name string) {
	if path, err := p.b.Screenshot("e2e-" + name); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	} else {
		p.t.Logf("screenshot: %s", path)
	}
	if !strings.HasPrefix(name, "failure") {
		p.checkA11y(name)
	}
}

// a11yAudit lists what a page gets wrong of the basics a tool like axe
// checks first: every visible form control has a label, every visible
// button and link a name, every image an alt, one h1, a language, unique
// ids, and text with WCAG AA contrast against its background (4.5:1, or 3:1
// for large text).
const a11yAudit = `(() => {
	const problems = [];
	const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && getComputedStyle(el).visibility !== "hidden";
	for (const el of document.querySelectorAll("input, select, textarea")) {
		if (el.type === "hidden" || el.closest("[aria-hidden=true]") || !visible(el)) continue;
		if (!((el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby"))) problems.push("unlabelled " + el.tagName.toLowerCase() + "#" + el.id);
	}
	for (const el of document.querySelectorAll("button, a[href]")) {
		if (!visible(el)) continue;
		if (!(el.getAttribute("aria-label") || el.textContent || "").trim()) problems.push("unnamed " + el.outerHTML.slice(0, 80));
	}
	for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("img without alt");
	const h1 = Array.from(document.querySelectorAll("h1")).filter(visible);
	if (h1.length !== 1) problems.push(h1.length + " visible h1 elements");
	if (!document.documentElement.lang) problems.push("no lang on html");
	const ids = new Set();
	for (const el of document.querySelectorAll("[id]")) { if (ids.has(el.id)) problems.push("duplicate id " + el.id); ids.add(el.id); }
	const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
		.reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
	const background = (el) => {
		for (let e = el; e; e = e.parentElement) {
			const c = rgb(getComputedStyle(e).backgroundColor);
			if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
		}
		return [255, 255, 255];
	};
	const seen = new Set();
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!el || !n.textContent.trim() || seen.has(el) || !visible(el) || el.closest("[aria-hidden=true], .visually-hidden, .toasts, button:disabled, dialog:not([open])")) continue;
		seen.add(el);
		const st = getComputedStyle(el);
		if (Number(st.opacity) < 1) continue;
		const fg = rgb(st.color), bg = background(el);
		const [a, b] = [lum(fg.slice(0, 3)) + 0.05, lum(bg) + 0.05];
		const ratio = Math.max(a, b) / Math.min(a, b);
		const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
		const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
		if (ratio < need) problems.push("contrast " + ratio.toFixed(2) + " < " + need + ": " + JSON.stringify(n.textContent.trim().slice(0, 40)));
	}
	return problems;
})()`

func (p *person) checkA11y(page string) {
	p.t.Helper()
	v, err := browsertest.Eval[[]string](p.b, 30*time.Second, a11yAudit)
	if err != nil {
		p.t.Errorf("%s: accessibility audit of %s: %v", p.name, page, err)
		return
	}
	for _, problem := range v {
		p.t.Errorf("%s: accessibility of %s: %s", p.name, page, problem)
	}
}

// signUp creates the account through the sign-up page, with the code from
// the e-mail, and keeps the recovery code shown once.
func (p *person) signUp(shots bool) {
	p.t.Helper()
	p.open("/signup")
	n := p.v.noticeCount()
	p.fill("signup-email", p.email)
	p.fill("signup-password", p.password)
	p.fill("signup-confirm", p.password)
	if shots {
		p.screenshot("01-signup")
	}
	p.click("#signup-submit")
	code := p.v.code(p.email, "sign-up code", n)
	p.wait("#signup-code-input")
	if shots {
		p.screenshot("02-signup-code")
	}
	p.fill("signup-code-input", code)
	p.click("#signup-code-submit")
	p.wait("#recovery-code")
	p.recovery = p.text("#recovery-code")
	if p.recovery == "" {
		p.fatalf("no recovery code shown")
	}
	if shots {
		p.screenshot("03-recovery-code")
	}
	p.click("#recovery-saved")
	p.click("#recovery-continue")
	p.waitJS(60*time.Second, `!location.hash.startsWith("#/signup")`)
	p.idle()
}

// logIn logs in through the login page; a new browser is confirmed with
// the e-mailed code.
func (p *person) logIn(newDevice bool, shots bool) {
	p.t.Helper()
	p.open("/login")
	n := p.v.noticeCount()
	p.fill("login-email", p.email)
	p.fill("login-password", p.password)
	if shots {
		p.screenshot("10-login")
	}
	p.click("#login-submit")
	if newDevice {
		code := p.v.code(p.email, "sign-in code", n)
		p.wait("#device-code")
		if shots {
			p.screenshot("11-login-new-device")
		}
		p.fill("device-code", code)
		p.click("#device-submit")
	}
	p.waitJS(60*time.Second, `!location.hash.startsWith("#/login")`)
	p.idle()
}

// addToCompany makes m a member of admin's company tid, as people do it:
// admin invites m's address; m opens the e-mailed link, logs in on a
// browser it already trusts (so no device code may be asked), and accepts;
// admin adds m after checking that the fingerprint shown is the one m's
// account page shows. With shots it takes the tour's screenshots.
func (admin *person) addToCompany(tid string, m *person, shots bool) {
	admin.t.Helper()
	shot := func(p *person, name string) {
		if shots {
			p.screenshot(name)
		}
	}
	row := fmt.Sprintf(`tr[data-email=%q]`, m.email)
	admin.route("/c/" + tid + "/members")
	admin.fill("invite-email", m.email)
	admin.click("#invite-submit")
	admin.wait("#invites " + row)
	shot(admin, "08-members-invite")
	link := admin.v.link(m.email, "invited")

	before := admin.v.noticeCount()
	m.navigate(link)
	m.wait("#invite-login")
	shot(m, "09-invite")
	m.click("#invite-login")
	m.fill("login-email", m.email)
	m.fill("login-password", m.password)
	m.click("#login-submit")
	m.wait("#accept-submit")
	m.click("#accept-submit")
	m.wait("#invite-accepted")
	shot(m, "10-invite-accepted")
	for _, n := range admin.v.notices.Notices()[before:] {
		if n.To == m.email && strings.Contains(n.Subject, "sign-in code") {
			admin.t.Errorf("%s's login on their own browser asked for a device code: the trusted device was not kept in IndexedDB", m.name)
		}
	}
	m.route("/account")
	fingerprint := m.text("#account-fingerprint")
	shot(m, "11-account")

	admin.route("/c/" + tid + "/members")
	admin.click("#invites " + row + " .add-member")
	admin.wait("#invitee-fingerprint")
	if got := admin.text("#invitee-fingerprint"); got != fingerprint {
		admin.t.Errorf("%s is shown fingerprint %q for %s, whose account page says %q", admin.name, got, m.name, fingerprint)
	}
	shot(admin, "12-add-member")
	admin.click("#dialog-confirm")
	admin.wait("#members " + row)
	shot(admin, "13-members")
}

// download clicks sel, waits for the browser's download to finish and
// returns the SHA-256 and size of the saved file.
func (p *person) download(sel string) (string, int64) {
	p.t.Helper()
	f, err := os.Open(p.downloadFile(sel))
	if err != nil {
		p.fatalf("download: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		p.fatalf("download: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// downloadFile clicks sel and returns the path of the file the browser
// saved, once its download completed.
func (p *person) downloadFile(sel string) string {
	p.t.Helper()
	p.click(sel)
	timeout := time.After(2 * time.Minute)
	for {
		var e *browser.EventDownloadProgress
		select {
		case e = <-p.finished:
		case <-timeout:
			p.fatalf("the download did not finish")
		}
		if p.took[e.GUID] {
			continue // an earlier download's end, reported twice
		}
		p.took[e.GUID] = true
		if e.State != browser.DownloadProgressStateCompleted {
			p.fatalf("download ended %s", e.State)
		}
		return filepath.Join(p.downloadDir, e.GUID)
	}
}
