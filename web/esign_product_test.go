//go:build !js

package web_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vellum.dev/vellum/internal/browsertest"
	"vellum.dev/vellum/internal/sealtest"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
)

// TestSignatureProduct is the e-signature product end to end, in real
// browsers against a real vellumd whose notices go out through its real
// SMS gateway and SMTP senders to servers on loopback. Alice, an admin,
// sends a PDF for signature in sequential order to Bob, a member of her
// company, and to two outsiders, Dora and Emil, whose PINs are read from
// the SMS gateway's captured requests and whose links Alice copies from
// her page (the link never passes the server). Emil, last in order, is told
// to wait; Bob signs in the app; Dora mistypes her PIN once, then signs;
// Emil signs last and his browser seals. Everyone downloads the same
// signed document; the seal's document hash equals sha256sum of it; the
// `vellum verify` CLI and the public verify page both accept it, and both
// refuse, each with its reason, a one-byte change, a removed signature,
// swapped signers, a checkpoint of another log key and a truncated proof.
// Nothing the server keeps holds the document, its name, the message, a
// link secret or a PIN.
func TestSignatureProduct(t *testing.T) {
	mail, deliver := startDelivery(t)
	v := startVellumd(t, vellumdOptions{recordBodies: true, deliver: deliver})
	cli := buildCLI(t)
	// Seals before this envelope's, so that its inclusion proof has
	// hashes for a forger to truncate.
	sealThroughVellumd(t, v)

	const (
		sentence = "CANARY-esign-7f3a buyer pays on delivery."
		fileName = "Purchase CANARY-esign-name-c51e.pdf"
		message  = "CANARY-esign-message-0d2b: please sign by Friday."
		doraMail = "dora@outside.example"
		doraTel  = "+4915130000001"
		emilMail = "emil@outside.example"
		emilTel  = "+4915130000002"
	)
	files := t.TempDir()
	pdf := onePagePDF(sentence)
	pdfPath := filepath.Join(files, fileName)
	if err := os.WriteFile(pdfPath, pdf, 0o600); err != nil {
		t.Fatal(err)
	}

	alice := newPerson(t, v, "esign-alice", "alice@esign.example", "alice's long password")
	bob := newPerson(t, v, "esign-bob", "bob@esign.example", "bob's long password!")
	alice.signUp(false)
	tid, _ := alice.companyWithFolder("Esign Co", "Contracts")
	alice.upload(pdfPath)
	doc := alice.idOf(fmt.Sprintf(`#doc-table tr[data-name=%q]`, fileName))
	bob.signUp(false)
	alice.addToCompany(tid, bob, false)
	bobID, _ := bob.clientCall(`c.session().then((s) => s.accountId)`).(string)

	// Alice sends it: Bob, then Dora, then Emil.
	alice.route("/c/" + tid + "/d/" + doc)
	alice.click("#send-for-signature")
	alice.wait("#envelope-form")
	alice.click("#add-member-signer")
	alice.do(10*time.Second, "choose Bob", chromedp.SetValue(chromedp.CSS(`#signer-list li[data-kind="member"] select`), bobID))
	for i, o := range []struct{ name, email, phone string }{{"Dora Díaz", doraMail, doraTel}, {"Emil Ek", emilMail, emilTel}} {
		alice.click("#add-outside-signer")
		row := fmt.Sprintf(`#signer-list > li:nth-child(%d)`, i+2)
		alice.do(10*time.Second, "type "+o.name, chromedp.SetValue(chromedp.CSS(row+` input[id$="-name"]`), o.name),
			chromedp.SetValue(chromedp.CSS(row+` input[id$="-email"]`), o.email),
			chromedp.SetValue(chromedp.CSS(row+` input[id$="-phone"]`), o.phone))
	}
	alice.fill("envelope-message", message)
	if got := alice.eval(`document.querySelector('#envelope-order input[value="sequential"]').checked`); got != true {
		t.Errorf("the order is not sequential by default")
	}
	smsBefore := mail.smsCount()
	alice.click("#envelope-form-submit")
	alice.wait("#envelope-signers")
	eid := strings.TrimPrefix(alice.currentRoute(), "/c/"+tid+"/envelopes/")
	alice.screenshot("esign-01-sent")

	// Each outsider's PIN, from what the SMS gateway received; each link,
	// as Alice copies it for her e-mail.
	pins := map[string]string{doraMail: mail.pin(doraTel, smsBefore), emilMail: mail.pin(emilTel, smsBefore)}
	links := map[string]string{}
	for _, email := range []string{doraMail, emilMail} {
		sel := fmt.Sprintf(`#envelope-links li[data-signer=%q] .copy-link`, alice.signerID(email))
		links[email] = alice.copied(sel)
		if !strings.HasPrefix(links[email], v.url+"/sign/"+eid+"/") || strings.Contains(links[email], pins[email]) {
			t.Fatalf("copied link %q for %s", links[email], email)
		}
	}

	// Emil opens his link at once: he may read, and is told to wait.
	emil := newPerson(t, v, "esign-emil", emilMail, "")
	emil.openSigning(links[emilMail], pins[emilMail], sentence)
	emil.wait("#not-your-turn")
	if s := emil.text("#not-your-turn"); !strings.Contains(s, "signs before you") {
		t.Errorf("Emil, third, is shown %q", s)
	}
	emil.screenshot("esign-02-emil-waits")

	// Bob signs in the app, from the envelope's page.
	bob.route("/c/" + tid + "/envelopes/" + eid)
	bob.click("#review-and-sign")
	bob.waitJS(time.Minute, `document.querySelector("#pdf-text") && document.querySelector("#pdf-text").textContent.includes(`+jsString(sentence)+`)`)
	bob.screenshot("esign-03-bob-reviews")
	bob.signHere()
	bob.screenshot("esign-04-bob-signed")

	// Dora: one wrong PIN is counted, then hers opens it; she signs.
	dora := newPerson(t, v, "esign-dora", doraMail, "")
	dora.navigate(links[doraMail])
	dora.wait("#pin")
	dora.fill("pin", fmt.Sprintf("%06d", (mustAtoi(t, pins[doraMail])+1)%1000000))
	dora.click("#pin-submit")
	if tries := dora.text("#pin-tries"); !strings.Contains(tries, "At most 4 tries left") {
		t.Errorf("after a wrong PIN Dora is shown %q", tries)
	}
	dora.fill("pin", pins[doraMail])
	dora.click("#pin-submit")
	dora.waitJS(time.Minute, `document.querySelector("#pdf-text") && document.querySelector("#pdf-text").textContent.includes(`+jsString(sentence)+`)`)
	if m := dora.text("#signing-message"); m != message {
		t.Errorf("Dora is shown the message %q", m)
	}
	dora.signHere()

	// Emil, last: his page seals, and offers the signed document and seal.
	emil.do(30*time.Second, "reload", chromedp.Reload())
	emil.openSigning("", pins[emilMail], sentence)
	emil.signHere()
	emil.wait("#download-sealed")
	emil.waitJS(time.Minute, `document.querySelector("#envelope-status").dataset.status === "sealed"`)
	emil.screenshot("esign-05-emil-sealed")
	signedPath := emil.downloadFile("#download-sealed")
	emil.wait("#download-seal:not([disabled])")
	sealPath := emil.downloadFile("#download-seal")

	// The sender and the member download the same document and seal.
	for _, p := range []*person{alice, bob} {
		p.route("/c/" + tid + "/envelopes/" + eid)
		p.wait("#download-signed")
		got := p.downloadFile("#download-signed")
		p.waitJS(time.Minute, `!document.querySelector("#download-seal").disabled`)
		gotSeal := p.downloadFile("#download-seal")
		if !sameFile(t, got, signedPath) || !sameFile(t, gotSeal, sealPath) {
			t.Errorf("%s downloaded another signed document or seal than Emil", p.name)
		}
	}
	alice.screenshot("esign-06-alice-sealed")

	// The seal's D is what sha256sum prints for the download.
	signed, err := os.ReadFile(signedPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed, pdf) {
		t.Fatalf("the signed document downloaded (%d bytes) is not the uploaded PDF", len(signed))
	}
	sealFile, err := os.ReadFile(sealPath)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := sealtest.Open(t, sealFile)
	out, err := exec.Command("sha256sum", signedPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	if d := hex.EncodeToString(sealed.Digest[:]); strings.Fields(string(out))[0] != d {
		t.Errorf("the seal's document hash %s, sha256sum says %s", d, out)
	}
	if len(sealed.Signers) != 3 || sealed.Signers[0].Kind != seal.SignerMember || sealed.Signers[1].Name != "Dora Díaz" || sealed.Signers[2].Email != emilMail {
		t.Errorf("the seal's signers: %+v", sealed.Signers)
	}

	// The CLI and the verify page accept it, and refuse each forgery.
	changed := bytes.Clone(signed)
	changed[len(changed)/2] ^= 0x01
	forged := sealtest.Tamper(t, sealFile)
	otherKey, err := seallog.GenerateKey("127.0.0.1/seals")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	changedPath := write("changed.pdf", changed)
	verifier := newPerson(t, v, "esign-verifier", "", "")
	verifier.navigate(v.url + "/verify")
	verifier.wait("#log-key-facts")
	for _, c := range []struct {
		name, doc, seal, key string
		kind                 string // the failure both must report
	}{
		{"the signed document", signedPath, sealPath, v.logKey, ""},
		{"one byte changed", changedPath, sealPath, v.logKey, "hash-mismatch"},
		{"a signature removed", signedPath, write("removed.seal", forged.SignatureRemoved), v.logKey, "missing-signature"},
		{"two signers swapped", signedPath, write("swapped.seal", forged.SignersSwapped), v.logKey, "signer-mismatch"},
		{"another log key pinned", signedPath, sealPath, otherKey.VerifierKey(), "log-key-mismatch"},
		{"a checkpoint of another log key", signedPath, write("other-log.seal", forged.OtherLogKey), v.logKey, "log-key-mismatch"},
		{"a truncated proof", signedPath, write("truncated.seal", forged.TruncatedProof), v.logKey, "proof-length"},
	} {
		cmd := exec.Command(cli, "verify", "-log-key", c.key, c.doc, c.seal)
		cmd.Env = append(os.Environ(), "VELLUM_LOG_KEY=")
		report, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		page := verifier.verifyOnPage(c.doc, c.seal, pasted(c.key, v.logKey), false)
		if c.kind == "" {
			if code != 0 || !strings.Contains(string(report), "Result    VALID") || !strings.Contains(string(report), "Dora Díaz <"+doraMail+">") {
				t.Errorf("CLI on %s: exit %d\n%s", c.name, code, report)
			}
			if !page.Valid || page.Title != "This file is exactly what was signed" || len(page.Signers) != 3 || page.Actual != strings.Fields(string(out))[0] {
				t.Errorf("verify page on %s: %+v", c.name, page)
			}
			verifier.screenshot("esign-07-verify-valid")
			continue
		}
		if code != 1 || !strings.Contains(string(report), "FAIL "+c.kind) {
			t.Errorf("CLI on %s: exit %d, want 1 with FAIL %s\n%s", c.name, code, c.kind, report)
		}
		if page.Valid || !strings.Contains(strings.Join(page.Kinds, ","), c.kind) || page.Reasons == "" {
			t.Errorf("verify page on %s: %+v, want %s with a reason", c.name, page, c.kind)
		}
	}

	// What the server keeps, and what it received, holds none of it; the
	// PINs reached the SMS gateway and nothing the server keeps.
	secrets := []string{sentence, fileName, message}
	for _, l := range links {
		secrets = append(secrets, l[strings.Index(l, "#")+1:])
	}
	for _, hit := range v.grep(secrets...) {
		t.Error(hit)
	}
	for _, hit := range v.grepStored(pins[doraMail], pins[emilMail]) {
		t.Error(hit)
	}
	for _, m := range mail.mails() {
		for _, s := range append(secrets, pins[doraMail], pins[emilMail]) {
			if strings.Contains(m.Subject+m.Body, s) {
				t.Errorf("an e-mail to %v holds %.16s…", m.To, s)
			}
		}
	}
	// Vellum's own e-mail told the outsiders when it was their turn and
	// that the document was sealed, through SMTP.
	for _, to := range []string{doraMail, emilMail} {
		if !mail.received(to, "sealed") {
			t.Errorf("no e-mail about the seal reached %s", to)
		}
	}
	for _, p := range []*person{alice, bob, dora, emil, verifier} {
		p.b.CheckNoErrors(t)
	}
}

// openSigning opens a signing link (or, with link "", the page already
// loaded) with pin, and waits until the document's text is on the page.
func (p *person) openSigning(link, pin, sentence string) {
	p.t.Helper()
	if link != "" {
		p.navigate(link)
	}
	p.wait("#pin")
	p.fill("pin", pin)
	p.click("#pin-submit")
	p.waitJS(time.Minute, `document.querySelector("#pdf-text") && document.querySelector("#pdf-text").textContent.includes(`+jsString(sentence)+`)`)
}

// signHere gives consent and signs on the open signing panel, and waits
// for the confirmation.
func (p *person) signHere() {
	p.t.Helper()
	p.click("#sign-consent")
	p.click("#sign-button")
	p.waitJS(time.Minute, `(document.querySelector("#signed-confirmation") || {textContent: ""}).textContent.includes("You signed on")`)
}

// signerID is the id of the signer with this address on the open
// envelope page.
func (p *person) signerID(email string) string {
	p.t.Helper()
	id, _ := p.eval(fmt.Sprintf(`(Array.from(document.querySelectorAll("#envelope-links li")).find((li) => li.textContent.includes(%q)) || {dataset: {}}).dataset.signer || ""`, email)).(string)
	if id == "" {
		p.fatalf("no link offered for %s", email)
	}
	return id
}

// pasted is the key to paste on the verify page: none for the server's own.
func pasted(key, serverKey string) string {
	if key == serverKey {
		return ""
	}
	return key
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x, y)
}

// buildCLI builds cmd/vellum, as `make build` does, into the test's
// directory and returns its path.
func buildCLI(t *testing.T) string {
	t.Helper()
	root, err := browsertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "vellum")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/vellum")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the CLI: %v\n%s", err, out)
	}
	return bin
}
