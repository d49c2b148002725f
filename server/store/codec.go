package store

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// maxRecord bounds every record the store decodes. Records hold wrapped keys,
// signed statements and encrypted metadata, each bounded far below this by
// protocol/limits.go; ciphertext chunks are not records.
const maxRecord = 1 << 20

var (
	recEnc cbor.EncMode
	recDec cbor.DecMode
)

func init() {
	// Records use the same deterministic CBOR as signed statements (sorted
	// integer keys, shortest forms), with times as RFC 3339 text in UTC with
	// nanoseconds, so a time read back is the time written.
	eo := cbor.CoreDetEncOptions()
	eo.Time = cbor.TimeRFC3339NanoUTC
	var err error
	if recEnc, err = eo.EncMode(); err != nil {
		panic(err)
	}
	recDec, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   8,
		MaxArrayElements:  4096,
		MaxMapPairs:       64,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

func encode(v any) ([]byte, error) {
	b, err := recEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: encoding record: %w", err)
	}
	if len(b) > maxRecord {
		return nil, fmt.Errorf("store: record of %d bytes: %w", len(b), ErrInvalid)
	}
	return b, nil
}

func decode(b []byte, v any) error {
	if len(b) > maxRecord {
		return fmt.Errorf("store: record of %d bytes: %w", len(b), ErrCorrupt)
	}
	if err := recDec.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store: %w: %v", ErrCorrupt, err)
	}
	return nil
}
