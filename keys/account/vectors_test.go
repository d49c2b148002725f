package account_test

import (
	"bytes"
	"errors"
	"testing"
	"testing/cryptotest"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

var sentinels = map[string]error{
	"":                    nil,
	"wrong_password":      account.ErrWrongPassword,
	"wrong_passkey":       account.ErrWrongPasskey,
	"wrong_device":        account.ErrWrongDevice,
	"wrong_recovery_code": account.ErrWrongRecoveryCode,
	"wrong_admins":        account.ErrWrongAdmins,
	"wrong_account_key":   account.ErrWrongAccountKey,
	"wrong_method":        account.ErrWrongMethod,
	"recovery_code_typo":  account.ErrRecoveryCodeTypo,
	"bad_signature":       keys.ErrBadSignature,
	"too_large":           keys.ErrTooLarge,
	"malformed":           keys.ErrMalformed,
}

// errName names err by the most specific sentinel it wraps. The order
// matters: ErrRecoveryCodeTypo wraps ErrMalformed, and every wrong-secret
// error wraps keys.ErrWrongKey.
func errName(err error) string {
	if err == nil {
		return ""
	}
	for _, name := range []string{"wrong_password", "wrong_passkey", "wrong_device", "wrong_recovery_code", "wrong_admins",
		"wrong_account_key", "wrong_method", "recovery_code_typo", "bad_signature", "too_large", "malformed"} {
		if errors.Is(err, sentinels[name]) {
			return name
		}
	}
	return "other: " + err.Error()
}

func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if _, ok := sentinels[want]; !ok {
		t.Fatalf("vector names unknown error %q", want)
	}
	if got := errName(err); got != want {
		t.Fatalf("%s: %q (%v), want %q", what, got, err, want)
	}
}

// keyringVector: with crypto/rand seeded by Seed, NewAccountKey, NewKeyring
// and SealKeyring give exactly AccountKey, Identity, SigningSeed and Sealed
// in that order, and SignedPublic gives SignedPublic. A vector with Altered
// set holds Sealed bytes changed as it says, opened with OpenWith (or
// AccountKey) and refused with Error.
type keyringVector struct {
	Comment      string         `json:"comment"`
	Seed         uint64         `json:"seed"`
	AccountKey   vectortest.Hex `json:"account_key"`
	Identity     string         `json:"identity"`
	SigningSeed  vectortest.Hex `json:"signing_seed"`
	Sealed       vectortest.Hex `json:"sealed"`
	SignedPublic vectortest.Hex `json:"signed_public"`
	Altered      string         `json:"altered,omitempty"`
	OpenWith     vectortest.Hex `json:"open_with,omitempty"`
	Error        string         `json:"error,omitempty"`
}

func makeKeyring(t *testing.T, seed uint64) keyringVector {
	t.Helper()
	cryptotest.SetGlobalRandom(t, seed)
	ak := account.NewAccountKey()
	kr := account.NewKeyring()
	sealed, err := account.SealKeyring(ak, kr)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kr.SignedPublic()
	if err != nil {
		t.Fatal(err)
	}
	return keyringVector{Seed: seed, AccountKey: ak.Bytes(), Identity: string(kr.Identity().MarshalSecret()),
		SigningSeed: kr.SigningKey().Seed(), Sealed: sealed, SignedPublic: pub}
}

func TestVectorsKeyring(t *testing.T) {
	for _, c := range vectortest.Load[keyringVector](t, "account-keyring") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			key := v.AccountKey
			if v.OpenWith != nil {
				key = v.OpenWith
			}
			ak, err := keys.SymmetricKeyFromBytes(key)
			if err != nil {
				t.Fatal(err)
			}
			kr, err := account.OpenKeyring(ak, v.Sealed)
			checkErr(t, "OpenKeyring", err, v.Error)
			if v.Altered != "" {
				return
			}
			if string(kr.Identity().MarshalSecret()) != v.Identity || !bytes.Equal(kr.SigningKey().Seed(), v.SigningSeed) {
				t.Fatal("opened keyring differs from the vector's")
			}
			pub, err := account.ParseSignedPublicKeyring(v.SignedPublic)
			if err != nil {
				t.Fatal(err)
			}
			if err := kr.Check(pub); err != nil {
				t.Fatal(err)
			}
			got := makeKeyring(t, v.Seed)
			if !bytes.Equal(got.AccountKey, v.AccountKey) || got.Identity != v.Identity || !bytes.Equal(got.SigningSeed, v.SigningSeed) {
				t.Fatal("seeded keys differ from the vector's")
			}
			if !bytes.Equal(got.Sealed, v.Sealed) {
				t.Errorf("sealed keyring =\n%x\nwant\n%x", got.Sealed, v.Sealed)
			}
			if !bytes.Equal(got.SignedPublic, v.SignedPublic) {
				t.Errorf("signed public keyring =\n%x\nwant\n%x", got.SignedPublic, v.SignedPublic)
			}
		})
	}
}

// publicKeyringVector: ParseSignedPublicKeyring(Signed) gives Recipient
// and VerifyKey, or fails with Error.
type publicKeyringVector struct {
	Comment   string         `json:"comment"`
	Signed    vectortest.Hex `json:"signed"`
	Recipient string         `json:"recipient,omitempty"`
	VerifyKey string         `json:"verify_key,omitempty"`
	Error     string         `json:"error,omitempty"`
}

func TestVectorsPublicKeyring(t *testing.T) {
	for _, c := range vectortest.Load[publicKeyringVector](t, "account-public-keyring") {
		t.Run(c.Name, func(t *testing.T) {
			pub, err := account.ParseSignedPublicKeyring(c.V.Signed)
			checkErr(t, "ParseSignedPublicKeyring", err, c.V.Error)
			if err == nil && (pub.Recipient.String() != c.V.Recipient || pub.VerifyKey.String() != c.V.VerifyKey) {
				t.Errorf("parsed %s %s, want %s %s", pub.Recipient, pub.VerifyKey, c.V.Recipient, c.V.VerifyKey)
			}
		})
	}
}

// wrapVector: with crypto/rand seeded by Seed, the method's Wrap function
// on AccountKey and the creation inputs gives exactly Wrap (unless Altered
// says how Wrap was changed afterwards). Unlocking Wrap with the unlock
// inputs gives AccountKey, or Error.
type wrapVector struct {
	Comment    string         `json:"comment"`
	Seed       uint64         `json:"seed"`
	Method     string         `json:"method"`
	AccountKey vectortest.Hex `json:"account_key"`

	ExportKey    vectortest.Hex `json:"export_key,omitempty"`
	CredentialID vectortest.Hex `json:"credential_id,omitempty"`
	PRFOutput    vectortest.Hex `json:"prf_output,omitempty"`
	Device       string         `json:"device,omitempty"`
	RecoveryCode string         `json:"recovery_code,omitempty"`
	Admins       []string       `json:"admins,omitempty"`
	Threshold    int            `json:"threshold,omitempty"`

	Wrap    vectortest.Hex `json:"wrap"`
	Altered string         `json:"altered,omitempty"`

	Unlocker           string         `json:"unlocker"`
	UnlockExportKey    vectortest.Hex `json:"unlock_export_key,omitempty"`
	UnlockCredentialID vectortest.Hex `json:"unlock_credential_id,omitempty"`
	UnlockPRFOutput    vectortest.Hex `json:"unlock_prf_output,omitempty"`
	UnlockIdentities   []string       `json:"unlock_identities,omitempty"`
	UnlockRecoveryCode string         `json:"unlock_recovery_code,omitempty"`
	Error              string         `json:"error,omitempty"`
}

func makeWrap(t *testing.T, v wrapVector) []byte {
	t.Helper()
	cryptotest.SetGlobalRandom(t, v.Seed)
	ak, err := keys.SymmetricKeyFromBytes(v.AccountKey)
	if err != nil {
		t.Fatal(err)
	}
	var w []byte
	switch v.Method {
	case "password":
		ek, err := opaque.ExportKeyFromBytes(v.ExportKey)
		if err != nil {
			t.Fatal(err)
		}
		w, err = account.WrapForPassword(ak, ek)
	case "passkey":
		w, err = account.WrapForPasskey(ak, v.CredentialID, v.PRFOutput)
	case "device":
		r, perr := keys.ParseRecipient(v.Device)
		if perr != nil {
			t.Fatal(perr)
		}
		w, err = account.WrapForDevice(ak, r)
	case "recovery-code":
		code, perr := account.ParseRecoveryCode(v.RecoveryCode)
		if perr != nil {
			t.Fatal(perr)
		}
		w, err = account.WrapForRecoveryCode(ak, code)
	case "tenant-recovery":
		var rs []keys.Recipient
		for _, s := range v.Admins {
			r, perr := keys.ParseRecipient(s)
			if perr != nil {
				t.Fatal(perr)
			}
			rs = append(rs, r)
		}
		w, err = account.WrapForTenant(ak, v.Threshold, rs)
	default:
		t.Fatalf("unknown method %q", v.Method)
	}
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func unlocker(t *testing.T, v wrapVector) account.Unlocker {
	t.Helper()
	var ids []*keys.Identity
	for _, s := range v.UnlockIdentities {
		id, err := keys.ParseIdentity([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	switch v.Unlocker {
	case "password":
		ek, err := opaque.ExportKeyFromBytes(v.UnlockExportKey)
		if err != nil {
			t.Fatal(err)
		}
		return account.WithPassword(ek)
	case "passkey":
		return account.WithPasskey(v.UnlockCredentialID, v.UnlockPRFOutput)
	case "device":
		return account.WithDevice(ids[0])
	case "recovery-code":
		code, err := account.ParseRecoveryCode(v.UnlockRecoveryCode)
		if err != nil {
			t.Fatal(err)
		}
		return account.WithRecoveryCode(code)
	case "tenant-recovery":
		return account.WithTenantAdmins(ids...)
	}
	t.Fatalf("unknown unlocker %q", v.Unlocker)
	return nil
}

func TestVectorsWrap(t *testing.T) {
	methods := map[string]bool{}
	for _, c := range vectortest.Load[wrapVector](t, "account-wrap") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			got, err := account.Unlock(v.Wrap, unlocker(t, v))
			checkErr(t, "Unlock", err, v.Error)
			if err == nil {
				methods[v.Method] = true
				want, _ := keys.SymmetricKeyFromBytes(v.AccountKey)
				if !got.Equal(want) {
					t.Fatal("unlocked a different account key")
				}
				w, err := account.ParseWrap(v.Wrap)
				if err != nil {
					t.Fatal(err)
				}
				if w.Method().String() != v.Method {
					t.Errorf("method %s, want %s", w.Method(), v.Method)
				}
				if again, _ := w.Marshal(); !bytes.Equal(again, v.Wrap) {
					t.Error("parsed wrap does not re-encode to the same bytes")
				}
			}
			if v.Altered == "" {
				if w := makeWrap(t, v); !bytes.Equal(w, v.Wrap) {
					t.Errorf("wrap =\n%x\nwant\n%x", w, v.Wrap)
				}
			}
		})
	}
	for _, m := range []account.UnlockMethod{account.MethodPassword, account.MethodPasskey, account.MethodDevice, account.MethodRecoveryCode, account.MethodTenantRecovery} {
		if !methods[m.String()] {
			t.Errorf("no vector unlocks a %s wrap", m)
		}
	}
}

// recoveryCodeVector: ParseRecoveryCode(Text) gives the code whose display
// form is Canonical, or fails with Error.
type recoveryCodeVector struct {
	Comment   string `json:"comment"`
	Text      string `json:"text"`
	Canonical string `json:"canonical,omitempty"`
	Error     string `json:"error,omitempty"`
}

func TestVectorsRecoveryCode(t *testing.T) {
	for _, c := range vectortest.Load[recoveryCodeVector](t, "account-recovery-code") {
		t.Run(c.Name, func(t *testing.T) {
			code, err := account.ParseRecoveryCode(c.V.Text)
			checkErr(t, "ParseRecoveryCode", err, c.V.Error)
			if err == nil && code.Reveal() != c.V.Canonical {
				t.Errorf("canonical form %q, want %q", code.Reveal(), c.V.Canonical)
			}
		})
	}
}

// TestUpdateVectors regenerates this package's vectors with
// `go test ./keys/account -run UpdateVectors -update`.
func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	writeKeyringVectors(t)
	writeWrapVectors(t)
	writeRecoveryCodeVectors(t)
}

func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func writeKeyringVectors(t *testing.T) {
	var v keyringVector
	t.Run("keyring", func(t *testing.T) { v = makeKeyring(t, 10) })
	v.Comment = "AK, keyring and sealed keyring made from crypto/rand seeded with 10, in that order. Sealed = keys.SealSecret(HKDF-SHA-256(AK, no salt, " +
		"\"vellum-kdf/keyring/v1\"), label \"vellum-wrap/keyring/v1\", CBOR {1: 1, 2: identity bytes, 3: Ed25519 seed}); " +
		"signed_public = CBOR {1: body, 2: Ed25519 signature over \"vellum-keyring-public/v1\" ‖ 0x0a ‖ body}, body = CBOR {1: 1, 2: recipient text, 3: verify key bytes}"
	vectortest.Write(t, "account-keyring", "keyring", v)

	alt := v
	alt.Comment, alt.Altered, alt.Sealed, alt.Error = "the keyring vector with the last tag byte flipped", "last byte flipped", flip(v.Sealed, len(v.Sealed)-1), "wrong_account_key"
	vectortest.Write(t, "account-keyring", "altered", alt)
	alt = v
	alt.Comment, alt.Altered, alt.OpenWith, alt.Error = "the keyring vector opened with another account key (0x00..0x1f)", "opened with another key", seq(0, 32), "wrong_account_key"
	vectortest.Write(t, "account-keyring", "wrong-account-key", alt)
	alt = v
	alt.Comment, alt.Altered, alt.Sealed, alt.Error = "the keyring vector cut to 30 bytes, shorter than SealSecret's overhead", "truncated", v.Sealed[:30], "malformed"
	vectortest.Write(t, "account-keyring", "truncated", alt)

	// A keyring plaintext of an unknown version, sealed properly.
	ak, _ := keys.SymmetricKeyFromBytes(v.AccountKey)
	kek := keys.DeriveKey(ak.Bytes(), nil, protocol.LabelKDFKeyring)
	bad, err := protocol.MarshalCBOR(map[int]any{1: 2, 2: []byte(v.Identity), 3: []byte(v.SigningSeed)})
	if err != nil {
		t.Fatal(err)
	}
	var badSealed []byte
	t.Run("unknown-version", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 12)
		badSealed = keys.SealSecret(kek, protocol.LabelWrapKeyring, bad)
	})
	alt = v
	alt.Comment, alt.Altered, alt.Sealed, alt.Error = "a keyring sealed properly (nonce from crypto/rand seeded with 12) whose CBOR says version 2", "plaintext version 2", badSealed, "malformed"
	vectortest.Write(t, "account-keyring", "unknown-version", alt)

	kr := func() *account.Keyring {
		id, err := keys.ParseIdentity([]byte(v.Identity))
		if err != nil {
			t.Fatal(err)
		}
		sk, _ := keys.SigningKeyFromSeed(v.SigningSeed)
		return account.NewKeyringFrom(id, sk)
	}()
	pub := kr.Public()
	vectortest.Write(t, "account-public-keyring", "valid", publicKeyringVector{
		Comment: "the signed public keyring of the account-keyring vector",
		Signed:  v.SignedPublic, Recipient: pub.Recipient.String(), VerifyKey: pub.VerifyKey.String(),
	})
	vectortest.Write(t, "account-public-keyring", "altered-signature", publicKeyringVector{
		Comment: "the valid vector with the signature's last byte flipped",
		Signed:  flip(v.SignedPublic, len(v.SignedPublic)-1), Error: "bad_signature",
	})
	vectortest.Write(t, "account-public-keyring", "altered-body", publicKeyringVector{
		Comment: "the valid vector with the recipient inside the body replaced by another valid recipient: the body still parses, the signature does not verify",
		Signed:  flipRecipient(t, v.SignedPublic), Error: "bad_signature",
	})
	vectortest.Write(t, "account-public-keyring", "trailing", publicKeyringVector{
		Comment: "the valid vector followed by a zero byte",
		Signed:  append(bytes.Clone(v.SignedPublic), 0), Error: "malformed",
	})
}

// flipRecipient replaces the recipient inside the signed body with another
// valid recipient of the same length (made from crypto/rand seeded with
// 11), so that the body still parses and only the signature catches it.
func flipRecipient(t *testing.T, signed []byte) []byte {
	i := bytes.Index(signed, []byte("age1"))
	if i < 0 {
		t.Fatal("no recipient in the signed public keyring")
	}
	var other string
	t.Run("other-recipient", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 11)
		other = keys.NewIdentity().Recipient().String()
	})
	c := bytes.Clone(signed)
	copy(c[i:], other)
	return c
}

func writeWrapVectors(t *testing.T) {
	ak := seq(0x40, 32)
	export, otherExport := seq(0x80, 64), seq(0x81, 64)
	cred, prf, otherPRF := seq(0xa0, 16), seq(0xc0, 32), seq(0xc1, 32)
	var device, otherDevice *keys.Identity
	var admins []*keys.Identity
	var code, otherCode string
	t.Run("identities", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 20)
		device, otherDevice = keys.NewIdentity(), keys.NewIdentity()
		for range 3 {
			admins = append(admins, keys.NewIdentity())
		}
		code, otherCode = account.NewRecoveryCode().Reveal(), account.NewRecoveryCode().Reveal()
	})
	idStr := func(ids ...*keys.Identity) []string {
		var out []string
		for _, id := range ids {
			out = append(out, string(id.MarshalSecret()))
		}
		return out
	}
	adminRecipients := []string{admins[0].Recipient().String(), admins[1].Recipient().String(), admins[2].Recipient().String()}
	tenant1of1 := []string{adminRecipients[0]}

	base := map[string]wrapVector{
		"password": {Comment: "AK 0x40..0x5f wrapped under HKDF-SHA-256(export key 0x80..0xbf, no salt, \"vellum-kdf/opaque-export/v1\"): " +
			"CBOR {1: 1, 2: 1, 3: keys.SealSecret(kek, \"vellum-wrap/account-key/v1\", AK)}",
			Seed: 21, Method: "password", ExportKey: export, Unlocker: "password", UnlockExportKey: export},
		"passkey": {Comment: "AK wrapped under HKDF-SHA-256(PRF output 0xc0..0xdf, salt = credential id 0xa0..0xaf, \"vellum-kdf/passkey-prf/v1\"): " +
			"CBOR {1: 1, 2: 2, 3: sealed AK, 4: credential id}",
			Seed: 22, Method: "passkey", CredentialID: cred, PRFOutput: prf, Unlocker: "passkey", UnlockCredentialID: cred, UnlockPRFOutput: prf},
		"device": {Comment: "AK wrapped to a device's age recipient with keys.WrapKey: CBOR {1: 1, 2: 3, 3: age file, 5: [device recipient]}",
			Seed: 23, Method: "device", Device: device.Recipient().String(), Unlocker: "device", UnlockIdentities: idStr(device)},
		"recovery-code": {Comment: "AK wrapped under HKDF-SHA-256(the code's 16 bytes of entropy, no salt, \"vellum-kdf/recovery-code/v1\"): CBOR {1: 1, 2: 4, 3: sealed AK}",
			Seed: 24, Method: "recovery-code", RecoveryCode: code, Unlocker: "recovery-code", UnlockRecoveryCode: code},
		"tenant-1of1": {Comment: "AK wrapped to a single tenant recovery recipient: CBOR {1: 1, 2: 5, 5: [recipient], 6: 1, 7: [keys.WrapKey(AK) to it]}",
			Seed: 25, Method: "tenant-recovery", Admins: tenant1of1, Threshold: 1, Unlocker: "tenant-recovery", UnlockIdentities: idStr(admins[0])},
		"tenant-2of3": {Comment: "AK wrapped to 2 of 3 admins: recipients sorted; onions for {0,1}, {0,2}, {1,2} in that order, each keys.WrapKey(AK) to the lower admin " +
			"then age-encrypted to the higher; unlocked with admins given in any order",
			Seed: 26, Method: "tenant-recovery", Admins: adminRecipients, Threshold: 2, Unlocker: "tenant-recovery", UnlockIdentities: idStr(admins[2], admins[0])},
	}
	for name, v := range base {
		v.AccountKey = ak
		t.Run(name, func(t *testing.T) { v.Wrap = makeWrap(t, v) })
		vectortest.Write(t, "account-wrap", name, v)
		base[name] = v
	}

	wrong := func(name, from, comment, errName string, change func(*wrapVector)) {
		v := base[from]
		v.Comment, v.Error = comment, errName
		change(&v)
		vectortest.Write(t, "account-wrap", name, v)
	}
	wrong("password-wrong", "password", "the password wrap unlocked with another export key (0x81..0xc0)", "wrong_password",
		func(v *wrapVector) { v.UnlockExportKey = otherExport })
	wrong("passkey-wrong-prf", "passkey", "the passkey wrap unlocked with another PRF output (0xc1..0xe0)", "wrong_passkey",
		func(v *wrapVector) { v.UnlockPRFOutput = otherPRF })
	wrong("passkey-other-credential", "passkey", "the passkey wrap unlocked with the right PRF output but another credential id: refused before any derivation", "wrong_passkey",
		func(v *wrapVector) { v.UnlockCredentialID = seq(0xa1, 16) })
	wrong("device-wrong", "device", "the device wrap unlocked with another device's identity", "wrong_device",
		func(v *wrapVector) { v.UnlockIdentities = idStr(otherDevice) })
	wrong("recovery-code-wrong", "recovery-code", "the recovery code wrap unlocked with another valid code", "wrong_recovery_code",
		func(v *wrapVector) { v.UnlockRecoveryCode = otherCode })
	wrong("tenant-2of3-one-admin", "tenant-2of3", "the 2-of-3 wrap with only one admin's identity", "wrong_admins",
		func(v *wrapVector) { v.UnlockIdentities = idStr(admins[1]) })
	wrong("tenant-2of3-outsider", "tenant-2of3", "the 2-of-3 wrap with one admin and a non-admin", "wrong_admins",
		func(v *wrapVector) { v.UnlockIdentities = idStr(admins[1], otherDevice) })
	wrong("password-as-recovery", "password", "a password wrap given to the recovery code unlocker", "wrong_method",
		func(v *wrapVector) { v.Unlocker, v.UnlockRecoveryCode = "recovery-code", code })

	altered := func(name, from, comment, how, errName string, change func([]byte) []byte) {
		v := base[from]
		v.Comment, v.Altered, v.Error = comment, how, errName
		v.Wrap = change(bytes.Clone(v.Wrap))
		vectortest.Write(t, "account-wrap", name, v)
	}
	altered("password-altered", "password", "the password wrap with the sealed key's last byte flipped", "last byte flipped", "wrong_password",
		func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
	altered("recovery-code-altered", "recovery-code", "the recovery code wrap with the sealed key's last byte flipped", "last byte flipped", "wrong_recovery_code",
		func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
	altered("truncated", "password", "the password wrap without its last byte: the CBOR is cut short", "truncated", "malformed",
		func(b []byte) []byte { return b[:len(b)-1] })
	altered("trailing", "password", "the password wrap followed by a zero byte", "trailing byte", "malformed",
		func(b []byte) []byte { return append(b, 0) })
	altered("reordered", "password", "the password wrap with its first two map entries swapped (a3 02 01 01 01 …): valid CBOR, not the canonical order", "keys 1 and 2 swapped", "malformed",
		func(b []byte) []byte { b[1], b[2], b[3], b[4] = b[3], b[4], b[1], b[2]; return b })
	altered("unknown-version", "password", "the password wrap with version 2 (byte 2 of the CBOR a3 01 01 02 01 …)", "version 2", "malformed",
		func(b []byte) []byte { b[2] = 0x02; return b })
	altered("unknown-method", "password", "the password wrap with method 9 (byte 4 of the CBOR)", "method 9", "malformed",
		func(b []byte) []byte { b[4] = 0x09; return b })
	altered("method-swapped", "password", "the password wrap relabelled as a device wrap (method byte 1 → 3): no device recipient, no age file", "method 3", "malformed",
		func(b []byte) []byte { b[4] = 0x03; return b })
	altered("tenant-onion-altered", "tenant-1of1", "the 1-of-1 tenant wrap with the core age file's last byte flipped", "last byte flipped", "wrong_admins",
		func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
	altered("tenant-threshold-over", "tenant-2of3", "the 2-of-3 wrap with threshold 4 (over N)", "threshold 4", "malformed",
		func(b []byte) []byte {
			i := bytes.Index(b, []byte{0x06, 0x02})
			b[i+1] = 0x04
			return b
		})
}

func writeRecoveryCodeVectors(t *testing.T) {
	var canonical string
	t.Run("code", func(t *testing.T) {
		cryptotest.SetGlobalRandom(t, 30)
		canonical = account.NewRecoveryCode().Reveal()
	})
	lower := []byte(canonical)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	spaced := bytes.ReplaceAll([]byte(canonical), []byte("-"), []byte(" "))
	vs := map[string]recoveryCodeVector{
		"canonical":     {Comment: "a code as Reveal prints it: 28 Crockford base32 characters (128 bits of entropy ‖ 12-bit checksum) in 7 groups of 4", Text: canonical, Canonical: canonical},
		"lower-spaced":  {Comment: "the same code typed in lower case with spaces instead of dashes", Text: string(bytes.ReplaceAll(lower, []byte("-"), []byte(" "))), Canonical: canonical},
		"no-separators": {Comment: "the same code with no separators at all", Text: string(bytes.ReplaceAll([]byte(canonical), []byte("-"), nil)), Canonical: canonical},
		"extra-spaces":  {Comment: "the same code with leading and trailing spaces, and spaces between the groups", Text: "  " + string(spaced) + "  ", Canonical: canonical},
		"typo":          {Comment: "the code with its first character replaced by the next one in the alphabet: caught by the checksum", Text: nextSymbol(canonical, 0), Error: "recovery_code_typo"},
		"transposed":    {Comment: "the code with its first two different adjacent characters swapped", Text: transpose(canonical), Error: "recovery_code_typo"},
		"short":         {Comment: "the code without its last group", Text: canonical[:len(canonical)-5], Error: "malformed"},
		"long":          {Comment: "the code with an extra character", Text: canonical + "0", Error: "malformed"},
		"bad-char":      {Comment: "the code with a U, which Crockford's alphabet leaves out", Text: "U" + canonical[1:], Error: "malformed"},
		"too-large":     {Comment: "text over protocol.MaxRecoveryCodeText bytes: refused before reading", Text: string(bytes.Repeat([]byte(" "), protocol.MaxRecoveryCodeText+1)), Error: "too_large"},
	}
	// Crockford's look-alikes: O reads as 0, I and L as 1.
	alike := []byte(canonical)
	found := false
	for i, c := range alike {
		if c == '0' {
			alike[i], found = 'o', true
		} else if c == '1' {
			alike[i], found = 'l', true
		}
	}
	if !found {
		t.Fatal("the seeded code has neither 0 nor 1; pick another seed")
	}
	vs["look-alikes"] = recoveryCodeVector{Comment: "the code with every 0 typed as o and every 1 as l", Text: string(alike), Canonical: canonical}
	for name, v := range vs {
		vectortest.Write(t, "account-recovery-code", name, v)
	}
}

func nextSymbol(code string, i int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := []byte(code)
	b[i] = alphabet[(bytes.IndexByte([]byte(alphabet), b[i])+1)%32]
	return string(b)
}

func transpose(code string) string {
	b := []byte(code)
	for i := 0; i+1 < len(b); i++ {
		if b[i] != b[i+1] && b[i] != '-' && b[i+1] != '-' {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	panic("no transposable pair")
}
