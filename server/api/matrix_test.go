package api_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/store"
)

// fixture is a tenant with an owner, an admin and a member, another
// tenant's owner, and a folder, a document, an upload and a grant of the
// owner's.
type fixture struct {
	s                         *testServer
	owner, admin, member, out *user
	tid, otherTid             string
	fid, did, uid, gid        string
}

func newFixture(t *testing.T) *fixture {
	s := startServer(t, nil)
	f := &fixture{s: s}
	f.owner = s.register("owner@example.com")
	f.admin = s.register("admin@example.com")
	f.member = s.register("member@example.com")
	f.out = s.register("outsider@example.com")
	f.tid = f.owner.newTenant()
	f.otherTid = f.out.newTenant()
	f.owner.invite(f.tid, f.admin, protocol.RoleAdmin)
	f.owner.invite(f.tid, f.member, protocol.RoleMember)
	fid, fkey := f.owner.newFolder(f.tid, "Board")
	f.fid = fid
	f.did, _, _ = f.owner.upload(f.tid, f.fid, fkey, 1, []byte("minutes of the board"), 1<<20)
	var up protocol.Upload
	s.must("POST", "/tenants/"+f.tid+"/uploads", f.owner.access, &protocol.CreateUploadRequest{
		DocumentID: store.NewID().String(), FolderID: f.fid, Size: 1000, Metadata: []byte("m"), KeyWrap: []byte("w"), FolderKeyVersion: 1,
	}, &up)
	f.uid = up.UploadID
	var gl protocol.GrantList
	s.must("GET", "/tenants/"+f.tid+"/grants?objectId="+f.fid, f.owner.access, nil, &gl)
	f.gid = gl.Grants[0].GrantID
	return f
}

// path fills a route's parameters with the fixture's objects; ids the
// fixture has none of are fresh random ones.
func (f *fixture) path(r *protocol.Route, tenant string) string {
	fill := map[string]string{
		"tenantId": tenant, "folderId": f.fid, "documentId": f.did, "uploadId": f.uid, "grantId": f.gid,
		"accountId": f.member.id, "index": "0",
	}
	segs := strings.Split(strings.TrimPrefix(r.Path, protocol.APIPrefix), "/")
	for i, sg := range segs {
		if name, ok := strings.CutPrefix(sg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			v, ok := fill[name]
			if !ok {
				v = store.NewID().String()
			}
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

// send makes a well-formed request to r (an empty JSON object, or a byte of
// binary) as token.
func (f *fixture) send(r *protocol.Route, path, token string) *response {
	switch r.Body {
	case protocol.BodyJSON:
		return f.s.raw(r.Method, protocol.APIPrefix+path, token, "application/json", []byte("{}"))
	case protocol.BodyBinary:
		return f.s.raw(r.Method, protocol.APIPrefix+path, token, "application/octet-stream", []byte("x"))
	}
	return f.s.raw(r.Method, protocol.APIPrefix+path, token, "", nil)
}

var authErrors = []*protocol.Error{api.ErrNoSession, api.ErrNotMember, api.ErrNotAdmin, api.ErrNoSignerID}

func isAuthError(e *protocol.Error) bool {
	for _, a := range authErrors {
		if e != nil && e.Code == a.Code && e.Message == a.Message {
			return true
		}
	}
	return false
}

// TestAuthorizationMatrix is generated from protocol.Routes: every route ×
// owner, admin, member, a member of another tenant, and no session. The
// expected outcome follows from the route's Auth level; a denied call MUST
// be refused by the authorization layer with the right error, and an
// allowed one MUST get past it. Zero unexpected allows.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	type role struct {
		name  string
		token string
		// level of access: 0 none, 1 session, 2 member, 3 admin
		level int
	}
	roles := []role{
		{"owner", f.owner.access, 3}, {"admin", f.admin.access, 3}, {"member", f.member.access, 2},
		{"other-tenant", f.out.access, 1}, {"no-session", "", 0},
	}
	unexpectedAllows, checked := 0, 0
	// Denied calls first, then allowed ones, whose handlers may change the
	// fixture (a delete that the owner may make).
	for _, pass := range []string{"denied", "allowed"} {
		for i := range protocol.Routes {
			r := &protocol.Routes[i]
			for _, ro := range roles {
				var want *protocol.Error
				switch r.Auth {
				case protocol.AuthNone:
				case protocol.AuthSignerLink:
					want = api.ErrNoSignerID
				case protocol.AuthSession:
					if ro.level < 1 {
						want = api.ErrNoSession
					}
				case protocol.AuthTenantMember, protocol.AuthTenantAdmin:
					switch {
					case ro.level < 1:
						want = api.ErrNoSession
					case ro.level < 2:
						want = api.ErrNotMember
					case r.Auth == protocol.AuthTenantAdmin && ro.level < 3:
						want = api.ErrNotAdmin
					}
				default:
					t.Fatalf("%s: unknown auth level %v", r.Name, r.Auth)
				}
				if (want != nil) != (pass == "denied") {
					continue
				}
				checked++
				resp := f.send(r, f.path(r, f.tid), ro.token)
				name := fmt.Sprintf("%s %s as %s", r.Method, r.Path, ro.name)
				if want != nil {
					if resp.status < 400 {
						unexpectedAllows++
						t.Errorf("%s: allowed (%d), want %s", name, resp.status, want.Code)
						continue
					}
					if resp.err.Code != want.Code || resp.err.Message != want.Message || resp.status != want.Code.HTTPStatus() {
						t.Errorf("%s: %d %v, want %d %v", name, resp.status, resp.err, want.Code.HTTPStatus(), want)
					}
					continue
				}
				if isAuthError(resp.err) {
					t.Errorf("%s: refused by the authorization layer: %v", name, resp.err)
				}
			}
		}
	}
	if unexpectedAllows != 0 {
		t.Errorf("%d unexpected allows", unexpectedAllows)
	}
	if want := len(protocol.Routes) * len(roles); checked != want {
		t.Errorf("checked %d calls, want %d", checked, want)
	}
	// The other tenant's owner, addressing their own tenant's id with our
	// objects, finds nothing of ours.
	for i := range protocol.Routes {
		r := &protocol.Routes[i]
		if !strings.Contains(r.Path, "{tenantId}") || r.Method != "GET" || !strings.ContainsAny(r.Path[len("/api/v1/tenants/{tenantId}"):], "{") {
			continue
		}
		resp := f.send(r, f.path(r, f.otherTid), f.out.access)
		if resp.status < 400 {
			t.Errorf("%s across tenants: allowed (%d)", r.Name, resp.status)
		}
	}
}

// TestObjectRights: on top of the route's level, every right on a folder,
// document, upload or grant is checked. A member who holds no key, and an
// admin (who opens nothing by the role alone), are refused the owner's
// objects.
func TestObjectRights(t *testing.T) {
	f := newFixture(t)
	s := f.s
	sum := sha256.Sum256(nil)
	bodies := map[string]any{
		"folders.rename":        &protocol.RenameFolderRequest{Name: []byte("name")},
		"folders.move":          &protocol.MoveFolderRequest{},
		"folders.rewraps.store": &protocol.RewrapRequest{Rewraps: []protocol.Rewrap{{DocumentID: f.did, Version: 1, FolderKeyVersion: 2, KeyWrap: []byte("w")}}},
		"uploads.commit":        &protocol.CommitUploadRequest{SHA256: sum[:], Statement: []byte("signed statement")},
		"documents.rename":      &protocol.RenameDocumentRequest{Version: 1, Metadata: []byte("m")},
		"documents.move":        &protocol.MoveDocumentRequest{FolderID: f.fid, FolderKeyVersion: 1, KeyWraps: []protocol.VersionKeyWrap{{Version: 1, KeyWrap: []byte("w")}}},
		"folders.rotate":        &protocol.RotateFolderRequest{KeyVersion: 2, Recipient: f.owner.pub().Recipient.String(), Rotation: []byte("r"), Grants: []protocol.GrantUpload{{Grant: []byte("g"), GranteeID: f.member.id, ObjectKind: protocol.ObjectFolder, ObjectID: f.fid, KeyVersion: 2}}},
	}
	// An admin may list, delete and rotate; opening or changing contents
	// needs a key.
	adminMay := map[string]bool{
		"folders.get": true, "folders.documents": true, "folders.rotations": true, "folders.delete": true,
		"documents.delete": true, "grants.list": true, "grants.revoke": true, "folders.rotate": true,
	}
	for i := range protocol.Routes {
		r := &protocol.Routes[i]
		if !strings.Contains(r.Path, "{folderId}") && !strings.Contains(r.Path, "{documentId}") &&
			!strings.Contains(r.Path, "{uploadId}") && !strings.Contains(r.Path, "{grantId}") {
			continue
		}
		for _, who := range []*user{f.member, f.admin} {
			if who == f.admin && adminMay[r.Name] {
				continue
			}
			path := f.path(r, f.tid)
			if r.Name == "grants.list" {
				path += "?objectId=" + f.fid
			}
			var resp *response
			if b, ok := bodies[r.Name]; ok {
				resp = s.call(r.Method, path, who.access, b, nil)
			} else {
				resp = f.send(r, path, who.access)
			}
			if resp.status < 400 {
				t.Errorf("%s as %s: allowed (%d)", r.Name, who.email, resp.status)
				continue
			}
			if c := resp.err.Code; c != protocol.CodeForbidden && c != protocol.CodeNotFound && c != protocol.CodeBadRequest {
				t.Errorf("%s as %s: %v", r.Name, who.email, resp.err)
			}
		}
	}
	// The owner's objects are intact and still the owner's.
	if got := f.owner.openDocument(f.tid, f.did); string(got) != "minutes of the board" {
		t.Fatalf("owner reads %q", got)
	}
}
