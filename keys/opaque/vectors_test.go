package opaque_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/cryptotest"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/opaque"
)

// transcriptVector is a whole registration and login, run with crypto/rand
// seeded by Seed: every message and key is byte-exact. Registered false
// means the login is for an unknown account (the server uses its fake
// record). Tamper names a message whose byte TamperAt is flipped in transit;
// Error is then the error of the step named by ErrorAt.
type transcriptVector struct {
	Comment       string         `json:"comment"`
	Seed          uint64         `json:"seed"`
	KSF           []uint64       `json:"ksf_argon2id_t_mkib_p"`
	Password      string         `json:"password"`
	LoginPassword string         `json:"login_password"`
	CredentialID  vectortest.Hex `json:"credential_id"`
	Registered    bool           `json:"registered"`
	Tamper        string         `json:"tamper,omitempty"`
	TamperAt      int            `json:"tamper_at,omitempty"`
	Error         string         `json:"error,omitempty"`
	ErrorAt       string         `json:"error_at,omitempty"`

	ServerKey            vectortest.Hex `json:"server_key"`
	RegistrationRequest  vectortest.Hex `json:"registration_request,omitempty"`
	RegistrationResponse vectortest.Hex `json:"registration_response,omitempty"`
	RegistrationRecord   vectortest.Hex `json:"registration_record,omitempty"`
	ExportKey            vectortest.Hex `json:"export_key,omitempty"`
	KE1                  vectortest.Hex `json:"ke1"`
	KE2                  vectortest.Hex `json:"ke2"`
	ServerLoginState     vectortest.Hex `json:"server_login_state"`
	KE3                  vectortest.Hex `json:"ke3,omitempty"`
	SessionKey           vectortest.Hex `json:"session_key,omitempty"`
}

// messageVector is one input to a parser. Error is empty for input that
// MUST parse (and re-encode to the same bytes).
type messageVector struct {
	Comment string         `json:"comment"`
	Type    string         `json:"type"`
	Bytes   vectortest.Hex `json:"bytes"`
	Error   string         `json:"error,omitempty"`
}

func errName(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, opaque.ErrWrongPassword):
		return "wrong_password"
	case errors.Is(err, keys.ErrMalformed):
		return "malformed"
	case errors.Is(err, opaque.ErrStateUsed):
		return "state_used"
	}
	return "other: " + err.Error()
}

func flipAt(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// runTranscript runs the protocol described by in's inputs and returns in
// with every output filled in. It calls SetGlobalRandom itself.
func runTranscript(t *testing.T, in transcriptVector) transcriptVector {
	t.Helper()
	opaque.UseKSF(t, in.KSF)
	cryptotest.SetGlobalRandom(t, in.Seed)
	v := in
	v.Error, v.ErrorAt = "", ""
	fail := func(at string, err error) transcriptVector {
		v.Error, v.ErrorAt = errName(err), at
		return v
	}

	sk := opaque.NewServerKey()
	v.ServerKey = sk.MarshalSecret()
	srv, err := opaque.NewServer(sk)
	if err != nil {
		t.Fatal(err)
	}
	var record *opaque.RegistrationRecord
	if in.Registered {
		reg, req, err := opaque.StartRegistration([]byte(in.Password))
		if err != nil {
			t.Fatal(err)
		}
		v.RegistrationRequest = req.Bytes()
		resp, err := srv.RegistrationResponse(req, in.CredentialID)
		if err != nil {
			t.Fatal(err)
		}
		v.RegistrationResponse = resp.Bytes()
		record, export, err := reg.Finish(resp)
		if err != nil {
			t.Fatal(err)
		}
		v.RegistrationRecord, v.ExportKey = record.Bytes(), export.Bytes()
	}
	if in.Registered {
		if record, err = opaque.ParseRegistrationRecord(v.RegistrationRecord); err != nil {
			t.Fatal(err)
		}
	}

	login, ke1, err := opaque.StartLogin([]byte(in.LoginPassword))
	if err != nil {
		t.Fatal(err)
	}
	v.KE1 = ke1.Bytes()
	ke2, state, err := srv.StartLogin(ke1, in.CredentialID, record)
	if err != nil {
		t.Fatal(err)
	}
	v.KE2, v.ServerLoginState = ke2.Bytes(), state.MarshalSecret()
	if in.Tamper == "ke2" {
		if ke2, err = opaque.ParseKE2(flipAt(v.KE2, in.TamperAt)); err != nil {
			return fail("parse_ke2", err)
		}
	}
	ke3, export, session, err := login.Finish(ke2)
	if err != nil {
		return fail("client_finish", err)
	}
	v.KE3, v.SessionKey = ke3.Bytes(), session.Bytes()
	if in.Registered && !bytes.Equal(export.Bytes(), v.ExportKey) {
		t.Fatal("login export key differs from registration's")
	}
	if in.Tamper == "ke3" {
		if ke3, err = opaque.ParseKE3(flipAt(v.KE3, in.TamperAt)); err != nil {
			return fail("parse_ke3", err)
		}
	}
	serverSession, err := srv.FinishLogin(state, ke3)
	if err != nil {
		return fail("server_finish", err)
	}
	if !serverSession.Equal(session) {
		t.Fatal("session keys differ")
	}
	return v
}

var transcriptInputs = map[string]transcriptVector{
	"production": {
		Comment: "registration and login with the production Argon2id setting (t=3, 64 MiB, p=1); " +
			"messages are Version 0x01 ‖ the RFC 9807 message; the credential id is an account id",
		Seed: 1, KSF: opaque.ProductionKSF, Password: "correct horse battery staple", LoginPassword: "correct horse battery staple",
		CredentialID: []byte("acct_01JD5ZQ7X4M2W8N3P6R9T1V0YB"), Registered: true,
	},
	"light-ksf": {
		Comment: "the same protocol with the test-only Argon2id setting (t=1, 256 KiB, p=1) and a non-ASCII password",
		Seed:    2, KSF: opaque.LightKSF, Password: "pässwörd ✓", LoginPassword: "pässwörd ✓",
		CredentialID: []byte{0x01, 0x02, 0x03}, Registered: true,
	},
	"wrong-password": {
		Comment: "login with a password other than the registered one: the client's Finish fails with wrong_password, and sends no KE3",
		Seed:    3, KSF: opaque.LightKSF, Password: "correct horse battery staple", LoginPassword: "correct horse battery stapler",
		CredentialID: []byte("acct_wrong"), Registered: true,
	},
	"unknown-account": {
		Comment: "login for an account that does not exist: the server answers from its fake record with a KE2 of the usual shape; " +
			"the client's Finish fails exactly as for a wrong password",
		Seed: 4, KSF: opaque.LightKSF, LoginPassword: "anything",
		CredentialID: []byte("nobody@example.com"), Registered: false,
	},
	"altered-ke2": {
		Comment: "a KE2 with one bit of its masked response flipped still parses, and the client's Finish fails with wrong_password",
		Seed:    5, KSF: opaque.LightKSF, Password: "pw", LoginPassword: "pw",
		CredentialID: []byte("acct_ke2"), Registered: true, Tamper: "ke2", TamperAt: 1 + 32 + 32 + 10,
	},
	"altered-ke3": {
		Comment: "a KE3 with one bit of its MAC flipped: the server's FinishLogin fails with wrong_password",
		Seed:    6, KSF: opaque.LightKSF, Password: "pw", LoginPassword: "pw",
		CredentialID: []byte("acct_ke3"), Registered: true, Tamper: "ke3", TamperAt: 20,
	},
}

func TestVectorsTranscript(t *testing.T) {
	cases := vectortest.Load[transcriptVector](t, "opaque-transcript")
	if len(cases) != len(transcriptInputs) {
		t.Errorf("%d transcript vectors, want %d", len(cases), len(transcriptInputs))
	}
	sawProduction := false
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			sawProduction = sawProduction || slices.Equal(c.V.KSF, opaque.ProductionKSF)
			got := runTranscript(t, c.V)
			got.Comment = c.V.Comment
			want, gotJSON := fmt.Sprintf("%+v", c.V), fmt.Sprintf("%+v", got)
			if want != gotJSON {
				t.Errorf("transcript differs:\n got %s\nwant %s", gotJSON, want)
			}
			checkStoredTranscript(t, c.V)
		})
	}
	if !sawProduction {
		t.Error("no transcript vector uses the production KSF")
	}
}

// checkStoredTranscript checks what can be checked from the stored bytes
// alone, without replaying randomness: every message parses and
// re-encodes, and the server side completes from the stored state.
func checkStoredTranscript(t *testing.T, v transcriptVector) {
	sk, err := opaque.ParseServerKey(v.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := opaque.NewServer(sk)
	if err != nil {
		t.Fatal(err)
	}
	state, err := opaque.ParseServerLoginState(v.ServerLoginState)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(state.CredentialID(), v.CredentialID) {
		t.Error("login state names another credential id")
	}
	if v.Registered {
		req, err := opaque.ParseRegistrationRequest(v.RegistrationRequest)
		if err != nil {
			t.Fatal(err)
		}
		// The registration response is deterministic given the server key.
		resp, err := srv.RegistrationResponse(req, v.CredentialID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(resp.Bytes(), v.RegistrationResponse) {
			t.Error("registration response differs when recomputed from the stored request")
		}
	}
	if len(v.KE3) == 0 {
		return
	}
	stored := v.KE3
	if v.Tamper == "ke3" {
		stored = flipAt(stored, v.TamperAt)
	}
	ke3, err := opaque.ParseKE3(stored)
	if err != nil {
		t.Fatal(err)
	}
	session, err := srv.FinishLogin(state, ke3)
	if v.ErrorAt == "server_finish" {
		if got := errName(err); got != v.Error {
			t.Errorf("server finish on stored bytes: %q, want %q", got, v.Error)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(session.Bytes(), v.SessionKey) {
		t.Error("session key from the stored state differs")
	}
}

// parsers maps a messageVector type to its parser and encoder.
var parsers = map[string]func([]byte) ([]byte, error){
	"registration_request": func(b []byte) ([]byte, error) {
		m, err := opaque.ParseRegistrationRequest(b)
		return bytesOf(m, err)
	},
	"registration_response": func(b []byte) ([]byte, error) {
		m, err := opaque.ParseRegistrationResponse(b)
		return bytesOf(m, err)
	},
	"registration_record": func(b []byte) ([]byte, error) {
		m, err := opaque.ParseRegistrationRecord(b)
		return bytesOf(m, err)
	},
	"ke1": func(b []byte) ([]byte, error) { m, err := opaque.ParseKE1(b); return bytesOf(m, err) },
	"ke2": func(b []byte) ([]byte, error) { m, err := opaque.ParseKE2(b); return bytesOf(m, err) },
	"ke3": func(b []byte) ([]byte, error) { m, err := opaque.ParseKE3(b); return bytesOf(m, err) },
	"server_key": func(b []byte) ([]byte, error) {
		k, err := opaque.ParseServerKey(b)
		if err != nil {
			return nil, err
		}
		return k.MarshalSecret(), nil
	},
	"server_login_state": func(b []byte) ([]byte, error) {
		s, err := opaque.ParseServerLoginState(b)
		if err != nil {
			return nil, err
		}
		return s.MarshalSecret(), nil
	},
}

func bytesOf[M interface{ Bytes() []byte }](m M, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return m.Bytes(), nil
}

func TestVectorsMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range vectortest.Load[messageVector](t, "opaque-messages") {
		t.Run(c.Name, func(t *testing.T) {
			parse, ok := parsers[c.V.Type]
			if !ok {
				t.Fatalf("unknown type %q", c.V.Type)
			}
			out, err := parse(c.V.Bytes)
			if got := errName(err); got != c.V.Error {
				t.Fatalf("parse: %q (%v), want %q", got, err, c.V.Error)
			}
			if err == nil {
				seen[c.V.Type] = true
				if !bytes.Equal(out, c.V.Bytes) {
					t.Error("does not re-encode to the same bytes")
				}
			}
		})
	}
	for typ := range parsers {
		if !seen[typ] {
			t.Errorf("no valid vector of type %s", typ)
		}
	}
}

// messageInputs derives the parser vectors from the production transcript.
func messageInputs(t *testing.T, v transcriptVector) map[string]messageVector {
	valid := map[string][]byte{
		"registration_request":  v.RegistrationRequest,
		"registration_response": v.RegistrationResponse,
		"registration_record":   v.RegistrationRecord,
		"ke1":                   v.KE1,
		"ke2":                   v.KE2,
		"ke3":                   v.KE3,
		"server_key":            v.ServerKey,
		"server_login_state":    v.ServerLoginState,
	}
	out := map[string]messageVector{}
	for typ, b := range valid {
		name := typeName(typ)
		out[name] = messageVector{Comment: "the " + typ + " of the production transcript", Type: typ, Bytes: b}
		out[name+"-truncated"] = messageVector{Comment: "the valid " + typ + " without its last byte", Type: typ, Bytes: b[:len(b)-1], Error: "malformed"}
		out[name+"-trailing"] = messageVector{Comment: "the valid " + typ + " with a trailing zero byte", Type: typ, Bytes: append(bytes.Clone(b), 0), Error: "malformed"}
		out[name+"-version"] = messageVector{Comment: "the valid " + typ + " with version byte 0x02", Type: typ, Bytes: append([]byte{0x02}, b[1:]...), Error: "malformed"}
	}
	// ristretto255 encodings: 0xff..ff is not canonical (it is over the
	// field prime); all zeros is the identity element, refused by OPAQUE.
	ff := bytes.Repeat([]byte{0xff}, 32)
	withElement := func(b []byte, at int, e []byte) []byte {
		c := bytes.Clone(b)
		copy(c[at:], e)
		return c
	}
	out["ke1-noncanonical-element"] = messageVector{Comment: "KE1 whose blinded element is 0xff×32, not a canonical ristretto255 encoding", Type: "ke1", Bytes: withElement(v.KE1, 1, ff), Error: "malformed"}
	out["ke1-identity-keyshare"] = messageVector{Comment: "KE1 whose client key share is the identity element (32 zero bytes)", Type: "ke1", Bytes: withElement(v.KE1, 1+64, make([]byte, 32)), Error: "malformed"}
	out["ke1-zero-nonce"] = messageVector{Comment: "KE1 with an all-zero client nonce", Type: "ke1", Bytes: withElement(v.KE1, 1+32, make([]byte, 32)), Error: "malformed"}
	out["ke3-zero-mac"] = messageVector{Comment: "KE3 with an all-zero MAC", Type: "ke3", Bytes: withElement(v.KE3, 1, make([]byte, 64)), Error: "malformed"}
	out["record-zero-masking-key"] = messageVector{Comment: "registration record with an all-zero masking key", Type: "registration_record", Bytes: withElement(v.RegistrationRecord, 1+32, make([]byte, 64)), Error: "malformed"}
	out["server-key-zero-private-key"] = messageVector{Comment: "server key whose AKE private key is zero", Type: "server_key", Bytes: withElement(v.ServerKey, 1+64, make([]byte, 32)), Error: "malformed"}
	out["server-key-noncanonical-scalar"] = messageVector{Comment: "server key whose AKE private key is 0xff×32, over the group order", Type: "server_key", Bytes: withElement(v.ServerKey, 1+64, ff), Error: "malformed"}
	out["server-login-state-empty-credential"] = messageVector{Comment: "login state with a zero-length credential id", Type: "server_login_state", Bytes: append(bytes.Clone(v.ServerLoginState[:1+128]), 0, 0), Error: "malformed"}
	return out
}

func typeName(typ string) string {
	b := []byte(typ)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

// TestUpdateVectors regenerates this package's vectors with
// `go test ./keys/opaque -run UpdateVectors -update`.
func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	var production transcriptVector
	for name, in := range transcriptInputs {
		var v transcriptVector
		t.Run(name, func(t *testing.T) { v = runTranscript(t, in) })
		vectortest.Write(t, "opaque-transcript", name, v)
		if name == "production" {
			production = v
		}
	}
	for name, v := range messageInputs(t, production) {
		vectortest.Write(t, "opaque-messages", name, v)
	}
}
