package api_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// TestCanary: a password, a document, its name and a folder name, each
// holding a marker string, go through the whole server; then the Pebble
// directory, the certificate directory and the server's log are searched
// for the markers. Zero hits: the server holds only ciphertext.
func TestCanary(t *testing.T) {
	s := startServer(t, nil)
	const (
		pwMarker     = "CANARY-PASSWORD-7f3a9c"
		docMarker    = "CANARY-DOCUMENT-51be02"
		nameMarker   = "CANARY-FILENAME-c4d811"
		folderMarker = "CANARY-FOLDER-9e0d37"
	)
	u := s.registerWith("canary@example.com", []byte(pwMarker))
	u.signIn()
	tid := u.newTenant()
	fk := keys.NewIdentity()
	fid := store.NewID().String()
	sealedName, err := document.SealFolderMetadata(&document.FolderMetadata{Name: folderMarker}, fk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	s.must("POST", "/tenants/"+tid+"/folders", u.access, &protocol.CreateFolderRequest{
		FolderID: fid, Name: sealedName, Recipient: fk.Recipient().String(),
		Grants: []protocol.GrantUpload{u.makeGrant(tid, grant.KindFolder, fid, 1, fk, u)},
	}, nil)
	plaintext := bytes.Repeat([]byte(docMarker+" "), 20000)
	did, _, _ := u.uploadNamed(tid, fid, fk, 1, plaintext, nameMarker)
	if got := u.openDocument(tid, did); !bytes.Equal(got, plaintext) {
		t.Fatal("round trip failed")
	}
	// A wrong password goes by too.
	u.login([]byte(pwMarker+"-wrong"), u.deviceID)

	s.shutdown()
	markers := [][]byte{[]byte(pwMarker), []byte(docMarker), []byte(nameMarker), []byte(folderMarker)}
	hits := 0
	err = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if bytes.Contains(b, m) {
				hits++
				t.Errorf("%s holds the marker %s", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range markers {
		if bytes.Contains(s.logs.Bytes(), m) {
			hits++
			t.Errorf("the server's log holds the marker %s", m)
		}
		for _, n := range s.notices.Notices() {
			if bytes.Contains([]byte(n.Body+n.Subject), m) {
				hits++
				t.Errorf("a notice holds the marker %s", m)
			}
		}
	}
	if hits != 0 {
		t.Errorf("%d hits", hits)
	}
}
