package store_test

import (
	"bytes"
	"testing"
	"time"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// TestUnlockWrapLimit: an unlock wrap may be as large as
// protocol.MaxAccountWrap, the limit the API checks (a 4-of-8 tenant
// recovery wrap is about 60 KiB, far over MaxWrappedKey), and is read back
// whole; one byte more is refused.
func TestUnlockWrapLimit(t *testing.T) {
	s := openMem(t, newClock())
	a := &store.Account{ID: store.NewID(), Email: "wraps@example.com", Created: time.Now()}
	update(t, s, func(tx *store.Tx) error { return tx.CreateAccount(a) })
	if protocol.MaxAccountWrap <= protocol.MaxWrappedKey {
		t.Fatalf("MaxAccountWrap %d is not over MaxWrappedKey %d: this test checks nothing", protocol.MaxAccountWrap, protocol.MaxWrappedKey)
	}
	tenant := store.NewID()
	big := bytes.Repeat([]byte{0xa5}, protocol.MaxAccountWrap)
	for _, kind := range []store.WrapKind{store.WrapTenantRecovery, store.WrapDevice} {
		w := &store.UnlockWrap{Account: a.ID, ID: store.NewID(), Kind: kind, Ref: tenant[:], Wrapped: big, Created: time.Now()}
		update(t, s, func(tx *store.Tx) error { return tx.PutUnlockWrap(w) })
		got, err := s.UnlockWrap(a.ID, w.ID)
		must(t, err)
		if !bytes.Equal(got.Wrapped, big) {
			t.Fatalf("kind %d: a wrap of %d bytes read back as %d bytes", kind, len(big), len(got.Wrapped))
		}
		over := &store.UnlockWrap{Account: a.ID, ID: store.NewID(), Kind: kind, Ref: tenant[:], Wrapped: append(big, 0), Created: time.Now()}
		wantErr(t, s.Update(func(tx *store.Tx) error { return tx.PutUnlockWrap(over) }), store.ErrInvalid)
		if _, err := s.UnlockWrap(a.ID, over.ID); err == nil {
			t.Fatalf("kind %d: a refused wrap was stored", kind)
		}
	}
}
