package api_test

import (
	"testing"

	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// TestCommitChecksVersionStatement: a commit needs the uploader's version
// statement of exactly this upload, signed with the uploader's key in the
// membership chain; a refused commit changes nothing, and the stored
// statement is served with the version, byte for byte.
func TestCommitChecksVersionStatement(t *testing.T) {
	s := startServer(t, nil)
	owner := s.register("owner@example.com")
	bob := s.register("bob@example.com")
	tid := owner.newTenant()
	owner.invite(tid, bob, protocol.RoleMember)
	fid, fk := owner.newFolder(tid, "Contracts")
	did, dk, _ := owner.uploadNamed(tid, fid, fk, 1, []byte("version one"), "v1.pdf")

	v2 := []byte("version two, longer than one")
	uid, good := owner.beginVersion(tid, fid, did, dk, v2, "v2.pdf")
	commit := "/tenants/" + tid + "/uploads/" + uid + "/commit"
	parsed, err := document.ParseVersionStatement(good.Statement)
	if err != nil {
		t.Fatal(err)
	}
	facts := parsed.VersionFacts
	sign := func(by *user, change func(f *document.VersionFacts)) []byte {
		f := facts
		change(&f)
		st, err := document.SignVersion(by.kr.SigningKey(), f)
		if err != nil {
			t.Fatal(err)
		}
		return st.Bytes()
	}
	for _, c := range []struct {
		name      string
		statement []byte
		code      protocol.Code
	}{
		{"not a statement", []byte("not a statement"), protocol.CodeBadEncoding},
		{"signed by bob, naming the owner", sign(bob, func(*document.VersionFacts) {}), protocol.CodeBadSignature},
		{"another tenant", sign(owner, func(f *document.VersionFacts) { f.TenantID = bob.id }), protocol.CodeBadRequest},
		{"another document", sign(owner, func(f *document.VersionFacts) { f.DocumentID = fid }), protocol.CodeBadRequest},
		{"version one again", sign(owner, func(f *document.VersionFacts) { f.Version = 1 }), protocol.CodeBadRequest},
		{"another size", sign(owner, func(f *document.VersionFacts) { f.CipherSize++ }), protocol.CodeBadRequest},
		{"another ciphertext", sign(owner, func(f *document.VersionFacts) { f.CipherSHA256[0] ^= 1 }), protocol.CodeBadRequest},
		{"another uploader", sign(owner, func(f *document.VersionFacts) { f.UploaderID = bob.id }), protocol.CodeBadRequest},
	} {
		r := s.wantCode(c.code, "POST", commit, owner.access, &protocol.CommitUploadRequest{SHA256: good.SHA256, Statement: c.statement})
		if r.status == 200 {
			t.Fatalf("%s: committed", c.name)
		}
	}
	var d protocol.Document
	s.must("GET", "/tenants/"+tid+"/documents/"+did, owner.access, nil, &d)
	if d.Version != 1 {
		t.Fatalf("refused commits made version %d", d.Version)
	}
	s.must("POST", commit, owner.access, good, &d)
	if d.Version != 2 || string(d.Statement) != string(good.Statement) {
		t.Fatalf("committed version %d, statement stored as sent: %v", d.Version, string(d.Statement) == string(good.Statement))
	}
	var vl protocol.VersionList
	s.must("GET", "/tenants/"+tid+"/documents/"+did+"/versions", owner.access, nil, &vl)
	for _, v := range vl.Versions {
		st, err := document.ParseVersionStatement(v.Statement)
		if err != nil || st.Check(tid, did, v.Version, v.Size, owner.id) != nil {
			t.Fatalf("version %d is served without its statement: %v", v.Version, err)
		}
	}
}
