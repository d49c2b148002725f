package api

import (
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// loginState makes a real login state to seal.
func testLoginState(t testing.TB) *opaque.ServerLoginState {
	srv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	_, ke1, err := opaque.StartLogin([]byte("password"))
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := srv.StartLogin(ke1, []byte(store.NewID().String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// FuzzLoginToken: a login-state token opens only as sealed, by the key
// that sealed it, before its expiry; any other input is refused without a
// panic.
func FuzzLoginToken(f *testing.F) {
	sec, err := newSecrets(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	// Fixed secret and account: fuzzing workers seal their own token with a
	// fresh nonce and state, and must open the coordinator's.
	ls := &loginState{expires: now.Add(loginStateTTL), account: store.ID{1, 2, 3}, state: testLoginState(f)}
	tok, err := sec.sealLogin(ls)
	if err != nil {
		f.Fatal(err)
	}
	if len(tok) > protocol.MaxTokenLength {
		f.Fatalf("token of %d characters", len(tok))
	}
	got, err := sec.openLogin(tok, now)
	if err != nil || got.account != ls.account || string(got.state.MarshalSecret()) != string(ls.state.MarshalSecret()) {
		f.Fatalf("round trip: %v", err)
	}
	if _, err := sec.openLogin(tok, ls.expires); protocol.CodeOf(err) != protocol.CodeExpired {
		f.Fatalf("expired token: %v", err)
	}
	other, _ := newSecrets(append(make([]byte, 31), 1))
	if _, err := other.openLogin(tok, now); err == nil {
		f.Fatal("a token opened under another secret")
	}
	f.Add(tok)
	for _, c := range vectortest.Load[loginStateVector](f, loginStateFormat) {
		f.Add(c.V.Token)
	}
	f.Add(tok[:len(tok)-1])
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", protocol.MaxTokenLength))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := sec.openLogin(s, now)
		if err != nil {
			return
		}
		// Only tokens this secret sealed open, and they open as sealed.
		if got.account != ls.account || !got.expires.Equal(ls.expires) {
			t.Fatalf("%q opened to another login", s)
		}
		again, err := sec.openLogin(s, now)
		if err != nil || again.account != got.account {
			t.Fatal("opening is not repeatable")
		}
	})
}

// FuzzParseRange: an accepted range is inside the body and not empty.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", "bytes=0-0", "bytes=5-", "bytes=-5", "bytes=0-1,2-3", "bytes=9-1", "bytes=--1", "items=0-1", "bytes=+1-2", "bytes= 1-2"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 1 || size > protocol.MaxUploadSize {
			return
		}
		start, end, partial, err := parseRange(h, size)
		if err != nil {
			return
		}
		if start < 0 || end > size || start >= end {
			t.Fatalf("%q of %d: [%d, %d)", h, size, start, end)
		}
		if !partial && (start != 0 || end != size || h != "") {
			t.Fatalf("%q of %d: whole body [%d, %d)", h, size, start, end)
		}
	})
}

// FuzzRouter: every path finds at most one route, whose pattern it
// matches with id parameters; nothing panics.
func FuzzRouter(f *testing.F) {
	r := newRouter(protocol.Routes)
	for _, rt := range protocol.Routes {
		f.Add(rt.Method, strings.ReplaceAll(strings.ReplaceAll(rt.Path, "{", "x"), "}", ""))
	}
	f.Add("GET", "/api/v1/tenants/../x")
	f.Add("BREW", "/api/v1/account")
	f.Fuzz(func(t *testing.T, method, path string) {
		i, params, err := r.lookup(method, path)
		if err != nil {
			if c := protocol.CodeOf(err); c != protocol.CodeNotFound && c != protocol.CodeMethodNotAllowed {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			return
		}
		rt := &protocol.Routes[i]
		want, ok := rt.Match(path)
		if !ok || rt.Method != method || len(want) != len(params) {
			t.Fatalf("%s %s routed to %s %s", method, path, rt.Method, rt.Path)
		}
		for k, v := range params {
			if want[k] != v || !protocol.ValidID(v) {
				t.Fatalf("%s %s: parameter %s=%q", method, path, k, v)
			}
		}
	})
}

// TestBearer: only "Bearer <token>" of a bounded length is a credential.
func TestBearer(t *testing.T) {
	for h, want := range map[string]bool{"Bearer abc": true, "bearer abc": true, "Bearer ": false, "Basic abc": false, "": false,
		"Bearer " + strings.Repeat("a", protocol.MaxSessionToken+1): false} {
		if _, ok := bearer([]byte(h)); ok != want {
			t.Errorf("%q: %v", h, ok)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	if got := maskEmail("alice@example.com"); got != "a•••@e•••.com" {
		t.Errorf("got %q", got)
	}
}
