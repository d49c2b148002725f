// Package api is vellumd's HTTP API: one router generated from
// protocol.Routes, an authorization layer that enforces each route's Auth
// level before its handler runs, strict decoding of every body with
// protocol.DecodeRequest, per-IP and per-account rate limits, byte budgets
// on upload chunks, lock-outs on every guessable secret, and handlers that
// check every right on every request against the store and the tenant's
// signed membership chain.
//
// The server stores only ciphertext, public keys, wrapped keys and signed
// statements. It never makes a wrap or a statement: it checks the ones
// clients send (signatures against the membership chain, grants with
// keys/grant, wraps with keys/account) and refuses those that do not check.
// Every security-relevant change is written with its audit event in one
// store transaction.
package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// Config is what New needs. Store, Sessions, OPAQUE and Notifier are
// required; the rest have defaults.
type Config struct {
	Store    *store.Store
	Sessions *session.Sessions
	OPAQUE   *opaque.Server
	// StateSecret (32 bytes or more) keys the seal of the OPAQUE login state
	// between KE2 and KE3 and the MACs of e-mailed codes. It MUST be kept
	// outside the database. Nil means a random secret for this process: a
	// restart then fails logins in flight and pending codes.
	StateSecret []byte
	Notifier    notify.Sender
	// SealLog serves the public log routes; nil answers them 501.
	SealLog *seallog.Log
	// Limits are the rate limits and lock-outs; zero fields take defaults
	// (DefaultLimits). Lock-outs are kept in Store, so they survive a
	// restart.
	Limits Limits
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives server errors (never request bodies or secrets);
	// nil means slog.Default().
	Logger *slog.Logger
	// Origin is the server's public origin ("https://vellum.example.com"),
	// used in the links of notices.
	Origin string
}

// Limits configures the rate limiters and lock-outs. A nil field takes
// its default from DefaultLimits.
type Limits struct {
	// PerIP limits every request of one client address. An accepted upload
	// chunk of at least bulkChunk bytes gives its token back: it is charged
	// to ChunkBytesPerIP and ChunkBytesPerAccount instead.
	PerIP *ratelimit.Limiter
	// Guess limits, per client address, the unauthenticated routes that
	// check a secret (logins, codes, refresh and invite tokens).
	Guess *ratelimit.Limiter
	// PerAccount limits, per account or e-mail address, login and sign-up
	// starts and code re-sends.
	PerAccount *ratelimit.Limiter
	// Login locks an account's password logins after repeated failures.
	Login *ratelimit.Lockouts
	// Codes locks a sign-up code, a device code or an invite token after
	// repeated wrong guesses; a new code or invite is needed then.
	Codes *ratelimit.Lockouts
	// ChunkBytesPerIP and ChunkBytesPerAccount are byte budgets charged
	// with every upload chunk that passes authentication, per client
	// address and per account. Their bursts MUST be at least
	// protocol.MaxChunk, or a chunk of that size could never pass.
	ChunkBytesPerIP      *ratelimit.Bytes
	ChunkBytesPerAccount *ratelimit.Bytes
}

// DefaultLimits returns the production limits over st (which keeps the
// lock-out counters) and clock now.
func DefaultLimits(st ratelimit.LockoutStore, now func() time.Time) Limits {
	return Limits{
		PerIP:      ratelimit.New(ratelimit.Config{Burst: 600, Refill: 50 * time.Millisecond, Now: now}),
		Guess:      ratelimit.New(ratelimit.Config{Burst: 30, Refill: 2 * time.Second, Now: now}),
		PerAccount: ratelimit.New(ratelimit.Config{Burst: 10, Refill: 30 * time.Second, Now: now}),
		Login:      ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 10, LockFor: 15 * time.Minute, Store: st, Now: now}),
		Codes:      ratelimit.NewLockouts(ratelimit.LockoutConfig{MaxFailures: 5, Store: st, Now: now}),
		// Upload chunks are bulk data, not guesses: counted as requests, a
		// 2 GiB upload in 2 MiB chunks ran out of the per-IP burst of 600
		// at 1.2 GiB. They are charged by bytes instead: 256 MiB/s
		// sustained (above the ~156 MB/s one upload reaches in
		// bench/README.md, so the budget does not slow an honest client)
		// with a burst of 1 GiB, per address and per account, so that no
		// one client, nor one account spread over many addresses, can
		// send the server bytes without bound.
		ChunkBytesPerIP:      ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 1 << 30, PerSecond: 256 << 20, Now: now}),
		ChunkBytesPerAccount: ratelimit.NewBytes(ratelimit.BytesConfig{Burst: 1 << 30, PerSecond: 256 << 20, Now: now}),
	}
}

// bulkChunk is the smallest upload chunk that is charged by bytes alone:
// an accepted chunk of this size or more gives back its per-IP request
// token. Smaller chunks still count as requests, so that a client cannot
// turn the byte budget into thousands of tiny synced writes a second; the
// clients' chunks (1 MiB by default, 2 MiB from the browser, at most the
// 4 MiB the server asks for) are all at least this.
const bulkChunk = 1 << 20

// API serves the routes of protocol.Routes.
type API struct {
	st       *store.Store
	sessions *session.Sessions
	opaque   *opaque.Server
	secrets  *secrets
	notifier notify.Sender
	log      *seallog.Log
	limits   Limits
	now      func() time.Time
	logger   *slog.Logger
	origin   string

	router     router
	handlers   []handler // by index in protocol.Routes; nil: not implemented
	chains     chains
	used       usedTokens
	webauthn   *webauthn.WebAuthn // nil: passkey routes answer 501
	ceremonies ceremonies
	// sealMu serializes seal uploads (h_envelopes_seal.go), so that an
	// envelope's leaf is logged once.
	sealMu sync.Mutex
}

// handler serves one route. It returns the JSON reply of a BodyJSON route
// (nil for BodyNone), or writes a binary reply itself and returns nil.
type handler func(c *call) (any, error)

// New returns the API for cfg.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil || cfg.Sessions == nil || cfg.OPAQUE == nil || cfg.Notifier == nil {
		return nil, errors.New("api: Store, Sessions, OPAQUE and Notifier are required")
	}
	a := &API{
		st: cfg.Store, sessions: cfg.Sessions, opaque: cfg.OPAQUE, notifier: cfg.Notifier, log: cfg.SealLog,
		limits: cfg.Limits, now: cfg.Now, logger: cfg.Logger, origin: strings.TrimSuffix(cfg.Origin, "/"),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	def := DefaultLimits(cfg.Store, a.now)
	if a.limits.PerIP == nil {
		a.limits.PerIP = def.PerIP
	}
	if a.limits.Guess == nil {
		a.limits.Guess = def.Guess
	}
	if a.limits.PerAccount == nil {
		a.limits.PerAccount = def.PerAccount
	}
	if a.limits.Login == nil {
		a.limits.Login = def.Login
	}
	if a.limits.Codes == nil {
		a.limits.Codes = def.Codes
	}
	if a.limits.ChunkBytesPerIP == nil {
		a.limits.ChunkBytesPerIP = def.ChunkBytesPerIP
	}
	if a.limits.ChunkBytesPerAccount == nil {
		a.limits.ChunkBytesPerAccount = def.ChunkBytesPerAccount
	}
	if a.limits.ChunkBytesPerIP.Burst() < protocol.MaxChunk || a.limits.ChunkBytesPerAccount.Burst() < protocol.MaxChunk {
		return nil, fmt.Errorf("api: the chunk byte budgets' bursts must be at least MaxChunk (%d bytes)", protocol.MaxChunk)
	}
	var err error
	if a.secrets, err = newSecrets(cfg.StateSecret); err != nil {
		return nil, err
	}
	if wa, err := newWebAuthn(a.origin); err == nil {
		a.webauthn = wa
	} else {
		a.logger.Warn("api: passkeys are off", "err", err)
	}
	a.ceremonies.m = make(map[store.ID]*ceremony)
	a.router = newRouter(protocol.Routes)
	a.handlers = make([]handler, len(protocol.Routes))
	byName := make(map[string]int, len(protocol.Routes))
	for i, r := range protocol.Routes {
		byName[r.Name] = i
	}
	for name, h := range a.routeHandlers() {
		i, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("api: handler for unknown route %q", name)
		}
		a.handlers[i] = h
	}
	a.chains.m = make(map[store.ID]*chainEntry)
	a.used.m = make(map[[32]byte]time.Time)
	return a, nil
}

// Unimplemented lists the names of the routes that answer 501.
func (a *API) Unimplemented() []string {
	var out []string
	for i, h := range a.handlers {
		if h == nil {
			out = append(out, protocol.Routes[i].Name)
		}
	}
	return out
}

// routeHandlers maps route names to handlers. Routes not listed answer 501.
func (a *API) routeHandlers() map[string]handler {
	m := map[string]handler{}
	for _, set := range []map[string]handler{a.authHandlers(), a.accountHandlers(), a.tenantHandlers(),
		a.folderHandlers(), a.documentHandlers(), a.grantHandlers(), a.auditHandlers(), a.logHandlers(), a.passkeyHandlers(),
		a.envelopeHandlers()} {
		for k, v := range set {
			m[k] = v
		}
	}
	return m
}

// call is one request on its way through the API.
type call struct {
	a      *API
	ctx    *fasthttp.RequestCtx
	route  *protocol.Route
	params map[string]string
	ip     netip.Addr
	now    time.Time
	req    protocol.Request

	// Set for routes that need a session.
	claims  session.Claims
	account *store.Account
	// Set for tenant routes.
	tenant *store.Tenant
	member *store.Member
	// Set for signer-link routes (h_envelopes_links.go).
	link *linkCall
}

// Handler returns the fasthttp handler of every path under
// protocol.APIPrefix. Other paths are not its business: vellumd sends
// them to the static pages.
func (a *API) Handler() fasthttp.RequestHandler {
	return a.serve
}

func (a *API) serve(ctx *fasthttp.RequestCtx) {
	c := &call{a: a, ctx: ctx, now: a.now()}
	c.ip = clientIP(ctx)
	reply, err := a.dispatch(c)
	if err != nil {
		a.writeError(c, err)
		return
	}
	if c.route == nil {
		return
	}
	switch c.route.Reply {
	case protocol.BodyNone:
		ctx.Response.ResetBody()
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case protocol.BodyJSON:
		b, err := protocol.EncodeJSON(reply)
		if err != nil {
			a.writeError(c, err)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	}
}

func clientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	ip, ok := netip.AddrFromSlice(ctx.RemoteIP())
	if !ok {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// errNotImplemented is the answer of a route without a handler.
var errNotImplemented = protocol.Errorf(protocol.CodeUnsupported, "this route is not implemented by this server yet")

func (a *API) dispatch(c *call) (any, error) {
	ctx := c.ctx
	path := string(ctx.Path())
	method := string(ctx.Method())
	idx, params, err := a.router.lookup(method, path)
	if err != nil {
		return nil, err
	}
	c.route, c.params = &protocol.Routes[idx], params
	ipKey := "ip/" + c.ip.String()
	if ok, wait := a.limits.PerIP.Take(ipKey); !ok {
		return nil, rateLimited(ctx, wait)
	}
	var names []string
	ctx.QueryArgs().VisitAll(func(k, _ []byte) { names = append(names, string(k)) })
	if err := c.route.CheckQuery(names); err != nil {
		return nil, err
	}
	if err := checkBodyShape(c); err != nil {
		return nil, err
	}
	if err := a.authorize(c); err != nil {
		return nil, err
	}
	h := a.handlers[idx]
	if h == nil {
		return nil, errNotImplemented
	}
	chunk := c.route.Name == chunkRoute
	if chunk {
		if err := c.takeChunkBytes(ipKey); err != nil {
			return nil, err
		}
	}
	if c.route.Body == protocol.BodyJSON {
		if c.req, err = protocol.DecodeRequest(c.route, ctx.PostBody()); err != nil {
			return nil, err
		}
	}
	reply, err := h(c)
	if err == nil && chunk && len(ctx.PostBody()) >= bulkChunk {
		// A stored chunk is bulk data, charged by its bytes: counted as a
		// request too, one large upload would run out of the address's
		// request burst (600 chunks of 2 MiB). Every other request — a
		// chunk refused anywhere, a small chunk, every other route — keeps
		// its token, so the per-IP bound on them is what it was.
		a.limits.PerIP.Give(ipKey)
	}
	return reply, err
}

// chunkRoute is the route whose requests are charged by bytes.
const chunkRoute = "uploads.chunk"

// takeChunkBytes charges an upload chunk, authenticated and within
// MaxChunk (so within the budgets' bursts), to its address's and its
// account's byte budgets, or answers rate_limited with Retry-After. If the
// account's budget refuses, the address's bytes are given back: nothing is
// stored, and the client will send the chunk again.
func (c *call) takeChunkBytes(ipKey string) error {
	n := int64(len(c.ctx.PostBody()))
	perIP, perAccount := c.a.limits.ChunkBytesPerIP, c.a.limits.ChunkBytesPerAccount
	if ok, wait := perIP.Take(ipKey, n); !ok {
		return rateLimited(c.ctx, wait)
	}
	if ok, wait := perAccount.Take("account/"+c.account.ID.String(), n); !ok {
		perIP.Give(ipKey, n)
		return rateLimited(c.ctx, wait)
	}
	return nil
}

// checkBodyShape refuses, before any authentication or parsing, a body over
// the route's limit, a body on a route that takes none, and a body of the
// wrong media type.
func checkBodyShape(c *call) error {
	h := &c.ctx.Request.Header
	n := h.ContentLength()
	body := c.ctx.PostBody()
	switch c.route.Body {
	case protocol.BodyNone:
		if n > 0 || len(body) > 0 {
			return protocol.Errorf(protocol.CodeBadRequest, "this route takes no body")
		}
		return nil
	}
	if n > c.route.MaxBody || len(body) > c.route.MaxBody {
		return protocol.Errorf(protocol.CodeTooLarge, "body over the limit of %d bytes", c.route.MaxBody)
	}
	want := "application/json"
	if c.route.Body == protocol.BodyBinary {
		want = "application/octet-stream"
	}
	ct, _, _ := strings.Cut(string(h.ContentType()), ";")
	if !strings.EqualFold(strings.TrimSpace(ct), want) {
		return protocol.Errorf(protocol.CodeBadRequest, "Content-Type must be %s", want)
	}
	return nil
}

func rateLimited(ctx *fasthttp.RequestCtx, wait time.Duration) error {
	secs := int(wait/time.Second) + 1
	ctx.Response.Header.Set("Retry-After", fmt.Sprint(secs))
	return protocol.Errorf(protocol.CodeRateLimited, "too many requests; retry in %d s", secs)
}

// take takes a token of limiter l for key, or returns a rate_limited error.
func (c *call) take(l interface {
	Take(string) (bool, time.Duration)
}, key string) error {
	if ok, wait := l.Take(key); !ok {
		return rateLimited(c.ctx, wait)
	}
	return nil
}

// writeError answers err as a protocol error. Errors that are not
// *protocol.Error are mapped by mapError; unexpected ones are logged and
// answered as internal, without their text.
func (a *API) writeError(c *call, err error) {
	e, status := a.mapError(c, err)
	body, jerr := protocol.EncodeJSON(e)
	if jerr != nil {
		body = []byte(`{"code":"internal","message":"internal error"}`)
	}
	retry := bytes.Clone(c.ctx.Response.Header.Peek("Retry-After"))
	var locked *ratelimit.LockedError
	if errors.As(err, &locked) && !locked.Until.IsZero() {
		retry = fmt.Appendf(nil, "%d", int(locked.Until.Sub(c.now)/time.Second)+1)
	}
	c.ctx.Response.Reset()
	if len(retry) > 0 {
		c.ctx.Response.Header.SetBytesV("Retry-After", retry)
	}
	c.ctx.SetStatusCode(status)
	c.ctx.SetContentType("application/json")
	c.ctx.SetBody(body)
}

// Sweep deletes expired uploads and the API's expired records. vellumd
// runs it periodically.
func (a *API) Sweep(ctx context.Context) error {
	if _, err := a.st.SweepUploads(); err != nil {
		return err
	}
	_, err := a.st.SweepAPI()
	a.used.prune(a.now())
	a.ceremonies.prune(a.now())
	return err
}
