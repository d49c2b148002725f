package client

import (
	"context"
	"strings"
	"sync"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/membership"
)

// Device is this browser's (or CLI's) trusted-device identity for one
// account: the age identity the account key is wrapped to, and the id the
// server gave the device.
type Device struct {
	ID       string
	Identity *keys.Identity
}

// DeviceStore keeps trusted-device identities, one per account, found by
// the account's e-mail address (the login has no account id before it
// succeeds). Addresses are given lower-cased. The browser implements it on
// IndexedDB.
//
// An implementation MUST keep the identity where only this client can read
// it, MUST return ErrNoDevice (possibly wrapped) when it holds none for the
// address, and MUST NOT log identities.
type DeviceStore interface {
	LoadDevice(ctx context.Context, email string) (*Device, error)
	SaveDevice(ctx context.Context, email string, d *Device) error
	DeleteDevice(ctx context.Context, email string) error
}

// PinStore keeps tenant pins: the genesis hash a tenant's membership chain
// was first seen with (membership.Pin). A pin, once saved, MUST NOT be
// replaced by SavePin for the same tenant unless the user chose to (a
// changed genesis is the attack pinning exists to catch).
//
// LoadPin MUST return ErrNotPinned (possibly wrapped) for an unknown tenant.
type PinStore interface {
	LoadPin(ctx context.Context, tenantID string) (membership.Pin, error)
	SavePin(ctx context.Context, pin membership.Pin) error
}

// MemoryDeviceStore is a DeviceStore in memory.
type MemoryDeviceStore struct {
	mu sync.Mutex
	m  map[string]*Device
}

// NewMemoryDeviceStore returns an empty MemoryDeviceStore.
func NewMemoryDeviceStore() *MemoryDeviceStore {
	return &MemoryDeviceStore{m: make(map[string]*Device)}
}

func (s *MemoryDeviceStore) LoadDevice(_ context.Context, email string) (*Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[normEmail(email)]
	if !ok {
		return nil, ErrNoDevice
	}
	return &Device{ID: d.ID, Identity: d.Identity}, nil
}

func (s *MemoryDeviceStore) SaveDevice(_ context.Context, email string, d *Device) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[normEmail(email)] = &Device{ID: d.ID, Identity: d.Identity}
	return nil
}

func (s *MemoryDeviceStore) DeleteDevice(_ context.Context, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, normEmail(email))
	return nil
}

// MemoryPinStore is a PinStore in memory. SavePin refuses to replace a pin
// with a different one (ErrPinMismatch).
type MemoryPinStore struct {
	mu sync.Mutex
	m  map[string]membership.Pin
}

// NewMemoryPinStore returns an empty MemoryPinStore.
func NewMemoryPinStore() *MemoryPinStore {
	return &MemoryPinStore{m: make(map[string]membership.Pin)}
}

func (s *MemoryPinStore) LoadPin(_ context.Context, tenantID string) (membership.Pin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[tenantID]
	if !ok {
		return membership.Pin{}, ErrNotPinned
	}
	return p, nil
}

func (s *MemoryPinStore) SavePin(_ context.Context, pin membership.Pin) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[pin.TenantID]; ok && old != pin {
		return membership.ErrPinMismatch
	}
	s.m[pin.TenantID] = pin
	return nil
}

// normEmail is how device stores are keyed: the address trimmed and
// lower-cased, as the server compares addresses.
func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }
