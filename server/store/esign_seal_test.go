package store_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// TestEnvelopeSeal: a seal is stored once per envelope, of an envelope that
// exists, within its limits, and reads back byte for byte, even at the
// largest seal size.
func TestEnvelopeSeal(t *testing.T) {
	c := newClock()
	s := openMem(t, c)
	acct := &store.Account{ID: store.NewID(), Email: "a@example.com", Created: c.Now()}
	tenant := store.NewID()
	env := &store.Envelope{ID: store.NewID(), Tenant: tenant, Owner: acct.ID, Document: store.NewID(), State: 1}
	update(t, s, func(tx *store.Tx) error {
		if err := tx.CreateAccount(acct); err != nil {
			return err
		}
		if err := tx.CreateTenant(&store.Tenant{ID: tenant, Owner: acct.ID, Created: c.Now()}); err != nil {
			return err
		}
		return tx.CreateEnvelope(env)
	})
	_, err := s.EnvelopeSeal(env.ID)
	wantErr(t, err, store.ErrNotFound)

	big := bytes.Repeat([]byte{0xa5}, protocol.MaxSeal)
	rec := &store.EnvelopeSeal{Envelope: env.ID, Seal: big, LeafIndex: 7, Proof: []byte("proof")}
	update(t, s, func(tx *store.Tx) error { return tx.PutEnvelopeSeal(rec) })
	got, err := s.EnvelopeSeal(env.ID)
	must(t, err)
	if !bytes.Equal(got.Seal, big) || got.LeafIndex != 7 || string(got.Proof) != "proof" || got.Envelope != env.ID {
		t.Fatalf("seal read back as %d bytes, leaf %d", len(got.Seal), got.LeafIndex)
	}
	wantErr(t, s.Update(func(tx *store.Tx) error { return tx.PutEnvelopeSeal(rec) }), store.ErrExists)

	for name, r := range map[string]*store.EnvelopeSeal{
		"no envelope":    {Envelope: store.NewID(), Seal: []byte("s"), Proof: []byte("p")},
		"zero envelope":  {Seal: []byte("s"), Proof: []byte("p")},
		"empty seal":     {Envelope: env.ID, Proof: []byte("p")},
		"seal too large": {Envelope: env.ID, Seal: append(big, 0), Proof: []byte("p")},
		"no proof":       {Envelope: env.ID, Seal: []byte("s")},
	} {
		if err := s.Update(func(tx *store.Tx) error { return tx.PutEnvelopeSeal(r) }); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	update(t, s, func(tx *store.Tx) error { return tx.DeleteEnvelopeSeal(env.ID) })
	_, err = s.EnvelopeSeal(env.ID)
	wantErr(t, err, store.ErrNotFound)
}
