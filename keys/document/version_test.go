package document_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

func versionFacts() document.VersionFacts {
	return document.VersionFacts{TenantID: "tenant1", DocumentID: "doc1", Version: 2, CipherSize: 4096,
		CipherSHA256: sha256.Sum256([]byte("ciphertext")), UploaderID: "alice", Time: time.Unix(versionTime, 0).UTC()}
}

func TestSignVersion(t *testing.T) {
	alice := keys.NewSigningKey()
	f := versionFacts()
	s, err := document.SignVersion(alice, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Bytes()) > protocol.MaxVersionStatement/2 {
		t.Errorf("statement of %d bytes", len(s.Bytes()))
	}
	p, err := document.ParseVersionStatement(s.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if p.VersionFacts != f || p.Key != alice.Public() {
		t.Errorf("parsed %+v, key %s; want %+v, key %s", p.VersionFacts, p.Key, f, alice.Public())
	}
	if err := p.Check(f.TenantID, f.DocumentID, f.Version, f.CipherSize, f.UploaderID); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckContent(f.CipherSHA256); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name            string
		tenant, doc, up string
		version         uint32
		size            int64
	}{
		{"tenant", "tenant2", f.DocumentID, f.UploaderID, f.Version, f.CipherSize},
		{"document", f.TenantID, "doc2", f.UploaderID, f.Version, f.CipherSize},
		{"version", f.TenantID, f.DocumentID, f.UploaderID, f.Version + 1, f.CipherSize},
		{"size", f.TenantID, f.DocumentID, f.UploaderID, f.Version, f.CipherSize - 1},
		{"uploader", f.TenantID, f.DocumentID, "bob", f.Version, f.CipherSize},
	} {
		if err := p.Check(c.tenant, c.doc, c.version, c.size, c.up); !errors.Is(err, document.ErrStatementMismatch) {
			t.Errorf("Check with another %s: %v", c.name, err)
		}
	}
	if err := p.CheckContent(sha256.Sum256([]byte("other"))); !errors.Is(err, document.ErrStatementMismatch) {
		t.Errorf("CheckContent with another hash: %v", err)
	}
	// Signing is deterministic: the same facts give the same bytes.
	if s2, err := document.SignVersion(alice, f); err != nil || !bytes.Equal(s2.Bytes(), s.Bytes()) {
		t.Errorf("signing again gave other bytes (%v)", err)
	}
	// The time is kept to the second, in UTC.
	g := f
	g.Time = time.Unix(versionTime, 999_999_999).In(time.FixedZone("X", 3600))
	if s3, err := document.SignVersion(alice, g); err != nil || s3.Time != f.Time || !bytes.Equal(s3.Bytes(), s.Bytes()) {
		t.Errorf("a time with nanoseconds and a zone: %v", err)
	}
}

// TestVersionStatementAltered: every single-bit change of a signed statement
// is refused by ParseVersionStatement or by Check: nothing in it is outside
// the signature.
func TestVersionStatementAltered(t *testing.T) {
	alice := keys.NewSigningKey()
	f := versionFacts()
	s, err := document.SignVersion(alice, f)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bytes()
	for i := range b {
		for bit := range 8 {
			c := bytes.Clone(b)
			c[i] ^= 1 << bit
			p, err := document.ParseVersionStatement(c)
			if err == nil {
				err = p.Check(f.TenantID, f.DocumentID, f.Version, f.CipherSize, f.UploaderID)
				if err == nil {
					err = p.CheckContent(f.CipherSHA256)
				}
			}
			if err == nil {
				t.Fatalf("flipping bit %d of byte %d went unnoticed", bit, i)
			}
		}
	}
}

// TestSignVersionRefuses: SignVersion writes nothing the parser refuses.
func TestSignVersionRefuses(t *testing.T) {
	alice := keys.NewSigningKey()
	for name, change := range map[string]func(f *document.VersionFacts){
		"empty tenant id":       func(f *document.VersionFacts) { f.TenantID = "" },
		"bad tenant id":         func(f *document.VersionFacts) { f.TenantID = "a/b" },
		"bad document id":       func(f *document.VersionFacts) { f.DocumentID = "doc 1" },
		"long document id":      func(f *document.VersionFacts) { f.DocumentID = strings.Repeat("d", protocol.MaxIDLength+1) },
		"empty uploader id":     func(f *document.VersionFacts) { f.UploaderID = "" },
		"non-ASCII uploader id": func(f *document.VersionFacts) { f.UploaderID = "alicé" },
		"version 0":             func(f *document.VersionFacts) { f.Version = 0 },
		"size 0":                func(f *document.VersionFacts) { f.CipherSize = 0 },
		"negative size":         func(f *document.VersionFacts) { f.CipherSize = -1 },
		"size over max":         func(f *document.VersionFacts) { f.CipherSize = protocol.MaxUploadSize + 1 },
		"zero time":             func(f *document.VersionFacts) { f.Time = time.Time{} },
		"time 0":                func(f *document.VersionFacts) { f.Time = time.Unix(0, 0) },
		"time before 1970":      func(f *document.VersionFacts) { f.Time = time.Unix(-1, 0) },
		"time over 2^40":        func(f *document.VersionFacts) { f.Time = time.Unix(1<<40+1, 0) },
	} {
		f := versionFacts()
		change(&f)
		if s, err := document.SignVersion(alice, f); !errors.Is(err, document.ErrStatementMalformed) {
			t.Errorf("%s: SignVersion = %v, %v", name, s, err)
		}
	}
}

// TestVersionStatementCopies: Bytes returns a copy, and a parsed statement
// keeps none of its input, so neither can be changed from outside.
func TestVersionStatementCopies(t *testing.T) {
	f := versionFacts()
	s, err := document.SignVersion(keys.NewSigningKey(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := s.Bytes()
	b := s.Bytes()
	clear(b)
	if !bytes.Equal(s.Bytes(), want) {
		t.Fatal("Bytes returned the statement's own slice")
	}
	in := bytes.Clone(want)
	p, err := document.ParseVersionStatement(in)
	if err != nil {
		t.Fatal(err)
	}
	clear(in)
	if !bytes.Equal(p.Bytes(), want) {
		t.Error("the parsed statement shares its input's bytes")
	}
	if again, err := p.Marshal(); err != nil || !bytes.Equal(again, want) {
		t.Errorf("Marshal after the input changed = %x, %v", again, err)
	}
	if err := p.Check(f.TenantID, f.DocumentID, f.Version, f.CipherSize, f.UploaderID); err != nil {
		t.Errorf("Check after the input changed: %v", err)
	}
}

func TestParseVersionStatementLimits(t *testing.T) {
	if _, err := document.ParseVersionStatement(make([]byte, protocol.MaxVersionStatement+1)); !errors.Is(err, document.ErrStatementTooLarge) {
		t.Errorf("oversized statement: %v", err)
	}
	for _, b := range [][]byte{nil, {0xa0}, {0xa2, 0x01, 0x40, 0x02, 0x40}, {0xa2, 0x01, 0x41, 0xa0, 0x02, 0x58, 0x40}} {
		if _, err := document.ParseVersionStatement(b); !errors.Is(err, document.ErrStatementMalformed) {
			t.Errorf("ParseVersionStatement(%x): %v", b, err)
		}
	}
}
