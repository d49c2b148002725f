package api_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// memberStatement signs a member's statement with key.
func memberStatement(t *testing.T, key *keys.SigningKey, d [32]byte, eid string, u *user, name string) *protocol.SubmitSignatureRequest {
	t.Helper()
	st, err := seal.Sign(key, seal.Statement{Digest: d, EnvelopeID: eid, SignedAt: time.Now(), Attestation: seal.AttestSession,
		Signer: seal.Signer{Kind: seal.SignerMember, Name: name, Email: u.email, AccountID: u.id, Key: key.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &protocol.SubmitSignatureRequest{Statement: b, VerifyKey: key.Public().String()}
}

// TestMemberSignature: a member signs with their key in the membership
// chain, in their session; the server refuses another key, another
// account's statement, a member signer who holds no key of the document,
// and anyone but the signer; an envelope is seen by its participants and
// holders of its document only.
func TestMemberSignature(t *testing.T) {
	s := startServer(t, nil)
	alice, bob, carol := s.register("alice@example.com"), s.register("bob@example.com"), s.register("carol@example.com")
	tid := alice.newTenant()
	alice.invite(tid, bob, protocol.RoleMember)
	alice.invite(tid, carol, protocol.RoleAdmin)
	fid, fk := alice.newFolder(tid, "Contracts")
	did, dk, _ := alice.upload(tid, fid, fk, 1, []byte("the contract"), 1<<20)
	base := "/tenants/" + tid + "/envelopes"
	create := func(signers ...protocol.NewSigner) (*protocol.Envelope, *response) {
		var env protocol.Envelope
		r := s.call("POST", base, alice.access, &protocol.CreateEnvelopeRequest{EnvelopeID: store.NewID().String(), DocumentID: did,
			Version: 1, ExpiresInDays: 3, Signers: signers}, &env)
		return &env, r
	}
	bobSigner := protocol.NewSigner{SignerID: store.NewID().String(), AccountID: bob.id, Name: "Bob", Email: bob.email, Order: 1}
	if _, r := create(bobSigner); codeOf(r) != protocol.CodeBadRequest {
		t.Errorf("a member signer without a key of the document: %d %v", r.status, r.err)
	}
	other := bobSigner
	other.Email = "bob@elsewhere.example"
	if _, r := create(other); codeOf(r) != protocol.CodeBadRequest {
		t.Errorf("a member signer under another address: %v", r.err)
	}
	s.must("POST", "/tenants/"+tid+"/grants", alice.access, &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{
		alice.makeGrant(tid, grant.KindDocument, did, 1, dk, bob)}}, nil)
	env, r := create(bobSigner)
	if r.err != nil {
		t.Fatal(r.err)
	}
	eid := env.EnvelopeID
	path := base + "/" + eid

	// Carol, an admin who holds nothing, sees nothing of it; bob and alice do.
	if r := s.call("GET", path, carol.access, nil, nil); codeOf(r) != protocol.CodeForbidden {
		t.Errorf("an admin who holds nothing: %v", r.err)
	}
	for _, u := range []*user{alice, bob} {
		var got protocol.Envelope
		s.must("GET", path, u.access, nil, &got)
		if got.Signers[0].AccountID != bob.id || got.Signers[0].State != protocol.SignerPending {
			t.Errorf("%s sees %+v", u.email, got.Signers)
		}
	}
	var l protocol.EnvelopeList
	s.must("GET", base, carol.access, nil, &l)
	if len(l.Envelopes) != 0 {
		t.Errorf("carol lists %d envelopes", len(l.Envelopes))
	}

	d := sha256.Sum256([]byte("the contract"))
	for name, c := range map[string]struct {
		who  *user
		req  *protocol.SubmitSignatureRequest
		code protocol.Code
	}{
		"another key":              {bob, memberStatement(t, keys.NewSigningKey(), d, eid, bob, "Bob"), protocol.CodeBadSignature},
		"the sender, not a signer": {alice, memberStatement(t, alice.kr.SigningKey(), d, eid, alice, "Alice"), protocol.CodeForbidden},
		"another member's name":    {bob, memberStatement(t, bob.kr.SigningKey(), d, eid, bob, "Robert"), protocol.CodeBadRequest},
		"carol as bob":             {carol, memberStatement(t, bob.kr.SigningKey(), d, eid, bob, "Bob"), protocol.CodeForbidden},
	} {
		if r := s.call("POST", path+"/sign", c.who.access, c.req, nil); codeOf(r) != c.code {
			t.Errorf("%s: %d %v, want %s", name, r.status, r.err, c.code)
		}
	}
	var got protocol.Envelope
	s.must("POST", path+"/sign", bob.access, memberStatement(t, bob.kr.SigningKey(), d, eid, bob, "Bob"), &got)
	if got.Status != protocol.EnvelopeCompleted || got.Signers[0].State != protocol.SignerSigned || got.Signers[0].VerifyKey != bob.pub().VerifyKey.String() {
		t.Errorf("after bob signed: %+v", got)
	}
	if r := s.call("POST", path+"/decline", bob.access, &protocol.DeclineRequest{}, nil); codeOf(r) != protocol.CodeConflict {
		t.Errorf("declining after signing: %v", r.err)
	}
	// The sender may not replace a member's link: members have none.
	if r := s.call("PUT", path+"/signers/"+bobSigner.SignerID+"/link", alice.access, &protocol.ReplaceLinkRequest{
		VerifierHash: "Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA", LinkWrap: []byte("w")}, nil); r.err == nil {
		t.Error("a member's link replaced")
	}
}
