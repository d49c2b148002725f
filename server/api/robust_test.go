package api_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/ratelimit"
)

// TestBadRequests: malformed, oversize and wrong-type requests get a clear
// 4xx with the right code, and the server keeps serving.
func TestBadRequests(t *testing.T) {
	s := startServer(t, nil)
	u := s.register("dora@example.com")
	login := protocol.APIPrefix + "/auth/login/start"
	cases := []struct {
		name                string
		method, path, token string
		ct                  string
		body                []byte
		status              int
		code                protocol.Code
	}{
		{"malformed JSON", "POST", login, "", "application/json", []byte(`{"email":`), 400, protocol.CodeBadEncoding},
		{"trailing data", "POST", login, "", "application/json", []byte(`{"email":"a@b.c","ke1":"S0Ux"} {}`), 400, protocol.CodeBadEncoding},
		{"unknown field", "POST", login, "", "application/json", []byte(`{"email":"a@b.c","ke1":"S0Ux","admin":true}`), 400, protocol.CodeUnknownField},
		{"wrong type", "POST", protocol.APIPrefix + "/auth/logout", u.access, "application/json", []byte(`{"everywhere":"yes"}`), 400, protocol.CodeBadRequest},
		{"null body", "POST", login, "", "application/json", []byte(`null`), 400, protocol.CodeBadRequest},
		{"not base64", "POST", login, "", "application/json", []byte(`{"email":"a@b.c","ke1":"!!"}`), 400, protocol.CodeBadRequest},
		{"not an OPAQUE KE1", "POST", login, "", "application/json", []byte(`{"email":"a@b.c","ke1":"S0Ux"}`), 400, protocol.CodeBadEncoding},
		{"empty body", "POST", login, "", "application/json", []byte{}, 400, protocol.CodeBadEncoding},
		{"wrong content type", "POST", login, "", "text/plain", []byte(`{}`), 400, protocol.CodeBadRequest},
		{"JSON over MaxJSONBody", "POST", login, "", "application/json", bytes.Repeat([]byte(" "), protocol.MaxJSONBody+1), 413, protocol.CodeTooLarge},
		{"body on a GET", "GET", protocol.APIPrefix + "/account", u.access, "application/json", []byte(`{}`), 400, protocol.CodeBadRequest},
		{"unknown route", "GET", protocol.APIPrefix + "/nothing", "", "", nil, 404, protocol.CodeNotFound},
		{"wrong method", "DELETE", protocol.APIPrefix + "/account", u.access, "", nil, 405, protocol.CodeMethodNotAllowed},
		{"parameter not an id", "GET", protocol.APIPrefix + "/tenants/..%2F/members", u.access, "", nil, 404, protocol.CodeNotFound},
		{"unknown query parameter", "GET", protocol.APIPrefix + "/account?debug=1", u.access, "", nil, 400, protocol.CodeBadRequest},
		{"repeated query parameter", "GET", protocol.APIPrefix + "/tenants?x=1", u.access, "", nil, 400, protocol.CodeBadRequest},
		{"bad bearer", "GET", protocol.APIPrefix + "/account", "not-a-token", "", nil, 401, protocol.CodeUnauthenticated},
		{"chunk over MaxChunk", "PUT", protocol.APIPrefix + "/tenants/AAAAAAAAAAAAAAAAAAAAAA/uploads/AAAAAAAAAAAAAAAAAAAAAA?offset=0", u.access,
			"application/octet-stream", bytes.Repeat([]byte{1}, protocol.MaxChunk+1), 413, protocol.CodeTooLarge},
	}
	for _, c := range cases {
		r := s.raw(c.method, c.path, c.token, c.ct, c.body)
		if r.status != c.status || r.err == nil || r.err.Code != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, r.status, r.err, c.status, c.code)
		}
		for _, h := range []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options"} {
			if r.header.Get(h) == "" {
				t.Errorf("%s: no %s header", c.name, h)
			}
		}
	}
	// A body announced over the server's cap is refused from its header,
	// before it is read.
	conn := s.dialTLS()
	defer conn.Close()
	io.WriteString(conn, "POST /api/v1/auth/login/start HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pe protocol.Error
	if resp.StatusCode != 413 || json.Unmarshal(b, &pe) != nil || pe.Code != protocol.CodeTooLarge {
		t.Errorf("oversize announced body: %d %s", resp.StatusCode, b)
	}
	// Still serving.
	s.must("GET", "/account", u.access, nil, nil)
}

// TestSlowRequest: a client that sends half a request is cut off at the
// read deadline, and others are served meanwhile.
func TestSlowRequest(t *testing.T) {
	s := startServer(t, &serverOptions{readTimeout: 3 * time.Second})
	u := s.register("erin@example.com")
	conn := s.dialTLS()
	defer conn.Close()
	io.WriteString(conn, "POST /api/v1/auth/login/start HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.call("GET", "/account", u.access, nil, nil); r.status != 200 {
				t.Errorf("a normal request beside a slow one: %d %v", r.status, r.err)
			}
		}()
	}
	wg.Wait()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("slow request answered %d", resp.StatusCode)
		}
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Error("the server kept a trickling connection open")
	}
	s.must("GET", "/account", u.access, nil, nil)
}

// TestLockoutsAndLimits: wrong passwords lock the address (known or not),
// wrong codes lock the verification, and unauthenticated guesses are rate
// limited per IP with a Retry-After.
func TestLockoutsAndLimits(t *testing.T) {
	var st *api.Limits
	s := startServerWith(t, func(ls *api.Limits) {
		ls.Login = ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 3, LockFor: time.Hour})
		st = ls
	})
	_ = st
	u := s.register("frank@example.com")
	for i := range 3 {
		_, r := u.login([]byte("wrong"), u.deviceID)
		want := protocol.CodeAuthFailed
		if i == 2 {
			want = protocol.CodeLocked
		}
		if r.err == nil || r.err.Code != want {
			t.Fatalf("wrong password %d: %d %v, want %s", i+1, r.status, r.err, want)
		}
	}
	// Locked: the right password is refused before it is checked, and the
	// answer says when to come back.
	if _, r := u.login(u.password, u.deviceID); r.err == nil || r.err.Code != protocol.CodeLocked || r.header.Get("Retry-After") == "" {
		t.Fatalf("right password on a locked account: %d %v", r.status, r.err)
	}
	// Unknown addresses lock alike.
	ghost := &user{s: s, email: "ghost@example.com"}
	var last *response
	for range 4 {
		_, last = ghost.login([]byte("x"), "")
	}
	if last.err == nil || last.err.Code != protocol.CodeLocked {
		t.Fatalf("unknown address after 4 failures: %v", last.err)
	}

	// Device codes: five wrong ones lock the verification.
	g := s.register("gina@example.com")
	lr, r := g.login(g.password, "")
	if lr == nil || lr.Verification == nil {
		t.Fatalf("login: %v", r.err)
	}
	right := s.lastCode(g.email)
	wrong := "999999"
	if wrong == right {
		wrong = "999998"
	}
	for i := range 5 {
		want := protocol.CodeAuthFailed
		if i == 4 {
			want = protocol.CodeLocked
		}
		s.wantCode(want, "POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: lr.Verification.VerificationID, Code: wrong})
	}
	s.wantCode(protocol.CodeLocked, "POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: lr.Verification.VerificationID, Code: right})

	// The login-state token completes one login only.
	cl, ke1, _ := opaque.StartLogin(g.password)
	var start protocol.LoginStartResponse
	s.must("POST", "/auth/login/start", "", &protocol.LoginStartRequest{Email: g.email, KE1: ke1.Bytes()}, &start)
	ke2, _ := opaque.ParseKE2(start.KE2)
	ke3, _, _, err := cl.Finish(ke2)
	if err != nil {
		t.Fatal(err)
	}
	fin := &protocol.LoginFinishRequest{LoginID: start.LoginID, KE3: ke3.Bytes(), DeviceID: g.deviceID}
	s.must("POST", "/auth/login/finish", "", fin, nil)
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/login/finish", "", fin)
	// An altered token does not open.
	alt := []byte(start.LoginID)
	if alt[10] == 'A' {
		alt[10] = 'B'
	} else {
		alt[10] = 'A'
	}
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/login/finish", "", &protocol.LoginFinishRequest{LoginID: string(alt), KE3: ke3.Bytes()})
}

func TestGuessRateLimit(t *testing.T) {
	s := startServerWith(t, func(ls *api.Limits) {
		ls.Guess = ratelimit.New(ratelimit.Config{Burst: 3, Refill: time.Hour})
	})
	body, _ := json.Marshal(&protocol.RefreshRequest{RefreshToken: "x"})
	var last *response
	for range 4 {
		last = s.raw("POST", protocol.APIPrefix+"/auth/refresh", "", "application/json", body)
	}
	if last.err == nil || last.err.Code != protocol.CodeRateLimited || last.header.Get("Retry-After") == "" {
		t.Fatalf("4th guess: %d %v, Retry-After %q", last.status, last.err, last.header.Get("Retry-After"))
	}
	// Public reads are not guesses.
	if r := s.raw("GET", protocol.APIPrefix+"/log/checkpoint", "", "", nil); r.status != 200 || !strings.Contains(string(r.body), "vellum.test/log") {
		t.Fatalf("checkpoint: %d %s", r.status, r.body)
	}
}

func (s *testServer) dialTLS() *tls.Conn {
	s.t.Helper()
	conn, err := tls.Dial("tcp", s.addr, &tls.Config{ServerName: "localhost", RootCAs: s.client.Transport.(*http.Transport).TLSClientConfig.RootCAs})
	if err != nil {
		s.t.Fatal(err)
	}
	return conn
}
