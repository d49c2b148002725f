//go:build js && wasm

package main

import (
	"context"
	"errors"
	"math"
	"strings"
	"syscall/js"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The sender's side of e-signature (SPEC part 90): send a document version
// for signature, follow the envelopes, remind, cancel, and replace an
// outsider's link. Every flow is wasm/client's; this file parses the
// page's arguments strictly and turns envelopes into plain values.
//
// The only secrets that come out are the outsiders' signing links, once,
// from createEnvelope and replaceLink: the sender delivers each one by
// e-mail, and it never passes through the server (the server relays the
// PIN by SMS, and a server that saw both could open the document). No PIN
// comes out.

// Limits of the envelope arguments, before wasm/client checks them exactly.
const (
	maxPhoneArg  = 64
	maxCursorArg = 256
	// maxExpiryArg bounds an expiry given as a time string (RFC 3339 is
	// at most about 35 bytes).
	maxExpiryArg = 64
)

var jsArray = js.Global().Get("Array")

func isArray(v js.Value) bool { return v.Type() == js.TypeObject && jsArray.Call("isArray", v).Bool() }

// registerEnvelopes adds the sender's envelope functions; def is as in
// register.
func (a *app) registerEnvelopes(def func(name string, fn func(args argv) (runner, error))) {
	bg := context.Background()

	def("createEnvelope", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		spec, err := envelopeSpecArg(args.at(1), time.Now())
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			if err := a.nameMembers(bg, tid, spec); err != nil {
				return nil, err
			}
			sent, err := a.c.CreateEnvelope(bg, tid, *spec)
			if err != nil {
				return nil, err
			}
			out := envelopeJS(sent.Envelope)
			out["links"] = jsList(sent.Links, signerLinkJS)
			return out, nil
		}, nil
	})
	def("envelopes", func(args argv) (runner, error) {
		tid, err := args.id(0, "tenant id")
		if err != nil {
			return nil, err
		}
		cursor, err := args.optStr(1, "cursor", maxCursorArg)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			l, err := a.c.Envelopes(bg, tid, cursor)
			if err != nil {
				return nil, err
			}
			return map[string]any{"envelopes": jsList(l.Envelopes, envelopeJS), "nextCursor": l.NextCursor}, nil
		}, nil
	})
	def("envelope", func(args argv) (runner, error) {
		tid, eid, err := envelopeIDs(args)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			env, err := a.c.Envelope(bg, tid, eid)
			if err != nil {
				return nil, err
			}
			out := envelopeJS(env)
			// The message is sealed to the document key: a participant
			// who cannot open it still sees the envelope, and why not.
			out["message"], out["messageError"] = nil, nil
			if msg, err := a.c.EnvelopeMessage(bg, tid, env); err != nil {
				out["messageError"] = errJS(err)
			} else {
				out["message"] = msg
			}
			return out, nil
		}, nil
	})
	def("remind", func(args argv) (runner, error) {
		tid, eid, err := envelopeIDs(args)
		if err != nil {
			return nil, err
		}
		signers, err := idListArg(args.at(2), "signer ids", protocol.MaxSigners)
		if err != nil {
			return nil, err
		}
		// The server reminds every pending signer when none is named: an
		// empty list (a page's filter that matched nobody) must not mean
		// everyone. Leaving the list out does.
		if signers != nil && len(signers) == 0 {
			return nil, errorf(CodeBadArgument, "bridge: signer ids is empty; leave it out to remind every pending signer")
		}
		return func() (any, error) { return nil, a.c.Remind(bg, tid, eid, signers...) }, nil
	})
	def("cancelEnvelope", func(args argv) (runner, error) {
		tid, eid, err := envelopeIDs(args)
		if err != nil {
			return nil, err
		}
		reason, err := args.str(2, "reason", protocol.MaxReasonLength)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			env, err := a.c.CancelEnvelope(bg, tid, eid, strings.TrimSpace(reason))
			if err != nil {
				return nil, err
			}
			return envelopeJS(env), nil
		}, nil
	})
	def("replaceLink", func(args argv) (runner, error) {
		tid, eid, err := envelopeIDs(args)
		if err != nil {
			return nil, err
		}
		sid, err := args.id(2, "signer id")
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			// "" is the client's own server: the origin the worker was
			// loaded from, the one the signer's page will check.
			l, err := a.c.ReplaceLink(bg, tid, eid, sid, "")
			if errors.Is(err, client.ErrNotSigner) {
				return nil, &Error{Code: CodeBadArgument, Msg: "only an outside signer of the envelope has a link to replace", Err: err}
			}
			if err != nil {
				return nil, err
			}
			return signerLinkJS(l), nil
		}, nil
	})
}

// envelopeIDs reads (tenant id, envelope id) from the first two arguments.
func envelopeIDs(args argv) (tid, eid string, err error) {
	if tid, err = args.id(0, "tenant id"); err != nil {
		return "", "", err
	}
	if eid, err = args.id(1, "envelope id"); err != nil {
		return "", "", err
	}
	return tid, eid, nil
}

// objectArg reads a plain object whose property names are all in allowed.
func objectArg(v js.Value, what string, allowed ...string) (js.Value, error) {
	if v.Type() != js.TypeObject || isArray(v) {
		return js.Undefined(), errorf(CodeBadArgument, "bridge: %s must be an object", what)
	}
	return argv{v}.opts(0, allowed...)
}

// idListArg reads an optional array of at most limit ids (nil if absent).
func idListArg(v js.Value, what string, limit int) ([]string, error) {
	if v.IsUndefined() || v.IsNull() {
		return nil, nil
	}
	if !isArray(v) {
		return nil, errorf(CodeBadArgument, "bridge: %s must be an array", what)
	}
	n := v.Length()
	if n > limit {
		return nil, errorf(CodeTooLarge, "bridge: %s: %d, limit %d", what, n, limit)
	}
	out := make([]string, n)
	for i := range n {
		id, err := argv{v.Index(i)}.id(0, what)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// envelopeSpecArg reads createEnvelope's spec:
//
//	{documentId, version?, signers: [{kind: "member", accountId, name?} |
//	 {kind: "outsider", name, email, phone}], order: "sequential"|"parallel",
//	 message?, expiresAt?: days (a Number) or an RFC 3339 time}
//
// A member's name, if not given, is their address in the membership chain
// (nameMembers); their address always is (wasm/client takes it from there).
func envelopeSpecArg(v js.Value, now time.Time) (*client.NewEnvelope, error) {
	o, err := objectArg(v, "envelope", "documentId", "version", "signers", "order", "message", "expiresAt")
	if err != nil {
		return nil, err
	}
	spec := &client.NewEnvelope{}
	if spec.DocumentID, err = (argv{o.Get("documentId")}).id(0, "documentId"); err != nil {
		return nil, err
	}
	version, err := optUint(o, "version", math.MaxUint32)
	if err != nil {
		return nil, err
	}
	spec.Version = uint32(max(version, 0))
	switch order, err := stringArg(o.Get("order"), "order", 16); {
	case err != nil:
		return nil, err
	case order == "sequential":
		spec.Order = client.Sequential
	case order == "parallel":
		spec.Order = client.Parallel
	default:
		return nil, errorf(CodeBadArgument, "bridge: order must be sequential or parallel")
	}
	msg, err := argv{o.Get("message")}.optStr(0, "message", protocol.MaxEnvelopeMessage)
	if err != nil {
		return nil, err
	}
	spec.Message = strings.TrimSpace(msg)
	if spec.ExpiresInDays, err = expiryArg(o.Get("expiresAt"), now); err != nil {
		return nil, err
	}
	list := o.Get("signers")
	if !isArray(list) {
		return nil, errorf(CodeBadArgument, "bridge: signers must be an array")
	}
	if n := list.Length(); n == 0 || n > protocol.MaxSigners {
		return nil, errorf(CodeBadArgument, "bridge: an envelope has 1 to %d signers, not %d", protocol.MaxSigners, n)
	}
	for i := range list.Length() {
		s, err := signerArg(list.Index(i))
		if err != nil {
			return nil, err
		}
		spec.Signers = append(spec.Signers, s)
	}
	return spec, nil
}

// signerArg reads one signer of a spec.
func signerArg(v js.Value) (client.EnvelopeSigner, error) {
	var s client.EnvelopeSigner
	o, err := objectArg(v, "signer", "kind", "accountId", "name", "email", "phone")
	if err != nil {
		return s, err
	}
	kind, err := stringArg(o.Get("kind"), "signer kind", 16)
	if err != nil {
		return s, err
	}
	p := argv{o.Get("accountId"), o.Get("name"), o.Get("email"), o.Get("phone")}
	switch kind {
	case "member":
		// The address and the key come from the checked membership chain,
		// never from the page.
		if !p.at(2).IsUndefined() || !p.at(3).IsUndefined() {
			return s, errorf(CodeBadArgument, "bridge: a member signer takes no email or phone")
		}
		if s.AccountID, err = p.id(0, "signer accountId"); err != nil {
			return s, err
		}
		s.Name, err = p.optStr(1, "signer name", maxNameArg)
	case "outsider":
		if !p.at(0).IsUndefined() {
			return s, errorf(CodeBadArgument, "bridge: an outside signer takes no accountId")
		}
		if s.Name, err = p.str(1, "signer name", maxNameArg); err != nil {
			return s, err
		}
		if s.Email, err = p.str(2, "signer email", maxEmailArg); err != nil {
			return s, err
		}
		s.Phone, err = p.str(3, "signer phone", maxPhoneArg)
	default:
		return s, errorf(CodeBadArgument, "bridge: signer kind must be member or outsider")
	}
	s.Name, s.Email, s.Phone = strings.TrimSpace(s.Name), strings.TrimSpace(s.Email), strings.TrimSpace(s.Phone)
	return s, err
}

// expiryArg reads an envelope's expiry: absent (0: wasm/client's default),
// a whole number of days, or a time, which is rounded up to whole days
// from now (the server counts days from its own clock, so the envelope
// never closes before the time asked).
func expiryArg(v js.Value, now time.Time) (int, error) {
	const day = 24 * time.Hour
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return 0, nil
	case js.TypeNumber:
		f := v.Float()
		if f != math.Trunc(f) || f < 1 || f > protocol.MaxEnvelopeDays {
			return 0, errorf(CodeBadArgument, "bridge: expiresAt in days must be a whole number from 1 to %d", protocol.MaxEnvelopeDays)
		}
		return int(f), nil
	case js.TypeString:
		s, err := stringArg(v, "expiresAt", maxExpiryArg)
		if err != nil {
			return 0, err
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return 0, errorf(CodeBadArgument, "bridge: expiresAt must be an RFC 3339 time or a number of days")
		}
		left := t.Sub(now)
		if left <= 0 || left > protocol.MaxEnvelopeDays*day {
			return 0, errorf(CodeBadArgument, "bridge: expiresAt must be in the next %d days", protocol.MaxEnvelopeDays)
		}
		return int((left + day - 1) / day), nil
	}
	return 0, errorf(CodeBadArgument, "bridge: expiresAt must be an RFC 3339 time or a number of days")
}

// nameMembers gives member signers without a name their address in the
// tenant's checked membership chain, the name the other signers see.
func (a *app) nameMembers(ctx context.Context, tenantID string, spec *client.NewEnvelope) error {
	var m *client.Membership
	for i := range spec.Signers {
		s := &spec.Signers[i]
		if s.AccountID == "" || s.Name != "" {
			continue
		}
		if m == nil {
			var err error
			if m, err = a.c.VerifyMembership(ctx, tenantID); err != nil {
				return err
			}
		}
		for _, mb := range m.Members {
			if mb.AccountID == s.AccountID {
				s.Name = mb.Email
			}
		}
		if s.Name == "" {
			return errorf(CodeNotMember, "signer %d is not a member of the company", i+1)
		}
	}
	return nil
}

// envelopeJS describes an envelope. order is "sequential" when its signers
// do not all share one order.
func envelopeJS(e *protocol.Envelope) map[string]any {
	order := "parallel"
	for _, s := range e.Signers {
		if s.Order != e.Signers[0].Order {
			order = "sequential"
		}
	}
	return map[string]any{
		"id": e.EnvelopeID, "documentId": e.DocumentID, "version": float64(e.Version), "status": string(e.Status),
		"order": order, "hasMessage": len(e.Message) > 0, "createdBy": e.CreatedBy,
		"createdAt": timeJS(e.CreatedAt), "expiresAt": timeJS(e.ExpiresAt), "reason": e.Reason,
		"signers": signersJS(e.Status, e.Signers),
	}
}

// signersJS describes an envelope's signers, each a map[string]any. A
// signer's waitingForTurn says that someone of a lower order has yet to
// sign.
func signersJS(status protocol.EnvelopeStatus, ss []protocol.SignerStatus) []any {
	lowestOpen := math.MaxInt // the lowest order with a signer not yet signed
	for _, s := range ss {
		if s.State != protocol.SignerSigned && s.Order < lowestOpen {
			lowestOpen = s.Order
		}
	}
	out := make([]any, len(ss))
	for i := range ss {
		s := &ss[i]
		kind := "outsider"
		if s.AccountID != "" {
			kind = "member"
		}
		waiting := status == protocol.EnvelopeSent && s.Order > lowestOpen &&
			(s.State == protocol.SignerPending || s.State == protocol.SignerOpened)
		out[i] = map[string]any{
			"id": s.SignerID, "kind": kind, "accountId": s.AccountID, "name": s.Name, "email": s.Email,
			"order": s.Order, "state": string(s.State), "waitingForTurn": waiting,
			"openedAt": optTimeJS(s.OpenedAt), "signedAt": optTimeJS(s.SignedAt),
			"reason": s.Reason, "failedTries": s.FailedTries,
		}
	}
	return out
}

func optTimeJS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeJS(*t)
}

// signerLinkJS is an outsider's new link. url holds the link's secret: the
// page hands it to the sender's mail program or clipboard, and nowhere
// else.
func signerLinkJS(l *client.SignerLink) map[string]any {
	return map[string]any{"signerId": l.SignerID, "name": l.Name, "email": l.Email, "url": l.Link.URL()}
}
