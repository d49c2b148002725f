package account_test

import (
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/protocol"
)

// Unlock benchmarks, one per method, against two same-run baselines: the
// raw keys.OpenSecret of a 32-byte key (the symmetric methods should cost
// it plus one HKDF and the CBOR parse) and the raw keys.UnwrapKey (the age
// methods should cost it once per layer).

func BenchmarkBaselineOpenSecret(b *testing.B) {
	k := keys.NewSymmetricKey()
	sealed := keys.SealSecret(k, protocol.LabelWrapAccountKey, make([]byte, 32))
	for b.Loop() {
		if _, err := keys.OpenSecret(k, protocol.LabelWrapAccountKey, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBaselineUnwrapKey(b *testing.B) {
	id := keys.NewIdentity()
	w, _ := keys.WrapKey(keys.NewSymmetricKey(), id.Recipient().Age())
	for b.Loop() {
		if _, err := keys.UnwrapKey(w, id.Age()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUnlock(b *testing.B, m account.UnlockMethod) {
	f := newFixture(b)
	w, u := f.wraps[m], f.unlockers[m]
	for b.Loop() {
		if _, err := account.Unlock(w, u); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnlockPassword(b *testing.B)     { benchUnlock(b, account.MethodPassword) }
func BenchmarkUnlockPasskey(b *testing.B)      { benchUnlock(b, account.MethodPasskey) }
func BenchmarkUnlockDevice(b *testing.B)       { benchUnlock(b, account.MethodDevice) }
func BenchmarkUnlockRecoveryCode(b *testing.B) { benchUnlock(b, account.MethodRecoveryCode) }

// BenchmarkUnlockTenant2of3 peels two age layers.
func BenchmarkUnlockTenant2of3(b *testing.B) { benchUnlock(b, account.MethodTenantRecovery) }

func tenant(b *testing.B, m, n int) ([]byte, []*keys.Identity) {
	var ids []*keys.Identity
	var rs []keys.Recipient
	for range n {
		id := keys.NewIdentity()
		ids, rs = append(ids, id), append(rs, id.Recipient())
	}
	w, err := account.WrapForTenant(account.NewAccountKey(), m, rs)
	if err != nil {
		b.Fatal(err)
	}
	return w, ids
}

// BenchmarkUnlockTenant4of8 peels four layers of the largest wrap (70
// onions, about 58 KiB, parsed each time).
func BenchmarkUnlockTenant4of8(b *testing.B) {
	w, ids := tenant(b, 4, 8)
	u := account.WithTenantAdmins(ids[:4]...)
	b.SetBytes(int64(len(w)))
	for b.Loop() {
		if _, err := account.Unlock(w, u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrapForTenant4of8 is the worst case to make: 280 age
// encryptions.
func BenchmarkWrapForTenant4of8(b *testing.B) {
	var rs []keys.Recipient
	for range 8 {
		rs = append(rs, keys.NewIdentity().Recipient())
	}
	ak := account.NewAccountKey()
	for b.Loop() {
		if _, err := account.WrapForTenant(ak, 4, rs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenKeyring(b *testing.B) {
	ak := account.NewAccountKey()
	sealed, _ := account.SealKeyring(ak, account.NewKeyring())
	for b.Loop() {
		if _, err := account.OpenKeyring(ak, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSignedPublicKeyring(b *testing.B) {
	signed, _ := account.NewKeyring().SignedPublic()
	for b.Loop() {
		if _, err := account.ParseSignedPublicKeyring(signed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRecoveryCode(b *testing.B) {
	s := account.NewRecoveryCode().Reveal()
	for b.Loop() {
		if _, err := account.ParseRecoveryCode(s); err != nil {
			b.Fatal(err)
		}
	}
}
