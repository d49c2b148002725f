package httpd

import "github.com/valyala/fasthttp"

// ContentSecurityPolicy allows only Vellum's own scripts, styles and
// connections; no inline script or style; WebAssembly compilation
// ('wasm-unsafe-eval') for the client; no framing.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self'; " +
	"style-src 'self'; " +
	"img-src 'self' data: blob:; " +
	"font-src 'self'; " +
	"connect-src 'self'; " +
	"frame-src 'self' blob:; " +
	"manifest-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'self'; " +
	"frame-ancestors 'none'; " +
	"object-src 'none'"

// securityHeaders are set on every response, errors included.
var securityHeaders = [][2]string{
	{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
	{"Content-Security-Policy", ContentSecurityPolicy},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	// No Referer: a signing page's URL names an envelope.
	{"Referrer-Policy", "no-referrer"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	{"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), publickey-credentials-get=(self), publickey-credentials-create=(self)"},
}

// WithSecurityHeaders wraps next so that every response carries the security
// headers, and API responses are never cached.
func WithSecurityHeaders(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		next(ctx)
		SetSecurityHeaders(&ctx.Response.Header)
	}
}

// SetSecurityHeaders sets the security headers on h.
func SetSecurityHeaders(h *fasthttp.ResponseHeader) {
	for _, kv := range securityHeaders {
		h.Set(kv[0], kv[1])
	}
	if len(h.Peek("Cache-Control")) == 0 {
		h.Set("Cache-Control", "no-store")
	}
}
