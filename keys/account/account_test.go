package account_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

// fixture holds one wrap of each method over the same AK and the secrets
// that open them.
type fixture struct {
	ak        *keys.SymmetricKey
	export    *opaque.ExportKey
	cred, prf []byte
	device    *keys.Identity
	code      *account.RecoveryCode
	admins    []*keys.Identity
	wraps     map[account.UnlockMethod][]byte
	unlockers map[account.UnlockMethod]account.Unlocker
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{ak: account.NewAccountKey(), cred: []byte("credential-id"), prf: bytes.Repeat([]byte{7}, 32),
		device: keys.NewIdentity(), code: account.NewRecoveryCode()}
	var err error
	if f.export, err = opaque.ExportKeyFromBytes(bytes.Repeat([]byte{9}, 64)); err != nil {
		t.Fatal(err)
	}
	var rs []keys.Recipient
	for range 3 {
		id := keys.NewIdentity()
		f.admins = append(f.admins, id)
		rs = append(rs, id.Recipient())
	}
	f.wraps = map[account.UnlockMethod][]byte{}
	must := func(m account.UnlockMethod, w []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		f.wraps[m] = w
	}
	w, err := account.WrapForPassword(f.ak, f.export)
	must(account.MethodPassword, w, err)
	w, err = account.WrapForPasskey(f.ak, f.cred, f.prf)
	must(account.MethodPasskey, w, err)
	w, err = account.WrapForDevice(f.ak, f.device.Recipient())
	must(account.MethodDevice, w, err)
	w, err = account.WrapForRecoveryCode(f.ak, f.code)
	must(account.MethodRecoveryCode, w, err)
	w, err = account.WrapForTenant(f.ak, 2, rs)
	must(account.MethodTenantRecovery, w, err)
	f.unlockers = map[account.UnlockMethod]account.Unlocker{
		account.MethodPassword:       account.WithPassword(f.export),
		account.MethodPasskey:        account.WithPasskey(f.cred, f.prf),
		account.MethodDevice:         account.WithDevice(f.device),
		account.MethodRecoveryCode:   account.WithRecoveryCode(f.code),
		account.MethodTenantRecovery: account.WithTenantAdmins(f.admins[2], f.admins[1]),
	}
	return f
}

// TestUnlockMatrix: every unlocker opens its own method's wrap and refuses
// every other method's with ErrWrongMethod.
func TestUnlockMatrix(t *testing.T) {
	f := newFixture(t)
	for wm, w := range f.wraps {
		for um, u := range f.unlockers {
			t.Run(fmt.Sprintf("%s-by-%s", wm, um), func(t *testing.T) {
				got, err := account.Unlock(w, u)
				if wm != um {
					if !errors.Is(err, account.ErrWrongMethod) {
						t.Fatalf("%v, want ErrWrongMethod", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(f.ak) {
					t.Fatal("unlocked another key")
				}
			})
		}
	}
}

// TestWrongSecrets: each method's wrong secret has its own error, and all
// of them are keys.ErrWrongKey and none is keys.ErrMalformed.
func TestWrongSecrets(t *testing.T) {
	f := newFixture(t)
	other, _ := opaque.ExportKeyFromBytes(bytes.Repeat([]byte{8}, 64))
	cases := []struct {
		method account.UnlockMethod
		u      account.Unlocker
		want   error
	}{
		{account.MethodPassword, account.WithPassword(other), account.ErrWrongPassword},
		{account.MethodPasskey, account.WithPasskey(f.cred, bytes.Repeat([]byte{6}, 32)), account.ErrWrongPasskey},
		{account.MethodPasskey, account.WithPasskey([]byte("another credential"), f.prf), account.ErrWrongPasskey},
		{account.MethodDevice, account.WithDevice(keys.NewIdentity()), account.ErrWrongDevice},
		{account.MethodRecoveryCode, account.WithRecoveryCode(account.NewRecoveryCode()), account.ErrWrongRecoveryCode},
		{account.MethodTenantRecovery, account.WithTenantAdmins(f.admins[0]), account.ErrWrongAdmins},
		{account.MethodTenantRecovery, account.WithTenantAdmins(f.admins[0], keys.NewIdentity()), account.ErrWrongAdmins},
	}
	all := []error{account.ErrWrongPassword, account.ErrWrongPasskey, account.ErrWrongDevice, account.ErrWrongRecoveryCode, account.ErrWrongAdmins}
	for _, tc := range cases {
		t.Run(tc.method.String(), func(t *testing.T) {
			_, err := account.Unlock(f.wraps[tc.method], tc.u)
			if !errors.Is(err, tc.want) || !errors.Is(err, keys.ErrWrongKey) || errors.Is(err, keys.ErrMalformed) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			for _, e := range all {
				if e != tc.want && errors.Is(err, e) {
					t.Errorf("%v is also %v", err, e)
				}
			}
		})
	}
	if _, err := account.Unlock(f.wraps[account.MethodPasskey], account.WithPasskey(f.cred, make([]byte, 31))); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("31-byte PRF output: %v, want ErrMalformed", err)
	}
}

func TestWrapAccessors(t *testing.T) {
	f := newFixture(t)
	w, err := account.ParseWrap(f.wraps[account.MethodPasskey])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.CredentialID(), f.cred) || !w.Device().IsZero() {
		t.Error("passkey wrap accessors")
	}
	w, _ = account.ParseWrap(f.wraps[account.MethodDevice])
	if !w.Device().Equal(f.device.Recipient()) || w.CredentialID() != nil {
		t.Error("device wrap accessors")
	}
	w, _ = account.ParseWrap(f.wraps[account.MethodTenantRecovery])
	admins, m := w.Admins()
	if len(admins) != 3 || m != 2 {
		t.Errorf("tenant wrap: %d admins, threshold %d", len(admins), m)
	}
	for _, a := range f.admins {
		if !strings.Contains(fmt.Sprint(admins), a.Recipient().String()) {
			t.Error("an admin is missing from the wrap")
		}
	}
}

// TestTenantStepwise: 3 of 5 admins peel one layer each, on their own, in
// the order TenantOnion gives; any other order fails.
func TestTenantStepwise(t *testing.T) {
	ak := account.NewAccountKey()
	var ids []*keys.Identity
	var rs []keys.Recipient
	for range 5 {
		id := keys.NewIdentity()
		ids = append(ids, id)
		rs = append(rs, id.Recipient())
	}
	stored, err := account.WrapForTenant(ak, 3, rs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := account.ParseWrap(stored)
	if err != nil {
		t.Fatal(err)
	}
	byRecipient := map[string]*keys.Identity{}
	for _, id := range ids {
		byRecipient[id.Recipient().String()] = id
	}
	// Every 3-subset opens, whatever order the admins are named in.
	opened := 0
	for a := range 5 {
		for b := a + 1; b < 5; b++ {
			for c := b + 1; c < 5; c++ {
				onion, order, err := w.TenantOnion(rs[c], rs[a], rs[b])
				if err != nil {
					t.Fatal(err)
				}
				if len(order) != 3 {
					t.Fatalf("order of %d admins", len(order))
				}
				layer := onion
				for _, r := range order[:2] {
					if layer, err = account.PeelTenantLayer(layer, byRecipient[r.String()]); err != nil {
						t.Fatal(err)
					}
				}
				got, err := account.OpenTenantCore(layer, byRecipient[order[2].String()])
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(ak) {
					t.Fatal("opened another key")
				}
				// The wrong admin first: refused.
				if _, err := account.PeelTenantLayer(onion, byRecipient[order[1].String()]); !errors.Is(err, account.ErrWrongAdmins) {
					t.Errorf("peel out of order: %v", err)
				}
				// The core of a layer is not opened by an outer admin.
				if _, err := account.OpenTenantCore(onion, byRecipient[order[0].String()]); !errors.Is(err, keys.ErrMalformed) {
					t.Errorf("a whole onion opened as a core: %v", err)
				}
				opened++
			}
		}
	}
	if opened != 10 {
		t.Errorf("opened %d onions, want C(5,3) = 10", opened)
	}
	outsider := keys.NewIdentity().Recipient()
	if _, _, err := w.TenantOnion(rs[0], rs[1], outsider); !errors.Is(err, account.ErrWrongAdmins) {
		t.Errorf("outsider: %v", err)
	}
	if _, _, err := w.TenantOnion(rs[0], rs[1]); !errors.Is(err, account.ErrWrongAdmins) {
		t.Errorf("two of three: %v", err)
	}
	if _, _, err := w.TenantOnion(rs[0], rs[1], rs[1]); !errors.Is(err, account.ErrWrongAdmins) {
		t.Errorf("one admin twice: %v", err)
	}
	// Enough identities in one place also work, with extras ignored.
	got, err := account.Unlock(stored, account.WithTenantAdmins(ids...))
	if err != nil || !got.Equal(ak) {
		t.Fatalf("all five admins: %v", err)
	}
}

func TestWrapForTenantBounds(t *testing.T) {
	ak := account.NewAccountKey()
	var rs []keys.Recipient
	for range protocol.MaxRecoveryAdmins + 1 {
		rs = append(rs, keys.NewIdentity().Recipient())
	}
	r := rs[0]
	for _, tc := range []struct {
		name   string
		m      int
		admins []keys.Recipient
	}{
		{"no admins", 1, nil},
		{"too many admins", 1, rs},
		{"threshold zero", 0, rs[:3]},
		{"threshold over N", 4, rs[:3]},
		{"duplicate admin", 1, []keys.Recipient{r, r}},
		{"zero recipient", 1, []keys.Recipient{{}}},
	} {
		if _, err := account.WrapForTenant(ak, tc.m, tc.admins); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	// The largest wrap, at N = 8, fits the limit.
	w, err := account.WrapForTenant(ak, 4, rs[:protocol.MaxRecoveryAdmins])
	if err != nil {
		t.Fatal(err)
	}
	if len(w) > protocol.MaxAccountWrap {
		t.Errorf("4-of-8 wrap of %d bytes is over the limit", len(w))
	}
	if _, err := account.ParseWrap(w); err != nil {
		t.Fatal(err)
	}
}

// wrapMirror has the stored wrap's CBOR layout, to build wraps the package
// would never write.
type wrapMirror struct {
	Version      uint64   `cbor:"1,keyasint"`
	Method       uint64   `cbor:"2,keyasint"`
	Sealed       []byte   `cbor:"3,keyasint,omitempty"`
	CredentialID []byte   `cbor:"4,keyasint,omitempty"`
	Recipients   []string `cbor:"5,keyasint,omitempty"`
	Threshold    uint64   `cbor:"6,keyasint,omitempty"`
	Onions       [][]byte `cbor:"7,keyasint,omitempty"`
	Extra        []byte   `cbor:"8,keyasint,omitempty"`
}

func TestParseWrapStrict(t *testing.T) {
	f := newFixture(t)
	sealed := make([]byte, keys.SealedOverhead+32)
	sealed[0] = 1
	r1, r2 := keys.NewIdentity().Recipient().String(), keys.NewIdentity().Recipient().String()
	if r1 > r2 {
		r1, r2 = r2, r1
	}
	w, _ := account.ParseWrap(f.wraps[account.MethodTenantRecovery])
	_ = w
	age := []byte("age-encryption.org/v1\n")
	cases := map[string]wrapMirror{
		"password with credential id":  {Version: 1, Method: 1, Sealed: sealed, CredentialID: []byte{1}},
		"password with recipients":     {Version: 1, Method: 1, Sealed: sealed, Recipients: []string{r1}},
		"password sealed too short":    {Version: 1, Method: 1, Sealed: sealed[:50]},
		"passkey without credential":   {Version: 1, Method: 2, Sealed: sealed},
		"passkey credential too long":  {Version: 1, Method: 2, Sealed: sealed, CredentialID: make([]byte, protocol.MaxPasskeyCredentialID+1)},
		"recovery with threshold":      {Version: 1, Method: 4, Sealed: sealed, Threshold: 1},
		"device with two recipients":   {Version: 1, Method: 3, Sealed: age, Recipients: []string{r1, r2}},
		"device not an age file":       {Version: 1, Method: 3, Sealed: sealed, Recipients: []string{r1}},
		"device bad recipient":         {Version: 1, Method: 3, Sealed: age, Recipients: []string{strings.ToUpper(r1)}},
		"tenant unsorted":              {Version: 1, Method: 5, Recipients: []string{r2, r1}, Threshold: 1, Onions: [][]byte{age, age}},
		"tenant duplicate":             {Version: 1, Method: 5, Recipients: []string{r1, r1}, Threshold: 1, Onions: [][]byte{age, age}},
		"tenant wrong onion count":     {Version: 1, Method: 5, Recipients: []string{r1, r2}, Threshold: 1, Onions: [][]byte{age}},
		"tenant no threshold":          {Version: 1, Method: 5, Recipients: []string{r1, r2}, Onions: [][]byte{age}},
		"tenant with sealed":           {Version: 1, Method: 5, Sealed: sealed, Recipients: []string{r1}, Threshold: 1, Onions: [][]byte{age}},
		"tenant onion not an age file": {Version: 1, Method: 5, Recipients: []string{r1}, Threshold: 1, Onions: [][]byte{sealed}},
		"unknown field":                {Version: 1, Method: 1, Sealed: sealed, Extra: []byte{1}},
		"version 0":                    {Version: 0, Method: 1, Sealed: sealed},
		"method 0":                     {Version: 1, Method: 0, Sealed: sealed},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := protocol.MarshalCBOR(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := account.ParseWrap(b); !errors.Is(err, keys.ErrMalformed) {
				t.Errorf("%v, want ErrMalformed", err)
			}
		})
	}
	if _, err := account.ParseWrap(make([]byte, protocol.MaxAccountWrap+1)); !errors.Is(err, keys.ErrTooLarge) {
		t.Errorf("oversize wrap: %v", err)
	}
	// The mirror itself is right: a well-formed one parses.
	ok, _ := protocol.MarshalCBOR(wrapMirror{Version: 1, Method: 1, Sealed: sealed})
	if _, err := account.ParseWrap(ok); err != nil {
		t.Errorf("well-formed mirror: %v", err)
	}
}

func TestKeyring(t *testing.T) {
	ak, kr := account.NewAccountKey(), account.NewKeyring()
	sealed, err := account.SealKeyring(ak, kr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := account.OpenKeyring(ak, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Identity().Equal(kr.Identity()) || !got.SigningKey().Equal(kr.SigningKey()) {
		t.Fatal("opened keyring differs")
	}
	if _, err := account.OpenKeyring(account.NewAccountKey(), sealed); !errors.Is(err, account.ErrWrongAccountKey) {
		t.Errorf("wrong AK: %v", err)
	}
	// A keyring is not an account key wrap, and the reverse: labels differ.
	kek := keys.DeriveKey(ak.Bytes(), nil, protocol.LabelKDFKeyring)
	if _, err := keys.OpenSecret(kek, protocol.LabelWrapAccountKey, sealed); !errors.Is(err, keys.ErrWrongKey) {
		t.Errorf("keyring opened as an account key wrap: %v", err)
	}

	signed, err := kr.SignedPublic()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := account.ParseSignedPublicKeyring(signed)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check(pub); err != nil {
		t.Fatal(err)
	}
	if err := account.NewKeyring().Check(pub); !errors.Is(err, account.ErrKeyringMismatch) {
		t.Errorf("another keyring: %v", err)
	}
	// A keyring whose signing key is someone else's: the halves are mixed.
	mixed := account.NewKeyringFrom(kr.Identity(), account.NewKeyring().SigningKey())
	if err := mixed.Check(pub); !errors.Is(err, account.ErrKeyringMismatch) {
		t.Errorf("mixed keyring: %v", err)
	}
}

// TestRecoveryCodeChecksum: over 40 random codes, fewer than 0.1% of
// single-character substitutions and adjacent transpositions escape the
// 12-bit checksum (expected: 1 in 4096, about 0.024%).
func TestRecoveryCodeChecksum(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	format := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$`)
	tried, missed := 0, 0
	for range 40 {
		c := account.NewRecoveryCode()
		s := c.Reveal()
		if !format.MatchString(s) {
			t.Fatalf("code %q is not in the display format", s)
		}
		back, err := account.ParseRecoveryCode(s)
		if err != nil || !back.Equal(c) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range len(s) {
			if s[i] == '-' {
				continue
			}
			for j := range len(alphabet) {
				if alphabet[j] == s[i] {
					continue
				}
				typo := s[:i] + string(alphabet[j]) + s[i+1:]
				tried++
				if _, err := account.ParseRecoveryCode(typo); !errors.Is(err, account.ErrRecoveryCodeTypo) {
					missed++
				}
			}
			if i+1 < len(s) && s[i+1] != '-' && s[i] != s[i+1] {
				swapped := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]
				tried++
				if _, err := account.ParseRecoveryCode(swapped); !errors.Is(err, account.ErrRecoveryCodeTypo) {
					missed++
				}
			}
		}
	}
	if missed*1000 >= tried {
		t.Errorf("%d of %d typos escaped the checksum", missed, tried)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	f := newFixture(t)
	kr := account.NewKeyring()
	code := f.code.Reveal()
	secrets := []string{
		code, strings.ReplaceAll(code, "-", ""), string(kr.Identity().MarshalSecret()),
		fmt.Sprintf("%x", kr.SigningKey().Seed()), fmt.Sprintf("%x", f.prf), fmt.Sprintf("%v", f.prf),
		fmt.Sprintf("%x", f.ak.Bytes()), fmt.Sprintf("%x", f.export.Bytes()),
	}
	values := []any{kr, *kr, f.code, *f.code}
	for _, u := range f.unlockers {
		values = append(values, u)
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) || strings.Contains(strings.ToUpper(out), "AGE-SECRET-KEY") {
					t.Errorf("%s of %T leaks a secret: %q", verb, v, out)
				}
			}
		}
	}
	for _, v := range []interface{ MarshalJSON() ([]byte, error) }{kr, f.code} {
		if _, err := v.MarshalJSON(); err == nil {
			t.Errorf("%T marshals to JSON", v)
		}
	}
	// Errors never carry the code or the secret bytes.
	_, err := account.ParseRecoveryCode(code[:len(code)-1] + "U")
	if err == nil || strings.Contains(err.Error(), code[:10]) {
		t.Errorf("error echoes the code: %v", err)
	}
}

func TestSecretsNotComparable(t *testing.T) {
	for _, v := range []any{account.Keyring{}, account.RecoveryCode{}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%T is comparable", v)
				}
			}()
			_ = v == v //nolint:staticcheck // the panic is what is tested
		}()
	}
}

func TestPasskeyPRFInput(t *testing.T) {
	a, b := account.PasskeyPRFInput(), account.PasskeyPRFInput()
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Fatal("PRF input is not a fixed 32-byte value")
	}
	a[0] ^= 1
	if bytes.Equal(a, account.PasskeyPRFInput()) {
		t.Fatal("PRF input is shared mutable state")
	}
}
