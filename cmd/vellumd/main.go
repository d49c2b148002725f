// Command vellumd is the Vellum server: it stores only ciphertext, public
// keys, wrapped keys and signed statements, and brokers keys between the
// people allowed to hold them (DESIGN.md §4).
//
//	vellumd [-addr localhost:8443] [-data ./data] [-secrets DIR] [-cert FILE -key FILE]
//	        [-origin https://host] [-smtp-addr host:587 -smtp-from ADDR ...] [-sms-url URL ...]
//	        [-ip-rate 20]
//
// The Pebble database is <data>/db. The server's secrets — the OPAQUE
// server key (whose OPRF seed makes a stolen database useless for testing
// passwords), the session keyset, the seal log key and the login-state
// secret — live in their own directory (-secrets, by default "secrets"
// beside the data directory), each file 0600; back them up apart from the
// database. Without -cert and -key, a self-signed certificate for localhost
// is made on first run and kept in <data>/tls.
//
// Every flag can also be set in the environment as VELLUM_<FLAG> (dashes as
// underscores, upper case). Passwords and tokens are read from the
// environment only (VELLUM_SMTP_PASSWORD, VELLUM_SMS_TOKEN), never from the
// command line, where other users of the machine can read them.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
	"vellum.dev/vellum/web"
)

type config struct {
	addr, data, secrets, cert, key, origin, logOrigin string
	smtpAddr, smtpFrom, smtpUser, smtpSecurity        string
	smsURL, smsFrom                                   string
	// ipRate is the API requests per second allowed to one client
	// address, with a burst of ipBurstSeconds' worth.
	ipRate int
	// uploadRate is the upload bytes per second, in MiB, allowed to one
	// client address, with a burst of uploadBurstSeconds' worth.
	uploadRate int
	// init: make the secrets that are missing, print the seal log's
	// verifier key and exit, so that a build can pin it (make build).
	init bool
}

// defaultIPRate and ipBurstSeconds are api.DefaultLimits' per-IP limit:
// 20 requests a second, a burst of 600.
const (
	defaultIPRate  = 20
	ipBurstSeconds = 30
	maxIPRate      = 1_000_000_000
)

// defaultUploadRate (MiB/s) and uploadBurstSeconds are api.DefaultLimits'
// per-address byte budget of upload chunks: 256 MiB/s, a burst of 1 GiB.
const (
	defaultUploadRate  = 256
	uploadBurstSeconds = 4
	maxUploadRate      = 1 << 20 // 1 TiB/s
	// minUploadRate gives a burst of protocol.MaxChunk: a smaller burst
	// could never pass a full chunk (api.New refuses it).
	minUploadRate = (protocol.MaxChunk >> 20) / uploadBurstSeconds
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], logger); err != nil {
		fmt.Fprintln(os.Stderr, "vellumd:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	c := new(config)
	fset := flag.NewFlagSet("vellumd", flag.ContinueOnError)
	fset.StringVar(&c.addr, "addr", "localhost:8443", "address to listen on")
	fset.StringVar(&c.data, "data", "./data", "data directory (the Pebble database is <data>/db)")
	fset.StringVar(&c.secrets, "secrets", "", `directory of the server's secrets, kept apart from the database (default "secrets" beside the data directory)`)
	fset.StringVar(&c.cert, "cert", "", "TLS certificate chain (PEM); with -key. Default: a self-signed localhost certificate")
	fset.StringVar(&c.key, "key", "", "TLS private key (PEM)")
	fset.StringVar(&c.origin, "origin", "", "public origin used in links, such as https://vellum.example.com (default https://<addr>)")
	fset.StringVar(&c.logOrigin, "log-origin", "", "name of the public seal log (default <origin host>/seals)")
	fset.StringVar(&c.smtpAddr, "smtp-addr", "", "SMTP submission server host:port; without it, notices are printed on the console")
	fset.StringVar(&c.smtpFrom, "smtp-from", "", "sender address of e-mail notices")
	fset.StringVar(&c.smtpUser, "smtp-user", "", "SMTP user (password in VELLUM_SMTP_PASSWORD)")
	fset.StringVar(&c.smtpSecurity, "smtp-security", "starttls", "starttls, tls, or plaintext (a local relay only)")
	fset.StringVar(&c.smsURL, "sms-url", "", "HTTPS SMS gateway endpoint (token in VELLUM_SMS_TOKEN); without it, SMS notices are printed on the console")
	fset.StringVar(&c.smsFrom, "sms-from", "Vellum", "sender ID of SMS notices")
	fset.IntVar(&c.ipRate, "ip-rate", defaultIPRate, "API requests per second per client address, with a burst of 30 seconds' worth. "+
		"Behind a reverse proxy every client shares the proxy's address: raise it there")
	fset.BoolVar(&c.init, "init", false, "make the secrets that are missing, print the seal log's public key (what clients and the CLI pin) and exit")
	fset.IntVar(&c.uploadRate, "upload-rate", defaultUploadRate, "upload MiB per second per client address, with a burst of 4 seconds' worth "+
		"(each account has its own budget of the default besides). Behind a reverse proxy every client shares the proxy's address: raise it there")
	// Environment first, flags over it.
	var envErr error
	fset.VisitAll(func(f *flag.Flag) {
		name := "VELLUM_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fset.Parse(args); err != nil {
		return nil, err
	}
	if fset.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fset.Arg(0))
	}
	if c.ipRate < 1 || c.ipRate > maxIPRate {
		return nil, fmt.Errorf("-ip-rate must be between 1 and %d", maxIPRate)
	}
	if c.uploadRate < minUploadRate || c.uploadRate > maxUploadRate {
		return nil, fmt.Errorf("-upload-rate must be between %d and %d (MiB per second)", minUploadRate, maxUploadRate)
	}
	if c.secrets == "" {
		abs, err := filepath.Abs(c.data)
		if err != nil {
			return nil, err
		}
		c.secrets = filepath.Join(filepath.Dir(abs), "secrets")
	}
	if c.origin == "" {
		c.origin = "https://" + c.addr
	}
	if c.logOrigin == "" {
		host := strings.TrimPrefix(strings.TrimPrefix(c.origin, "https://"), "http://")
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		c.logOrigin = host + "/seals"
	}
	return c, nil
}

// run starts the server and serves until SIGINT or SIGTERM.
func run(args []string, logger *slog.Logger) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if c.init {
		return initSecrets(c, os.Stdout)
	}
	ready := make(chan string, 1)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if url, ok := <-ready; ok {
			fmt.Fprintf(os.Stderr, "\nvellumd is serving at %s\n", url)
			fmt.Fprintf(os.Stderr, "First: open it in a browser and create your account, then your company.\n")
			if pub, err := os.ReadFile(filepath.Join(c.secrets, sealLogPub)); err == nil {
				fmt.Fprintf(os.Stderr, "Seal log key (what verifiers pin; also in %s):\n  %s", filepath.Join(c.secrets, sealLogPub), pub)
				fmt.Fprintf(os.Stderr, "Verify a sealed file: %s/verify, or: vellum verify -log-key %s FILE FILE.seal\n", url, strings.TrimSpace(string(pub)))
			}
			fmt.Fprintf(os.Stderr, "Back up %s apart from %s: without it no password can be checked again.\n\n", c.secrets, c.data)
		}
	}()
	return serve(ctx, c, logger, ready)
}

// serve runs the server until ctx is done, then shuts down in order: stop
// HTTP and drain handlers, then close Pebble (DESIGN.md §9).
func serve(ctx context.Context, c *config, logger *slog.Logger, ready chan<- string) error {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return err
	}
	sec, err := openSecrets(c)
	if err != nil {
		return err
	}
	dbDir := filepath.Join(c.data, "db")
	st, err := store.Open(dbDir, nil)
	if err != nil {
		return err
	}
	storeOpen := true
	defer func() {
		if storeOpen {
			st.Close()
		}
	}()
	sessions, err := session.New(session.Config{Keyset: sec.keyset})
	if err != nil {
		return err
	}
	osrv, err := opaque.NewServer(sec.opaque)
	if err != nil {
		return err
	}
	lg, err := seallog.NewLog(api.SealStorage(st), sec.sealLog)
	if err != nil {
		return err
	}
	notifier, err := newNotifier(c)
	if err != nil {
		return err
	}
	var limits api.Limits // zero fields take api.DefaultLimits
	if c.ipRate != defaultIPRate {
		limits.PerIP = ratelimit.New(ratelimit.Config{Burst: ipBurstSeconds * c.ipRate, Refill: time.Second / time.Duration(c.ipRate)})
	}
	if c.uploadRate != defaultUploadRate {
		perSecond := int64(c.uploadRate) << 20
		limits.ChunkBytesPerIP = ratelimit.NewBytes(ratelimit.BytesConfig{Burst: uploadBurstSeconds * perSecond, PerSecond: perSecond})
	}
	a, err := api.New(api.Config{
		Store: st, Sessions: sessions, OPAQUE: osrv, StateSecret: sec.state, Notifier: notifier, SealLog: lg,
		Limits: limits, Logger: logger, Origin: c.origin,
	})
	if err != nil {
		return err
	}
	cert, err := httpd.LoadCertificate(c.cert, c.key, filepath.Join(c.data, "tls"))
	if err != nil {
		return err
	}
	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		return err
	}
	if _, err := fs.Stat(static, "vellum.wasm"); err != nil {
		// The pages would load and then fail in the worker: say why now.
		logger.Error("this vellumd was built without the browser client (web/static/vellum.wasm): the web app cannot work; build with `make build` or `make run`, which run scripts/build-wasm.sh first")
	}
	hs, err := httpd.Listen(httpd.Config{Addr: c.addr, TLS: httpd.TLSConfig(cert), Handler: handler(a.Handler(), web.StaticHandler(static)), Logger: logger})
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve() }()
	sweepDone := make(chan struct{})
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	go func() {
		defer close(sweepDone)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-sweepCtx.Done():
				return
			case <-t.C:
				if err := a.Sweep(sweepCtx); err != nil && !errors.Is(err, store.ErrClosed) {
					logger.Error("vellumd: sweep failed", "err", err)
				}
			}
		}
	}()
	if ready != nil {
		_, port, _ := net.SplitHostPort(hs.Addr().String())
		host, _, _ := net.SplitHostPort(c.addr)
		if host == "" {
			host = "localhost"
		}
		ready <- "https://" + net.JoinHostPort(host, port)
		close(ready)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	logger.Info("vellumd: shutting down")
	stopSweep()
	<-sweepDone
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Error("vellumd: HTTP shutdown", "err", err)
	}
	if serveErr == nil {
		serveErr = <-served
	}
	storeOpen = false
	if err := st.Close(); err != nil {
		return err
	}
	return serveErr
}

// handler sends API paths to the API and everything else to the pages.
func handler(apiH, static fasthttp.RequestHandler) fasthttp.RequestHandler {
	prefix := []byte(protocol.APIPrefix + "/")
	return func(ctx *fasthttp.RequestCtx) {
		if p := ctx.Path(); bytes.HasPrefix(p, prefix) || string(p) == protocol.APIPrefix {
			apiH(ctx)
			return
		}
		static(ctx)
	}
}

func inside(dir, db string) (bool, error) {
	a, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	b, err := filepath.Abs(db)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(b, a)
	return err == nil && !strings.HasPrefix(rel, ".."), nil
}

func newNotifier(c *config) (notify.Sender, error) {
	mux := &notify.Mux{}
	var console *notify.Console
	consoleOnce := func() *notify.Console {
		if console == nil {
			console = notify.NewConsole(os.Stderr)
		}
		return console
	}
	if c.smtpAddr != "" {
		sec := map[string]notify.Security{"starttls": notify.StartTLS, "tls": notify.ImplicitTLS, "plaintext": notify.Plaintext}
		s, ok := sec[c.smtpSecurity]
		if !ok {
			return nil, fmt.Errorf("-smtp-security must be starttls, tls or plaintext")
		}
		host, _, _ := net.SplitHostPort(c.smtpAddr)
		smtp, err := notify.NewSMTP(notify.SMTPConfig{
			Addr: c.smtpAddr, Security: s, Username: c.smtpUser, Password: os.Getenv("VELLUM_SMTP_PASSWORD"),
			From: c.smtpFrom, HelloName: host,
		})
		if err != nil {
			return nil, err
		}
		mux.Email = smtp
	} else {
		mux.Email = consoleOnce()
	}
	if c.smsURL != "" {
		sms, err := notify.NewSMSGateway(notify.SMSConfig{URL: c.smsURL, BearerToken: os.Getenv("VELLUM_SMS_TOKEN"), From: c.smsFrom})
		if err != nil {
			return nil, err
		}
		mux.SMS = sms
	} else {
		mux.SMS = consoleOnce()
	}
	return mux, nil
}

// initSecrets is -init: it makes the secrets that are missing and writes
// the seal log's verifier key to w, for a build to pin it in the clients.
func initSecrets(c *config, w io.Writer) error {
	sec, err := openSecrets(c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, sec.sealLog.VerifierKey())
	return err
}

// openSecrets loads the secrets of c, making those missing, after checking
// that they are kept apart from the database.
func openSecrets(c *config) (*secrets, error) {
	if same, err := inside(c.secrets, filepath.Join(c.data, "db")); err != nil {
		return nil, err
	} else if same {
		return nil, errors.New("the secrets directory must not be inside the database directory")
	}
	return loadSecrets(c.secrets, c.logOrigin)
}

// secrets are the server's keys, kept outside the database.
type secrets struct {
	opaque  *opaque.ServerKey
	keyset  *session.Keyset
	sealLog *seallog.SignerKey
	state   []byte
}

// loadSecrets loads the secrets in dir, making each on first run. Every
// file is 0600 in a 0700 directory; a file others can read is refused.
func loadSecrets(dir, logOrigin string) (*secrets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s := new(secrets)
	b, err := loadOrCreate(filepath.Join(dir, "opaque-server.key"), func() []byte { return opaque.NewServerKey().MarshalSecret() })
	if err != nil {
		return nil, err
	}
	if s.opaque, err = opaque.ParseServerKey(b); err != nil {
		return nil, fmt.Errorf("opaque-server.key: %w", err)
	}
	clear(b)
	if s.keyset, _, err = session.LoadOrCreateKeyset(filepath.Join(dir, "session.keyset"), time.Now()); err != nil {
		return nil, err
	}
	b, err = loadOrCreate(filepath.Join(dir, "seal-log.key"), func() []byte {
		k, err := seallog.GenerateKey(logOrigin)
		if err != nil {
			return nil
		}
		return k.MarshalSecret()
	})
	if err != nil {
		return nil, err
	}
	if s.sealLog, err = seallog.ParseSignerKey(string(b)); err != nil {
		return nil, fmt.Errorf("seal-log.key: %w", err)
	}
	if err := writePublic(filepath.Join(dir, sealLogPub), []byte(s.sealLog.VerifierKey()+"\n")); err != nil {
		return nil, err
	}
	if s.state, err = loadOrCreate(filepath.Join(dir, "state.key"), func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	}); err != nil {
		return nil, err
	}
	if len(s.state) != 32 {
		return nil, errors.New("state.key: not 32 bytes")
	}
	return s, nil
}

const maxSecretFile = 64 << 10

// sealLogPub is the file, beside seal-log.key, that holds the log's public
// verifier key: what verifiers pin (vellum verify -log-key, or a client
// built with VELLUM_LOG_KEY). It is rewritten at each start, so it always
// matches the private key.
const sealLogPub = "seal-log.pub"

// writePublic writes a public file (0644) atomically, unless it already
// holds b.
func writePublic(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadOrCreate reads a secret file, or writes mk's output to it (0600,
// atomically) if there is none.
func loadOrCreate(path string, mk func() []byte) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		b := mk()
		if len(b) == 0 {
			return nil, fmt.Errorf("%s: could not make a new secret", filepath.Base(path))
		}
		return b, writeSecret(path, b)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %v: a secret file must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	if fi.Size() > maxSecretFile {
		return nil, fmt.Errorf("%s is too large to be a secret of vellumd", path)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, err
	}
	return b, nil
}

func writeSecret(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
