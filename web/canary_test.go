//go:build !js

package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCanaryBrowser is the canary test through the browser path: a
// password, a folder name, a file name, a new name and a file's content,
// each holding a marker, are typed, dropped and uploaded in the real pages;
// the recovery code the page shows is a marker too, and so is any age
// secret key. Then the server's Pebble directory and certificate directory,
// its log, every notice it sent and every request body it received are
// searched. Zero hits: the server got ciphertext and OPAQUE messages only.
func TestCanaryBrowser(t *testing.T) {
	const (
		pwMarker     = "CANARY-PASSWORD-b7e1d4"
		folderMarker = "CANARY-FOLDER-2c9a61"
		nameMarker   = "CANARY-FILENAME-f05d3e"
		renameMarker = "CANARY-RENAMED-8a44c7"
		docMarker    = "CANARY-DOCUMENT-e6b0f2"
	)
	v := startVellumd(t, vellumdOptions{recordBodies: true})
	p := newPerson(t, v, "canary", "canary@acme.example", pwMarker+" and more")
	p.signUp(false)
	p.fill("company-name", "Canary Co")
	p.click("#company-submit")
	p.wait("#new-folder")
	p.click("#new-folder")
	p.fill("folder-name", folderMarker)
	p.click("#dialog-form-submit")
	p.wait("#upload-button")

	content := bytes.Repeat([]byte(docMarker+" "), 10000) // several age chunks
	file := filepath.Join(t.TempDir(), nameMarker+".txt")
	if err := os.WriteFile(file, content, 0o644); err != nil {
		t.Fatal(err)
	}
	p.upload(file)
	row := `#doc-table tr[data-name="` + nameMarker + `.txt"]`
	p.click(row + " .rename")
	p.fill("rename-input", renameMarker+".txt")
	p.click("#dialog-form-submit")
	renamed := `#doc-table tr[data-name="` + renameMarker + `.txt"]`
	p.wait(renamed)
	sum, _ := p.download(renamed + " .download")
	if want := sha256.Sum256(content); sum != hex.EncodeToString(want[:]) {
		t.Error("the downloaded file differs")
	}

	// A wrong password goes by, then the right one (this browser is trusted).
	p.click("#logout")
	p.wait("#login-email")
	p.fill("login-email", p.email)
	p.fill("login-password", pwMarker+" but wrong")
	p.click("#login-submit")
	if code := p.errorCode("#login"); code != "auth_failed" {
		t.Errorf("wrong password: error %q, want auth_failed", code)
	}
	p.fill("login-password", p.password)
	p.click("#login-submit")
	p.waitJS(60e9, `!location.hash.startsWith("#/login")`)
	p.idle()
	p.b.CheckNoErrors(t)

	v.stop()
	markers := []string{pwMarker, folderMarker, nameMarker, renameMarker, docMarker, p.recovery,
		strings.ReplaceAll(p.recovery, "-", ""), "AGE-SECRET-KEY-1"}
	hits := v.grep(markers...)
	for _, h := range hits {
		t.Errorf("canary: %s", h)
	}
	// A control: the e-mail address and the company name are stored and
	// sent readable by design, so the search must find them, or it is blind
	// (say, to compressed tables).
	control := v.grep(p.email, "Canary Co")
	var inDB, inBodies bool
	for _, h := range control {
		inDB = inDB || strings.Contains(h, filepath.Join(v.dir, "db"))
		inBodies = inBodies || strings.HasPrefix(h, "a request body")
	}
	if !inDB || !inBodies {
		t.Fatalf("the control values were not found (database %v, request bodies %v): the canary cannot fail", inDB, inBodies)
	}
	t.Logf("canary: %d markers, %d bytes of request bodies and %d of log searched, %d notices; %d hits",
		len(markers), len(v.bodies.Bytes()), len(v.logs.Bytes()), len(v.notices.Notices()), len(hits))
}
