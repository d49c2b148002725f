package document_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/keys/document"
)

// The benchmarks stream benchSize bytes per operation and report MB/s with
// b.SetBytes. Read Encrypt and Decrypt against the two baselines of the same
// run: BaselineChaCha20Poly1305 (the raw AEAD over 64 KiB chunks, which is
// all age's STREAM does per chunk) and BaselineSHA256 (what hashing the same
// file for a seal costs).
const benchSize = 16 << 20

func BenchmarkBaselineChaCha20Poly1305(b *testing.B) {
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	nonce, chunk := make([]byte, 12), make([]byte, 64<<10)
	out := make([]byte, 0, len(chunk)+16)
	b.SetBytes(benchSize)
	for b.Loop() {
		for range benchSize / len(chunk) {
			out = aead.Seal(out[:0], nonce, chunk, nil)
		}
	}
}

func BenchmarkBaselineSHA256(b *testing.B) {
	chunk := make([]byte, 64<<10)
	b.SetBytes(benchSize)
	for b.Loop() {
		h := sha256.New()
		for range benchSize / len(chunk) {
			h.Write(chunk)
		}
		h.Sum(nil)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	to := document.NewKey().Recipient()
	chunk := make([]byte, 64<<10)
	b.SetBytes(benchSize)
	for b.Loop() {
		w, err := document.Encrypt(io.Discard, to)
		if err != nil {
			b.Fatal(err)
		}
		for range benchSize / len(chunk) {
			w.Write(chunk)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	id := document.NewKey()
	file := encrypt(b, id.Recipient(), make([]byte, benchSize))
	buf := make([]byte, 64<<10)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := document.Decrypt(bytes.NewReader(file), id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptRange64KiB reads one 64 KiB range from the middle of a
// 16 MiB file: the cost of a page of a large document in a viewer.
func BenchmarkDecryptRange64KiB(b *testing.B) {
	id := document.NewKey()
	file := encrypt(b, id.Recipient(), make([]byte, benchSize))
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		r, err := document.DecryptRange(bytes.NewReader(file), int64(len(file)), id, benchSize/2+100, int64(len(buf)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealMetadata(b *testing.B) {
	to := document.NewKey().Recipient()
	m := &document.Metadata{Name: "Contract.pdf", Type: "application/pdf", Size: 1 << 20}
	m.Created = m.Created.AddDate(2000, 0, 0)
	for b.Loop() {
		if _, err := document.SealMetadata(m, to); err != nil {
			b.Fatal(err)
		}
	}
}
