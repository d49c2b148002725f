//go:build !js

package web_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/wasm/client"
)

// sender is Pat, who sends documents for signature, driven through
// wasm/client as the app drives it: signed up with the e-mailed code, with
// a company and a folder, and the log key the server publishes.
type sender struct {
	*client.Client
	v        *vellumd
	hc       *http.Client
	tenantID string
	folderID string
	logKey   note.Verifier
}

func newSender(t *testing.T, v *vellumd, company string) *sender {
	t.Helper()
	ctx := context.Background()
	s := &sender{v: v, hc: &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test server's self-signed certificate
	}}}
	t.Cleanup(s.hc.CloseIdleConnections)
	s.Client = s.newClient()
	n := v.noticeCount()
	reg, err := s.Register(ctx, "pat@example.com", "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Finish(ctx, v.code("pat@example.com", "sign-up code", n)); err != nil {
		t.Fatal(err)
	}
	tenant, err := s.CreateTenant(ctx, company)
	if err != nil {
		t.Fatal(err)
	}
	folder, err := s.CreateFolder(ctx, tenant.ID, "", "Contracts")
	if err != nil {
		t.Fatal(err)
	}
	if s.logKey, err = s.PublishedLogKey(ctx); err != nil {
		t.Fatal(err)
	}
	s.tenantID, s.folderID = tenant.ID, folder.ID
	return s
}

// newClient is another client of the same server: an outsider's browser.
func (s *sender) newClient() *client.Client { return client.New(s.v.url, client.WithHTTPClient(s.hc)) }
