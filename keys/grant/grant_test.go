package grant_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/protocol"
)

var now = time.Unix(vectorTime, 0)

func folderParams(v uint64) grant.Params {
	return grant.Params{Kind: grant.KindFolder, ObjectID: "folder1", KeyVersion: v, Grantee: "bob", Granter: "alice", Time: now}
}

func TestMakeOpen(t *testing.T) {
	alice, bob, folderKey := keys.NewSigningKey(), keys.NewIdentity(), keys.NewIdentity()
	g, err := grant.Make(alice, folderParams(1), folderKey, bob.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Bytes()) > protocol.MaxGrant/4 {
		t.Errorf("grant of %d bytes", len(g.Bytes()))
	}
	p, err := grant.Parse(g.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := grant.Verify(p, alice.Public()); err != nil {
		t.Fatal(err)
	}
	got, err := grant.Open(p, bob)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(folderKey) {
		t.Fatal("Open returned another key")
	}
	if p.GranterKey != alice.Public() || !p.GranteeRecipient.Equal(bob.Recipient()) || !p.KeyRecipient.Equal(folderKey.Recipient()) {
		t.Errorf("parsed fields differ: %+v", p)
	}
	// Two grants of the same key differ: the wrap is randomized inside.
	g2, _ := grant.Make(alice, folderParams(1), folderKey, bob.Recipient())
	if bytes.Equal(g.Bytes(), g2.Bytes()) {
		t.Error("two grants are byte-identical")
	}
}

// TestOpenErrors exercises each failure on freshly made grants, next to the
// vectors that pin them byte for byte.
func TestOpenErrors(t *testing.T) {
	alice, mallory := keys.NewSigningKey(), keys.NewSigningKey()
	bob, eve, key := keys.NewIdentity(), keys.NewIdentity(), keys.NewIdentity()
	g, _ := grant.Make(alice, folderParams(1), key, bob.Recipient())

	if _, err := grant.Open(g, eve); !errors.Is(err, grant.ErrWrongGrantee) {
		t.Errorf("wrong grantee key: %v", err)
	}
	if err := grant.Verify(g, mallory.Public()); !errors.Is(err, grant.ErrWrongGranter) {
		t.Errorf("swapped granter: %v", err)
	}
	// Every single-byte change of the signed grant is refused by Parse,
	// Verify or Open: nothing in it is outside the signature.
	b := g.Bytes()
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x04
		p, err := grant.Parse(c)
		if err == nil {
			if err = grant.Verify(p, alice.Public()); err == nil {
				_, err = grant.Open(p, bob)
			}
		}
		if err == nil {
			t.Fatalf("flipping bit 2 of byte %d went unnoticed", i)
		}
	}
}

func TestMakeRefuses(t *testing.T) {
	alice, bob, key := keys.NewSigningKey(), keys.NewIdentity(), keys.NewIdentity()
	for _, p := range []grant.Params{
		{Kind: 0, ObjectID: "f", KeyVersion: 1, Grantee: "b", Granter: "a", Time: now},
		{Kind: 3, ObjectID: "f", KeyVersion: 1, Grantee: "b", Granter: "a", Time: now},
		{Kind: grant.KindFolder, ObjectID: "", KeyVersion: 1, Grantee: "b", Granter: "a", Time: now},
		{Kind: grant.KindFolder, ObjectID: "f", KeyVersion: 0, Grantee: "b", Granter: "a", Time: now},
		{Kind: grant.KindDocument, ObjectID: "f", KeyVersion: 2, Grantee: "b", Granter: "a", Time: now},
		{Kind: grant.KindFolder, ObjectID: "f", KeyVersion: 1, Grantee: "b b", Granter: "a", Time: now},
		{Kind: grant.KindFolder, ObjectID: "f", KeyVersion: 1, Grantee: "b", Granter: "", Time: now},
		{Kind: grant.KindFolder, ObjectID: "f", KeyVersion: 1, Grantee: "b", Granter: "a"},
	} {
		if _, err := grant.Make(alice, p, key, bob.Recipient()); err == nil {
			t.Errorf("Make(%+v) succeeded", p)
		}
	}
	if _, err := grant.Make(alice, folderParams(1), key, keys.Recipient{}); err == nil {
		t.Error("Make to the zero Recipient succeeded")
	}
}

func TestParseLimits(t *testing.T) {
	if _, err := grant.Parse(make([]byte, protocol.MaxGrant+1)); !errors.Is(err, grant.ErrTooLarge) {
		t.Errorf("oversized grant: %v", err)
	}
	if _, err := grant.ParseRotation(make([]byte, protocol.MaxFolderRotation+1)); !errors.Is(err, grant.ErrTooLarge) {
		t.Errorf("oversized rotation: %v", err)
	}
	for _, b := range [][]byte{nil, {0xa0}, {0xa2, 0x01, 0x40, 0x02, 0x40}} {
		if _, err := grant.Parse(b); !errors.Is(err, grant.ErrMalformed) {
			t.Errorf("Parse(%x): %v", b, err)
		}
	}
}

type admins map[string]keys.VerifyKey

func (a admins) CheckAdmin(id string, k keys.VerifyKey) error {
	if want, ok := a[id]; ok && want == k {
		return nil
	}
	return fmt.Errorf("%s is not an admin with that key", id)
}

// TestRotation walks the life of a folder: version 1 granted to three
// members, bob removed (version 2), documents re-wrapped lazily, the chain
// checked by a member, and the removed member locked out of version 2.
func TestRotation(t *testing.T) {
	alice := keys.NewSigningKey()
	adm := admins{"alice": alice.Public()}
	carol, bob := keys.NewIdentity(), keys.NewIdentity()
	v1 := keys.NewIdentity()
	doc := keys.NewIdentity()
	wrappedV1, err := keys.WrapIdentity(doc, v1.Recipient())
	if err != nil {
		t.Fatal(err)
	}

	rot, v2, err := grant.Rotate(alice, grant.RotationParams{FolderID: "folder1", Previous: 1, Removed: "bob", Admin: "alice", Time: now}, v1.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if rot.Version != 2 || rot.PreviousVersion != 1 || !rot.Recipient.Equal(v2.Recipient()) || rot.Removed != "bob" {
		t.Fatalf("rotation fields: %+v", rot)
	}
	if err := grant.VerifyRotation(rot, alice.Public()); err != nil {
		t.Fatal(err)
	}
	if err := grant.VerifyRotation(rot, keys.NewSigningKey().Public()); !errors.Is(err, grant.ErrWrongGranter) {
		t.Errorf("VerifyRotation with another key: %v", err)
	}
	p := folderParams(2)
	p.Grantee = "carol"
	g, err := grant.Make(alice, p, v2, carol.Recipient())
	if err != nil {
		t.Fatal(err)
	}

	// Carol's client checks the chain and the grant against it, then opens.
	parsed, err := grant.ParseRotation(rot.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	chain, err := grant.CheckChain("folder1", v1.Recipient(), []*grant.FolderRotation{parsed}, adm)
	if err != nil {
		t.Fatal(err)
	}
	if n, r := chain.Latest(); n != 2 || !r.Equal(v2.Recipient()) {
		t.Fatalf("Latest = %d", n)
	}
	if err := chain.CheckGrant(g); err != nil {
		t.Fatal(err)
	}
	got, err := grant.Open(g, carol)
	if err != nil || !got.Equal(v2) {
		t.Fatalf("Open: %v", err)
	}
	// A grant naming version 2 but carrying version 1's key is caught.
	stale, _ := grant.Make(alice, p, v1, carol.Recipient())
	if err := chain.CheckGrant(stale); !errors.Is(err, grant.ErrKeyMismatch) {
		t.Errorf("grant of the wrong key for its version: %v", err)
	}
	p.KeyVersion = 3
	future, _ := grant.Make(alice, p, v2, carol.Recipient())
	if err := chain.CheckGrant(future); !errors.Is(err, grant.ErrVersionGap) {
		t.Errorf("grant of a version the chain lacks: %v", err)
	}

	// Lazy re-wrap of the document key to version 2.
	wrappedV2, err := grant.Rewrap(wrappedV1, v1, rot)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := keys.UnwrapIdentity(wrappedV2, v2.Age()); err != nil || !d.Equal(doc) {
		t.Fatalf("re-wrapped key does not open with version 2: %v", err)
	}
	if _, err := keys.UnwrapIdentity(wrappedV2, v1.Age()); !errors.Is(err, keys.ErrWrongKey) {
		t.Errorf("re-wrapped key opens with version 1: %v", err)
	}
	if _, err := grant.Rewrap(wrappedV1, v2, rot); !errors.Is(err, grant.ErrKeyMismatch) {
		t.Errorf("Rewrap with the wrong version's identity: %v", err)
	}
	elsewhere, _ := keys.WrapIdentity(doc, keys.NewIdentity().Recipient())
	if _, err := grant.Rewrap(elsewhere, v1, rot); !errors.Is(err, grant.ErrWrongKey) {
		t.Errorf("Rewrap of a key wrapped to another folder: %v", err)
	}
	// Bob, removed, holds nothing that opens version 2.
	if _, err := grant.Open(g, bob); !errors.Is(err, grant.ErrWrongGrantee) {
		t.Errorf("removed member opening the new grant: %v", err)
	}

	// The chain refuses a rotation signed by someone who is not an admin.
	mallory := keys.NewSigningKey()
	bad, _, _ := grant.Rotate(mallory, grant.RotationParams{FolderID: "folder1", Previous: 1, Removed: "bob", Admin: "alice", Time: now}, v1.Recipient())
	if _, err := grant.CheckChain("folder1", v1.Recipient(), []*grant.FolderRotation{bad}, adm); !errors.Is(err, grant.ErrNotAdmin) {
		t.Errorf("rotation by a non-admin: %v", err)
	}
	if _, err := chain.Recipient(0); !errors.Is(err, grant.ErrVersionGap) {
		t.Errorf("Recipient(0): %v", err)
	}
}

func TestRotateRefuses(t *testing.T) {
	admin := keys.NewSigningKey()
	prev := keys.NewIdentity().Recipient()
	for _, p := range []grant.RotationParams{
		{FolderID: "f", Previous: 0, Removed: "b", Admin: "a", Time: now},
		{FolderID: "", Previous: 1, Removed: "b", Admin: "a", Time: now},
		{FolderID: "f", Previous: 1, Removed: "", Admin: "a", Time: now},
		{FolderID: "f", Previous: 1, Removed: "b", Admin: "a"},
	} {
		if _, _, err := grant.Rotate(admin, p, prev); err == nil {
			t.Errorf("Rotate(%+v) succeeded", p)
		}
	}
	if _, _, err := grant.Rotate(admin, grant.RotationParams{FolderID: "f", Previous: 1, Removed: "b", Admin: "a", Time: now}, keys.Recipient{}); err == nil {
		t.Error("Rotate from the zero Recipient succeeded")
	}
}
