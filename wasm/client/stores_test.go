package client

import (
	"context"
	"errors"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/membership"
)

func TestMemoryStores(t *testing.T) {
	ctx := context.Background()
	ds := NewMemoryDeviceStore()
	if _, err := ds.LoadDevice(ctx, "a@example.com"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("empty store: %v", err)
	}
	id := keys.NewIdentity()
	if err := ds.SaveDevice(ctx, " A@Example.com", &Device{ID: "dev1", Identity: id}); err != nil {
		t.Fatal(err)
	}
	d, err := ds.LoadDevice(ctx, "a@example.com")
	if err != nil || d.ID != "dev1" || !d.Identity.Equal(id) {
		t.Fatalf("%+v %v", d, err)
	}
	if err := ds.DeleteDevice(ctx, "A@EXAMPLE.COM"); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.LoadDevice(ctx, "a@example.com"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("deleted: %v", err)
	}

	ps := NewMemoryPinStore()
	if _, err := ps.LoadPin(ctx, testTenant); !errors.Is(err, ErrNotPinned) {
		t.Errorf("empty store: %v", err)
	}
	pin := membership.Pin{TenantID: testTenant, Genesis: [32]byte{1}}
	if err := ps.SavePin(ctx, pin); err != nil {
		t.Fatal(err)
	}
	if err := ps.SavePin(ctx, pin); err != nil {
		t.Errorf("saving the same pin again: %v", err)
	}
	if err := ps.SavePin(ctx, membership.Pin{TenantID: testTenant, Genesis: [32]byte{2}}); !errors.Is(err, membership.ErrPinMismatch) {
		t.Errorf("replacing a pin: %v", err)
	}
	if got, err := ps.LoadPin(ctx, testTenant); err != nil || got != pin {
		t.Errorf("%+v %v", got, err)
	}
}
