package api

import (
	"bytes"
	"testing"
	"time"

	"filippo.io/age"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// keyWrapVector is the part of protocol/testdata/document-key-wrap this
// package reads.
type keyWrapVector struct {
	Comment  string         `json:"comment"`
	Seed     uint64         `json:"seed"`
	Folder   string         `json:"folder"`
	Document string         `json:"document"`
	Wrapped  vectortest.Hex `json:"wrapped"`
	OpenWith string         `json:"open_with,omitempty"`
	Error    string         `json:"error,omitempty"`
}

func wrapSeeds(t testing.TB) [][]byte {
	return vectortest.Seeds(t, "document-key-wrap", func(v keyWrapVector) []byte { return v.Wrapped })
}

// TestKeyWrapForm: every document key wrap of the vectors, and wraps made
// now, have the form a move accepts; other age files and altered wraps do
// not.
func TestKeyWrapForm(t *testing.T) {
	seeds := wrapSeeds(t)
	fk, dk := keys.NewIdentity(), document.NewKey()
	fresh, err := document.WrapKey(dk, fk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range append(seeds, fresh) {
		if err := checkKeyWrap(w); err != nil {
			t.Errorf("a wrap made by keys.WrapIdentity is refused: %v", err)
		}
	}
	two, err := keys.WrapIdentity(dk, fk.Recipient(), dk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	meta, err := document.SealMetadata(&document.Metadata{Name: "a.pdf", Type: "application/pdf", Size: 1, Created: time.Now()}, dk.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	var scrypt bytes.Buffer
	sr, _ := age.NewScryptRecipient("password")
	sr.SetWorkFactor(10)
	w, _ := age.Encrypt(&scrypt, sr)
	w.Write(dk.MarshalSecret())
	w.Close()
	bad := map[string][]byte{
		"empty": nil, "two recipients": two, "metadata": meta, "scrypt": scrypt.Bytes(),
		"truncated": fresh[:len(fresh)-1], "appended": append(bytes.Clone(fresh), 0),
		"header only":       fresh[:bytes.Index(fresh, []byte("\n---"))+48],
		"over the limit":    bytes.Repeat([]byte{'a'}, protocol.MaxWrappedKey+1),
		"upper-case stanza": bytes.Replace(fresh, []byte("X25519"), []byte("x25519"), 1),
	}
	for name, b := range bad {
		if err := checkKeyWrap(b); protocol.CodeOf(err) != protocol.CodeBadEncoding {
			t.Errorf("%s: %v, want bad_encoding", name, err)
		}
	}
	if err := checkMetadataForm(meta); err != nil {
		t.Errorf("sealed metadata refused: %v", err)
	}
	for name, b := range map[string][]byte{"two recipients": two, "scrypt": scrypt.Bytes(), "empty": nil} {
		if err := checkMetadataForm(b); protocol.CodeOf(err) != protocol.CodeBadEncoding {
			t.Errorf("metadata %s: %v, want bad_encoding", name, err)
		}
	}
}

// FuzzCheckKeyWrap: the form check never panics, and what it accepts is a
// canonical age header of one X25519 stanza followed by exactly an
// identity's payload.
func FuzzCheckKeyWrap(f *testing.F) {
	for _, s := range wrapSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if checkKeyWrap(b) != nil {
			checkMetadataForm(b)
			return
		}
		n, ok := oneX25519Stanza(b)
		if !ok || len(b)-n != wrappedIdentityPayload() {
			t.Fatalf("accepted a wrap of another form")
		}
		hdr, err := age.ExtractHeader(bytes.NewReader(b))
		if err != nil || !bytes.Equal(hdr, b[:n]) {
			t.Fatalf("accepted a header that does not re-encode to itself")
		}
	})
}
