//go:build js && wasm

package main

import (
	"context"
	"math"
	"runtime"
	"strings"
	"sync"
	"syscall/js"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// app is the account half of the worker: one wasm/client.Client, talking to
// the origin the worker was loaded from (Go's net/http uses fetch under
// js/wasm), with its trusted-device identity and tenant pins in IndexedDB.
// Every flow is wasm/client's; this file only parses arguments, runs the
// flow on a goroutine, and turns the result into plain JavaScript values.
// Passwords, codes and keys go in; only public values, names and the
// recovery code (once, at sign-up) come out.
type app struct {
	c     *client.Client
	store *idbStore

	mu  sync.Mutex
	reg *client.Registration // a sign-up waiting for its e-mailed code
	ops map[uint32]context.CancelFunc
}

func newApp() *app {
	origin := ""
	if loc := js.Global().Get("location"); loc.Truthy() {
		origin = loc.Get("origin").String()
	}
	store := newIDBStore()
	c := client.New(origin,
		client.WithDeviceStore(store),
		client.WithPinStore(store),
		client.WithDeviceLabel(deviceLabel()),
		client.WithChunkSize(uploadChunk),
	)
	return &app{c: c, store: store, ops: make(map[uint32]context.CancelFunc)}
}

// deviceLabel names this browser for the account's device list, from the
// user agent ("Chrome on Linux"). The server reads it: it holds nothing
// secret.
func deviceLabel() string {
	ua := ""
	if nav := js.Global().Get("navigator"); nav.Truthy() && nav.Get("userAgent").Type() == js.TypeString {
		ua = nav.Get("userAgent").String()
	}
	return labelOf(ua)
}

func labelOf(ua string) string {
	browser := "A browser"
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return browser + " on " + o.name
		}
	}
	return browser
}

// uploadChunk is the ciphertext sent per upload request: twice the
// library's default, for half the requests (each a fetch with its own
// overhead). The server charges chunks of 1 MiB or more by their bytes,
// not as requests of its per-address limit, so an upload of any size is
// not cut off by that limit (SPEC part 70). Not larger: the server reads a
// stored chunk whole for each small read of a download (see the report in
// wasm/README.md), so larger chunks make downloads slower.
const uploadChunk = 2 << 20

// Limits on string arguments, before wasm/client checks them exactly.
const (
	maxEmailArg    = 320
	maxPasswordArg = 4 << 10
	maxNameArg     = 4 << 10
	maxCodeArg     = 256
	maxMessageArg  = 4 << 10
)

// argv reads the arguments of one call.
type argv []js.Value

func (a argv) at(i int) js.Value {
	if i < len(a) {
		return a[i]
	}
	return js.Undefined()
}

func (a argv) str(i int, what string, limit int) (string, error) {
	return stringArg(a.at(i), what, limit)
}

// optStr reads a string that may be undefined or null (then "").
func (a argv) optStr(i int, what string, limit int) (string, error) {
	if v := a.at(i); v.IsUndefined() || v.IsNull() {
		return "", nil
	}
	return a.str(i, what, limit)
}

// id reads an object id (protocol.ValidID).
func (a argv) id(i int, what string) (string, error) {
	s, err := a.str(i, what, 64)
	if err != nil {
		return "", err
	}
	if !protocol.ValidID(s) {
		return "", errorf(CodeBadArgument, "bridge: %s is not an id", what)
	}
	return s, nil
}

// optID reads an id that may be undefined, null or "" (then "").
func (a argv) optID(i int, what string) (string, error) {
	if v := a.at(i); v.IsUndefined() || v.IsNull() || (v.Type() == js.TypeString && v.String() == "") {
		return "", nil
	}
	return a.id(i, what)
}

func (a argv) role(i int) (protocol.Role, error) {
	s, err := a.str(i, "role", 16)
	if err != nil {
		return 0, err
	}
	r, err := protocol.ParseRole(s)
	if err != nil {
		return 0, errorf(CodeBadArgument, "bridge: role must be owner, admin or member")
	}
	return r, nil
}

func (a argv) kind(i int) (protocol.ObjectKind, error) {
	s, err := a.str(i, "object kind", 16)
	if err != nil {
		return "", err
	}
	k := protocol.ObjectKind(s)
	if k != protocol.ObjectFolder && k != protocol.ObjectDocument {
		return "", errorf(CodeBadArgument, "bridge: object kind must be folder or document")
	}
	return k, nil
}

// opts reads an optional options object whose property names are all in
// allowed, so that a misspelled option is refused, not ignored.
func (a argv) opts(i int, allowed ...string) (js.Value, error) {
	v := a.at(i)
	if v.IsUndefined() || v.IsNull() {
		return jsObject.New(), nil
	}
	if v.Type() != js.TypeObject {
		return js.Undefined(), errorf(CodeBadArgument, "bridge: options must be an object")
	}
	names := jsObject.Call("keys", v)
	for j := range names.Length() {
		name := names.Index(j).String()
		ok := false
		for _, n := range allowed {
			ok = ok || n == name
		}
		if !ok {
			return js.Undefined(), errorf(CodeBadArgument, "bridge: unknown option %q", truncate(name, 32))
		}
	}
	return v, nil
}

// optFunc reads an optional function property.
func optFunc(o js.Value, name string) (js.Value, error) {
	v := o.Get(name)
	if v.IsUndefined() || v.IsNull() {
		return js.Undefined(), nil
	}
	if v.Type() != js.TypeFunction {
		return js.Undefined(), errorf(CodeBadArgument, "bridge: option %s must be a function", name)
	}
	return v, nil
}

// optUint reads an optional non-negative integer property (-1 if absent).
func optUint(o js.Value, name string, limit float64) (int64, error) {
	v := o.Get(name)
	if v.IsUndefined() || v.IsNull() {
		return -1, nil
	}
	if v.Type() != js.TypeNumber {
		return 0, errorf(CodeBadArgument, "bridge: option %s must be a number", name)
	}
	f := v.Float()
	if f != math.Trunc(f) || f < 0 || f > limit {
		return 0, errorf(CodeBadArgument, "bridge: option %s must be an integer from 0 to %.0f", name, limit)
	}
	return int64(f), nil
}

// runner is the work of one call, run on its own goroutine.
type runner func() (any, error)

// opContext returns a context that cancel(op) cancels, for a call given
// an op number by the page (0: none), and the function that ends it.
func (a *app) opContext(op int64) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if op <= 0 {
		return ctx, cancel
	}
	id := uint32(op)
	a.mu.Lock()
	if old := a.ops[id]; old != nil {
		old()
	}
	a.ops[id] = cancel
	a.mu.Unlock()
	return ctx, func() {
		cancel()
		a.mu.Lock()
		delete(a.ops, id)
		a.mu.Unlock()
	}
}

func (a *app) cancel(op uint32) bool {
	a.mu.Lock()
	c := a.ops[op]
	a.mu.Unlock()
	if c != nil {
		c()
	}
	return c != nil
}

// afterKSF collects the garbage of a password step. OPAQUE stretches the
// password with Argon2id over 64 MiB (DESIGN.md §2), which leaves the heap
// goal at twice that; collecting now lets the next allocations (an
// upload's chunks) reuse those pages instead of growing the WebAssembly
// memory, which never shrinks.
func afterKSF() { runtime.GC() }

// sessionInfo describes the logged-in account, or is null.
func (a *app) sessionInfo() any {
	id := a.c.AccountID()
	if id == "" {
		return nil
	}
	out := map[string]any{"accountId": id, "email": a.c.Email(), "unlocked": a.c.Unlocked()}
	if pub, err := a.c.PublicKeyring(); err == nil {
		out["fingerprint"] = pub.VerifyKey.Fingerprint()
	}
	return out
}

// register adds the account functions to the API object; def is newAPI's
// definer, which checks arguments synchronously and returns the runner's
// Promise.
func (a *app) register(def func(name string, fn func(args argv) (runner, error))) {
	bg := context.Background()

	// Account.
	def("session", func(args argv) (runner, error) {
		return func() (any, error) { return a.sessionInfo(), nil }, nil
	})
	def("register", func(args argv) (runner, error) {
		email, err := args.str(0, "email", maxEmailArg)
		if err != nil {
			return nil, err
		}
		pw, err := args.str(1, "password", maxPasswordArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			reg, err := a.c.Register(bg, email, pw)
			afterKSF()
			if err != nil {
				return nil, err
			}
			a.mu.Lock()
			a.reg = reg
			a.mu.Unlock()
			return map[string]any{"codeExpiresAt": timeJS(reg.CodeExpiresAt())}, nil
		}, nil
	})
	def("finishRegistration", func(args argv) (runner, error) {
		code, err := args.str(0, "code", maxCodeArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			a.mu.Lock()
			reg := a.reg
			a.mu.Unlock()
			if reg == nil {
				return nil, errorf(CodeNoPendingLogin, "no sign-up is waiting for a code; start again")
			}
			rc, err := reg.Finish(bg, strings.TrimSpace(code))
			if rc == nil {
				return nil, err // a wrong code may be tried again
			}
			a.mu.Lock()
			a.reg = nil
			a.mu.Unlock()
			// The account exists: the recovery code MUST be shown now,
			// whatever else went wrong; it is never available again.
			out := map[string]any{"recoveryCode": rc.Reveal(), "session": a.sessionInfo()}
			if err != nil {
				out["warning"] = errJS(err) // plain, so that it survives postMessage
			}
			return out, nil
		}, nil
	})
	def("login", func(args argv) (runner, error) {
		email, err := args.str(0, "email", maxEmailArg)
		if err != nil {
			return nil, err
		}
		pw, err := args.str(1, "password", maxPasswordArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			err := a.c.Login(bg, strings.TrimSpace(email), pw)
			afterKSF()
			if err != nil {
				return nil, err
			}
			return a.sessionInfo(), nil
		}, nil
	})
	def("verifyDevice", func(args argv) (runner, error) {
		code, err := args.str(0, "code", maxCodeArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			if err := a.c.VerifyDevice(bg, strings.TrimSpace(code)); err != nil {
				return nil, err
			}
			return a.sessionInfo(), nil
		}, nil
	})
	def("resendDeviceCode", func(args argv) (runner, error) {
		return func() (any, error) {
			v, err := a.c.ResendDeviceCode(bg)
			if err != nil {
				return nil, err
			}
			return map[string]any{"sentTo": v.SentTo, "expiresAt": timeJS(v.ExpiresAt)}, nil
		}, nil
	})
	def("unlockWithRecoveryCode", func(args argv) (runner, error) {
		code, err := args.str(0, "recovery code", maxCodeArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			if err := a.c.UnlockWithRecoveryCode(bg, code); err != nil {
				return nil, err
			}
			return a.sessionInfo(), nil
		}, nil
	})
	def("changePassword", func(args argv) (runner, error) {
		pw, err := args.str(0, "password", maxPasswordArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			err := a.c.ChangePassword(bg, pw)
			afterKSF()
			return nil, err
		}, nil
	})
	def("logout", func(args argv) (runner, error) {
		v := args.at(0)
		everywhere := v.Type() == js.TypeBoolean && v.Bool()
		return func() (any, error) { return nil, a.c.Logout(bg, everywhere) }, nil
	})

	// Tenants and members.
	def("tenants", func(args argv) (runner, error) {
		return func() (any, error) {
			ts, err := a.c.Tenants(bg)
			if err != nil {
				return nil, err
			}
			return jsList(ts, tenantJS), nil
		}, nil
	})
	def("tenant", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			t, err := a.c.Tenant(bg, tid)
			if err != nil {
				return nil, err
			}
			return tenantJS(t), nil
		}, nil
	})
	def("createTenant", func(args argv) (runner, error) {
		name, err := args.str(0, "name", maxNameArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			t, err := a.c.CreateTenant(bg, strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			return tenantJS(t), nil
		}, nil
	})
	def("membership", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			m, err := a.c.VerifyMembership(bg, tid)
			if err != nil {
				return nil, err
			}
			return membershipJS(m, a.c.AccountID()), nil
		}, nil
	})
	def("invite", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		email, err := args.str(1, "email", maxEmailArg)
		if err != nil {
			return nil, err
		}
		role, err := args.role(2)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			inv, err := a.c.Invite(bg, tid, strings.TrimSpace(email), role)
			if err != nil {
				return nil, err
			}
			return inviteJS(inv), nil
		}, nil
	})
	def("invites", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			l, err := a.c.Invites(bg, tid)
			if err != nil {
				return nil, err
			}
			return jsList(l, inviteJS), nil
		}, nil
	})
	def("revokeInvite", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		iid, err := args.id(1, "invite id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.RevokeInvite(bg, tid, iid) }, nil
	})
	def("acceptInvite", func(args argv) (runner, error) {
		iid, err := args.id(0, "invite id")
		if err != nil {
			return nil, err
		}
		tok, err := args.str(1, "invite token", maxCodeArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			r, err := a.c.AcceptInvite(bg, iid, tok)
			if err != nil {
				return nil, err
			}
			return map[string]any{"tenantId": r.TenantID, "status": string(r.Status)}, nil
		}, nil
	})
	def("addMember", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		iid, err := args.id(1, "invite id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			m, err := a.c.AddMember(bg, tid, iid)
			if err != nil {
				return nil, err
			}
			return memberJS(m, a.c.AccountID()), nil
		}, nil
	})
	def("changeRole", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		aid, err := args.id(1, "account id")
		if err != nil {
			return nil, err
		}
		role, err := args.role(2)
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.ChangeRole(bg, tid, aid, role) }, nil
	})
	def("removeMember", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		aid, err := args.id(1, "account id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			rotated, err := a.c.RemoveMember(bg, tid, aid)
			if err != nil {
				return nil, err
			}
			return map[string]any{"rotated": strings2JS(rotated)}, nil
		}, nil
	})

	// Folders.
	def("folders", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		parent, err := args.optID(1, "parent folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			fs, err := a.c.ListFolders(bg, tid, parent)
			if err != nil {
				return nil, err
			}
			return jsList(fs, folderJS), nil
		}, nil
	})
	def("folder", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			f, err := a.c.Folder(bg, tid, fid)
			if err != nil {
				return nil, err
			}
			return folderJS(f), nil
		}, nil
	})
	def("createFolder", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		parent, err := args.optID(1, "parent folder id")
		if err != nil {
			return nil, err
		}
		name, err := args.str(2, "name", maxNameArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			f, err := a.c.CreateFolder(bg, tid, parent, strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			return folderJS(f), nil
		}, nil
	})
	def("renameFolder", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		name, err := args.str(2, "name", maxNameArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.RenameFolder(bg, tid, fid, strings.TrimSpace(name)) }, nil
	})
	def("deleteFolder", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.DeleteFolder(bg, tid, fid) }, nil
	})
	def("rewrapFolder", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			n, err := a.c.RewrapFolder(bg, tid, fid)
			return n, err
		}, nil
	})

	// Documents.
	def("documents", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			ds, err := a.c.ListDocuments(bg, tid, fid)
			if err != nil {
				return nil, err
			}
			return documentsJS(ds), nil
		}, nil
	})
	def("sharedWithMe", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			ds, err := a.c.SharedWithMe(bg, tid)
			if err != nil {
				return nil, err
			}
			return documentsJS(ds), nil
		}, nil
	})
	def("document", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			d, err := a.c.Document(bg, tid, did)
			if err != nil {
				return nil, err
			}
			return documentJS(d), nil
		}, nil
	})
	def("versions", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			ds, err := a.c.Versions(bg, tid, did)
			if err != nil {
				return nil, err
			}
			return documentsJS(ds), nil
		}, nil
	})
	def("deleteDocument", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.DeleteDocument(bg, tid, did) }, nil
	})
	def("renameDocument", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		name, err := args.str(2, "name", maxNameArg)
		if err != nil {
			return nil, err
		}
		o, err := args.opts(3, "op")
		if err != nil {
			return nil, err
		}
		op, err := optUint(o, "op", math.MaxUint32)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			ctx, done := a.opContext(op)
			defer done()
			d, err := a.c.RenameDocument(ctx, tid, did, strings.TrimSpace(name))
			if err != nil {
				return nil, err
			}
			return documentJS(d), nil
		}, nil
	})
	def("moveDocument", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(2, "folder id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			// Every version's key is wrapped again here, to the destination
			// folder's current key.
			d, err := a.c.MoveDocument(bg, tid, did, fid)
			if err != nil {
				return nil, err
			}
			return documentJS(d), nil
		}, nil
	})
	def("upload", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		fid, err := args.id(1, "folder id")
		if err != nil {
			return nil, err
		}
		name, err := args.str(2, "name", maxNameArg)
		if err != nil {
			return nil, err
		}
		up, err := a.uploadArgs(args, 3)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			return up.run(func(ctx context.Context, r *sourceReader) (*client.Document, error) {
				return a.c.Upload(ctx, tid, fid, strings.TrimSpace(name), r, up.size)
			})
		}, nil
	})
	def("uploadVersion", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		up, err := a.uploadArgs(args, 2)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			return up.run(func(ctx context.Context, r *sourceReader) (*client.Document, error) {
				return a.c.UploadVersion(ctx, tid, did, r, up.size)
			})
		}, nil
	})
	def("download", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		did, err := args.id(1, "document id")
		if err != nil {
			return nil, err
		}
		st, o, err := a.streamArgs(args, 2, "version")
		if err != nil {
			return nil, err
		}
		version, err := optUint(o, "version", math.MaxUint32)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			ctx, done := a.opContext(st.op)
			d, err := a.c.Download(ctx, tid, did, uint32(max(version, 0)))
			if err != nil {
				done()
				return nil, err
			}
			// The context lives as long as the stream: cancel(op) or the
			// reader's cancel ends the fetch of the ciphertext.
			stream := readableStream("download", d, d.Size, func() { d.Close(); done() }, st.onEnd, newProgress(st.onProgress, d.Size))
			return map[string]any{
				"documentId": d.DocumentID, "version": d.Version, "name": d.Name, "type": d.Type,
				"size": float64(d.Size), "created": timeJS(d.Created), "stream": stream,
			}, nil
		}, nil
	})

	// Sharing and access requests.
	def("share", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		kind, err := args.kind(1)
		if err != nil {
			return nil, err
		}
		oid, err := args.id(2, "object id")
		if err != nil {
			return nil, err
		}
		aid, err := args.id(3, "account id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			gs, err := a.c.Share(bg, tid, client.Object{Kind: kind, ID: oid}, aid)
			if err != nil {
				return nil, err
			}
			return grantsJS(gs), nil
		}, nil
	})
	def("grants", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		oid, err := args.id(1, "object id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			gs, err := a.c.Grants(bg, tid, oid)
			if err != nil {
				return nil, err
			}
			return grantsJS(gs), nil
		}, nil
	})
	def("revoke", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		gid, err := args.id(1, "grant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.Revoke(bg, tid, gid) }, nil
	})
	def("requestAccess", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		kind, err := args.kind(1)
		if err != nil {
			return nil, err
		}
		oid, err := args.id(2, "object id")
		if err != nil {
			return nil, err
		}
		msg, err := args.optStr(3, "message", maxMessageArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			r, err := a.c.RequestAccess(bg, tid, client.Object{Kind: kind, ID: oid}, strings.TrimSpace(msg))
			if err != nil {
				return nil, err
			}
			return requestJS(r), nil
		}, nil
	})
	def("pendingRequests", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			rs, err := a.c.PendingRequests(bg, tid)
			if err != nil {
				return nil, err
			}
			return jsList(rs, requestJS), nil
		}, nil
	})
	def("approve", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		rid, err := args.id(1, "request id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			req, err := a.pending(tid, rid)
			if err != nil {
				return nil, err
			}
			// The key is wrapped here, in this browser, to the requester's
			// key from the checked membership chain.
			g, err := a.c.Approve(bg, tid, req)
			if err != nil {
				return nil, err
			}
			return grantJS(g), nil
		}, nil
	})
	def("deny", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		rid, err := args.id(1, "request id")
		if err != nil {
			return nil, err
		}
		reason, err := args.optStr(2, "reason", maxMessageArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) { return nil, a.c.Deny(bg, tid, rid, strings.TrimSpace(reason)) }, nil
	})

	// Audit.
	def("auditLog", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		cursor, err := args.optStr(1, "cursor", 256)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			p, err := a.c.AuditLog(bg, tid, cursor)
			if err != nil {
				return nil, err
			}
			return auditJS(p), nil
		}, nil
	})

	a.registerBench(def)
	a.registerVerify(def)
	a.registerEnvelopes(def)
	a.registerSigning(def)

	def("cancel", func(args argv) (runner, error) {
		v := args.at(0)
		if v.Type() != js.TypeNumber || v.Float() != math.Trunc(v.Float()) || v.Float() < 1 || v.Float() > math.MaxUint32 {
			return nil, errorf(CodeBadArgument, "bridge: op must be a positive integer")
		}
		op := uint32(v.Float())
		return func() (any, error) { return a.cancel(op), nil }, nil
	})
}

// pending finds an access request waiting for a decision.
func (a *app) pending(tenantID, requestID string) (*protocol.AccessRequest, error) {
	rs, err := a.c.PendingRequests(context.Background(), tenantID)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].RequestID == requestID {
			return &rs[i], nil
		}
	}
	return nil, protocol.Errorf(protocol.CodeNotFound, "no pending access request %s", requestID)
}

// upload is a parsed upload call.
type upload struct {
	a    *app
	src  js.Value
	size int64
	op   int64
	prog js.Value
}

// uploadArgs reads (source, {size?, op?, onProgress?}) from args[i:].
// A Blob's size is its own; a ReadableStream's must be given.
func (a *app) uploadArgs(args argv, i int) (*upload, error) {
	src := args.at(i)
	o, err := args.opts(i+1, "size", "op", "onProgress")
	if err != nil {
		return nil, err
	}
	size, err := optUint(o, "size", float64(protocol.MaxUploadSize))
	if err != nil {
		return nil, err
	}
	if src.Type() == js.TypeObject && src.InstanceOf(jsBlob) {
		n := int64(src.Get("size").Float())
		if size >= 0 && size != n {
			return nil, errorf(CodeBadArgument, "bridge: option size %d is not the file's size %d", size, n)
		}
		size = n
	} else if size < 0 {
		return nil, errorf(CodeBadArgument, "bridge: the size of a stream source must be given")
	}
	op, err := optUint(o, "op", math.MaxUint32)
	if err != nil {
		return nil, err
	}
	prog, err := optFunc(o, "onProgress")
	if err != nil {
		return nil, err
	}
	if !(src.Type() == js.TypeObject && (src.InstanceOf(jsBlob) || src.InstanceOf(jsReadableStream))) {
		return nil, errorf(CodeBadArgument, "bridge: source must be a Blob, a File or a ReadableStream")
	}
	return &upload{a: a, src: src, size: size, op: op, prog: prog}, nil
}

// run streams the source into fn (an upload of wasm/client) and returns
// the document it made.
func (u *upload) run(fn func(ctx context.Context, r *sourceReader) (*client.Document, error)) (any, error) {
	ctx, done := u.a.opContext(u.op)
	defer done()
	r, err := newSourceReader(ctx, u.src, newProgress(u.prog, u.size))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	d, err := fn(ctx, r)
	if err != nil {
		return nil, err
	}
	r.prog.report(u.size, true)
	return documentJS(d), nil
}

// jsList converts each element of l for JavaScript with f.
func jsList[T any](l []T, f func(*T) map[string]any) []any {
	out := make([]any, len(l))
	for i := range l {
		out[i] = f(&l[i])
	}
	return out
}
