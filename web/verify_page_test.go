//go:build !js

package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vellum.dev/vellum/internal/browsertest"
	"vellum.dev/vellum/internal/sealtest"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/wasm/client"
)

// sealedDocument is a document sealed through a real vellumd.
type sealedDocument struct {
	doc      []byte
	sealFile []byte
	signers  [][2]string // name, e-mail as the envelope names them
	logKey   string      // the name+hash the server's log key shows
}

// sealThroughVellumd runs the e-signature flow with wasm/client against v,
// as the browser pages run it: Pat signs up, makes a company and uploads a
// document, sends it to outsiders, who open their links with the PINs of
// their text messages, read, sign, and the last one seals. Three envelopes
// are sealed, and the middle one returned: its inclusion proof has a hash
// (the first seal is its sibling) and the log grew after it (the third),
// so that the online check has a real consistency proof to verify.
func sealThroughVellumd(t *testing.T, v *vellumd) *sealedDocument {
	t.Helper()
	ctx := context.Background()
	pat := newSender(t, v, "Acme Deeds")

	seal := func(name string, signers []client.EnvelopeSigner) *sealedDocument {
		doc := []byte(strings.Repeat("Deed of sale of the house at 4 Elm Row, "+name+".\n", 30000))
		d, err := pat.Upload(ctx, pat.tenantID, pat.folderID, name, bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			t.Fatal(err)
		}
		n := v.noticeCount()
		sent, err := pat.CreateEnvelope(ctx, pat.tenantID, client.NewEnvelope{DocumentID: d.ID, Order: client.Parallel, Signers: signers})
		if err != nil {
			t.Fatal(err)
		}
		out := &sealedDocument{doc: doc, logKey: fmt.Sprintf("%s %08x", pat.logKey.Name(), pat.logKey.KeyHash())}
		var last *client.Signing
		for i, l := range sent.Links {
			pin := v.code(signers[i].Phone, "", n) // the SMS has no subject
			g, err := pat.newClient().OpenSigningLink(ctx, l.Link.URL(), pin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.ReadDocument(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Sign(ctx); err != nil {
				t.Fatal(err)
			}
			out.signers = append(out.signers, [2]string{signers[i].Name, signers[i].Email})
			last = g
		}
		s, err := last.Seal(ctx, pat.logKey)
		if err != nil {
			t.Fatal(err)
		}
		out.sealFile = s.File
		return out
	}
	seal("first.txt", []client.EnvelopeSigner{{Name: "Ola Obi", Email: "ola@example.net", Phone: "+4915110000001"}})
	main := seal("deed.txt", []client.EnvelopeSigner{
		{Name: "Dora Díaz", Email: "dora@example.org", Phone: "+4915110000002"},
		{Name: "Eli Ek", Email: "eli@example.com", Phone: "+4915110000003"},
	})
	seal("third.txt", []client.EnvelopeSigner{{Name: "Ola Obi", Email: "ola@example.net", Phone: "+4915110000001"}})
	return main
}

// verifyRun is what the page showed for one check.
type verifyRun struct {
	Valid    bool     `json:"valid"`
	Title    string   `json:"title"`
	Kinds    []string `json:"kinds"`   // each failure's kind, with its signer: "missing-signature/2"
	Reasons  string   `json:"reasons"` // the failure list's text
	Actual   string   `json:"actual"`  // the SHA-256 shown for the file
	Expected string   `json:"expected"`
	Signers  []string `json:"signers"` // each row's text
	Key      string   `json:"key"`     // the log key row's text
	Source   string   `json:"source"`  // the log key's source
	Proof    string   `json:"proof"`   // the inclusion proof row's text
	Online   string   `json:"online"`
}

// TestVerifyPage: the public verify page, with no login, checks a document
// sealed through a real vellumd and says why each forgery fails.
func TestVerifyPage(t *testing.T) {
	v := startVellumd(t, vellumdOptions{})
	sealed := sealThroughVellumd(t, v)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	docPath := write("deed.txt", sealed.doc)
	sealPath := write("deed.txt.seal", sealed.sealFile)
	changed := bytes.Clone(sealed.doc)
	changed[len(changed)/3] ^= 0x01
	changedPath := write("deed-changed.txt", changed)
	forged := sealtest.Tamper(t, sealed.sealFile)
	otherKey, err := seallog.GenerateKey("localhost/seals") // the server's name, another key
	if err != nil {
		t.Fatal(err)
	}

	p := newPerson(t, v, "verifier", "", "")
	p.navigate(v.url + "/verify")
	p.wait("#log-key-facts")
	if got := p.text("#log-key-name") + " " + p.text("#log-key-hash"); got != sealed.logKey {
		p.fatalf("log key shown %q, want the server's %q", got, sealed.logKey)
	}
	if src := p.eval(`document.querySelector("#log-key-source").dataset.source`); src != "published by this server" {
		p.fatalf("log key source %v", src)
	}
	if !strings.Contains(p.text("#stays-here"), "Your file stays in this browser") {
		p.fatalf("the page does not say the file stays in the browser")
	}
	p.screenshot("verify-01-page")

	run := p.verifyOnPage
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	// The genuine file and seal, checked online too.
	r := run(docPath, sealPath, "", true)
	if !r.Valid || r.Title != "This file is exactly what was signed" || len(r.Kinds) != 0 {
		p.fatalf("the genuine seal: %+v", r)
	}
	if r.Actual != sum(sealed.doc) || r.Expected != r.Actual {
		p.fatalf("document hash shown %q (seal %q), the file's is %s", r.Actual, r.Expected, sum(sealed.doc))
	}
	if len(r.Signers) != 2 {
		p.fatalf("signers shown: %q", r.Signers)
	}
	for i, s := range sealed.signers {
		if row := r.Signers[i]; !strings.Contains(row, s[0]) || !strings.Contains(row, s[1]) || !strings.Contains(row, "Valid") ||
			!strings.Contains(row, "checked the PIN") || strings.Contains(row, "Not valid") {
			p.fatalf("signer %d shown as %q, want %s <%s>, PIN-verified, valid", i+1, row, s[0], s[1])
		}
	}
	if !strings.Contains(r.Key, sealed.logKey) || r.Source != "published by this server" ||
		!strings.Contains(r.Proof, "Verified: entry 2 of 2") {
		p.fatalf("log shown: key %q (%s), proof %q", r.Key, r.Source, r.Proof)
	}
	if !strings.Contains(r.Online, "Consistent: the log's newest checkpoint, with 3 entries, extends the seal's") {
		p.fatalf("online check shown: %q", r.Online)
	}
	p.screenshot("verify-02-valid")

	// Each forgery, and the reason the page gives for it.
	for _, c := range []struct {
		name, doc, seal, key string
		kinds                []string
		title, reason        string
		shot                 string
	}{
		{"one byte of the file changed", changedPath, sealPath, "", []string{"hash-mismatch"},
			"This file is not the document that was signed", "The file is not the document that was sealed", "verify-03-changed"},
		{"a signature removed", docPath, write("removed.seal", forged.SignatureRemoved), "", []string{"missing-signature/2", "wrong-leaf"},
			"The signatures in this seal do not hold", "The signer's signature is missing (signer 2, Eli Ek)", "verify-04-removed"},
		{"two signers swapped", docPath, write("swapped.seal", forged.SignersSwapped), "", []string{"signer-mismatch/1", "signer-mismatch/2", "wrong-leaf"},
			"The signatures in this seal do not hold", "A signature belongs to another signer, envelope or document", "verify-05-swapped"},
		{"another log key pasted", docPath, sealPath, otherKey.VerifierKey(), []string{"log-key-mismatch"},
			"The seal's log proof does not hold", "The log checkpoint is not signed by the pinned log key", "verify-06-other-key"},
		{"the seal re-signed under another log key", docPath, write("resigned.seal", forged.OtherLogKey), "", []string{"log-key-mismatch"},
			"The seal's log proof does not hold", "The log checkpoint is not signed by the pinned log key", ""},
		{"a truncated inclusion proof", docPath, write("truncated.seal", forged.TruncatedProof), "", []string{"proof-length"},
			"The seal's log proof does not hold", "The log proof has the wrong number of hashes (truncated)", "verify-07-truncated"},
	} {
		r := run(c.doc, c.seal, c.key, false)
		if r.Valid || strings.Join(r.Kinds, ",") != strings.Join(c.kinds, ",") || r.Title != c.title || !strings.Contains(r.Reasons, c.reason) {
			p.fatalf("%s: shown %q with %v: %q; want %q with %v: %q", c.name, r.Title, r.Kinds, r.Reasons, c.title, c.kinds, c.reason)
		}
		want := sum(sealed.doc)
		if c.doc == changedPath {
			want = sum(changed)
		}
		if r.Actual != want {
			p.fatalf("%s: document hash shown %q, the file's is %s", c.name, r.Actual, want)
		}
		if c.key != "" && (r.Source != "given by you" || !strings.Contains(r.Key, fmt.Sprintf("%08x", otherKey.Verifier().KeyHash()))) {
			p.fatalf("%s: the pasted key is not shown as the one used: %q (%s)", c.name, r.Key, r.Source)
		}
		if c.shot != "" {
			p.screenshot(c.shot)
		}
	}

	// A pasted text that is no key is refused with a message of its own,
	// and the files chosen stay chosen.
	p.setKey("localhost/seals")
	p.click("#verify-button")
	p.wait("#form-error .error-title")
	if msg := p.text("#form-error .error-title"); !strings.Contains(msg, "not a signed-note verifier key") {
		p.fatalf("a bad key: %q", msg)
	}
	for _, c := range []struct{ sel, name string }{{"#document-chosen", "deed.txt"}, {"#seal-chosen", "truncated.seal"}} {
		if got := p.text(c.sel); !strings.Contains(got, c.name) {
			p.fatalf("after a refused key, %s says %q, want %s still chosen", c.sel, got, c.name)
		}
	}
	before, _ := p.eval(`Number(document.querySelector("#report").dataset.run)`).(float64)
	p.setKey("")
	p.click("#verify-button")
	p.waitJS(time.Minute, fmt.Sprintf(`Number(document.querySelector("#report").dataset.run) > %v && !document.querySelector("#form-error").textContent`, before))
}

// verifyOnPage checks doc against sealFile on the open verify page (with
// key pasted, if not empty; online if asked) and returns what it showed.
func (p *person) verifyOnPage(doc, sealFile, key string, online bool) verifyRun {
	p.t.Helper()
	before, _ := p.eval(`Number(document.querySelector("#report").dataset.run || 0)`).(float64)
	p.do(30*time.Second, "choose the files",
		chromedp.SetUploadFiles(chromedp.CSS("#document-input"), []string{doc}),
		chromedp.SetUploadFiles(chromedp.CSS("#seal-input"), []string{sealFile}))
	p.setKey(key)
	p.eval(fmt.Sprintf(`(() => { document.querySelector("#online-input").checked = %v; return true; })()`, online))
	p.click("#verify-button")
	p.waitJS(2*time.Minute, fmt.Sprintf(`Number(document.querySelector("#report").dataset.run || 0) > %v`, before))
	r, err := browsertest.Eval[verifyRun](p.b, 30*time.Second, `(() => {
		const q = (s) => document.querySelector(s);
		const text = (s) => (q(s) ? q(s).textContent.replace(/\s+/g, " ").trim() : "");
		return {
			valid: q("#report").dataset.valid === "true",
			title: text("#verdict-title"),
			kinds: Array.from(document.querySelectorAll("#reasons li"), (li) => li.dataset.kind + (li.dataset.signer !== "0" ? "/" + li.dataset.signer : "")),
			reasons: text("#reasons"),
			actual: text("#document-actual"), expected: text("#document-expected"),
			signers: Array.from(document.querySelectorAll("#signers tbody tr"), (tr) => tr.textContent.replace(/\s+/g, " ").trim()),
			key: text("#report-log-key"), source: q("#report-log-key") ? q("#report-log-key").dataset.source : "",
			proof: text("#report-inclusion"), online: text("#online-result"),
		};
	})()`)
	if err != nil {
		p.fatalf("reading the report: %v", err)
	}
	return r
}

// setKey types key into the log key field, as a paste would.
func (p *person) setKey(key string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => { document.querySelector("#log-key-input").value = %q; return true; })()`, key))
}
