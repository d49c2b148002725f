package web

import (
	"testing"
	"testing/fstest"

	"github.com/valyala/fasthttp"
)

func serve(t *testing.T, h fasthttp.RequestHandler, method, uri string) *fasthttp.Response {
	t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	h(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

func TestStaticHandler(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html>")},
		"worker.js":          {Data: []byte("export {}")},
		"vellum.wasm":        {Data: []byte("\x00asm")},
		"vellum.wasm.sha256": {Data: []byte("00  vellum.wasm\n")},
		"notes.md":           {Data: []byte("# not served")},
		".gitignore":         {Data: []byte("secret")},
		".hidden/x.js":       {Data: []byte("x")},
		"sub/page.html":      {Data: []byte("sub")},
	}
	h := StaticHandler(fsys)
	for _, tc := range []struct {
		method, uri string
		status      int
		typ, body   string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "<!doctype html>"},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", "<!doctype html>"},
		{"GET", "/worker.js", 200, "text/javascript; charset=utf-8", "export {}"},
		{"GET", "/vellum.wasm", 200, "application/wasm", "\x00asm"},
		{"GET", "/vellum.wasm.sha256", 200, "text/plain; charset=utf-8", "00  vellum.wasm\n"},
		{"GET", "/sub/page.html", 200, "text/html; charset=utf-8", "sub"},
		{"GET", "/worker.js?v=1", 200, "text/javascript; charset=utf-8", "export {}"},
		{"HEAD", "/worker.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/notes.md", 404, "", ""},
		{"GET", "/.gitignore", 404, "", ""},
		{"GET", "/.hidden/x.js", 404, "", ""},
		{"GET", "/missing.js", 404, "", ""},
		{"GET", "/sub", 404, "", ""},
		{"GET", "/sub/", 404, "", ""},
		{"GET", "/../static.go", 404, "", ""},
		{"GET", "/%2e%2e/static.go", 404, "", ""},
		{"POST", "/worker.js", 405, "", ""},
		{"PUT", "/index.html", 405, "", ""},
	} {
		resp := serve(t, h, tc.method, tc.uri)
		if resp.StatusCode() != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.uri, resp.StatusCode(), tc.status)
			continue
		}
		if tc.status != 200 {
			if string(resp.Body()) == "secret" || string(resp.Body()) == "# not served" {
				t.Errorf("%s %s served the file", tc.method, tc.uri)
			}
			continue
		}
		if got := string(resp.Header.ContentType()); got != tc.typ {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.uri, got, tc.typ)
		}
		if tc.method == "GET" && string(resp.Body()) != tc.body {
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.uri, resp.Body(), tc.body)
		}
		if got := string(resp.Header.Peek("Cache-Control")); got != "no-cache" {
			t.Errorf("%s %s: Cache-Control %q", tc.method, tc.uri, got)
		}
	}
	if got := string(serve(t, h, "POST", "/").Header.Peek("Allow")); got != "GET, HEAD" {
		t.Errorf("405 Allow %q", got)
	}
}
