package document

import (
	"fmt"
	"math"
)

// Sizes of a document file. A document file is an age v1 file with exactly
// one X25519 recipient stanza, so its header is always the same length:
//
//	"age-encryption.org/v1\n"                    22
//	"-> X25519 " ‖ base64(share, 43) ‖ "\n"      54
//	base64(wrapped file key, 43) ‖ "\n"          44
//	"--- " ‖ base64(MAC, 43) ‖ "\n"              48
//
// followed by a 16-byte nonce and the STREAM payload: the plaintext in 64 KiB
// chunks, each with a 16-byte Poly1305 tag, and one empty chunk for an empty
// plaintext.
const (
	headerSize = 22 + 54 + 44 + 48
	nonceSize  = 16
	chunkSize  = 64 << 10
	tagSize    = 16

	// Overhead is the size of a document file with an empty plaintext: the
	// header, the nonce and one tag.
	Overhead = headerSize + nonceSize + tagSize
)

// EncryptedSize returns the exact size of the document file that Encrypt
// writes for a plaintext of plaintextSize bytes.
func EncryptedSize(plaintextSize int64) (int64, error) {
	if plaintextSize < 0 || plaintextSize > math.MaxInt64/2 {
		return 0, fmt.Errorf("document: plaintext size %d: %w", plaintextSize, ErrMalformed)
	}
	chunks := max(1, (plaintextSize+chunkSize-1)/chunkSize)
	return headerSize + nonceSize + plaintextSize + chunks*tagSize, nil
}

// PlaintextSize is the inverse of EncryptedSize. It returns ErrMalformed for a
// size that no document file has.
func PlaintextSize(encryptedSize int64) (int64, error) {
	payload := encryptedSize - headerSize - nonceSize
	if encryptedSize < Overhead || payload < 0 {
		return 0, fmt.Errorf("document: file of %d bytes is shorter than a document file: %w", encryptedSize, ErrMalformed)
	}
	const encChunk = chunkSize + tagSize
	chunks := (payload + encChunk - 1) / encChunk
	p := payload - chunks*tagSize
	if want, _ := EncryptedSize(p); want != encryptedSize {
		return 0, fmt.Errorf("document: no document file is %d bytes: %w", encryptedSize, ErrMalformed)
	}
	return p, nil
}

// CheckSize compares the size of a document file, as stored or downloaded,
// with the plaintext size its metadata states. It returns ErrTruncated if the
// file is shorter than it should be and ErrCorrupted if it is longer. Clients
// SHOULD call it before decrypting: it is the only way to tell a download cut
// inside a chunk from an altered final chunk.
func CheckSize(encryptedSize, plaintextSize int64) error {
	want, err := EncryptedSize(plaintextSize)
	if err != nil {
		return err
	}
	switch {
	case encryptedSize < want:
		return fmt.Errorf("document: file of %d bytes, want %d: %w", encryptedSize, want, ErrTruncated)
	case encryptedSize > want:
		return fmt.Errorf("document: file of %d bytes, want %d: %w", encryptedSize, want, ErrCorrupted)
	}
	return nil
}
