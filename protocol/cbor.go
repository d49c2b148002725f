package protocol

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// ErrNonCanonical is returned when CBOR input decodes but is not in the one
// deterministic encoding Vellum signs: a signature is over bytes, so two
// encodings of one statement must not both be accepted.
var ErrNonCanonical = errors.New("protocol: CBOR is not in canonical form")

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
)

func init() {
	var err error
	// Core deterministic encoding (RFC 8949 §4.2.1): shortest forms, sorted
	// map keys, no indefinite lengths.
	encOpts := cbor.CoreDetEncOptions()
	encOpts.Time = cbor.TimeUnix
	cborEnc, err = encOpts.EncMode()
	if err != nil {
		panic(err)
	}
	cborDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   MaxCBORNesting,
		MaxArrayElements:  MaxCBORArray,
		MaxMapPairs:       MaxCBORMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// MarshalCBOR encodes v in core deterministic CBOR. Statement types use
// integer map keys (`cbor:"1,keyasint"`) so that the encoding is compact and
// field names can change without changing bytes.
func MarshalCBOR(v any) ([]byte, error) { return MarshalCBORMax(v, MaxStatement) }

// MarshalCBORMax is MarshalCBOR for formats with a limit other than
// MaxStatement, such as a seal (MaxSeal); the limit comes from limits.go.
func MarshalCBORMax(v any, max int) ([]byte, error) {
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("protocol: encoding CBOR: %w", err)
	}
	if len(b) > max {
		return nil, fmt.Errorf("protocol: statement of %d bytes: %w", len(b), ErrTooLarge)
	}
	return b, nil
}

// UnmarshalCBOR decodes data into v, refusing input over MaxStatement, unknown
// fields, duplicate keys, indefinite lengths, tags, trailing bytes, and any
// encoding other than the canonical one (checked by re-encoding).
func UnmarshalCBOR(data []byte, v any) error { return UnmarshalCBORMax(data, v, MaxStatement) }

// UnmarshalCBORMax is UnmarshalCBOR for formats with a limit other than
// MaxStatement; the limit comes from limits.go.
func UnmarshalCBORMax(data []byte, v any, max int) error {
	if len(data) > max {
		return fmt.Errorf("protocol: statement of %d bytes: %w", len(data), ErrTooLarge)
	}
	if err := cborDec.Unmarshal(data, v); err != nil {
		return fmt.Errorf("protocol: decoding CBOR: %w", err)
	}
	again, err := cborEnc.Marshal(v)
	if err != nil {
		return fmt.Errorf("protocol: re-encoding CBOR: %w", err)
	}
	if !bytes.Equal(again, data) {
		return ErrNonCanonical
	}
	return nil
}
