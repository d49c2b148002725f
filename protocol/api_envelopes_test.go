package protocol_test

import (
	"testing"

	"vellum.dev/vellum/protocol"
)

// TestNewSignerKinds: a member signer carries an account and nothing of a
// link; an external signer carries a phone, a verifier hash and a wrap.
func TestNewSignerKinds(t *testing.T) {
	const vh = "Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA"
	external := protocol.NewSigner{SignerID: "s1", Name: "Dora", Email: "dora@example.org", Phone: "+4915112345678", VerifierHash: vh, LinkWrap: []byte("w")}
	member := protocol.NewSigner{SignerID: "s2", AccountID: "acct-carol", Name: "Carol", Email: "carol@example.com", Order: 2}
	ok := func(signers ...protocol.NewSigner) error {
		r := protocol.CreateEnvelopeRequest{EnvelopeID: "e", DocumentID: "d", Version: 1, ExpiresInDays: 7, Signers: signers}
		return r.Validate()
	}
	if err := ok(external, member); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*protocol.NewSigner){
		"member with phone":         func(s *protocol.NewSigner) { s.Phone = "+4915112345678" },
		"member with PIN":           func(s *protocol.NewSigner) { s.PIN = "123456" },
		"member with verifier hash": func(s *protocol.NewSigner) { s.VerifierHash = vh },
		"member with wrap":          func(s *protocol.NewSigner) { s.LinkWrap = []byte{} },
		"member with bad account":   func(s *protocol.NewSigner) { s.AccountID = "a/b" },
	} {
		m := member
		edit(&m)
		if err := ok(external, m); protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, edit := range map[string]func(*protocol.NewSigner){
		"external without phone":    func(s *protocol.NewSigner) { s.Phone = "" },
		"external without hash":     func(s *protocol.NewSigner) { s.VerifierHash = "" },
		"external without wrap":     func(s *protocol.NewSigner) { s.LinkWrap = nil },
		"external with a short PIN": func(s *protocol.NewSigner) { s.PIN = "12345" },
	} {
		e := external
		edit(&e)
		if err := ok(e, member); protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	m2 := member
	m2.SignerID = "s3"
	if err := ok(member, m2); protocol.CodeOf(err) != protocol.CodeBadRequest {
		t.Errorf("one member twice: %v", err)
	}
	r := protocol.CreateEnvelopeRequest{EnvelopeID: "e", DocumentID: "d", Version: 1, ExpiresInDays: protocol.MaxEnvelopeDays + 1, Signers: []protocol.NewSigner{member}}
	if err := r.Validate(); protocol.CodeOf(err) != protocol.CodeBadRequest {
		t.Errorf("expiry over MaxEnvelopeDays: %v", err)
	}
}

func TestReplaceLinkRequest(t *testing.T) {
	const vh = "Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA"
	for _, c := range []struct {
		r  protocol.ReplaceLinkRequest
		ok bool
	}{
		{protocol.ReplaceLinkRequest{VerifierHash: vh, LinkWrap: []byte("w")}, true},
		{protocol.ReplaceLinkRequest{PIN: "000000", VerifierHash: vh, LinkWrap: []byte("w")}, true},
		{protocol.ReplaceLinkRequest{PIN: "00000a", VerifierHash: vh, LinkWrap: []byte("w")}, false},
		{protocol.ReplaceLinkRequest{VerifierHash: vh}, false},
		{protocol.ReplaceLinkRequest{LinkWrap: []byte("w")}, false},
	} {
		if err := c.r.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.r, err)
		}
	}
}
