package client

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/protocol"
)

// accountServer answers GET /account for an account with the given public
// keyring.
func accountServer(t *testing.T, pub []byte) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path != protocol.PathAccount {
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
		return jsonResponse(200, protocol.AccountInfo{AccountID: testAccount, Email: "alice@example.com", PublicKeyring: pub, CreatedAt: t0}), nil
	})
}

type testAccountKeys struct {
	ak      *keys.SymmetricKey
	kr      *account.Keyring
	sealed  []byte
	public  []byte
	code    *account.RecoveryCode
	rcWrap  []byte
	session *protocol.SessionTokens
}

func newTestAccountKeys(t *testing.T) *testAccountKeys {
	t.Helper()
	a := &testAccountKeys{ak: account.NewAccountKey(), kr: account.NewKeyring(), code: account.NewRecoveryCode()}
	var err error
	if a.sealed, err = account.SealKeyring(a.ak, a.kr); err != nil {
		t.Fatal(err)
	}
	if a.public, err = a.kr.SignedPublic(); err != nil {
		t.Fatal(err)
	}
	if a.rcWrap, err = account.WrapForRecoveryCode(a.ak, a.code); err != nil {
		t.Fatal(err)
	}
	a.session = &protocol.SessionTokens{AccessToken: "tok", AccessExpiresAt: time.Now().Add(time.Hour), RefreshToken: "r", RefreshExpiresAt: time.Now().Add(time.Hour)}
	return a
}

func TestUnlockWithRecoveryCode(t *testing.T) {
	ctx := context.Background()
	a := newTestAccountKeys(t)
	c := newTestClient(t, accountServer(t, a.public))
	resp := &protocol.LoginResponse{Session: a.session, Unlock: &protocol.UnlockBundle{
		AccountID: testAccount, Keyring: a.sealed, PublicKeyring: a.public,
		Wraps: []protocol.UnlockWrap{{MethodID: "m1", Kind: protocol.UnlockRecoveryCode, Wrap: a.rcWrap}},
	}}
	// A login whose secrets open no wrap keeps the session, locked.
	if err := c.finishLogin(ctx, resp, "alice@example.com", &unlockSecrets{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("%v, want ErrLocked", err)
	}
	if c.Unlocked() || c.AccountID() != testAccount {
		t.Fatal("state after a locked login")
	}
	if _, err := c.CreateTenant(ctx, "x"); !errors.Is(err, ErrLocked) {
		t.Errorf("a locked client signed: %v", err)
	}
	code := a.code.Reveal()
	// A one-character change the checksum catches (most are; pick one that
	// is, so the test does not depend on the code drawn).
	var typo string
	for _, ch := range "0123456789ABCDEFGHJKMNPQRSTVWXYZ" {
		cand := string(ch) + code[1:]
		if _, err := account.ParseRecoveryCode(cand); errors.Is(err, account.ErrRecoveryCodeTypo) {
			typo = cand
			break
		}
	}
	if err := c.UnlockWithRecoveryCode(ctx, typo); !errors.Is(err, account.ErrRecoveryCodeTypo) {
		t.Errorf("typo: %v", err)
	}
	if err := c.UnlockWithRecoveryCode(ctx, account.NewRecoveryCode().Reveal()); !errors.Is(err, account.ErrWrongRecoveryCode) {
		t.Errorf("another code: %v", err)
	}
	if err := c.UnlockWithRecoveryCode(ctx, code); err != nil {
		t.Fatal(err)
	}
	if !c.Unlocked() {
		t.Error("not unlocked")
	}
}

// TestDeviceWrapSwap: a server answers a device login with an age wrap of
// an account key of its own, whose keyring it also made. The wrap opens,
// but the keyring is not the account's published one, so it is not used.
func TestDeviceWrapSwap(t *testing.T) {
	ctx := context.Background()
	real := newTestAccountKeys(t)
	fake := newTestAccountKeys(t)
	dev := keys.NewIdentity()
	wrap, err := account.WrapForDevice(fake.ak, dev.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, accountServer(t, real.public))
	resp := &protocol.LoginResponse{Session: real.session, Unlock: &protocol.UnlockBundle{
		AccountID: testAccount, Keyring: fake.sealed, PublicKeyring: real.public,
		Wraps: []protocol.UnlockWrap{{MethodID: "m1", Kind: protocol.UnlockDevice, Wrap: wrap}},
	}}
	err = c.finishLogin(ctx, resp, "alice@example.com", &unlockSecrets{device: &Device{ID: "dev1", Identity: dev}})
	if !errors.Is(err, account.ErrKeyringMismatch) {
		t.Fatalf("%v, want ErrKeyringMismatch", err)
	}
	if c.Unlocked() {
		t.Fatal("unlocked with the server's keyring")
	}

	// A bundle for another account than the session's is refused too.
	resp.Unlock.AccountID = "acct-other"
	c2 := newTestClient(t, accountServer(t, real.public))
	if err := c2.finishLogin(ctx, resp, "alice@example.com", &unlockSecrets{}); !errors.Is(err, ErrInconsistent) {
		t.Errorf("bundle of another account: %v", err)
	}
}
