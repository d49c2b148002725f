package httpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/protocol"
)

// Config is what Listen needs. Zero durations and sizes take the defaults
// below, chosen so a slow or hostile client cannot hold a connection or
// memory for long.
type Config struct {
	// Addr is the address to listen on, such as "localhost:8443".
	Addr string
	// TLS is the TLS configuration; see TLSConfig. A nil TLS serves plain
	// HTTP, which only tests of this package use: vellumd always sets it.
	TLS *tls.Config
	// Handler serves every request; WithSecurityHeaders is applied to it.
	Handler fasthttp.RequestHandler
	// MaxRequestBodySize caps every request body; larger ones get 413.
	MaxRequestBodySize int
	// ReadTimeout bounds reading one whole request, headers and body: a
	// client that trickles bytes (slowloris) is cut off at this deadline.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one response.
	WriteTimeout time.Duration
	// IdleTimeout bounds waiting for the next request on a kept-alive
	// connection.
	IdleTimeout time.Duration
	// MaxConnsPerIP bounds concurrent connections from one address; more
	// are closed on accept.
	MaxConnsPerIP int
	// Logger receives connection-level errors; never request bodies.
	Logger *slog.Logger
}

const (
	DefaultMaxRequestBodySize = protocol.MaxChunk + 64<<10
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 2 * time.Minute
	DefaultIdleTimeout        = 60 * time.Second
	DefaultMaxConnsPerIP      = 256
)

// Server is a listening fasthttp server. Serve blocks; Shutdown stops it.
type Server struct {
	srv   *fasthttp.Server
	ln    net.Listener
	perIP *perIPListener
}

// Listen opens the listener (so the address, including a chosen port, is
// known before Serve) and prepares the server.
func Listen(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("httpd: no handler")
	}
	if cfg.MaxRequestBodySize == 0 {
		cfg.MaxRequestBodySize = DefaultMaxRequestBodySize
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	tcp, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("httpd: %w", err)
	}
	perIP := newPerIPListener(tcp, cfg.MaxConnsPerIP)
	var ln net.Listener = perIP
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	ln = &closeOnceListener{Listener: ln}
	srv := &fasthttp.Server{
		Handler:               WithSecurityHeaders(cfg.Handler),
		ErrorHandler:          errorHandler,
		MaxRequestBodySize:    cfg.MaxRequestBodySize,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		NoDefaultServerHeader: true,
		SecureErrorLogMessage: true,
		CloseOnShutdown:       true,
		ReadBufferSize:        16 << 10,
		Logger:                slogAdapter{cfg.Logger},
	}
	return &Server{srv: srv, ln: ln, perIP: perIP}, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown; it then returns nil.
func (s *Server) Serve() error {
	err := s.srv.Serve(s.ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits, until ctx is done, for
// running handlers to finish. Only after it returns may the caller close the
// store: closing Pebble under waiting writers can hang (DESIGN.md §9).
//
// A Shutdown before Serve is honoured: fasthttp's own Shutdown does nothing
// until Serve has started, which would leave a later Serve running, so the
// listener is closed here first and that Serve returns at once.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.ln.Close(); err != nil {
		return fmt.Errorf("httpd: closing the listener: %w", err)
	}
	return s.srv.ShutdownWithContext(ctx)
}

// closeOnceListener closes its listener once; later calls return nil, so
// that Shutdown and fasthttp may both close it.
type closeOnceListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *closeOnceListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// errorHandler answers requests fasthttp could not parse: oversize bodies,
// timeouts and malformed requests, each with a protocol error body.
func errorHandler(ctx *fasthttp.RequestCtx, err error) {
	status, code, msg := fasthttp.StatusBadRequest, protocol.CodeBadRequest, "malformed HTTP request"
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, code, msg = fasthttp.StatusRequestEntityTooLarge, protocol.CodeTooLarge, "request body over the limit"
	case errors.As(err, &netErr) && netErr.Timeout():
		status, code, msg = fasthttp.StatusRequestTimeout, protocol.CodeBadRequest, "request not received in time"
	}
	WriteError(ctx, status, protocol.Errorf(code, "%s", msg))
	ctx.SetConnectionClose()
	SetSecurityHeaders(&ctx.Response.Header)
}

// WriteError writes a protocol error body with the given HTTP status.
func WriteError(ctx *fasthttp.RequestCtx, status int, e *protocol.Error) {
	body, err := protocol.EncodeJSON(e)
	if err != nil {
		body = []byte(`{"code":"internal","message":"internal error"}`)
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, args ...any) {
	a.l.Warn("http", "msg", fmt.Sprintf(format, args...))
}
