package store_test

import (
	"testing"

	"vellum.dev/vellum/server/store"
)

// TestRenameAndMoveDocument: a rename replaces the current version's
// metadata only; a move changes the folder index in one batch; an upload of
// a new version begun before a move does not commit after it.
func TestRenameAndMoveDocument(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	f := setup(t, s, "mover@example.com")
	doc := store.NewID()
	upload(t, s, f, doc, 0, pattern(1000, 1), 400)
	upload(t, s, f, doc, 1, pattern(1500, 2), 400)

	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.RenameDocument(doc, 1, []byte("new-meta")) }), store.ErrConflict)
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.RenameDocument(store.NewID(), 1, []byte("new-meta")) }), store.ErrNotFound)
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.RenameDocument(doc, 2, nil) }), store.ErrInvalid)
	c.Add(1)
	update(t, s, func(tx *store.Tx) error { return tx.RenameDocument(doc, 2, []byte("new-meta")) })
	v1, err := s.Version(doc, 1)
	must(t, err)
	v2, err := s.Version(doc, 2)
	must(t, err)
	if string(v1.Metadata) != "enc-meta" || string(v2.Metadata) != "new-meta" || v2.Size != 1500 {
		t.Fatalf("after the rename: v1 %q, v2 %q", v1.Metadata, v2.Metadata)
	}
	checkBlob(t, s, doc, 2, pattern(1500, 2))
	d, err := s.Document(doc)
	must(t, err)
	if d.Current != 2 || !d.Updated.Equal(c.Now().UTC()) {
		t.Fatalf("document after the rename: %+v", d)
	}

	// A second folder, and one of another tenant.
	dst := store.NewID()
	update(t, s, func(tx *store.Tx) error {
		return tx.CreateFolder(&store.Folder{ID: dst, Tenant: f.tenant, Creator: f.account, Metadata: []byte("enc-name")})
	})
	other := setup(t, s, "other@example.com")
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.MoveDocument(doc, other.folder) }), store.ErrInvalid)
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.MoveDocument(doc, f.folder) }), store.ErrConflict)
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.MoveDocument(doc, store.NewID()) }), store.ErrNotFound)

	// An upload of version 3, complete but not committed.
	u := &store.Upload{Tenant: f.tenant, Document: doc, Folder: f.folder, BaseVersion: 2, Account: f.account,
		Metadata: []byte("enc-meta"), KeyVersion: 1, Size: 10}
	update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
	_, err = s.PutChunk(u.ID, 0, pattern(10, 3))
	must(t, err)

	update(t, s, func(tx *store.Tx) error { return tx.MoveDocument(doc, dst) })
	in := func(folder store.ID) int {
		ds, err := s.DocumentsIn(folder)
		must(t, err)
		return len(ds)
	}
	if in(f.folder) != 0 || in(dst) != 1 {
		t.Fatalf("after the move: %d in the source, %d in the destination", in(f.folder), in(dst))
	}
	d, err = s.Document(doc)
	must(t, err)
	if d.Folder != dst || d.Current != 2 {
		t.Fatalf("document after the move: %+v", d)
	}
	checkBlob(t, s, doc, 1, pattern(1000, 1))
	wantErr(t, s.Update(func(tx *store.Tx) error { _, err := tx.CommitUpload(u.ID, nil); return err }), store.ErrConflict)
	if d, _ := s.Document(doc); d.Current != 2 {
		t.Fatal("a refused commit made a version")
	}
	// A delete after the move clears the new folder's index.
	update(t, s, func(tx *store.Tx) error { return tx.DeleteDocument(doc) })
	if in(dst) != 0 {
		t.Fatal("the destination still lists a deleted document")
	}
}
