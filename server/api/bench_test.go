package api_test

import (
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/server/api"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/session"
	"vellum.dev/vellum/server/store"
)

// benchAPI is an API over an in-memory store with one account and an
// access token for it.
func benchAPI(b *testing.B) (fasthttp.RequestHandler, string) {
	st, err := store.Open("db", &store.Options{FS: vfs.NewMem(), MemTableSize: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sess, _ := session.New(session.Config{Keyset: session.NewKeyset(time.Now())})
	osrv, _ := opaque.NewServer(opaque.NewServerKey())
	a, err := api.New(api.Config{Store: st, Sessions: sess, OPAQUE: osrv, Notifier: &notify.Recorder{}, Limits: *generousLimits(st),
		Logger: quietLogger(), Origin: "https://localhost"})
	if err != nil {
		b.Fatal(err)
	}
	acct := &store.Account{ID: store.NewID(), Email: "bench@example.com", Created: time.Now()}
	if err := st.Update(func(tx *store.Tx) error { return tx.CreateAccount(acct) }); err != nil {
		b.Fatal(err)
	}
	tok, _, err := sess.Issue(session.Claims{Account: acct.ID, Kind: session.KindAccess})
	if err != nil {
		b.Fatal(err)
	}
	return a.Handler(), tok
}

func runHandler(b *testing.B, h fasthttp.RequestHandler, tok string) {
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI("/api/v1/account")
		ctx.Request.Header.Set("Authorization", "Bearer "+tok)
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkAuthenticatedGet is one authenticated API call in process:
// routing, the per-IP limit, opening the session token, the account read,
// the JSON reply. Compare with BenchmarkBaselineHandler.
func BenchmarkAuthenticatedGet(b *testing.B) {
	h, tok := benchAPI(b)
	runHandler(b, h, tok)
}

// BenchmarkBaselineHandler is a fasthttp handler that answers a fixed JSON
// body: the floor the API's per-call cost is measured against.
func BenchmarkBaselineHandler(b *testing.B) {
	body := []byte(`{"accountId":"AAAAAAAAAAAAAAAAAAAAAA","email":"bench@example.com"}`)
	runHandler(b, func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
	}, "x")
}
