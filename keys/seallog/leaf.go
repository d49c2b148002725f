package seallog

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// LeafVersion is the first byte of every leaf. Do not reuse: a new leaf
// layout gets a new version byte.
const LeafVersion = 0x01

// LeafSize is the exact size of an encoded leaf:
// version[1] ‖ id[16] ‖ commitment[32] ‖ seal[32].
const LeafSize = 1 + 16 + 32 + 32

// A Leaf is one entry of the log. It holds no personal data: Commitment is
// C = SHA-256("vellum-seal/v1" ‖ salt ‖ D), whose salt stays inside the seal
// so that the log cannot confirm a guessed document, and Seal is S, the hash
// of the canonical seal. ID is random, so two leaves never collide even for
// the same seal.
type Leaf struct {
	ID         [16]byte
	Commitment [32]byte
	Seal       [32]byte
}

// NewLeaf returns a leaf for commitment and seal with a fresh random ID.
func NewLeaf(commitment, seal [32]byte) Leaf {
	l := Leaf{Commitment: commitment, Seal: seal}
	rand.Read(l.ID[:])
	return l
}

// Marshal returns the LeafSize-byte encoding of l.
func (l Leaf) Marshal() []byte {
	b := make([]byte, 0, LeafSize)
	b = append(b, LeafVersion)
	b = append(b, l.ID[:]...)
	b = append(b, l.Commitment[:]...)
	return append(b, l.Seal[:]...)
}

// ParseLeaf decodes a leaf. It refuses any length but LeafSize and any
// version but LeafVersion.
func ParseLeaf(b []byte) (Leaf, error) {
	var l Leaf
	if len(b) != LeafSize {
		return l, fmt.Errorf("seallog: leaf of %d bytes, want %d: %w", len(b), LeafSize, ErrMalformed)
	}
	if b[0] != LeafVersion {
		return l, fmt.Errorf("seallog: leaf version %#x: %w", b[0], ErrMalformed)
	}
	copy(l.ID[:], b[1:17])
	copy(l.Commitment[:], b[17:49])
	copy(l.Seal[:], b[49:81])
	return l, nil
}

// Hash returns the RFC 6962 leaf hash, SHA-256(0x00 ‖ Marshal()).
func (l Leaf) Hash() tlog.Hash { return tlog.RecordHash(l.Marshal()) }
