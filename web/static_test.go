package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"strings"
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

// TestAppRoutes: the links notices carry (/invite/<id>#<token>,
// /sign/<envelope>/<signer>#<secret>) and /verify open their pages; nothing
// else new is served as a page.
func TestAppRoutes(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":  {Data: []byte("<!doctype html>app")},
		"sign.html":   {Data: []byte("<!doctype html>sign")},
		"verify.html": {Data: []byte("<!doctype html>verify")},
	}
	h := StaticHandler(fsys)
	for uri, want := range map[string]string{
		"/invite/AbC-_123":  "app",
		"/invite/":          "",
		"/invite/a/b":       "",
		"/invite/a.js":      "",
		"/invites/abc":      "",
		"/sign/env1/sig2":   "sign",
		"/sign/env1":        "",
		"/sign/env1/":       "",
		"/sign//sig2":       "",
		"/sign/env1/sig2/x": "",
		"/sign/env1/a.js":   "",
		"/sign/../sig2":     "",
		"/verify":           "verify",
		"/verify/":          "",
		"/verify/x":         "",
		"/verifyx":          "",
	} {
		resp := serve(t, h, "GET", uri)
		status := 200
		if want == "" {
			status = 404
		}
		if resp.StatusCode() != status {
			t.Errorf("GET %s: %d, want %d", uri, resp.StatusCode(), status)
			continue
		}
		if status == 200 && string(resp.Body()) != "<!doctype html>"+want {
			t.Errorf("GET %s: body %q, want the %s page", uri, resp.Body(), want)
		}
	}
}

// TestCaching: a strong ETag from the content, 304 for a matching
// If-None-Match, and gzip for clients that accept it (decompressing to the
// same bytes), never for kinds that do not compress.
func TestCaching(t *testing.T) {
	big := bytes.Repeat([]byte("export const x = 1;\n"), 1000)
	fsys := fstest.MapFS{"app.js": {Data: big}, "logo.png": {Data: bytes.Repeat([]byte{1}, 4000)}}
	h := StaticHandler(fsys)
	resp := serve(t, h, "GET", "/app.js")
	etag := string(resp.Header.Peek("ETag"))
	if len(etag) < 10 || etag[0] != '"' || string(resp.Body()) != string(big) || len(resp.Header.Peek("Content-Encoding")) != 0 {
		t.Fatalf("plain GET: ETag %q, encoding %q, %d bytes", etag, resp.Header.Peek("Content-Encoding"), len(resp.Body()))
	}
	if got := string(resp.Header.Peek("Vary")); got != "Accept-Encoding" {
		t.Errorf("Vary %q", got)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("GET")
		ctx.Request.SetRequestURI("/app.js")
		ctx.Request.Header.Set("If-None-Match", inm)
		h(&ctx)
		if ctx.Response.StatusCode() != 304 || len(ctx.Response.Body()) != 0 {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304", inm, ctx.Response.StatusCode(), len(ctx.Response.Body()))
		}
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/app.js")
	ctx.Request.Header.Set("If-None-Match", `"stale"`)
	ctx.Request.Header.Set("Accept-Encoding", "br, gzip")
	h(&ctx)
	if ctx.Response.StatusCode() != 200 || string(ctx.Response.Header.Peek("Content-Encoding")) != "gzip" {
		t.Fatalf("gzip GET: %d, encoding %q", ctx.Response.StatusCode(), ctx.Response.Header.Peek("Content-Encoding"))
	}
	if string(ctx.Response.Header.Peek("ETag")) != etag {
		t.Error("the gzipped response has another ETag")
	}
	zr, err := gzip.NewReader(bytes.NewReader(ctx.Response.Body()))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, big) || len(ctx.Response.Body()) >= len(big) {
		t.Errorf("gzip body: %v, %d bytes from %d compressed, want %d", err, len(plain), len(ctx.Response.Body()), len(big))
	}
	var png fasthttp.RequestCtx
	png.Request.Header.SetMethod("GET")
	png.Request.SetRequestURI("/logo.png")
	png.Request.Header.Set("Accept-Encoding", "gzip")
	h(&png)
	if len(png.Response.Header.Peek("Content-Encoding")) != 0 || len(png.Response.Header.Peek("Vary")) != 0 {
		t.Error("a PNG was gzipped")
	}
}

// FuzzFileName: whatever path a client asks for, the name served is a
// valid, visible path of the file system, or nothing; a page route serves
// one of the pages.
func FuzzFileName(f *testing.F) {
	for _, seed := range []string{"/", "/index.html", "/invite/AbC", "/sign/e/s", "/sign/../s", "/verify", "/vendor/pdfjs/pdf.min.mjs",
		"/.git/config", "//etc/passwd", "/a/../../b", "/sign/e/s/", "/%2e%2e/x"} {
		f.Add(seed)
	}
	pages := map[string]bool{}
	for _, p := range appPages {
		pages[p.page] = true
	}
	f.Fuzz(func(t *testing.T, p string) {
		name, ok := fileName(p)
		if !ok {
			return
		}
		if !fs.ValidPath(name) {
			t.Fatalf("%q → %q: not a valid path", p, name)
		}
		for _, seg := range strings.Split(name, "/") {
			if strings.HasPrefix(seg, ".") {
				t.Fatalf("%q → %q: a hidden or dot segment", p, name)
			}
		}
		if name != strings.TrimPrefix(p, "/") && name != "index.html" && !pages[name] {
			t.Fatalf("%q → %q: neither the path nor a page", p, name)
		}
	})
}
