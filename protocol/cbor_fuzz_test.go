package protocol_test

import (
	"bytes"
	"errors"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
)

type cborVector struct {
	Comment    string         `json:"comment"`
	Signed     vectortest.Hex `json:"signed"`
	Body       vectortest.Hex `json:"body,omitempty"`
	Diagnostic string         `json:"diagnostic,omitempty"`
	Signature  vectortest.Hex `json:"signature,omitempty"`
	Hash       vectortest.Hex `json:"hash,omitempty"`
	VerifyKey  string         `json:"verify_key,omitempty"`
	Kind       string         `json:"kind,omitempty"`
	Seq        uint64         `json:"seq,omitempty"`
	Signer     string         `json:"signer,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// cborTarget is a statement-shaped struct: integer keys, each CBOR major
// type the statements use.
type cborTarget struct {
	A uint64       `cbor:"1,keyasint"`
	B []byte       `cbor:"2,keyasint,omitempty"`
	C string       `cbor:"3,keyasint,omitempty"`
	D int64        `cbor:"4,keyasint,omitempty"`
	E []cborTarget `cbor:"5,keyasint,omitempty"`
	F bool         `cbor:"6,keyasint,omitempty"`
}

// FuzzUnmarshalCBOR: UnmarshalCBOR never panics, and whatever it accepts
// (into a generic value or a statement-shaped struct) MarshalCBOR encodes
// to exactly the input: only canonical encodings are accepted.
func FuzzUnmarshalCBOR(f *testing.F) {
	for _, c := range vectortest.Load[cborVector](f, "membership-statement") {
		f.Add([]byte(c.V.Signed))
		if len(c.V.Body) > 0 {
			f.Add([]byte(c.V.Body))
		}
	}
	f.Add([]byte{0xa2, 0x01, 0x01, 0x05, 0x81, 0xa1, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		var generic any
		if err := protocol.UnmarshalCBOR(data, &generic); err == nil {
			again, err := protocol.MarshalCBOR(generic)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("accepted %x as any; re-encodes to %x (%v)", data, again, err)
			}
		} else if len(data) > protocol.MaxStatement && !errors.Is(err, protocol.ErrTooLarge) {
			t.Fatalf("oversize input refused with %v", err)
		}
		var typed cborTarget
		if err := protocol.UnmarshalCBOR(data, &typed); err == nil {
			again, err := protocol.MarshalCBOR(&typed)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("accepted %x as a struct; re-encodes to %x (%v)", data, again, err)
			}
		}
	})
}

func TestUnmarshalCBORRefuses(t *testing.T) {
	for _, in := range [][]byte{
		{0xa2, 0x02, 0x00, 0x01, 0x00},       // keys out of order
		{0xa1, 0x18, 0x01, 0x00},             // non-minimal key
		{0xbf, 0x01, 0x00, 0xff},             // indefinite-length map
		{0xa2, 0x01, 0x00, 0x01, 0x00},       // duplicate key
		{0xc1, 0x1a, 0x00, 0x00, 0x00, 0x00}, // a tag
		{0xa1, 0x01, 0x00, 0x00},             // trailing byte
		{0x63, 0xff, 0xfe, 0xfd},             // invalid UTF-8 text
	} {
		var v any
		if err := protocol.UnmarshalCBOR(in, &v); err == nil {
			t.Errorf("%x accepted", in)
		}
	}
	if err := protocol.UnmarshalCBOR(make([]byte, protocol.MaxStatement+1), new(any)); !errors.Is(err, protocol.ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
}
