// Package auditlog is the portable half of Vellum's per-tenant hash-chained
// audit log (SPEC part 60 §Audit log, DESIGN.md §4): the event encoding and
// its kinds, the chain hash and genesis, the chain verifier and its errors,
// and the export format with its reader and verifier.
//
// Every security-relevant event (a login, a grant, a download, a locked
// link) becomes one entry of its tenant's chain. An event is encoded in one
// canonical CBOR form; its entry hash is SHA-256(previous hash ‖ event), the
// first entry's previous hash being the tenant's genesis hash. Admins export
// the chain as JSON lines that carry the event bytes and the hashes, and
// check the export offline with VerifyExport: a removed, reordered or
// altered entry gives a distinct error. Events hold IDs, an IP address and a
// time: never a secret, a name or any plaintext. Ids are protocol.ID, which
// is also the server's store ID.
//
// The package is part of the contract (protocol/): these bytes are stored by
// the server and exported to admins, and protocol/testdata/audit-chain pins
// them. It holds no keys and signs nothing, so it is not part of the crypto
// core (keys/). It does no I/O beyond the readers and writers it is handed,
// and imports nothing of the server, so the server (server/audit, which
// appends entries in store transactions and reads them back) and the browser
// client (wasm/client, under GOOS=js) use the same code. It imports only
// package protocol, which imports neither it nor server/store.
package auditlog

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"vellum.dev/vellum/protocol"
)

// Kind is what happened. It is a wire enum: the number is in the hashed
// bytes, the name in exports. Do not reorder, renumber or reuse a kind;
// append new ones at the end.
type Kind uint16

const (
	KindLogin              Kind = 1
	KindLoginFailed        Kind = 2
	KindGrantCreated       Kind = 3
	KindGrantRevoked       Kind = 4
	KindAccessRequested    Kind = 5
	KindAccessApproved     Kind = 6
	KindMemberAdded        Kind = 7
	KindMemberRemoved      Kind = 8
	KindRoleChanged        Kind = 9
	KindDocumentDownloaded Kind = 10
	KindDocumentUploaded   Kind = 11
	KindRecoveryUsed       Kind = 12
	KindLinkLocked         Kind = 13
	KindPINFailed          Kind = 14
	KindAccessDenied       Kind = 15
	KindDocumentDeleted    Kind = 16
	KindFolderRotated      Kind = 17
	KindDeviceAdded        Kind = 18
	KindDeviceRemoved      Kind = 19
	KindSessionsRevoked    Kind = 20
	KindEnvelopeSent       Kind = 21
	KindEnvelopeSigned     Kind = 22
	KindEnvelopeSealed     Kind = 23
	KindRecoveryEnabled    Kind = 24
	KindRecoveryDisabled   Kind = 25
	KindAuditExported      Kind = 26
	KindLockedOut          Kind = 27
	KindDocumentRenamed    Kind = 28
	KindDocumentMoved      Kind = 29
	KindEnvelopeDeclined   Kind = 30
	KindEnvelopeCancelled  Kind = 31
	KindLinkReplaced       Kind = 32
)

var kindNames = [...]string{
	KindLogin:              "login",
	KindLoginFailed:        "login_failed",
	KindGrantCreated:       "grant_created",
	KindGrantRevoked:       "grant_revoked",
	KindAccessRequested:    "access_requested",
	KindAccessApproved:     "access_approved",
	KindMemberAdded:        "member_added",
	KindMemberRemoved:      "member_removed",
	KindRoleChanged:        "role_changed",
	KindDocumentDownloaded: "document_downloaded",
	KindDocumentUploaded:   "document_uploaded",
	KindRecoveryUsed:       "recovery_used",
	KindLinkLocked:         "link_locked",
	KindPINFailed:          "pin_failed",
	KindAccessDenied:       "access_denied",
	KindDocumentDeleted:    "document_deleted",
	KindFolderRotated:      "folder_rotated",
	KindDeviceAdded:        "device_added",
	KindDeviceRemoved:      "device_removed",
	KindSessionsRevoked:    "sessions_revoked",
	KindEnvelopeSent:       "envelope_sent",
	KindEnvelopeSigned:     "envelope_signed",
	KindEnvelopeSealed:     "envelope_sealed",
	KindRecoveryEnabled:    "recovery_enabled",
	KindRecoveryDisabled:   "recovery_disabled",
	KindAuditExported:      "audit_exported",
	KindLockedOut:          "locked_out",
	KindDocumentRenamed:    "document_renamed",
	KindDocumentMoved:      "document_moved",
	KindEnvelopeDeclined:   "envelope_declined",
	KindEnvelopeCancelled:  "envelope_cancelled",
	KindLinkReplaced:       "link_replaced",
}

// Known reports whether k is a kind this build names. Unknown non-zero kinds
// still parse and verify, so an older verifier can check a newer export.
func (k Kind) Known() bool { return int(k) < len(kindNames) && kindNames[k] != "" }

// String returns the kind's export name, or "kind_N" for an unknown kind.
func (k Kind) String() string {
	if k.Known() {
		return kindNames[k]
	}
	return "kind_" + strconv.Itoa(int(k))
}

// ParseKind is the inverse of String.
func ParseKind(s string) (Kind, error) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), nil
		}
	}
	if rest, ok := cutPrefix(s, "kind_"); ok {
		if n, err := strconv.ParseUint(rest, 10, 16); err == nil && n != 0 && !Kind(n).Known() &&
			strconv.FormatUint(n, 10) == rest {
			return Kind(n), nil
		}
	}
	return 0, fmt.Errorf("audit: unknown kind name %q: %w", s, ErrMalformed)
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// Errors. Verification failures are wrapped in a *ChainError naming the
// entry; each cause is its own sentinel.
var (
	// ErrMalformed: an event, an entry or an export line does not parse, or
	// is not in canonical form.
	ErrMalformed = errors.New("audit: malformed")
	// ErrRemoved: the chain skips a sequence number (an entry was removed),
	// or starts after 1.
	ErrRemoved = errors.New("audit: entry removed")
	// ErrReordered: a sequence number repeats or goes backwards.
	ErrReordered = errors.New("audit: entries reordered")
	// ErrAltered: an entry's hash does not match its event and the previous
	// hash, or its readable fields disagree with its event bytes, or it
	// belongs to another tenant.
	ErrAltered = errors.New("audit: entry altered")
	// ErrTruncated: the chain ends before a head the verifier was told to
	// expect.
	ErrTruncated = errors.New("audit: chain truncated")
)

// eventVersion is the version of the event encoding.
const eventVersion = 1

// Event is one audit event. IDs only: never a secret, a name, or plaintext.
type Event struct {
	Tenant protocol.ID
	// Seq is the entry's position, from 1 (server/audit.Append sets it).
	Seq uint64
	// Time is kept to the millisecond.
	Time time.Time
	Kind Kind
	// Actor is the account that acted; zero for an external signer or an
	// anonymous attempt.
	Actor protocol.ID
	// ActorIP is the client address; the zero Addr if unknown.
	ActorIP netip.Addr
	// Objects are the IDs the event is about (a document, a grant, a
	// member), at most protocol.MaxAuditObjects.
	Objects []protocol.ID
}

// wireEvent is the canonical CBOR form of an Event.
type wireEvent struct {
	Version uint8         `cbor:"1,keyasint"`
	Tenant  protocol.ID   `cbor:"2,keyasint"`
	Seq     uint64        `cbor:"3,keyasint"`
	Time    int64         `cbor:"4,keyasint"` // Unix milliseconds
	Kind    Kind          `cbor:"5,keyasint"`
	Actor   protocol.ID   `cbor:"6,keyasint"`
	IP      []byte        `cbor:"7,keyasint"` // empty, 4 or 16 bytes
	Objects []protocol.ID `cbor:"8,keyasint"`
}

// Marshal returns the event's canonical encoding: deterministic CBOR of the
// map {1: version 1, 2: tenant (16-byte string), 3: seq, 4: Unix
// milliseconds, 5: kind, 6: actor (16 bytes, zero if none), 7: IP (0, 4 or
// 16 bytes; IPv4 as 4), 8: array of object IDs}.
func (e *Event) Marshal() ([]byte, error) {
	w := wireEvent{
		Version: eventVersion, Tenant: e.Tenant, Seq: e.Seq, Time: e.Time.UnixMilli(),
		Kind: e.Kind, Actor: e.Actor, Objects: e.Objects,
	}
	if w.Objects == nil {
		w.Objects = []protocol.ID{}
	}
	if e.ActorIP.IsValid() {
		w.IP = e.ActorIP.Unmap().AsSlice()
	} else {
		w.IP = []byte{}
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	b, err := protocol.MarshalCBOR(&w)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if len(b) > protocol.MaxAuditEvent {
		return nil, fmt.Errorf("audit: event of %d bytes: %w", len(b), ErrMalformed)
	}
	return b, nil
}

func (w *wireEvent) check() error {
	switch {
	case w.Version != eventVersion:
		return fmt.Errorf("audit: event version %d: %w", w.Version, ErrMalformed)
	case w.Tenant.IsZero():
		return fmt.Errorf("audit: event without a tenant: %w", ErrMalformed)
	case w.Seq == 0:
		return fmt.Errorf("audit: event sequence 0: %w", ErrMalformed)
	case w.Time < 0:
		return fmt.Errorf("audit: event time before 1970: %w", ErrMalformed)
	case w.Kind == 0:
		return fmt.Errorf("audit: event kind 0: %w", ErrMalformed)
	case len(w.IP) != 0 && len(w.IP) != 4 && len(w.IP) != 16:
		return fmt.Errorf("audit: IP address of %d bytes: %w", len(w.IP), ErrMalformed)
	case len(w.Objects) > protocol.MaxAuditObjects:
		return fmt.Errorf("audit: %d objects: %w", len(w.Objects), ErrMalformed)
	}
	if len(w.IP) == 16 {
		if a := netip.AddrFrom16([16]byte(w.IP)); a.Is4In6() {
			return fmt.Errorf("audit: IPv4 address in IPv6 form: %w", ErrMalformed)
		}
	}
	for _, o := range w.Objects {
		if o.IsZero() {
			return fmt.Errorf("audit: zero object ID: %w", ErrMalformed)
		}
	}
	return nil
}

// ParseEvent decodes a canonical event. It refuses input over
// protocol.MaxAuditEvent, unknown fields, and any encoding other than the
// one Marshal produces.
func ParseEvent(b []byte) (*Event, error) {
	if len(b) > protocol.MaxAuditEvent {
		return nil, fmt.Errorf("audit: event of %d bytes: %w", len(b), ErrMalformed)
	}
	var w wireEvent
	if err := protocol.UnmarshalCBOR(b, &w); err != nil {
		return nil, fmt.Errorf("audit: %w: %v", ErrMalformed, err)
	}
	if w.IP == nil || w.Objects == nil {
		return nil, fmt.Errorf("audit: event lacks a field: %w", ErrMalformed)
	}
	if err := w.check(); err != nil {
		return nil, err
	}
	e := &Event{Tenant: w.Tenant, Seq: w.Seq, Time: time.UnixMilli(w.Time).UTC(), Kind: w.Kind, Actor: w.Actor}
	if len(w.IP) > 0 {
		e.ActorIP, _ = netip.AddrFromSlice(w.IP)
	}
	if len(w.Objects) > 0 {
		e.Objects = w.Objects
	}
	return e, nil
}

// Genesis is the previous hash of a tenant's first entry:
// SHA-256("vellum-audit-genesis/v1" ‖ 0x0A ‖ tenant ID). It ties a chain to
// its tenant, so entries cannot be moved between tenants.
func Genesis(tenant protocol.ID) [32]byte {
	h := sha256.New()
	h.Write([]byte(protocol.LabelAuditGenesis))
	h.Write([]byte{0x0a})
	h.Write(tenant[:])
	return [32]byte(h.Sum(nil))
}

// ChainHash is an entry's hash: SHA-256(prev ‖ event).
func ChainHash(prev [32]byte, event []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(event)
	return [32]byte(h.Sum(nil))
}
