//go:build !js

package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/wasm/client"
)

// TestEnvelopesUI drives the sender's signature pages against a real
// vellumd: an admin uploads a document and, from its page, sends it for
// signature to herself and an outside signer (sequential, the outsider
// first after reordering). Mistakes in the form (no signer, no phone, a
// bad e-mail address) are explained and lose nothing typed. The envelope's
// page shows each signer's status; a reminder reaches the outsider, a
// second one within the hour is refused in words; the outsider's link is
// copied (never written into the page) and is the link of this envelope
// and signer. A second envelope is cancelled with a reason.
func TestEnvelopesUI(t *testing.T) {
	v := startVellumd(t, vellumdOptions{})
	contract, contractSum := writeRandomFile(t, t.TempDir(), "contract.txt", 4000)
	const olgaEmail, olgaPhone = "olga@outside.example", "+4915123456789"

	alice := newPerson(t, v, "env-alice", "alice@sign.example", "alice's long password")
	alice.signUp(false)
	tid, _ := alice.companyWithFolder("Sign Co", "Contracts")
	alice.upload(contract)
	doc := alice.idOf(`#doc-table tr[data-name="contract.txt"]`)
	me, _ := alice.clientCall(`c.session().then((s) => s.accountId)`).(string)

	// From the document's page to the form, with the document chosen.
	alice.route("/c/" + tid + "/d/" + doc)
	alice.click("#send-for-signature")
	alice.wait("#envelope-form")
	if got := alice.eval(`document.querySelector("#envelope-document").dataset.id`); got != doc {
		t.Errorf("the form's document is %v, want %s", got, doc)
	}
	if got := alice.eval(`document.querySelector("#nav-signatures") !== null`); got != true {
		t.Error("no Signatures entry in the company's menu")
	}
	alice.screenshot("env-01-form")

	formError := func(want string) {
		t.Helper()
		if code := alice.errorCode("#envelope-form"); code != "invalid" {
			t.Errorf("form error code %q, want invalid", code)
		}
		if got := alice.text("#envelope-form .error-title"); !strings.Contains(strings.ToLower(got), want) {
			t.Errorf("form error %q, want it to say %q", got, want)
		}
	}
	values := func(sel string) string {
		t.Helper()
		s, _ := alice.eval(fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (e) => e.value).join("|")`, sel)).(string)
		return s
	}

	// No signers.
	alice.click("#envelope-form-submit")
	formError("add at least one signer")

	// An outsider without a phone: the name and address stay.
	alice.click("#add-member-signer")
	alice.do(10*time.Second, "choose the member", chromedp.SetValue(chromedp.CSS(`#signer-list li[data-kind="member"] select`), me))
	alice.click("#add-outside-signer")
	out := `#signer-list li[data-kind="outsider"]`
	alice.do(10*time.Second, "type the outsider", chromedp.SetValue(chromedp.CSS(out+` input[id$="-name"]`), "Olga Outside"),
		chromedp.SetValue(chromedp.CSS(out+` input[id$="-email"]`), olgaEmail))
	alice.click("#envelope-form-submit")
	formError("enter their mobile phone number")
	if got := values(out + " input"); got != "Olga Outside|"+olgaEmail+"|" {
		t.Errorf("after the error the outsider's fields hold %q", got)
	}
	if got := alice.eval(`document.activeElement.id.endsWith("-phone") && document.activeElement.getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the missing phone is not focused and marked invalid: %v", got)
	}
	alice.screenshot("env-02-no-phone")

	// A bad address: the rest stays, the phone as typed.
	alice.do(10*time.Second, "type a bad address and a phone", chromedp.SetValue(chromedp.CSS(out+` input[id$="-email"]`), "olga@"),
		chromedp.SetValue(chromedp.CSS(out+` input[id$="-phone"]`), "+49 151 2345 6789"))
	alice.click("#envelope-form-submit")
	formError("is not an e-mail address")
	if got := values(out + " input"); got != "Olga Outside|olga@|+49 151 2345 6789" {
		t.Errorf("after the error the outsider's fields hold %q", got)
	}
	if got := values(`#signer-list li[data-kind="member"] select`); got != me {
		t.Errorf("after the error the member signer is %q", got)
	}
	alice.screenshot("env-03-bad-email")

	// Fixed; the outsider moved first, a message; sent.
	alice.do(10*time.Second, "fix the address", chromedp.SetValue(chromedp.CSS(out+` input[id$="-email"]`), olgaEmail))
	alice.click(out + ` button[aria-label^="Move signer 2 up"]`)
	if got := alice.eval(`Array.from(document.querySelectorAll("#signer-list > li"), (li) => li.dataset.kind).join(",")`); got != "outsider,member" {
		t.Fatalf("after moving the outsider up the order is %v", got)
	}
	alice.fill("envelope-message", "Please sign by Friday.")
	alice.screenshot("env-04-form-filled")
	before := v.noticeCount()
	alice.click("#envelope-form-submit")
	alice.wait("#envelope-signers")
	eid := strings.TrimPrefix(alice.currentRoute(), "/c/"+tid+"/envelopes/")
	alice.idle()

	// The PIN went by text message to the number typed, normalised.
	var pin string
	for _, n := range v.notices.Notices()[before:] {
		if n.Kind == notify.KindSMS && n.To == olgaPhone {
			if m := codeRE.FindStringSubmatch(n.Body); m != nil {
				pin = m[1]
			}
		}
	}
	if pin == "" {
		t.Fatalf("no PIN texted to %s", olgaPhone)
	}

	// Statuses as the sender sees them.
	status := func(kind string) string {
		t.Helper()
		return alice.text(fmt.Sprintf(`#envelope-signers tr[data-kind=%q] .signer-status`, kind))
	}
	if got := status("outsider"); got != "Pending: not opened yet" {
		t.Errorf("outsider's status %q", got)
	}
	if got := status("member"); got != "Waiting for their turn" {
		t.Errorf("member's status %q", got)
	}
	if got := alice.eval(`document.querySelector("#envelope-status [data-status]").dataset.status`); got != "sent" {
		t.Errorf("envelope status %v", got)
	}
	if got := alice.text("#envelope-message-text"); got != "Please sign by Friday." {
		t.Errorf("message shown as %q", got)
	}
	alice.wait("#envelope-links")
	alice.screenshot("env-05-envelope")

	// The link: copied on request, for this envelope and signer, and in
	// the page nowhere (nor the PIN).
	link := alice.copied("#envelope-links .copy-link")
	signer, _ := alice.eval(`document.querySelector('#envelope-signers tr[data-kind="outsider"]').dataset.signer`).(string)
	prefix := v.url + "/sign/" + eid + "/" + signer + "#"
	if !strings.HasPrefix(link, prefix) || len(link) < len(prefix)+40 {
		t.Errorf("copied link %q, want %s<secret>", link, prefix)
	} else if html, _ := alice.eval(`document.documentElement.outerHTML`).(string); strings.Contains(html, link[len(prefix):]) || strings.Contains(html, pin) {
		t.Error("the link's secret or the PIN is written into the page")
	}

	if got := alice.eval(`document.querySelector("#review-and-sign") === null`); got != true {
		t.Error("Review and sign is offered before the signer's turn")
	}

	// Remind: the outsider gets a notice; again within the hour is refused.
	before = v.noticeCount()
	alice.click(`#envelope-signers tr[data-kind="outsider"] .remind`)
	alice.waitJS(30*time.Second, `document.querySelector("#envelope-action-status").textContent.startsWith("Reminder sent")`)
	reminded := false
	for _, n := range v.notices.Notices()[before:] {
		reminded = reminded || n.To == olgaEmail && strings.Contains(n.Subject, "waiting for your signature")
	}
	if !reminded {
		t.Errorf("no reminder reached %s", olgaEmail)
	}
	alice.click("#remind-all")
	alice.waitJS(30*time.Second, `document.querySelector("#envelope-action-status").textContent.startsWith("Not sent")`)
	alice.screenshot("env-06-reminded")

	// A second envelope, parallel, to the outsider alone; cancelled.
	alice.route("/c/" + tid + "/envelopes/new?document=" + doc)
	alice.click("#add-outside-signer")
	alice.do(10*time.Second, "type the outsider", chromedp.SetValue(chromedp.CSS(out+` input[id$="-name"]`), "Olga Outside"),
		chromedp.SetValue(chromedp.CSS(out+` input[id$="-email"]`), olgaEmail),
		chromedp.SetValue(chromedp.CSS(out+` input[id$="-phone"]`), olgaPhone))
	alice.click(`#envelope-order input[value="parallel"]`)
	alice.click("#envelope-form-submit")
	alice.wait("#cancel-envelope")
	eid2 := strings.TrimPrefix(alice.currentRoute(), "/c/"+tid+"/envelopes/")
	alice.click("#cancel-envelope")
	alice.wait("#cancel-reason")
	alice.fill("cancel-reason", "Wrong version attached")
	alice.screenshot("env-07-cancel")
	alice.click("#dialog-form-submit")
	alice.waitJS(30*time.Second, `document.querySelector('#envelope-status [data-status="cancelled"]') !== null`)
	if got := alice.text("#envelope-reason"); got != "Wrong version attached" {
		t.Errorf("cancel reason shown as %q", got)
	}
	if got := alice.eval(`document.querySelector("#cancel-envelope") === null && document.querySelector(".remind") === null`); got != true {
		t.Error("a cancelled envelope still offers cancel or remind")
	}
	alice.screenshot("env-08-cancelled")

	// The list shows both, each with its status.
	alice.click("#nav-signatures")
	alice.wait("#envelope-list")
	for id, want := range map[string]string{eid: "sent", eid2: "cancelled"} {
		if got := alice.eval(fmt.Sprintf(`(document.querySelector('#envelope-list tr[data-id=%q]') || {dataset: {}}).dataset.status`, id)); got != want {
			t.Errorf("list: envelope %s status %v, want %s", id, got, want)
		}
	}
	alice.screenshot("env-09-list")

	// Olga signs through her link in her own browser; then it is Alice's
	// turn, and her page offers to review and sign.
	olga := newPerson(t, v, "env-olga", olgaEmail, "")
	olga.open("/login")
	readAndSign := `c.signingDocument(h).then((d) => new Response(d.stream).arrayBuffer().then(() => d.done)).then(() => c.signingSign(h))`
	if got := olga.clientCall(fmt.Sprintf(`c.openSigningLink(%q, %q).then((v) => { const h = v.handle; return %s; }).then((r) => r.last)`, link, pin, readAndSign)); got != false {
		t.Fatalf("Olga signing: %v", got)
	}
	alice.route("/c/" + tid + "/envelopes/" + eid)
	alice.wait("#review-and-sign")
	if got := status("outsider"); !strings.HasPrefix(got, "Signed ") {
		t.Errorf("outsider's status after signing %q", got)
	}
	alice.screenshot("env-10-your-turn")

	// Alice signs and seals (the signing page's own panel is tested with
	// it); her envelope page then offers the sealed document and its seal.
	if got := alice.clientCall(fmt.Sprintf(`c.openEnvelope(%q, %q).then((v) => { const h = v.handle; return %s.then(() => c.signingSeal(h)); }).then((r) => r.sealFile && r.sealFile.length > 0 ? "sealed" : "no seal file")`, tid, eid, readAndSign)); got != "sealed" {
		t.Fatalf("Alice signing and sealing: %v", got)
	}
	alice.route("/c/" + tid + "/envelopes/" + eid)
	alice.wait("#download-signed")
	if got := alice.eval(`document.querySelector("#envelope-status [data-status]").dataset.status`); got != "sealed" {
		t.Errorf("envelope status after sealing %v", got)
	}
	docPath := alice.downloadFile("#download-signed")
	alice.waitJS(time.Minute, `!document.querySelector("#download-seal").disabled`)
	sealPath := alice.downloadFile("#download-seal")
	alice.screenshot("env-11-sealed")
	signed, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	sealFile, err := os.ReadFile(sealPath)
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := note.NewVerifier(v.logKey)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(signed); hex.EncodeToString(sum[:]) != contractSum {
		t.Errorf("the signed document downloaded has SHA-256 %x, the uploaded %s", sum, contractSum)
	}
	check, err := client.CheckSeal(bytes.NewReader(signed), sealFile, logKey)
	if err != nil || !check.Valid() {
		t.Errorf("the downloaded document and .seal file do not verify: %v %+v", err, check)
	}
	alice.b.CheckNoErrors(t)
	olga.b.CheckNoErrors(t)
}

// copied clicks a "Copy" button sel and returns what it put on the
// clipboard, once its toast says so. The page may use the clipboard: the
// test grants what a person's click grants.
func (p *person) copied(sel string) string {
	p.t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(p.b.Context(), browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: p.v.url,
		}); err != nil {
			p.t.Fatal(err)
		}
	}
	n, _ := p.eval(`document.querySelectorAll(".toast").length`).(float64)
	p.click(sel)
	p.waitJS(30*time.Second, fmt.Sprintf(`document.querySelectorAll(".toast").length > %v`, n))
	text, _ := p.eval(`navigator.clipboard.readText()`).(string)
	return text
}

// companyWithFolder creates a company from the page a new account lands
// on, and a folder in it, and returns their ids; the folder's page is open.
func (p *person) companyWithFolder(company, folder string) (tid, fid string) {
	p.t.Helper()
	p.fill("company-name", company)
	p.click("#company-submit")
	p.wait("#new-folder")
	tid = strings.TrimPrefix(p.currentRoute(), "/c/")
	p.click("#new-folder")
	p.fill("folder-name", folder)
	p.click("#dialog-form-submit")
	p.wait("#upload-button")
	return tid, strings.TrimPrefix(p.currentRoute(), "/c/"+tid+"/f/")
}
