package document_test

import (
	"bytes"
	"errors"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys/document"
)

// FuzzParseVersionStatement: whatever ParseVersionStatement accepts marshals
// back to the same bytes, so a statement has one encoding and its signature
// covers all of it; whatever it refuses is refused with exactly one of the
// statement errors; nothing panics.
func FuzzParseVersionStatement(f *testing.F) {
	for _, b := range vectortest.Seeds(f, "document-version", func(v versionVector) []byte { return v.Signed }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := document.ParseVersionStatement(b)
		if err != nil {
			n := 0
			for _, e := range []error{document.ErrStatementMalformed, document.ErrStatementTooLarge, document.ErrStatementUnsupported} {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v matches %d of the parse errors", err, n)
			}
			return
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatalf("parsed statement does not marshal: %v", err)
		}
		if !bytes.Equal(again, b) || !bytes.Equal(s.Bytes(), b) {
			t.Fatalf("accepted a non-canonical statement: %x re-encodes as %x", b, again)
		}
		if err := s.Check(s.TenantID, s.DocumentID, s.Version, s.CipherSize, s.UploaderID); err != nil && !errors.Is(err, document.ErrStatementSignature) {
			t.Fatalf("Check with the statement's own fields: %v", err)
		}
		if err := s.CheckContent(s.CipherSHA256); err != nil {
			t.Fatalf("CheckContent with the statement's own hash: %v", err)
		}
	})
}
