package document_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
)

// FuzzParseMetadata: whatever ParseMetadata accepts marshals back to the
// same bytes (only the canonical encoding is accepted), and whatever it
// refuses is refused with one of the package's errors.
func FuzzParseMetadata(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "document-metadata", func(v metadataVector) []byte { return v.CBOR }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := document.ParseMetadata(b)
		if err != nil {
			if !errors.Is(err, document.ErrMalformed) && !errors.Is(err, document.ErrVersion) && !errors.Is(err, document.ErrTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatalf("accepted metadata does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical record: %x re-encodes as %x", b, again)
		}
	})
}

func FuzzParseFolderMetadata(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "document-folder-metadata", func(v folderMetadataVector) []byte { return v.CBOR }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := document.ParseFolderMetadata(b)
		if err != nil {
			return
		}
		again, err := m.Marshal()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical record: %x re-encodes as %x (%v)", b, again, err)
		}
	})
}

// FuzzDecrypt: hostile document files never panic, every failure is exactly
// one of the sentinels, and whatever decrypts re-encrypts to a file that
// decrypts to the same plaintext with the same DecryptRange result.
func FuzzDecrypt(f *testing.F) {
	// Every short vector file made from seed 2 (the "short" file and its
	// altered copies) shares one identity; the fuzzer mutates those.
	var id *keys.Identity
	for _, b := range vectortest.Seeds(f, "document-content", func(v contentVector) []byte {
		if v.Seed != 2 || v.Ciphertext == nil {
			return nil
		}
		id, _ = keys.ParseIdentity([]byte(v.Identity))
		if v.Alter != "" {
			return alter(f, v.Ciphertext, v.Alter)
		}
		return v.Ciphertext
	}) {
		f.Add(b)
	}
	sentinels := []error{document.ErrWrongKey, document.ErrTruncated, document.ErrCorrupted, document.ErrMalformed}
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := decrypt(b, id)
		if err != nil {
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v matches %d sentinels, want 1", err, n)
			}
			return
		}
		r, err := document.DecryptRange(bytes.NewReader(b), int64(len(b)), id, 0, int64(len(pt)))
		if err != nil {
			t.Fatalf("Decrypt accepted what DecryptRange refuses: %v", err)
		}
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("DecryptRange disagrees with Decrypt: %v", err)
		}
		if err := document.CheckSize(int64(len(b)), int64(len(pt))); err != nil {
			t.Fatalf("a file that decrypts fails CheckSize: %v", err)
		}
		if again, err := decrypt(encrypt(t, id.Recipient(), pt), id); err != nil || !bytes.Equal(again, pt) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
