package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"vellum.dev/vellum/protocol"
)

// Account is a user. The server holds only what DESIGN.md §2 lets it hold:
// the OPAQUE record (useless without the OPRF seed kept outside Pebble), the
// keyring sealed under the account key, and the signed public keyring.
type Account struct {
	ID      ID        `cbor:"1,keyasint"`
	Email   string    `cbor:"2,keyasint"` // normalized with NormalizeEmail
	Created time.Time `cbor:"3,keyasint"`
	// OpaqueRecord is the OPAQUE registration record (RFC 9807).
	OpaqueRecord []byte `cbor:"4,keyasint"`
	// Keyring is the user's keyring sealed under the account key.
	Keyring []byte `cbor:"5,keyasint"`
	// PublicKeyring is the signed statement of the keyring's public halves.
	PublicKeyring []byte `cbor:"6,keyasint"`
	// Epoch is the session epoch: a session token is valid only while it
	// carries the account's current epoch, so BumpEpoch revokes them all.
	Epoch uint64 `cbor:"7,keyasint"`
}

// NormalizeEmail returns the form under which an e-mail address is indexed:
// trimmed, NFC-normalized and lower-cased. It refuses addresses that are
// longer than protocol.MaxNameLength, that hold spaces or control
// characters, or that do not have exactly one '@' between non-empty parts.
func NormalizeEmail(s string) (string, error) {
	s = norm.NFC.String(strings.TrimSpace(s))
	s = strings.ToLower(s)
	if len(s) == 0 || len(s) > protocol.MaxNameLength {
		return "", fmt.Errorf("store: e-mail address of %d bytes: %w", len(s), ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", fmt.Errorf("store: e-mail address holds a space or control character: %w", ErrInvalid)
		}
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return "", fmt.Errorf("store: malformed e-mail address: %w", ErrInvalid)
	}
	return s, nil
}

func checkAccount(a *Account) error {
	if err := requireID("account", a.ID); err != nil {
		return err
	}
	e, err := NormalizeEmail(a.Email)
	if err != nil {
		return err
	}
	if e != a.Email {
		return fmt.Errorf("store: account e-mail is not normalized: %w", ErrInvalid)
	}
	if len(a.OpaqueRecord) > protocol.MaxWrappedKey || len(a.Keyring) > protocol.MaxWrappedKey ||
		len(a.PublicKeyring) > protocol.MaxStatement {
		return fmt.Errorf("store: account field over its limit: %w", ErrInvalid)
	}
	return nil
}

// Account returns the account with the given ID, or ErrNotFound.
func (v View) Account(id ID) (*Account, error) {
	a := new(Account)
	if err := v.getRecord(accountKey(id), a); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("account", id)
		}
		return nil, err
	}
	return a, nil
}

// AccountByEmail returns the account whose e-mail address normalizes like
// email, or ErrNotFound.
func (v View) AccountByEmail(email string) (*Account, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	b, err := v.r.get(emailKey(e))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: no account for that e-mail address: %w", ErrNotFound)
		}
		return nil, err
	}
	var id ID
	if len(b) != len(id) {
		return nil, fmt.Errorf("store: e-mail index entry of %d bytes: %w", len(b), ErrCorrupt)
	}
	copy(id[:], b)
	return v.Account(id)
}

// CreateAccount stores a new account. a.Email is normalized in place. It
// fails with ErrExists if the ID or the e-mail address is taken.
func (tx *Tx) CreateAccount(a *Account) error {
	e, err := NormalizeEmail(a.Email)
	if err != nil {
		return err
	}
	a.Email = e
	if err := checkAccount(a); err != nil {
		return err
	}
	if ok, err := tx.exists(accountKey(a.ID)); err != nil || ok {
		return orExists(err, "account "+a.ID.String())
	}
	if ok, err := tx.exists(emailKey(a.Email)); err != nil || ok {
		return orExists(err, "an account with that e-mail address")
	}
	if err := tx.set(accountKey(a.ID), a); err != nil {
		return err
	}
	return tx.setRaw(emailKey(a.Email), a.ID[:])
}

// PutAccount replaces an existing account record. If the e-mail address
// changed, the index moves with it (ErrExists if the new one is taken).
func (tx *Tx) PutAccount(a *Account) error {
	e, err := NormalizeEmail(a.Email)
	if err != nil {
		return err
	}
	a.Email = e
	if err := checkAccount(a); err != nil {
		return err
	}
	old, err := tx.Account(a.ID)
	if err != nil {
		return err
	}
	if old.Email != a.Email {
		if ok, err := tx.exists(emailKey(a.Email)); err != nil || ok {
			return orExists(err, "an account with that e-mail address")
		}
		if err := tx.del(emailKey(old.Email)); err != nil {
			return err
		}
		if err := tx.setRaw(emailKey(a.Email), a.ID[:]); err != nil {
			return err
		}
	}
	return tx.set(accountKey(a.ID), a)
}

// BumpEpoch increments the account's session epoch, revoking every session
// token issued before, and returns the new epoch.
func (tx *Tx) BumpEpoch(id ID) (uint64, error) {
	a, err := tx.Account(id)
	if err != nil {
		return 0, err
	}
	a.Epoch++
	return a.Epoch, tx.set(accountKey(id), a)
}

// DeleteAccount removes an account with its e-mail index entry, unlock
// wraps and trusted devices. An account that is still a member of a tenant
// cannot be deleted (ErrConflict): its removal is a signed membership change.
func (tx *Tx) DeleteAccount(id ID) error {
	a, err := tx.Account(id)
	if err != nil {
		return err
	}
	ts, err := tx.TenantsOf(id)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return fmt.Errorf("store: account %s is a member of %d tenants: %w", id, len(ts), ErrConflict)
	}
	for _, k := range [][]byte{accountKey(id), emailKey(a.Email)} {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	if err := tx.delPrefix(key(pWrap, id[:])); err != nil {
		return err
	}
	return tx.delPrefix(key(pDevice, id[:]))
}

func orExists(err error, what string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, ErrExists)
}

// WrapKind is what unlocks an UnlockWrap. Stored enum: do not reorder or
// reuse a value; append new kinds.
type WrapKind uint8

const (
	WrapPassword       WrapKind = 1 // OPAQUE export_key → HKDF
	WrapPasskey        WrapKind = 2 // WebAuthn PRF output → HKDF; Ref is the credential ID
	WrapDevice         WrapKind = 3 // an age file to a trusted device; Ref is the device ID
	WrapRecoveryCode   WrapKind = 4 // a recovery code → HKDF
	WrapTenantRecovery WrapKind = 5 // an age file to a tenant's recovery recipient; Ref is the tenant ID
)

func (k WrapKind) valid() bool { return k >= WrapPassword && k <= WrapTenantRecovery }

// UnlockWrap is one independent wrap of an account key (DESIGN.md §2).
type UnlockWrap struct {
	Account ID       `cbor:"1,keyasint"`
	ID      ID       `cbor:"2,keyasint"`
	Kind    WrapKind `cbor:"3,keyasint"`
	// Ref names what unlocks the wrap (see WrapKind); at most 1024 bytes.
	Ref     []byte    `cbor:"4,keyasint"`
	Wrapped []byte    `cbor:"5,keyasint"`
	Created time.Time `cbor:"6,keyasint"`
}

// PutUnlockWrap stores (or replaces) a wrap of an existing account. A wrap
// may be as large as protocol.MaxAccountWrap, the limit the API checks for
// every unlock method: a tenant recovery wrap holds C(N, M) onions of M age
// layers (about 60 KiB at 4 of 8), far over MaxWrappedKey.
func (tx *Tx) PutUnlockWrap(w *UnlockWrap) error {
	if err := requireID("wrap", w.ID); err != nil {
		return err
	}
	if !w.Kind.valid() || len(w.Ref) > 1024 || len(w.Wrapped) == 0 || len(w.Wrapped) > protocol.MaxAccountWrap {
		return fmt.Errorf("store: unlock wrap kind %d with ref of %d and wrap of %d bytes: %w", w.Kind, len(w.Ref), len(w.Wrapped), ErrInvalid)
	}
	if _, err := tx.Account(w.Account); err != nil {
		return err
	}
	return tx.set(wrapKey(w.Account, w.ID), w)
}

// DeleteUnlockWrap removes a wrap; ErrNotFound if there is none.
func (tx *Tx) DeleteUnlockWrap(account, id ID) error {
	if _, err := tx.UnlockWrap(account, id); err != nil {
		return err
	}
	return tx.del(wrapKey(account, id))
}

// UnlockWrap returns one wrap of an account.
func (v View) UnlockWrap(account, id ID) (*UnlockWrap, error) {
	w := new(UnlockWrap)
	if err := v.getRecord(wrapKey(account, id), w); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("unlock wrap", id)
		}
		return nil, err
	}
	return w, nil
}

// UnlockWraps lists an account's wraps in ID order.
func (v View) UnlockWraps(account ID) ([]*UnlockWrap, error) {
	return scanRecords[UnlockWrap](v, key(pWrap, account[:]))
}

// Device is a trusted device of an account: its age recipient, to which the
// account key is wrapped (an UnlockWrap of kind WrapDevice).
type Device struct {
	Account   ID     `cbor:"1,keyasint"`
	ID        ID     `cbor:"2,keyasint"`
	Recipient string `cbor:"3,keyasint"` // age X25519 recipient
	// Label is the device's name, encrypted by the client; opaque here.
	Label    []byte    `cbor:"4,keyasint"`
	Created  time.Time `cbor:"5,keyasint"`
	LastUsed time.Time `cbor:"6,keyasint"`
}

// PutDevice stores (or replaces) a trusted device of an existing account.
func (tx *Tx) PutDevice(d *Device) error {
	if err := requireID("device", d.ID); err != nil {
		return err
	}
	if d.Recipient == "" || len(d.Recipient) > 256 || len(d.Label) > protocol.MaxMetadata {
		return fmt.Errorf("store: device recipient or label over its limit: %w", ErrInvalid)
	}
	if _, err := tx.Account(d.Account); err != nil {
		return err
	}
	return tx.set(deviceKey(d.Account, d.ID), d)
}

// DeleteDevice removes a trusted device; ErrNotFound if there is none.
// The caller SHOULD delete the device's UnlockWrap in the same transaction.
func (tx *Tx) DeleteDevice(account, id ID) error {
	if _, err := tx.Device(account, id); err != nil {
		return err
	}
	return tx.del(deviceKey(account, id))
}

// Device returns one trusted device of an account.
func (v View) Device(account, id ID) (*Device, error) {
	d := new(Device)
	if err := v.getRecord(deviceKey(account, id), d); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("device", id)
		}
		return nil, err
	}
	return d, nil
}

// Devices lists an account's trusted devices in ID order.
func (v View) Devices(account ID) ([]*Device, error) {
	return scanRecords[Device](v, key(pDevice, account[:]))
}

// scanRecords decodes every record with prefix p, in key order.
func scanRecords[T any](v View, p []byte) ([]*T, error) {
	var out []*T
	err := v.r.scan(p, false, func(_, b []byte) (bool, error) {
		r := new(T)
		if err := decode(b, r); err != nil {
			return false, err
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
}

// getByIndex decodes the records whose IDs are listed under prefix p, using
// rec to build each record's key.
func getByIndex[T any](v View, p []byte, rec func(ID) []byte) ([]*T, error) {
	ids, err := v.idsAfter(p)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(ids))
	for _, id := range ids {
		r := new(T)
		if err := v.getRecord(rec(id), r); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("store: index points to missing %s: %w", id, ErrCorrupt)
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
