package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vellum.dev/vellum/protocol"
)

// ErrBadResponse: the server answered with a body that is not what the API
// says (malformed or unknown JSON, a missing field). Strict decoding is the
// rule for responses as for requests (SPEC §JSON).
var ErrBadResponse = errors.New("client: malformed response from the server")

// routes indexes protocol.Routes by name. The client builds every request
// from this table, so its paths, methods, auth levels, query parameters and
// body limits are the contract's, never a copy.
var routes = func() map[string]*protocol.Route {
	m := make(map[string]*protocol.Route, len(protocol.Routes))
	for i := range protocol.Routes {
		m[protocol.Routes[i].Name] = &protocol.Routes[i]
	}
	return m
}()

// route returns the named route. It panics for a name the contract lacks:
// that is a bug of this package, caught at init by the vars below.
func route(name string) *protocol.Route {
	r, ok := routes[name]
	if !ok {
		panic("client: no route named " + name)
	}
	return r
}

// The routes this package calls.
var (
	rRegisterStart   = route("auth.register.start")
	rRegisterFinish  = route("auth.register.finish")
	rLoginStart      = route("auth.login.start")
	rLoginFinish     = route("auth.login.finish")
	rDeviceVerify    = route("auth.device.verify")
	rDeviceResend    = route("auth.device.resend")
	rRefresh         = route("auth.refresh")
	rLogout          = route("auth.logout")
	rAccount         = route("account.get")
	rPasswordStart   = route("account.password.start")
	rPasswordFinish  = route("account.password.finish")
	rDevicesList     = route("account.devices.list")
	rDevicesAdd      = route("account.devices.add")
	rPublicKeyring   = route("accounts.public-keyring")
	rTenantsCreate   = route("tenants.create")
	rTenantsList     = route("tenants.list")
	rTenantGet       = route("tenants.get")
	rInviteCreate    = route("tenants.invites.create")
	rInvitesList     = route("tenants.invites.list")
	rInviteRevoke    = route("tenants.invites.revoke")
	rInviteAccept    = route("invites.accept")
	rMemberRole      = route("tenants.members.role")
	rMemberRemove    = route("tenants.members.remove")
	rMembershipGet   = route("tenants.membership.get")
	rMembershipPost  = route("tenants.membership.append")
	rFoldersCreate   = route("folders.create")
	rFoldersList     = route("folders.list")
	rFolderGet       = route("folders.get")
	rFolderRename    = route("folders.rename")
	rFolderMove      = route("folders.move")
	rFolderDelete    = route("folders.delete")
	rFolderDocuments = route("folders.documents")
	rFolderRotate    = route("folders.rotate")
	rFolderRotations = route("folders.rotations")
	rRewrapsList     = route("folders.rewraps.list")
	rRewrapsStore    = route("folders.rewraps.store")
	rUploadCreate    = route("uploads.create")
	rUploadGet       = route("uploads.get")
	rUploadChunk     = route("uploads.chunk")
	rUploadCommit    = route("uploads.commit")
	rUploadAbort     = route("uploads.abort")
	rDocumentGet     = route("documents.get")
	rDocumentContent = route("documents.content")
	rDocumentVers    = route("documents.versions")
	rDocumentDelete  = route("documents.delete")
	rDocumentRename  = route("documents.rename")
	rDocumentMove    = route("documents.move")
	rGrantsCreate    = route("grants.create")
	rGrantsList      = route("grants.list")
	rGrantsMine      = route("grants.mine")
	rGrantRevoke     = route("grants.revoke")
	rAccessRequest   = route("access.request")
	rAccessList      = route("access.list")
	rAccessApprove   = route("access.approve")
	rAccessDeny      = route("access.deny")
	rAuditList       = route("audit.list")
	rAuditExport     = route("audit.export")
	rAuditHead       = route("audit.head")
)

// request is one API call: a route, its path parameters (name, value
// pairs), its query, and a JSON or binary body.
type request struct {
	route  *protocol.Route
	params []string
	query  url.Values
	body   protocol.Request
	raw    []byte
}

func call(r *protocol.Route, params ...string) *request {
	return &request{route: r, params: params}
}

func (r *request) with(body protocol.Request) *request { r.body = body; return r }

func (r *request) q(name, value string) *request {
	if r.query == nil {
		r.query = url.Values{}
	}
	r.query.Set(name, value)
	return r
}

// page adds the pagination query of a list.
func (r *request) page(cursor string) *request {
	if cursor != "" {
		r.q("cursor", cursor)
	}
	return r
}

// path fills the route's path parameters. Each value MUST be an id: the
// server would not match the path otherwise, and a value with a slash or a
// dot segment must never reach another route.
func (r *request) path() (string, error) {
	if len(r.params)%2 != 0 {
		return "", fmt.Errorf("client: %s: odd path parameters", r.route.Name)
	}
	p := r.route.Path
	for i := 0; i < len(r.params); i += 2 {
		name, v := r.params[i], r.params[i+1]
		if !protocol.ValidID(v) {
			return "", protocol.Errorf(protocol.CodeBadRequest, "%s is not an id", name)
		}
		ph := "{" + name + "}"
		if !strings.Contains(p, ph) {
			return "", fmt.Errorf("client: %s has no parameter %s", r.route.Name, name)
		}
		p = strings.Replace(p, ph, v, 1)
	}
	if strings.Contains(p, "{") {
		return "", fmt.Errorf("client: %s: a path parameter is missing", r.route.Name)
	}
	return p, nil
}

// encode builds the request body: a validated JSON body, or the binary one.
func (r *request) encode() (body []byte, contentType string, err error) {
	switch r.route.Body {
	case protocol.BodyJSON:
		if r.body == nil {
			return nil, "", fmt.Errorf("client: %s needs a body", r.route.Name)
		}
		// The server validates with the same code; failing here keeps a
		// request the server would refuse from leaving at all.
		if err := r.body.Validate(); err != nil {
			return nil, "", err
		}
		b, err := protocol.EncodeJSON(r.body)
		if err != nil {
			return nil, "", err
		}
		if len(b) > r.route.MaxBody {
			return nil, "", protocol.Errorf(protocol.CodeTooLarge, "request body of %d bytes is over the limit of %d", len(b), r.route.MaxBody)
		}
		return b, "application/json", nil
	case protocol.BodyBinary:
		if len(r.raw) > r.route.MaxBody {
			return nil, "", protocol.Errorf(protocol.CodeTooLarge, "request body of %d bytes is over the limit of %d", len(r.raw), r.route.MaxBody)
		}
		return r.raw, "application/octet-stream", nil
	}
	if r.body != nil || r.raw != nil {
		return nil, "", fmt.Errorf("client: %s takes no body", r.route.Name)
	}
	return nil, "", nil
}

func (r *request) authed() bool {
	switch r.route.Auth {
	case protocol.AuthSession, protocol.AuthTenantMember, protocol.AuthTenantAdmin:
		return true
	}
	return false
}

// build makes the http.Request. token is the access token for authed routes.
func (c *Client) build(ctx context.Context, r *request, token string) (*http.Request, error) {
	p, err := r.path()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.query))
	for k, vs := range r.query {
		for range vs {
			names = append(names, k)
		}
	}
	if err := r.route.CheckQuery(names); err != nil {
		return nil, err
	}
	u := c.base + p
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	body, ct, err := r.encode()
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.route.Method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", r.route.Name, err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.route.Reply == protocol.BodyJSON {
		req.Header.Set("Accept", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// send sends r and returns the response of a 2xx status. Any other status
// becomes an error wrapping the server's *protocol.Error. An access token
// refused as unauthenticated is refreshed once and the request sent again.
func (c *Client) send(ctx context.Context, r *request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		token := ""
		if r.authed() {
			var err error
			if token, err = c.accessToken(ctx, attempt > 0); err != nil {
				return nil, err
			}
		}
		req, err := c.build(ctx, r, token)
		if err != nil {
			return nil, err
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, transportError(ctx, r.route, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		perr := readError(resp)
		if attempt == 0 && r.authed() && perr.Code == protocol.CodeUnauthenticated {
			continue // the token may have expired in flight: refresh once
		}
		return nil, fmt.Errorf("client: %s: %w", r.route.Name, perr)
	}
}

// do sends r and decodes a JSON reply into out (which may be nil for a
// route without a reply body).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch r.route.Reply {
	case protocol.BodyJSON:
		if out == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, protocol.MaxJSONBody))
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxJSONBody+1))
		if err != nil {
			return transportError(ctx, r.route, err)
		}
		if err := protocol.DecodeJSON(b, out, protocol.MaxJSONBody); err != nil {
			// %v, not %w: this is not the server refusing something, and
			// must not read as a *protocol.Error from the server.
			return fmt.Errorf("client: %s: %w: %v", r.route.Name, ErrBadResponse, err)
		}
		return nil
	default:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, protocol.MaxJSONBody))
		return nil
	}
}

// transportError wraps a failure to reach the server or to read its reply.
// A cancelled context is reported as itself.
func transportError(ctx context.Context, r *protocol.Route, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("client: %s: %w", r.Name, ctx.Err())
	}
	return fmt.Errorf("client: %s: %w: %w", r.Name, ErrNetwork, err)
}

// readError turns a non-2xx response into the server's *protocol.Error.
// A body that is not one (a proxy's error page) gives an error with the
// code the HTTP status stands for.
func readError(resp *http.Response) *protocol.Error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxJSONBody+1))
	var e protocol.Error
	if err := protocol.DecodeJSON(b, &e, protocol.MaxJSONBody); err == nil && e.Code != "" {
		return &e
	}
	return &protocol.Error{Code: codeForStatus(resp.StatusCode), Message: fmt.Sprintf("HTTP status %d", resp.StatusCode)}
}

func codeForStatus(s int) protocol.Code {
	switch s {
	case http.StatusBadRequest:
		return protocol.CodeBadRequest
	case http.StatusUnauthorized:
		return protocol.CodeUnauthenticated
	case http.StatusForbidden:
		return protocol.CodeForbidden
	case http.StatusNotFound:
		return protocol.CodeNotFound
	case http.StatusMethodNotAllowed:
		return protocol.CodeMethodNotAllowed
	case http.StatusConflict:
		return protocol.CodeConflict
	case http.StatusGone:
		return protocol.CodeExpired
	case http.StatusRequestEntityTooLarge:
		return protocol.CodeTooLarge
	case http.StatusUnprocessableEntity:
		return protocol.CodeUnsupported
	case http.StatusLocked:
		return protocol.CodeLocked
	case http.StatusTooManyRequests:
		return protocol.CodeRateLimited
	}
	return protocol.CodeInternal
}

// tokenSkew is how long before its expiry an access token is refreshed,
// so that it does not expire in flight.
const tokenSkew = 30 * time.Second

// accessToken returns a current access token, refreshing it first if it
// expires within tokenSkew or if force is set.
func (c *Client) accessToken(ctx context.Context, force bool) (string, error) {
	c.mu.Lock()
	s := c.sess
	if s == nil {
		c.mu.Unlock()
		return "", ErrNotLoggedIn
	}
	tok, exp := s.tokens.AccessToken, s.tokens.AccessExpiresAt
	c.mu.Unlock()
	if !force && c.now().Add(tokenSkew).Before(exp) {
		return tok, nil
	}
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	if c.sess != s {
		c.mu.Unlock()
		return "", ErrNotLoggedIn
	}
	if s.tokens.AccessToken != tok {
		// Another call refreshed while this one waited.
		tok = s.tokens.AccessToken
		c.mu.Unlock()
		return tok, nil
	}
	refresh := s.tokens.RefreshToken
	c.mu.Unlock()
	if err := c.refreshWith(ctx, s, refresh); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.tokens.AccessToken, nil
}

// Refresh trades the refresh token for a new access token now.
func (c *Client) Refresh(ctx context.Context) error {
	_, err := c.accessToken(ctx, true)
	return err
}

func (c *Client) refreshWith(ctx context.Context, s *session, refresh string) error {
	var at protocol.AccessToken
	if err := c.do(ctx, call(rRefresh).with(&protocol.RefreshRequest{RefreshToken: refresh}), &at); err != nil {
		return err
	}
	if at.AccessToken == "" {
		return fmt.Errorf("client: %s: %w: no access token", rRefresh.Name, ErrBadResponse)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s.tokens.AccessToken, s.tokens.AccessExpiresAt = at.AccessToken, at.AccessExpiresAt
	return nil
}
