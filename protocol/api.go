package protocol

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// APIPrefix is the path prefix of every API route. A breaking change to the
// API gets a new prefix (/api/v2/); within v1, routes, fields and enum
// values are only ever added.
const APIPrefix = "/api/v1"

// Auth is the authentication a route requires. It is the input of the
// server's authorization middleware and of its authorization test, which is
// generated from Routes. The zero Auth is not a level, so a route that
// forgot to say is refused by TestRoutes rather than served open.
type Auth uint8

const (
	// AuthNone: no credential. The route is rate limited per client and,
	// where it checks a secret (an OPAQUE login, a code, a PIN, a refresh
	// token, an invite token), per that secret's subject.
	AuthNone Auth = 1 + iota
	// AuthSession: a valid access token in "Authorization: Bearer <token>".
	AuthSession
	// AuthTenantMember: a session whose account is a member of the tenant
	// named by the {tenantId} path parameter. Rights on folders, documents
	// and envelopes are checked by the handler on top of this.
	AuthTenantMember
	// AuthTenantAdmin: a session whose account is an owner or admin of the
	// tenant named by {tenantId}. Owner-only actions are decided by the
	// signed membership chain, not by this level.
	AuthTenantAdmin
	// AuthSignerLink: the signer session returned by POST
	// /api/v1/links/{envelopeId}/open, in "Authorization: Bearer <token>",
	// bound to that envelope and to the signer whose PIN verifier matched.
	AuthSignerLink
)

var authNames = [...]string{AuthNone: "none", AuthSession: "session", AuthTenantMember: "tenant-member",
	AuthTenantAdmin: "tenant-admin", AuthSignerLink: "signer-link"}

// Valid reports whether a is one of the levels above.
func (a Auth) Valid() bool { return a >= AuthNone && a <= AuthSignerLink }

func (a Auth) String() string {
	if !a.Valid() {
		return "auth(" + strconv.Itoa(int(a)) + ")"
	}
	return authNames[a]
}

// Body is what a request or a response carries.
type Body uint8

const (
	// BodyNone: no body. A successful reply is 204 No Content.
	BodyNone Body = iota
	// BodyJSON: one JSON object, Content-Type application/json, at most
	// MaxJSONBody bytes, decoded with DecodeJSON.
	BodyJSON
	// BodyBinary: raw bytes, Content-Type application/octet-stream
	// (ciphertext chunks, document content, audit exports).
	BodyBinary
)

func (b Body) String() string {
	return [...]string{BodyNone: "none", BodyJSON: "json", BodyBinary: "binary"}[b]
}

// Route is one API route.
type Route struct {
	// Name is a stable name ("auth.login.start"), used in logs and metrics.
	Name   string
	Method string
	// Path starts with APIPrefix. Segments in braces are parameters; every
	// parameter value MUST be a valid id (ValidID).
	Path string
	Auth Auth
	// Body is the request body. For BodyJSON, NewRequest returns a fresh
	// value of the request type to decode into.
	Body       Body
	NewRequest func() Request
	// Query lists the query parameters the route reads; any other is
	// refused with CodeBadRequest.
	Query []string
	// Reply is the success response body; Response is a nil pointer of its
	// type when it is BodyJSON.
	Reply    Body
	Response any
	// MaxBody is the largest request body the route accepts.
	MaxBody int
}

// req is the NewRequest of a route whose request type is T.
func req[T any, P interface {
	*T
	Request
}]() Request {
	return P(new(T))
}

// RequestType returns the name of the route's request type, or "".
func (r *Route) RequestType() string {
	if r.NewRequest == nil {
		return ""
	}
	return reflect.TypeOf(r.NewRequest()).Elem().Name()
}

// ResponseType returns the name of the route's response type, or "".
func (r *Route) ResponseType() string {
	if r.Response == nil {
		return ""
	}
	return reflect.TypeOf(r.Response).Elem().Name()
}

// Match reports whether path matches the route's path, and returns its
// parameters. A parameter value that is not a valid id does not match.
func (r *Route) Match(path string) (map[string]string, bool) {
	want := strings.Split(r.Path, "/")
	got := strings.Split(path, "/")
	if len(want) != len(got) {
		return nil, false
	}
	var params map[string]string
	for i, w := range want {
		if name, ok := strings.CutPrefix(w, "{"); ok {
			if !ValidID(got[i]) {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string)
			}
			params[strings.TrimSuffix(name, "}")] = got[i]
			continue
		}
		if w != got[i] {
			return nil, false
		}
	}
	return params, true
}

// CheckQuery refuses a request whose query names (in order, repeats
// included) hold one the route does not read, or one twice.
func (r *Route) CheckQuery(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !slices.Contains(r.Query, n) {
			return Errorf(CodeBadRequest, "unknown query parameter")
		}
		if seen[n] {
			return Errorf(CodeBadRequest, "query parameter %s given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// LookupRoute finds the route for a method and path. It returns an *Error
// with CodeNotFound if no route has the path and CodeMethodNotAllowed if
// some route has it with another method.
func LookupRoute(method, path string) (*Route, map[string]string, error) {
	pathFound := false
	for i := range Routes {
		r := &Routes[i]
		params, ok := r.Match(path)
		if !ok {
			continue
		}
		if r.Method == method {
			return r, params, nil
		}
		pathFound = true
	}
	if pathFound {
		return nil, nil, Errorf(CodeMethodNotAllowed, "method %s is not allowed here", method)
	}
	return nil, nil, Errorf(CodeNotFound, "no such route")
}

// Page is the pagination of a list: "cursor" and "limit" query
// parameters. Cursor is opaque, returned by the previous page as
// nextCursor; an empty cursor asks for the first page. A reply with no
// nextCursor is the last page.
type Page struct {
	Cursor string
	Limit  int
}

// ParsePage parses the cursor and limit query parameters (either may be
// empty). Limit defaults to DefaultPageSize and MUST be 1..MaxPageSize.
func ParsePage(cursor, limit string) (Page, error) {
	p := Page{Cursor: cursor, Limit: DefaultPageSize}
	if cursor != "" {
		if len(cursor) > MaxCursorLength {
			return Page{}, tooLarge("cursor", MaxCursorLength)
		}
		if !base64URL(cursor) {
			return Page{}, Errorf(CodeBadRequest, "cursor must be unpadded base64url")
		}
	}
	if limit != "" {
		n, err := ParseUint(limit)
		if err != nil || n < 1 || n > MaxPageSize {
			return Page{}, Errorf(CodeBadRequest, "limit must be 1 to %d", MaxPageSize)
		}
		p.Limit = int(n)
	}
	return p, nil
}

// ParseUint parses a decimal query parameter (an offset, a seq, a leaf
// index) strictly: digits only, no sign, no leading zero, below 2^63.
func ParseUint(s string) (uint64, error) {
	if s == "" || len(s) > 19 || !digits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, Errorf(CodeBadRequest, "not a decimal number")
	}
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, Errorf(CodeBadRequest, "not a decimal number")
	}
	return n, nil
}
