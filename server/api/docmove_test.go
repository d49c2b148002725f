package api_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// beginVersion opens an upload of a new version of did under the same
// document key and sends all of its ciphertext, without committing. It
// returns the upload id and the commit request.
func (u *user) beginVersion(tid, fid, did string, dk *keys.Identity, plaintext []byte, name string) (string, *protocol.CommitUploadRequest) {
	s := u.s
	s.t.Helper()
	var ct bytes.Buffer
	w, err := document.Encrypt(&ct, dk.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		s.t.Fatal(err)
	}
	md := sealedMetadata(s.t, dk, name, len(plaintext))
	var f protocol.Folder
	s.must("GET", "/tenants/"+tid+"/folders/"+fid, u.access, nil, &f)
	var doc protocol.Document
	s.must("GET", "/tenants/"+tid+"/documents/"+did, u.access, nil, &doc)
	var up protocol.Upload
	s.must("POST", "/tenants/"+tid+"/uploads", u.access, &protocol.CreateUploadRequest{
		DocumentID: did, FolderID: fid, NewVersion: true, Size: int64(ct.Len()), Metadata: md, KeyWrap: doc.KeyWrap, FolderKeyVersion: f.KeyVersion,
	}, &up)
	r := s.raw("PUT", protocol.APIPrefix+"/tenants/"+tid+"/uploads/"+up.UploadID+"?offset=0", u.access, "application/octet-stream", ct.Bytes())
	if r.status != 200 {
		s.t.Fatalf("chunk: %d %v", r.status, r.err)
	}
	sum := sha256.Sum256(ct.Bytes())
	return up.UploadID, &protocol.CommitUploadRequest{SHA256: sum[:], Statement: u.versionStatement(tid, did, up.Version, ct.Bytes())}
}

func sealedMetadata(t *testing.T, dk *keys.Identity, name string, size int) []byte {
	t.Helper()
	md, err := document.SealMetadata(&document.Metadata{Name: name, Type: "application/pdf", Size: int64(size), Created: time.Now()}, dk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func metadataName(t *testing.T, v *protocol.DocumentVersion, dk *keys.Identity) string {
	t.Helper()
	m, err := document.OpenMetadata(v.Metadata, dk)
	if err != nil {
		t.Fatal(err)
	}
	if err := document.CheckSize(v.Size, m.Size); err != nil {
		t.Fatal(err)
	}
	return m.Name
}

// TestDocumentRenameAndMove: a rename replaces the current version's
// encrypted metadata and nothing else; a move takes the key of every
// version re-wrapped by the client to the destination's current key, and
// needs both folders. Each is an audit event, and each refuses what it
// must.
func TestDocumentRenameAndMove(t *testing.T) {
	s := startServer(t, nil)
	owner := s.register("owner@example.com")
	bob := s.register("bob@example.com")
	carol := s.register("carol@example.com")
	eve := s.register("eve@example.com")
	tid := owner.newTenant()
	owner.invite(tid, bob, protocol.RoleMember)
	owner.invite(tid, carol, protocol.RoleMember)
	eveTenant := eve.newTenant()
	eveFolder, _ := eve.newFolder(eveTenant, "Eve's")

	fa, fka := owner.newFolder(tid, "Drafts")
	fb, fkb := owner.newFolder(tid, "Final")
	// Bob holds the source folder only, Carol the destination only.
	var gl protocol.GrantList
	s.must("POST", "/tenants/"+tid+"/grants", owner.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{
		owner.makeGrant(tid, grant.KindFolder, fa, 1, fka, bob), owner.makeGrant(tid, grant.KindFolder, fb, 1, fkb, carol),
	}}, &gl)

	v1 := make([]byte, 70<<10)
	rand.Read(v1)
	did, dk, _ := owner.uploadNamed(tid, fa, fka, 1, v1, "draft-1.pdf")
	v2 := make([]byte, 90<<10)
	rand.Read(v2)
	up2, commit2 := owner.beginVersion(tid, fa, did, dk, v2, "draft-2.pdf")
	var doc protocol.Document
	s.must("POST", "/tenants/"+tid+"/uploads/"+up2+"/commit", owner.access, commit2, &doc)
	if doc.Version != 2 {
		t.Fatalf("version %d after the second upload", doc.Version)
	}
	var before protocol.Document
	s.must("GET", "/tenants/"+tid+"/documents/"+did, owner.access, nil, &before)
	docPath := "/tenants/" + tid + "/documents/" + did

	// Rename.
	md := sealedMetadata(t, dk, "contract.pdf", len(v2))
	s.wantCode(protocol.CodeForbidden, "PUT", docPath+"/metadata", carol.access, &protocol.RenameDocumentRequest{Version: 2, Metadata: md})
	s.wantCode(protocol.CodeForbidden, "PUT", docPath+"/metadata", eve.access, &protocol.RenameDocumentRequest{Version: 2, Metadata: md})
	s.wantCode(protocol.CodeBadEncoding, "PUT", docPath+"/metadata", owner.access, &protocol.RenameDocumentRequest{Version: 2, Metadata: []byte("plain text name.pdf")})
	s.wantCode(protocol.CodeConflict, "PUT", docPath+"/metadata", owner.access,
		&protocol.RenameDocumentRequest{Version: 1, Metadata: sealedMetadata(t, dk, "contract.pdf", len(v1))})
	var renamed protocol.Document
	s.must("PUT", docPath+"/metadata", bob.access, &protocol.RenameDocumentRequest{Version: 2, Metadata: md}, &renamed)
	if renamed.Version != 2 || !bytes.Equal(renamed.Metadata, md) || metadataName(t, &renamed.DocumentVersion, dk) != "contract.pdf" {
		t.Fatalf("after the rename: %+v", renamed)
	}
	if renamed.Size != before.Size || !bytes.Equal(renamed.KeyWrap, before.KeyWrap) || renamed.FolderID != fa {
		t.Fatal("a rename changed more than the metadata")
	}
	var vl protocol.VersionList
	s.must("GET", docPath+"/versions", owner.access, nil, &vl)
	if len(vl.Versions) != 2 || metadataName(t, &vl.Versions[0], dk) != "draft-1.pdf" || metadataName(t, &vl.Versions[1], dk) != "contract.pdf" {
		t.Fatal("the rename touched another version, or made one")
	}
	if got := owner.openDocument(tid, did); !bytes.Equal(got, v2) {
		t.Fatal("the content changed with the rename")
	}

	// Move.
	wrapTo := func(to keys.Recipient, versions ...uint32) []protocol.VersionKeyWrap {
		var out []protocol.VersionKeyWrap
		for _, v := range versions {
			w, err := document.WrapKey(dk, to)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, protocol.VersionKeyWrap{Version: v, KeyWrap: w})
		}
		return out
	}
	good := &protocol.MoveDocumentRequest{FolderID: fb, FolderKeyVersion: 1, KeyWraps: wrapTo(fkb.Recipient(), 1, 2)}
	// An upload of a new version begun before the move does not commit
	// after it: its key is wrapped to the old folder.
	up3, commit3 := owner.beginVersion(tid, fa, did, dk, []byte("version three"), "v3.pdf")

	s.wantCode(protocol.CodeForbidden, "POST", docPath+"/move", bob.access, good)   // holds the source only
	s.wantCode(protocol.CodeForbidden, "POST", docPath+"/move", carol.access, good) // holds the destination only
	s.wantCode(protocol.CodeNotFound, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: eveFolder, FolderKeyVersion: 1, KeyWraps: good.KeyWraps})
	s.wantCode(protocol.CodeBadRequest, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: fa, FolderKeyVersion: 1, KeyWraps: good.KeyWraps})
	s.wantCode(protocol.CodeConflict, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: fb, FolderKeyVersion: 1, KeyWraps: wrapTo(fkb.Recipient(), 2)})
	s.wantCode(protocol.CodeConflict, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: fb, FolderKeyVersion: 1, KeyWraps: wrapTo(fkb.Recipient(), 1, 2, 3)})
	s.wantCode(protocol.CodeConflict, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: fb, FolderKeyVersion: 2, KeyWraps: good.KeyWraps})
	// Wraps of the wrong form: two recipients, metadata, garbage.
	two, err := keys.WrapIdentity(dk, fkb.Recipient(), fka.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{two, md, []byte("age-encryption.org/v1\n"), bytes.Repeat([]byte{1}, 300)} {
		ws := wrapTo(fkb.Recipient(), 1, 2)
		ws[1].KeyWrap = bad
		s.wantCode(protocol.CodeBadEncoding, "POST", docPath+"/move", owner.access, &protocol.MoveDocumentRequest{FolderID: fb, FolderKeyVersion: 1, KeyWraps: ws})
	}
	// Nothing moved so far.
	var still protocol.Document
	s.must("GET", docPath, owner.access, nil, &still)
	if still.FolderID != fa || !bytes.Equal(still.KeyWrap, before.KeyWrap) {
		t.Fatal("a refused move changed the document")
	}

	var moved protocol.Document
	s.must("POST", docPath+"/move", owner.access, good, &moved)
	if moved.FolderID != fb || moved.Version != 2 || moved.FolderKeyVersion != 1 || !bytes.Equal(moved.KeyWrap, good.KeyWraps[1].KeyWrap) {
		t.Fatalf("after the move: %+v", moved)
	}
	s.wantCode(protocol.CodeConflict, "POST", "/tenants/"+tid+"/uploads/"+up3+"/commit", owner.access, commit3)
	s.must("DELETE", "/tenants/"+tid+"/uploads/"+up3, owner.access, nil, nil)

	// Listings follow the move; every version opens with the destination's key.
	var la, lb protocol.DocumentList
	s.must("GET", "/tenants/"+tid+"/folders/"+fa+"/documents", owner.access, nil, &la)
	s.must("GET", "/tenants/"+tid+"/folders/"+fb+"/documents", owner.access, nil, &lb)
	if len(la.Documents) != 0 || len(lb.Documents) != 1 || lb.Documents[0].DocumentID != did {
		t.Fatalf("listings after the move: %d in the source, %d in the destination", len(la.Documents), len(lb.Documents))
	}
	s.must("GET", docPath+"/versions", carol.access, nil, &vl)
	for _, v := range vl.Versions {
		k, err := document.UnwrapKey(v.KeyWrap, fkb)
		if err != nil || v.FolderKeyVersion != 1 || !k.Recipient().Equal(dk.Recipient()) {
			t.Fatalf("version %d: the key does not open with the destination's key: %v", v.Version, err)
		}
	}
	// Bob, who holds only the source folder, lost it; Carol gained it.
	s.wantCode(protocol.CodeForbidden, "GET", docPath+"/content", bob.access, nil)
	if got := carol.openDocument(tid, did); !bytes.Equal(got, v2) {
		t.Fatal("carol's download after the move does not decrypt")
	}

	// Both changes are in the audit chain, the move naming both folders.
	r := s.raw("GET", protocol.APIPrefix+"/tenants/"+tid+"/audit/export", owner.access, "", nil)
	tidID, _ := store.ParseID(tid)
	if _, err := auditlog.VerifyExport(bytes.NewReader(r.body), tidID, nil); err != nil {
		t.Fatal(err)
	}
	var sawRename, sawMove bool
	for _, line := range strings.Split(string(r.body), "\n") {
		switch {
		case strings.Contains(line, `"kind":"document_renamed"`):
			sawRename = strings.Contains(line, did)
		case strings.Contains(line, `"kind":"document_moved"`):
			sawMove = strings.Contains(line, did) && strings.Contains(line, fa) && strings.Contains(line, fb)
		}
	}
	if !sawRename || !sawMove {
		t.Fatalf("audit: rename %v, move %v", sawRename, sawMove)
	}
}
