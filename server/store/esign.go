package store

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/protocol"
)

// Envelope is an e-signature envelope. The store reads only the fields it
// indexes; State and Data belong to the e-signature layer (Data is opaque,
// e.g. its CBOR record), so that layer can grow without a store change.
type Envelope struct {
	ID       ID        `cbor:"1,keyasint"`
	Tenant   ID        `cbor:"2,keyasint"`
	Owner    ID        `cbor:"3,keyasint"`
	Document ID        `cbor:"4,keyasint"`
	State    uint8     `cbor:"5,keyasint"`
	Data     []byte    `cbor:"6,keyasint"`
	Created  time.Time `cbor:"7,keyasint"`
	Updated  time.Time `cbor:"8,keyasint"`
}

// Signer is one signer of an envelope; like Envelope, State and Data are
// the e-signature layer's (the scrypt-wrapped document key, the contact to
// send the PIN to, the signed statement once signed).
type Signer struct {
	Envelope ID        `cbor:"1,keyasint"`
	ID       ID        `cbor:"2,keyasint"`
	State    uint8     `cbor:"3,keyasint"`
	Data     []byte    `cbor:"4,keyasint"`
	Updated  time.Time `cbor:"5,keyasint"`
}

// maxEsignData bounds Envelope.Data and Signer.Data.
const maxEsignData = protocol.MaxStatement + protocol.MaxWrappedKey

// CreateEnvelope stores a new envelope; ErrExists if its ID is taken.
func (tx *Tx) CreateEnvelope(e *Envelope) error {
	if err := checkEnvelope(e); err != nil {
		return err
	}
	if _, err := tx.Tenant(e.Tenant); err != nil {
		return err
	}
	if ok, err := tx.exists(envelopeKey(e.ID)); err != nil || ok {
		return orExists(err, "envelope "+e.ID.String())
	}
	now := tx.s.now().UTC()
	e.Created, e.Updated = now, now
	if err := tx.set(envelopeKey(e.ID), e); err != nil {
		return err
	}
	return tx.setRaw(tenantEnvelopeKey(e.Tenant, e.ID), nil)
}

func checkEnvelope(e *Envelope) error {
	for _, f := range []struct {
		n  string
		id ID
	}{{"envelope", e.ID}, {"tenant", e.Tenant}, {"owner", e.Owner}} {
		if err := requireID(f.n, f.id); err != nil {
			return err
		}
	}
	if len(e.Data) > maxEsignData {
		return fmt.Errorf("store: envelope data of %d bytes: %w", len(e.Data), ErrInvalid)
	}
	return nil
}

// PutEnvelope replaces an existing envelope. Its tenant and owner are fixed.
func (tx *Tx) PutEnvelope(e *Envelope) error {
	if err := checkEnvelope(e); err != nil {
		return err
	}
	old, err := tx.Envelope(e.ID)
	if err != nil {
		return err
	}
	if old.Tenant != e.Tenant || old.Owner != e.Owner {
		return fmt.Errorf("store: an envelope's tenant and owner are fixed: %w", ErrConflict)
	}
	e.Created, e.Updated = old.Created, tx.s.now().UTC()
	return tx.set(envelopeKey(e.ID), e)
}

// DeleteEnvelope removes an envelope with its signers.
func (tx *Tx) DeleteEnvelope(id ID) error {
	e, err := tx.Envelope(id)
	if err != nil {
		return err
	}
	if err := tx.delPrefix(key(pSigner, id[:])); err != nil {
		return err
	}
	if err := tx.del(tenantEnvelopeKey(e.Tenant, id)); err != nil {
		return err
	}
	return tx.del(envelopeKey(id))
}

// Envelope returns an envelope, or ErrNotFound.
func (v View) Envelope(id ID) (*Envelope, error) {
	e := new(Envelope)
	if err := v.getRecord(envelopeKey(id), e); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("envelope", id)
		}
		return nil, err
	}
	return e, nil
}

// EnvelopesIn lists a tenant's envelopes in ID order.
func (v View) EnvelopesIn(tenant ID) ([]*Envelope, error) {
	return getByIndex[Envelope](v, key(pTenantEnv, tenant[:]), envelopeKey)
}

// PutSigner stores or replaces a signer of an existing envelope.
func (tx *Tx) PutSigner(s *Signer) error {
	if err := requireID("signer", s.ID); err != nil {
		return err
	}
	if len(s.Data) > maxEsignData {
		return fmt.Errorf("store: signer data of %d bytes: %w", len(s.Data), ErrInvalid)
	}
	if _, err := tx.Envelope(s.Envelope); err != nil {
		return err
	}
	s.Updated = tx.s.now().UTC()
	return tx.set(signerKey(s.Envelope, s.ID), s)
}

// Signer returns one signer of an envelope, or ErrNotFound.
func (v View) Signer(envelope, id ID) (*Signer, error) {
	s := new(Signer)
	if err := v.getRecord(signerKey(envelope, id), s); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("signer", id)
		}
		return nil, err
	}
	return s, nil
}

// Signers lists an envelope's signers in ID order.
func (v View) Signers(envelope ID) ([]*Signer, error) {
	return scanRecords[Signer](v, key(pSigner, envelope[:]))
}
