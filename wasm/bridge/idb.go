//go:build js && wasm

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/wasm/client"
)

// The worker keeps what must outlive a page load in the browser's IndexedDB
// (database "vellum", version 1), through syscall/js:
//
//   - object store "devices": this browser's trusted-device identity per
//     account, keyed by the lower-cased e-mail address, as
//     {id: <the server's device id>, identity: "AGE-SECRET-KEY-1..."}
//     (client.DeviceStore). The account key is wrapped to this identity, so
//     whoever can run script in this origin on this browser can unlock the
//     account once the server lets it log in: that is what a trusted device
//     is (DESIGN.md §2). The identity never leaves the worker otherwise.
//   - object store "pins": the genesis hash each tenant's membership chain
//     was first seen with, keyed by tenant id, as {genesis: <64 hex>}
//     (client.PinStore). A pin is never replaced by a different one.
//
// IndexedDB is same-origin storage; the page and the worker share it.

const (
	idbName      = "vellum"
	idbVersion   = 1
	storeDevices = "devices"
	storePins    = "pins"
)

// ErrStorage is the cause of a CodeStorage error: IndexedDB is missing
// (some private modes) or failed.
var ErrStorage = errors.New("bridge: browser storage (IndexedDB) failed")

// idbStore is a client.DeviceStore and client.PinStore on IndexedDB.
type idbStore struct {
	factory js.Value // globalThis.indexedDB
	db      js.Value // the open database, once opened
	opening chan struct{}
	openErr error
}

var (
	_ client.DeviceStore = (*idbStore)(nil)
	_ client.PinStore    = (*idbStore)(nil)
)

func newIDBStore() *idbStore {
	return &idbStore{factory: js.Global().Get("indexedDB")}
}

func storageError(what string, err error) error {
	return &Error{Code: CodeStorage, Msg: "browser storage: " + what + ": " + err.Error(), Err: ErrStorage}
}

// domError describes a DOMException of IndexedDB (name and message only).
type domError struct{ name, msg string }

func (e *domError) Error() string { return e.name + ": " + truncate(e.msg, 200) }

func domErrorOf(v js.Value) error {
	if v.Type() != js.TypeObject {
		return &domError{name: "Error", msg: "unknown failure"}
	}
	return &domError{name: v.Get("name").String(), msg: v.Get("message").String()}
}

// wait blocks until the request or transaction target fires one of the
// events: ok (nil), or a failure (its error).
func wait(target js.Value, ok string, failures ...string) error {
	ch := make(chan error, 1)
	var fns []js.Func
	on := func(event string, fn func() error) {
		f := js.FuncOf(func(js.Value, []js.Value) any {
			select {
			case ch <- fn():
			default:
			}
			return nil
		})
		fns = append(fns, f)
		target.Set("on"+event, f)
	}
	on(ok, func() error { return nil })
	for _, ev := range failures {
		on(ev, func() error {
			if e := target.Get("error"); e.Truthy() {
				return domErrorOf(e)
			}
			return &domError{name: "AbortError", msg: "the transaction was aborted"}
		})
	}
	err := <-ch
	for _, f := range fns {
		f.Release()
	}
	return err
}

// open opens the database once, creating its stores on first use.
func (s *idbStore) open() (js.Value, error) {
	if s.opening != nil {
		<-s.opening
		return s.db, s.openErr
	}
	s.opening = make(chan struct{})
	defer close(s.opening)
	if !s.factory.Truthy() {
		s.openErr = storageError("open", errors.New("IndexedDB is not available in this browser"))
		return js.Undefined(), s.openErr
	}
	req := s.factory.Call("open", idbName, idbVersion)
	upgrade := js.FuncOf(func(js.Value, []js.Value) any {
		db := req.Get("result")
		names := db.Get("objectStoreNames")
		for _, name := range []string{storeDevices, storePins} {
			if !names.Call("contains", name).Bool() {
				db.Call("createObjectStore", name)
			}
		}
		return nil
	})
	req.Set("onupgradeneeded", upgrade)
	err := wait(req, "success", "error", "blocked")
	upgrade.Release()
	if err != nil {
		s.openErr = storageError("open", err)
		return js.Undefined(), s.openErr
	}
	s.db = req.Get("result")
	return s.db, nil
}

// get reads one record, or undefined.
func (s *idbStore) get(store, key string) (js.Value, error) {
	db, err := s.open()
	if err != nil {
		return js.Undefined(), err
	}
	req := db.Call("transaction", store, "readonly").Call("objectStore", store).Call("get", key)
	if err := wait(req, "success", "error"); err != nil {
		return js.Undefined(), storageError("read", err)
	}
	return req.Get("result"), nil
}

// put writes one record and waits until its transaction is committed.
func (s *idbStore) put(store, key string, value js.Value) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	tx := db.Call("transaction", store, "readwrite")
	if value.IsUndefined() {
		tx.Call("objectStore", store).Call("delete", key)
	} else {
		tx.Call("objectStore", store).Call("put", value, key)
	}
	if err := wait(tx, "complete", "error", "abort"); err != nil {
		return storageError("write", err)
	}
	return nil
}

func deviceKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// LoadDevice implements client.DeviceStore.
func (s *idbStore) LoadDevice(_ context.Context, email string) (*client.Device, error) {
	v, err := s.get(storeDevices, deviceKey(email))
	if err != nil {
		return nil, err
	}
	if v.Type() != js.TypeObject || v.Get("id").Type() != js.TypeString || v.Get("identity").Type() != js.TypeString {
		return nil, client.ErrNoDevice
	}
	id, err := keys.ParseIdentity([]byte(v.Get("identity").String()))
	if err != nil {
		// A damaged record is no device: the login then asks for a code
		// and stores a new one.
		return nil, fmt.Errorf("%w: the stored identity does not parse", client.ErrNoDevice)
	}
	return &client.Device{ID: v.Get("id").String(), Identity: id}, nil
}

// SaveDevice implements client.DeviceStore.
func (s *idbStore) SaveDevice(_ context.Context, email string, d *client.Device) error {
	rec := jsObject.New()
	rec.Set("id", d.ID)
	rec.Set("identity", string(d.Identity.MarshalSecret()))
	return s.put(storeDevices, deviceKey(email), rec)
}

// DeleteDevice implements client.DeviceStore.
func (s *idbStore) DeleteDevice(_ context.Context, email string) error {
	return s.put(storeDevices, deviceKey(email), js.Undefined())
}

// LoadPin implements client.PinStore.
func (s *idbStore) LoadPin(_ context.Context, tenantID string) (membership.Pin, error) {
	v, err := s.get(storePins, tenantID)
	if err != nil {
		return membership.Pin{}, err
	}
	if v.Type() != js.TypeObject || v.Get("genesis").Type() != js.TypeString {
		return membership.Pin{}, client.ErrNotPinned
	}
	pin := membership.Pin{TenantID: tenantID}
	if b, err := hex.DecodeString(v.Get("genesis").String()); err != nil || len(b) != len(pin.Genesis) {
		// Not ErrNotPinned: that would let the next look pin whatever the
		// server shows.
		return membership.Pin{}, storageError("read", errors.New("a stored tenant pin is damaged"))
	} else {
		copy(pin.Genesis[:], b)
	}
	return pin, nil
}

// SavePin implements client.PinStore. The check for a different pin and
// the write are one transaction, so two tabs cannot both pin a tenant
// differently.
func (s *idbStore) SavePin(_ context.Context, pin membership.Pin) error {
	db, err := s.open()
	if err != nil {
		return err
	}
	want := hex.EncodeToString(pin.Genesis[:])
	tx := db.Call("transaction", storePins, "readwrite")
	st := tx.Call("objectStore", storePins)
	req := st.Call("get", pin.TenantID)
	mismatch := false
	// The write must be issued from the read's success handler, while the
	// transaction is active: waiting on a Go channel in between would let
	// it commit.
	onGet := js.FuncOf(func(js.Value, []js.Value) any {
		old := req.Get("result")
		switch {
		case old.Type() == js.TypeObject && old.Get("genesis").Type() == js.TypeString && old.Get("genesis").String() == want:
		case old.IsUndefined():
			rec := jsObject.New()
			rec.Set("genesis", want)
			st.Call("put", rec, pin.TenantID)
		default:
			mismatch = true
		}
		return nil
	})
	req.Set("onsuccess", onGet)
	err = wait(tx, "complete", "error", "abort")
	onGet.Release()
	if err != nil {
		return storageError("write", err)
	}
	if mismatch {
		return membership.ErrPinMismatch
	}
	return nil
}
