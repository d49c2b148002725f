package session_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newSessions(t *testing.T, ks *session.Keyset, c *clock) *session.Sessions {
	t.Helper()
	s, err := session.New(session.Config{Keyset: ks, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func epochs(m map[store.ID]uint64) session.EpochFunc {
	return func(a store.ID) (uint64, error) {
		e, ok := m[a]
		if !ok {
			return 0, store.ErrNotFound
		}
		return e, nil
	}
}

func TestIssueVerify(t *testing.T) {
	c := &clock{t0}
	s := newSessions(t, session.NewKeyset(t0), c)
	acct, tenant, dev := store.NewID(), store.NewID(), store.NewID()
	ep := map[store.ID]uint64{acct: 7}
	tok, claims, err := s.Issue(session.Claims{Account: acct, Tenant: tenant, Kind: session.KindAccess, Epoch: 7, Device: dev})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) > 512 || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token text %q is not short unpadded base64url", tok)
	}
	if !claims.Expires.Equal(t0.Add(session.DefaultAccessTTL)) {
		t.Fatalf("expires %v", claims.Expires)
	}
	got, err := s.Verify(tok, session.KindAccess, epochs(ep))
	if err != nil {
		t.Fatal(err)
	}
	if got != claims || got.Tenant != tenant || got.Device != dev {
		t.Fatalf("claims %+v, want %+v", got, claims)
	}
	// The wrong kind is refused.
	if _, err := s.Verify(tok, session.KindRefresh, epochs(ep)); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("access token as refresh: %v", err)
	}
	// Revocation: the account's epoch moved on.
	ep[acct] = 8
	if _, err := s.Verify(tok, session.KindAccess, epochs(ep)); !errors.Is(err, session.ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	ep[acct] = 7
	// An unknown account's error passes through.
	delete(ep, acct)
	if _, err := s.Verify(tok, session.KindAccess, epochs(ep)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	ep[acct] = 7
	// Expiry, to the second, on the injected clock.
	c.t = t0.Add(session.DefaultAccessTTL - time.Second)
	if _, err := s.Verify(tok, session.KindAccess, epochs(ep)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	c.t = t0.Add(session.DefaultAccessTTL)
	if _, err := s.Verify(tok, session.KindAccess, epochs(ep)); !errors.Is(err, session.ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	// A token from the future (a clock far ahead) is refused.
	c.t = t0.Add(-time.Hour)
	if _, err := s.Verify(tok, session.KindAccess, epochs(ep)); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("from the future: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	c := &clock{t0}
	s := newSessions(t, session.NewKeyset(t0), c)
	acct := store.NewID()
	ep := map[store.ID]uint64{acct: 1}
	rt, _, err := s.Issue(session.Claims{Account: acct, Kind: session.KindRefresh, Epoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.t = t0.Add(20 * 24 * time.Hour)
	at, ac, err := s.Refresh(rt, epochs(ep))
	if err != nil {
		t.Fatal(err)
	}
	if ac.Kind != session.KindAccess || !ac.Expires.Equal(c.t.Add(session.DefaultAccessTTL)) {
		t.Fatalf("refreshed claims %+v", ac)
	}
	if _, err := s.Verify(at, session.KindAccess, epochs(ep)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Refresh(at, epochs(ep)); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("refresh with an access token: %v", err)
	}
	c.t = t0.Add(session.DefaultRefreshTTL)
	if _, _, err := s.Refresh(rt, epochs(ep)); !errors.Is(err, session.ErrExpired) {
		t.Fatalf("expired refresh: %v", err)
	}
}

func TestTamperedTokensFail(t *testing.T) {
	c := &clock{t0}
	s := newSessions(t, session.NewKeyset(t0), c)
	acct := store.NewID()
	tok, _, err := s.Issue(session.Claims{Account: acct, Kind: session.KindAccess})
	if err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range tok {
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], '!'} {
			bad := tok[:i] + string(r) + tok[i+1:]
			_, err := s.Open(bad, session.KindAccess)
			if !errors.Is(err, session.ErrInvalid) && !errors.Is(err, session.ErrUnknownKey) {
				t.Fatalf("byte %d changed to %q: %v", i, r, err)
			}
		}
	}
	for _, bad := range []string{"", tok[:len(tok)-1], tok + "A", tok[:20], strings.Repeat("A", 600)} {
		if _, err := s.Open(bad, session.KindAccess); !errors.Is(err, session.ErrInvalid) {
			t.Fatalf("Open(%.20q…) = %v", bad, err)
		}
	}
	// Another server's keyset: unknown key.
	other := newSessions(t, session.NewKeyset(t0), c)
	if _, err := other.Open(tok, session.KindAccess); !errors.Is(err, session.ErrUnknownKey) {
		t.Fatalf("other keyset: %v", err)
	}
}

func TestRotation(t *testing.T) {
	c := &clock{t0}
	ks := session.NewKeyset(t0)
	s := newSessions(t, ks, c)
	acct := store.NewID()
	old, _, _ := s.Issue(session.Claims{Account: acct, Kind: session.KindRefresh})
	oldID := ks.CurrentID()
	c.t = t0.Add(time.Hour)
	newID := ks.Rotate(c.t)
	if newID == oldID || ks.CurrentID() != newID || len(ks.IDs()) != 2 {
		t.Fatalf("rotation: %v", ks.IDs())
	}
	fresh, _, _ := s.Issue(session.Claims{Account: acct, Kind: session.KindRefresh})
	for _, tok := range []string{old, fresh} {
		if _, err := s.Open(tok, session.KindRefresh); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if n := ks.Prune(c.t.Add(session.DefaultRefreshTTL-time.Second), session.DefaultRefreshTTL); n != 0 {
		t.Fatalf("pruned %d keys too early", n)
	}
	c.t = c.t.Add(session.DefaultRefreshTTL)
	if n := ks.Prune(c.t, session.DefaultRefreshTTL); n != 1 {
		t.Fatalf("pruned %d keys, want 1", n)
	}
	if _, err := s.Open(old, session.KindRefresh); !errors.Is(err, session.ErrUnknownKey) {
		t.Fatalf("token of a pruned key: %v", err)
	}
	if ks.Prune(c.t.Add(1000*time.Hour), 0) != 0 || len(ks.IDs()) != 1 {
		t.Fatal("the current key was pruned")
	}
}

func TestKeysetFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "session.keys")
	ks, created, err := session.LoadOrCreateKeyset(path, t0)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	ks.Rotate(t0.Add(time.Hour))
	if err := ks.Save(path); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("keyset file mode %v, %v", st.Mode().Perm(), err)
		}
	}
	again, created, err := session.LoadOrCreateKeyset(path, t0)
	if err != nil || created {
		t.Fatalf("load: %v %v", created, err)
	}
	if fmt.Sprint(again.IDs()) != fmt.Sprint(ks.IDs()) || again.CurrentID() != ks.CurrentID() {
		t.Fatal("keyset does not round-trip")
	}
	c := &clock{t0.Add(2 * time.Hour)}
	tok, _, _ := newSessions(t, ks, c).Issue(session.Claims{Account: store.NewID(), Kind: session.KindAccess})
	if _, err := newSessions(t, again, c).Open(tok, session.KindAccess); err != nil {
		t.Fatalf("token from the saved keyset: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", ks, ks, ks, ks); strings.Count(s, "[REDACTED]") != 4 {
		t.Fatalf("keyset prints as %q", s)
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := session.LoadKeyset(path); !errors.Is(err, session.ErrInsecureKeyset) {
		t.Fatalf("group-readable keyset: %v", err)
	}
	os.Remove(path)
	if err := os.WriteFile(path, []byte("not a keyset"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := session.LoadKeyset(path); !errors.Is(err, session.ErrBadKeyset) {
		t.Fatalf("garbage keyset: %v", err)
	}
	b, _ := ks.MarshalBinary()
	if _, err := session.ParseKeyset(b[:len(b)-1]); !errors.Is(err, session.ErrBadKeyset) {
		t.Fatalf("truncated keyset: %v", err)
	}
}
