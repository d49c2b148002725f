//go:build js && wasm

package main

import (
	"encoding/hex"
	"strings"
	"syscall/js"
	"testing"

	"vellum.dev/vellum/internal/sealtest"
)

// verifySeal under Node, with no server: its argument checks, and real
// seals (internal/sealtest) checked with a key given or pinned. The page
// against a real vellumd is web/verify_page_test.go.
func TestVerifySealArguments(t *testing.T) {
	api := newAPI(newBridge())
	f := sealtest.NewFixture(t)
	digest := hex.EncodeToString(f.Digest[:])
	file := u8(f.File)
	key := f.Key.VerifierKey()
	for _, tc := range []struct {
		name string
		args []any
		want Code
	}{
		{"no arguments", nil, CodeBadArgument},
		{"no .seal file", []any{digest}, CodeBadArgument},
		{"four arguments", []any{digest, file, nil, nil}, CodeBadArgument},
		{"a digest of 63 digits", []any{digest[1:], file}, CodeBadArgument},
		{"a digest not in hex", []any{strings.Repeat("zz", 32), file}, CodeBadArgument},
		{"a digest as bytes", []any{u8(f.Digest[:]), file}, CodeBadArgument},
		{"a .seal file as a string", []any{digest, string(f.File)}, CodeBadArgument},
		{"a .seal file over the limit", []any{digest, u8(make([]byte, 1<<20+2))}, CodeTooLarge},
		{"a misspelled option", []any{digest, file, map[string]any{"logkey": key}}, CodeBadArgument},
		{"options not an object", []any{digest, file, "online"}, CodeBadArgument},
		{"online not a boolean", []any{digest, file, map[string]any{"online": "yes"}}, CodeBadArgument},
		{"a log key not a string", []any{digest, file, map[string]any{"logKey": 7}}, CodeBadArgument},
		{"a log key too long", []any{digest, file, map[string]any{"logKey": strings.Repeat("k", 2000)}}, CodeTooLarge},
		{"not a log key", []any{digest, file, map[string]any{"logKey": "log.vellum.test/seals"}}, CodeBadArgument},
		{"a private log key", []any{digest, file, map[string]any{"logKey": string(f.Key.MarshalSecret())}}, CodeBadArgument},
	} {
		if got := callErr(t, api, "verifySeal", tc.args...); got != string(tc.want) {
			t.Errorf("%s: code %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := callErr(t, api, "logKey", key); got != string(CodeBadArgument) {
		t.Errorf("logKey with an argument: code %s", got)
	}
}

func TestVerifySeal(t *testing.T) {
	api := newAPI(newBridge())
	f := sealtest.NewFixture(t)
	digest := hex.EncodeToString(f.Digest[:])
	given := map[string]any{"logKey": " " + f.Key.VerifierKey() + "\n"} // as pasted

	r := call(t, api, "verifySeal", digest, u8(f.File), given)
	if !r.Get("valid").Bool() || r.Get("failures").Length() != 0 {
		t.Fatalf("the genuine seal: %v", r.Get("failures"))
	}
	if d := r.Get("document"); d.Get("expected").String() != digest || d.Get("actual").String() != digest || !d.Get("match").Bool() {
		t.Errorf("document: %v %v", d.Get("expected"), d.Get("actual"))
	}
	s := r.Get("signers")
	if s.Length() != 2 || s.Index(0).Get("name").String() != "Carol Chen" || s.Index(1).Get("email").String() != "dora@example.org" ||
		s.Index(1).Get("kind").String() != "external" || s.Index(1).Get("attestation").String() != "pin-verified" ||
		!s.Index(0).Get("ok").Bool() || s.Index(0).Get("signedAt").String() != sealtest.T0.Format("2006-01-02T15:04:05Z") {
		t.Errorf("signers: %v", jsJSON(s))
	}
	if k := r.Get("logKey"); k.Get("source").String() != logKeyGiven || k.Get("name").String() != "log.vellum.test/seals" ||
		!strings.Contains(f.Key.VerifierKey(), "+"+k.Get("hash").String()+"+") {
		t.Errorf("log key: %v", jsJSON(k))
	}
	if l := r.Get("log"); !l.Get("verified").Bool() || l.Get("index").Int() != 6 || l.Get("size").Int() != 7 {
		t.Errorf("log: %v", jsJSON(l))
	}

	// One byte changed: the digest of another file.
	other := hex.EncodeToString(make([]byte, 32))
	r = call(t, api, "verifySeal", other, u8(f.File), given)
	fails := r.Get("failures")
	if r.Get("valid").Bool() || fails.Length() != 1 || fails.Index(0).Get("kind").String() != "hash-mismatch" ||
		fails.Index(0).Get("reason").String() != "the file is not the document that was sealed" ||
		r.Get("document").Get("actual").String() != other || r.Get("document").Get("match").Bool() {
		t.Errorf("another file: %v", jsJSON(r))
	}

	// A removed signature is the last signer's failure, named in their row.
	tampered := sealtest.Tamper(t, f.File)
	r = call(t, api, "verifySeal", digest, u8(tampered.SignatureRemoved), given)
	s2 := r.Get("signers").Index(1)
	if r.Get("valid").Bool() || s2.Get("ok").Bool() || s2.Get("failure").Get("kind").String() != "missing-signature" ||
		s2.Get("failure").Get("signer").Int() != 2 || !s2.Get("signedAt").IsNull() {
		t.Errorf("signature removed: %v", jsJSON(r))
	}

	// No key given, none built in and no server to publish one: checked
	// without a key, the report says so and why.
	r = call(t, api, "verifySeal", digest, u8(f.File))
	if r.Get("valid").Bool() || r.Get("logKey").Get("source").String() != logKeyNone ||
		r.Get("logKeyError").Get("code").String() != string(CodeNetwork) ||
		r.Get("failures").Length() != 1 || r.Get("failures").Index(0).Get("kind").String() != "no-log-key" {
		t.Errorf("no log key: %v", jsJSON(r))
	}
	// An unreachable server is no verdict on the seal.
	online := map[string]any{"logKey": f.Key.VerifierKey(), "online": true}
	r = call(t, api, "verifySeal", digest, u8(f.File), online)
	if !r.Get("valid").Bool() || !r.Get("onlineAsked").Bool() || r.Get("onlineError").Get("code").String() != string(CodeNetwork) ||
		!r.Get("logKeyError").IsUndefined() {
		t.Errorf("online, no server: %v", jsJSON(r))
	}

	// The key built in is used when none is given.
	pinnedLogKey = f.Key.VerifierKey()
	defer func() { pinnedLogKey = "" }()
	r = call(t, api, "verifySeal", digest, u8(f.File))
	if !r.Get("valid").Bool() || r.Get("logKey").Get("source").String() != logKeyPinned {
		t.Errorf("pinned: %v", jsJSON(r))
	}
	if k := call(t, api, "logKey"); k.Get("source").String() != logKeyPinned || k.Get("name").String() != "log.vellum.test/seals" {
		t.Errorf("logKey(): %v", jsJSON(k))
	}
	pinnedLogKey = "not a key"
	if k := call(t, api, "logKey"); k.Get("source").String() != logKeyNone || k.Get("error").Get("code").String() != string(CodeInternal) {
		t.Errorf("a bad pinned key: %v", jsJSON(k))
	}
}

func jsJSON(v js.Value) string { return js.Global().Get("JSON").Call("stringify", v).String() }
