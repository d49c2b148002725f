package seal

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/protocol"
)

// A seal of protocol.MaxSigners signers with names and addresses at their
// limits is larger than protocol.MaxStatement, the bound of
// protocol.UnmarshalCBOR. Statements go through protocol.MarshalCBOR and
// protocol.UnmarshalCBOR; the seal and the .seal file go through this codec,
// which is the same profile (RFC 8949 core deterministic encoding; decoding
// refuses duplicate keys, indefinite lengths, tags, unknown fields, invalid
// UTF-8, trailing bytes and any non-canonical encoding) bounded by
// protocol.MaxSeal instead. It should move into protocol as a variant of
// UnmarshalCBOR with a caller-given limit.
var (
	sealEnc cbor.EncMode
	sealDec cbor.DecMode
)

func init() {
	var err error
	if sealEnc, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	sealDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   protocol.MaxCBORNesting,
		MaxArrayElements:  protocol.MaxCBORArray,
		MaxMapPairs:       protocol.MaxCBORMapPairs,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func marshalSealCBOR(v any) ([]byte, error) {
	b, err := sealEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("seal: encoding CBOR: %w", err)
	}
	if len(b) > protocol.MaxSeal {
		return nil, fmt.Errorf("seal: %d bytes, over %d: %w", len(b), protocol.MaxSeal, ErrTooLarge)
	}
	return b, nil
}

func unmarshalSealCBOR(data []byte, v any) error {
	if len(data) > protocol.MaxSeal {
		return fmt.Errorf("seal: %d bytes, over %d: %w", len(data), protocol.MaxSeal, ErrTooLarge)
	}
	if err := sealDec.Unmarshal(data, v); err != nil {
		return malformed("decoding CBOR: %v", err)
	}
	again, err := sealEnc.Marshal(v)
	if err != nil || !bytes.Equal(again, data) {
		return fmt.Errorf("%w: %w", ErrMalformed, protocol.ErrNonCanonical)
	}
	return nil
}

// unmarshalStatementCBOR decodes a statement with the shared decoder and
// maps its errors onto this package's.
func unmarshalStatementCBOR(data []byte, v any) error {
	err := protocol.UnmarshalCBOR(data, v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, protocol.ErrTooLarge):
		return fmt.Errorf("seal: statement of %d bytes: %w", len(data), ErrTooLarge)
	case errors.Is(err, protocol.ErrNonCanonical):
		return fmt.Errorf("%w: statement: %w", ErrMalformed, err)
	}
	return malformed("statement: %v", err)
}
