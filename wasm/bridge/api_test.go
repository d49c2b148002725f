//go:build js && wasm

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"syscall/js"
	"testing"
)

// await waits for a Promise. The test goroutine blocks while the JavaScript
// event loop runs the callbacks.
func await(t *testing.T, p js.Value) (v js.Value, rejected js.Value) {
	t.Helper()
	if !p.InstanceOf(jsPromise) {
		t.Fatalf("got %s, want a Promise", p.Type())
	}
	type result struct{ v, err js.Value }
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{v: a[0]}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- result{err: a[0]}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

func call(t *testing.T, api js.Value, fn string, args ...any) js.Value {
	t.Helper()
	v, err := await(t, api.Call(fn, args...))
	if !err.IsUndefined() {
		t.Fatalf("%s: rejected: %s: %s", fn, err.Get("code"), err.Get("message"))
	}
	return v
}

// callErr calls fn, which must fail, and returns the error's code.
func callErr(t *testing.T, api js.Value, fn string, args ...any) string {
	t.Helper()
	v, err := await(t, api.Call(fn, args...))
	if err.IsUndefined() {
		t.Fatalf("%s: resolved with %v, want a rejection", fn, v)
	}
	if !err.InstanceOf(jsError) || err.Get("name").String() != "VellumError" {
		t.Fatalf("%s: rejected with %v, want a VellumError", fn, err)
	}
	return err.Get("code").String()
}

func u8(b []byte) js.Value { return bytesToJS(b) }

func goBytes(v js.Value) []byte {
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

func TestAPIStreams(t *testing.T) {
	api := newAPI(newBridge())
	key := call(t, api, "generateKey")
	if key.Get("handle").Type() != js.TypeNumber || !strings.HasPrefix(key.Get("recipient").String(), "age1") {
		t.Fatalf("generateKey gave %v", jsObject.Call("keys", key))
	}
	if n := jsObject.Call("keys", key).Length(); n != 2 {
		t.Errorf("generateKey's result has %d properties, want handle and recipient only", n)
	}
	plain := make([]byte, 200_000)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	want := sha256.Sum256(plain)

	enc := call(t, api, "encryptStart", key.Get("recipient"), map[string]any{"sha256": true})
	var ct []byte
	for p := plain; len(p) > 0; p = p[min(len(p), 70_000):] {
		ct = append(ct, goBytes(call(t, api, "push", enc, u8(p[:min(len(p), 70_000)])))...)
	}
	fin := call(t, api, "finish", enc)
	ct = append(ct, goBytes(fin.Get("data"))...)
	if got := fin.Get("sha256").String(); got != hex.EncodeToString(want[:]) {
		t.Errorf("encrypt sha256 %s, want %x", got, want)
	}

	dec := call(t, api, "decryptStart", key.Get("handle"))
	var got []byte
	for p := ct; len(p) > 0; p = p[min(len(p), 50_000):] {
		got = append(got, goBytes(call(t, api, "push", dec, u8(p[:min(len(p), 50_000)])))...)
	}
	fin = call(t, api, "finish", dec)
	got = append(got, goBytes(fin.Get("data"))...)
	if !bytes.Equal(got, plain) {
		t.Fatal("round trip through the JS API differs")
	}
	if !fin.Get("sha256").IsUndefined() {
		t.Error("finish gave a digest that was not asked for")
	}
	if code := callErr(t, api, "push", dec, u8([]byte{1})); code != string(CodeNotFound) {
		t.Errorf("push after finish: %s", code)
	}

	h := call(t, api, "hashStart")
	call(t, api, "push", h, u8(plain))
	if got := call(t, api, "finish", h).Get("sha256").String(); got != hex.EncodeToString(want[:]) {
		t.Errorf("hash %s, want %x", got, want)
	}
}

func TestAPIKeys(t *testing.T) {
	api := newAPI(newBridge())
	doc := call(t, api, "generateKey")
	folder := call(t, api, "generateKey")
	wrapped := call(t, api, "wrapKey", doc.Get("handle"), folder.Get("recipient"))
	if !wrapped.InstanceOf(jsUint8Array) || bytes.Contains(goBytes(wrapped), []byte("AGE-SECRET-KEY")) {
		t.Fatal("wrapKey did not return an age file")
	}
	un := call(t, api, "unwrapKey", wrapped, folder.Get("handle"))
	if un.Get("recipient").String() != doc.Get("recipient").String() {
		t.Error("unwrapped key has another recipient")
	}
	if got := call(t, api, "recipient", un.Get("handle")).String(); got != doc.Get("recipient").String() {
		t.Errorf("recipient() = %s", got)
	}
	if code := callErr(t, api, "unwrapKey", wrapped, doc.Get("handle")); code != string(CodeWrongKey) {
		t.Errorf("unwrap with the wrong key: %s", code)
	}
	if v := call(t, api, "releaseKey", un.Get("handle")); !v.IsUndefined() {
		t.Errorf("releaseKey resolved with %v", v)
	}
	if code := callErr(t, api, "recipient", un.Get("handle")); code != string(CodeNotFound) {
		t.Errorf("recipient of a released key: %s", code)
	}
}

func TestAPIBadArguments(t *testing.T) {
	api := newAPI(newBridge())
	key := call(t, api, "generateKey")
	s := call(t, api, "hashStart")
	for _, tc := range []struct {
		fn   string
		args []any
		want Code
	}{
		{"generateKey", []any{1}, CodeBadArgument},
		{"encryptStart", nil, CodeBadArgument},
		{"encryptStart", []any{42}, CodeBadArgument},
		{"encryptStart", []any{"age1nope"}, CodeMalformed},
		{"encryptStart", []any{strings.Repeat("a", 1000)}, CodeTooLarge},
		{"encryptStart", []any{key.Get("recipient"), map[string]any{"sha265": true}}, CodeBadArgument},
		{"encryptStart", []any{key.Get("recipient"), map[string]any{"sha256": "yes"}}, CodeBadArgument},
		{"encryptStart", []any{key.Get("recipient"), 1}, CodeBadArgument},
		{"decryptStart", []any{"1"}, CodeBadArgument},
		{"decryptStart", []any{1.5}, CodeBadArgument},
		{"decryptStart", []any{0}, CodeBadArgument},
		{"decryptStart", []any{-1}, CodeBadArgument},
		{"decryptStart", []any{1e10}, CodeBadArgument},
		{"decryptStart", []any{999}, CodeNotFound},
		{"decryptStart", []any{s}, CodeNotFound}, // a stream is not a key
		{"push", []any{s, "text"}, CodeBadArgument},
		{"push", []any{999, u8([]byte{1})}, CodeNotFound},
		{"unwrapKey", []any{[]any{1, 2}, key.Get("handle")}, CodeBadArgument},
		{"unwrapKey", []any{jsUint8Array.New(2 << 20), key.Get("handle")}, CodeTooLarge},
		{"wrapKey", []any{key.Get("handle")}, CodeBadArgument},
	} {
		if got := callErr(t, api, tc.fn, tc.args...); got != string(tc.want) {
			t.Errorf("%s%v: code %s, want %s", tc.fn, tc.args, got, tc.want)
		}
	}
	// The bad push above closed the stream.
	if code := callErr(t, api, "finish", s); code != string(CodeNotFound) {
		t.Errorf("finish after a bad push: %s", code)
	}
	big := call(t, api, "hashStart")
	if code := callErr(t, api, "push", big, jsUint8Array.New(MaxPush+1)); code != string(CodeTooLarge) {
		t.Errorf("oversize push: %s", code)
	}
	if code := callErr(t, api, "abort", big); code != string(CodeNotFound) {
		t.Errorf("abort after an oversize push: %s", code)
	}
}

func TestAPIInfo(t *testing.T) {
	api := newAPI(newBridge())
	if !jsObject.Call("isFrozen", api).Bool() {
		t.Error("the API object is not frozen")
	}
	v := api.Call("version")
	if v.Get("api").Int() != APIVersion || !strings.HasPrefix(v.Get("go").String(), "go") {
		t.Errorf("version() = api %v go %v", v.Get("api"), v.Get("go"))
	}
	call(t, api, "generateKey")
	m := api.Call("memStats")
	for _, f := range []string{"heapAlloc", "heapInuse", "heapSys", "sys", "totalAlloc", "numGC"} {
		if m.Get(f).Type() != js.TypeNumber {
			t.Errorf("memStats().%s is %s", f, m.Get(f).Type())
		}
	}
	if m.Get("heapSys").Float() < m.Get("heapAlloc").Float() || m.Get("keys").Int() != 1 {
		t.Errorf("memStats() = heapSys %v heapAlloc %v keys %v", m.Get("heapSys"), m.Get("heapAlloc"), m.Get("keys"))
	}
	if api.Get("maxPush").Int() != MaxPush || api.Get("apiVersion").Int() != APIVersion {
		t.Error("constants missing")
	}
}
