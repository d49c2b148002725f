package protocol_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"vellum.dev/vellum/protocol"
)

// TestRoutes checks the table's own consistency: what the server's
// authorization test will be generated from must be unambiguous.
func TestRoutes(t *testing.T) {
	names := map[string]bool{}
	keys := map[string]bool{}
	for _, r := range protocol.Routes {
		if names[r.Name] {
			t.Errorf("%s: name used twice", r.Name)
		}
		names[r.Name] = true
		key := r.Method + " " + r.Path
		if keys[key] {
			t.Errorf("%s: %s defined twice", r.Name, key)
		}
		keys[key] = true
		if !r.Auth.Valid() {
			t.Errorf("%s: no auth level", r.Name)
		}
		if !strings.HasPrefix(r.Path, protocol.APIPrefix+"/") {
			t.Errorf("%s: path outside %s", r.Name, protocol.APIPrefix)
		}
		switch r.Method {
		case "GET", "DELETE":
			if r.Body != protocol.BodyNone {
				t.Errorf("%s: %s with a body", r.Name, r.Method)
			}
		case "POST", "PUT":
			if r.Body == protocol.BodyNone {
				t.Errorf("%s: %s without a body", r.Name, r.Method)
			}
		default:
			t.Errorf("%s: method %s", r.Name, r.Method)
		}
		if (r.Body == protocol.BodyJSON) != (r.NewRequest != nil) || (r.Body == protocol.BodyJSON && r.MaxBody != protocol.MaxJSONBody) {
			t.Errorf("%s: JSON body without a request type or limit", r.Name)
		}
		if r.Body == protocol.BodyBinary && (r.MaxBody <= 0 || r.MaxBody > protocol.MaxChunk) {
			t.Errorf("%s: binary body limit %d", r.Name, r.MaxBody)
		}
		if (r.Reply == protocol.BodyJSON) != (r.Response != nil) {
			t.Errorf("%s: JSON reply without a response type", r.Name)
		}
		tenant := strings.Contains(r.Path, "/tenants/{tenantId}")
		if tenantLevel := r.Auth == protocol.AuthTenantMember || r.Auth == protocol.AuthTenantAdmin; tenant != tenantLevel {
			t.Errorf("%s: tenant path with auth %s", r.Name, r.Auth)
		}
		if link := strings.HasPrefix(r.Path, protocol.APIPrefix+"/links/{envelopeId}"); (r.Auth == protocol.AuthSignerLink) != (link && r.Name != "links.open") {
			t.Errorf("%s: signer-link auth goes with the /links/{envelopeId} paths (but open)", r.Name)
		}
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, "{") && (!strings.HasSuffix(seg, "}") || !protocol.ValidID(seg[1:len(seg)-1])) {
				t.Errorf("%s: bad parameter %q", r.Name, seg)
			}
		}
		for _, q := range r.Query {
			if !protocol.ValidID(q) {
				t.Errorf("%s: bad query parameter %q", r.Name, q)
			}
		}
		// Every request and response type encodes with lowerCamelCase
		// names and no field without a json tag.
		if r.NewRequest != nil {
			checkTags(t, r.Name, reflect.TypeOf(r.NewRequest()).Elem())
		}
		if r.Response != nil {
			checkTags(t, r.Name, reflect.TypeOf(r.Response).Elem())
		}
	}
	// No concrete path may match two different patterns: a literal segment
	// in one where the other has a parameter would make the route depend on
	// the table's order.
	for i, a := range protocol.Routes {
		for _, b := range protocol.Routes[i+1:] {
			if a.Path != b.Path && overlap(a.Path, b.Path) {
				t.Errorf("paths %s and %s overlap", a.Path, b.Path)
			}
		}
	}
}

func overlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !strings.HasPrefix(as[i], "{") && !strings.HasPrefix(bs[i], "{") {
			return false
		}
	}
	return true
}

func checkTags(t *testing.T, route string, typ reflect.Type) {
	t.Helper()
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			if typ == reflect.TypeOf(json.RawMessage(nil)) || typ.Elem().Kind() == reflect.Uint8 {
				return
			}
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() != "vellum.dev/vellum/protocol" {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name[0] < 'a' || name[0] > 'z' || strings.ContainsAny(name, "_-") {
				t.Errorf("%s: %s.%s has json name %q", route, typ.Name(), f.Name, name)
			}
			walk(f.Type)
		}
	}
	walk(typ)
}

func TestLookupRoute(t *testing.T) {
	r, params, err := protocol.LookupRoute("PUT", "/api/v1/tenants/t1/members/acct-bob/role")
	if err != nil || r.Name != "tenants.members.role" || params["tenantId"] != "t1" || params["accountId"] != "acct-bob" {
		t.Fatalf("got %v %v %v", r, params, err)
	}
	if r.Auth != protocol.AuthTenantAdmin {
		t.Errorf("auth %s", r.Auth)
	}
	if _, _, err := protocol.LookupRoute("DELETE", "/api/v1/tenants/t1/members/acct-bob/role"); protocol.CodeOf(err) != protocol.CodeMethodNotAllowed {
		t.Errorf("wrong method: %v", err)
	}
	for _, p := range []string{"/api/v1/tenants/t1/nothing", "/api/v1/tenants/t.1", "/api/v1/tenants/%2e%2e/members", "/api/v1/tenants//members", "/api/v2/tenants"} {
		if _, _, err := protocol.LookupRoute("GET", p); protocol.CodeOf(err) != protocol.CodeNotFound {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, r := range protocol.Routes {
		path := r.Path
		for _, seg := range strings.Split(r.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				path = strings.Replace(path, seg, "X1", 1)
			}
		}
		got, _, err := protocol.LookupRoute(r.Method, path)
		if err != nil || got.Name != r.Name {
			t.Errorf("%s %s found %v, %v", r.Method, path, got, err)
		}
	}
}

func TestParsePage(t *testing.T) {
	p, err := protocol.ParsePage("", "")
	if err != nil || p.Limit != protocol.DefaultPageSize || p.Cursor != "" {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	p, err = protocol.ParsePage("abc_-9", "1000")
	if err != nil || p.Limit != 1000 || p.Cursor != "abc_-9" {
		t.Fatalf("%+v %v", p, err)
	}
	for _, c := range [][2]string{{"", "0"}, {"", "1001"}, {"", "-1"}, {"", "01"}, {"", "1e3"}, {"a=b", ""}, {strings.Repeat("a", protocol.MaxCursorLength+1), ""}} {
		if _, err := protocol.ParsePage(c[0], c[1]); err == nil {
			t.Errorf("ParsePage(%q, %q) accepted", c[0], c[1])
		}
	}
	for _, s := range []string{"", "+1", "-0", "00", "1 ", "9223372036854775808", "99999999999999999999"} {
		if _, err := protocol.ParseUint(s); err == nil {
			t.Errorf("ParseUint(%q) accepted", s)
		}
	}
	if n, err := protocol.ParseUint("9223372036854775807"); err != nil || n != 1<<63-1 {
		t.Errorf("ParseUint(max) = %d, %v", n, err)
	}
}

func TestHTTPStatus(t *testing.T) {
	want := map[protocol.Code]int{
		protocol.CodeBadRequest: 400, protocol.CodeBadEncoding: 400, protocol.CodeUnknownField: 400,
		protocol.CodeTooLarge: 413, protocol.CodeUnauthenticated: 401, protocol.CodeForbidden: 403,
		protocol.CodeNotFound: 404, protocol.CodeConflict: 409, protocol.CodeRateLimited: 429,
		protocol.CodeLocked: 423, protocol.CodeExpired: 410, protocol.CodeBadSignature: 400,
		protocol.CodeBadChain: 400, protocol.CodeAuthFailed: 401, protocol.CodeUnsupported: 422,
		protocol.CodeInternal: 500, protocol.CodeMethodNotAllowed: 405, "no-such-code": 500,
	}
	for c, s := range want {
		if got := c.HTTPStatus(); got != s {
			t.Errorf("%s: %d, want %d", c, got, s)
		}
	}
}

// TestEmptyRequests: the zero value of every request type with a required
// field fails validation, and those with none pass.
func TestEmptyRequests(t *testing.T) {
	allOptional := map[string]bool{"LogoutRequest": true, "PasskeyLoginStartRequest": true, "MoveFolderRequest": true,
		"RemindRequest": true, "CancelEnvelopeRequest": true, "DeclineRequest": true, "DenyRequest": true}
	for _, r := range protocol.Routes {
		if r.NewRequest == nil {
			continue
		}
		err := r.NewRequest().Validate()
		if allOptional[r.RequestType()] != (err == nil) {
			t.Errorf("%s: empty %s: %v", r.Name, r.RequestType(), err)
		}
		if err != nil && protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%s: empty request gave %v", r.Name, err)
		}
	}
}

func TestValidIDAndEmail(t *testing.T) {
	for _, s := range []string{"a", "A-z_09", strings.Repeat("x", protocol.MaxIDLength)} {
		if !protocol.ValidID(s) {
			t.Errorf("ValidID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a b", "a/b", "a.b", "é", strings.Repeat("x", protocol.MaxIDLength+1)} {
		if protocol.ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
	for _, s := range []string{"a@b", "alice@example.com", "ünï@exämple.de", "a+tag@x.org"} {
		if !protocol.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = false", s)
		}
	}
	for _, s := range []string{"", "ab", "@b.c", "a@", "a@@b", "a@b@c", "a b@c", "<a@b>", "a@b\x00", "\"a\"@b", "a@b\u0085", "a@\xff"} {
		if protocol.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = true", s)
		}
	}
}

func TestRole(t *testing.T) {
	for _, r := range []protocol.Role{protocol.RoleOwner, protocol.RoleAdmin, protocol.RoleMember} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back protocol.Role
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Errorf("%s: %s → %v, %v", r, b, back, err)
		}
	}
	if protocol.RoleOwner != 1 || protocol.RoleAdmin != 2 || protocol.RoleMember != 3 {
		t.Error("the Role wire values changed")
	}
	if _, err := json.Marshal(protocol.Role(0)); err == nil {
		t.Error("marshaled the zero Role")
	}
	if protocol.Role(7).String() != "role(7)" || protocol.Role(7).Valid() {
		t.Error(protocol.Role(7).String())
	}
}

// TestBodyLimit: a body over MaxJSONBody is refused before it is parsed.
func TestBodyLimit(t *testing.T) {
	r := routeByName(t, "auth.passkey.finish")
	body := `{"ceremonyId":"cer-1","assertion":{"x":"` + strings.Repeat("a", protocol.MaxJSONBody) + `"}}`
	if _, err := decodeRequest(r, []byte(body)); protocol.CodeOf(err) != protocol.CodeTooLarge {
		t.Errorf("got %v", err)
	}
}

// TestValidateDoesNotEcho: messages name fields, never values, which may be
// a secret typed into the wrong box.
func TestValidateDoesNotEcho(t *testing.T) {
	const marker = "SECRETMARKER"
	bodies := map[string]string{
		"auth.login.start":       `{"email":"` + marker + `","ke1":"S0Ux"}`,
		"auth.device.verify":     `{"verificationId":"v","code":"` + marker + `"}`,
		"links.open":             `{"verifier":"` + marker + `"}`,
		"auth.refresh":           `{"refreshToken":"` + marker + ` x"}`,
		"tenants.invites.create": `{"email":"a@b.c","role":"` + marker + `"}`,
		"account.devices.add":    `{"label":"x","recipient":"age1` + marker + `","wrap":"S0Ux"}`,
		"auth.login.finish":      `{"loginId":"` + marker + `/","ke3":"S0Ux"}`,
	}
	for name, body := range bodies {
		_, err := decodeRequest(routeByName(t, name), []byte(body))
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), marker) {
			t.Errorf("%s: error %q quotes the input", name, err)
		}
	}
}

func TestCheckQuery(t *testing.T) {
	r := routeByName(t, "folders.list")
	if err := r.CheckQuery([]string{"parent", "limit", "cursor"}); err != nil {
		t.Error(err)
	}
	for _, q := range [][]string{{"limit", "limit"}, {"offset"}, {"Limit"}} {
		if err := r.CheckQuery(q); protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("%v: %v", q, err)
		}
	}
	if err := routeByName(t, "account.get").CheckQuery([]string{"x"}); err == nil {
		t.Error("a route without query parameters took one")
	}
}
