//go:build !js

package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// onePagePDF writes a minimal valid PDF: one Letter page with sentence in
// Helvetica (no parentheses or backslashes in it), with a correct xref.
func onePagePDF(sentence string) []byte {
	content := fmt.Sprintf("BT /F1 20 Tf 72 700 Td (%s) Tj ET", sentence)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// darkPixels counts the canvas's pixels that are not near white: zero for
// a blank page.
const darkPixels = `(() => {
	const c = document.querySelector("#pdf-canvas");
	const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	let n = 0;
	for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] < 160) n++;
	return n;
})()`

// TestSignerPage: outsiders open their signing links in the browser with
// the PIN of their text message. A wrong PIN says so and how many tries
// are left; the right one shows the PDF (its sentence in the text layer,
// ink on the canvas), the sender's message and the signers; signing with
// consent seals the envelope, and the signed document and its .seal file
// download and verify. In an ordered envelope the second signer is told
// it is not their turn; the first declines with a reason, and the second's
// link then says the envelope is closed.
func TestSignerPage(t *testing.T) {
	v := startVellumd(t, vellumdOptions{})
	ctx := context.Background()
	pat := newSender(t, v, "Acme Leases") // through wasm/client, as the app does it
	const sentence = "The tenant agrees to water the fig tree every Sunday."
	pdf := onePagePDF(sentence)
	doc, err := pat.Upload(ctx, pat.tenantID, pat.folderID, "lease.pdf", bytes.NewReader(pdf), int64(len(pdf)))
	if err != nil {
		t.Fatal(err)
	}
	send := func(order client.SigningOrder, message string, signers ...client.EnvelopeSigner) []string {
		t.Helper()
		n := v.noticeCount()
		sent, err := pat.CreateEnvelope(ctx, pat.tenantID, client.NewEnvelope{DocumentID: doc.ID, Order: order, Message: message, Signers: signers})
		if err != nil {
			t.Fatal(err)
		}
		// The link goes from the sender's mail program to the signer, never
		// through the server; the PIN comes by SMS (a notice with no subject).
		var out []string
		for i, l := range sent.Links {
			out = append(out, l.Link.URL(), v.code(signers[i].Phone, "", n))
		}
		return out
	}
	olga := client.EnvelopeSigner{Name: "Olga Okafor", Email: "olga@example.net", Phone: "+4915120000001"}
	nora := client.EnvelopeSigner{Name: "Nora Nagy", Email: "nora@example.org", Phone: "+4915120000002"}

	t.Run("sign", func(t *testing.T) {
		got := send(client.Parallel, "Please sign by Friday.", olga)
		link, pin := got[0], got[1]
		if strings.Contains(link, pin) {
			t.Fatal("the PIN is in the link")
		}
		p := newPerson(t, v, "olga", olga.Email, "")
		p.navigate(link)
		p.wait("#pin")
		p.screenshot("sign-pin")

		// A wrong PIN: the server refuses it, and the page says how many
		// tries are left at most.
		wrong := fmt.Sprintf("%06d", (mustAtoi(t, pin)+1)%1000000)
		p.fill("pin", wrong)
		p.click("#pin-submit")
		if code := p.errorCode("#pin-error"); code != "auth_failed" {
			p.fatalf("wrong PIN: error %q, want auth_failed", code)
		}
		if tries := p.text("#pin-tries"); !strings.Contains(tries, "At most 4 tries left") {
			p.fatalf("after one wrong PIN: %q", tries)
		}
		p.screenshot("sign-wrong-pin")
		// Five digits are refused on the page: no try is counted.
		p.fill("pin", "12345")
		p.click("#pin-submit")
		if code := p.errorCode("#pin-error"); code != "bad_pin" {
			p.fatalf("five digits: error %q, want bad_pin", code)
		}

		p.fill("pin", pin[:3]+" "+pin[3:]) // as people copy it
		p.click("#pin-submit")
		p.wait("#pdf-text")
		p.waitJS(60*time.Second, `document.querySelector("#pdf-text").textContent.includes(`+jsString(sentence)+`)`)
		if n, _ := p.eval(darkPixels).(float64); n < 200 {
			p.fatalf("the rendered page has %v dark pixels: blank", n)
		}
		if title := p.text("#page-title"); title != "lease.pdf" {
			p.fatalf("title %q", title)
		}
		if m := p.text("#signing-message"); m != "Please sign by Friday." {
			p.fatalf("message %q", m)
		}
		if s := p.text("#signers"); !strings.Contains(s, "Olga Okafor (you)") || !strings.Contains(s, "opened") {
			p.fatalf("signers %q", s)
		}
		if pc := p.text("#page-count"); pc != "Page 1 of 1" {
			p.fatalf("page count %q", pc)
		}
		// The digest shown is of the bytes the sender uploaded.
		if sum := sha256.Sum256(pdf); !strings.Contains(p.text("#document-digest"), hex.EncodeToString(sum[:])) {
			p.fatalf("digest line %q, want %x", p.text("#document-digest"), sum)
		}
		p.screenshot("sign-document")

		// Sign needs the consent box.
		if p.eval(`document.querySelector("#sign-button").disabled`) != true {
			p.fatalf("Sign is enabled before consent")
		}
		p.click("#sign-consent")
		p.click("#sign-button")
		// The only signer signed last: this browser sealed.
		p.wait("#download-sealed")
		p.waitJS(30*time.Second, `document.querySelector("#envelope-status").dataset.status === "sealed"`)
		if s := p.text("#signed-confirmation"); !strings.HasPrefix(s, "You signed on") {
			p.fatalf("confirmation %q", s)
		}
		p.screenshot("sign-sealed")
		saved, err := os.ReadFile(p.downloadFile("#download-sealed"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(saved, pdf) {
			p.fatalf("the signed document downloaded is not the one uploaded (%d bytes)", len(saved))
		}
		p.wait("#download-seal:not([disabled])")
		sealFile, err := os.ReadFile(p.downloadFile("#download-seal"))
		if err != nil {
			t.Fatal(err)
		}
		check, err := client.CheckSeal(bytes.NewReader(saved), sealFile, pat.logKey)
		if err != nil {
			t.Fatal(err)
		}
		if !check.Valid() || len(check.Report.Signers) != 1 || check.Report.Signers[0].Signer.Name != olga.Name {
			t.Fatalf("the downloaded .seal does not verify for Olga: %v", check.Failures)
		}
	})

	t.Run("locked", func(t *testing.T) {
		// Five wrong PINs lock the link; the sixth try is refused though
		// it is the right PIN, in another browser too; the sender is told.
		ivan := client.EnvelopeSigner{Name: "Ivan Ilić", Email: "ivan@example.com", Phone: "+4915120000003"}
		got := send(client.Parallel, "", ivan)
		link, pin := got[0], got[1]
		p := newPerson(t, v, "ivan", ivan.Email, "")
		p.navigate(link)
		p.wait("#pin")
		for i := 1; i <= protocol.PINTries; i++ {
			p.fill("pin", fmt.Sprintf("%06d", (mustAtoi(t, pin)+i)%1000000))
			p.click("#pin-submit")
			want := "auth_failed"
			if i == protocol.PINTries {
				want = "locked"
			}
			if code := p.errorCode("#pin-error"); code != want {
				p.fatalf("wrong PIN %d: error %q, want %s", i, code, want)
			}
		}
		if p.eval(`document.querySelector("#pin-submit").disabled`) != true {
			p.fatalf("the PIN form stays open on a locked link")
		}
		p.screenshot("sign-locked")
		other := newPerson(t, v, "ivan-phone", ivan.Email, "")
		other.navigate(link)
		other.fill("pin", pin)
		other.click("#pin-submit")
		if code := other.errorCode("#pin-error"); code != "locked" {
			other.fatalf("the right PIN after the lock: error %q, want locked", code)
		}
		if n, ok := v.notices.Last("pat@example.com"); !ok || n.Subject != "A signing link was locked" || !strings.Contains(n.Body, ivan.Name) {
			t.Errorf("the sender was not told of the lock: %+v", n)
		}
	})

	t.Run("decline", func(t *testing.T) {
		got := send(client.Sequential, "", nora, olga)
		noraLink, noraPIN, olgaLink, olgaPIN := got[0], got[1], got[2], got[3]

		// Olga signs second: she can read, and is told it is not her turn.
		o := newPerson(t, v, "olga2", olga.Email, "")
		o.navigate(olgaLink)
		o.fill("pin", olgaPIN)
		o.click("#pin-submit")
		o.wait("#not-your-turn")
		if code := o.eval(`document.querySelector("#not-your-turn").dataset.code`); code != "not_your_turn" {
			o.fatalf("second signer: %v, want not_your_turn", code)
		}
		if s := o.text("#not-your-turn"); !strings.Contains(s, "Nora Nagy signs before you") {
			o.fatalf("second signer sees %q", s)
		}
		o.waitJS(60*time.Second, `document.querySelector("#pdf-text") && document.querySelector("#pdf-text").textContent.includes(`+jsString(sentence)+`)`)
		o.screenshot("sign-not-your-turn")

		// Nora declines, with a reason.
		p := newPerson(t, v, "nora", nora.Email, "")
		p.navigate(noraLink)
		p.fill("pin", noraPIN)
		p.click("#pin-submit")
		p.wait("#decline-open")
		p.click("#decline-open")
		p.fill("decline-reason", "The fig tree clause is not what we agreed.")
		p.screenshot("sign-decline")
		p.click("#decline-confirm")
		p.waitJS(30*time.Second, `document.querySelector("#envelope-status").dataset.status === "declined"`)
		if s := p.text("#signers"); !strings.Contains(s, "declined: “The fig tree clause is not what we agreed.”") {
			p.fatalf("after declining, signers show %q", s)
		}
		if code := p.eval(`document.querySelector("#not-your-turn").dataset.code`); code != "envelope_closed" {
			p.fatalf("after declining: %v, want envelope_closed", code)
		}
		p.screenshot("sign-declined")

		// Olga's link no longer opens: the page says the envelope is closed.
		o.do(30*time.Second, "reload", chromedp.Reload())
		o.waitJS(60*time.Second, `document.documentElement.dataset.ready === "true"`)
		o.fill("pin", olgaPIN)
		o.click("#pin-submit")
		if code := o.errorCode("#pin-error"); code != "envelope_closed" {
			o.fatalf("a declined envelope's link: %q, want envelope_closed", code)
		}
		if o.eval(`document.querySelector("#pin-submit").disabled`) != true {
			o.fatalf("the PIN form stays open on a closed envelope")
		}
		o.screenshot("sign-closed")
	})
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string { return fmt.Sprintf("%q", s) }
