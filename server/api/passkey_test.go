package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/protocol"
)

// softAuthenticator is a WebAuthn authenticator in software: an ES256 key,
// "none" attestation, user presence and verification always given, and a
// PRF output of its own, as a browser's platform authenticator would give.
type softAuthenticator struct {
	t      *testing.T
	key    *ecdsa.PrivateKey
	credID []byte
	origin string
	count  uint32
	user   []byte
	prf    []byte
}

func newSoftAuthenticator(t *testing.T) *softAuthenticator {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := &softAuthenticator{t: t, key: k, credID: make([]byte, 32), origin: "https://localhost", prf: make([]byte, 32)}
	rand.Read(a.credID)
	rand.Read(a.prf)
	return a
}

var b64u = base64.RawURLEncoding

type ceremonyOptions struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
}

func (a *softAuthenticator) clientData(typ string, opts json.RawMessage) ([]byte, string) {
	var o ceremonyOptions
	if err := json.Unmarshal(opts, &o); err != nil {
		a.t.Fatal(err)
	}
	rp := o.RPID
	if rp == "" {
		rp = o.RP.ID
	}
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": o.Challenge, "origin": a.origin, "crossOrigin": false})
	if o.User.ID != "" {
		u, err := b64u.DecodeString(o.User.ID)
		if err != nil {
			a.t.Fatal(err)
		}
		a.user = u
	}
	return cd, rp
}

func (a *softAuthenticator) authData(rp string, flags byte, attested []byte) []byte {
	h := sha256.Sum256([]byte(rp))
	a.count++
	d := append(h[:], flags)
	d = binary.BigEndian.AppendUint32(d, a.count)
	return append(d, attested...)
}

// create answers navigator.credentials.create.
func (a *softAuthenticator) create(opts json.RawMessage) json.RawMessage {
	cd, rp := a.clientData("webauthn.create", opts)
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
	if err != nil {
		a.t.Fatal(err)
	}
	att := make([]byte, 16) // AAGUID
	att = binary.BigEndian.AppendUint16(att, uint16(len(a.credID)))
	att = append(att, a.credID...)
	att = append(att, cose...)
	obj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(rp, 0x45, att)})
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.credID), "rawId": b64u.EncodeToString(a.credID), "type": "public-key",
		"response":               map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(obj)},
		"clientExtensionResults": map[string]any{},
	})
	return out
}

// get answers navigator.credentials.get.
func (a *softAuthenticator) get(opts json.RawMessage) json.RawMessage {
	cd, rp := a.clientData("webauthn.get", opts)
	ad := a.authData(rp, 0x05, nil)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.credID), "rawId": b64u.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(ad),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(a.user),
		},
		"clientExtensionResults": map[string]any{},
	})
	return out
}

func TestPasskeys(t *testing.T) {
	s := startServer(t, nil)
	u := s.register("pat@example.com")
	auth := newSoftAuthenticator(t)

	var cer protocol.PasskeyCeremony
	s.must("POST", "/account/passkey-ceremonies", u.access, &protocol.PasskeyRegisterStartRequest{Label: "laptop"}, &cer)
	cred := auth.create(cer.Options)
	prfWrap, err := account.WrapForPasskey(u.ak, auth.credID, auth.prf)
	if err != nil {
		t.Fatal(err)
	}
	var pk protocol.Passkey
	s.must("POST", "/account/passkeys", u.access, &protocol.PasskeyRegisterFinishRequest{CeremonyID: cer.CeremonyID, Credential: cred, PRFWrap: prfWrap}, &pk)
	if !pk.PRF || pk.Label != "laptop" {
		t.Fatalf("passkey: %+v", pk)
	}
	// A ceremony is used once.
	s.wantCode(protocol.CodeNotFound, "POST", "/account/passkeys", u.access, &protocol.PasskeyRegisterFinishRequest{CeremonyID: cer.CeremonyID, Credential: cred})
	// The PRF wrap can be replaced through the unlock methods, for this
	// passkey's credential only.
	s.must("POST", "/account/unlock-methods", u.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockPasskey, Wrap: prfWrap, PasskeyID: pk.PasskeyID}, nil)
	otherWrap, _ := account.WrapForPasskey(u.ak, []byte("another credential"), auth.prf)
	s.wantCode(protocol.CodeBadRequest, "POST", "/account/unlock-methods", u.access, &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockPasskey, Wrap: otherWrap, PasskeyID: pk.PasskeyID})
	var ml protocol.UnlockMethodList
	s.must("GET", "/account/unlock-methods", u.access, nil, &ml)
	n := 0
	for _, m := range ml.Methods {
		if m.Kind == protocol.UnlockPasskey && m.PasskeyID == pk.PasskeyID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d passkey wraps after a replacement", n)
	}
	var pl protocol.PasskeyList
	s.must("GET", "/account/passkeys", u.access, nil, &pl)
	if len(pl.Passkeys) != 1 {
		t.Fatalf("passkeys: %+v", pl)
	}

	unlock := func(lr *protocol.LoginResponse) {
		t.Helper()
		for _, w := range lr.Unlock.Wraps {
			if w.Kind == protocol.UnlockPasskey {
				ak, err := account.Unlock(w.Wrap, account.WithPasskey(auth.credID, auth.prf))
				if err != nil {
					t.Fatal(err)
				}
				if !ak.Equal(u.ak) {
					t.Fatal("the passkey wrap holds another account key")
				}
				return
			}
		}
		t.Fatalf("no passkey wrap in %+v", lr.Unlock.Wraps)
	}

	// A login naming the address, from the trusted device.
	s.must("POST", "/auth/passkey/start", "", &protocol.PasskeyLoginStartRequest{Email: u.email}, &cer)
	var lr protocol.LoginResponse
	s.must("POST", "/auth/passkey/finish", "", &protocol.PasskeyLoginFinishRequest{CeremonyID: cer.CeremonyID, Assertion: auth.get(cer.Options), DeviceID: u.deviceID}, &lr)
	lr, r := u.proveDevice(&lr)
	if r.status != 200 || lr.Session == nil {
		t.Fatalf("passkey login: %d %+v", r.status, lr)
	}
	unlock(&lr)

	// A discoverable login from a new browser needs the e-mailed code.
	s.must("POST", "/auth/passkey/start", "", &protocol.PasskeyLoginStartRequest{}, &cer)
	lr = protocol.LoginResponse{}
	s.must("POST", "/auth/passkey/finish", "", &protocol.PasskeyLoginFinishRequest{CeremonyID: cer.CeremonyID, Assertion: auth.get(cer.Options)}, &lr)
	if lr.Verification == nil {
		t.Fatalf("discoverable login from a new browser: %+v", lr)
	}
	lr2 := protocol.LoginResponse{}
	s.must("POST", "/auth/device-verification", "", &protocol.DeviceVerifyRequest{VerificationID: lr.Verification.VerificationID, Code: s.lastCode(u.email)}, &lr2)
	unlock(&lr2)

	// A forged signature, and an address without passkeys, fail alike.
	s.must("POST", "/auth/passkey/start", "", &protocol.PasskeyLoginStartRequest{Email: u.email}, &cer)
	other := newSoftAuthenticator(t)
	other.credID, other.user = auth.credID, auth.user
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/passkey/finish", "", &protocol.PasskeyLoginFinishRequest{CeremonyID: cer.CeremonyID, Assertion: other.get(cer.Options)})
	var ghost protocol.PasskeyCeremony
	s.must("POST", "/auth/passkey/start", "", &protocol.PasskeyLoginStartRequest{Email: "ghost@example.com"}, &ghost)
	var gopts struct {
		Allow []json.RawMessage `json:"allowCredentials"`
	}
	json.Unmarshal(ghost.Options, &gopts)
	if len(gopts.Allow) != 1 {
		t.Fatalf("an unknown address gets %d credentials", len(gopts.Allow))
	}
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/passkey/finish", "", &protocol.PasskeyLoginFinishRequest{CeremonyID: ghost.CeremonyID, Assertion: auth.get(ghost.Options)})

	// Removing the passkey ends every session and its logins.
	token := lr2.Session.AccessToken
	s.must("DELETE", "/account/passkeys/"+pk.PasskeyID, token, nil, nil)
	s.wantCode(protocol.CodeUnauthenticated, "GET", "/account", token, nil)
	s.must("POST", "/auth/passkey/start", "", &protocol.PasskeyLoginStartRequest{}, &cer)
	s.wantCode(protocol.CodeAuthFailed, "POST", "/auth/passkey/finish", "", &protocol.PasskeyLoginFinishRequest{CeremonyID: cer.CeremonyID, Assertion: auth.get(cer.Options)})
}
