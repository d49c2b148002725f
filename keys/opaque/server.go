package opaque

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/bytemare/ecc"
	bo "github.com/bytemare/opaque"
	"github.com/bytemare/opaque/message"

	"vellum.dev/vellum/protocol"
)

// ServerKeySize is the size of a serialized ServerKey.
const ServerKeySize = 1 + 64 + 32 + 64 + 32

// ServerKey is the server's long-term OPAQUE secret, one for all accounts:
//
//   - the OPRF seed, from which each account's OPRF key is derived with its
//     credential identifier (RFC 9807 §6.4.2);
//   - the AKE private key (its public key goes into every envelope, so it
//     MUST NOT change while records made with it exist);
//   - a fake record (masking key and client public key) answered for
//     unknown accounts, kept fixed so the answers stay consistent.
//
// The server MUST keep it outside the database (a file readable only by the
// server, or a secret store) and MUST back it up separately: without the
// OPRF seed no password can ever be checked again, and whoever holds both it
// and the records can test password guesses offline.
type ServerKey struct {
	_        noCompare
	seed     [64]byte
	sk       *ecc.Scalar
	pk       []byte
	fakeMask [64]byte
	fakePK   *ecc.Element
}

// NewServerKey returns a fresh random server key.
func NewServerKey() *ServerKey {
	conf := configuration()
	k := new(ServerKey)
	copy(k.seed[:], conf.GenerateOPRFSeed())
	var pk *ecc.Element
	k.sk, pk = conf.KeyGen()
	k.pk = pk.Encode()
	copy(k.fakeMask[:], bo.RandomBytes(64))
	_, k.fakePK = conf.KeyGen()
	return k
}

// ParseServerKey parses the output of MarshalSecret. It refuses any other
// length, an unknown version, a non-canonical or zero private key, an
// all-zero seed or masking key, and an invalid fake public key.
func ParseServerKey(b []byte) (*ServerKey, error) {
	if len(b) != ServerKeySize {
		return nil, malformed("server key", fmt.Sprintf("%d bytes, want %d", len(b), ServerKeySize))
	}
	if b[0] != Version {
		return nil, malformed("server key", fmt.Sprintf("unknown version %#x", b[0]))
	}
	k := new(ServerKey)
	rest := b[1:]
	copy(k.seed[:], rest[:64])
	rest = rest[64:]
	sk, err := deserializer.DecodePrivateKey(rest[:32])
	if err != nil {
		return nil, malformed("server key", "invalid private key")
	}
	k.sk = sk
	k.pk = ecc.Ristretto255Sha512.Base().Multiply(sk).Encode()
	rest = rest[32:]
	copy(k.fakeMask[:], rest[:64])
	rest = rest[64:]
	if k.fakePK, err = deserializer.DecodePublicKey(rest); err != nil {
		return nil, malformed("server key", "invalid fake record public key")
	}
	if allZero(k.seed[:]) || allZero(k.fakeMask[:]) {
		return nil, malformed("server key", "all-zero seed or masking key")
	}
	if !bytes.Equal(k.MarshalSecret(), b) {
		return nil, malformed("server key", "not in canonical form")
	}
	return k, nil
}

// MarshalSecret returns Version ‖ OPRF seed[64] ‖ AKE private key[32] ‖
// fake masking key[64] ‖ fake client public key[32]. The caller MUST treat
// it as a secret and keep it outside the database.
func (k *ServerKey) MarshalSecret() []byte {
	out := make([]byte, 0, ServerKeySize)
	out = append(out, Version)
	out = append(out, k.seed[:]...)
	out = append(out, k.sk.Encode()...)
	out = append(out, k.fakeMask[:]...)
	return append(out, k.fakePK.Encode()...)
}

// PublicKey returns the server's AKE public key (32 bytes), which clients
// see in every registration response and envelope.
func (k *ServerKey) PublicKey() []byte { return bytes.Clone(k.pk) }

func (k ServerKey) String() string                { return redacted }
func (k ServerKey) GoString() string              { return redacted }
func (k ServerKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *ServerKey) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("opaque: refusing to marshal a secret key as JSON")
}

// Server runs the server side of registration and login. It holds only the
// ServerKey: it is safe for concurrent use and keeps no per-login state.
type Server struct {
	s    *bo.Server
	fake message.RegistrationRecord
}

// NewServer returns a server using key.
func NewServer(key *ServerKey) (*Server, error) {
	s, err := configuration().Server()
	if err != nil {
		return nil, fmt.Errorf("opaque: configuration: %v", err)
	}
	err = s.SetKeyMaterial(&bo.ServerKeyMaterial{
		PrivateKey:     key.sk,
		PublicKeyBytes: bytes.Clone(key.pk),
		OPRFGlobalSeed: bytes.Clone(key.seed[:]),
	})
	if err != nil {
		return nil, fmt.Errorf("opaque: server key: %v", err)
	}
	return &Server{s: s, fake: message.RegistrationRecord{
		ClientPublicKey: key.fakePK,
		MaskingKey:      bytes.Clone(key.fakeMask[:]),
		// RFC 9807 §6.4.2: the fake envelope is all zeros; it is masked
		// in KE2, so nobody sees it.
		Envelope: make([]byte, 96),
	}}, nil
}

func checkCredentialID(id []byte) error {
	if len(id) == 0 || len(id) > protocol.MaxCredentialID {
		return malformed("credential identifier", fmt.Sprintf("%d bytes, want 1 to %d", len(id), protocol.MaxCredentialID))
	}
	return nil
}

// RegistrationResponse answers a registration request for the account
// whose credential identifier is credentialID. The identifier MUST be the
// account's immutable id (not an e-mail address that may change): the
// account's OPRF key is derived from it, so the same identifier MUST be
// given at every login.
func (s *Server) RegistrationResponse(req *RegistrationRequest, credentialID []byte) (*RegistrationResponse, error) {
	if err := checkCredentialID(credentialID); err != nil {
		return nil, err
	}
	resp, err := s.s.RegistrationResponse(req.m, credentialID, nil)
	if err != nil {
		return nil, classify("registration response", err)
	}
	return &RegistrationResponse{raw: withVersion(resp.Serialize()), m: resp}, nil
}

// StartLogin answers KE1 with KE2 for the account with credentialID and
// its stored record. For an unknown account, the server MUST call it with
// record == nil and a credentialID that is stable for the name looked up
// (for example the normalized e-mail address, provided no account id can
// equal it): the answer then comes from the fake record and cannot be told
// apart from a real one, and repeated attempts get consistent answers.
//
// The returned state is what the server MUST hold until KE3 arrives; see
// ServerLoginState.
func (s *Server) StartLogin(ke1 *KE1, credentialID []byte, record *RegistrationRecord) (*KE2, *ServerLoginState, error) {
	if err := checkCredentialID(credentialID); err != nil {
		return nil, nil, err
	}
	rec := &bo.ClientRecord{CredentialIdentifier: bytes.Clone(credentialID)}
	if record != nil {
		rec.RegistrationRecord = record.m
	} else {
		fake := s.fake
		rec.RegistrationRecord = &fake
	}
	ke2, out, err := s.s.GenerateKE2(ke1.m, rec)
	if err != nil {
		return nil, nil, classify("KE2", err)
	}
	st := &ServerLoginState{credentialID: bytes.Clone(credentialID)}
	copy(st.clientMAC[:], out.ClientMAC)
	copy(st.sessionKey[:], out.SessionSecret)
	clear(out.SessionSecret)
	return &KE2{raw: withVersion(ke2.Serialize()), m: ke2}, st, nil
}

// FinishLogin checks KE3 against the state kept since StartLogin. On
// success the client has proven it knows the password, and the session key
// may be used. On failure it returns ErrWrongPassword.
func (s *Server) FinishLogin(state *ServerLoginState, ke3 *KE3) (*SessionKey, error) {
	// bytemare compares the MACs with hmac.Equal, in constant time.
	if err := s.s.LoginFinish(ke3.m, state.clientMAC[:]); err != nil {
		return nil, classify("verifying KE3", err)
	}
	return newSessionKey(bytes.Clone(state.sessionKey[:])), nil
}

// ServerLoginState is what the server holds between KE2 and KE3: the MAC
// that KE3 must carry, the session key, and the credential identifier.
//
// It is secret: whoever reads the expected MAC can complete the login
// without the password. A stateless server MUST seal MarshalSecret's output
// with an AEAD under a server key (as session tokens are) before it leaves
// the server, MUST give the sealed token a short lifetime (Vellum: 60
// seconds), and MUST refuse a token it cannot open.
type ServerLoginState struct {
	_            noCompare
	clientMAC    [64]byte
	sessionKey   [SessionKeySize]byte
	credentialID []byte
}

// CredentialID returns the credential identifier the login was started for.
func (st *ServerLoginState) CredentialID() []byte { return bytes.Clone(st.credentialID) }

// MarshalSecret returns Version ‖ expected client MAC[64] ‖ session key[64]
// ‖ uint16 big-endian length ‖ credential identifier.
func (st *ServerLoginState) MarshalSecret() []byte {
	out := make([]byte, 0, 1+64+64+2+len(st.credentialID))
	out = append(out, Version)
	out = append(out, st.clientMAC[:]...)
	out = append(out, st.sessionKey[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(st.credentialID)))
	return append(out, st.credentialID...)
}

// ParseServerLoginState parses MarshalSecret's output, refusing trailing
// bytes, unknown versions and identifiers out of bounds.
func ParseServerLoginState(b []byte) (*ServerLoginState, error) {
	const fixed = 1 + 64 + 64 + 2
	if len(b) > fixed+protocol.MaxCredentialID || len(b) < fixed {
		return nil, malformed("server login state", fmt.Sprintf("%d bytes", len(b)))
	}
	if b[0] != Version {
		return nil, malformed("server login state", fmt.Sprintf("unknown version %#x", b[0]))
	}
	n := int(binary.BigEndian.Uint16(b[1+64+64:]))
	if len(b) != fixed+n {
		return nil, malformed("server login state", "length does not match")
	}
	st := &ServerLoginState{credentialID: bytes.Clone(b[fixed:])}
	if err := checkCredentialID(st.credentialID); err != nil {
		return nil, err
	}
	copy(st.clientMAC[:], b[1:])
	copy(st.sessionKey[:], b[1+64:])
	return st, nil
}

func (st ServerLoginState) String() string                { return redacted }
func (st ServerLoginState) GoString() string              { return redacted }
func (st ServerLoginState) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (st *ServerLoginState) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("opaque: refusing to marshal a secret login state as JSON")
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}
