package opaque

import (
	"fmt"

	bo "github.com/bytemare/opaque"

	"vellum.dev/vellum/protocol"
)

func checkPassword(password []byte) error {
	if len(password) == 0 || len(password) > protocol.MaxPassword {
		// The length of a password is not secret enough to hide here,
		// but the password itself never goes into an error.
		return malformed("password", fmt.Sprintf("%d bytes, want 1 to %d", len(password), protocol.MaxPassword))
	}
	return nil
}

func newClient() *bo.Client {
	c, err := configuration().Client()
	if err != nil {
		panic(fmt.Sprintf("opaque: configuration: %v", err))
	}
	return c
}

// ClientRegistration is the client's state between its two registration
// steps: the OPRF blind and a copy of the password. It is used once.
type ClientRegistration struct {
	_ noCompare
	c *bo.Client
}

// StartRegistration blinds password and returns the state to keep and the
// request to send. The password is used as the bytes given; the caller
// MUST normalize it (Vellum's client: Unicode NFC) so that the same password
// typed elsewhere gives the same bytes.
func StartRegistration(password []byte) (*ClientRegistration, *RegistrationRequest, error) {
	if err := checkPassword(password); err != nil {
		return nil, nil, err
	}
	c := newClient()
	req, err := c.RegistrationInit(password)
	if err != nil {
		return nil, nil, classify("registration request", err)
	}
	return &ClientRegistration{c: c}, &RegistrationRequest{raw: withVersion(req.Serialize()), m: req}, nil
}

// Finish completes registration with the server's response. It returns the
// record to upload and the export key. It runs the KSF (Argon2id), which is
// the slow step. The state is cleared whatever the outcome.
func (r *ClientRegistration) Finish(resp *RegistrationResponse) (*RegistrationRecord, *ExportKey, error) {
	if r.c == nil {
		return nil, nil, ErrStateUsed
	}
	c := r.c
	r.c = nil
	defer c.ClearState()
	rec, export, err := c.RegistrationFinalize(resp.m, nil, nil, clientOptions())
	if err != nil {
		return nil, nil, classify("finishing registration", err)
	}
	return &RegistrationRecord{raw: withVersion(rec.Serialize()), m: rec}, newExportKey(export), nil
}

func (r ClientRegistration) String() string                { return redacted }
func (r ClientRegistration) GoString() string              { return redacted }
func (r ClientRegistration) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// ClientLogin is the client's state between KE1 and KE3: the OPRF blind,
// a copy of the password, the ephemeral AKE key and KE1. It is used once.
type ClientLogin struct {
	_ noCompare
	c *bo.Client
}

// StartLogin blinds password and returns the state to keep and KE1 to
// send. The password MUST be normalized as for StartRegistration.
func StartLogin(password []byte) (*ClientLogin, *KE1, error) {
	if err := checkPassword(password); err != nil {
		return nil, nil, err
	}
	c := newClient()
	ke1, err := c.GenerateKE1(password)
	if err != nil {
		return nil, nil, classify("KE1", err)
	}
	return &ClientLogin{c: c}, &KE1{raw: withVersion(ke1.Serialize()), m: ke1}, nil
}

// Finish processes KE2. On success it returns KE3 to send, the export key
// (equal to the one of registration) and the session key. A wrong password,
// an unknown account and an altered KE2 all give ErrWrongPassword. It runs
// the KSF (Argon2id). The state is cleared whatever the outcome: after a
// failure, start a new login.
func (l *ClientLogin) Finish(ke2 *KE2) (*KE3, *ExportKey, *SessionKey, error) {
	if l.c == nil {
		return nil, nil, nil, ErrStateUsed
	}
	c := l.c
	l.c = nil
	defer c.ClearState()
	ke3, session, export, err := c.GenerateKE3(ke2.m, nil, nil, clientOptions())
	if err != nil {
		return nil, nil, nil, classify("finishing login", err)
	}
	return &KE3{raw: withVersion(ke3.Serialize()), m: ke3}, newExportKey(export), newSessionKey(session), nil
}

func (l ClientLogin) String() string                { return redacted }
func (l ClientLogin) GoString() string              { return redacted }
func (l ClientLogin) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
