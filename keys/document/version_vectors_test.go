package document_test

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// Vector format of this file, in protocol/testdata:
//
//	document-version  signed document version statements, and what
//	                  ParseVersionStatement, Check and CheckContent say of
//	                  altered ones
//
// Every vector is rebuilt by versionVectors and compared with the stored
// file; `go test ./keys/document -run UpdateVectors -update` rewrites them.

var versionSentinels = map[string]error{
	"":              nil,
	"malformed":     document.ErrStatementMalformed,
	"too_large":     document.ErrStatementTooLarge,
	"unsupported":   document.ErrStatementUnsupported,
	"bad_signature": document.ErrStatementSignature,
	"mismatch":      document.ErrStatementMismatch,
}

func wantVersionErr(t *testing.T, what string, err error, name string) {
	t.Helper()
	vectortest.WantError(t, what, err, name, versionSentinels)
}

// The wire layout, written out again here so that the vectors also check it
// against the spec rather than against the package's own structs.
type wireVersionSigned struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

type wireVersionBody struct {
	Version    uint64 `cbor:"1,keyasint"`
	Tenant     string `cbor:"2,keyasint"`
	Document   string `cbor:"3,keyasint"`
	DocVersion uint64 `cbor:"4,keyasint"`
	Size       uint64 `cbor:"5,keyasint"`
	SHA256     []byte `cbor:"6,keyasint"`
	Uploader   string `cbor:"7,keyasint"`
	Key        []byte `cbor:"8,keyasint"`
	Time       uint64 `cbor:"9,keyasint"`
}

const versionTime = 1795219200 // 2026-11-21T00:00:00Z

// versionVector: with crypto/rand seeded by Seed, the uploader's key is
// keys.NewSigningKey(), whose Ed25519 seed is UploaderSeed. Signed is the
// statement; Body its signed body. ParseVersionStatement(Signed) fails with
// ParseError or gives the fields TenantID to Time (set in every vector that
// parses). Check(the fields, each replaced by CheckWith's if set there) gives
// CheckError; CheckContent(ContentSHA256, or CipherSHA256 if unset) gives
// ContentError. Vectors without an error are what SignVersion writes.
type versionVector struct {
	Comment         string         `json:"comment"`
	Seed            uint64         `json:"seed"`
	UploaderSeed    vectortest.Hex `json:"uploader_seed"`
	TenantID        string         `json:"tenant_id,omitempty"`
	DocumentID      string         `json:"document_id,omitempty"`
	DocumentVersion uint32         `json:"document_version,omitempty"`
	CipherSize      int64          `json:"cipher_size,omitempty"`
	CipherSHA256    vectortest.Hex `json:"cipher_sha256,omitempty"`
	UploaderID      string         `json:"uploader_id,omitempty"`
	UploaderKey     vectortest.Hex `json:"uploader_key,omitempty"`
	Time            int64          `json:"time,omitempty"`
	Body            vectortest.Hex `json:"body"`
	Signed          vectortest.Hex `json:"signed"`
	CheckWith       *versionCheck  `json:"check_with,omitempty"`
	ContentSHA256   vectortest.Hex `json:"content_sha256,omitempty"`
	ParseError      string         `json:"parse_error,omitempty"`
	CheckError      string         `json:"check_error,omitempty"`
	ContentError    string         `json:"content_error,omitempty"`
}

// versionCheck holds the arguments of Check that differ from the
// statement's own fields.
type versionCheck struct {
	TenantID        string `json:"tenant_id,omitempty"`
	DocumentID      string `json:"document_id,omitempty"`
	DocumentVersion uint32 `json:"document_version,omitempty"`
	CipherSize      int64  `json:"cipher_size,omitempty"`
	UploaderID      string `json:"uploader_id,omitempty"`
}

func (v versionVector) facts() document.VersionFacts {
	f := document.VersionFacts{TenantID: v.TenantID, DocumentID: v.DocumentID, Version: v.DocumentVersion,
		CipherSize: v.CipherSize, UploaderID: v.UploaderID, Time: time.Unix(v.Time, 0).UTC()}
	copy(f.CipherSHA256[:], v.CipherSHA256)
	return f
}

// setWire records the fields of a body the parser accepts.
func (v *versionVector) setWire(w *wireVersionBody) {
	v.TenantID, v.DocumentID, v.DocumentVersion, v.CipherSize = w.Tenant, w.Document, uint32(w.DocVersion), int64(w.Size)
	v.CipherSHA256, v.UploaderID, v.UploaderKey, v.Time = w.SHA256, w.Uploader, w.Key, int64(w.Time)
}

func versionCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := protocol.MarshalCBOR(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signVersionBody(t testing.TB, label protocol.Label, signer *keys.SigningKey, body []byte) []byte {
	return versionCBOR(t, &wireVersionSigned{Body: body, Signature: signer.Sign(label, body)})
}

// uploaderKey draws the uploader's key from a vector's seed.
func uploaderKey(t *testing.T, seed uint64) *keys.SigningKey {
	cryptotest.SetGlobalRandom(t, seed)
	return keys.NewSigningKey()
}

// cborBytes is a pre-encoded CBOR byte string, for rawCBOR.
func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }

// entries lists a body's fields in key order, for rawCBOR.
func entries(w wireVersionBody) []any {
	return []any{1, cborUint(w.Version), 2, w.Tenant, 3, w.Document, 4, cborUint(w.DocVersion), 5, cborUint(w.Size),
		6, cborBytes(w.SHA256), 7, w.Uploader, 8, cborBytes(w.Key), 9, cborUint(w.Time)}
}

func versionVectors(t *testing.T) map[string]versionVector {
	made := func(comment string, seed uint64, f document.VersionFacts) versionVector {
		k := uploaderKey(t, seed)
		s, err := document.SignVersion(k, f)
		if err != nil {
			t.Fatal(err)
		}
		var ws wireVersionSigned
		if err := protocol.UnmarshalCBOR(s.Bytes(), &ws); err != nil {
			t.Fatal(err)
		}
		vk := k.Public()
		return versionVector{
			Comment: comment, Seed: seed, UploaderSeed: k.Seed(),
			TenantID: f.TenantID, DocumentID: f.DocumentID, DocumentVersion: f.Version, CipherSize: f.CipherSize,
			CipherSHA256: bytes.Clone(f.CipherSHA256[:]), UploaderID: f.UploaderID, UploaderKey: vk[:], Time: f.Time.Unix(),
			Body: ws.Body, Signed: s.Bytes(),
		}
	}
	const size = 1234567
	v3 := made("version 3 of a document, uploaded by alice: signed {1: body, 2: Ed25519 signature over \"vellum-document-version/v1\" ‖ 0x0a ‖ body}; body {1: format version 1, 2: tenant id, 3: document id, 4: document version, 5: ciphertext size, 6: ciphertext SHA-256, 7: uploader id, 8: uploader verify key, 9: time (Unix seconds)}; the hash here is SHA-256 of cipher_size bytes i mod 251",
		60, document.VersionFacts{TenantID: "tenant-Acme_0001", DocumentID: "doc-7Qx9", Version: 3, CipherSize: size,
			CipherSHA256: sha256.Sum256(pattern(size)), UploaderID: "alice", Time: time.Unix(versionTime, 0)})
	maxHash := [32]byte(bytes.Repeat([]byte{0xff}, 32))
	maximal := made("every field at its largest: ids of 64 characters, document version 2^32-1, size MaxUploadSize (2^36), time 2^40; hash 32 bytes 0xff",
		61, document.VersionFacts{TenantID: strings.Repeat("T", protocol.MaxIDLength), DocumentID: strings.Repeat("D", protocol.MaxIDLength),
			Version: 1<<32 - 1, CipherSize: protocol.MaxUploadSize, CipherSHA256: maxHash,
			UploaderID: strings.Repeat("u", protocol.MaxIDLength), Time: time.Unix(1<<40, 0)})
	minimal := made("every field at its smallest: ids of one character, document version 1, size 1, time 1; the hash is SHA-256 of the byte 0x00",
		62, document.VersionFacts{TenantID: "t", DocumentID: "d", Version: 1, CipherSize: 1,
			CipherSHA256: sha256.Sum256(pattern(1)), UploaderID: "u", Time: time.Unix(1, 0)})
	vs := map[string]versionVector{"version-3": v3, "maximal": maximal, "minimal": minimal}

	// Refused vectors start from version-3's body.
	var base wireVersionBody
	if err := protocol.UnmarshalCBOR(v3.Body, &base); err != nil {
		t.Fatal(err)
	}
	alice := uploaderKey(t, 60)
	mallory := uploaderKey(t, 63)
	// only: v3's seeds, and the given body and signed bytes.
	only := func(comment string, body, signed []byte, parseError string) versionVector {
		return versionVector{Comment: comment, Seed: v3.Seed, UploaderSeed: v3.UploaderSeed, Body: body, Signed: signed, ParseError: parseError}
	}
	// variant changes version-3's body and signs it again; the fields are
	// recorded when it parses.
	variant := func(comment string, change func(w *wireVersionBody), parseError string) versionVector {
		w := base
		change(&w)
		body := versionCBOR(t, &w)
		v := only(comment, body, signVersionBody(t, protocol.LabelDocumentVersion, alice, body), parseError)
		if parseError == "" {
			v.setWire(&w)
		}
		return v
	}
	var ws wireVersionSigned
	if err := protocol.UnmarshalCBOR(v3.Signed, &ws); err != nil {
		t.Fatal(err)
	}

	// Parsed, but the signature does not verify.
	v := v3
	v.Comment = "version-3 with the first byte of its signature changed (0x01 added)"
	sig := bytes.Clone(ws.Signature)
	sig[0]++
	v.Signed = versionCBOR(t, &wireVersionSigned{Body: v3.Body, Signature: sig})
	v.CheckError = "bad_signature"
	vs["altered-signature"] = v

	v = variant("version-3 with its size changed to 1234568 after signing: it parses, and Check (with the altered size) refuses the signature", func(w *wireVersionBody) { w.Size++ }, "")
	v.Signed = versionCBOR(t, &wireVersionSigned{Body: v.Body, Signature: ws.Signature})
	v.CheckError = "bad_signature"
	vs["altered-size"] = v

	v = variant("version-3 with its hash changed after signing (last byte 0x01 added): the signature covers the hash too", func(w *wireVersionBody) {
		w.SHA256 = bytes.Clone(w.SHA256)
		w.SHA256[31]++
	}, "")
	v.Signed = versionCBOR(t, &wireVersionSigned{Body: v.Body, Signature: ws.Signature})
	v.CheckError = "bad_signature"
	vs["altered-hash"] = v

	v = variant("version-3's body, naming alice's key, signed by another key (the first signing key drawn with seed 63)", func(w *wireVersionBody) {}, "")
	v.Signed = signVersionBody(t, protocol.LabelDocumentVersion, mallory, v.Body)
	v.CheckError = "bad_signature"
	vs["other-signer"] = v

	v = variant("version-3's body signed by alice under the grant label \"vellum-grant/v1\": a signature of another format", func(w *wireVersionBody) {}, "")
	v.Signed = signVersionBody(t, protocol.LabelGrant, alice, v.Body)
	v.CheckError = "bad_signature"
	vs["other-label"] = v

	// Check and CheckContent for another version than the statement's.
	mismatch := func(comment string, c versionCheck) versionVector {
		v := v3
		v.Comment, v.CheckWith, v.CheckError = comment, &c, "mismatch"
		return v
	}
	vs["mismatch-tenant"] = mismatch("version-3 checked for another tenant", versionCheck{TenantID: "tenant-Other_0002"})
	vs["mismatch-document"] = mismatch("version-3 checked for another document", versionCheck{DocumentID: "doc-8Rz0"})
	vs["mismatch-version"] = mismatch("version-3 checked for version 2 of its document: an older version's bytes cannot be served as another's", versionCheck{DocumentVersion: 2})
	vs["mismatch-size"] = mismatch("version-3 checked for a ciphertext of 1234568 bytes", versionCheck{CipherSize: size + 1})
	vs["mismatch-uploader"] = mismatch("version-3 checked for another uploader", versionCheck{UploaderID: "mallory"})
	v = v3
	v.Comment = "version-3 checked against the SHA-256 of other ciphertext (1234567 zero bytes)"
	other := sha256.Sum256(make([]byte, size))
	v.ContentSHA256, v.ContentError = other[:], "mismatch"
	vs["mismatch-content"] = v

	// Refused by the parser, though signed by the key they name.
	vs["version-2"] = variant("format version 2, otherwise version-3's fields", func(w *wireVersionBody) { w.Version = 2 }, "unsupported")
	w2 := base
	w2.Version = 2
	body := rawCBOR(append(entries(w2), 10, "x")...)
	vs["version-2-new-field"] = only("format version 2 with a field 10 that version 1 does not have: still unsupported, not malformed",
		body, signVersionBody(t, protocol.LabelDocumentVersion, alice, body), "unsupported")
	vs["zero-key"] = variant("an all-zero verify key", func(w *wireVersionBody) { w.Key = make([]byte, 32) }, "malformed")
	vs["short-key"] = variant("a verify key of 31 bytes", func(w *wireVersionBody) { w.Key = w.Key[:31] }, "malformed")
	vs["bad-tenant-id"] = variant("a tenant id with a character outside [A-Za-z0-9_-]", func(w *wireVersionBody) { w.Tenant = "a/b" }, "malformed")
	vs["empty-uploader-id"] = variant("an empty uploader id", func(w *wireVersionBody) { w.Uploader = "" }, "malformed")
	vs["long-document-id"] = variant("a document id of 65 characters", func(w *wireVersionBody) { w.Document = strings.Repeat("D", protocol.MaxIDLength+1) }, "malformed")
	vs["document-version-0"] = variant("document version 0: versions start at 1", func(w *wireVersionBody) { w.DocVersion = 0 }, "malformed")
	vs["document-version-2-32"] = variant("document version 2^32", func(w *wireVersionBody) { w.DocVersion = 1 << 32 }, "malformed")
	vs["size-0"] = variant("a ciphertext of 0 bytes", func(w *wireVersionBody) { w.Size = 0 }, "malformed")
	vs["size-over-max"] = variant("a ciphertext of MaxUploadSize+1 bytes", func(w *wireVersionBody) { w.Size = protocol.MaxUploadSize + 1 }, "malformed")
	vs["hash-31-bytes"] = variant("a hash of 31 bytes", func(w *wireVersionBody) { w.SHA256 = w.SHA256[:31] }, "malformed")
	vs["time-0"] = variant("time 0", func(w *wireVersionBody) { w.Time = 0 }, "malformed")
	vs["time-over-max"] = variant("time 2^40+1", func(w *wireVersionBody) { w.Time = 1<<40 + 1 }, "malformed")

	// Not the canonical encoding.
	if !bytes.Equal(rawCBOR(entries(base)...), v3.Body) {
		t.Fatal("the hand-made encoding of version-3's body differs from SignVersion's")
	}
	e := entries(base)
	e[0], e[1], e[2], e[3] = e[2], e[3], e[0], e[1]
	unsorted := rawCBOR(e...)
	vs["unsorted-body"] = only("version-3's body with keys 1 and 2 swapped, signed by alice: not the deterministic encoding",
		unsorted, signVersionBody(t, protocol.LabelDocumentVersion, alice, unsorted), "malformed")
	e = entries(base)
	e[1] = []byte{0x18, 0x01}
	longInt := rawCBOR(e...)
	vs["long-int"] = only("version-3's body with format version 1 written in two bytes (0x18 0x01), signed by alice: not the shortest form",
		longInt, signVersionBody(t, protocol.LabelDocumentVersion, alice, longInt), "malformed")
	// {2: sig, 1: body}: map of 2, key 2, bstr 64, then key 1 and the body.
	outer := append([]byte{0xa2, 0x02, 0x58, 0x40}, ws.Signature...)
	outer = append(append(outer, 0x01), cborBytes(v3.Body)...)
	vs["unsorted-outer"] = only("version-3 with its outer map written signature first: not canonical CBOR", v3.Body, outer, "malformed")
	vs["trailing-bytes"] = only("version-3 followed by one more byte (0x00)", v3.Body, append(bytes.Clone(v3.Signed), 0x00), "malformed")
	vs["short-signature"] = only("version-3 with its signature cut to 63 bytes", v3.Body,
		versionCBOR(t, &wireVersionSigned{Body: v3.Body, Signature: ws.Signature[:63]}), "malformed")

	// Over MaxVersionStatement by one byte: refused before it is decoded.
	for n := protocol.MaxIDLength; ; n++ {
		v := variant(fmt.Sprintf("version-3 with a document id long enough (%d characters) that the signed statement is MaxVersionStatement+1 (1025) bytes", n), func(w *wireVersionBody) {
			w.Document = strings.Repeat("D", n)
		}, "too_large")
		if len(v.Signed) < protocol.MaxVersionStatement+1 {
			continue
		}
		if len(v.Signed) > protocol.MaxVersionStatement+1 {
			t.Fatalf("no document id makes a statement of %d bytes", protocol.MaxVersionStatement+1)
		}
		vs["too-large"] = v
		break
	}
	return vs
}

func TestVectorsVersionStatement(t *testing.T) {
	gen := versionVectors(t)
	for _, c := range vectortest.Load[versionVector](t, "document-version") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			s, err := document.ParseVersionStatement(v.Signed)
			wantVersionErr(t, "ParseVersionStatement", err, v.ParseError)
			if err != nil {
				return
			}
			// The fields, as the spec's layout reads them and as parsed.
			var ws wireVersionSigned
			var w wireVersionBody
			if err := protocol.UnmarshalCBOR(v.Signed, &ws); err != nil || !bytes.Equal(ws.Body, v.Body) {
				t.Fatalf("the statement's body is %x (%v), want %x", ws.Body, err, v.Body)
			}
			if err := protocol.UnmarshalCBOR(ws.Body, &w); err != nil {
				t.Fatal(err)
			}
			var fromWire versionVector
			fromWire.setWire(&w)
			if w.Version != document.VersionStatementVersion || !reflect.DeepEqual(fromWire.facts(), v.facts()) || !bytes.Equal(w.Key, v.UploaderKey) {
				t.Errorf("the body holds %+v", w)
			}
			if !reflect.DeepEqual(s.VersionFacts, v.facts()) {
				t.Errorf("ParseVersionStatement gave %+v, want %+v", s.VersionFacts, v.facts())
			}
			if !bytes.Equal(s.Key[:], v.UploaderKey) {
				t.Errorf("key %x, want %x", s.Key[:], v.UploaderKey)
			}
			if !bytes.Equal(s.Bytes(), v.Signed) {
				t.Errorf("Bytes = %x", s.Bytes())
			}
			if again, err := s.Marshal(); err != nil || !bytes.Equal(again, v.Signed) {
				t.Errorf("Marshal of a parsed statement = %x, %v", again, err)
			}

			f := v.facts()
			if c := v.CheckWith; c != nil {
				f.TenantID = cmp.Or(c.TenantID, f.TenantID)
				f.DocumentID = cmp.Or(c.DocumentID, f.DocumentID)
				f.Version = cmp.Or(c.DocumentVersion, f.Version)
				f.CipherSize = cmp.Or(c.CipherSize, f.CipherSize)
				f.UploaderID = cmp.Or(c.UploaderID, f.UploaderID)
			}
			wantVersionErr(t, "Check", s.Check(f.TenantID, f.DocumentID, f.Version, f.CipherSize, f.UploaderID), v.CheckError)
			content := s.CipherSHA256
			if v.ContentSHA256 != nil {
				content = [32]byte(v.ContentSHA256)
			}
			wantVersionErr(t, "CheckContent", s.CheckContent(content), v.ContentError)
			if v.CheckError+v.ContentError != "" {
				return
			}
			// A statement that passes every check is exactly what SignVersion
			// writes, with the key drawn from the seed.
			k, err := keys.SigningKeyFromSeed(v.UploaderSeed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(uploaderKey(t, v.Seed).Seed(), v.UploaderSeed) {
				t.Errorf("seed %d does not draw uploader_seed", v.Seed)
			}
			made, err := document.SignVersion(k, v.facts())
			if err != nil {
				t.Fatalf("SignVersion: %v", err)
			}
			if !bytes.Equal(made.Bytes(), v.Signed) {
				t.Errorf("SignVersion = %x, want %x", made.Bytes(), v.Signed)
			}
		})
	}
}

// TestUpdateVectorsVersion rewrites the document-version vectors with
// `go test ./keys/document -run UpdateVectors -update`.
func TestUpdateVectorsVersion(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	for name, v := range versionVectors(t) {
		vectortest.Write(t, "document-version", name, v)
	}
}
