//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The account functions need a server, which the browser test in web/
// provides (a real vellumd). Here, under Node, are what they do without
// one: argument checks, the codes and messages of errors, the streams
// between JavaScript and Go, and the storage without IndexedDB.

const someID = "AAAAAAAAAAAAAAAAAAAAAA" // a valid id (16 zero bytes)

func TestAppArguments(t *testing.T) {
	api := newAPI(newBridge())
	blob := js.Global().Get("Blob").New([]any{u8([]byte("hello"))})
	for _, tc := range []struct {
		fn   string
		args []any
		want Code
	}{
		{"login", []any{1, "pw"}, CodeBadArgument},
		{"login", []any{"a@example.com"}, CodeBadArgument},
		{"login", []any{"a@example.com", strings.Repeat("p", 5000)}, CodeTooLarge},
		{"register", nil, CodeBadArgument},
		{"folders", []any{"not an id!"}, CodeBadArgument},
		{"folders", []any{someID, "../x"}, CodeBadArgument},
		{"invite", []any{someID, "b@example.com", "king"}, CodeBadArgument},
		{"share", []any{someID, "file", someID, someID}, CodeBadArgument},
		{"upload", []any{someID, someID, "n", "not a source"}, CodeBadArgument},
		{"upload", []any{someID, someID, "n", jsReadableStream.New()}, CodeBadArgument},
		{"upload", []any{someID, someID, "n", blob, map[string]any{"size": 6}}, CodeBadArgument},
		{"upload", []any{someID, someID, "n", blob, map[string]any{"sise": 5}}, CodeBadArgument},
		{"upload", []any{someID, someID, "n", blob, map[string]any{"onProgress": 1}}, CodeBadArgument},
		{"download", []any{someID, someID, map[string]any{"version": -1}}, CodeBadArgument},
		{"download", []any{someID, someID, map[string]any{"version": 1.5}}, CodeBadArgument},
		{"download", []any{someID, someID, 7}, CodeBadArgument},
		{"changeRole", []any{someID, someID, "owner!"}, CodeBadArgument},
		{"cancel", []any{0}, CodeBadArgument},
		{"benchInside", []any{"nope", 1}, CodeBadArgument},
		{"benchInside", []any{"encrypt", 0}, CodeBadArgument},
		// Without a session, nothing reaches the network.
		{"tenants", nil, CodeNotLoggedIn},
		{"logout", nil, CodeNotLoggedIn},
		{"createFolder", []any{someID, "", "x"}, CodeNotLoggedIn},
		{"finishRegistration", []any{"123456"}, CodeNoPendingLogin},
		{"verifyDevice", []any{"123456"}, CodeNoPendingLogin},
		{"resendDeviceCode", nil, CodeNoPendingLogin},
	} {
		if got := callErr(t, api, tc.fn, tc.args...); got != string(tc.want) {
			t.Errorf("%s%v: code %s, want %s", tc.fn, tc.args, got, tc.want)
		}
	}
	if v := call(t, api, "session"); !v.IsNull() {
		t.Errorf("session() without a login = %v, want null", v)
	}
	if v := call(t, api, "cancel", 12345); v.Bool() {
		t.Error("cancel of an unknown op reported a cancellation")
	}
	r := call(t, api, "benchInside", "encrypt", 3<<20)
	if r.Get("bytes").Int() != 3<<20 || r.Get("ms").Float() <= 0 {
		t.Errorf("benchInside: bytes %v ms %v", r.Get("bytes"), r.Get("ms"))
	}
}

func TestErrorCodes(t *testing.T) {
	wrongPassword := fmt.Errorf("client: login: %w: %w",
		&protocol.Error{Code: protocol.CodeAuthFailed, Message: "wrong e-mail address or password"}, opaque.ErrWrongPassword)
	for _, tc := range []struct {
		err  error
		code Code
		msg  string // a substring of the message, if not ""
	}{
		{wrongPassword, "auth_failed", "wrong e-mail address or password"},
		{fmt.Errorf("client: tenants.get: %w", &protocol.Error{Code: protocol.CodeForbidden, Message: "not a member of this tenant"}), "forbidden", "not a member"},
		{fmt.Errorf("client: x: %w: %w", client.ErrNetwork, errors.New("connection refused")), CodeNetwork, "network"},
		{client.ErrLocked, CodeKeyringLocked, ""},
		{fmt.Errorf("client: document d: %w", client.ErrNoAccess), CodeNoAccess, ""},
		{fmt.Errorf("client: %w", account.ErrWrongRecoveryCode), CodeWrongRecoveryCode, ""},
		{fmt.Errorf("client: %w", account.ErrRecoveryCodeTypo), CodeRecoveryCodeTypo, ""},
		{fmt.Errorf("client: membership of t: %w", membership.ErrPinMismatch), CodePinMismatch, ""},
		{fmt.Errorf("client: membership of t: %w", membership.ErrKeyMismatch), CodeUntrusted, ""},
		{fmt.Errorf("client: %w", membership.ErrLastOwner), CodeLastOwner, ""},
		{fmt.Errorf("client: sharing with x: %w", membership.ErrUnknownMember), CodeNotMember, ""},
		{fmt.Errorf("client: upload: %w", context.Canceled), CodeCancelled, "cancelled"},
		{fmt.Errorf("client: download: %w", document.ErrCorrupted), CodeCorrupted, "altered or damaged"},
		{fmt.Errorf("client: download of d: %w: %w", client.ErrVersionNotSigned, document.ErrStatementMismatch), CodeVersionNotSigned, ""},
		{fmt.Errorf("client: folder f: %w", client.ErrInconsistent), CodeInconsistent, ""},
		{fmt.Errorf("client: download: %w", document.ErrTruncated), CodeTruncated, "cut short"},
		{&client.DeviceVerificationError{SentTo: "a•••@e•••.com", ExpiresAt: time.Unix(1e9, 0)}, CodeDeviceVerification, ""},
		{errors.New("age: unexpected intro: SECRET PLAINTEXT LINE"), CodeInternal, "internal error in the Vellum client"},
	} {
		if got := codeOf(tc.err); got != tc.code {
			t.Errorf("codeOf(%v) = %s, want %s", tc.err, got, tc.code)
		}
		if m := messageOf(tc.err); !strings.Contains(m, tc.msg) || strings.Contains(m, "SECRET") {
			t.Errorf("messageOf(%v) = %q, want it to hold %q", tc.err, m, tc.msg)
		}
	}
	e := jsErrorOf(&client.DeviceVerificationError{SentTo: "a•••@e•••.com", ExpiresAt: time.Unix(1e9, 0)})
	if e.Get("name").String() != "VellumError" || e.Get("sentTo").String() != "a•••@e•••.com" || e.Get("expiresAt").String() != "2001-09-09T01:46:40Z" {
		t.Errorf("device verification error: name %v sentTo %v expiresAt %v", e.Get("name"), e.Get("sentTo"), e.Get("expiresAt"))
	}
}

// newJSStream makes a ReadableStream that gives chunks, then closes, or
// errors with failWith if it is not "".
func newJSStream(chunks [][]byte, failWith string) js.Value {
	i := 0
	var pull js.Func
	pull = js.FuncOf(func(_ js.Value, a []js.Value) any {
		c := a[0]
		switch {
		case i < len(chunks):
			c.Call("enqueue", u8(chunks[i]))
			i++
		case failWith != "":
			c.Call("error", jsError.New(failWith))
		default:
			c.Call("close")
		}
		return nil
	})
	src := jsObject.New()
	src.Set("pull", pull)
	return jsReadableStream.New(src)
}

func TestSourceReader(t *testing.T) {
	data := make([]byte, 5<<20+123)
	rand.Read(data)
	var reported []float64
	report := js.FuncOf(func(_ js.Value, a []js.Value) any { reported = append(reported, a[0].Float()); return nil })
	defer report.Release()

	// A Blob, and a stream of uneven chunks (one larger than a read).
	blob := jsBlob.New([]any{u8(data)})
	chunks := [][]byte{data[:1], data[1:70000], data[70000 : 3<<20], data[3<<20:]}
	for name, src := range map[string]js.Value{"blob": blob, "stream": newJSStream(chunks, "")} {
		reported = nil
		r, err := newSourceReader(context.Background(), src, newProgress(report.Value, int64(len(data))))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: read %d bytes, %v; want %d", name, len(got), err, len(data))
		}
		if len(reported) == 0 || reported[len(reported)-1] != float64(len(data)) {
			t.Errorf("%s: progress %v, want it to end at %d", name, reported, len(data))
		}
	}

	// A failing stream, a locked one, a cancelled read.
	r, _ := newSourceReader(context.Background(), newJSStream([][]byte{data[:10]}, "disk went away"), &progress{})
	if _, err := io.ReadAll(r); codeOf(err) != CodeSource || !errors.Is(err, ErrSource) {
		t.Errorf("failing stream: %v (code %s)", err, codeOf(err))
	}
	locked := newJSStream(nil, "")
	locked.Call("getReader")
	if _, err := newSourceReader(context.Background(), locked, &progress{}); codeOf(err) != CodeBadArgument {
		t.Errorf("locked stream: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, _ = newSourceReader(ctx, newJSStream([][]byte{data}, ""), &progress{})
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

// drain reads a JavaScript ReadableStream to its end from Go.
func drain(t *testing.T, s js.Value) ([]byte, error) {
	t.Helper()
	rd := s.Call("getReader")
	var out []byte
	for {
		v, err := awaitJS(rd.Call("read"))
		if err != nil {
			return out, err
		}
		if v.Get("done").Bool() {
			return out, nil
		}
		out = append(out, goBytes(v.Get("value"))...)
	}
}

func TestReadableStream(t *testing.T) {
	data := make([]byte, 3*downloadChunk+17)
	rand.Read(data)
	var ended []js.Value
	end := js.FuncOf(func(_ js.Value, a []js.Value) any { ended = append(ended, a[0]); return nil })
	defer end.Release()

	closed := 0
	s := readableStream("test", bytes.NewReader(data), int64(len(data)), func() { closed++ }, end.Value, &progress{})
	got, err := drain(t, s)
	if err != nil || !bytes.Equal(got, data) || closed != 1 || len(ended) != 1 || !ended[0].IsNull() {
		t.Fatalf("whole stream: %d bytes, %v, closed %d, ended %v", len(got), err, closed, ended)
	}

	// Fewer bytes than promised: an error, never a clean end.
	ended, closed = nil, 0
	s = readableStream("test", bytes.NewReader(data[:100]), int64(len(data)), func() { closed++ }, end.Value, &progress{})
	if _, err := drain(t, s); err == nil {
		t.Error("a short stream ended cleanly")
	}
	if closed != 1 || len(ended) != 1 || ended[0].Get("code").String() != string(CodeTruncated) {
		t.Errorf("short stream: closed %d, ended %v", closed, ended)
	}

	// The reader cancels: the source is closed at once.
	ended, closed = nil, 0
	s = readableStream("test", bytes.NewReader(data), int64(len(data)), func() { closed++ }, end.Value, &progress{})
	rd := s.Call("getReader")
	if _, err := awaitJS(rd.Call("read")); err != nil {
		t.Fatal(err)
	}
	if _, err := awaitJS(rd.Call("cancel")); err != nil {
		t.Fatal(err)
	}
	if closed != 1 || len(ended) != 1 || ended[0].Get("code").String() != string(CodeCancelled) {
		t.Errorf("cancelled stream: closed %d, ended %v", closed, ended)
	}
}

// Node has no IndexedDB: the stores say so with their own code, and a
// login would go on without a trusted device.
func TestStorageUnavailable(t *testing.T) {
	s := newIDBStore()
	if _, err := s.LoadDevice(context.Background(), "a@example.com"); codeOf(err) != CodeStorage || !errors.Is(err, ErrStorage) {
		t.Errorf("LoadDevice without IndexedDB: %v", err)
	}
	if _, err := s.LoadPin(context.Background(), someID); codeOf(err) != CodeStorage {
		t.Errorf("LoadPin without IndexedDB: %v", err)
	}
}

func TestDeviceLabel(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36":                                   "Chrome on Linux",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":                           "Headless Chrome on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0":                   "Edge on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:120.0) Gecko/20100101 Firefox/120.0":                                                     "Firefox on macOS",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"": "A browser",
	} {
		if got := labelOf(ua); got != want {
			t.Errorf("labelOf(%q) = %q, want %q", ua, got, want)
		}
	}
}
