package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

func TestRequestBuilding(t *testing.T) {
	var seen recorder
	c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		seen.add(r)
		return jsonResponse(200, protocol.GrantList{Grants: []protocol.Grant{}}), nil
	}))
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	var out protocol.GrantList
	if err := c.do(context.Background(), call(rGrantsList, "tenantId", testTenant).q("objectId", "obj-1").page("cur_1"), &out); err != nil {
		t.Fatal(err)
	}
	r := seen.reqs[0]
	if r.Method != "GET" || r.URL.Path != "/api/v1/tenants/"+testTenant+"/grants" || r.URL.Host != "vellum.test" {
		t.Errorf("request %s %s", r.Method, r.URL)
	}
	if q := r.URL.Query(); q.Get("objectId") != "obj-1" || q.Get("cursor") != "cur_1" || len(q) != 2 {
		t.Errorf("query %v", q)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tok-A" {
		t.Errorf("Authorization %q", got)
	}

	// A JSON body: validated, encoded, with its content type.
	seen = recorder{}
	c2 := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		seen.add(r)
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(b), `"email":"bob@example.com"`) {
			t.Errorf("body %s, content type %q", b, r.Header.Get("Content-Type"))
		}
		return jsonResponse(200, protocol.Invite{InviteID: "inv1", Email: "bob@example.com", Role: protocol.RoleMember, Status: protocol.InvitePending, CreatedBy: testAccount}), nil
	}))
	loginAs(c2, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	if _, err := c2.Invite(context.Background(), testTenant, "bob@example.com", protocol.RoleMember); err != nil {
		t.Fatal(err)
	}
	if seen.count() != 1 {
		t.Fatalf("%d requests", seen.count())
	}
}

func TestRequestRefusedBeforeSending(t *testing.T) {
	var seen recorder
	c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		seen.add(r)
		return jsonResponse(500, nil), nil
	}))
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	ctx := context.Background()
	for name, err := range map[string]error{
		"path parameter not an id": c.do(ctx, call(rFolderGet, "tenantId", "../x", "folderId", "f"), nil),
		"parameter with a slash":   c.do(ctx, call(rFolderGet, "tenantId", testTenant, "folderId", "a/b"), nil),
		"unknown query":            c.do(ctx, call(rFolderGet, "tenantId", testTenant, "folderId", "f").q("bogus", "1"), nil),
		"invalid body":             func() error { _, err := c.Invite(ctx, testTenant, "not an address", protocol.RoleMember); return err }(),
		"missing path parameter":   c.do(ctx, call(rFolderGet, "tenantId", testTenant), nil),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for name, err := range map[string]error{
		"path parameter not an id": c.do(ctx, call(rFolderGet, "tenantId", "../x", "folderId", "f"), nil),
		"unknown query":            c.do(ctx, call(rFolderGet, "tenantId", testTenant, "folderId", "f").q("bogus", "1"), nil),
		"invalid body":             func() error { _, err := c.Invite(ctx, testTenant, "nope", protocol.RoleMember); return err }(),
	} {
		if protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%s: %v, want bad_request", name, err)
		}
	}
	if n := seen.count(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	// No session: nothing is sent either.
	c3 := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		seen.add(r)
		return jsonResponse(200, nil), nil
	}))
	if _, err := c3.Tenants(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("no session: %v", err)
	}
	if n := seen.count(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		resp    *http.Response
		code    protocol.Code
		message string
	}{
		{"error body", jsonResponse(409, protocol.Error{Code: protocol.CodeConflict, Message: "taken"}), protocol.CodeConflict, "taken"},
		{"unknown code", jsonResponse(418, protocol.Error{Code: "teapot", Message: "new"}), "teapot", "new"},
		{"proxy page", rawResponse(502, "<html>bad gateway</html>"), protocol.CodeInternal, "HTTP status 502"},
		{"empty 429", rawResponse(429, ""), protocol.CodeRateLimited, "HTTP status 429"},
		{"empty 404", rawResponse(404, ""), protocol.CodeNotFound, "HTTP status 404"},
		{"error body with an unknown field", rawResponse(403, `{"code":"forbidden","message":"m","x":1}`), protocol.CodeForbidden, "HTTP status 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, rtFunc(func(*http.Request) (*http.Response, error) { return tc.resp, nil }))
			loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
			_, err := c.Tenants(context.Background())
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *protocol.Error", err)
			}
			if pe.Code != tc.code || pe.Message != tc.message {
				t.Errorf("got %q %q, want %q %q", pe.Code, pe.Message, tc.code, tc.message)
			}
			if errors.Is(err, ErrNetwork) {
				t.Error("a server's answer reads as a network error")
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	reset := errors.New("connection reset by peer")
	c := newTestClient(t, rtFunc(func(*http.Request) (*http.Response, error) { return nil, reset }))
	loginAs(c, testAccount, "alice@example.com", "tok-SECRET", time.Now().Add(time.Hour))
	_, err := c.Tenants(context.Background())
	if !errors.Is(err, ErrNetwork) || !errors.Is(err, reset) {
		t.Errorf("%v: want ErrNetwork wrapping the cause", err)
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		t.Errorf("a network error reads as the server's: %v", pe)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the token is in the error: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2 := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) { return nil, r.Context().Err() }))
	loginAs(c2, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	if _, err := c2.Tenants(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNetwork) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestStrictResponses(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":  `{"tenants":[],"extra":1}`,
		"null member":    `{"tenants":null}`,
		"two values":     `{"tenants":[]}{}`,
		"not JSON":       `tenants`,
		"loose base64":   `{"tenants":[{"tenantId":"t","profile":"YQ","role":"owner","membershipSeq":0,"recoveryEnabled":false,"createdAt":"2026-01-01T00:00:00Z"}]}`,
		"case-folded id": `{"Tenants":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, rtFunc(func(*http.Request) (*http.Response, error) { return rawResponse(200, body), nil }))
			loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
			_, err := c.Tenants(context.Background())
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("%v: want ErrBadResponse", err)
			}
			var pe *protocol.Error
			if errors.As(err, &pe) {
				t.Errorf("a malformed reply reads as the server refusing: %v", pe)
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	var seen recorder
	calls := 0
	c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		seen.add(r)
		calls++
		switch {
		case r.URL.Path == protocol.PathRefresh:
			if r.Header.Get("Authorization") != "" {
				t.Error("refresh sent with an access token")
			}
			b, _ := io.ReadAll(r.Body)
			if !strings.Contains(string(b), `"refreshToken":"refresh-tok-A"`) {
				t.Errorf("refresh body %s", b)
			}
			return jsonResponse(200, protocol.AccessToken{AccessToken: "tok-B", AccessExpiresAt: time.Now().Add(time.Hour)}), nil
		case r.Header.Get("Authorization") == "Bearer tok-A":
			return jsonResponse(401, protocol.Error{Code: protocol.CodeUnauthenticated, Message: "expired"}), nil
		case r.Header.Get("Authorization") == "Bearer tok-B":
			return jsonResponse(200, protocol.TenantList{Tenants: []protocol.Tenant{}}), nil
		}
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		return jsonResponse(500, nil), nil
	}))
	// A token the server refuses is refreshed once and the call repeated.
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	if _, err := c.Tenants(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("%d requests, want 3 (refused, refresh, again)", calls)
	}
	// A token about to expire is refreshed before the call.
	calls = 0
	loginAs(c, testAccount, "alice@example.com", "tok-A", time.Now().Add(10*time.Second))
	if _, err := c.Tenants(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d requests, want 2 (refresh, call)", calls)
	}
	// A refused refresh ends in the server's error, not a loop.
	c2 := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		return jsonResponse(401, protocol.Error{Code: protocol.CodeUnauthenticated, Message: "revoked"}), nil
	}))
	loginAs(c2, testAccount, "alice@example.com", "tok-A", time.Now().Add(time.Hour))
	if _, err := c2.Tenants(context.Background()); protocol.CodeOf(err) != protocol.CodeUnauthenticated {
		t.Errorf("%v, want unauthenticated", err)
	}
}

// TestWrongPassword runs a login against a real OPAQUE server in the fake
// transport: a wrong password is auth_failed (and opaque.ErrWrongPassword),
// KE3 is never sent, and the password is in no error.
func TestWrongPassword(t *testing.T) {
	srv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	cred := []byte("account-1")
	st, req, err := opaque.StartRegistration([]byte("right password"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.RegistrationResponse(req, cred)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := st.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	finished := false
	c := newTestClient(t, rtFunc(func(r *http.Request) (*http.Response, error) {
		switch r.URL.Path {
		case protocol.PathLoginStart:
			var in protocol.LoginStartRequest
			b, _ := io.ReadAll(r.Body)
			if err := protocol.DecodeJSON(b, &in, protocol.MaxJSONBody); err != nil {
				t.Fatal(err)
			}
			ke1, err := opaque.ParseKE1(in.KE1)
			if err != nil {
				t.Fatal(err)
			}
			ke2, _, err := srv.StartLogin(ke1, cred, rec)
			if err != nil {
				t.Fatal(err)
			}
			return jsonResponse(200, protocol.LoginStartResponse{LoginID: "sealedstate", KE2: ke2.Bytes()}), nil
		case protocol.PathLoginFinish:
			finished = true
		}
		return jsonResponse(500, nil), nil
	}))
	const wrong = "wrong password, quite secret"
	err = c.Login(context.Background(), "alice@example.com", wrong)
	if protocol.CodeOf(err) != protocol.CodeAuthFailed || !errors.Is(err, opaque.ErrWrongPassword) {
		t.Fatalf("%v: want auth_failed wrapping opaque.ErrWrongPassword", err)
	}
	if finished {
		t.Error("KE3 was sent after a failed login")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the password is in the error: %v", err)
	}
	// Passwords are normalized to NFC: these two spellings are one.
	a, _ := normalizePassword("e\u0301")
	b, _ := normalizePassword("\u00e9")
	if string(a) != string(b) {
		t.Error("NFC normalization")
	}
	if _, err := normalizePassword(""); protocol.CodeOf(err) != protocol.CodeBadRequest {
		t.Errorf("empty password: %v", err)
	}
}
