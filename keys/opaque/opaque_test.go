package opaque_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
)

type registered struct {
	srv    *opaque.Server
	id     []byte
	record *opaque.RegistrationRecord
	export *opaque.ExportKey
}

func register(t *testing.T, password string) registered {
	t.Helper()
	opaque.UseKSF(t, opaque.LightKSF)
	srv, err := opaque.NewServer(opaque.NewServerKey())
	if err != nil {
		t.Fatal(err)
	}
	id := []byte("acct_test")
	reg, req, err := opaque.StartRegistration([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.RegistrationResponse(req, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, export, err := reg.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	return registered{srv, id, rec, export}
}

func (r registered) login(t *testing.T, password string) (*opaque.KE3, *opaque.ExportKey, *opaque.SessionKey, *opaque.ServerLoginState, error) {
	t.Helper()
	cl, ke1, err := opaque.StartLogin([]byte(password))
	if err != nil {
		t.Fatal(err)
	}
	ke2, st, err := r.srv.StartLogin(ke1, r.id, r.record)
	if err != nil {
		t.Fatal(err)
	}
	ke3, export, session, err := cl.Finish(ke2)
	return ke3, export, session, st, err
}

func TestLogin(t *testing.T) {
	r := register(t, "hunter2")
	ke3, export, session, st, err := r.login(t, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if !export.Equal(r.export) {
		t.Error("login export key differs from registration's")
	}
	// The state survives a round trip through its serialized form, as it
	// does when a stateless server seals it into a token.
	st2, err := opaque.ParseServerLoginState(st.MarshalSecret())
	if err != nil {
		t.Fatal(err)
	}
	srvSession, err := r.srv.FinishLogin(st2, ke3)
	if err != nil {
		t.Fatal(err)
	}
	if !srvSession.Equal(session) {
		t.Error("session keys differ")
	}
	if !bytes.Equal(st2.CredentialID(), r.id) {
		t.Error("state lost the credential id")
	}
	// The derived keys differ by label, and do not equal the raw key.
	a, b := export.DeriveKey(protocol.LabelKDFOpaqueExport), export.DeriveKey(protocol.LabelKDFKeyring)
	if a.Equal(b) {
		t.Error("two labels derive the same key")
	}
}

func TestWrongPassword(t *testing.T) {
	r := register(t, "hunter2")
	_, _, _, _, err := r.login(t, "hunter3")
	if !errors.Is(err, opaque.ErrWrongPassword) || !errors.Is(err, keys.ErrWrongKey) {
		t.Fatalf("wrong password: %v, want ErrWrongPassword", err)
	}
	if errors.Is(err, keys.ErrMalformed) {
		t.Error("a wrong password is also reported as malformed")
	}
	if strings.Contains(err.Error(), "hunter") {
		t.Error("the error names the password")
	}
}

// TestUnknownAccount: the fake record gives a KE2 of the same shape, the
// same error to the client, and consistent OPRF answers for the same name
// (the evaluated element depends only on the seed and the credential id).
func TestUnknownAccount(t *testing.T) {
	r := register(t, "hunter2")
	name := []byte("nobody@example.com")
	cl, ke1, err := opaque.StartLogin([]byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	ke2a, st, err := r.srv.StartLogin(ke1, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	ke2b, _, err := r.srv.StartLogin(ke1, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ke2a.Bytes()[1:33], ke2b.Bytes()[1:33]) {
		t.Error("two answers for the same unknown name have different OPRF evaluations")
	}
	if bytes.Equal(ke2a.Bytes()[33:], ke2b.Bytes()[33:]) {
		t.Error("two answers share their nonces")
	}
	if _, _, _, err := cl.Finish(ke2a); !errors.Is(err, opaque.ErrWrongPassword) {
		t.Fatalf("unknown account: %v, want ErrWrongPassword", err)
	}
	// Even a KE3 made against a real login cannot complete the fake one.
	ke3, _, _, _, err := r.login(t, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.FinishLogin(st, ke3); !errors.Is(err, opaque.ErrWrongPassword) {
		t.Fatalf("KE3 against a fake login: %v", err)
	}
}

func TestKE3ForAnotherLogin(t *testing.T) {
	r := register(t, "pw")
	ke3a, _, _, _, err := r.login(t, "pw")
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, stb, err := r.login(t, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.FinishLogin(stb, ke3a); !errors.Is(err, opaque.ErrWrongPassword) {
		t.Fatalf("KE3 of another login: %v, want ErrWrongPassword", err)
	}
}

// TestServerKeyFile: a server restarted from the key file answers logins
// for records made before; a server with another key does not.
func TestServerKeyFile(t *testing.T) {
	opaque.UseKSF(t, opaque.LightKSF)
	key := opaque.NewServerKey()
	srv, _ := opaque.NewServer(key)
	id := []byte("acct")
	reg, req, _ := opaque.StartRegistration([]byte("pw"))
	resp, err := srv.RegistrationResponse(req, id)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := reg.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	reloaded, err := opaque.ParseServerKey(key.MarshalSecret())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reloaded.PublicKey(), key.PublicKey()) {
		t.Error("public key changed across a reload")
	}
	for _, tc := range []struct {
		name string
		key  *opaque.ServerKey
		want error
	}{{"reloaded", reloaded, nil}, {"other key", opaque.NewServerKey(), opaque.ErrWrongPassword}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := opaque.NewServer(tc.key)
			cl, ke1, _ := opaque.StartLogin([]byte("pw"))
			ke2, _, err := srv.StartLogin(ke1, id, rec)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, _, err := cl.Finish(ke2); !errors.Is(err, tc.want) {
				t.Errorf("Finish: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestCredentialIDBinding: a record answered under another credential id
// (another OPRF key) does not open, so ids cannot be swapped.
func TestCredentialIDBinding(t *testing.T) {
	r := register(t, "pw")
	cl, ke1, _ := opaque.StartLogin([]byte("pw"))
	ke2, _, err := r.srv.StartLogin(ke1, []byte("acct_other"), r.record)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := cl.Finish(ke2); !errors.Is(err, opaque.ErrWrongPassword) {
		t.Errorf("record under another credential id: %v, want ErrWrongPassword", err)
	}
}

func TestStateUsedOnce(t *testing.T) {
	r := register(t, "pw")
	reg, req, _ := opaque.StartRegistration([]byte("pw"))
	resp, _ := r.srv.RegistrationResponse(req, r.id)
	if _, _, err := reg.Finish(resp); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Finish(resp); !errors.Is(err, opaque.ErrStateUsed) {
		t.Errorf("second registration Finish: %v", err)
	}
	cl, ke1, _ := opaque.StartLogin([]byte("wrong"))
	ke2, _, _ := r.srv.StartLogin(ke1, r.id, r.record)
	if _, _, _, err := cl.Finish(ke2); !errors.Is(err, opaque.ErrWrongPassword) {
		t.Fatal(err)
	}
	if _, _, _, err := cl.Finish(ke2); !errors.Is(err, opaque.ErrStateUsed) {
		t.Errorf("Finish after a failure: %v, want ErrStateUsed", err)
	}
}

func TestInputBounds(t *testing.T) {
	r := register(t, "pw")
	for _, pw := range [][]byte{nil, make([]byte, protocol.MaxPassword+1)} {
		if _, _, err := opaque.StartLogin(pw); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("StartLogin with a %d-byte password: %v", len(pw), err)
		}
		if _, _, err := opaque.StartRegistration(pw); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("StartRegistration with a %d-byte password: %v", len(pw), err)
		}
	}
	_, ke1, _ := opaque.StartLogin([]byte("pw"))
	_, req, _ := opaque.StartRegistration([]byte("pw"))
	for _, id := range [][]byte{nil, make([]byte, protocol.MaxCredentialID+1)} {
		if _, _, err := r.srv.StartLogin(ke1, id, r.record); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("StartLogin with a %d-byte credential id: %v", len(id), err)
		}
		if _, err := r.srv.RegistrationResponse(req, id); !errors.Is(err, keys.ErrMalformed) {
			t.Errorf("RegistrationResponse with a %d-byte credential id: %v", len(id), err)
		}
	}
	if _, err := opaque.ExportKeyFromBytes(make([]byte, 32)); !errors.Is(err, keys.ErrMalformed) {
		t.Errorf("32-byte export key: %v", err)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	r := register(t, "hunter2")
	ke3, export, session, st, err := r.login(t, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	_ = ke3
	key := opaque.NewServerKey()
	cl, _, _ := opaque.StartLogin([]byte("hunter2"))
	reg, _, _ := opaque.StartRegistration([]byte("hunter2"))
	secrets := [][]byte{export.Bytes(), session.Bytes(), st.MarshalSecret()[1:65], key.MarshalSecret()[1:65], []byte("hunter2")}
	for _, v := range []any{export, session, st, key, cl, reg, *export, *session, *key} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, string(s)) || strings.Contains(out, fmt.Sprintf("%x", s)) || strings.Contains(out, fmt.Sprintf("%v", s)) {
					t.Errorf("%s of %T leaks a secret: %q", verb, v, out)
				}
			}
		}
	}
	for _, v := range []interface{ MarshalJSON() ([]byte, error) }{export, session, st, key} {
		if _, err := v.MarshalJSON(); err == nil {
			t.Errorf("%T marshals to JSON", v)
		}
	}
}

func TestSecretsNotComparable(t *testing.T) {
	for _, v := range []any{opaque.ExportKey{}, opaque.SessionKey{}, opaque.ServerKey{}, opaque.ServerLoginState{}, opaque.ClientLogin{}, opaque.ClientRegistration{}} {
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
