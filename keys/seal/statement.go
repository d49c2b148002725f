package seal

import (
	"crypto/sha256"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Version is the version of the statement and seal formats this package
// writes and reads. A new version gets a new number and a new label.
const Version = 1

// SignerKind says how a signer is known to Vellum. It is a wire enum: do
// not reorder or renumber; append new kinds only.
type SignerKind uint8

const (
	// SignerMember is a member of the tenant, signing with their keyring's
	// Ed25519 key; AccountID names their account.
	SignerMember SignerKind = 1
	// SignerExternal is someone outside the tenant who signs through a
	// signing link; their Ed25519 key is made in the browser at signing time
	// and vouched for by the server's PIN check. They have no account.
	SignerExternal SignerKind = 2
)

func (k SignerKind) String() string {
	switch k {
	case SignerMember:
		return "member"
	case SignerExternal:
		return "external"
	}
	return fmt.Sprintf("signer-kind(%d)", uint8(k))
}

// Attestation is the fact the server vouched for when the signer signed. It
// is a wire enum: do not reorder or renumber; append new values only.
type Attestation uint8

const (
	// AttestSession: the server authenticated the member's session.
	AttestSession Attestation = 1
	// AttestPINVerified: the server checked the signing link's PIN, sent to
	// the external signer by SMS, before releasing the document.
	AttestPINVerified Attestation = 2
)

func (a Attestation) String() string {
	switch a {
	case AttestSession:
		return "session"
	case AttestPINVerified:
		return "pin-verified"
	}
	return fmt.Sprintf("attestation(%d)", uint8(a))
}

// Signer is a signer's identity and key, as the envelope names them.
type Signer struct {
	Kind      SignerKind
	Name      string // 1 to protocol.MaxNameLength bytes of UTF-8
	Email     string // protocol.ValidEmail
	AccountID string // members: protocol.ValidID; external signers: empty
	Key       keys.VerifyKey
}

func (s Signer) check() error {
	switch s.Kind {
	case SignerMember:
		if !protocol.ValidID(s.AccountID) {
			return malformed("member signer without a valid account id")
		}
	case SignerExternal:
		if s.AccountID != "" {
			return malformed("external signer with an account id")
		}
	default:
		return fmt.Errorf("%w: %v", ErrUnsupported, s.Kind)
	}
	if s.Name == "" || len(s.Name) > protocol.MaxNameLength || !utf8.ValidString(s.Name) {
		return malformed("signer name must be 1 to %d bytes of UTF-8", protocol.MaxNameLength)
	}
	if !protocol.ValidEmail(s.Email) {
		return malformed("signer e-mail address")
	}
	return nil
}

// Statement is what one signer signs.
type Statement struct {
	Digest      [32]byte // D, SHA-256 of the document's plaintext
	EnvelopeID  string   // protocol.ValidID
	Signer      Signer
	SignedAt    time.Time // whole seconds after 1970; finer parts are dropped
	Attestation Attestation
}

// A SignedStatement is a Statement with its Ed25519 signature by
// Statement.Signer.Key, over protocol.LabelSignerStatement ‖ 0x0A ‖ the
// statement's canonical CBOR.
type SignedStatement struct {
	Statement Statement
	Signature []byte
}

type wireSigner struct {
	Kind    uint64 `cbor:"1,keyasint"`
	Name    string `cbor:"2,keyasint"`
	Email   string `cbor:"3,keyasint"`
	Account string `cbor:"4,keyasint,omitempty"`
	Key     []byte `cbor:"5,keyasint"`
}

type wireStatement struct {
	Version  uint64     `cbor:"1,keyasint"`
	Digest   []byte     `cbor:"2,keyasint"`
	Envelope string     `cbor:"3,keyasint"`
	Signer   wireSigner `cbor:"4,keyasint"`
	Time     uint64     `cbor:"5,keyasint"`
	Attest   uint64     `cbor:"6,keyasint"`
}

type wireSigned struct {
	Statement []byte `cbor:"1,keyasint"` // the canonical statement: the signed body
	Signature []byte `cbor:"2,keyasint"`
}

func signerToWire(s Signer) wireSigner {
	return wireSigner{Kind: uint64(s.Kind), Name: s.Name, Email: s.Email, Account: s.AccountID, Key: s.Key[:]}
}

func signerFromWire(w wireSigner) (Signer, error) {
	if w.Kind > math.MaxUint8 || len(w.Key) != len(keys.VerifyKey{}) {
		return Signer{}, malformed("signer kind or key")
	}
	s := Signer{Kind: SignerKind(w.Kind), Name: w.Name, Email: w.Email, AccountID: w.Account}
	copy(s.Key[:], w.Key)
	return s, s.check()
}

// maxTime bounds times on the wire (Unix seconds, about year 36812), so
// that every accepted time converts to a time.Time and back unchanged.
const maxTime = 1 << 40

// unixSeconds converts t for the wire, refusing times outside 1970..maxTime.
func unixSeconds(t time.Time) (uint64, error) {
	if t.Unix() <= 0 || t.Unix() >= maxTime {
		return 0, malformed("time outside 1970 to 2^40 seconds")
	}
	return uint64(t.Unix()), nil
}

func fromUnixSeconds(s uint64) (time.Time, error) {
	if s == 0 || s >= maxTime {
		return time.Time{}, malformed("time %d", s)
	}
	return time.Unix(int64(s), 0).UTC(), nil
}

func (st *Statement) check() error {
	if !protocol.ValidID(st.EnvelopeID) {
		return malformed("statement envelope id")
	}
	if err := st.Signer.check(); err != nil {
		return err
	}
	if st.Attestation != AttestSession && st.Attestation != AttestPINVerified {
		return fmt.Errorf("%w: %v", ErrUnsupported, st.Attestation)
	}
	// Each kind of signer has exactly the attestation the server gives it.
	want := AttestSession
	if st.Signer.Kind == SignerExternal {
		want = AttestPINVerified
	}
	if st.Attestation != want {
		return malformed("%v signer with attestation %v", st.Signer.Kind, st.Attestation)
	}
	return nil
}

// marshal returns the canonical CBOR of st: the body its signature covers.
func (st *Statement) marshal() ([]byte, error) {
	if err := st.check(); err != nil {
		return nil, err
	}
	t, err := unixSeconds(st.SignedAt)
	if err != nil {
		return nil, err
	}
	b, err := protocol.MarshalCBOR(&wireStatement{
		Version: Version, Digest: st.Digest[:], Envelope: st.EnvelopeID,
		Signer: signerToWire(st.Signer), Time: t, Attest: uint64(st.Attestation),
	})
	if err != nil {
		return nil, fmt.Errorf("seal: statement: %w", err)
	}
	return b, nil
}

func parseStatement(b []byte) (Statement, error) {
	var w wireStatement
	if err := unmarshalStatementCBOR(b, &w); err != nil {
		return Statement{}, err
	}
	if w.Version != Version {
		return Statement{}, fmt.Errorf("%w: statement version %d", ErrUnsupported, w.Version)
	}
	if len(w.Digest) != sha256.Size || w.Attest > math.MaxUint8 {
		return Statement{}, malformed("statement digest or attestation")
	}
	st := Statement{EnvelopeID: w.Envelope, Attestation: Attestation(w.Attest)}
	copy(st.Digest[:], w.Digest)
	var err error
	if st.Signer, err = signerFromWire(w.Signer); err != nil {
		return Statement{}, err
	}
	if st.SignedAt, err = fromUnixSeconds(w.Time); err != nil {
		return Statement{}, err
	}
	return st, st.check()
}

// Sign signs st with key, which MUST be the private half of st.Signer.Key.
// The returned statement is as a verifier will read it (SignedAt in whole
// seconds, UTC).
func Sign(key *keys.SigningKey, st Statement) (*SignedStatement, error) {
	if key.Public() != st.Signer.Key {
		return nil, fmt.Errorf("seal: signing key is not the signer's key: %w", ErrSignerMismatch)
	}
	body, err := st.marshal()
	if err != nil {
		return nil, err
	}
	back, err := parseStatement(body)
	if err != nil {
		return nil, err
	}
	return &SignedStatement{Statement: back, Signature: key.Sign(protocol.LabelSignerStatement, body)}, nil
}

// Verify checks the signature under the statement's own signer key. It says
// nothing about whether that signer is the one an envelope names: Verify
// (the package function) and New check that.
func (s *SignedStatement) Verify() error {
	body, err := s.Statement.marshal()
	if err != nil {
		return err
	}
	return s.verifyBody(body)
}

func (s *SignedStatement) verifyBody(body []byte) error {
	if err := s.Statement.Signer.Key.Verify(protocol.LabelSignerStatement, body, s.Signature); err != nil {
		return ErrBadSignature
	}
	return nil
}

func (s *SignedStatement) toWire() (wireSigned, error) {
	body, err := s.Statement.marshal()
	if err != nil {
		return wireSigned{}, err
	}
	return wireSigned{Statement: body, Signature: s.Signature}, nil
}

func signedFromWire(w wireSigned) (SignedStatement, error) {
	st, err := parseStatement(w.Statement)
	if err != nil {
		return SignedStatement{}, err
	}
	// A signature of another length can never verify; refusing it here
	// keeps one spelling of every signed statement.
	if len(w.Signature) != 64 {
		return SignedStatement{}, malformed("signature of %d bytes", len(w.Signature))
	}
	return SignedStatement{Statement: st, Signature: w.Signature}, nil
}

// Marshal encodes s for transport from the signer's client: the canonical
// CBOR map {1: statement bytes, 2: signature}.
func (s *SignedStatement) Marshal() ([]byte, error) {
	w, err := s.toWire()
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(&w)
}

// ParseSignedStatement decodes what Marshal writes, strictly, within
// protocol.MaxStatement. It does not verify the signature.
func ParseSignedStatement(b []byte) (*SignedStatement, error) {
	var w wireSigned
	if err := unmarshalStatementCBOR(b, &w); err != nil {
		return nil, err
	}
	s, err := signedFromWire(w)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
