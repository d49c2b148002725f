package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/ratelimit"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// benchLoginAPI is an API over an in-memory store holding one account with
// a real OPAQUE record (one Argon2id at setup), and limits no benchmark
// reaches. It returns the handler and a login/start body for the account's
// address and one for an address without an account.
func benchLoginAPI(b *testing.B) (h fasthttp.RequestHandler, known, unknown []byte) {
	st, err := store.Open("db", &store.Options{FS: vfs.NewMem(), MemTableSize: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sess, _ := session.New(session.Config{Keyset: session.NewKeyset(time.Now())})
	osrv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		b.Fatal(err)
	}
	lim := func() *ratelimit.Limiter {
		return ratelimit.New(ratelimit.Config{Burst: 1 << 30, Refill: time.Nanosecond})
	}
	a, err := api.New(api.Config{Store: st, Sessions: sess, OPAQUE: osrv, Notifier: &notify.Recorder{},
		Limits: api.Limits{PerIP: lim(), Guess: lim(), PerAccount: lim()}, Logger: quietLogger(), Origin: "https://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	acct := &store.Account{ID: store.NewID(), Email: "bench@example.com", Created: time.Now()}
	password := []byte("correct horse battery staple")
	creg, rreq, err := opaque.StartRegistration(password)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := osrv.RegistrationResponse(rreq, []byte(acct.ID.String()))
	if err != nil {
		b.Fatal(err)
	}
	rec, _, err := creg.Finish(resp)
	if err != nil {
		b.Fatal(err)
	}
	acct.OpaqueRecord = rec.Bytes()
	if err := st.Update(func(tx *store.Tx) error { return tx.CreateAccount(acct) }); err != nil {
		b.Fatal(err)
	}
	_, ke1, err := opaque.StartLogin(password)
	if err != nil {
		b.Fatal(err)
	}
	body := func(email string) []byte {
		j, err := json.Marshal(&protocol.LoginStartRequest{Email: email, KE1: ke1.Bytes()})
		if err != nil {
			b.Fatal(err)
		}
		return j
	}
	return a.Handler(), body(acct.Email), body("nobody@example.com")
}

// quietLogger keeps benchmark output to result lines: go test -bench
// output is parsed by bench/ratios, which refuses anything else on a
// benchmark's line.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func runLoginStart(b *testing.B, h fasthttp.RequestHandler, body []byte) {
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI(protocol.PathLoginStart)
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.SetBody(body)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkLoginStart is the server's whole cost of a password login's
// first step, in process: routing, limits, strict JSON, the lock-out check
// and the account read in the store, OPAQUE KE2 and the sealed login
// state. Compare with keys/opaque's BenchmarkServerLoginStart, the
// protocol step alone.
func BenchmarkLoginStart(b *testing.B) {
	h, known, _ := benchLoginAPI(b)
	runLoginStart(b, h, known)
}

// BenchmarkLoginStartUnknown is BenchmarkLoginStart for an address without
// an account (OPAQUE's fake record): it must cost the same, or response
// time tells which addresses have accounts.
func BenchmarkLoginStartUnknown(b *testing.B) {
	h, _, unknown := benchLoginAPI(b)
	runLoginStart(b, h, unknown)
}
