package store_test

import (
	"errors"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

func TestAPITables(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	acct := &store.Account{ID: store.NewID(), Email: "a@example.com", Created: c.Now()}
	tenant := store.NewID()
	update(t, s, func(tx *store.Tx) error {
		if err := tx.CreateAccount(acct); err != nil {
			return err
		}
		return tx.CreateTenant(&store.Tenant{ID: tenant, Owner: acct.ID, Created: c.Now()})
	})

	// Registrations: created once, read back, expired ones swept.
	reg := &store.Registration{ID: store.NewID(), Kind: store.RegistrationSignUp, Email: "b@example.com", Account: store.NewID(),
		CodeMAC: make([]byte, 32), Created: c.Now(), Expires: c.Now().Add(time.Minute)}
	update(t, s, func(tx *store.Tx) error { return tx.CreateRegistration(reg) })
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.CreateRegistration(reg) }), store.ErrExists)
	got, err := s.Registration(reg.ID)
	must(t, err)
	if got.Email != reg.Email || got.Account != reg.Account {
		t.Fatalf("registration: %+v", got)
	}
	vr := &store.Verification{ID: store.NewID(), Account: acct.ID, Method: store.VerifyPassword, CodeMAC: make([]byte, 32),
		Created: c.Now(), Expires: c.Now().Add(2 * time.Minute)}
	update(t, s, func(tx *store.Tx) error { return tx.PutVerification(vr) })
	c.Add(time.Minute)
	n, err := s.SweepAPI()
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d records, want the expired registration", n)
	}
	_, err = s.Registration(reg.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.Verification(vr.ID)
	must(t, err)

	// Invites are listed by tenant.
	in := &store.Invite{ID: store.NewID(), Tenant: tenant, Email: "c@example.com", Role: protocol.RoleMember, State: store.InvitePending,
		CreatedBy: acct.ID, Created: c.Now(), Expires: c.Now().Add(time.Hour), TokenHash: make([]byte, 32)}
	update(t, s, func(tx *store.Tx) error { return tx.PutInvite(in) })
	ins, err := s.InvitesOf(tenant)
	must(t, err)
	if len(ins) != 1 || ins[0].Email != in.Email {
		t.Fatalf("invites: %+v", ins)
	}
	in.Tenant = store.NewID()
	if err := s.Update(func(tx *store.Tx) error { return tx.PutInvite(in) }); err == nil {
		t.Fatal("an invite moved to another (missing) tenant")
	}

	// Folders move, but never under themselves.
	a, b := store.NewID(), store.NewID()
	update(t, s, func(tx *store.Tx) error {
		if err := tx.CreateFolder(&store.Folder{ID: a, Tenant: tenant, Created: c.Now(), Creator: acct.ID}); err != nil {
			return err
		}
		return tx.CreateFolder(&store.Folder{ID: b, Tenant: tenant, Parent: a, Created: c.Now(), Creator: acct.ID})
	})
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.MoveFolder(a, b) }), store.ErrConflict)
	update(t, s, func(tx *store.Tx) error { return tx.MoveFolder(b, store.ID{}) })
	root, err := s.Folders(tenant, store.ID{})
	must(t, err)
	if len(root) != 2 {
		t.Fatalf("%d folders at the root after the move", len(root))
	}
	update(t, s, func(tx *store.Tx) error {
		return tx.PutFolderKey(&store.FolderKey{Folder: a, KeyVersion: 1, Recipient: "age1x", Created: c.Now()})
	})
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.PutFolderKey(&store.FolderKey{Folder: a, KeyVersion: 1, Recipient: "age1y", Created: c.Now()})
	}), store.ErrExists)

	// The key wrap of an upload that no longer exists is swept.
	up := &store.Upload{Tenant: tenant, Document: store.NewID(), Folder: a, NewDocument: true, Account: acct.ID, Metadata: []byte("m"), KeyVersion: 1, Size: 3}
	update(t, s, func(tx *store.Tx) error {
		if err := tx.BeginUpload(up); err != nil {
			return err
		}
		return tx.PutBlobKey(&store.BlobKey{Blob: up.ID, Document: up.Document, KeyWrap: []byte("w"), FolderKeyVersion: 1})
	})
	n, err = s.SweepAPI()
	must(t, err)
	if _, err := s.BlobKey(up.ID); err != nil || n != 0 {
		t.Fatalf("the key wrap of a live upload was swept (%d): %v", n, err)
	}
	update(t, s, func(tx *store.Tx) error { return tx.AbortUpload(up.ID) })
	_, err = s.SweepAPI()
	must(t, err)
	if _, err := s.BlobKey(up.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("orphaned key wrap: %v", err)
	}

	// Passkeys are found by credential id; a credential belongs to one.
	pk := &store.Passkey{Account: acct.ID, ID: store.NewID(), CredentialID: []byte("cred-1"), Label: "laptop", Credential: []byte("{}"), Created: c.Now()}
	update(t, s, func(tx *store.Tx) error { return tx.PutPasskey(pk) })
	byCred, err := s.PasskeyByCredential([]byte("cred-1"))
	must(t, err)
	if byCred.ID != pk.ID || byCred.Account != acct.ID {
		t.Fatalf("passkey by credential: %+v", byCred)
	}
	dup := *pk
	dup.ID = store.NewID()
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.PutPasskey(&dup) }), store.ErrExists)
	update(t, s, func(tx *store.Tx) error { return tx.DeletePasskey(acct.ID, pk.ID) })
	_, err = s.PasskeyByCredential([]byte("cred-1"))
	wantErr(t, err, store.ErrNotFound)
}
