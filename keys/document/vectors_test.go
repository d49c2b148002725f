package document_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"filippo.io/age"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// Vector formats of this package, in protocol/testdata:
//
//	document-content          an age file to a document key, and what altered copies give
//	document-metadata         the CBOR metadata record, sealed to the document key
//	document-folder-metadata  the CBOR folder record, sealed to the folder key
//	document-key-wrap         a document key wrapped to its folder key
//
// Every vector is rebuilt from its seed by the generators below and compared
// with the stored file byte for byte; `go test ./keys/document -update`
// rewrites the files from the generators.

var sentinels = map[string]error{
	"":          nil,
	"wrong_key": document.ErrWrongKey,
	"truncated": document.ErrTruncated,
	"corrupted": document.ErrCorrupted,
	"malformed": document.ErrMalformed,
	"too_large": document.ErrTooLarge,
	"version":   document.ErrVersion,
	"range":     document.ErrRange,
}

func wantErr(t *testing.T, what string, err error, name string) {
	t.Helper()
	vectortest.WantError(t, what, err, name, sentinels)
}

// pattern returns the plaintext of a content vector: byte i is i mod 251,
// a prime, so that no two chunks of a file are equal.
func pattern(n int64) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// contentVector: with crypto/rand seeded by Seed, Identity = keys.NewIdentity()
// and then (with ExtraRecipient's recipient added if set) Encrypt of
// pattern(PlaintextLength) gives the file whose SHA-256 is CiphertextSHA256
// (and whose bytes are Ciphertext, for short files). Alter, if set, changes
// the file (giving AlteredSHA256) before it is opened with Identity (or
// OpenWith): Decrypt MUST fail with Error, DecryptRange over the whole file
// with RangeError, and CheckSize(len, PlaintextLength) with SizeError.
type contentVector struct {
	Comment          string         `json:"comment"`
	Seed             uint64         `json:"seed"`
	Identity         string         `json:"identity"`
	ExtraRecipient   string         `json:"extra_recipient,omitempty"`
	PlaintextLength  int64          `json:"plaintext_length"`
	CiphertextLength int64          `json:"ciphertext_length"`
	CiphertextSHA256 vectortest.Hex `json:"ciphertext_sha256"`
	Ciphertext       vectortest.Hex `json:"ciphertext,omitempty"`
	Alter            string         `json:"alter,omitempty"`
	AlteredSHA256    vectortest.Hex `json:"altered_sha256,omitempty"`
	OpenWith         string         `json:"open_with,omitempty"`
	Error            string         `json:"error,omitempty"`
	RangeError       string         `json:"range_error,omitempty"`
	SizeError        string         `json:"size_error,omitempty"`
}

// encryptSeeded makes a content file deterministically.
func encryptSeeded(t *testing.T, seed uint64, n int64, extra string) (*keys.Identity, []byte) {
	t.Helper()
	cryptotest.SetGlobalRandom(t, seed)
	id := keys.NewIdentity()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	if extra != "" {
		x, perr := keys.ParseIdentity([]byte(extra))
		if perr != nil {
			t.Fatal(perr)
		}
		w, err = age.Encrypt(&buf, id.Recipient().Age(), x.Recipient().Age())
	} else {
		w, err = document.Encrypt(&buf, id.Recipient())
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return id, buf.Bytes()
}

// alter applies a vector's alteration, a space-separated op and arguments:
//
//	truncate N         keep the first N bytes
//	swap-chunks I J    exchange payload chunks I and J (both full-length)
//	drop-chunk I       remove payload chunk I
//	replace OFF HEX    overwrite bytes at OFF
//	append HEX         add bytes at the end
func alter(t testing.TB, file []byte, op string) []byte {
	t.Helper()
	const payload, enc = 184, 64<<10 + 16
	f := strings.Fields(op)
	num := func(i int) int {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			t.Fatalf("alter %q: %v", op, err)
		}
		return n
	}
	hx := func(i int) []byte {
		b, err := hex.DecodeString(f[i])
		if err != nil {
			t.Fatalf("alter %q: %v", op, err)
		}
		return b
	}
	out := append([]byte(nil), file...)
	switch f[0] {
	case "truncate":
		return out[:num(1)]
	case "swap-chunks":
		i, j := payload+num(1)*enc, payload+num(2)*enc
		a := append([]byte(nil), out[i:i+enc]...)
		copy(out[i:i+enc], out[j:j+enc])
		copy(out[j:j+enc], a)
		return out
	case "drop-chunk":
		i := payload + num(1)*enc
		return append(out[:i:i], out[min(i+enc, len(out)):]...)
	case "replace":
		copy(out[num(1):], hx(2))
		return out
	case "append":
		return append(out, hx(1)...)
	}
	t.Fatalf("unknown alteration %q", op)
	return nil
}

type contentSpec struct {
	name, comment  string
	seed           uint64
	n              int64
	extra          bool
	alter          string
	otherKey       bool
	err, rng, size string
}

const (
	full  = 64 << 10
	three = 2*full + 1000
)

var contentSpecs = []contentSpec{
	{name: "empty", seed: 1, n: 0, comment: "an empty plaintext: header, nonce, and one empty final chunk (16-byte tag only)"},
	{name: "short", seed: 2, n: 100, comment: "a 100-byte plaintext: 168-byte header (one X25519 stanza), 16-byte nonce, one final chunk of 100+16 bytes"},
	{name: "one-full-chunk", seed: 3, n: full, comment: "exactly 64 KiB: a single full-length chunk that is also the final one"},
	{name: "three-chunks", seed: 4, n: three, comment: "two full chunks and a final chunk of 1000 bytes"},
	{name: "wrong-key", seed: 2, n: 100, otherKey: true, err: "wrong_key", rng: "wrong_key",
		comment: "the short file opened with another identity"},
	{name: "truncated-at-chunk-boundary", seed: 4, n: three, alter: fmt.Sprintf("truncate %d", 184+full+16),
		err: "truncated", rng: "corrupted", size: "truncated",
		comment: "three-chunks cut after its first chunk: the stream ends without a final chunk; DecryptRange, given the short size, finds no valid final chunk; CheckSize sees it is short"},
	{name: "truncated-mid-chunk", seed: 4, n: three, alter: fmt.Sprintf("truncate %d", 184+full+16+1000),
		err: "corrupted", rng: "corrupted", size: "truncated",
		comment: "three-chunks cut inside its second chunk: the short piece fails to authenticate as a final chunk, which age cannot tell from tampering; CheckSize against the metadata's size says truncated"},
	{name: "truncated-in-header", seed: 2, n: 100, alter: "truncate 100", err: "truncated", rng: "truncated", size: "truncated",
		comment: "the short file cut inside its header"},
	{name: "truncated-after-nonce", seed: 2, n: 100, alter: "truncate 184", err: "truncated", rng: "corrupted", size: "truncated",
		comment: "the short file with its header and nonce but no chunk: a payload of 0 bytes is not a valid size for DecryptRange"},
	{name: "swapped-chunks", seed: 4, n: three, alter: "swap-chunks 0 1", err: "corrupted", rng: "corrupted",
		comment: "three-chunks with its two full chunks exchanged: each chunk's nonce is its index, so both fail"},
	{name: "dropped-chunk", seed: 4, n: three, alter: "drop-chunk 1", err: "corrupted", rng: "corrupted", size: "truncated",
		comment: "three-chunks without its middle chunk"},
	{name: "altered-payload", seed: 2, n: 100, alter: "replace 194 ff", err: "corrupted", rng: "corrupted",
		comment: "the short file with payload byte 10 overwritten"},
	{name: "altered-header-mac", seed: 2, n: 100, alter: "replace 124 41414141", err: "corrupted", rng: "corrupted",
		comment: "the short file with the first four base64 characters of its header MAC overwritten with AAAA"},
	{name: "altered-stanza", seed: 2, n: 100, alter: "replace 76 41414141", err: "wrong_key", rng: "wrong_key",
		comment: "the short file with the start of the wrapped file key overwritten: the X25519 stanza no longer opens, which age reports as no matching identity"},
	{name: "trailing-data", seed: 2, n: 100, alter: "append 00", err: "corrupted", rng: "corrupted", size: "corrupted",
		comment: "the short file with one byte appended"},
	{name: "not-age", seed: 2, n: 100, alter: "replace 0 58", err: "malformed", rng: "malformed", size: "",
		comment: "the short file with its first byte changed: not an age file"},
	{name: "two-stanzas", seed: 5, n: 100, extra: true, err: "malformed", rng: "malformed", size: "corrupted",
		comment: "an age file to the document key and one more recipient: Vellum writes exactly one X25519 stanza, and refuses anything else"},
}

func buildContent(t *testing.T, s contentSpec) contentVector {
	t.Helper()
	var extra string
	if s.extra {
		extra = string(seededIdentity(t, 1000+s.seed).MarshalSecret())
	}
	id, file := encryptSeeded(t, s.seed, s.n, extra)
	v := contentVector{
		Comment: s.comment, Seed: s.seed, Identity: string(id.MarshalSecret()), ExtraRecipient: extra,
		PlaintextLength: s.n, CiphertextLength: int64(len(file)), CiphertextSHA256: sum(file),
		Alter: s.alter, Error: s.err, RangeError: s.rng, SizeError: s.size,
	}
	if len(file) <= 1024 {
		v.Ciphertext = file
	}
	if s.alter != "" {
		v.AlteredSHA256 = sum(alter(t, file, s.alter))
	}
	if s.otherKey {
		v.OpenWith = string(seededIdentity(t, 2000+s.seed).MarshalSecret())
	}
	return v
}

func seededIdentity(t *testing.T, seed uint64) *keys.Identity {
	t.Helper()
	cryptotest.SetGlobalRandom(t, seed)
	return keys.NewIdentity()
}

func TestVectorsContent(t *testing.T) {
	cases := vectortest.Load[contentVector](t, "document-content")
	specs := map[string]contentSpec{}
	for _, s := range contentSpecs {
		specs[s.name] = s
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			if s, ok := specs[c.Name]; ok {
				if got := buildContent(t, s); !reflect.DeepEqual(got, v) {
					t.Errorf("generator and stored vector differ:\n got %+v\nwant %+v", got, v)
				}
			} else {
				t.Errorf("stored vector has no generator")
			}
			id, file := encryptSeeded(t, v.Seed, v.PlaintextLength, v.ExtraRecipient)
			if string(id.MarshalSecret()) != v.Identity {
				t.Fatalf("seed %d gives identity %s", v.Seed, id.MarshalSecret())
			}
			if !bytes.Equal(sum(file), v.CiphertextSHA256) || int64(len(file)) != v.CiphertextLength {
				t.Fatalf("Encrypt with seed %d: file of %d bytes with SHA-256 %x, want %d bytes %x", v.Seed, len(file), sum(file), v.CiphertextLength, v.CiphertextSHA256)
			}
			if v.Ciphertext != nil && !bytes.Equal(file, v.Ciphertext) {
				t.Fatalf("Encrypt with seed %d = %x, want %x", v.Seed, file, v.Ciphertext)
			}
			if v.Alter != "" {
				file = alter(t, file, v.Alter)
				if !bytes.Equal(sum(file), v.AlteredSHA256) {
					t.Fatalf("altered file SHA-256 %x, want %x", sum(file), v.AlteredSHA256)
				}
			}
			if v.OpenWith != "" {
				var err error
				if id, err = keys.ParseIdentity([]byte(v.OpenWith)); err != nil {
					t.Fatal(err)
				}
			}
			want := pattern(v.PlaintextLength)

			r, err := document.Decrypt(bytes.NewReader(file), id)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			wantErr(t, "Decrypt", err, v.Error)
			if v.Error == "" && !bytes.Equal(got, want) {
				t.Errorf("Decrypt: wrong plaintext")
			}

			r, err = document.DecryptRange(bytes.NewReader(file), int64(len(file)), id, 0, v.PlaintextLength)
			got = nil
			if err == nil {
				got, err = io.ReadAll(r)
			}
			wantErr(t, "DecryptRange", err, v.RangeError)
			if v.RangeError == "" && !bytes.Equal(got, want) {
				t.Errorf("DecryptRange: wrong plaintext")
			}

			wantErr(t, "CheckSize", document.CheckSize(int64(len(file)), v.PlaintextLength), v.SizeError)
		})
	}
}

// metadataVector: ParseMetadata(CBOR) gives the fields (or fails with
// Error); Marshal of the fields gives CBOR; with crypto/rand seeded by Seed,
// Identity = keys.NewIdentity() and SealMetadata to it gives Sealed, which
// OpenMetadata opens to the same fields.
type metadataVector struct {
	Comment  string         `json:"comment"`
	Seed     uint64         `json:"seed,omitempty"`
	Identity string         `json:"identity,omitempty"`
	Name     string         `json:"name,omitempty"`
	Type     string         `json:"type,omitempty"`
	Size     int64          `json:"size,omitempty"`
	Created  int64          `json:"created,omitempty"`
	CBOR     vectortest.Hex `json:"cbor"`
	Sealed   vectortest.Hex `json:"sealed,omitempty"`
	Error    string         `json:"error,omitempty"`
}

type folderMetadataVector struct {
	Comment  string         `json:"comment"`
	Seed     uint64         `json:"seed,omitempty"`
	Identity string         `json:"identity,omitempty"`
	Name     string         `json:"name,omitempty"`
	CBOR     vectortest.Hex `json:"cbor"`
	Sealed   vectortest.Hex `json:"sealed,omitempty"`
	Error    string         `json:"error,omitempty"`
}

func (v metadataVector) metadata() *document.Metadata {
	return &document.Metadata{Name: v.Name, Type: v.Type, Size: v.Size, Created: time.Unix(v.Created, 0).UTC()}
}

func buildMetadata(t *testing.T, v metadataVector) metadataVector {
	t.Helper()
	b, err := v.metadata().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	v.CBOR = b
	cryptotest.SetGlobalRandom(t, v.Seed)
	id := keys.NewIdentity()
	v.Identity = string(id.MarshalSecret())
	if v.Sealed, err = document.SealMetadata(v.metadata(), id.Recipient()); err != nil {
		t.Fatal(err)
	}
	return v
}

// rawCBOR builds hand-made CBOR for the negative vectors from integer-keyed
// entries in the order given, which need not be canonical.
func rawCBOR(entries ...any) []byte {
	var b []byte
	b = append(b, 0xa0+byte(len(entries)/2))
	for _, e := range entries {
		switch e := e.(type) {
		case int:
			b = append(b, cborUint(uint64(e))...)
		case []byte: // pre-encoded
			b = append(b, e...)
		case string:
			b = append(b, cborHead(3, uint64(len(e)))...)
			b = append(b, e...)
		}
	}
	return b
}

func cborUint(n uint64) []byte { return cborHead(0, n) }

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	case n < 1<<16:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	case n < 1<<32:
		return []byte{major<<5 | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{major<<5 | 27, byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func metadataVectors(t *testing.T) map[string]metadataVector {
	const created = 1795219200 // 2026-11-21T00:00:00Z
	good := func(name string, seed uint64, comment, fname, typ string, size int64) metadataVector {
		return buildMetadata(t, metadataVector{Comment: comment, Seed: seed, Name: fname, Type: typ, Size: size, Created: created})
	}
	bad := func(comment, err string, entries ...any) metadataVector {
		return metadataVector{Comment: comment, CBOR: rawCBOR(entries...), Error: err}
	}
	return map[string]metadataVector{
		"contract": good("contract", 10, "CBOR map {1: version 1, 2: name, 3: MIME type, 4: plaintext size, 5: created (Unix seconds)}, sealed as an age file to the document key",
			"Contract 2026 — signed.pdf", "application/pdf", 1234567),
		"params": good("params", 11, "a MIME type with a parameter, in mime.FormatMediaType's canonical form", "notes.txt", "text/plain; charset=utf-8", 0),
		"unknown-field": bad("an extra key 6: refused (unknown fields are not ignored)", "malformed",
			1, 1, 2, "a", 3, "text/plain", 4, 0, 5, 0, 6, "x"),
		"version-2": bad("version 2: refused as a version this code does not know", "version",
			1, 2, 2, "a", 3, "text/plain", 4, 0, 5, 0),
		"version-2-new-field": bad("version 2 with a field version 1 does not have: still ErrVersion, not ErrMalformed", "version",
			1, 2, 2, "a", 3, "text/plain", 4, 0, 5, 0, 6, "x"),
		"unsorted-keys": bad("keys out of order: not the deterministic encoding", "malformed",
			2, "a", 1, 1, 3, "text/plain", 4, 0, 5, 0),
		"long-int": bad("version 1 written in two bytes (0x18 0x01): not the shortest form", "malformed",
			1, []byte{0x18, 0x01}, 2, "a", 3, "text/plain", 4, 0, 5, 0),
		"empty-name": bad("an empty name", "malformed",
			1, 1, 2, "", 3, "text/plain", 4, 0, 5, 0),
		"control-in-name": bad("a newline in the name", "malformed",
			1, 1, 2, "a\nb", 3, "text/plain", 4, 0, 5, 0),
		"long-name": bad("a name of 1025 bytes", "malformed",
			1, 1, 2, strings.Repeat("a", protocol.MaxNameLength+1), 3, "text/plain", 4, 0, 5, 0),
		"mime-case": bad("MIME type not lower case", "malformed",
			1, 1, 2, "a", 3, "Application/PDF", 4, 0, 5, 0),
		"negative-time": bad("creation time before 1970", "malformed",
			1, 1, 2, "a", 3, "text/plain", 4, 0, 5, []byte{0x20}),
		"size-overflow": bad("a size over 2^63-1", "malformed",
			1, 1, 2, "a", 3, "text/plain", 4, []byte{0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0}, 5, 0),
		"trailing-bytes": {Comment: "a valid record followed by one more byte", Error: "malformed",
			CBOR: append(rawCBOR(1, 1, 2, "a", 3, "text/plain", 4, 0, 5, 0), 0x00)},
	}
}

func TestVectorsMetadata(t *testing.T) {
	gen := metadataVectors(t)
	for _, c := range vectortest.Load[metadataVector](t, "document-metadata") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			m, err := document.ParseMetadata(v.CBOR)
			wantErr(t, "ParseMetadata", err, v.Error)
			if v.Error != "" {
				return
			}
			if !reflect.DeepEqual(m, v.metadata()) {
				t.Errorf("ParseMetadata = %+v, want %+v", m, v.metadata())
			}
			if b, err := m.Marshal(); err != nil || !bytes.Equal(b, v.CBOR) {
				t.Errorf("Marshal = %x, %v; want %x", b, err, v.CBOR)
			}
			id, err := keys.ParseIdentity([]byte(v.Identity))
			if err != nil {
				t.Fatal(err)
			}
			got, err := document.OpenMetadata(v.Sealed, id)
			if err != nil || !reflect.DeepEqual(got, v.metadata()) {
				t.Errorf("OpenMetadata = %+v, %v", got, err)
			}
			if _, err := document.OpenMetadata(v.Sealed, keys.NewIdentity()); !errors.Is(err, document.ErrWrongKey) {
				t.Errorf("OpenMetadata with another key: %v", err)
			}
		})
	}
}

func folderVectors(t *testing.T) map[string]folderMetadataVector {
	build := func(v folderMetadataVector) folderMetadataVector {
		m := &document.FolderMetadata{Name: v.Name}
		var err error
		if v.CBOR, err = m.Marshal(); err != nil {
			t.Fatal(err)
		}
		cryptotest.SetGlobalRandom(t, v.Seed)
		id := keys.NewIdentity()
		v.Identity = string(id.MarshalSecret())
		if v.Sealed, err = document.SealFolderMetadata(m, id.Recipient()); err != nil {
			t.Fatal(err)
		}
		return v
	}
	return map[string]folderMetadataVector{
		"legal":         build(folderMetadataVector{Comment: "CBOR map {1: version 1, 2: folder name}, sealed as an age file to the folder key", Seed: 20, Name: "Legal / Verträge"}),
		"unknown-field": {Comment: "an extra key 3", CBOR: rawCBOR(1, 1, 2, "a", 3, "x"), Error: "malformed"},
		"version-0":     {Comment: "version 0", CBOR: rawCBOR(1, 0, 2, "a"), Error: "version"},
		"no-name":       {Comment: "the name is missing, so it decodes as empty", CBOR: rawCBOR(1, 1), Error: "malformed"},
	}
}

func TestVectorsFolderMetadata(t *testing.T) {
	gen := folderVectors(t)
	for _, c := range vectortest.Load[folderMetadataVector](t, "document-folder-metadata") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			m, err := document.ParseFolderMetadata(v.CBOR)
			wantErr(t, "ParseFolderMetadata", err, v.Error)
			if v.Error != "" {
				return
			}
			if m.Name != v.Name {
				t.Errorf("name %q, want %q", m.Name, v.Name)
			}
			id, err := keys.ParseIdentity([]byte(v.Identity))
			if err != nil {
				t.Fatal(err)
			}
			got, err := document.OpenFolderMetadata(v.Sealed, id)
			if err != nil || got.Name != v.Name {
				t.Errorf("OpenFolderMetadata = %+v, %v", got, err)
			}
		})
	}
}

// keyWrapVector: with crypto/rand seeded by Seed, Folder = NewKey(), Document
// = NewKey(), and WrapKey(Document, Folder's recipient) = Wrapped.
// UnwrapKey(Wrapped, OpenWith or Folder) gives Document or fails with Error.
type keyWrapVector struct {
	Comment  string         `json:"comment"`
	Seed     uint64         `json:"seed"`
	Folder   string         `json:"folder"`
	Document string         `json:"document"`
	Wrapped  vectortest.Hex `json:"wrapped"`
	OpenWith string         `json:"open_with,omitempty"`
	Error    string         `json:"error,omitempty"`
}

func keyWrapVectors(t *testing.T) map[string]keyWrapVector {
	cryptotest.SetGlobalRandom(t, 30)
	folder, doc := document.NewKey(), document.NewKey()
	w, err := document.WrapKey(doc, folder.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	v := keyWrapVector{
		Comment: "an age file to the folder key's recipient whose payload is the document key's AGE-SECRET-KEY-1 line",
		Seed:    30, Folder: string(folder.MarshalSecret()), Document: string(doc.MarshalSecret()), Wrapped: w,
	}
	wrong := v
	wrong.Comment = "the same wrap opened with another folder key (the first identity drawn with seed 31)"
	wrong.OpenWith = string(seededIdentity(t, 31).MarshalSecret())
	wrong.Error = "wrong_key"
	return map[string]keyWrapVector{"to-folder": v, "wrong-folder": wrong}
}

func TestVectorsKeyWrap(t *testing.T) {
	gen := keyWrapVectors(t)
	for _, c := range vectortest.Load[keyWrapVector](t, "document-key-wrap") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			open := v.Folder
			if v.OpenWith != "" {
				open = v.OpenWith
			}
			folder, err := keys.ParseIdentity([]byte(open))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := document.UnwrapKey(v.Wrapped, folder)
			wantErr(t, "UnwrapKey", err, v.Error)
			if v.Error == "" && string(doc.MarshalSecret()) != v.Document {
				t.Errorf("unwrapped the wrong key")
			}
		})
	}
}

// TestUpdateVectors rewrites this package's vector files from the generators
// with `go test ./keys/document -run UpdateVectors -update`.
func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	for _, s := range contentSpecs {
		vectortest.Write(t, "document-content", s.name, buildContent(t, s))
	}
	for name, v := range metadataVectors(t) {
		vectortest.Write(t, "document-metadata", name, v)
	}
	for name, v := range folderVectors(t) {
		vectortest.Write(t, "document-folder-metadata", name, v)
	}
	for name, v := range keyWrapVectors(t) {
		vectortest.Write(t, "document-key-wrap", name, v)
	}
}
