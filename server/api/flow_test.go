package api_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// makeGrant signs a grant of key to v, taking v's recipient from the
// tenant's checked chain, as a client MUST.
func (u *user) makeGrant(tid string, kind grant.Kind, object string, kv uint64, key *keys.Identity, v *user) protocol.GrantUpload {
	u.s.t.Helper()
	st := u.chain(tid)
	to, err := st.RecipientFor(v.id)
	if err != nil {
		u.s.t.Fatal(err)
	}
	g, err := grant.Make(u.kr.SigningKey(), grant.Params{Kind: kind, ObjectID: object, KeyVersion: kv, Grantee: v.id, Granter: u.id, Time: time.Now()}, key, to)
	if err != nil {
		u.s.t.Fatal(err)
	}
	ok := protocol.ObjectFolder
	if kind == grant.KindDocument {
		ok = protocol.ObjectDocument
	}
	return protocol.GrantUpload{Grant: g.Bytes(), GranteeID: v.id, ObjectKind: ok, ObjectID: object, KeyVersion: uint32(kv)}
}

// newFolder creates a folder with a fresh key granted to u.
func (u *user) newFolder(tid, name string) (string, *keys.Identity) {
	u.s.t.Helper()
	fk := keys.NewIdentity()
	fid := store.NewID().String()
	sealed, err := document.SealFolderMetadata(&document.FolderMetadata{Name: name}, fk.Recipient())
	if err != nil {
		u.s.t.Fatal(err)
	}
	var f protocol.Folder
	u.s.must("POST", "/tenants/"+tid+"/folders", u.access, &protocol.CreateFolderRequest{
		FolderID: fid, Name: sealed, Recipient: fk.Recipient().String(),
		Grants: []protocol.GrantUpload{u.makeGrant(tid, grant.KindFolder, fid, 1, fk, u)},
	}, &f)
	if f.KeyVersion != 1 || f.Recipient != fk.Recipient().String() {
		u.s.t.Fatalf("folder: %+v", f)
	}
	return fid, fk
}

// upload encrypts plaintext into a new document of folder fid (key fk at
// version kv) and sends it in chunks of chunk bytes.
// versionStatement is u's signed statement of version v of document did,
// whose ciphertext is ct, as u's client makes it at the commit.
func (u *user) versionStatement(tid, did string, v uint32, ct []byte) []byte {
	u.s.t.Helper()
	st, err := document.SignVersion(u.kr.SigningKey(), document.VersionFacts{
		TenantID: tid, DocumentID: did, Version: v, CipherSize: int64(len(ct)),
		CipherSHA256: sha256.Sum256(ct), UploaderID: u.id, Time: time.Now(),
	})
	if err != nil {
		u.s.t.Fatal(err)
	}
	return st.Bytes()
}

func (u *user) upload(tid, fid string, fk *keys.Identity, kv uint32, plaintext []byte, chunk int) (string, *keys.Identity, []byte) {
	u.s.t.Helper()
	return u.uploadAs(tid, fid, fk, kv, plaintext, chunk, "report.pdf")
}

// uploadNamed uploads in one chunk under a file name.
func (u *user) uploadNamed(tid, fid string, fk *keys.Identity, kv uint32, plaintext []byte, name string) (string, *keys.Identity, []byte) {
	u.s.t.Helper()
	return u.uploadAs(tid, fid, fk, kv, plaintext, 1<<20, name)
}

func (u *user) uploadAs(tid, fid string, fk *keys.Identity, kv uint32, plaintext []byte, chunk int, name string) (string, *keys.Identity, []byte) {
	s := u.s
	s.t.Helper()
	dk := document.NewKey()
	var ct bytes.Buffer
	w, err := document.Encrypt(&ct, dk.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		s.t.Fatal(err)
	}
	md, err := document.SealMetadata(&document.Metadata{Name: name, Type: "application/pdf", Size: int64(len(plaintext)), Created: time.Now()}, dk.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	wrap, err := document.WrapKey(dk, fk.Recipient())
	if err != nil {
		s.t.Fatal(err)
	}
	did := store.NewID().String()
	var up protocol.Upload
	s.must("POST", "/tenants/"+tid+"/uploads", u.access, &protocol.CreateUploadRequest{
		DocumentID: did, FolderID: fid, Size: int64(ct.Len()), Metadata: md, KeyWrap: wrap, FolderKeyVersion: kv,
	}, &up)
	data := ct.Bytes()
	base := protocol.APIPrefix + "/tenants/" + tid + "/uploads/" + up.UploadID
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		r := s.raw("PUT", base+p("?offset=%d", off), u.access, "application/octet-stream", data[off:end])
		if r.status != 200 {
			s.t.Fatalf("chunk at %d: %d %v", off, r.status, r.err)
		}
		if off == 0 && end < len(data) {
			// A chunk at a wrong offset changes nothing.
			r := s.raw("PUT", base+"?offset=0", u.access, "application/octet-stream", data[off:end])
			if r.err == nil || r.err.Code != protocol.CodeConflict {
				s.t.Fatalf("a repeated chunk: %d %v", r.status, r.err)
			}
			var got protocol.Upload
			s.must("GET", "/tenants/"+tid+"/uploads/"+up.UploadID, u.access, nil, &got)
			if got.Received != int64(end) {
				s.t.Fatalf("received %d after one chunk of %d", got.Received, end)
			}
		}
	}
	sum := sha256.Sum256(data)
	bad := sum
	bad[0] ^= 1
	stmt := u.versionStatement(tid, did, 1, data)
	commit := "/tenants/" + tid + "/uploads/" + up.UploadID + "/commit"
	s.wantCode(protocol.CodeBadRequest, "POST", commit, u.access, &protocol.CommitUploadRequest{SHA256: bad[:], Statement: stmt})
	var doc protocol.Document
	s.must("POST", commit, u.access, &protocol.CommitUploadRequest{SHA256: sum[:], Statement: stmt}, &doc)
	if doc.DocumentID != did || doc.Size != int64(len(data)) || doc.Version != 1 {
		s.t.Fatalf("document: %+v", doc)
	}
	return did, dk, data
}

// openDocument fetches a document as v, finds its key through v's grants,
// downloads and decrypts it.
func (v *user) openDocument(tid, did string) []byte {
	s := v.s
	s.t.Helper()
	var doc protocol.Document
	s.must("GET", "/tenants/"+tid+"/documents/"+did, v.access, nil, &doc)
	var mine protocol.GrantList
	s.must("GET", "/tenants/"+tid+"/my-grants", v.access, nil, &mine)
	var dk *keys.Identity
	for _, gu := range mine.Grants {
		g, err := grant.Parse(gu.Grant)
		if err != nil {
			s.t.Fatal(err)
		}
		st := v.chain(tid)
		vk, err := st.VerifyKeyFor(g.Granter)
		if err == nil {
			err = grant.Verify(g, vk)
		}
		if err != nil {
			s.t.Fatalf("grant from the server does not verify: %v", err)
		}
		key, err := grant.Open(g, v.kr.Identity())
		if err != nil {
			s.t.Fatal(err)
		}
		switch {
		case gu.ObjectID == did:
			dk = key
		case gu.ObjectID == doc.FolderID && gu.KeyVersion == doc.FolderKeyVersion:
			if dk, err = document.UnwrapKey(doc.KeyWrap, key); err != nil {
				s.t.Fatal(err)
			}
		}
		if dk != nil {
			break
		}
	}
	if dk == nil {
		s.t.Fatalf("%s holds no key of %s", v.email, did)
	}
	r := s.raw("GET", protocol.APIPrefix+"/tenants/"+tid+"/documents/"+did+"/content", v.access, "", nil)
	if r.status != 200 || int64(len(r.body)) != doc.Size {
		s.t.Fatalf("download: %d, %d bytes of %d", r.status, len(r.body), doc.Size)
	}
	pr, err := document.Decrypt(bytes.NewReader(r.body), dk)
	if err != nil {
		s.t.Fatal(err)
	}
	pt, err := io.ReadAll(pr)
	if err != nil {
		s.t.Fatal(err)
	}
	return pt
}

// TestDocumentFlow drives the product end to end on a real server:
// registration, login, tenant, invites, folder, chunked upload, grant,
// download, access request and approval, removal with folder key rotation
// and re-wrap, and the audit chain checked from its export.
func TestDocumentFlow(t *testing.T) {
	s := startServer(t, nil)
	owner := s.register("owner@example.com")
	bob := s.register("bob@example.com")
	carol := s.register("carol@example.com")
	eve := s.register("eve@example.com")
	tid := owner.newTenant()
	eveTenant := eve.newTenant()
	owner.invite(tid, bob, protocol.RoleMember)
	owner.invite(tid, carol, protocol.RoleMember)

	fid, fk := owner.newFolder(tid, "Contracts")
	plaintext := make([]byte, 300<<10)
	rand.Read(plaintext)
	did, dk, ct := owner.upload(tid, fid, fk, 1, plaintext, 64<<10)
	if got := owner.openDocument(tid, did); !bytes.Equal(got, plaintext) {
		t.Fatal("owner's download does not decrypt to the upload")
	}

	// Bob is a member but holds no key yet; Eve is of another tenant.
	s.wantCode(protocol.CodeForbidden, "GET", "/tenants/"+tid+"/documents/"+did+"/content", bob.access, nil)
	s.wantCode(protocol.CodeForbidden, "GET", "/tenants/"+tid+"/documents/"+did, bob.access, nil)
	s.wantCode(protocol.CodeForbidden, "GET", "/tenants/"+tid+"/documents/"+did, eve.access, nil)
	s.wantCode(protocol.CodeNotFound, "GET", "/tenants/"+eveTenant+"/documents/"+did, eve.access, nil)
	var fl protocol.FolderList
	s.must("GET", "/tenants/"+tid+"/folders", bob.access, nil, &fl)
	if len(fl.Folders) != 0 {
		t.Fatalf("bob sees folders he holds no key of: %+v", fl)
	}

	// A grant bob signs himself for a key he does not hold is refused, and
	// so is a grant whose signature does not check.
	fake := bob.makeGrant(tid, grant.KindFolder, fid, 1, keys.NewIdentity(), bob)
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/grants", bob.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{fake}})
	gb := owner.makeGrant(tid, grant.KindFolder, fid, 1, fk, bob)
	forged := gb
	forged.Grant = append([]byte(nil), gb.Grant...)
	forged.Grant[len(forged.Grant)-3] ^= 1
	r := s.call("POST", "/tenants/"+tid+"/grants", owner.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{forged}}, nil)
	if r.err == nil || (r.err.Code != protocol.CodeBadSignature && r.err.Code != protocol.CodeBadEncoding) {
		t.Fatalf("forged grant: %d %v", r.status, r.err)
	}
	// A grant whose fields disagree with its bytes is refused.
	lying := gb
	lying.GranteeID = carol.id
	s.wantCode(protocol.CodeBadRequest, "POST", "/tenants/"+tid+"/grants", owner.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{lying}})
	// A grant to someone outside the tenant is refused.
	toEve := gb
	toEve.GranteeID = eve.id
	r = s.call("POST", "/tenants/"+tid+"/grants", owner.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{toEve}}, nil)
	if r.status < 400 {
		t.Fatal("a grant with a mismatched grantee was stored")
	}

	var gl protocol.GrantList
	s.must("POST", "/tenants/"+tid+"/grants", owner.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{gb}}, &gl)
	if got := bob.openDocument(tid, did); !bytes.Equal(got, plaintext) {
		t.Fatal("bob's download does not decrypt")
	}
	// Range requests return the stored bytes.
	r = s.raw("GET", protocol.APIPrefix+"/tenants/"+tid+"/documents/"+did+"/content", bob.access, "", nil, "Range", "bytes=100-199")
	if r.status != 206 || !bytes.Equal(r.body, ct[100:200]) || r.header.Get("Content-Range") != p("bytes 100-199/%d", len(ct)) {
		t.Fatalf("range: %d %q", r.status, r.header.Get("Content-Range"))
	}
	r = s.raw("GET", protocol.APIPrefix+"/tenants/"+tid+"/documents/"+did+"/content", bob.access, "", nil, "Range", "bytes=0-1,5-6")
	if r.status != 400 {
		t.Fatalf("multi-range: %d", r.status)
	}

	// Carol asks for the document; the owner approves with a grant made in
	// the owner's "browser".
	var ar protocol.AccessRequest
	s.must("POST", "/tenants/"+tid+"/access-requests", carol.access, &protocol.CreateAccessRequest{ObjectKind: protocol.ObjectDocument, ObjectID: did, Message: "for the audit"}, &ar)
	var al protocol.AccessRequestList
	s.must("GET", "/tenants/"+tid+"/access-requests", bob.access, nil, &al)
	if len(al.Requests) != 1 || al.Requests[0].Message != "for the audit" {
		t.Fatalf("bob, a holder, sees requests %+v", al)
	}
	s.wantCode(protocol.CodeBadRequest, "POST", "/tenants/"+tid+"/access-requests/"+ar.RequestID+"/approve", owner.access,
		&protocol.ApproveAccessRequest{Grant: owner.makeGrant(tid, grant.KindDocument, did, 1, dk, bob)})
	var approved protocol.Grant
	s.must("POST", "/tenants/"+tid+"/access-requests/"+ar.RequestID+"/approve", owner.access,
		&protocol.ApproveAccessRequest{Grant: owner.makeGrant(tid, grant.KindDocument, did, 1, dk, carol)}, &approved)
	if got := carol.openDocument(tid, did); !bytes.Equal(got, plaintext) {
		t.Fatal("carol's download does not decrypt")
	}

	// Bob is removed: the server stops serving him at once, and the owner
	// rotates the folder key and re-wraps the document key.
	owner.appendStatement(tid, membership.RemoveMember{AccountID: bob.id})
	s.wantCode(protocol.CodeForbidden, "GET", "/tenants/"+tid+"/documents/"+did+"/content", bob.access, nil)
	rot, fk2, err := grant.Rotate(owner.kr.SigningKey(), grant.RotationParams{FolderID: fid, Previous: 1, Removed: bob.id, Admin: owner.id, Time: time.Now()}, fk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	// Carol, a member, may not rotate.
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/folders/"+fid+"/rotations", carol.access, &protocol.RotateFolderRequest{
		KeyVersion: 2, Recipient: fk2.Recipient().String(), Rotation: rot.Bytes(),
		Grants: []protocol.GrantUpload{owner.makeGrant(tid, grant.KindFolder, fid, 2, fk2, owner)},
	})
	var fr protocol.FolderRotation
	s.must("POST", "/tenants/"+tid+"/folders/"+fid+"/rotations", owner.access, &protocol.RotateFolderRequest{
		KeyVersion: 2, Recipient: fk2.Recipient().String(), Rotation: rot.Bytes(),
		Grants: []protocol.GrantUpload{owner.makeGrant(tid, grant.KindFolder, fid, 2, fk2, owner)},
	}, &fr)
	if fr.KeyVersion != 2 || fr.Pending != 1 {
		t.Fatalf("rotation: %+v", fr)
	}
	// New uploads MUST use the new key version.
	s.wantCode(protocol.CodeConflict, "POST", "/tenants/"+tid+"/uploads", owner.access, &protocol.CreateUploadRequest{
		DocumentID: store.NewID().String(), FolderID: fid, Size: 1000, Metadata: []byte("x"), KeyWrap: []byte("x"), FolderKeyVersion: 1,
	})
	var rl protocol.RewrapList
	s.must("GET", "/tenants/"+tid+"/folders/"+fid+"/rewraps", owner.access, nil, &rl)
	if len(rl.Rewraps) != 1 || rl.Rewraps[0].DocumentID != did || rl.Rewraps[0].FolderKeyVersion != 1 {
		t.Fatalf("re-wraps: %+v", rl)
	}
	nw, err := grant.Rewrap(rl.Rewraps[0].KeyWrap, fk, rot)
	if err != nil {
		t.Fatal(err)
	}
	var rr protocol.RewrapResult
	s.must("POST", "/tenants/"+tid+"/folders/"+fid+"/rewraps", owner.access, &protocol.RewrapRequest{Rewraps: []protocol.Rewrap{
		{DocumentID: did, Version: 1, FolderKeyVersion: 2, KeyWrap: nw},
	}}, &rr)
	if rr.Done != 1 || rr.Pending != 0 {
		t.Fatalf("re-wrap result: %+v", rr)
	}
	if got := owner.openDocument(tid, did); !bytes.Equal(got, plaintext) {
		t.Fatal("owner's download after rotation does not decrypt")
	}

	// The audit chain: members cannot read it, admins export it, and the
	// export verifies and holds the events of this story.
	s.wantCode(protocol.CodeForbidden, "GET", "/tenants/"+tid+"/audit/export", carol.access, nil)
	r = s.raw("GET", protocol.APIPrefix+"/tenants/"+tid+"/audit/export", owner.access, "", nil)
	if r.status != 200 {
		t.Fatalf("export: %d %v", r.status, r.err)
	}
	tidID, _ := store.ParseID(tid)
	head, err := auditlog.VerifyExport(bytes.NewReader(r.body), tidID, nil)
	if err != nil {
		t.Fatalf("exported chain does not verify: %v", err)
	}
	var ah protocol.AuditHead
	s.must("GET", "/tenants/"+tid+"/audit/head", carol.access, nil, &ah)
	if ah.Seq != head.Seq || !bytes.Equal(ah.Hash, head.Hash[:]) {
		t.Fatalf("head %d, export ends at %d", ah.Seq, head.Seq)
	}
	for _, kind := range []string{"member_added", "grant_created", "document_uploaded", "document_downloaded", "access_requested",
		"access_approved", "member_removed", "folder_rotated", "audit_exported"} {
		if !strings.Contains(string(r.body), `"kind":"`+kind+`"`) {
			t.Errorf("the audit export has no %s event", kind)
		}
	}
	// Altering one exported line is caught.
	altered := bytes.Replace(r.body, []byte(`"kind":"document_downloaded"`), []byte(`"kind":"document_uploaded"`), 1)
	if _, err := auditlog.VerifyExport(bytes.NewReader(altered), tidID, nil); err == nil {
		t.Error("an altered export verifies")
	}
	// The paged list carries the same chain.
	var ap protocol.AuditPage
	s.must("GET", "/tenants/"+tid+"/audit?limit=2", owner.access, nil, &ap)
	if len(ap.Events) != 2 || ap.NextCursor == "" || ap.Events[0].Seq != 1 {
		t.Fatalf("audit page: %+v", ap)
	}
}
