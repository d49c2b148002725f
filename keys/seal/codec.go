package seal

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/protocol"
)

// A seal of protocol.MaxSigners signers with names and addresses at their
// limits is larger than protocol.MaxStatement, so the seal and the .seal file
// use the shared codec bounded by protocol.MaxSeal instead.

func marshalSealCBOR(v any) ([]byte, error) {
	b, err := protocol.MarshalCBORMax(v, protocol.MaxSeal)
	if errors.Is(err, protocol.ErrTooLarge) {
		return nil, fmt.Errorf("seal: over %d bytes: %w", protocol.MaxSeal, ErrTooLarge)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return b, nil
}

func unmarshalSealCBOR(data []byte, v any) error {
	err := protocol.UnmarshalCBORMax(data, v, protocol.MaxSeal)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, protocol.ErrTooLarge):
		return fmt.Errorf("seal: %d bytes, over %d: %w", len(data), protocol.MaxSeal, ErrTooLarge)
	case errors.Is(err, protocol.ErrNonCanonical):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return malformed("decoding CBOR: %v", err)
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
