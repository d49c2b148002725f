package api_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/wasm/client"
)

// TestEnvelopeLifecycle: declines (an outsider's through the link, a
// member's in a session), reminders, cancellation and expiry, through
// wasm/client against the real server.
func TestEnvelopeLifecycle(t *testing.T) {
	var skew atomic.Int64
	s := startServer(t, &serverOptions{now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	w := newEsignWorld(t, s)
	ctx := context.Background()
	send := func(days int, signers ...client.EnvelopeSigner) *client.SentEnvelope {
		t.Helper()
		sent, err := w.alice.CreateEnvelope(ctx, w.tid, client.NewEnvelope{DocumentID: w.docID, ExpiresInDays: days, Signers: signers})
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	dora := client.EnvelopeSigner{Name: "Dora", Email: "dora@example.org", Phone: doraPhone}
	bob := client.EnvelopeSigner{AccountID: w.bob.AccountID(), Name: "Bob"}
	doraC := s.newClient(w.rec)

	// In parallel, bob signs first; Dora declines, which closes the
	// envelope. She can still read the document; nobody signs or seals.
	a := send(7, dora, bob)
	bs, err := w.bob.OpenEnvelope(ctx, w.tid, a.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if last, err := bs.Sign(ctx); err != nil || last {
		t.Fatalf("bob signs first in parallel: %v %v", last, err)
	}
	ds, err := doraC.OpenSigningLink(ctx, a.Links[0].Link.URL(), w.pin(t, doraPhone))
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Decline(ctx, "Wrong amount."); err != nil {
		t.Fatal(err)
	}
	env, err := w.alice.Envelope(ctx, w.tid, a.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if env.Status != protocol.EnvelopeDeclined || env.Signers[0].State != protocol.SignerDeclined || env.Signers[0].Reason != "Wrong amount." {
		t.Errorf("after the decline: %+v", env)
	}
	if _, err := ds.ReadDocument(ctx, nil); err != nil {
		t.Errorf("reading after declining: %v", err)
	}
	if _, err := ds.Sign(ctx); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("signing a declined envelope: %v", err)
	}
	if _, err := bs.Seal(ctx, s.logKey.Verifier()); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("sealing a declined envelope: %v", err)
	}
	if _, r := s.openFrom(nil, a.Links[0].Link, w.pin(t, doraPhone)); codeOf(r) != protocol.CodeForbidden {
		t.Errorf("the link of a declined envelope: %v", r.err)
	}

	// A member declines in their session.
	b := send(7, bob)
	bs, err = w.bob.OpenEnvelope(ctx, w.tid, b.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.Decline(ctx, "Not mine."); err != nil {
		t.Fatal(err)
	}
	if bs.Status() != protocol.EnvelopeDeclined || bs.Signers()[0].Reason != "Not mine." {
		t.Errorf("after bob declined: %s %+v", bs.Status(), bs.Signers())
	}

	// Reminders: the sender only, once an hour per signer.
	c := send(7, dora, bob)
	if err := w.bob.Remind(ctx, w.tid, c.Envelope.EnvelopeID); protocol.CodeOf(err) != protocol.CodeForbidden {
		t.Errorf("a signer reminding: %v", err)
	}
	before := len(s.notices.Notices())
	if err := w.alice.Remind(ctx, w.tid, c.Envelope.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	if n := len(s.notices.Notices()) - before; n != 2 {
		t.Errorf("%d reminders sent, want 2", n)
	}
	if err := w.alice.Remind(ctx, w.tid, c.Envelope.EnvelopeID, c.Links[0].SignerID); protocol.CodeOf(err) != protocol.CodeRateLimited {
		t.Errorf("a second reminder within the hour: %v", err)
	}
	if err := w.alice.Remind(ctx, w.tid, c.Envelope.EnvelopeID, "AAAAAAAAAAAAAAAAAAAAAg"); protocol.CodeOf(err) != protocol.CodeNotFound {
		t.Errorf("a reminder to no signer: %v", err)
	}

	// Cancelling: the sender only; then the links stop opening, nothing
	// is signed, and the signers are told.
	if _, err := w.bob.CancelEnvelope(ctx, w.tid, c.Envelope.EnvelopeID, "mine now"); protocol.CodeOf(err) != protocol.CodeForbidden {
		t.Errorf("a signer cancelling: %v", err)
	}
	cs, err := w.bob.OpenEnvelope(ctx, w.tid, c.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, err := w.alice.CancelEnvelope(ctx, w.tid, c.Envelope.EnvelopeID, "Wrong version.")
	if err != nil || got.Status != protocol.EnvelopeCancelled || got.Reason != "Wrong version." {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if n, _ := s.notices.Last("bob@example.com"); n.Subject != "A signature request was withdrawn" {
		t.Errorf("bob was not told: %+v", n)
	}
	if _, r := s.openFrom(nil, c.Links[0].Link, w.pin(t, doraPhone)); codeOf(r) != protocol.CodeForbidden {
		t.Errorf("the link of a cancelled envelope: %v", r.err)
	}
	if _, err := cs.Sign(ctx); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("signing a cancelled envelope: %v", err)
	}
	if _, err := w.alice.CancelEnvelope(ctx, w.tid, c.Envelope.EnvelopeID, ""); protocol.CodeOf(err) != protocol.CodeConflict {
		t.Errorf("cancelling twice: %v", err)
	}
	if err := w.alice.Remind(ctx, w.tid, c.Envelope.EnvelopeID); protocol.CodeOf(err) != protocol.CodeConflict {
		t.Errorf("reminding of a cancelled envelope: %v", err)
	}

	// Expiry: a day later than the envelope's, the link does not open,
	// the member cannot sign, the link cannot be replaced.
	d := send(1, dora, bob)
	ds2, err := doraC.OpenSigningLink(ctx, d.Links[0].Link.URL(), w.pin(t, doraPhone))
	if err != nil {
		t.Fatal(err)
	}
	dbs, err := w.bob.OpenEnvelope(ctx, w.tid, d.Envelope.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dbs.ReadDocument(ctx, nil); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(25 * time.Hour))
	if _, r := s.openFrom(nil, d.Links[0].Link, w.pin(t, doraPhone)); codeOf(r) != protocol.CodeExpired {
		t.Errorf("an expired link: %v", r.err)
	}
	if err := ds2.Refresh(ctx); protocol.CodeOf(err) != protocol.CodeUnauthenticated {
		t.Errorf("a signer session past the envelope's expiry: %v", err)
	}
	if _, err := dbs.Sign(ctx); !errors.Is(err, client.ErrEnvelopeState) {
		t.Errorf("signing an expired envelope: %v", err)
	}
	if dbs.Status() != protocol.EnvelopeExpired {
		t.Errorf("status %s", dbs.Status())
	}
	if _, err := w.alice.ReplaceLink(ctx, w.tid, d.Envelope.EnvelopeID, d.Links[0].SignerID, ""); protocol.CodeOf(err) != protocol.CodeConflict {
		t.Errorf("replacing a link of an expired envelope: %v", err)
	}

	// The audit log has each decline with its signer as the actor (none
	// for an outsider) and the cancellation with the sender's; refused
	// attempts left nothing.
	actors := map[auditlog.Kind][]string{}
	for _, e := range w.auditEvents(t) {
		if e.Kind == auditlog.KindEnvelopeDeclined || e.Kind == auditlog.KindEnvelopeCancelled {
			actor := "outsider"
			if !e.Actor.IsZero() {
				actor = e.Actor.String()
			}
			actors[e.Kind] = append(actors[e.Kind], actor)
		}
	}
	if got := actors[auditlog.KindEnvelopeDeclined]; len(got) != 2 || got[0] != "outsider" || got[1] != w.bob.AccountID() {
		t.Errorf("envelope_declined actors %v, want outsider then bob", got)
	}
	if got := actors[auditlog.KindEnvelopeCancelled]; len(got) != 1 || got[0] != w.alice.AccountID() {
		t.Errorf("envelope_cancelled actors %v, want alice once", got)
	}
}
