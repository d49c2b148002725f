//go:build !js

package web_test

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// writeRandomFile writes size random bytes to dir/name and returns the path
// and the SHA-256.
func writeRandomFile(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return p, hex.EncodeToString(sum[:])
}

// idOf reads a data-id attribute.
func (p *person) idOf(sel string) string {
	p.t.Helper()
	p.wait(sel)
	s, _ := p.eval(fmt.Sprintf(`document.querySelector(%q).dataset.id`, sel)).(string)
	if s == "" {
		p.fatalf("no data-id on %s", sel)
	}
	return s
}

// currentRoute is the fragment path of the page.
func (p *person) currentRoute() string {
	s, _ := p.eval(`location.hash.slice(1)`).(string)
	return s
}

// upload sets files on the folder's file input and waits until every
// transfer row of them is done.
func (p *person) upload(files ...string) {
	p.t.Helper()
	p.do(30*time.Second, "choose files", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), files))
	for _, f := range files {
		name := filepath.Base(f)
		p.waitJS(3*time.Minute, fmt.Sprintf(`(() => { const r = document.querySelector('#transfer-list [data-kind="upload"][data-name=%q]'); return r && r.dataset.state !== "running"; })()`, name))
		if st := p.eval(fmt.Sprintf(`document.querySelector('#transfer-list [data-kind="upload"][data-name=%q]').dataset.state`, name)); st != "done" {
			p.fatalf("upload of %s ended %v", name, st)
		}
		p.wait(fmt.Sprintf(`#doc-table tr[data-name=%q]`, name))
	}
}

// clientCall runs a method of the page's Vellum client and returns its
// value, or "error:<code>".
func (p *person) clientCall(expr string) any {
	p.t.Helper()
	return p.eval(`import("/vellum-client.js").then((m) => { const c = m.client(); return ` + expr + `; }).then((v) => v === undefined ? null : v, (e) => "error:" + e.code)`)
}

// TestProduct drives the real pages against a real vellumd with three
// people: Alice and Bob of one company, Carol of another. Sign-up (with the
// e-mailed code and the recovery code shown once), company creation,
// folders, a 50 MiB upload, an invitation accepted and checked by
// fingerprint, sharing, Bob's download compared byte for byte, Carol kept
// out, an access request approved in Alice's browser, Bob removed and kept
// from the new version, a login from a new browser with the e-mailed code.
// Each page is saved as a screenshot in the artifacts folder.
func TestProduct(t *testing.T) {
	v := startVellumd(t, vellumdOptions{})
	files := t.TempDir()
	bigPath, bigSum := writeRandomFile(t, files, "Q3 board deck.bin", 50<<20)
	minutesPath, minutesSum := writeRandomFile(t, files, "minutes.txt", 3000)

	var alice, bob, carol *person
	var wg sync.WaitGroup
	for _, p := range []**person{&alice, &bob, &carol} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch p {
			case &alice:
				*p = newPerson(t, v, "alice", "alice@acme.example", "alice's long password")
			case &bob:
				*p = newPerson(t, v, "bob", "bob@acme.example", "bob's long password!")
			case &carol:
				*p = newPerson(t, v, "carol", "carol@other.example", "carol's long password")
			}
		}()
	}
	wg.Wait()

	// Alice signs up and creates the company, a folder, and uploads.
	alice.signUp(true)
	if r := alice.currentRoute(); r != "/companies/new" {
		t.Fatalf("after sign-up without a company: route %s, want /companies/new", r)
	}
	alice.screenshot("04-new-company")
	alice.fill("company-name", "Acme Corp")
	alice.click("#company-submit")
	alice.wait("#new-folder")
	tid := strings.TrimPrefix(alice.currentRoute(), "/c/")
	alice.screenshot("05-company-files")
	alice.click("#new-folder")
	alice.fill("folder-name", "Contracts")
	alice.click("#dialog-form-submit")
	alice.wait("#upload-button")
	if !strings.HasPrefix(alice.currentRoute(), "/c/"+tid+"/f/") {
		t.Fatalf("after creating a folder: route %s", alice.currentRoute())
	}

	alice.do(30*time.Second, "choose the big file", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), []string{bigPath}))
	alice.waitJS(2*time.Minute, `(() => { const r = document.querySelector('#transfer-list [data-kind="upload"]'); return r && (r.dataset.state !== "running" || Number(r.querySelector("progress").value) > 8e6); })()`)
	alice.screenshot("06-upload-progress")
	alice.waitJS(3*time.Minute, `document.querySelector('#transfer-list [data-kind="upload"]').dataset.state !== "running"`)
	if st := alice.eval(`document.querySelector('#transfer-list [data-kind="upload"]').dataset.state`); st != "done" {
		alice.fatalf("the 50 MiB upload ended %v", st)
	}
	rowSel := `#doc-table tr[data-name="Q3 board deck.bin"]`
	alice.wait(rowSel)
	mbps := alice.eval(`document.querySelector('#transfer-list [data-kind="upload"]').dataset.mbps`)
	status := alice.text(`#transfer-list [data-kind="upload"] .transfer-status`)
	t.Logf("50 MiB upload: %s (average %v MB/s)", status, mbps)
	if !strings.Contains(status, "MB/s") {
		t.Errorf("the upload's status shows no speed: %q", status)
	}
	doc := alice.idOf(rowSel)

	// A file dropped on the folder is uploaded too.
	alice.eval(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["dropped in the browser"], "notes.txt", { type: "text/plain" }));
		const z = document.querySelector("#dropzone");
		for (const type of ["dragenter", "dragover", "drop"]) z.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true;
	})()`)
	alice.wait(`#doc-table tr[data-name="notes.txt"]`)
	alice.screenshot("07-folder")

	// Deleting asks first, then the document is gone.
	alice.click(`#doc-table tr[data-name="notes.txt"] .delete`)
	alice.wait("#dialog-confirm")
	alice.screenshot("07b-delete-confirm")
	alice.click("#dialog-confirm")
	alice.waitJS(30*time.Second, `!document.querySelector('#doc-table tr[data-name="notes.txt"]')`)

	// An upload cancelled from its row stops, and leaves no document.
	copyPath := filepath.Join(files, "cancelled.bin")
	if err := os.Link(bigPath, copyPath); err != nil {
		t.Fatal(err)
	}
	alice.do(30*time.Second, "choose a file to cancel", chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), []string{copyPath}))
	alice.click(`#transfer-list [data-name="cancelled.bin"][data-state="running"] button`)
	alice.waitJS(time.Minute, `document.querySelector('#transfer-list [data-name="cancelled.bin"]').dataset.state !== "running"`)
	if st := alice.eval(`document.querySelector('#transfer-list [data-name="cancelled.bin"]').dataset.state`); st != "cancelled" {
		t.Errorf("the cancelled upload ended %v", st)
	}
	if n := alice.clientCall(fmt.Sprintf(`c.documents(%q, %q).then((ds) => ds.filter((d) => d.name === "cancelled.bin").length)`, tid, strings.TrimPrefix(alice.currentRoute(), "/c/"+tid+"/f/"))); n != float64(0) {
		t.Errorf("a cancelled upload left %v documents", n)
	}

	// Bob and Carol sign up; Carol has a company of her own.
	bob.signUp(false)
	carol.signUp(false)
	carol.fill("company-name", "Other Co")
	carol.click("#company-submit")
	carol.wait("#new-folder")

	// Alice invites Bob; he joins from his own browser, and she adds him
	// after comparing his fingerprint.
	alice.addToCompany(tid, bob, true)

	// Alice shares the document with Bob from its page.
	alice.route("/c/" + tid + "/d/" + doc)
	alice.click("#share-doc")
	alice.wait("#share-member")
	alice.click("#dialog-form-submit")
	alice.wait(`#doc-grants li`)
	alice.screenshot("14-document")

	// Bob, who holds none of the company's folders, finds it under
	// "Shared with you" on the company's page and opens it from there.
	bob.route("/c/" + tid)
	sharedRow := fmt.Sprintf(`#shared-table tr[data-id=%q]`, doc)
	bob.wait(sharedRow)
	if name := bob.text(sharedRow + " th"); name != "Q3 board deck.bin" {
		t.Errorf("Bob's shared document is named %q", name)
	}
	// The company Bob joined since his list of companies was loaded has
	// its sidebar on this first page of it.
	bob.wait("#sidebar #nav-files")
	bob.screenshot("14b-shared-with-bob")
	bob.click(sharedRow + " th a")
	bob.wait("#download-doc")
	if r := bob.currentRoute(); r != "/c/"+tid+"/d/"+doc {
		t.Errorf("the shared document's link opened %s", r)
	}

	// Bob downloads it: the bytes match.
	bob.route("/c/" + tid + "/d/" + doc)
	bob.wait("#download-doc")
	bob.screenshot("15-bob-document")
	sum, n := bob.download("#download-doc")
	if sum != bigSum || n != 50<<20 {
		t.Errorf("Bob downloaded %d bytes with SHA-256 %s, want %d bytes with %s", n, sum, 50<<20, bigSum)
	}
	bob.waitJS(time.Minute, `document.querySelector('#transfer-list [data-kind="download"]').dataset.state === "done"`)
	dlStatus := bob.text(`#transfer-list [data-kind="download"] .transfer-status`)
	t.Logf("50 MiB download: %s", dlStatus)
	if strings.Contains(dlStatus, "through memory") {
		t.Error("the download went through memory, not streamed through the service worker")
	}
	bob.screenshot("16-bob-downloaded")

	// Carol, of another company, can neither see nor fetch it.
	carol.route("/c/" + tid + "/d/" + doc)
	carol.wait("#banner [data-code]")
	if code := carol.errorCode("#banner"); code != "forbidden" && code != "not_found" {
		t.Errorf("Carol opening Alice's document: error %q, want forbidden or not_found", code)
	}
	carol.screenshot("17-stranger")
	if got := carol.clientCall(fmt.Sprintf(`c.download(%q, %q)`, tid, doc)); got != "error:forbidden" && got != "error:not_found" {
		t.Errorf("Carol's client fetching the document: %v", got)
	}
	if got := carol.clientCall(`c.tenants().then((ts) => ts.map((t) => t.name).join(","))`); got != "Other Co" {
		t.Errorf("Carol sees companies %v", got)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := hc.Get(fmt.Sprintf("%s/api/v1/tenants/%s/documents/%s/content", v.url, tid, doc)); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("fetching the content without a session: status %d", resp.StatusCode)
		}
	}
	hc.CloseIdleConnections()

	// An access request, approved from Alice's browser.
	alice.route("/c/" + tid)
	alice.click("#new-folder")
	alice.fill("folder-name", "Board")
	alice.click("#dialog-form-submit")
	alice.wait("#upload-button")
	board := strings.TrimPrefix(alice.currentRoute(), "/c/"+tid+"/f/")
	alice.upload(minutesPath)
	minutes := alice.idOf(`#doc-table tr[data-name="minutes.txt"]`)

	bob.route("/c/" + tid + "/f/" + board)
	bob.wait("#request-access")
	bob.fill("request-message", "For the board meeting prep, please.")
	bob.screenshot("18-request-access")
	bob.click("#request-access-submit")
	bob.wait("#request-sent")

	alice.route("/c/" + tid + "/requests")
	alice.wait(`#request-list .request[data-requester="bob@acme.example"]`)
	alice.screenshot("19-requests")
	alice.click(`#request-list .request[data-requester="bob@acme.example"] .approve`)
	alice.wait(`.toast`)
	alice.waitJS(30*time.Second, `!document.querySelector('#request-list .request[data-requester="bob@acme.example"]')`)

	bob.route("/c/" + tid + "/f/" + board)
	bob.wait(`#doc-table tr[data-name="minutes.txt"]`)
	sum, _ = bob.download(`#doc-table tr[data-name="minutes.txt"] .download`)
	if sum != minutesSum {
		t.Errorf("Bob's download of the approved folder's document differs")
	}

	// The activity log, as an admin sees it.
	alice.route("/c/" + tid + "/activity")
	alice.wait("#audit")
	if got := alice.eval(`document.querySelector("#audit-verified").className`); got != "ok" {
		t.Errorf("the activity log page did not verify: %v", got)
	}
	alice.screenshot("20-activity")

	// Alice removes Bob; her browser rotates the keys of the folders he
	// held, and a new version is made. Bob can no longer open it.
	alice.route("/c/" + tid + "/members")
	alice.click(`#members tr[data-email="bob@acme.example"] .remove`)
	alice.click("#dialog-confirm")
	alice.waitJS(30*time.Second, `!document.querySelector('#members tr[data-email="bob@acme.example"]')`)
	alice.screenshot("21-member-removed")
	if kv := alice.clientCall(fmt.Sprintf(`c.folder(%q, %q).then((f) => f.keyVersion)`, tid, board)); kv != float64(2) {
		t.Errorf("the Board folder's key version after Bob's removal: %v, want 2 (rotated)", kv)
	}
	alice.route("/c/" + tid + "/d/" + minutes)
	alice.wait("#upload-version")
	newMinutes, _ := writeRandomFile(t, files, "minutes v2.txt", 4000)
	alice.do(30*time.Second, "choose the new version", chromedp.SetUploadFiles(chromedp.CSS("#version-input"), []string{newMinutes}))
	alice.waitJS(time.Minute, `document.querySelector("#doc-version") && document.querySelector("#doc-version").textContent === "2"`)
	alice.screenshot("21b-versions")
	if sum, _ := alice.download(`#versions tr[data-version="1"] button`); sum != minutesSum {
		t.Error("version 1, downloaded after version 2 was made, differs from what was uploaded")
	}

	bob.route("/c/" + tid + "/d/" + minutes)
	if code := bob.errorCode("#banner"); code != "left_company" {
		t.Errorf("removed Bob opening the new version: error %q, want left_company", code)
	}
	bob.screenshot("22-removed-member")
	if got := bob.clientCall(fmt.Sprintf(`c.download(%q, %q, {version: 2})`, tid, minutes)); got != "error:forbidden" && got != "error:not_found" {
		t.Errorf("removed Bob fetching the new version: %v", got)
	}

	// Carol logs in from a new browser, with the keyboard only: the
	// e-mailed code confirms the browser.
	carol2 := newPerson(t, v, "carol-laptop", carol.email, carol.password)
	carol2.open("/login")
	before := v.noticeCount()
	carol2.do(30*time.Second, "type the login", chromedp.SendKeys(chromedp.CSS("#login-email"), carol.email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), carol.password))
	carol2.screenshot("23-login")
	carol2.do(30*time.Second, "press Enter", chromedp.SendKeys(chromedp.CSS("#login-password"), "\r"))
	code := v.code(carol.email, "sign-in code", before)
	carol2.wait("#device-code")
	if id := carol2.eval(`document.activeElement.id`); id != "device-code" {
		t.Errorf("the device code step does not put the focus in its field (focus on %v)", id)
	}
	carol2.screenshot("24-login-new-device")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	carol2.do(30*time.Second, "type a wrong code", chromedp.SendKeys(chromedp.CSS("#device-code"), wrong+"\r"))
	if c := carol2.errorCode("#device"); c != "auth_failed" {
		t.Errorf("a wrong device code: error %q, want auth_failed", c)
	}
	carol2.screenshot("24b-wrong-device-code")
	carol2.eval(`document.querySelector("#device-code").select(), true`)
	carol2.do(30*time.Second, "type the code", chromedp.SendKeys(chromedp.CSS("#device-code"), code+"\r"))
	carol2.wait("#new-folder")
	if id := carol2.eval(`document.activeElement.id`); id != "page-title" {
		t.Errorf("after navigation the focus is on %v, not the page's heading", id)
	}
	carol2.screenshot("25-after-new-device-login")

	// On a phone: the company menu folds behind a button.
	alice.do(10*time.Second, "phone viewport", chromedp.EmulateViewport(390, 844))
	alice.route("/c/" + tid)
	alice.wait("#nav-toggle")
	alice.screenshot("26-phone-files")
	alice.click("#nav-toggle")
	alice.wait("#nav-members")
	alice.screenshot("27-phone-menu")
	alice.click("#nav-members")
	alice.wait("#members")

	// The footer shows the bundle's fingerprint, and it is the one vellumd
	// publishes and the one built.
	built, err := os.ReadFile(filepath.Join(clientDir, "vellum.wasm.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := strings.Cut(string(built), " ")
	for _, p := range []*person{alice, bob, carol, carol2} {
		if got := p.eval(`document.querySelector("#fingerprint").dataset.sha256 + " " + document.querySelector("#fingerprint").dataset.match`); got != want+" true" {
			t.Errorf("%s's footer: %v, want %s matching", p.name, got, want)
		}
		p.b.CheckNoErrors(t)
	}
}
