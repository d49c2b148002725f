package store_test

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// clock is an injectable clock: tests move it, nothing sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openMem(t testing.TB, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open("db", &store.Options{FS: vfs.NewMem(), Now: c.Now, MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func update(t testing.TB, s *store.Store, fn func(tx *store.Tx) error) {
	t.Helper()
	must(t, s.Update(fn))
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// fixture is an account that owns a tenant with one root folder.
type fixture struct {
	account, tenant, folder store.ID
}

func setup(t testing.TB, s *store.Store, email string) fixture {
	t.Helper()
	f := fixture{store.NewID(), store.NewID(), store.NewID()}
	update(t, s, func(tx *store.Tx) error {
		if err := tx.CreateAccount(&store.Account{ID: f.account, Email: email, Keyring: []byte("sealed")}); err != nil {
			return err
		}
		if err := tx.CreateTenant(&store.Tenant{ID: f.tenant, Owner: f.account}); err != nil {
			return err
		}
		if _, err := tx.AppendMembership(f.tenant, 1, []byte("genesis")); err != nil {
			return err
		}
		if err := tx.PutMember(&store.Member{Tenant: f.tenant, Account: f.account, Role: protocol.RoleOwner, Seq: 1}); err != nil {
			return err
		}
		return tx.CreateFolder(&store.Folder{ID: f.folder, Tenant: f.tenant, Creator: f.account, Metadata: []byte("enc-name")})
	})
	return f
}

// upload writes data as a new version of doc (a new document if base is 0)
// in chunks of size chunk, and commits it.
func upload(t testing.TB, s *store.Store, f fixture, doc store.ID, base uint64, data []byte, chunk int) *store.Version {
	t.Helper()
	u := &store.Upload{Tenant: f.tenant, Document: doc, Folder: f.folder, NewDocument: base == 0,
		BaseVersion: base, Account: f.account, Metadata: []byte("enc-meta"), KeyVersion: 1, Size: uint64(len(data))}
	update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
	var off uint64
	for len(data) > 0 {
		n := min(chunk, len(data))
		next, err := s.PutChunk(u.ID, off, data[:n])
		must(t, err)
		off, data = next, data[n:]
	}
	var v *store.Version
	update(t, s, func(tx *store.Tx) (err error) { v, err = tx.CommitUpload(u.ID, nil); return })
	return v
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func TestID(t *testing.T) {
	id := store.NewID()
	p, err := store.ParseID(id.String())
	must(t, err)
	if p != id {
		t.Fatal("ID does not round-trip")
	}
	if len(id.String()) != 22 || !protocol.ValidID(id.String()) {
		t.Fatalf("ID text %q is not an API id", id)
	}
	for _, bad := range []string{"", "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAB", "abc", id.String() + "A", "AAAAAAAAAAAAAAAAAAAA+A", "AAAAAAAAAAAAAAAAAAAA/A", "AAAAAAAAAAAAAAAAAAAAA="} {
		if _, err := store.ParseID(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ParseID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Alice@Example.COM ": "alice@example.com",
		"b\u0065\u0301@x.io":  "b\u00e9@x.io", // NFC
		"a@b":                 "a@b",
		"":                    "",
		"no-at":               "",
		"two@@x":              "",
		"@x":                  "",
		"x@":                  "",
		"a b@c":               "",
		"a\x00@c":             "",
	} {
		got, err := store.NormalizeEmail(in)
		if want == "" {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrInvalid", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestAccounts(t *testing.T) {
	s := openMem(t, newClock())
	a := &store.Account{ID: store.NewID(), Email: "Alice@Example.com", OpaqueRecord: []byte("rec"), Keyring: []byte("kr")}
	update(t, s, func(tx *store.Tx) error { return tx.CreateAccount(a) })
	if a.Email != "alice@example.com" {
		t.Fatalf("e-mail not normalized in place: %q", a.Email)
	}
	got, err := s.AccountByEmail("ALICE@example.com")
	must(t, err)
	if got.ID != a.ID || !bytes.Equal(got.Keyring, []byte("kr")) {
		t.Fatalf("AccountByEmail = %+v", got)
	}
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.CreateAccount(&store.Account{ID: store.NewID(), Email: "alice@EXAMPLE.com"})
	}), store.ErrExists)
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.CreateAccount(&store.Account{ID: a.ID, Email: "other@example.com"})
	}), store.ErrExists)
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.CreateAccount(&store.Account{Email: "z@z"}) }), store.ErrInvalid)
	_, err = s.Account(store.NewID())
	wantErr(t, err, store.ErrNotFound)

	// A failed transaction writes nothing.
	sentinel := errors.New("abort")
	if err := s.Update(func(tx *store.Tx) error {
		if err := tx.CreateAccount(&store.Account{ID: store.NewID(), Email: "bob@example.com"}); err != nil {
			return err
		}
		return sentinel
	}); err != sentinel {
		t.Fatal(err)
	}
	_, err = s.AccountByEmail("bob@example.com")
	wantErr(t, err, store.ErrNotFound)

	// Changing the e-mail moves the index.
	a.Email = "alice@new.example"
	update(t, s, func(tx *store.Tx) error { return tx.PutAccount(a) })
	_, err = s.AccountByEmail("alice@example.com")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AccountByEmail("alice@new.example")
	must(t, err)

	var epoch uint64
	update(t, s, func(tx *store.Tx) (err error) { epoch, err = tx.BumpEpoch(a.ID); return })
	if got, _ := s.Account(a.ID); epoch != 1 || got.Epoch != 1 {
		t.Fatalf("epoch = %d, stored %d", epoch, got.Epoch)
	}

	w := &store.UnlockWrap{Account: a.ID, ID: store.NewID(), Kind: store.WrapPasskey, Ref: []byte("cred"), Wrapped: []byte("age...")}
	d := &store.Device{Account: a.ID, ID: store.NewID(), Recipient: "age1xyz", Label: []byte("enc")}
	update(t, s, func(tx *store.Tx) error {
		if err := tx.PutUnlockWrap(w); err != nil {
			return err
		}
		return tx.PutDevice(d)
	})
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.PutUnlockWrap(&store.UnlockWrap{Account: a.ID, ID: store.NewID(), Kind: 99, Wrapped: []byte("x")})
	}), store.ErrInvalid)
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.PutDevice(&store.Device{Account: store.NewID(), ID: store.NewID(), Recipient: "age1"})
	}), store.ErrNotFound)
	ws, err := s.UnlockWraps(a.ID)
	must(t, err)
	ds, err := s.Devices(a.ID)
	must(t, err)
	if len(ws) != 1 || ws[0].Kind != store.WrapPasskey || len(ds) != 1 || ds[0].Recipient != "age1xyz" {
		t.Fatalf("wraps %v devices %v", ws, ds)
	}
	update(t, s, func(tx *store.Tx) error { return tx.DeleteDevice(a.ID, d.ID) })
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.DeleteDevice(a.ID, d.ID) }), store.ErrNotFound)

	update(t, s, func(tx *store.Tx) error { return tx.DeleteAccount(a.ID) })
	ws, _ = s.UnlockWraps(a.ID)
	if _, err := s.AccountByEmail("alice@new.example"); !errors.Is(err, store.ErrNotFound) || len(ws) != 0 {
		t.Fatalf("account not fully deleted: %v, %d wraps", err, len(ws))
	}
}

func TestTenantsAndMembership(t *testing.T) {
	s := openMem(t, newClock())
	f := setup(t, s, "owner@example.com")
	bob := store.NewID()
	update(t, s, func(tx *store.Tx) error {
		return tx.CreateAccount(&store.Account{ID: bob, Email: "bob@example.com"})
	})
	// Two admins racing: the second append of seq 2 conflicts.
	update(t, s, func(tx *store.Tx) error {
		if _, err := tx.AppendMembership(f.tenant, 2, []byte("add bob")); err != nil {
			return err
		}
		return tx.PutMember(&store.Member{Tenant: f.tenant, Account: bob, Role: protocol.RoleMember, Seq: 2})
	})
	_, err := appendMembership(s, f.tenant, 2, []byte("add eve"))
	wantErr(t, err, store.ErrConflict)
	_, err = appendMembership(s, f.tenant, 4, []byte("gap"))
	wantErr(t, err, store.ErrConflict)
	_, err = appendMembership(s, store.NewID(), 1, []byte("x"))
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.PutMember(&store.Member{Tenant: f.tenant, Account: bob, Role: protocol.RoleAdmin, Seq: 9})
	}), store.ErrConflict)

	next, err := s.MembershipNext(f.tenant)
	must(t, err)
	chain, err := s.Membership(f.tenant, 2, 10)
	must(t, err)
	if next != 3 || len(chain) != 1 || string(chain[0].Statement) != "add bob" {
		t.Fatalf("next %d chain %+v", next, chain)
	}
	ms, err := s.Members(f.tenant)
	must(t, err)
	ts, err := s.TenantsOf(bob)
	must(t, err)
	if len(ms) != 2 || len(ts) != 1 || ts[0] != f.tenant {
		t.Fatalf("members %d tenants %v", len(ms), ts)
	}
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.DeleteAccount(bob) }), store.ErrConflict)
	update(t, s, func(tx *store.Tx) error { return tx.DeleteMember(f.tenant, bob) })
	_, err = s.Member(f.tenant, bob)
	wantErr(t, err, store.ErrNotFound)
	update(t, s, func(tx *store.Tx) error { return tx.DeleteAccount(bob) })

	tn, err := s.Tenant(f.tenant)
	must(t, err)
	tn.RecoveryRecipient, tn.RecoveryThreshold = "age1recovery", 2
	update(t, s, func(tx *store.Tx) error { return tx.PutTenant(tn) })
	tn.Owner = store.NewID()
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.PutTenant(tn) }), store.ErrConflict)
}

func appendMembership(s *store.Store, tenant store.ID, seq uint64, st []byte) (m *store.MembershipStatement, err error) {
	err = s.Update(func(tx *store.Tx) error { m, err = tx.AppendMembership(tenant, seq, st); return err })
	return m, err
}

func TestFoldersAndRotations(t *testing.T) {
	s := openMem(t, newClock())
	f := setup(t, s, "o@example.com")
	sub := &store.Folder{ID: store.NewID(), Tenant: f.tenant, Parent: f.folder, Creator: f.account}
	update(t, s, func(tx *store.Tx) error { return tx.CreateFolder(sub) })
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.CreateFolder(sub) }), store.ErrExists)
	other := setup(t, s, "p@example.com")
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.CreateFolder(&store.Folder{ID: store.NewID(), Tenant: other.tenant, Parent: f.folder})
	}), store.ErrInvalid)
	roots, err := s.Folders(f.tenant, store.ID{})
	must(t, err)
	kids, err := s.Folders(f.tenant, f.folder)
	must(t, err)
	if len(roots) != 1 || roots[0].ID != f.folder || len(kids) != 1 || kids[0].ID != sub.ID {
		t.Fatalf("roots %v kids %v", roots, kids)
	}
	rot := func(v uint64) error {
		return s.Update(func(tx *store.Tx) error {
			return tx.AppendRotation(&store.Rotation{Folder: sub.ID, KeyVersion: v, Statement: []byte("rotated"), By: f.account})
		})
	}
	must(t, rot(2))
	wantErr(t, rot(2), store.ErrConflict)
	wantErr(t, rot(4), store.ErrConflict)
	must(t, rot(3))
	got, _ := s.Folder(sub.ID)
	rs, _ := s.Rotations(sub.ID)
	if got.KeyVersion != 3 || len(rs) != 2 {
		t.Fatalf("key version %d, %d rotations", got.KeyVersion, len(rs))
	}
	update(t, s, func(tx *store.Tx) error { return tx.SetFolderMetadata(sub.ID, []byte("renamed")) })
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.DeleteFolder(f.folder) }), store.ErrConflict)
	update(t, s, func(tx *store.Tx) error { return tx.DeleteFolder(sub.ID) })
	_, err = s.Folder(sub.ID)
	wantErr(t, err, store.ErrNotFound)
	rs, _ = s.Rotations(sub.ID)
	if len(rs) != 0 {
		t.Fatal("rotations left behind")
	}
}

func TestGrantsAndRequests(t *testing.T) {
	s := openMem(t, newClock())
	f := setup(t, s, "o@example.com")
	bob, doc := store.NewID(), store.NewID()
	upload(t, s, f, doc, 0, pattern(100, 1), 64)
	g1 := &store.Grant{ID: store.NewID(), Tenant: f.tenant, Object: f.folder, ObjectKind: store.ObjectFolder,
		Grantee: bob, Granter: f.account, KeyVersion: 1, Wrapped: []byte("age"), Statement: []byte("sig")}
	g2 := &store.Grant{ID: store.NewID(), Tenant: f.tenant, Object: doc, ObjectKind: store.ObjectDocument,
		Grantee: bob, Granter: f.account, Wrapped: []byte("age2")}
	g3 := &store.Grant{ID: store.NewID(), Tenant: f.tenant, Object: doc, ObjectKind: store.ObjectDocument,
		Grantee: f.folder, Granter: f.account, Wrapped: []byte("to-folder")}
	update(t, s, func(tx *store.Tx) error {
		for _, g := range []*store.Grant{g1, g2, g3} {
			if err := tx.PutGrant(g); err != nil {
				return err
			}
		}
		return nil
	})
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.PutGrant(g1) }), store.ErrExists)
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.PutGrant(&store.Grant{ID: store.NewID(), Tenant: f.tenant, Object: doc, ObjectKind: store.ObjectDocument, Grantee: bob, Granter: f.account})
	}), store.ErrInvalid)
	toBob, _ := s.GrantsTo(bob)
	onDoc, _ := s.GrantsOn(doc)
	bobDoc, _ := s.GrantsToFor(bob, doc)
	if len(toBob) != 2 || len(onDoc) != 2 || len(bobDoc) != 1 || bobDoc[0].ID != g2.ID {
		t.Fatalf("to bob %d, on doc %d, bob on doc %d", len(toBob), len(onDoc), len(bobDoc))
	}
	update(t, s, func(tx *store.Tx) error { return tx.RevokeGrant(g1.ID) })
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.RevokeGrant(g1.ID) }), store.ErrNotFound)
	if toBob, _ = s.GrantsTo(bob); len(toBob) != 1 {
		t.Fatalf("revoked grant still listed")
	}

	r := &store.AccessRequest{ID: store.NewID(), Tenant: f.tenant, Object: doc, ObjectKind: store.ObjectDocument, Requester: bob}
	update(t, s, func(tx *store.Tx) error { return tx.CreateAccessRequest(r) })
	update(t, s, func(tx *store.Tx) error {
		_, err := tx.DecideAccessRequest(r.ID, store.RequestApproved, f.account)
		return err
	})
	wantErr(t, s.Update(func(tx *store.Tx) error {
		_, err := tx.DecideAccessRequest(r.ID, store.RequestDenied, f.account)
		return err
	}), store.ErrConflict)
	in, _ := s.AccessRequestsIn(f.tenant)
	on, _ := s.AccessRequestsOn(doc)
	if len(in) != 1 || len(on) != 1 || in[0].State != store.RequestApproved || in[0].DecidedBy != f.account {
		t.Fatalf("requests %+v", in)
	}

	// Deleting the document takes its grants, requests, versions and chunks.
	update(t, s, func(tx *store.Tx) error { return tx.DeleteDocument(doc) })
	onDoc, _ = s.GrantsOn(doc)
	on, _ = s.AccessRequestsOn(doc)
	vs, _ := s.Versions(doc)
	docs, _ := s.DocumentsIn(f.folder)
	if len(onDoc)+len(on)+len(vs)+len(docs) != 0 {
		t.Fatalf("left behind: %d grants %d requests %d versions %d docs", len(onDoc), len(on), len(vs), len(docs))
	}
}

func TestUploadVisibleOnlyAfterCommit(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	f := setup(t, s, "o@example.com")
	doc := store.NewID()
	data := pattern(3<<20+123, 9)
	u := &store.Upload{Tenant: f.tenant, Document: doc, Folder: f.folder, NewDocument: true, Account: f.account,
		Metadata: []byte("m"), Size: uint64(len(data))}
	update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
	off, err := s.PutChunk(u.ID, 0, data[:1<<20])
	must(t, err)

	// A dropped connection: the client asks where to resume.
	got, err := s.Upload(u.ID)
	must(t, err)
	if got.Offset != off || off != 1<<20 {
		t.Fatalf("offset %d / %d", got.Offset, off)
	}
	_, err = s.PutChunk(u.ID, 0, data[:10])
	var oe *store.OffsetError
	if !errors.As(err, &oe) || oe.Expected != 1<<20 || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("replayed chunk: %v", err)
	}
	_, err = s.PutChunk(u.ID, off, make([]byte, len(data)))
	wantErr(t, err, store.ErrInvalid) // past the declared size

	// Not complete: not committable, and invisible.
	wantErr(t, s.Update(func(tx *store.Tx) error { _, err := tx.CommitUpload(u.ID, nil); return err }), store.ErrConflict)
	_, err = s.Document(doc)
	wantErr(t, err, store.ErrNotFound)
	if ds, _ := s.DocumentsIn(f.folder); len(ds) != 0 {
		t.Fatal("uncommitted document listed")
	}

	for off < uint64(len(data)) {
		end := min(off+1<<20, uint64(len(data)))
		off, err = s.PutChunk(u.ID, off, data[off:end])
		must(t, err)
	}
	var v *store.Version
	update(t, s, func(tx *store.Tx) (err error) { v, err = tx.CommitUpload(u.ID, nil); return })
	if v.N != 1 || v.Size != uint64(len(data)) {
		t.Fatalf("version %+v", v)
	}
	_, err = s.Upload(u.ID)
	wantErr(t, err, store.ErrNotFound)
	d, err := s.Document(doc)
	must(t, err)
	if d.Current != 1 || d.Creator != f.account {
		t.Fatalf("document %+v", d)
	}
	checkBlob(t, s, doc, 1, data)

	// A second version based on 1; a stale one based on 0 conflicts.
	data2 := pattern(5000, 3)
	v2 := upload(t, s, f, doc, 1, data2, 999)
	if v2.N != 2 {
		t.Fatalf("second version is %d", v2.N)
	}
	checkBlob(t, s, doc, 2, data2)
	checkBlob(t, s, doc, 1, data)
	wantErr(t, s.Update(func(tx *store.Tx) error {
		return tx.BeginUpload(&store.Upload{Tenant: f.tenant, Document: doc, BaseVersion: 1, Account: f.account, Metadata: []byte("m"), Size: 1})
	}), store.ErrConflict)

	// Two uploads based on version 2: the first commit wins.
	mk := func() *store.Upload {
		u := &store.Upload{Tenant: f.tenant, Document: doc, BaseVersion: 2, Account: f.account, Metadata: []byte("m"), Size: 3}
		update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
		_, err := s.PutChunk(u.ID, 0, []byte("abc"))
		must(t, err)
		return u
	}
	ua, ub := mk(), mk()
	update(t, s, func(tx *store.Tx) error { _, err := tx.CommitUpload(ua.ID, nil); return err })
	wantErr(t, s.Update(func(tx *store.Tx) error { _, err := tx.CommitUpload(ub.ID, nil); return err }), store.ErrConflict)
	update(t, s, func(tx *store.Tx) error { return tx.AbortUpload(ub.ID) })
	_, err = s.Upload(ub.ID)
	wantErr(t, err, store.ErrNotFound)
	update(t, s, func(tx *store.Tx) error { return tx.SetVersionMetadata(doc, 3, []byte("renamed")) })
	if v3, _ := s.Version(doc, 3); string(v3.Metadata) != "renamed" {
		t.Fatal("metadata not replaced")
	}
}

func checkBlob(t *testing.T, s *store.Store, doc store.ID, n uint64, want []byte) {
	t.Helper()
	r, err := s.OpenVersion(doc, n)
	must(t, err)
	defer r.Close()
	if r.Size() != int64(len(want)) {
		t.Fatalf("size %d, want %d", r.Size(), len(want))
	}
	got, err := io.ReadAll(r)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatal("Read returned other bytes")
	}
	var buf bytes.Buffer
	r.Seek(0, io.SeekStart)
	if _, err := r.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("WriteTo: %v", err)
	}
	for _, off := range []int{0, 1, len(want) / 3, len(want) - 7, 1 << 20, 1<<20 - 1} {
		if off < 0 || off >= len(want) {
			continue
		}
		p := make([]byte, min(5000, len(want)-off))
		if n, err := r.ReadAt(p, int64(off)); err != nil && err != io.EOF || n != len(p) || !bytes.Equal(p, want[off:off+n]) {
			t.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
		}
		if _, err := r.Seek(int64(off), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		q := make([]byte, 10)
		if n, _ := io.ReadFull(r, q); !bytes.Equal(q[:n], want[off:off+n]) {
			t.Fatalf("Read after Seek(%d) returned other bytes", off)
		}
	}
	if n, err := r.ReadAt(make([]byte, 10), int64(len(want))-3); n != 3 || err != io.EOF {
		t.Fatalf("ReadAt past the end = %d, %v", n, err)
	}
}

func TestUploadExpiryAndSweep(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	f := setup(t, s, "o@example.com")
	begin := func() *store.Upload {
		u := &store.Upload{Tenant: f.tenant, Document: store.NewID(), Folder: f.folder, NewDocument: true, Account: f.account, Metadata: []byte("m"), Size: 10}
		update(t, s, func(tx *store.Tx) error { return tx.BeginUpload(u) })
		_, err := s.PutChunk(u.ID, 0, []byte("01234"))
		must(t, err)
		return u
	}
	stale, active := begin(), begin()
	c.Add(store.DefaultUploadTTL - time.Minute)
	_, err := s.PutChunk(active.ID, 5, []byte("567"))
	must(t, err) // moves active's expiry forward
	c.Add(2 * time.Minute)
	_, err = s.PutChunk(stale.ID, 5, []byte("56789"))
	wantErr(t, err, store.ErrExpired)
	n, err := s.SweepUploads()
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d uploads, want 1", n)
	}
	_, err = s.Upload(stale.ID)
	wantErr(t, err, store.ErrNotFound)
	if u, err := s.Upload(active.ID); err != nil || u.Offset != 8 {
		t.Fatalf("active upload: %v", err)
	}
	// The swept upload's chunks are gone: a reader over its blob finds none.
	r := s.OpenBlob(stale.ID, 5)
	if _, err := io.ReadAll(r); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("read of a swept blob: %v", err)
	}
	c.Add(store.DefaultUploadTTL)
	wantErr(t, s.Update(func(tx *store.Tx) error { _, err := tx.CommitUpload(active.ID, nil); return err }), store.ErrExpired)
	n, err = s.SweepUploads()
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d, want 1", n)
	}
}

func TestAuditEntriesStore(t *testing.T) {
	s := openMem(t, newClock())
	f := setup(t, s, "o@example.com")
	h, err := s.AuditHead(f.tenant)
	must(t, err)
	if h.Seq != 0 {
		t.Fatalf("empty head %+v", h)
	}
	put := func(seq uint64) error {
		return s.Update(func(tx *store.Tx) error {
			return tx.AppendAuditEntry(&store.AuditEntry{Tenant: f.tenant, Seq: seq, Event: []byte{byte(seq)}, Hash: [32]byte{byte(seq)}})
		})
	}
	must(t, put(1))
	must(t, put(2))
	wantErr(t, put(2), store.ErrConflict)
	wantErr(t, put(4), store.ErrConflict)
	es, err := s.AuditEntries(f.tenant, 2, 10)
	must(t, err)
	h, _ = s.AuditHead(f.tenant)
	if len(es) != 1 || es[0].Seq != 2 || h.Seq != 2 || h.Hash[0] != 2 {
		t.Fatalf("entries %+v head %+v", es, h)
	}
}

func TestEnvelopesAndLockouts(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	f := setup(t, s, "o@example.com")
	e := &store.Envelope{ID: store.NewID(), Tenant: f.tenant, Owner: f.account, State: 1, Data: []byte("esign")}
	sg := &store.Signer{Envelope: e.ID, ID: store.NewID(), State: 1, Data: []byte("wrapped")}
	update(t, s, func(tx *store.Tx) error {
		if err := tx.CreateEnvelope(e); err != nil {
			return err
		}
		return tx.PutSigner(sg)
	})
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.CreateEnvelope(e) }), store.ErrExists)
	e.State = 2
	update(t, s, func(tx *store.Tx) error { return tx.PutEnvelope(e) })
	got, _ := s.Envelope(e.ID)
	sgs, _ := s.Signers(e.ID)
	es, _ := s.EnvelopesIn(f.tenant)
	if got.State != 2 || len(sgs) != 1 || len(es) != 1 {
		t.Fatalf("envelope %+v signers %d", got, len(sgs))
	}
	update(t, s, func(tx *store.Tx) error { return tx.DeleteEnvelope(e.ID) })
	if sgs, _ = s.Signers(e.ID); len(sgs) != 0 {
		t.Fatal("signers left behind")
	}

	n, until, err := s.LoadLockout("link/x")
	must(t, err)
	if n != 0 || !until.IsZero() {
		t.Fatal("fresh lock-out not zero")
	}
	lock := c.Now().Add(time.Hour)
	must(t, s.SaveLockout("link/x", 5, lock))
	n, until, err = s.LoadLockout("link/x")
	must(t, err)
	if n != 5 || !until.Equal(lock) {
		t.Fatalf("lock-out %d %v", n, until)
	}
	must(t, s.DeleteLockout("link/x"))
	if n, _, _ = s.LoadLockout("link/x"); n != 0 {
		t.Fatal("lock-out not deleted")
	}
	wantErr(t, s.SaveLockout("", 1, lock), store.ErrInvalid)
}

func TestClosed(t *testing.T) {
	s, err := store.Open("db", &store.Options{FS: vfs.NewMem(), MemTableSize: 1 << 20})
	must(t, err)
	f := setup(t, s, "o@example.com")
	r := s.OpenBlob(store.NewID(), 10)
	must(t, s.Close())
	wantErr(t, s.Close(), store.ErrClosed)
	_, err = s.Account(f.account)
	wantErr(t, err, store.ErrClosed)
	wantErr(t, s.Update(func(*store.Tx) error { return nil }), store.ErrClosed)
	_, err = s.PutChunk(store.NewID(), 0, []byte("x"))
	wantErr(t, err, store.ErrClosed)
	_, err = r.Read(make([]byte, 1))
	wantErr(t, err, store.ErrClosed)
}

// TestCloseDrainsWriters: Close waits for a transaction in progress instead
// of closing Pebble under it.
func TestCloseDrainsWriters(t *testing.T) {
	s, err := store.Open("db", &store.Options{FS: vfs.NewMem(), MemTableSize: 1 << 20})
	must(t, err)
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Update(func(tx *store.Tx) error {
			close(inside)
			<-release
			return tx.CreateAccount(&store.Account{ID: store.NewID(), Email: "late@example.com"})
		})
	}()
	<-inside
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a transaction was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	must(t, <-done)
	must(t, <-closed)
}

// TestConcurrentUploads: uploads, commits and reads racing each other (run
// with -race) leave every document whole.
func TestConcurrentUploads(t *testing.T) {
	s := openMem(t, newClock())
	f := setup(t, s, "o@example.com")
	var wg sync.WaitGroup
	docs := make([]store.ID, 8)
	for i := range docs {
		docs[i] = store.NewID()
		wg.Add(1)
		go func() {
			defer wg.Done()
			upload(t, s, f, docs[i], 0, pattern(50000+i, byte(i)), 4096)
			upload(t, s, f, docs[i], 1, pattern(7000+i, byte(i+1)), 1000)
		}()
	}
	wg.Wait()
	for i, d := range docs {
		checkBlob(t, s, d, 1, pattern(50000+i, byte(i)))
		checkBlob(t, s, d, 2, pattern(7000+i, byte(i+1)))
	}
}

// TestUpdatePanicReleasesLocks: a transaction function that panics does not
// leave the store locked.
func TestUpdatePanicReleasesLocks(t *testing.T) {
	s := openMem(t, newClock())
	func() {
		defer func() { recover() }()
		s.Update(func(tx *store.Tx) error {
			tx.AbortUpload(store.NewID())
			panic("boom")
		})
	}()
	done := make(chan error)
	go func() { done <- s.Update(func(*store.Tx) error { return nil }) }()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("store still locked after a panicking transaction")
	}
}
