package seal

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"unicode/utf8"

	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// FileVersion is the version of the .seal file container.
const FileVersion = 1

// A File is the .seal file kept with a document and handed to whoever
// needs to check it: the canonical seal bytes, exactly as hashed into S,
// and the log's tlog-proof for the seal's leaf.
type File struct {
	Seal  []byte // canonical seal CBOR
	Proof []byte // C2SP tlog-proof text, whose extra line is the leaf
}

type wireFile struct {
	Version uint64 `cbor:"1,keyasint"`
	Seal    []byte `cbor:"2,keyasint"`
	Proof   string `cbor:"3,keyasint"`
}

// NewFile packs seal and the log's proof for it. It checks that the proof
// is for this seal's leaf (its C and S), not that the log signed it: the
// client that sealed checks that with VerifyDigest before storing the file.
func NewFile(s *Seal, proof []byte) ([]byte, error) {
	b, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	f := &File{Seal: b, Proof: proof}
	s2, _, leaf, err := f.parse()
	if err != nil {
		return nil, err
	}
	if !leafMatches(leaf, s2, b) {
		return nil, fmt.Errorf("%w: the proof's leaf is for another seal: %w", ErrProofInvalid, seallog.ErrWrongLeaf)
	}
	return f.Marshal()
}

// Marshal encodes f as canonical CBOR {1: version, 2: seal, 3: proof}.
func (f *File) Marshal() ([]byte, error) {
	return marshalSealCBOR(&wireFile{Version: FileVersion, Seal: f.Seal, Proof: string(f.Proof)})
}

// ParseFile decodes a .seal file strictly: canonical CBOR within
// protocol.MaxSeal, a known version, a seal that ParseSeal accepts, and a
// proof that seallog.ParseProof accepts and that carries a leaf. It checks
// no signature and no proof: Verify does.
func ParseFile(b []byte) (*File, error) {
	f, _, _, _, err := parseFile(b)
	return f, err
}

func parseFile(b []byte) (*File, *Seal, *seallog.Proof, seallog.Leaf, error) {
	var w wireFile
	if err := unmarshalSealCBOR(b, &w); err != nil {
		return nil, nil, nil, seallog.Leaf{}, err
	}
	if w.Version != FileVersion {
		return nil, nil, nil, seallog.Leaf{}, fmt.Errorf("%w: .seal file version %d", ErrUnsupported, w.Version)
	}
	f := &File{Seal: w.Seal, Proof: []byte(w.Proof)}
	s, p, leaf, err := f.parse()
	if err != nil {
		return nil, nil, nil, seallog.Leaf{}, err
	}
	return f, s, p, leaf, nil
}

// parse decodes the seal and the proof, and checks that the proof's leaf
// is this seal's (ErrProofInvalid with seallog.ErrWrongLeaf if not).
func (f *File) parse() (*Seal, *seallog.Proof, seallog.Leaf, error) {
	s, err := ParseSeal(f.Seal)
	if err != nil {
		return nil, nil, seallog.Leaf{}, err
	}
	if len(f.Proof) > protocol.MaxProof {
		return nil, nil, seallog.Leaf{}, fmt.Errorf("seal: proof of %d bytes: %w", len(f.Proof), ErrTooLarge)
	}
	// The proof travels as a CBOR text string.
	if !utf8.Valid(f.Proof) {
		return nil, nil, seallog.Leaf{}, malformed("proof is not UTF-8")
	}
	p, err := seallog.ParseProof(f.Proof)
	if err != nil {
		return nil, nil, seallog.Leaf{}, fmt.Errorf("%w: proof: %w", ErrMalformed, err)
	}
	leaf, err := seallog.ParseLeaf(p.Extra)
	if err != nil {
		return nil, nil, seallog.Leaf{}, fmt.Errorf("%w: proof's leaf: %w", ErrMalformed, err)
	}
	return s, p, leaf, nil
}

// leafMatches reports whether leaf is the log entry of the seal whose
// canonical bytes are sealBytes.
func leafMatches(leaf seallog.Leaf, s *Seal, sealBytes []byte) bool {
	c, h := s.Commitment(), sha256.Sum256(sealBytes)
	return bytes.Equal(leaf.Commitment[:], c[:]) && bytes.Equal(leaf.Seal[:], h[:])
}
