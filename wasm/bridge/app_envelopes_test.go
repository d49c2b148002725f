//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The envelope functions' argument checks, without a server (the browser
// test web/envelopes_ui_test.go runs them against a real vellumd). A call
// whose arguments pass gets as far as the missing session: not_logged_in.

func outsider() map[string]any {
	return map[string]any{"kind": "outsider", "name": "Olga Outside", "email": "olga@example.com", "phone": "+4915112345678"}
}

func member() map[string]any { return map[string]any{"kind": "member", "accountId": someID} }

func spec(change func(map[string]any)) map[string]any {
	s := map[string]any{"documentId": someID, "signers": []any{member(), outsider()}, "order": "sequential"}
	if change != nil {
		change(s)
	}
	return s
}

func TestEnvelopeArguments(t *testing.T) {
	api := newAPI(newBridge())
	with := func(k string, v any) map[string]any { return spec(func(s map[string]any) { s[k] = v }) }
	signer := func(base map[string]any, k string, v any) map[string]any {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
		return with("signers", []any{base})
	}
	many := make([]any, protocol.MaxSigners+1)
	for i := range many {
		many[i] = outsider()
	}
	for _, tc := range []struct {
		name string
		fn   string
		args []any
		want Code
	}{
		{"valid spec", "createEnvelope", []any{someID, spec(nil)}, CodeNotLoggedIn},
		{"parallel, days, message", "createEnvelope", []any{someID, spec(func(s map[string]any) {
			s["order"], s["expiresAt"], s["message"], s["version"] = "parallel", 30, "Please sign by Friday.", 2
		})}, CodeNotLoggedIn},
		{"no spec", "createEnvelope", []any{someID}, CodeBadArgument},
		{"spec an array", "createEnvelope", []any{someID, []any{}}, CodeBadArgument},
		{"bad tenant", "createEnvelope", []any{"not an id!", spec(nil)}, CodeBadArgument},
		{"unknown option", "createEnvelope", []any{someID, with("expires", 3)}, CodeBadArgument},
		{"bad document id", "createEnvelope", []any{someID, with("documentId", "../etc")}, CodeBadArgument},
		{"no order", "createEnvelope", []any{someID, spec(func(s map[string]any) { delete(s, "order") })}, CodeBadArgument},
		{"unknown order", "createEnvelope", []any{someID, with("order", "random")}, CodeBadArgument},
		{"no signers", "createEnvelope", []any{someID, with("signers", []any{})}, CodeBadArgument},
		{"signers not an array", "createEnvelope", []any{someID, with("signers", outsider())}, CodeBadArgument},
		{"too many signers", "createEnvelope", []any{someID, with("signers", many)}, CodeBadArgument},
		{"message too long", "createEnvelope", []any{someID, with("message", strings.Repeat("m", protocol.MaxEnvelopeMessage+1))}, CodeTooLarge},
		{"message not a string", "createEnvelope", []any{someID, with("message", 5)}, CodeBadArgument},
		{"message null", "createEnvelope", []any{someID, with("message", nil)}, CodeNotLoggedIn},
		{"negative version", "createEnvelope", []any{someID, with("version", -1)}, CodeBadArgument},
		{"zero days", "createEnvelope", []any{someID, with("expiresAt", 0)}, CodeBadArgument},
		{"too many days", "createEnvelope", []any{someID, with("expiresAt", protocol.MaxEnvelopeDays+1)}, CodeBadArgument},
		{"half a day", "createEnvelope", []any{someID, with("expiresAt", 1.5)}, CodeBadArgument},
		{"past expiry", "createEnvelope", []any{someID, with("expiresAt", "2001-01-01T00:00:00Z")}, CodeBadArgument},
		{"date without time", "createEnvelope", []any{someID, with("expiresAt", "2099-01-01")}, CodeBadArgument},
		{"expiry in 10 days", "createEnvelope", []any{someID, with("expiresAt", time.Now().Add(240*time.Hour).Format(time.RFC3339))}, CodeNotLoggedIn},
		{"unknown signer kind", "createEnvelope", []any{someID, signer(outsider(), "kind", "robot")}, CodeBadArgument},
		{"signer not an object", "createEnvelope", []any{someID, with("signers", []any{"olga@example.com"})}, CodeBadArgument},
		{"unknown signer option", "createEnvelope", []any{someID, signer(outsider(), "pin", "123456")}, CodeBadArgument},
		{"outsider without phone", "createEnvelope", []any{someID, signer(outsider(), "phone", nil)}, CodeBadArgument},
		{"outsider without email", "createEnvelope", []any{someID, signer(outsider(), "email", nil)}, CodeBadArgument},
		{"outsider without name", "createEnvelope", []any{someID, signer(outsider(), "name", nil)}, CodeBadArgument},
		{"outsider with account", "createEnvelope", []any{someID, signer(outsider(), "accountId", someID)}, CodeBadArgument},
		{"outsider phone too long", "createEnvelope", []any{someID, signer(outsider(), "phone", strings.Repeat("1", 65))}, CodeTooLarge},
		{"member with email", "createEnvelope", []any{someID, signer(member(), "email", "m@example.com")}, CodeBadArgument},
		{"member with phone", "createEnvelope", []any{someID, signer(member(), "phone", "+4915112345678")}, CodeBadArgument},
		{"member without account", "createEnvelope", []any{someID, signer(member(), "accountId", nil)}, CodeBadArgument},
		{"member with a name", "createEnvelope", []any{someID, signer(member(), "name", "Max Member")}, CodeNotLoggedIn},

		{"list", "envelopes", []any{someID}, CodeNotLoggedIn},
		{"list with cursor", "envelopes", []any{someID, "abc"}, CodeNotLoggedIn},
		{"list bad cursor", "envelopes", []any{someID, 5}, CodeBadArgument},
		{"get", "envelope", []any{someID, someID}, CodeNotLoggedIn},
		{"get without id", "envelope", []any{someID}, CodeBadArgument},
		{"remind all", "remind", []any{someID, someID}, CodeNotLoggedIn},
		{"remind some", "remind", []any{someID, someID, []any{someID}}, CodeNotLoggedIn},
		{"remind nobody", "remind", []any{someID, someID, []any{}}, CodeBadArgument},
		{"remind all, list null", "remind", []any{someID, someID, nil}, CodeNotLoggedIn},
		{"remind bad id", "remind", []any{someID, someID, []any{"no id!"}}, CodeBadArgument},
		{"remind not a list", "remind", []any{someID, someID, someID}, CodeBadArgument},
		{"remind too many", "remind", []any{someID, someID, make([]any, protocol.MaxSigners+1)}, CodeTooLarge},
		{"cancel", "cancelEnvelope", []any{someID, someID, "Wrong version"}, CodeNotLoggedIn},
		{"cancel without reason", "cancelEnvelope", []any{someID, someID}, CodeBadArgument},
		{"cancel reason too long", "cancelEnvelope", []any{someID, someID, strings.Repeat("r", protocol.MaxReasonLength+1)}, CodeTooLarge},
		{"replace link", "replaceLink", []any{someID, someID, someID}, CodeNotLoggedIn},
		{"replace link without signer", "replaceLink", []any{someID, someID}, CodeBadArgument},
	} {
		if got := callErr(t, api, tc.fn, tc.args...); got != string(tc.want) {
			t.Errorf("%s: %s: code %s, want %s", tc.name, tc.fn, got, tc.want)
		}
	}
}

// The spec reaches wasm/client as the page gave it: kinds, order, days.
func TestEnvelopeSpec(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	s := spec(func(s map[string]any) {
		s["expiresAt"], s["message"] = now.Add(36*time.Hour).Format(time.RFC3339), "  Please sign.  "
		s["signers"] = []any{member(), map[string]any{"kind": "outsider", "name": " Olga ", "email": " olga@example.com", "phone": "+4915112345678 "}}
	})
	got, err := envelopeSpecArg(js.ValueOf(s), now)
	if err != nil {
		t.Fatal(err)
	}
	want := client.NewEnvelope{DocumentID: someID, Order: client.Sequential, Message: "Please sign.", ExpiresInDays: 2,
		Signers: []client.EnvelopeSigner{{AccountID: someID}, {Name: "Olga", Email: "olga@example.com", Phone: "+4915112345678"}}}
	if got.DocumentID != want.DocumentID || got.Order != want.Order || got.Message != want.Message || got.ExpiresInDays != want.ExpiresInDays ||
		len(got.Signers) != 2 || got.Signers[0] != want.Signers[0] || got.Signers[1] != want.Signers[1] {
		t.Errorf("spec = %+v, want %+v", *got, want)
	}
}

// Statuses as the sender sees them: who waits for their turn.
func TestEnvelopeJS(t *testing.T) {
	signed := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	e := &protocol.Envelope{EnvelopeID: someID, DocumentID: someID, Version: 1, Status: protocol.EnvelopeSent,
		Message: []byte("sealed"), Signers: []protocol.SignerStatus{
			{SignerID: "a", AccountID: someID, Name: "m@example.com", Order: 1, State: protocol.SignerSigned, SignedAt: &signed},
			{SignerID: "b", Name: "Olga", Order: 2, State: protocol.SignerLocked, FailedTries: 5},
			{SignerID: "c", Name: "Pia", Order: 3, State: protocol.SignerPending},
		}}
	v := js.ValueOf(envelopeJS(e))
	if v.Get("order").String() != "sequential" || !v.Get("hasMessage").Bool() || v.Get("message").Truthy() {
		t.Errorf("envelope: order %v hasMessage %v message %v", v.Get("order"), v.Get("hasMessage"), v.Get("message"))
	}
	ss := v.Get("signers")
	for i, want := range []struct {
		kind, state string
		waiting     bool
	}{{"member", "signed", false}, {"outsider", "locked", false}, {"outsider", "pending", true}} {
		s := ss.Index(i)
		if s.Get("kind").String() != want.kind || s.Get("state").String() != want.state || s.Get("waitingForTurn").Bool() != want.waiting {
			t.Errorf("signer %d: kind %v state %v waiting %v, want %+v", i, s.Get("kind"), s.Get("state"), s.Get("waitingForTurn"), want)
		}
	}
	if ss.Index(0).Get("signedAt").String() != "2026-11-21T12:00:00Z" || !ss.Index(1).Get("signedAt").IsNull() {
		t.Errorf("signedAt: %v, %v", ss.Index(0).Get("signedAt"), ss.Index(1).Get("signedAt"))
	}
	e.Signers[1].Order, e.Signers[2].Order, e.Signers[0].Order = 1, 1, 1
	if o := js.ValueOf(envelopeJS(e)).Get("order").String(); o != "parallel" {
		t.Errorf("one order for all: %s, want parallel", o)
	}
}

// An expiry time is rounded up to whole days, never past the limit.
func TestExpiryArg(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) any { return now.Add(d).Format(time.RFC3339) }
	limit := time.Duration(protocol.MaxEnvelopeDays) * 24 * time.Hour
	for _, tc := range []struct {
		v    any
		days int
		code Code
	}{
		{nil, 0, ""}, {js.Undefined(), 0, ""}, {7, 7, ""}, {protocol.MaxEnvelopeDays, protocol.MaxEnvelopeDays, ""},
		{at(time.Second), 1, ""}, {at(24 * time.Hour), 1, ""}, {at(24*time.Hour + time.Second), 2, ""},
		{at(limit), protocol.MaxEnvelopeDays, ""}, {at(limit + time.Second), 0, CodeBadArgument},
		{at(0), 0, CodeBadArgument}, {true, 0, CodeBadArgument}, {strings.Repeat("9", maxExpiryArg+1), 0, CodeTooLarge},
	} {
		days, err := expiryArg(js.ValueOf(tc.v), now)
		var code Code
		if err != nil {
			code = codeOf(err)
		}
		if days != tc.days || code != tc.code {
			t.Errorf("expiryArg(%v) = %d, %v; want %d, %q", tc.v, days, err, tc.days, tc.code)
		}
	}
}
