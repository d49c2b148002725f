package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// fakeESign plays the server's side of envelopes, as SPEC part 90 says the
// server behaves, in process (so the tests run natively and under wasm):
// one tenant (alice the owner, bob a member), one document held by alice
// through a direct grant, envelopes, signing links with per-signer PIN
// counting, and a seal log in memory. It keeps every request body, and the
// PINs it was asked to relay (its "SMS").
type fakeESign struct {
	t   *testing.T
	mux *http.ServeMux

	mu        sync.Mutex
	chain     [][]byte
	doc       protocol.Document
	content   []byte // ciphertext
	grants    []protocol.Grant
	envs      map[string]*fakeEnvelope
	sms       map[string]string // signer id → PIN relayed
	bodies    [][]byte
	log       *seallog.Log
	logKey    *seallog.SignerKey
	lie       func(route string, v any) // alters a reply before it is sent
	altDocFor string                    // signer id served altered content
}

type fakeEnvelope struct {
	env    protocol.Envelope
	hashes map[string]link.VerifierHash
	wraps  map[string][]byte
	seal   *protocol.SealRecord
}

const (
	fakeDoc    = "doc-1"
	fakeFolder = "fold-1"
	bobAccount = "acct-bob"
)

// newFakeESign makes the tenant with alice's and bob's keyrings, and the
// document plaintext encrypted under a fresh key granted to alice.
func newFakeESign(t *testing.T, alice, bob *account.Keyring, plaintext []byte) (*fakeESign, *keys.Identity) {
	t.Helper()
	f := &fakeESign{t: t, mux: http.NewServeMux(), envs: map[string]*fakeEnvelope{}, sms: map[string]string{}}
	f.chain = aliceAndBob(t, alice, bob)
	dk := keys.NewIdentity()
	var buf bytes.Buffer
	w, err := document.Encrypt(&buf, dk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plaintext)
	w.Close()
	f.content = buf.Bytes()
	meta, err := document.SealMetadata(&document.Metadata{Name: "contract.pdf", Type: "application/pdf", Size: int64(len(plaintext)), Created: t0}, dk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := document.SignVersion(alice.SigningKey(), document.VersionFacts{TenantID: testTenant, DocumentID: fakeDoc, Version: 1,
		CipherSize: int64(len(f.content)), CipherSHA256: sha256.Sum256(f.content), UploaderID: testAccount, Time: t0})
	if err != nil {
		t.Fatal(err)
	}
	f.doc = protocol.Document{DocumentID: fakeDoc, FolderID: fakeFolder, DocumentVersion: protocol.DocumentVersion{
		Version: 1, Size: int64(len(f.content)), Metadata: meta, KeyWrap: []byte("unused"), FolderKeyVersion: 1, CreatedBy: testAccount, CreatedAt: t0,
		Statement: stmt.Bytes()}}
	g, err := grant.Make(alice.SigningKey(), grant.Params{Kind: grant.KindDocument, ObjectID: fakeDoc, KeyVersion: 1,
		Grantee: testAccount, Granter: testAccount, Time: t0}, dk, alice.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	f.grants = append(f.grants, protocol.Grant{GrantID: "g0", GrantUpload: grantUpload(g), GranterID: testAccount, CreatedAt: t0})
	if f.logKey, err = seallog.GenerateKey("log.vellum.test/seals"); err != nil {
		t.Fatal(err)
	}
	if f.log, err = seallog.NewLog(&seallog.MemStorage{}, f.logKey); err != nil {
		t.Fatal(err)
	}
	// Other seals before ours, so that proofs have hashes.
	for range 5 {
		f.log.Append(seallog.NewLeaf([32]byte{1}, [32]byte{2}))
	}
	f.routes()
	return f, dk
}

func (f *fakeESign) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, b)
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec := httptest.NewRecorder()
	f.mux.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

func fail(w http.ResponseWriter, code protocol.Code, msg string) {
	reply(w, code.HTTPStatus(), &protocol.Error{Code: code, Message: msg})
}

func decodeBody[T any, P interface {
	*T
	protocol.Request
}](r *http.Request) (P, error) {
	b, _ := io.ReadAll(r.Body)
	p := P(new(T))
	if err := protocol.DecodeJSON(b, p, protocol.MaxJSONBody); err != nil {
		return nil, err
	}
	return p, p.Validate()
}

// who returns the account or signer session of the request.
func who(r *http.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }

func (f *fakeESign) out(w http.ResponseWriter, route string, v any) {
	if f.lie != nil {
		f.lie(route, v)
	}
	reply(w, 200, v)
}

func (f *fakeESign) routes() {
	ten := "/api/v1/tenants/" + testTenant
	f.mux.HandleFunc("GET "+ten+"/membership", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		from := 0
		if a := r.URL.Query().Get("after"); a != "" {
			fmt.Sscan(a, &from)
			from++
		}
		reply(w, 200, protocol.MembershipChain{Statements: append([][]byte{}, f.chain[min(from, len(f.chain)):]...), HeadSeq: uint64(len(f.chain) - 1)})
	})
	f.mux.HandleFunc("GET "+ten+"/documents/"+fakeDoc, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, f.doc)
	})
	f.mux.HandleFunc("GET "+ten+"/folders/"+fakeFolder, func(w http.ResponseWriter, r *http.Request) {
		fail(w, protocol.CodeForbidden, "no folder key") // the document is held by direct grants
	})
	f.mux.HandleFunc("GET "+ten+"/documents/"+fakeDoc+"/content", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(f.content)))
		w.Write(f.content)
	})
	f.mux.HandleFunc("GET "+ten+"/grants", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []protocol.Grant
		for _, g := range f.grants {
			if g.ObjectID == r.URL.Query().Get("objectId") {
				out = append(out, g)
			}
		}
		reply(w, 200, protocol.GrantList{Grants: append([]protocol.Grant{}, out...)})
	})
	f.mux.HandleFunc("POST "+ten+"/grants", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeBody[protocol.CreateGrantsRequest](r)
		if err != nil {
			fail(w, protocol.CodeBadRequest, "bad grants")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var out []protocol.Grant
		for _, g := range req.Grants {
			pg := protocol.Grant{GrantID: fmt.Sprintf("g%d", len(f.grants)), GrantUpload: g, GranterID: who(r), CreatedAt: t0}
			f.grants = append(f.grants, pg)
			out = append(out, pg)
		}
		reply(w, 200, protocol.GrantList{Grants: out})
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes", f.create)
	f.mux.HandleFunc("GET "+ten+"/envelopes/{envelopeId}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		e := f.envs[r.PathValue("envelopeId")]
		if e == nil {
			fail(w, protocol.CodeNotFound, "no envelope")
			return
		}
		env := e.env
		f.out(w, "envelopes.get", &env)
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes/{envelopeId}/sign", func(w http.ResponseWriter, r *http.Request) {
		f.sign(w, r, r.PathValue("envelopeId"), func(e *fakeEnvelope) string { return f.memberSigner(e, who(r)) }, "envelopes.sign")
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes/{envelopeId}/decline", func(w http.ResponseWriter, r *http.Request) {
		f.decline(w, r, r.PathValue("envelopeId"), func(e *fakeEnvelope) string { return f.memberSigner(e, who(r)) })
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes/{envelopeId}/remind", func(w http.ResponseWriter, r *http.Request) {
		if _, err := decodeBody[protocol.RemindRequest](r); err != nil {
			fail(w, protocol.CodeBadRequest, "bad remind")
			return
		}
		w.WriteHeader(204)
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes/{envelopeId}/cancel", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeBody[protocol.CancelEnvelopeRequest](r)
		f.mu.Lock()
		defer f.mu.Unlock()
		e := f.envs[r.PathValue("envelopeId")]
		if err != nil || e == nil {
			fail(w, protocol.CodeBadRequest, "bad cancel")
			return
		}
		e.env.Status, e.env.Reason = protocol.EnvelopeCancelled, req.Reason
		reply(w, 200, e.env)
	})
	f.mux.HandleFunc("PUT "+ten+"/envelopes/{envelopeId}/signers/{signerId}/link", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeBody[protocol.ReplaceLinkRequest](r)
		f.mu.Lock()
		defer f.mu.Unlock()
		e, id := f.envs[r.PathValue("envelopeId")], r.PathValue("signerId")
		if err != nil || e == nil || e.wraps[id] == nil {
			fail(w, protocol.CodeBadRequest, "bad replace")
			return
		}
		e.hashes[id], _ = link.ParseVerifierHash(req.VerifierHash)
		e.wraps[id], f.sms[id] = req.LinkWrap, req.PIN
		st := f.status(e, id)
		st.FailedTries, st.State = 0, protocol.SignerPending
		reply(w, 200, st)
	})
	f.mux.HandleFunc("POST "+ten+"/envelopes/{envelopeId}/seal", func(w http.ResponseWriter, r *http.Request) {
		f.sealUpload(w, r, r.PathValue("envelopeId"), "envelopes.seal.upload")
	})
	f.mux.HandleFunc("GET "+ten+"/envelopes/{envelopeId}/seal", func(w http.ResponseWriter, r *http.Request) {
		f.sealGet(w, r.PathValue("envelopeId"))
	})

	links := "/api/v1/links/{envelopeId}"
	f.mux.HandleFunc("POST "+links+"/open", f.open)
	f.mux.HandleFunc("GET "+links, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		e, id := f.linkSession(r)
		if e == nil {
			fail(w, protocol.CodeUnauthenticated, "no session")
			return
		}
		f.out(w, "links.get", f.view(e, id))
	})
	f.mux.HandleFunc("GET "+links+"/document", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		e, id := f.linkSession(r)
		content := f.content
		if id != "" && id == f.altDocFor {
			content = bytes.Clone(content)
			content[len(content)-1] ^= 1
		}
		f.mu.Unlock()
		if e == nil {
			fail(w, protocol.CodeUnauthenticated, "no session")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.Write(content)
	})
	f.mux.HandleFunc("POST "+links+"/sign", func(w http.ResponseWriter, r *http.Request) {
		f.sign(w, r, r.PathValue("envelopeId"), func(e *fakeEnvelope) string { return f.linkSigner(e, r) }, "links.sign")
	})
	f.mux.HandleFunc("POST "+links+"/decline", func(w http.ResponseWriter, r *http.Request) {
		f.decline(w, r, r.PathValue("envelopeId"), func(e *fakeEnvelope) string { return f.linkSigner(e, r) })
	})
	f.mux.HandleFunc("POST "+links+"/seal", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		e, _ := f.linkSession(r)
		f.mu.Unlock()
		if e == nil {
			fail(w, protocol.CodeUnauthenticated, "no session")
			return
		}
		f.sealUpload(w, r, r.PathValue("envelopeId"), "links.seal.upload")
	})
	f.mux.HandleFunc("GET "+links+"/seal", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		e, _ := f.linkSession(r)
		f.mu.Unlock()
		if e == nil {
			fail(w, protocol.CodeUnauthenticated, "no session")
			return
		}
		f.sealGet(w, r.PathValue("envelopeId"))
	})
}

func (f *fakeESign) create(w http.ResponseWriter, r *http.Request) {
	req, err := decodeBody[protocol.CreateEnvelopeRequest](r)
	if err != nil {
		fail(w, protocol.CodeBadRequest, "bad envelope")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := &fakeEnvelope{hashes: map[string]link.VerifierHash{}, wraps: map[string][]byte{}}
	e.env = protocol.Envelope{EnvelopeID: req.EnvelopeID, DocumentID: req.DocumentID, Version: req.Version, Status: protocol.EnvelopeSent,
		Message: req.Message, CreatedBy: who(r), CreatedAt: t0, ExpiresAt: t0.Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)}
	for _, s := range req.Signers {
		e.env.Signers = append(e.env.Signers, protocol.SignerStatus{SignerID: s.SignerID, AccountID: s.AccountID, Name: s.Name,
			Email: s.Email, Order: s.Order, State: protocol.SignerPending})
		if s.AccountID == "" {
			e.hashes[s.SignerID], _ = link.ParseVerifierHash(s.VerifierHash)
			e.wraps[s.SignerID] = s.LinkWrap
			f.sms[s.SignerID] = s.PIN // relayed, as the server's SMS sender does
		}
	}
	f.envs[req.EnvelopeID] = e
	f.out(w, "envelopes.create", &e.env)
}

func (f *fakeESign) status(e *fakeEnvelope, signerID string) *protocol.SignerStatus {
	for i := range e.env.Signers {
		if e.env.Signers[i].SignerID == signerID {
			return &e.env.Signers[i]
		}
	}
	return nil
}

// open checks the PIN verifier against the named signer's hash only, and
// counts and locks per signer (SPEC part 90).
func (f *fakeESign) open(w http.ResponseWriter, r *http.Request) {
	req, err := decodeBody[protocol.OpenLinkRequest](r)
	if err != nil {
		fail(w, protocol.CodeBadRequest, "bad open")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.envs[r.PathValue("envelopeId")]
	var st *protocol.SignerStatus
	if e != nil {
		st = f.status(e, req.SignerID)
	}
	if st == nil || e.wraps[req.SignerID] == nil {
		fail(w, protocol.CodeAuthFailed, "wrong PIN")
		return
	}
	if st.FailedTries >= protocol.PINTries {
		fail(w, protocol.CodeLocked, "locked")
		return
	}
	v, err := link.ParseVerifier(req.Verifier)
	if err != nil || !link.VerifierMatches(e.hashes[req.SignerID], v) {
		st.FailedTries++
		if st.FailedTries >= protocol.PINTries {
			st.State = protocol.SignerLocked
			fail(w, protocol.CodeLocked, "locked") // as the server: the locking try says so
			return
		}
		fail(w, protocol.CodeAuthFailed, "wrong PIN")
		return
	}
	if st.State == protocol.SignerPending {
		st.State = protocol.SignerOpened
	}
	resp := &protocol.OpenLinkResponse{SignerSession: "sess-" + e.env.EnvelopeID + "-" + req.SignerID, SessionExpires: t0.Add(time.Hour),
		LinkWrap: e.wraps[req.SignerID], Signer: *f.view(e, req.SignerID), DocumentSize: f.doc.Size, DocumentVersion: 1, Metadata: f.doc.Metadata}
	f.out(w, "links.open", resp)
}

func (f *fakeESign) view(e *fakeEnvelope, signerID string) *protocol.SignerView {
	return &protocol.SignerView{EnvelopeID: e.env.EnvelopeID, SignerID: signerID, Status: e.env.Status, Message: e.env.Message,
		Signers: append([]protocol.SignerStatus(nil), e.env.Signers...)}
}

// linkSession finds the envelope and signer of a signer session.
func (f *fakeESign) linkSession(r *http.Request) (*fakeEnvelope, string) {
	tok, ok := strings.CutPrefix(who(r), "sess-"+r.PathValue("envelopeId")+"-")
	e := f.envs[r.PathValue("envelopeId")]
	if !ok || e == nil || f.status(e, tok) == nil {
		return nil, ""
	}
	return e, tok
}

func (f *fakeESign) linkSigner(e *fakeEnvelope, r *http.Request) string {
	_, id := f.linkSession(r)
	return id
}

func (f *fakeESign) memberSigner(e *fakeEnvelope, token string) string {
	acct := map[string]string{"tok-alice": testAccount, "tok-bob": bobAccount}[token]
	for _, s := range e.env.Signers {
		if acct != "" && s.AccountID == acct {
			return s.SignerID
		}
	}
	return ""
}

func (f *fakeESign) sign(w http.ResponseWriter, r *http.Request, envID string, signer func(*fakeEnvelope) string, route string) {
	req, err := decodeBody[protocol.SubmitSignatureRequest](r)
	if err != nil {
		fail(w, protocol.CodeBadRequest, "bad signature request")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.envs[envID]
	if e == nil {
		fail(w, protocol.CodeNotFound, "no envelope")
		return
	}
	id := signer(e)
	st := f.status(e, id)
	if st == nil {
		fail(w, protocol.CodeForbidden, "not a signer")
		return
	}
	ss, err := seal.ParseSignedStatement(req.Statement)
	if err != nil || ss.Verify() != nil || ss.Statement.Signer.Key.String() != req.VerifyKey || ss.Statement.EnvelopeID != envID {
		fail(w, protocol.CodeBadSignature, "statement does not check")
		return
	}
	for _, o := range e.env.Signers {
		if o.Order < st.Order && o.State != protocol.SignerSigned {
			fail(w, protocol.CodeConflict, "not this signer's turn")
			return
		}
	}
	now := ss.Statement.SignedAt
	st.State, st.SignedAt, st.Statement, st.VerifyKey = protocol.SignerSigned, &now, req.Statement, req.VerifyKey
	done := true
	for _, o := range e.env.Signers {
		done = done && o.State == protocol.SignerSigned
	}
	if done {
		e.env.Status = protocol.EnvelopeCompleted
	}
	if route == "links.sign" {
		f.out(w, route, f.view(e, id))
	} else {
		env := e.env
		f.out(w, route, &env)
	}
}

func (f *fakeESign) decline(w http.ResponseWriter, r *http.Request, envID string, signer func(*fakeEnvelope) string) {
	req, err := decodeBody[protocol.DeclineRequest](r)
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.envs[envID]
	if err != nil || e == nil || f.status(e, signer(e)) == nil {
		fail(w, protocol.CodeForbidden, "not a signer")
		return
	}
	st := f.status(e, signer(e))
	st.State, st.Reason = protocol.SignerDeclined, req.Reason
	e.env.Status = protocol.EnvelopeDeclined
	w.WriteHeader(204)
}

// sealUpload checks C and S against the seal and logs it (SPEC part 40).
func (f *fakeESign) sealUpload(w http.ResponseWriter, r *http.Request, envID, route string) {
	req, err := decodeBody[protocol.SealUploadRequest](r)
	if err != nil {
		fail(w, protocol.CodeBadRequest, "bad seal")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.envs[envID]
	if e == nil || e.env.Status != protocol.EnvelopeCompleted {
		if e != nil && e.seal != nil {
			fail(w, protocol.CodeConflict, "sealed already")
			return
		}
		fail(w, protocol.CodeConflict, "not completed")
		return
	}
	s, err := seal.ParseSeal(req.Seal)
	if err != nil {
		fail(w, protocol.CodeBadEncoding, "seal")
		return
	}
	c, h := s.Commitment(), sha256.Sum256(req.Seal)
	if !bytes.Equal(c[:], req.Commitment) || !bytes.Equal(h[:], req.SealHash) {
		fail(w, protocol.CodeBadSignature, "C or S")
		return
	}
	i, proof, err := f.log.AppendProof(seallog.NewLeaf(c, h))
	if err != nil {
		fail(w, protocol.CodeInternal, "log")
		return
	}
	e.seal = &protocol.SealRecord{Seal: req.Seal, LeafIndex: uint64(i), Proof: proof}
	e.env.Status = protocol.EnvelopeSealed
	rec := *e.seal
	f.out(w, route, &rec)
}

func (f *fakeESign) sealGet(w http.ResponseWriter, envID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.envs[envID]
	if e == nil || e.seal == nil {
		fail(w, protocol.CodeNotFound, "no seal")
		return
	}
	rec := *e.seal
	f.out(w, "seal.get", &rec)
}

// esignWorld is a fake server with alice's, bob's and an outsider's
// clients.
type esignWorld struct {
	f          *fakeESign
	alice, bob *Client
	outsider   *Client
	plaintext  []byte
	logKey     *seallog.SignerKey
}

const docMarker = "PLAINTEXT-MARKER-7c1f"

func newWorld(t *testing.T) *esignWorld {
	t.Helper()
	exp := time.Now().Add(time.Hour)
	plain := []byte(strings.Repeat("Contract of sale. "+docMarker+"\n", 5000))
	// Keyrings first: the fake's chain needs them.
	alice := newTestClient(t, nil)
	kra := loginAs(alice, testAccount, "alice@example.com", "tok-alice", exp)
	bob := newTestClient(t, nil)
	krb := loginAs(bob, bobAccount, "bob@example.com", "tok-bob", exp)
	f, _ := newFakeESign(t, kra, krb, plain)
	for _, c := range []*Client{alice, bob} {
		c.http = &http.Client{Transport: f}
	}
	return &esignWorld{f: f, alice: alice, bob: bob, outsider: newTestClient(t, f), plaintext: plain, logKey: f.logKey}
}

func (w *esignWorld) send(t *testing.T, order SigningOrder) *SentEnvelope {
	t.Helper()
	sent, err := w.alice.CreateEnvelope(context.Background(), testTenant, NewEnvelope{
		DocumentID: fakeDoc, Order: order, Message: "Please sign by Friday.",
		Signers: []EnvelopeSigner{
			{Name: "Dora Díaz", Email: "dora@example.org", Phone: "+4915112345678"},
			{AccountID: bobAccount, Name: "Bob Berg"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

func (w *esignWorld) pin(id string) string {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.sms[id]
}

// TestEnvelopeFlow: alice sends a document to an outsider and to bob; both
// read and sign; the last signer seals; everyone downloads the document
// with its .seal file, which verifies offline, and whose D is SHA-256 of
// the downloaded bytes.
func TestEnvelopeFlow(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	sent := w.send(t, Sequential)
	env := sent.Envelope
	if len(sent.Links) != 1 || env.Status != protocol.EnvelopeSent || len(env.Signers) != 2 {
		t.Fatalf("sent %+v", sent)
	}
	dora, bobSt := env.Signers[0], env.Signers[1]
	if dora.Order != 1 || bobSt.Order != 2 || bobSt.AccountID != bobAccount || bobSt.Email != "bob@example.com" {
		t.Errorf("signers %+v", env.Signers)
	}
	l := sent.Links[0].Link
	if l.EnvelopeID != env.EnvelopeID || l.SignerID != dora.SignerID || !strings.HasPrefix(l.URL(), testBase+"/sign/"+env.EnvelopeID+"/"+dora.SignerID+"#") {
		t.Errorf("link %s", l)
	}

	// What the server received: no plaintext, no link secret. The PIN
	// only in the field the SMS sender relays.
	w.f.mu.Lock()
	all := bytes.Join(w.f.bodies, nil)
	w.f.mu.Unlock()
	for _, secret := range []string{l.Secret.Fragment(), docMarker, "Please sign by Friday"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the server received %q", secret)
		}
	}
	if p := w.pin(dora.SignerID); len(p) != 6 {
		t.Fatalf("PIN relayed %q", p)
	}
	// Bob was granted the document, wrapped to the chain's recipient.
	if g := w.f.grants[len(w.f.grants)-1]; g.GranteeID != bobAccount || g.ObjectID != fakeDoc {
		t.Errorf("last grant %+v", g)
	}

	// Bob may not sign before Dora (sequential).
	bs, err := w.bob.OpenEnvelope(ctx, testTenant, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if bs.SignerID() != bobSt.SignerID {
		t.Fatalf("bob is signer %q", bs.SignerID())
	}
	if _, err := bs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Sign(ctx); !errors.Is(err, ErrEnvelopeState) {
		t.Errorf("bob signing first: %v", err)
	}

	// Dora opens her link with the PIN from her SMS, reads and signs.
	ds, err := w.outsider.OpenSigningLink(ctx, l.URL(), w.pin(dora.SignerID))
	if err != nil {
		t.Fatal(err)
	}
	if name, typ, size := ds.Document(); name != "contract.pdf" || typ != "application/pdf" || size != int64(len(w.plaintext)) {
		t.Errorf("document %s %s %d", name, typ, size)
	}
	if msg, err := ds.Message(); err != nil || msg != "Please sign by Friday." {
		t.Errorf("message %q %v", msg, err)
	}
	if _, err := ds.Sign(ctx); !errors.Is(err, ErrNotRead) {
		t.Errorf("signing unread: %v", err)
	}
	var shown bytes.Buffer
	d, err := ds.ReadDocument(ctx, &shown)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shown.Bytes(), w.plaintext) || d != sha256.Sum256(w.plaintext) {
		t.Fatal("Dora was shown other bytes, or D is not their SHA-256")
	}
	if last, err := ds.Sign(ctx); err != nil || last {
		t.Fatalf("Dora signs: last=%v %v", last, err)
	}
	if _, err := ds.Sign(ctx); !errors.Is(err, ErrEnvelopeState) {
		t.Errorf("signing twice: %v", err)
	}

	// Bob signs last, and seals.
	last, err := bs.Sign(ctx)
	if err != nil || !last {
		t.Fatalf("bob signs: last=%v %v", last, err)
	}
	sealed, err := bs.Seal(ctx, w.logKey.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if !sealed.Check.Valid() || sealed.Check.Report.Digest != sha256.Sum256(w.plaintext) || sealed.Check.Report.Log == nil {
		t.Fatalf("seal check %+v", sealed.Check.Failures)
	}
	r := sealed.Check.Report
	if r.Signers[0].Signer.Kind != seal.SignerExternal || r.Signers[0].Attestation != seal.AttestPINVerified ||
		r.Signers[1].Signer.AccountID != bobAccount || r.Signers[1].Attestation != seal.AttestSession ||
		r.Signers[1].Signer.Key != bs.c.sess.keyring.SigningKey().Public() {
		t.Errorf("seal signers %+v", r.Signers)
	}

	// Everyone downloads the document and the .seal file; each verifies
	// offline, and D is SHA-256 of the bytes downloaded.
	as, err := w.alice.OpenEnvelope(ctx, testTenant, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if as.SignerID() != "" {
		t.Errorf("the sender is not a signer here")
	}
	if _, err := as.Sign(ctx); !errors.Is(err, ErrNotSigner) {
		t.Errorf("sender signing: %v", err)
	}
	for name, g := range map[string]*Signing{"dora": ds, "bob": bs, "alice": as} {
		var doc bytes.Buffer
		got, err := g.DownloadSealed(ctx, w.logKey.Verifier(), &doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(doc.Bytes(), w.plaintext) {
			t.Fatalf("%s downloaded other bytes", name)
		}
		chk, err := CheckSeal(bytes.NewReader(doc.Bytes()), got.File, w.logKey.Verifier())
		if err != nil || !chk.Valid() {
			t.Fatalf("%s: offline check %v %v", name, err, chk.Failures)
		}
		if chk.Report.Digest != sha256.Sum256(doc.Bytes()) {
			t.Errorf("%s: the seal's D is not sha256sum of the file", name)
		}
	}
	// Sealing again returns the stored seal.
	again, err := ds.Seal(ctx, w.logKey.Verifier())
	if err != nil || !bytes.Equal(again.File, sealed.File) {
		t.Errorf("sealing a sealed envelope: %v", err)
	}
}

// TestParallelAndDecline: in parallel, bob may sign first; an outsider who
// declines closes the envelope with their reason.
func TestParallelAndDecline(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	sent := w.send(t, Parallel)
	dora := sent.Envelope.Signers[0]
	if dora.Order != 1 || sent.Envelope.Signers[1].Order != 1 {
		t.Errorf("orders %+v", sent.Envelope.Signers)
	}
	bs, err := w.bob.OpenEnvelope(ctx, testTenant, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if last, err := bs.Sign(ctx); err != nil || last {
		t.Fatalf("bob signs first in parallel: %v %v", last, err)
	}
	ds, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), " "+w.pin(dora.SignerID)[:3]+" "+w.pin(dora.SignerID)[3:])
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Decline(ctx, "Wrong amount."); err != nil {
		t.Fatal(err)
	}
	env, err := w.alice.Envelope(ctx, testTenant, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if env.Status != protocol.EnvelopeDeclined || env.Signers[0].State != protocol.SignerDeclined || env.Signers[0].Reason != "Wrong amount." {
		t.Errorf("after decline %+v", env)
	}
	if _, err := ds.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.Sign(ctx); !errors.Is(err, ErrEnvelopeState) {
		t.Errorf("signing a declined envelope: %v", err)
	}
	if _, err := bs.Seal(ctx, w.logKey.Verifier()); !errors.Is(err, ErrEnvelopeState) {
		t.Errorf("sealing a declined envelope: %v", err)
	}
}

// TestWrongPINs: a wrong PIN is auth_failed; the server locks one signer's
// link after PINTries and then refuses the right PIN too; the sender's new
// link opens again.
func TestWrongPINs(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	sent, err := w.alice.CreateEnvelope(ctx, testTenant, NewEnvelope{DocumentID: fakeDoc, Signers: []EnvelopeSigner{
		{Name: "Dora", Email: "dora@example.org", Phone: "+4915112345678"},
		{Name: "Emil", Email: "emil@example.se", Phone: "+46701234567"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dora, emil := sent.Links[0], sent.Links[1]
	right := w.pin(dora.SignerID)
	wrong := right[:5] + string('0'+(right[5]-'0'+1)%10)
	for i := range protocol.PINTries {
		want := protocol.CodeAuthFailed
		if i == protocol.PINTries-1 {
			want = protocol.CodeLocked
		}
		if _, err := w.outsider.OpenSigningLink(ctx, dora.Link.URL(), wrong); protocol.CodeOf(err) != want {
			t.Fatalf("wrong PIN %d: %v, want %s", i+1, err, want)
		}
	}
	if _, err := w.outsider.OpenSigningLink(ctx, dora.Link.URL(), right); protocol.CodeOf(err) != protocol.CodeLocked {
		t.Fatalf("right PIN after %d wrong ones: %v", protocol.PINTries, err)
	}
	// Emil's link is another link: not locked.
	if _, err := w.outsider.OpenSigningLink(ctx, emil.Link.URL(), w.pin(emil.SignerID)); err != nil {
		t.Fatalf("another signer's link: %v", err)
	}
	env, _ := w.alice.Envelope(ctx, testTenant, sent.Envelope.EnvelopeID)
	if env.Signers[0].State != protocol.SignerLocked || env.Signers[0].FailedTries != protocol.PINTries {
		t.Errorf("sender sees %+v", env.Signers[0])
	}
	// The sender replaces the link: the old one no longer opens.
	nl, err := w.alice.ReplaceLink(ctx, testTenant, sent.Envelope.EnvelopeID, dora.SignerID, "")
	if err != nil {
		t.Fatal(err)
	}
	if nl.Link.Secret.Equal(dora.Link.Secret) {
		t.Fatal("the new link has the old secret")
	}
	if _, err := w.outsider.OpenSigningLink(ctx, dora.Link.URL(), right); protocol.CodeOf(err) != protocol.CodeAuthFailed {
		t.Errorf("old link after replacement: %v", err)
	}
	if _, err := w.outsider.OpenSigningLink(ctx, nl.Link.URL(), w.pin(dora.SignerID)); err != nil {
		t.Errorf("new link: %v", err)
	}
	if _, err := w.alice.ReplaceLink(ctx, testTenant, sent.Envelope.EnvelopeID, "nobody", ""); !errors.Is(err, ErrNotSigner) {
		t.Errorf("replacing the link of no signer: %v", err)
	}
}

// TestLyingServer: what a server that lies can and cannot make the client
// do.
func TestLyingServer(t *testing.T) {
	ctx := context.Background()
	signBoth := func(t *testing.T, w *esignWorld) (*Signing, *Signing) {
		t.Helper()
		sent := w.send(t, Parallel)
		ds, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID))
		if err != nil {
			t.Fatal(err)
		}
		bs, err := w.bob.OpenEnvelope(ctx, testTenant, sent.Envelope.EnvelopeID)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []*Signing{ds, bs} {
			if _, err := g.ReadDocument(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Sign(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return ds, bs
	}

	t.Run("another log key", func(t *testing.T) {
		w := newWorld(t)
		_, bs := signBoth(t, w)
		other, _ := seallog.GenerateKey("log.vellum.test/seals")
		_, err := bs.Seal(ctx, other.Verifier())
		var sealed *Sealed
		if !errors.Is(err, ErrSealInvalid) {
			t.Fatalf("proof under another key: %v", err)
		}
		sealed, _ = bs.fetchSeal(ctx, other.Verifier(), sha256.Sum256(w.plaintext))
		if sealed == nil || !sealed.Check.Has(FailLogKeyMismatch) {
			t.Errorf("failures %v", sealed)
		}
	})
	t.Run("altered statement", func(t *testing.T) {
		w := newWorld(t)
		_, bs := signBoth(t, w)
		w.f.lie = func(route string, v any) {
			if e, ok := v.(*protocol.Envelope); ok && route == "envelopes.get" {
				e.Signers[0].Email = "mallory@example.org"
			}
		}
		if _, err := bs.Seal(ctx, w.logKey.Verifier()); !errors.Is(err, ErrInconsistent) {
			t.Errorf("statement of another signer: %v", err)
		}
	})
	t.Run("a signer signed other bytes", func(t *testing.T) {
		w := newWorld(t)
		sent := w.send(t, Parallel)
		ds, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID))
		if err != nil {
			t.Fatal(err)
		}
		ds.digest, ds.read = sha256.Sum256([]byte("another document")), true
		if _, err := ds.Sign(ctx); err != nil {
			t.Fatal(err)
		}
		bs, err := w.bob.OpenEnvelope(ctx, testTenant, sent.Envelope.EnvelopeID)
		if err != nil {
			t.Fatal(err)
		}
		bs.ReadDocument(ctx, nil)
		if _, err := bs.Sign(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := bs.Seal(ctx, w.logKey.Verifier()); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("sealing over a statement of other bytes: %v", err)
		}
	})
	t.Run("signer shown another document", func(t *testing.T) {
		w := newWorld(t)
		sent := w.send(t, Parallel)
		w.f.altDocFor = sent.Links[0].SignerID
		ds, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ds.ReadDocument(ctx, nil); !errors.Is(err, document.ErrCorrupted) {
			t.Errorf("altered ciphertext: %v", err)
		}
		if _, err := ds.Sign(ctx); !errors.Is(err, ErrNotRead) {
			t.Errorf("signing after a failed read: %v", err)
		}
	})
	t.Run("wrap of another key", func(t *testing.T) {
		w := newWorld(t)
		sent := w.send(t, Parallel)
		w.f.lie = func(route string, v any) {
			if r, ok := v.(*protocol.OpenLinkResponse); ok {
				s, p := link.NewSecret(), link.NewPIN()
				r.LinkWrap, _ = link.Wrap(keys.NewIdentity(), s, p)
			}
		}
		if _, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID)); !errors.Is(err, link.ErrWrongKey) {
			t.Errorf("a wrap that is not ours: %v", err)
		}
	})
	t.Run("another signer's view", func(t *testing.T) {
		w := newWorld(t)
		sent := w.send(t, Parallel)
		w.f.lie = func(route string, v any) {
			if r, ok := v.(*protocol.OpenLinkResponse); ok {
				r.Signer.SignerID = "someone-else"
			}
		}
		if _, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), w.pin(sent.Links[0].SignerID)); !errors.Is(err, ErrInconsistent) {
			t.Errorf("view of another signer: %v", err)
		}
	})
	t.Run("seal of other signers", func(t *testing.T) {
		w := newWorld(t)
		ds, bs := signBoth(t, w)
		if _, err := bs.Seal(ctx, w.logKey.Verifier()); err != nil {
			t.Fatal(err)
		}
		// The server now names other signers than those of the seal.
		w.f.lie = func(route string, v any) {
			if e, ok := v.(*protocol.SignerView); ok {
				e.Signers[1].Name = "Someone Else"
			}
		}
		if _, err := ds.DownloadSealed(ctx, w.logKey.Verifier(), io.Discard); !errors.Is(err, ErrSealInvalid) {
			t.Errorf("a seal whose signers are not the envelope's: %v", err)
		}
	})
}

func TestEnvelopeRequestsRefused(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	n := len(w.f.bodies)
	for name, spec := range map[string]NewEnvelope{
		"member with another address": {DocumentID: fakeDoc, Signers: []EnvelopeSigner{{AccountID: bobAccount, Name: "Bob", Email: "bob@elsewhere.example"}}},
		"no signers":                  {DocumentID: fakeDoc},
		"outsider without phone":      {DocumentID: fakeDoc, Signers: []EnvelopeSigner{{Name: "Dora", Email: "dora@example.org"}}},
		"not a member":                {DocumentID: fakeDoc, Signers: []EnvelopeSigner{{AccountID: "acct-zed", Name: "Zed"}}},
		"message too long":            {DocumentID: fakeDoc, Message: strings.Repeat("x", protocol.MaxEnvelopeMessage+1), Signers: []EnvelopeSigner{{AccountID: bobAccount, Name: "Bob"}}},
	} {
		if _, err := w.alice.CreateEnvelope(ctx, testTenant, spec); err == nil {
			t.Errorf("%s: sent", name)
		}
	}
	w.f.mu.Lock()
	for _, b := range w.f.bodies[n:] {
		if bytes.Contains(b, []byte("envelopeId")) {
			t.Errorf("a refused envelope reached the server: %s", b)
		}
	}
	w.f.mu.Unlock()

	// A link for another server is not sent anywhere.
	sent := w.send(t, Parallel)
	other := strings.Replace(sent.Links[0].Link.URL(), "vellum.test", "vellum.example", 1)
	if _, err := w.outsider.OpenSigningLink(ctx, other, w.pin(sent.Links[0].SignerID)); !errors.Is(err, ErrLinkOrigin) {
		t.Errorf("link of another origin: %v", err)
	}
	if _, err := w.outsider.OpenSigningLink(ctx, sent.Links[0].Link.URL(), "12345"); !errors.Is(err, link.ErrMalformed) {
		t.Errorf("a five-digit PIN: %v", err)
	}

	if err := w.alice.Remind(ctx, testTenant, sent.Envelope.EnvelopeID, sent.Links[0].SignerID); err != nil {
		t.Error(err)
	}
	env, err := w.alice.CancelEnvelope(ctx, testTenant, sent.Envelope.EnvelopeID, "Wrong version.")
	if err != nil || env.Status != protocol.EnvelopeCancelled || env.Reason != "Wrong version." {
		t.Errorf("cancel: %+v %v", env, err)
	}
	if msg, err := w.alice.EnvelopeMessage(ctx, testTenant, env); err != nil || msg != "Please sign by Friday." {
		t.Errorf("message %q %v", msg, err)
	}
}
