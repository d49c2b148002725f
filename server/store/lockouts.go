package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"vellum.dev/vellum/protocol"
)

// lockout is the record of a failure counter that must survive a restart:
// wrong PINs of a signing link, wrong device codes.
type lockout struct {
	Failures    uint32    `cbor:"1,keyasint"`
	LockedUntil time.Time `cbor:"2,keyasint"`
}

// The three methods below make *Store a ratelimit.LockoutStore. Keys are
// chosen by the caller ("link/<signer>", "device-code/<account>"); each
// change is one synced write.

func checkLockoutKey(k string) error {
	if k == "" || len(k) > protocol.MaxLockoutKey {
		return fmt.Errorf("store: lock-out key of %d bytes: %w", len(k), ErrInvalid)
	}
	return nil
}

// LoadLockout returns a counter's failures and lock time; zero values if
// there is none.
func (s *Store) LoadLockout(k string) (uint32, time.Time, error) {
	if err := checkLockoutKey(k); err != nil {
		return 0, time.Time{}, err
	}
	var l lockout
	err := s.getRecord(lockoutKey(k), &l)
	if errors.Is(err, ErrNotFound) {
		return 0, time.Time{}, nil
	}
	return l.Failures, l.LockedUntil, err
}

// SaveLockout stores a counter, synced.
func (s *Store) SaveLockout(k string, failures uint32, lockedUntil time.Time) error {
	if err := checkLockoutKey(k); err != nil {
		return err
	}
	b, err := encode(&lockout{Failures: failures, LockedUntil: lockedUntil.UTC()})
	if err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.db.Set(lockoutKey(k), b, pebble.Sync); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// DeleteLockout removes a counter, synced.
func (s *Store) DeleteLockout(k string) error {
	if err := checkLockoutKey(k); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.db.Delete(lockoutKey(k), pebble.Sync); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
