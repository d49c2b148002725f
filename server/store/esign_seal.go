package store

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/protocol"
)

// The seal of a sealed envelope lives in a table of its own (prefix
// pEnvelopeSeal, keys.go) because a seal (up to protocol.MaxSeal) is far
// larger than an envelope's Data.

// EnvelopeSeal is the stored seal of an envelope: the canonical seal bytes
// the log leaf's S hashes, the leaf's index, and the tlog-proof the log
// returned when the leaf was appended.
type EnvelopeSeal struct {
	Envelope  ID        `cbor:"1,keyasint"`
	Seal      []byte    `cbor:"2,keyasint"`
	LeafIndex uint64    `cbor:"3,keyasint"`
	Proof     []byte    `cbor:"4,keyasint"`
	Created   time.Time `cbor:"5,keyasint"`
}

// maxSealRecord bounds an EnvelopeSeal record: a seal, a proof and the
// few bytes around them. It is above maxRecord, which is for records of
// the other tables.
const maxSealRecord = protocol.MaxSeal + protocol.MaxProof + 1024

// PutEnvelopeSeal stores the seal of an existing envelope, once: a second
// seal of the same envelope is ErrExists.
func (tx *Tx) PutEnvelopeSeal(s *EnvelopeSeal) error {
	if err := requireID("envelope", s.Envelope); err != nil {
		return err
	}
	if len(s.Seal) == 0 || len(s.Seal) > protocol.MaxSeal || len(s.Proof) == 0 || len(s.Proof) > protocol.MaxProof {
		return fmt.Errorf("store: seal of %d bytes with a proof of %d: %w", len(s.Seal), len(s.Proof), ErrInvalid)
	}
	if _, err := tx.Envelope(s.Envelope); err != nil {
		return err
	}
	if ok, err := tx.exists(envelopeSealKey(s.Envelope)); err != nil || ok {
		return orExists(err, "seal of envelope "+s.Envelope.String())
	}
	s.Created = tx.s.now().UTC()
	b, err := recEnc.Marshal(s)
	if err != nil {
		return fmt.Errorf("store: encoding a seal: %w", err)
	}
	if len(b) > maxSealRecord {
		return fmt.Errorf("store: seal record of %d bytes: %w", len(b), ErrInvalid)
	}
	return tx.setRaw(envelopeSealKey(s.Envelope), b)
}

// EnvelopeSeal returns the seal of an envelope, or ErrNotFound.
func (v View) EnvelopeSeal(envelope ID) (*EnvelopeSeal, error) {
	b, err := v.r.get(envelopeSealKey(envelope))
	if errors.Is(err, ErrNotFound) {
		return nil, notFound("seal of envelope", envelope)
	}
	if err != nil {
		return nil, err
	}
	if len(b) > maxSealRecord {
		return nil, fmt.Errorf("store: seal record of %d bytes: %w", len(b), ErrCorrupt)
	}
	s := new(EnvelopeSeal)
	if err := recDec.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("store: %w: %v", ErrCorrupt, err)
	}
	return s, nil
}

// DeleteEnvelopeSeal removes an envelope's seal, if any (with the
// envelope: DeleteEnvelope leaves it to its caller).
func (tx *Tx) DeleteEnvelopeSeal(envelope ID) error { return tx.del(envelopeSealKey(envelope)) }
