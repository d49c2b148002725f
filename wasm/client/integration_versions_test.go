//go:build !js

package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// lyingServer sits between a client and the real server and changes what
// the server says about documents, as a malicious operator could: the
// statement it serves with a document's versions, and the ciphertext it
// serves for a version.
type lyingServer struct {
	next http.RoundTripper
	mu   sync.Mutex
	// statement, for a document id, is served as every version's statement.
	statement map[string][]byte
	// contentOf, for "docID?version=N", serves the content of another
	// query ("version=M") instead.
	contentOf map[string]string
	// seen is the statement the real server served for each document's
	// current version.
	seen map[string][]byte
}

func (l *lyingServer) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	path := r.URL.Path
	if r.Method == "GET" && strings.HasSuffix(path, "/content") {
		doc := strings.TrimSuffix(path[strings.LastIndex(strings.TrimSuffix(path, "/content"), "/")+1:], "/content")
		if other, ok := l.contentOf[doc+"?"+r.URL.RawQuery]; ok {
			r = r.Clone(r.Context())
			r.URL.RawQuery = other
		}
		return l.next.RoundTrip(r)
	}
	resp, err := l.next.RoundTrip(r)
	if err != nil || r.Method != "GET" || resp.StatusCode != 200 || !strings.Contains(path, "/documents") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	rewrite := func(id string, v *protocol.DocumentVersion) {
		if !strings.HasSuffix(path, "/versions") {
			l.seen[id] = v.Statement
		}
		if st, ok := l.statement[id]; ok {
			v.Statement = st
		}
	}
	var out any
	switch {
	case strings.HasSuffix(path, "/versions"):
		var vl protocol.VersionList
		if json.Unmarshal(body, &vl) == nil {
			id := strings.TrimSuffix(path, "/versions")
			id = id[strings.LastIndex(id, "/")+1:]
			for i := range vl.Versions {
				rewrite(id, &vl.Versions[i])
			}
			out = &vl
		}
	case strings.Contains(path, "/folders/"):
		var dl protocol.DocumentList
		if json.Unmarshal(body, &dl) == nil {
			for i := range dl.Documents {
				rewrite(dl.Documents[i].DocumentID, &dl.Documents[i].DocumentVersion)
			}
			out = &dl
		}
	default:
		var d protocol.Document
		if json.Unmarshal(body, &d) == nil && d.DocumentID != "" {
			rewrite(d.DocumentID, &d.DocumentVersion)
			out = &d
		}
	}
	if out != nil {
		if body, err = json.Marshal(out); err != nil {
			return nil, err
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func (l *lyingServer) set(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// TestIntegrationVersionStatements: every version a reader sees must carry
// its uploader's statement, signed with a key the membership chain gave the
// uploader (then or now), for exactly that document, version and
// ciphertext. A server that drops or swaps statements, or serves one
// version's bytes for another's, gets the document refused
// (ErrVersionNotSigned), in listings and downloads; an honest server's
// documents, among them one uploaded by a member who has since left,
// pass.
func TestIntegrationVersionStatements(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	liar := &lyingServer{next: s.transport(t), statement: map[string][]byte{}, contentOf: map[string]string{}, seen: map[string][]byte{}}
	alice, bob, tid := twoMembersWith(t, s, client.WithHTTPClient(&http.Client{Timeout: time.Minute, Transport: liar}))
	folder, err := alice.CreateFolder(ctx, tid, "", "Contracts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Share(ctx, tid, client.FolderObject(folder.ID), bob.AccountID()); err != nil {
		t.Fatal(err)
	}
	contract := upload(t, alice, tid, folder.ID, "contract.txt", []byte("the buyer pays 100"))
	if _, err := alice.UploadVersion(ctx, tid, contract.ID, bytes.NewReader([]byte("the buyer pays 900")), 18); err != nil {
		t.Fatal(err)
	}
	other := upload(t, alice, tid, folder.ID, "other.txt", []byte("another document"))
	bobs := upload(t, bob, tid, folder.ID, "bob's notes.txt", []byte("notes by bob"))
	// Bob leaves; what he uploaded still checks out, by the key the chain
	// gave him while he was a member.
	if _, err := alice.RemoveMember(ctx, tid, bob.AccountID()); err != nil {
		t.Fatal(err)
	}

	listed := func() map[string]client.Document {
		t.Helper()
		ds, err := alice.ListDocuments(ctx, tid, folder.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]client.Document{}
		for _, d := range ds {
			m[d.ID] = d
		}
		return m
	}
	for id, d := range listed() {
		if d.Err != nil {
			t.Fatalf("an honest server's document %s (%s): %v", id, d.Name, d.Err)
		}
	}
	if got := download(t, alice, tid, bobs.ID, 0); string(got) != "notes by bob" {
		t.Fatalf("bob's document reads %q", got)
	}
	if got := download(t, alice, tid, contract.ID, 1); string(got) != "the buyer pays 100" {
		t.Fatalf("version 1 reads %q", got)
	}

	refused := func(what, docID string, version uint32) {
		t.Helper()
		if d := listed()[docID]; !errors.Is(d.Err, client.ErrVersionNotSigned) {
			t.Errorf("%s: listed with error %v, want ErrVersionNotSigned", what, d.Err)
		}
		if _, err := alice.Document(ctx, tid, docID); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		dl, err := alice.Download(ctx, tid, docID, version)
		if err == nil {
			_, err = io.ReadAll(dl)
			dl.Close()
		}
		if !errors.Is(err, client.ErrVersionNotSigned) {
			t.Errorf("%s: download %v, want ErrVersionNotSigned", what, err)
		}
	}
	otherStatement := func(id string) []byte {
		t.Helper()
		if d, err := alice.Document(ctx, tid, id); err != nil || d.Err != nil {
			t.Fatal(err, d.Err)
		}
		liar.mu.Lock()
		defer liar.mu.Unlock()
		return liar.seen[id]
	}

	// No statement: a document the server made itself would have none.
	liar.set(func() { liar.statement[other.ID] = []byte{} })
	refused("no statement", other.ID, 0)
	// Another document's statement, genuinely alice's.
	contractStatement := otherStatement(contract.ID)
	liar.set(func() { liar.statement[other.ID] = contractStatement })
	refused("another document's statement", other.ID, 0)
	// A statement naming alice, signed with a key the chain never gave her.
	forged, err := document.SignVersion(keys.NewSigningKey(), document.VersionFacts{
		TenantID: tid, DocumentID: other.ID, Version: 1, CipherSize: other.CipherSize,
		CipherSHA256: [32]byte{1}, UploaderID: alice.AccountID(), Time: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	liar.set(func() { liar.statement[other.ID] = forged.Bytes() })
	refused("a key the chain never gave the uploader", other.ID, 0)
	liar.set(func() { delete(liar.statement, other.ID) })

	// Version 1's bytes served as version 2: same key, same size, so they
	// decrypt and fit the metadata; the statement's hash refuses them,
	// after the whole ciphertext is read.
	liar.set(func() { liar.contentOf[contract.ID+"?version=2"] = "version=1" })
	dl, err := alice.Download(ctx, tid, contract.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(dl)
	dl.Close()
	if !errors.Is(err, client.ErrVersionNotSigned) {
		t.Fatalf("version 1's bytes as version 2: read %q, %v; want ErrVersionNotSigned", got, err)
	}
	liar.set(func() { delete(liar.contentOf, contract.ID+"?version=2") })
	if got := download(t, alice, tid, contract.ID, 2); string(got) != "the buyer pays 900" {
		t.Fatalf("version 2 reads %q", got)
	}

	// A member signer reads what they sign through the same check: the
	// server cannot have members sign bytes the uploader did not upload.
	sent, err := alice.CreateEnvelope(ctx, tid, client.NewEnvelope{DocumentID: contract.ID, Version: 2,
		Signers: []client.EnvelopeSigner{{AccountID: alice.AccountID(), Name: "Alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := alice.OpenEnvelope(ctx, tid, sent.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	liar.set(func() { liar.contentOf[contract.ID+"?version=2"] = "version=1" })
	if _, err := g.ReadDocument(ctx, io.Discard); !errors.Is(err, client.ErrVersionNotSigned) {
		t.Fatalf("a member signer read version 1's bytes as version 2: %v, want ErrVersionNotSigned", err)
	}
	if _, err := g.Sign(ctx); !errors.Is(err, client.ErrNotRead) {
		t.Fatalf("signing after a refused read: %v, want ErrNotRead", err)
	}
	liar.set(func() { delete(liar.contentOf, contract.ID+"?version=2") })
	if _, err := g.ReadDocument(ctx, io.Discard); err != nil {
		t.Fatalf("the signed bytes: %v", err)
	}
	// And an envelope is not made of a version that fails its check.
	liar.set(func() { liar.statement[other.ID] = []byte{} })
	if _, err := alice.CreateEnvelope(ctx, tid, client.NewEnvelope{DocumentID: other.ID,
		Signers: []client.EnvelopeSigner{{AccountID: alice.AccountID(), Name: "Alice"}}}); !errors.Is(err, client.ErrVersionNotSigned) {
		t.Fatalf("an envelope of an unsigned version: %v, want ErrVersionNotSigned", err)
	}
}
