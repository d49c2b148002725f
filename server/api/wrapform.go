package api

import (
	"bytes"
	"errors"
	"sync"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
)

// The server cannot open a key wrap, and an X25519 stanza does not name its
// recipient, so it cannot tell to whom a wrap is. What it can check, and
// does before storing one, is the wrap's form: exactly what
// keys.WrapIdentity writes to one recipient. Anything else (another
// recipient type, several stanzas, a header that does not parse or is not
// canonical, a payload of another size) is refused as bad_encoding.

var (
	errWrapForm     = protocol.Errorf(protocol.CodeBadEncoding, "a key wrap is not an age file of one identity to one X25519 recipient")
	errMetadataForm = protocol.Errorf(protocol.CodeBadEncoding, "the metadata is not an age file to one X25519 recipient")
)

// wrappedIdentityPayload is the size of what follows the header in a wrap
// made by keys.WrapIdentity: age's 16-byte nonce and one final chunk
// holding an identity's AGE-SECRET-KEY-1 line and its 16-byte tag. It is
// measured from a real wrap rather than restated, so it follows the code
// clients run.
var wrappedIdentityPayload = sync.OnceValue(func() int {
	id := keys.NewIdentity()
	w, err := document.WrapKey(id, id.Recipient())
	if err != nil {
		panic("api: making a sample wrap: " + err.Error())
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(w))
	if err != nil {
		panic("api: reading a sample wrap: " + err.Error())
	}
	return len(w) - len(hdr)
})

// stanzaCounter is an age.Identity that opens nothing: it records the
// stanzas of a header it is shown.
type stanzaCounter struct{ stanzas []*age.Stanza }

func (s *stanzaCounter) Unwrap(st []*age.Stanza) ([]byte, error) {
	s.stanzas = st
	return nil, age.ErrIncorrectIdentity
}

// oneX25519Stanza reports whether b starts with a canonical age header of
// exactly one X25519 recipient stanza, and returns the header's length.
func oneX25519Stanza(b []byte) (int, bool) {
	hdr, err := age.ExtractHeader(bytes.NewReader(b))
	if err != nil || !bytes.HasPrefix(b, hdr) {
		return 0, false
	}
	var sc stanzaCounter
	_, err = age.DecryptHeader(hdr, &sc)
	var noMatch *age.NoIdentityMatchError
	if !errors.As(err, &noMatch) || len(sc.stanzas) != 1 {
		return 0, false
	}
	st := sc.stanzas[0]
	// An X25519 stanza: one argument, the 32-byte ephemeral share in
	// unpadded base64 (43 characters), and a 32-byte body (the wrapped file
	// key and its tag).
	if st.Type != "X25519" || len(st.Args) != 1 || len(st.Args[0]) != 43 || len(st.Body) != 32 {
		return 0, false
	}
	return len(hdr), true
}

// checkKeyWrap checks the form of a document key wrapped to a folder key.
func checkKeyWrap(b []byte) error {
	if len(b) == 0 || len(b) > protocol.MaxWrappedKey {
		return errWrapForm
	}
	n, ok := oneX25519Stanza(b)
	if !ok || len(b)-n != wrappedIdentityPayload() {
		return errWrapForm
	}
	return nil
}

// checkMetadataForm checks that encrypted metadata is an age file to one
// X25519 recipient (the document key), with at least a nonce and one
// chunk's tag after the header.
func checkMetadataForm(b []byte) error {
	if len(b) == 0 || len(b) > protocol.MaxMetadata {
		return errMetadataForm
	}
	n, ok := oneX25519Stanza(b)
	if !ok || len(b)-n < 16+16 {
		return errMetadataForm
	}
	return nil
}
