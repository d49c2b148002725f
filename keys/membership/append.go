package membership

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// NewGenesis builds and signs the genesis statement of a new tenant. The
// owner's Role MUST be protocol.RoleOwner and their VerifyKey key's public
// half. Tenant ids are made by the client (protocol.ValidID). The result is
// the chain's first statement; VerifyFirstUse on it gives the state and pin.
func NewGenesis(tenantID string, owner Member, key *keys.SigningKey, at time.Time) ([]byte, error) {
	if key.Public() != owner.VerifyKey {
		return nil, fmt.Errorf("%w: the signing key is not the owner's", ErrBadSignature)
	}
	st := &Statement{TenantID: tenantID, Signer: owner.AccountID, Time: at, Change: Genesis{Owner: owner}}
	signed, err := sign(st, key)
	if err != nil {
		return nil, err
	}
	if _, err := start(signed, &Pin{TenantID: tenantID}); err != nil {
		return nil, err
	}
	return signed, nil
}

// Append builds and signs the statement that applies change c after the
// state's head, as the member signerID with their signing key. It checks the
// statement exactly as Apply would, and returns the same errors; it does not
// change the state. Once the server has accepted the statement, the caller
// applies it with Apply (or fetches and verifies the chain again).
func (s *State) Append(signerID string, key *keys.SigningKey, c Change, at time.Time) ([]byte, error) {
	if _, ok := c.(Genesis); ok || c == nil {
		return nil, errors.New("membership: Append needs a change other than genesis")
	}
	signer, err := s.subject(signerID)
	if err != nil {
		return nil, err
	}
	if key.Public() != signer.VerifyKey {
		return nil, fmt.Errorf("%w: the signing key is not %s's key in the chain", ErrBadSignature, signerID)
	}
	st := &Statement{TenantID: s.pin.TenantID, Seq: s.seq + 1, Prev: s.head, Signer: signerID, Time: at, Change: c}
	signed, err := sign(st, key)
	if err != nil {
		return nil, err
	}
	parsed, err := Parse(signed)
	if err != nil {
		return nil, err
	}
	if err := s.check(parsed); err != nil {
		return nil, err
	}
	return signed, nil
}

// sign encodes st's body, signs it under protocol.LabelMembership and wraps
// both in the signed-statement map.
func sign(st *Statement, key *keys.SigningKey) ([]byte, error) {
	w, err := toWire(st)
	if err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(wireSigned{Body: body, Signature: key.Sign(protocol.LabelMembership, body)})
}
