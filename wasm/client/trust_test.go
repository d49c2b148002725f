package client

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// These tests play a server that lies, and check that the client believes
// only what signatures and its pins say.

// fakeTenant serves one tenant's membership chain (paged by "after") and
// one folder with its rotations and grants.
type fakeTenant struct {
	t      *testing.T
	mu     sync.Mutex
	chain  [][]byte
	head   int64 // HeadSeq to report; -1 means len(chain)-1
	afters []string
	folder protocol.Folder
	rots   []protocol.FolderRotation
	grants []protocol.Grant
}

func (f *fakeTenant) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := "/api/v1/tenants/" + testTenant
	switch r.URL.Path {
	case base + "/membership":
		after := r.URL.Query().Get("after")
		f.afters = append(f.afters, after)
		from := 0
		if after != "" {
			n, _ := strconv.Atoi(after)
			from = n + 1
		}
		head := f.head
		if head < 0 {
			head = int64(len(f.chain) - 1)
		}
		page := protocol.MembershipChain{Statements: [][]byte{}, HeadSeq: uint64(head)}
		if from < len(f.chain) {
			page.Statements = f.chain[from:]
		}
		return jsonResponse(200, page), nil
	case base + "/folders/" + f.folder.FolderID:
		return jsonResponse(200, f.folder), nil
	case base + "/folders/" + f.folder.FolderID + "/rotations":
		return jsonResponse(200, protocol.RotationList{Rotations: append([]protocol.FolderRotation{}, f.rots...)}), nil
	case base + "/grants":
		return jsonResponse(200, protocol.GrantList{Grants: append([]protocol.Grant{}, f.grants...)}), nil
	}
	f.t.Errorf("unexpected %s %s", r.Method, r.URL)
	return jsonResponse(404, protocol.Error{Code: protocol.CodeNotFound, Message: "no"}), nil
}

var t0 = time.Unix(1_790_000_000, 0)

// aliceAndBob returns a chain of testTenant: alice (kr) owner, bob member.
func aliceAndBob(t *testing.T, kr *account.Keyring, bob *account.Keyring) [][]byte {
	t.Helper()
	pub := kr.Public()
	g, err := membership.NewGenesis(testTenant, membership.Member{
		AccountID: testAccount, Email: "alice@example.com", Role: protocol.RoleOwner, VerifyKey: pub.VerifyKey, Recipient: pub.Recipient,
	}, kr.SigningKey(), t0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := membership.VerifyFirstUse([][]byte{g}, testTenant)
	if err != nil {
		t.Fatal(err)
	}
	bp := bob.Public()
	add, err := st.Append(testAccount, kr.SigningKey(), membership.AddMember{Member: membership.Member{
		AccountID: "acct-bob", Email: "bob@example.com", Role: protocol.RoleMember, VerifyKey: bp.VerifyKey, Recipient: bp.Recipient,
	}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{g, add}
}

func TestMembershipPinning(t *testing.T) {
	ctx := context.Background()
	pins := NewMemoryPinStore()
	f := &fakeTenant{t: t, head: -1}
	c := newTestClient(t, f, WithPinStore(pins))
	kr := loginAs(c, testAccount, "alice@example.com", "tok", time.Now().Add(time.Hour))
	bob := account.NewKeyring()
	f.chain = aliceAndBob(t, kr, bob)

	m, err := c.VerifyMembership(ctx, testTenant)
	if err != nil {
		t.Fatal(err)
	}
	if !m.FirstUse || m.Seq != 1 || len(m.Members) != 2 || m.OwnerFingerprint != kr.Public().VerifyKey.Fingerprint() {
		t.Fatalf("%+v", m)
	}
	// The next check asks only for what follows the head.
	if m, err = c.VerifyMembership(ctx, testTenant); err != nil || m.FirstUse {
		t.Fatalf("%+v %v", m, err)
	}
	if got := f.afters; len(got) != 2 || got[0] != "" || got[1] != "1" {
		t.Errorf("after parameters %q", got)
	}

	// A server that goes back in the chain is caught.
	f.head = 0
	f.chain = f.chain[:1]
	if _, err := c.VerifyMembership(ctx, testTenant); !errors.Is(err, ErrInconsistent) {
		t.Errorf("chain went back: %v", err)
	}

	// Another browser sharing the pins: the server now shows a genesis of
	// its own making for the tenant.
	f.head = -1
	c2 := newTestClient(t, f, WithPinStore(pins))
	loginAs(c2, "acct-bob", "bob@example.com", "tok", time.Now().Add(time.Hour))
	impostor := account.NewKeyring()
	f.chain = aliceAndBob(t, impostor, bob)
	if _, err := c2.VerifyMembership(ctx, testTenant); !errors.Is(err, membership.ErrPinMismatch) {
		t.Errorf("replaced genesis: %v", err)
	}

	// Without a pin, a server-made chain that gives this account other
	// keys than its own is refused: others would wrap to the server's key.
	c3 := newTestClient(t, f)
	loginAs(c3, testAccount, "alice@example.com", "tok", time.Now().Add(time.Hour))
	if _, err := c3.VerifyMembership(ctx, testTenant); !errors.Is(err, membership.ErrKeyMismatch) {
		t.Errorf("chain with another key for this account: %v", err)
	}
}

func TestShareUsesTheChainsRecipient(t *testing.T) {
	ctx := context.Background()
	f := &fakeTenant{t: t, head: -1}
	c := newTestClient(t, f)
	kr := loginAs(c, testAccount, "alice@example.com", "tok", time.Now().Add(time.Hour))
	bob := account.NewKeyring()
	f.chain = aliceAndBob(t, kr, bob)
	fk := document.NewKey()
	f.folder = protocol.Folder{FolderID: "folder1", Name: []byte{1}, KeyVersion: 1, Recipient: fk.Recipient().String(), CreatedBy: testAccount}
	own, err := grant.Make(kr.SigningKey(), grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: 1, Grantee: testAccount, Granter: testAccount, Time: t0}, fk, kr.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	f.grants = []protocol.Grant{{GrantID: "g1", GrantUpload: grantUpload(own), GranterID: testAccount}}

	gs, err := c.grantsFor(ctx, testTenant, FolderObject("folder1"), "acct-bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 1 {
		t.Fatalf("%d grants", len(gs))
	}
	g, err := grant.Parse(gs[0].Grant)
	if err != nil {
		t.Fatal(err)
	}
	if !g.GranteeRecipient.Equal(bob.Public().Recipient) || g.Grantee != "acct-bob" {
		t.Errorf("wrapped to %v", g.GranteeRecipient)
	}
	if got, err := grant.Open(g, bob.Identity()); err != nil || !got.Equal(fk) {
		t.Errorf("bob cannot open the grant: %v", err)
	}
	// Not a member: nothing to wrap to.
	if _, err := c.grantsFor(ctx, testTenant, FolderObject("folder1"), "acct-mallory"); !errors.Is(err, membership.ErrUnknownMember) {
		t.Errorf("share with a non-member: %v", err)
	}
}

func TestFolderKeysTrustOnlySignatures(t *testing.T) {
	ctx := context.Background()
	f := &fakeTenant{t: t, head: -1}
	c := newTestClient(t, f)
	kr := loginAs(c, testAccount, "alice@example.com", "tok", time.Now().Add(time.Hour))
	bob := account.NewKeyring()
	f.chain = aliceAndBob(t, kr, bob)
	fk := document.NewKey()
	f.folder = protocol.Folder{FolderID: "folder1", Name: []byte{1}, KeyVersion: 1, Recipient: fk.Recipient().String(), CreatedBy: testAccount}

	// A grant naming alice as granter but signed by the server's key, and
	// one signed by a non-member: both open, neither is believed.
	mallory := account.NewKeyring()
	forged, err := grant.Make(mallory.SigningKey(), grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: 1, Grantee: testAccount, Granter: testAccount, Time: t0}, fk, kr.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	outsider, err := grant.Make(mallory.SigningKey(), grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: 1, Grantee: testAccount, Granter: "acct-mallory", Time: t0}, fk, kr.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	f.grants = []protocol.Grant{{GrantID: "g1", GrantUpload: grantUpload(forged)}, {GrantID: "g2", GrantUpload: grantUpload(outsider)}}
	got, err := c.folderKeysFor(ctx, testTenant, &f.folder, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.keys) != 0 {
		t.Error("a grant not signed under the chain's key was believed")
	}

	// Bob's real grant of another key than the folder's is not believed
	// either: it does not match the folder's key chain.
	other := document.NewKey()
	wrongKey, err := grant.Make(bob.SigningKey(), grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: 1, Grantee: testAccount, Granter: "acct-bob", Time: t0}, other, kr.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	good, err := grant.Make(bob.SigningKey(), grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: 1, Grantee: testAccount, Granter: "acct-bob", Time: t0}, fk, kr.Public().Recipient)
	if err != nil {
		t.Fatal(err)
	}
	f.grants = []protocol.Grant{{GrantID: "g3", GrantUpload: grantUpload(wrongKey)}, {GrantID: "g4", GrantUpload: grantUpload(good)}}
	got, err = c.folderKeysFor(ctx, testTenant, &f.folder, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k := got.keys[1]; len(got.keys) != 1 || k == nil || !k.Equal(fk) {
		t.Error("the good grant was not the one believed")
	}

	// A folder whose key version its rotations do not give.
	f.folder.KeyVersion = 2
	if _, err := c.folderKeysFor(ctx, testTenant, &f.folder, nil); !errors.Is(err, ErrInconsistent) {
		t.Errorf("key version without a rotation: %v", err)
	}

	// A rotation signed by a member who is not an admin is refused.
	f.folder.KeyVersion = 1
	rot, nk, err := grant.Rotate(bob.SigningKey(), grant.RotationParams{FolderID: "folder1", Previous: 1, Removed: "acct-x", Admin: "acct-bob", Time: t0}, fk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	f.folder.KeyVersion, f.folder.Recipient = 2, nk.Recipient().String()
	f.rots = []protocol.FolderRotation{{FolderID: "folder1", KeyVersion: 2, Rotation: rot.Bytes(), RotatedBy: "acct-bob"}}
	if _, err := c.folderKeysFor(ctx, testTenant, &f.folder, nil); !errors.Is(err, grant.ErrNotAdmin) {
		t.Errorf("rotation by a member: %v", err)
	}
}
