package seal

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"vellum.dev/vellum/protocol"
)

// A Seal binds a document's exact bytes to every signature over it.
type Seal struct {
	Digest     [32]byte // D
	Salt       [32]byte // random; keeps C from confirming a guessed D
	EnvelopeID string
	// Signers are the envelope's signers, in the envelope's order; keys
	// are unique.
	Signers []Signer
	// Signatures are the signers' statements. New writes exactly one per
	// signer, in signer order; verifiers match them to signers by key.
	Signatures []SignedStatement
	SealedAt   time.Time // whole seconds, UTC
}

type wireSeal struct {
	Version    uint64       `cbor:"1,keyasint"`
	Digest     []byte       `cbor:"2,keyasint"`
	Salt       []byte       `cbor:"3,keyasint"`
	Envelope   string       `cbor:"4,keyasint"`
	Signers    []wireSigner `cbor:"5,keyasint"`
	Signatures []wireSigned `cbor:"6,keyasint"`
	SealedAt   uint64       `cbor:"7,keyasint"`
}

// HashFile returns D, the SHA-256 of everything r yields, reading it as a
// stream: a document of any size costs constant memory.
func HashFile(r io.Reader) ([32]byte, error) {
	var d [32]byte
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return d, fmt.Errorf("seal: reading the document: %w", err)
	}
	h.Sum(d[:0])
	return d, nil
}

// Commitment returns C = SHA-256("vellum-seal/v1" ‖ salt ‖ digest), the
// value the public log holds in place of D.
func Commitment(salt, digest [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(protocol.LabelSealCommitment))
	h.Write(salt[:])
	h.Write(digest[:])
	var c [32]byte
	h.Sum(c[:0])
	return c
}

// New seals digest for the envelope once every signer has signed: it
// checks that sigs hold exactly one valid statement per signer, bound to
// digest, envelopeID and that signer, puts them in signer order, and draws
// a fresh salt. It refuses to seal anything Verify would not accept.
func New(digest [32]byte, envelopeID string, signers []Signer, sigs []SignedStatement, sealedAt time.Time) (*Seal, error) {
	s := &Seal{Digest: digest, EnvelopeID: envelopeID, Signers: signers, SealedAt: sealedAt.Truncate(time.Second).UTC()}
	if err := s.checkStructure(); err != nil {
		return nil, err
	}
	if len(sigs) != len(signers) {
		return nil, fmt.Errorf("seal: %d statements for %d signers: %w", len(sigs), len(signers), ErrMissingSignature)
	}
	s.Signatures = sigs
	ordered := make([]SignedStatement, len(signers))
	for i, st := range s.checkSigners() {
		if st.err != nil {
			return nil, st.err
		}
		if s.Signatures[st.index].Statement.SignedAt.After(s.SealedAt) {
			return nil, fmt.Errorf("seal: signer %d signed after the sealing time", i)
		}
		ordered[i] = s.Signatures[st.index]
	}
	s.Signatures = ordered
	rand.Read(s.Salt[:])
	return s, nil
}

// checkStructure checks what a parser can check without keys.
func (s *Seal) checkStructure() error {
	if !protocol.ValidID(s.EnvelopeID) {
		return malformed("seal envelope id")
	}
	if len(s.Signers) == 0 {
		return malformed("seal without signers")
	}
	if len(s.Signers) > protocol.MaxSigners || len(s.Signatures) > protocol.MaxSigners {
		return fmt.Errorf("seal: %d signers and %d signatures, limit %d: %w", len(s.Signers), len(s.Signatures), protocol.MaxSigners, ErrTooLarge)
	}
	if _, err := unixSeconds(s.SealedAt); err != nil {
		return err
	}
	seen := make(map[[32]byte]bool, len(s.Signers))
	for i, sg := range s.Signers {
		if err := sg.check(); err != nil {
			return fmt.Errorf("seal: signer %d: %w", i, err)
		}
		if seen[sg.Key] {
			return malformed("signer %d repeats a key", i)
		}
		seen[sg.Key] = true
	}
	clear(seen)
	for i, st := range s.Signatures {
		if seen[st.Statement.Signer.Key] {
			return malformed("statement %d repeats a key", i)
		}
		seen[st.Statement.Signer.Key] = true
	}
	return nil
}

// Marshal returns the canonical CBOR of the seal, whose SHA-256 is S.
func (s *Seal) Marshal() ([]byte, error) {
	if err := s.checkStructure(); err != nil {
		return nil, err
	}
	at, err := unixSeconds(s.SealedAt)
	if err != nil {
		return nil, err
	}
	w := wireSeal{Version: Version, Digest: s.Digest[:], Salt: s.Salt[:], Envelope: s.EnvelopeID, SealedAt: at,
		Signers: make([]wireSigner, len(s.Signers)), Signatures: make([]wireSigned, len(s.Signatures))}
	for i, sg := range s.Signers {
		w.Signers[i] = signerToWire(sg)
	}
	for i := range s.Signatures {
		if w.Signatures[i], err = s.Signatures[i].toWire(); err != nil {
			return nil, fmt.Errorf("seal: statement %d: %w", i, err)
		}
	}
	return marshalSealCBOR(&w)
}

// ParseSeal decodes a seal strictly: canonical CBOR within protocol.MaxSeal,
// at most protocol.MaxSigners signers and statements, every field valid,
// keys unique. It checks no signature: Verify does.
func ParseSeal(b []byte) (*Seal, error) {
	var w wireSeal
	if err := unmarshalSealCBOR(b, &w); err != nil {
		return nil, err
	}
	if w.Version != Version {
		return nil, fmt.Errorf("%w: seal version %d", ErrUnsupported, w.Version)
	}
	if len(w.Digest) != 32 || len(w.Salt) != 32 {
		return nil, malformed("seal digest or salt")
	}
	if len(w.Signers) > protocol.MaxSigners || len(w.Signatures) > protocol.MaxSigners {
		return nil, fmt.Errorf("seal: %d signers and %d signatures, limit %d: %w", len(w.Signers), len(w.Signatures), protocol.MaxSigners, ErrTooLarge)
	}
	s := &Seal{EnvelopeID: w.Envelope, Signers: make([]Signer, len(w.Signers)), Signatures: make([]SignedStatement, len(w.Signatures))}
	copy(s.Digest[:], w.Digest)
	copy(s.Salt[:], w.Salt)
	var err error
	if s.SealedAt, err = fromUnixSeconds(w.SealedAt); err != nil {
		return nil, err
	}
	for i, ws := range w.Signers {
		if s.Signers[i], err = signerFromWire(ws); err != nil {
			return nil, fmt.Errorf("seal: signer %d: %w", i, err)
		}
	}
	for i, ws := range w.Signatures {
		if s.Signatures[i], err = signedFromWire(ws); err != nil {
			return nil, fmt.Errorf("seal: statement %d: %w", i, err)
		}
	}
	if err := s.checkStructure(); err != nil {
		return nil, err
	}
	return s, nil
}

// Hash returns S, the SHA-256 of the canonical seal.
func (s *Seal) Hash() ([32]byte, error) {
	b, err := s.Marshal()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Commitment returns C for this seal's salt and digest.
func (s *Seal) Commitment() [32]byte { return Commitment(s.Salt, s.Digest) }

// signerCheck is the outcome for one signer: the index of its statement in
// Signatures (-1 if none) and the failure, if any.
type signerCheck struct {
	index int
	err   error
}

// checkSigners matches each signer to the statement by its key and checks
// the signature and what it binds. It returns one result per signer.
func (s *Seal) checkSigners() []signerCheck {
	byKey := make(map[[32]byte]int, len(s.Signatures))
	for j, st := range s.Signatures {
		byKey[st.Statement.Signer.Key] = j
	}
	out := make([]signerCheck, len(s.Signers))
	for i, sg := range s.Signers {
		j, ok := byKey[sg.Key]
		if !ok {
			out[i] = signerCheck{-1, &SignerError{i, ErrMissingSignature}}
			continue
		}
		out[i] = signerCheck{j, nil}
		st := &s.Signatures[j]
		// Authenticity first: a statement altered after signing is a bad
		// signature, whatever it now claims.
		if err := st.Verify(); err != nil {
			out[i].err = &SignerError{i, err}
			continue
		}
		var what string
		switch {
		case st.Statement.Signer != sg:
			what = "another signer identity"
		case st.Statement.EnvelopeID != s.EnvelopeID:
			what = "another envelope"
		case st.Statement.Digest != s.Digest:
			what = "another document"
		}
		if what != "" {
			out[i].err = &SignerError{i, fmt.Errorf("statement is bound to %s: %w", what, ErrSignerMismatch)}
		}
	}
	return out
}
