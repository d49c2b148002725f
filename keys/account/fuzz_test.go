package account_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/opaque"
)

// FuzzParseWrap: whatever ParseWrap accepts re-encodes to exactly the
// input, and no unlocker panics on it.
func FuzzParseWrap(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "account-wrap", func(v wrapVector) []byte { return v.Wrap }) {
		f.Add(b)
	}
	export := bytes.Repeat([]byte{9}, 64)
	unlockers := func() []account.Unlocker {
		ek, _ := opaque.ExportKeyFromBytes(export)
		return []account.Unlocker{
			account.WithPassword(ek), account.WithPasskey([]byte{1}, make([]byte, 32)),
			account.WithDevice(keys.NewIdentity()), account.WithRecoveryCode(account.NewRecoveryCode()),
			account.WithTenantAdmins(keys.NewIdentity()),
		}
	}()
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := account.ParseWrap(b)
		if err != nil {
			return
		}
		again, err := w.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a wrap that does not re-encode to itself: %v", err)
		}
		for _, u := range unlockers {
			u.Unlock(w) // must not panic
		}
	})
}

// FuzzParseRecoveryCode: an accepted text maps to a code whose display
// form parses back to the same code and is a fixed point.
func FuzzParseRecoveryCode(f *testing.F) {
	for _, c := range vectortest.Load[recoveryCodeVector](f, "account-recovery-code") {
		f.Add(c.V.Text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := account.ParseRecoveryCode(s)
		if err != nil {
			return
		}
		shown := c.Reveal()
		back, err := account.ParseRecoveryCode(shown)
		if err != nil || !back.Equal(c) || back.Reveal() != shown {
			t.Fatalf("display form does not round-trip: %v", err)
		}
	})
}

// FuzzPeelTenantLayer: hostile layers never panic, and whatever peels is a
// bounded age file.
func FuzzPeelTenantLayer(f *testing.F) {
	var admin *keys.Identity
	for _, c := range vectortest.Load[wrapVector](f, "account-wrap") {
		if c.Name != "tenant-2of3" {
			continue
		}
		w, err := account.ParseWrap(c.V.Wrap)
		if err != nil {
			f.Fatal(err)
		}
		ids := map[string]*keys.Identity{}
		for _, s := range c.V.UnlockIdentities {
			id, _ := keys.ParseIdentity([]byte(s))
			ids[id.Recipient().String()] = id
		}
		var rs []keys.Recipient
		for _, id := range ids {
			rs = append(rs, id.Recipient())
		}
		onion, order, err := w.TenantOnion(rs...)
		if err != nil {
			f.Fatal(err)
		}
		admin = ids[order[0].String()]
		f.Add(onion)
	}
	if admin == nil {
		f.Fatal("no tenant-2of3 vector")
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		inner, err := account.PeelTenantLayer(b, admin)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(inner, []byte("age-encryption.org/v1\n")) {
			t.Fatal("peeled something that is not an age file")
		}
	})
}
