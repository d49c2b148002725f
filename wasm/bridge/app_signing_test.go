//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"testing"

	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The signing functions' argument checks and refusals, without a server
// (web/signer_page_test.go runs them against a real vellumd).

func TestSigningArguments(t *testing.T) {
	api := newAPI(newBridge())
	l, err := link.New("https://vellum.example", someID, someID)
	if err != nil {
		t.Fatal(err)
	}
	url := l.URL()
	for _, tc := range []struct {
		name string
		fn   string
		args []any
		want Code
	}{
		{"no PIN", "openSigningLink", []any{url}, CodeBadArgument},
		{"PIN too long", "openSigningLink", []any{url, strings.Repeat("1", maxPINArg+1)}, CodeTooLarge},
		{"five digits", "openSigningLink", []any{url, "12345"}, CodeBadPIN},
		{"letters", "openSigningLink", []any{url, "12a456"}, CodeBadPIN},
		{"no secret", "openSigningLink", []any{strings.Split(url, "#")[0], "123456"}, CodeBadLink},
		{"cut secret", "openSigningLink", []any{url[:len(url)-3], "123456"}, CodeBadLink},
		{"http", "openSigningLink", []any{"http" + strings.TrimPrefix(url, "https"), "123456"}, CodeBadLink},
		// A good link and PIN for another server than this page's: refused
		// before anything is sent.
		{"other server", "openSigningLink", []any{url, "123 456"}, CodeLinkOrigin},
		{"bad envelope id", "openEnvelope", []any{someID, "x/y"}, CodeBadArgument},
		{"member without session", "openEnvelope", []any{someID, someID}, CodeNotLoggedIn},
		{"handle 0", "signingRefresh", []any{0}, CodeBadArgument},
		{"handle string", "signingSign", []any{"1"}, CodeBadArgument},
		{"unknown handle", "signingRefresh", []any{7}, CodeNotFound},
		{"unknown handle", "signingDocument", []any{7}, CodeNotFound},
		{"unknown handle", "signingSeal", []any{7}, CodeNotFound},
		{"unknown handle", "signingDecline", []any{7, "no"}, CodeNotFound},
		{"unknown handle", "signingDownloadSealed", []any{7}, CodeNotFound},
	} {
		if got := callErr(t, api, tc.fn, tc.args...); got != string(tc.want) {
			t.Errorf("%s: %s: code %s, want %s", tc.name, tc.fn, got, tc.want)
		}
	}
	// No refusal quotes the link's secret or the PIN typed.
	secret := url[strings.Index(url, "#")+1:]
	for _, args := range [][]any{
		{url, "98765"}, {url, "98x765"}, {url[:len(url)-3], "987654"}, {url, "987 654"},
		{url, strings.Repeat("9", maxPINArg+1)}, {"https://other.example/" + url, "987654"},
	} {
		_, e := await(t, api.Call("openSigningLink", args...))
		if e.IsUndefined() {
			t.Fatalf("openSigningLink(%q) resolved", args[1])
		}
		if msg := e.Get("message").String(); strings.Contains(msg, secret[:8]) || strings.Contains(msg, "9876") ||
			strings.Contains(msg, "98x7") || strings.Contains(msg, "999999") {
			t.Errorf("%s: the message quotes the secret or the PIN: %q", e.Get("code"), msg)
		}
	}
	if v := call(t, api, "signingClose", 7); v.Bool() {
		t.Error("signingClose of an unknown handle reported a close")
	}
}

// TestTurnOf checks the reason a signer may not act now, for each state
// the page shows plainly.
func TestTurnOf(t *testing.T) {
	signer := func(id string, order int, st protocol.SignerState) protocol.SignerStatus {
		return protocol.SignerStatus{SignerID: id, Name: "Signer " + id, Order: order, State: st}
	}
	first, second := "A", "B"
	for _, tc := range []struct {
		name    string
		status  protocol.EnvelopeStatus
		signers []protocol.SignerStatus
		me      string
		want    Code // "" for may act
		msg     string
	}{
		{"parallel", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerPending), signer(second, 1, protocol.SignerOpened)}, second, "", ""},
		{"first in order", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerOpened), signer(second, 2, protocol.SignerPending)}, first, "", ""},
		{"second before first", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerOpened), signer(second, 2, protocol.SignerOpened)}, second, CodeNotYourTurn, "Signer A signs before you"},
		{"second after first", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerSigned), signer(second, 2, protocol.SignerOpened)}, second, "", ""},
		{"signed", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerSigned), signer(second, 1, protocol.SignerOpened)}, first, CodeAlreadySigned, "signed this envelope already"},
		{"cancelled", protocol.EnvelopeCancelled, []protocol.SignerStatus{signer(first, 1, protocol.SignerOpened)}, first, CodeEnvelopeClosed, "cancelled"},
		{"declined", protocol.EnvelopeDeclined, []protocol.SignerStatus{signer(first, 1, protocol.SignerDeclined)}, first, CodeEnvelopeClosed, "declined"},
		{"expired", protocol.EnvelopeExpired, []protocol.SignerStatus{signer(first, 1, protocol.SignerOpened)}, first, Code(protocol.CodeExpired), "expired"},
		{"completed", protocol.EnvelopeCompleted, []protocol.SignerStatus{signer(first, 1, protocol.SignerSigned)}, first, CodeAlreadySigned, ""},
		{"sealed", protocol.EnvelopeSealed, []protocol.SignerStatus{signer(first, 1, protocol.SignerSigned)}, first, CodeAlreadySigned, ""},
		{"locked", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerLocked), signer(second, 1, protocol.SignerOpened)}, first, Code(protocol.CodeLocked), "locked"},
		{"after a locked signer", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerLocked), signer(second, 2, protocol.SignerOpened)}, second, CodeNotYourTurn, "Signer A signs before you"},
		{"not a signer", protocol.EnvelopeSent, []protocol.SignerStatus{signer(first, 1, protocol.SignerOpened)}, second, CodeNotSigner, ""},
	} {
		e := turnOf(tc.status, tc.signers, tc.me)
		switch {
		case tc.want == "" && e != nil:
			t.Errorf("%s: refused with %s (%s)", tc.name, e.Code, e.Msg)
		case tc.want != "" && e == nil:
			t.Errorf("%s: allowed, want %s", tc.name, tc.want)
		case e != nil && (e.Code != tc.want || !strings.Contains(e.Msg, tc.msg)):
			t.Errorf("%s: %s %q, want %s with %q", tc.name, e.Code, e.Msg, tc.want, tc.msg)
		}
	}
}

// TestSigningErrorCodes: the client's envelope errors reach the page with
// their own codes, not as internal errors.
func TestSigningErrorCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code Code
	}{
		{fmt.Errorf("%w: the envelope is completed", client.ErrEnvelopeState), CodeEnvelopeState},
		{client.ErrNotRead, CodeNotRead},
		{client.ErrNotSigner, CodeNotSigner},
		{client.ErrLinkOrigin, CodeLinkOrigin},
		{fmt.Errorf("%w: hash-mismatch", client.ErrSealInvalid), CodeSealInvalid},
		{fmt.Errorf("client: signer 2: %w", client.ErrDigestMismatch), CodeDigestMismatch},
		{fmt.Errorf("client: links.open: %w", &protocol.Error{Code: protocol.CodeLocked, Message: "locked"}), Code(protocol.CodeLocked)},
	} {
		if got := codeOf(tc.err); got != tc.code {
			t.Errorf("codeOf(%v) = %s, want %s", tc.err, got, tc.code)
		}
		if messageOf(tc.err) == "internal error in the Vellum client" {
			t.Errorf("%v: shown as an internal error", tc.err)
		}
	}
}

// TestSigningHandles: handles are never reused, a closed one is gone, the
// table is bounded, and a Signing whose view cannot be made is not kept
// (its handle never reached the page, which could not close it).
func TestSigningHandles(t *testing.T) {
	s := &signings{open: make(map[handle]*client.Signing)}
	g := &client.Signing{}
	view := func(h handle, _ *client.Signing) (map[string]any, error) {
		return map[string]any{"handle": float64(h)}, nil
	}
	broken := func(handle, *client.Signing) (map[string]any, error) {
		return nil, errorf(CodeMalformed, "the message does not decrypt")
	}

	if _, err := s.keep(g, broken); codeOf(err) != CodeMalformed {
		t.Fatalf("keep with a failing view: %v", err)
	}
	if len(s.open) != 0 {
		t.Fatalf("a Signing whose view failed is still held: %d handles open", len(s.open))
	}
	v, err := s.keep(g, view)
	if err != nil {
		t.Fatal(err)
	}
	first := handle(v.(map[string]any)["handle"].(float64))
	if first != 2 {
		t.Errorf("handle after a failed keep: %d, want 2 (1 is never given again)", first)
	}
	if got, err := s.get(first); err != nil || got != g {
		t.Errorf("get(%d) = %p, %v", first, got, err)
	}
	if !s.close(first) || s.close(first) {
		t.Error("close reports the first close only")
	}
	if _, err := s.get(first); codeOf(err) != CodeNotFound {
		t.Errorf("get of a closed handle: %v, want not_found", err)
	}
	for range maxSignings {
		if _, err := s.keep(g, view); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.keep(g, view); codeOf(err) != CodeLimit {
		t.Errorf("keep beyond %d open: %v, want limit", maxSignings, err)
	}
	for h := range s.open {
		if h <= first {
			t.Errorf("handle %d given again after it was closed", h)
		}
	}
}
