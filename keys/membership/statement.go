package membership

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Version is the statement format this package writes and reads. A new
// version gets a new number here and a new label in protocol/labels.go.
const Version = 1

// Kind is the kind of a statement. It is a wire enum: do not reorder or
// renumber; append new kinds only.
type Kind uint8

const (
	KindGenesis         Kind = 1 // creates the tenant with its first owner
	KindAddMember       Kind = 2 // adds an account with a role and keys
	KindChangeRole      Kind = 3 // changes a member's role
	KindRemoveMember    Kind = 4 // removes a member (folders they held rotate)
	KindUpdateKeys      Kind = 5 // replaces a member's verify key and recipient
	KindEnableRecovery  Kind = 6 // turns tenant recovery on, or replaces its holders
	KindDisableRecovery Kind = 7 // turns tenant recovery off
)

var kindNames = [...]string{
	KindGenesis: "genesis", KindAddMember: "add-member", KindChangeRole: "change-role",
	KindRemoveMember: "remove-member", KindUpdateKeys: "update-keys",
	KindEnableRecovery: "enable-recovery", KindDisableRecovery: "disable-recovery",
}

func (k Kind) String() string {
	if k < KindGenesis || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Member is one member of a tenant as the chain states it.
type Member struct {
	AccountID string
	Email     string
	Role      protocol.Role
	// VerifyKey checks the member's signatures (statements, grants).
	VerifyKey keys.VerifyKey
	// Recipient is what keys are wrapped to for this member.
	Recipient keys.Recipient
}

// Recovery is the tenant recovery setting: a member who opts in wraps their
// account key so that any Threshold of the Holders, together, can open it
// (keys/account.WrapForTenant: age onions, one per Threshold-subset of the
// holders' recipients).
type Recovery struct {
	Threshold int
	// Holders are owners or admins, sorted by AccountID, each at most once.
	Holders []Holder
}

// Holder is one admin able to take part in tenant recovery, with the
// recipient members wrap to for them (which MAY differ from the admin's
// member recipient, so that an admin can keep recovery on a separate key).
type Holder struct {
	AccountID string
	Recipient keys.Recipient
}

// Recipients returns the holders' recipients, in the order of Holders: what
// a member hands to account.WrapForTenant with Threshold.
func (r Recovery) Recipients() []keys.Recipient {
	out := make([]keys.Recipient, len(r.Holders))
	for i, h := range r.Holders {
		out[i] = h.Recipient
	}
	return out
}

// Change is what a statement does: one of Genesis, AddMember, ChangeRole,
// RemoveMember, UpdateKeys, EnableRecovery, DisableRecovery.
type Change interface {
	kind() Kind
}

// Genesis creates the tenant. Owner.Role MUST be RoleOwner and the statement
// MUST be signed by Owner.VerifyKey with Owner.AccountID as the signer; it
// has seq 0 and no previous hash.
type Genesis struct{ Owner Member }

// AddMember adds an account that is not a member. Owners and admins may add
// members; only owners may add admins or owners. The account id and the
// e-mail address (compared case-insensitively) MUST be new to the tenant.
type AddMember struct{ Member Member }

// ChangeRole changes a member's role to a different one. Only owners and
// admins may change roles, and only owners may give or take the admin or
// owner role. The last owner cannot be demoted, and a recovery holder
// cannot be demoted to member while recovery is on.
type ChangeRole struct {
	AccountID string
	Role      protocol.Role
}

// RemoveMember removes a member. Any member may remove themselves; owners
// and admins may remove members; only owners may remove admins or owners.
// The last owner cannot be removed, nor a recovery holder while recovery is
// on. Removal makes clients rotate the folder keys the member held.
type RemoveMember struct{ AccountID string }

// UpdateKeys replaces a member's verify key and recipient (a new keyring,
// after a recovery or a compromise). A member may update their own keys,
// signing with the current ones; owners may update anyone's; admins may
// update members'. At least one of the keys MUST differ from the current.
type UpdateKeys struct {
	AccountID string
	VerifyKey keys.VerifyKey
	Recipient keys.Recipient
}

// EnableRecovery turns tenant recovery on, or replaces the threshold and
// holders if it is on. Only owners may sign it. 1 <= Threshold <=
// len(Holders) <= protocol.MaxRecoveryAdmins, and every holder MUST be a
// current owner or admin. Members re-wrap their account keys to the new
// setting when they see it.
type EnableRecovery struct{ Recovery Recovery }

// DisableRecovery turns tenant recovery off. Only owners may sign it.
type DisableRecovery struct{}

func (Genesis) kind() Kind         { return KindGenesis }
func (AddMember) kind() Kind       { return KindAddMember }
func (ChangeRole) kind() Kind      { return KindChangeRole }
func (RemoveMember) kind() Kind    { return KindRemoveMember }
func (UpdateKeys) kind() Kind      { return KindUpdateKeys }
func (EnableRecovery) kind() Kind  { return KindEnableRecovery }
func (DisableRecovery) kind() Kind { return KindDisableRecovery }

// Statement is one parsed, not yet verified, statement of a chain.
type Statement struct {
	TenantID string
	// Seq is the statement's position in the chain: 0 for the genesis.
	Seq uint64
	// Prev is the Hash of the statement before; zero for the genesis.
	Prev [32]byte
	// Signer is the account id of the member who signed.
	Signer string
	// Time is when the signer says they signed, in whole seconds. It is
	// informational: the chain order is Seq, and Time is not checked.
	Time   time.Time
	Change Change

	signature []byte
	signed    []byte // the whole signed statement, as parsed
	body      []byte // the signed body
}

// Kind returns the kind of the statement's change.
func (s *Statement) Kind() Kind { return s.Change.kind() }

// Hash is SHA-256 of the signed statement: what the next statement's Prev
// and a Pin hold.
func (s *Statement) Hash() [32]byte { return sha256.Sum256(s.signed) }

// Bytes returns a copy of the signed statement as parsed.
func (s *Statement) Bytes() []byte { return bytes.Clone(s.signed) }

// Marshal encodes the statement again from its fields. For a statement
// returned by Parse it returns the parsed bytes exactly (only the canonical
// encoding parses).
func (s *Statement) Marshal() ([]byte, error) {
	w, err := toWire(s)
	if err != nil {
		return nil, err
	}
	body, err := protocol.MarshalCBOR(w)
	if err != nil {
		return nil, err
	}
	return protocol.MarshalCBOR(wireSigned{Body: body, Signature: s.signature})
}

// verify checks the statement's signature under vk.
func (s *Statement) verify(vk keys.VerifyKey) error {
	if err := vk.Verify(protocol.LabelMembership, s.body, s.signature); err != nil {
		return fmt.Errorf("%w: signer %s", ErrBadSignature, s.Signer)
	}
	return nil
}

// Wire layout. Integer keys; the signed statement is
// {1: body (bstr), 2: signature (bstr)} and body is wireStatement.
// Fields without omitempty are present in every statement.
type wireSigned struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

type wireStatement struct {
	Version   uint64       `cbor:"1,keyasint"`
	Kind      uint64       `cbor:"2,keyasint"`
	Tenant    string       `cbor:"3,keyasint"`
	Seq       uint64       `cbor:"4,keyasint"`
	Prev      []byte       `cbor:"5,keyasint,omitempty"`
	Signer    string       `cbor:"6,keyasint"`
	Time      uint64       `cbor:"7,keyasint"`
	Account   string       `cbor:"8,keyasint,omitempty"`
	Email     string       `cbor:"9,keyasint,omitempty"`
	Role      uint64       `cbor:"10,keyasint,omitempty"`
	VerifyKey []byte       `cbor:"11,keyasint,omitempty"`
	Recipient string       `cbor:"12,keyasint,omitempty"`
	Threshold uint64       `cbor:"13,keyasint,omitempty"`
	Holders   []wireHolder `cbor:"14,keyasint,omitempty"`
}

type wireHolder struct {
	Account   string `cbor:"1,keyasint"`
	Recipient string `cbor:"2,keyasint"`
}

// Field bits, to say which fields a kind carries.
const (
	fAccount = 1 << iota
	fEmail
	fRole
	fVerifyKey
	fRecipient
	fThreshold
	fHolders
)

var kindFields = [...]int{
	KindGenesis:         fAccount | fEmail | fRole | fVerifyKey | fRecipient,
	KindAddMember:       fAccount | fEmail | fRole | fVerifyKey | fRecipient,
	KindChangeRole:      fAccount | fRole,
	KindRemoveMember:    fAccount,
	KindUpdateKeys:      fAccount | fVerifyKey | fRecipient,
	KindEnableRecovery:  fThreshold | fHolders,
	KindDisableRecovery: 0,
}

func (w *wireStatement) fields() int {
	f := 0
	set := func(b bool, bit int) {
		if b {
			f |= bit
		}
	}
	set(w.Account != "", fAccount)
	set(w.Email != "", fEmail)
	set(w.Role != 0, fRole)
	set(len(w.VerifyKey) != 0, fVerifyKey)
	set(w.Recipient != "", fRecipient)
	set(w.Threshold != 0, fThreshold)
	set(len(w.Holders) != 0, fHolders)
	return f
}

// Parse parses one signed statement strictly: at most protocol.MaxStatement
// bytes, canonical CBOR only, exactly the fields its kind carries, each well
// formed. It does not check the signature or the chain; Verify and
// State.Apply do.
func Parse(signed []byte) (*Statement, error) {
	if len(signed) > protocol.MaxStatement {
		return nil, fmt.Errorf("%w: statement of %d bytes", ErrTooLarge, len(signed))
	}
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(signed, &ws); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(ws.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(ws.Signature))
	}
	var w wireStatement
	if err := protocol.UnmarshalCBOR(ws.Body, &w); err != nil {
		// A statement of a version this code does not know is expected
		// to have fields it does not know: say so rather than
		// "malformed", so that an old client can tell the user to update.
		if v, ok := peekVersion(ws.Body); ok && v != Version {
			return nil, fmt.Errorf("%w: version %d", ErrUnsupported, v)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != Version {
		return nil, fmt.Errorf("%w: version %d", ErrUnsupported, w.Version)
	}
	s, err := fromWire(&w)
	if err != nil {
		return nil, err
	}
	s.signature, s.signed, s.body = ws.Signature, bytes.Clone(signed), ws.Body
	return s, nil
}

// peekVersion reads key 1 of a CBOR map leniently. It is only used to choose
// between two errors for input already refused.
func peekVersion(body []byte) (uint64, bool) {
	var v struct {
		Version uint64 `cbor:"1,keyasint"`
	}
	if cbor.Unmarshal(body, &v) != nil {
		return 0, false
	}
	return v.Version, true
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func fromWire(w *wireStatement) (*Statement, error) {
	k := Kind(w.Kind)
	if w.Kind == 0 || w.Kind >= uint64(len(kindFields)) {
		return nil, fmt.Errorf("%w: statement kind %d", ErrUnsupported, w.Kind)
	}
	if got, want := w.fields(), kindFields[k]; got != want {
		return nil, malformed("%s statement with fields %#x, want %#x", k, got, want)
	}
	if !protocol.ValidID(w.Tenant) {
		return nil, malformed("tenant id")
	}
	if !protocol.ValidID(w.Signer) {
		return nil, malformed("signer id")
	}
	if w.Time == 0 || w.Time > 1<<40 {
		return nil, malformed("time")
	}
	s := &Statement{TenantID: w.Tenant, Seq: w.Seq, Signer: w.Signer, Time: time.Unix(int64(w.Time), 0).UTC()}
	switch {
	case k == KindGenesis && (w.Seq != 0 || len(w.Prev) != 0):
		return nil, malformed("genesis with a seq or previous hash")
	case k != KindGenesis && (w.Seq == 0 || len(w.Prev) != 32):
		return nil, malformed("%s statement without a seq or 32-byte previous hash", k)
	}
	copy(s.Prev[:], w.Prev)

	var role protocol.Role
	if w.Role != 0 {
		if w.Role > 255 || !protocol.Role(w.Role).Valid() {
			return nil, fmt.Errorf("%w: role %d", ErrUnsupported, w.Role)
		}
		role = protocol.Role(w.Role)
	}
	if w.Account != "" && !protocol.ValidID(w.Account) {
		return nil, malformed("account id")
	}
	if w.Email != "" && !protocol.ValidEmail(w.Email) {
		return nil, malformed("e-mail address")
	}
	var vk keys.VerifyKey
	if w.VerifyKey != nil {
		var err error
		if vk, err = keys.VerifyKeyFromBytes(w.VerifyKey); err != nil {
			return nil, malformed("%v", err)
		}
	}
	var rcpt keys.Recipient
	if w.Recipient != "" {
		r, err := keys.ParseRecipient(w.Recipient)
		if err != nil {
			return nil, malformed("recipient")
		}
		rcpt = r
	}
	member := Member{AccountID: w.Account, Email: w.Email, Role: role, VerifyKey: vk, Recipient: rcpt}

	switch k {
	case KindGenesis:
		if role != protocol.RoleOwner || w.Account != w.Signer {
			return nil, malformed("genesis must add its signer as owner")
		}
		s.Change = Genesis{Owner: member}
	case KindAddMember:
		s.Change = AddMember{Member: member}
	case KindChangeRole:
		s.Change = ChangeRole{AccountID: w.Account, Role: role}
	case KindRemoveMember:
		s.Change = RemoveMember{AccountID: w.Account}
	case KindUpdateKeys:
		s.Change = UpdateKeys{AccountID: w.Account, VerifyKey: vk, Recipient: rcpt}
	case KindEnableRecovery:
		rec, err := recoveryFromWire(w.Threshold, w.Holders)
		if err != nil {
			return nil, err
		}
		s.Change = EnableRecovery{Recovery: rec}
	case KindDisableRecovery:
		s.Change = DisableRecovery{}
	}
	return s, nil
}

func recoveryFromWire(threshold uint64, hs []wireHolder) (Recovery, error) {
	if len(hs) > protocol.MaxRecoveryAdmins {
		return Recovery{}, fmt.Errorf("%w: %d recovery holders", ErrTooLarge, len(hs))
	}
	if threshold < 1 || threshold > uint64(len(hs)) {
		return Recovery{}, malformed("recovery threshold %d of %d holders", threshold, len(hs))
	}
	rec := Recovery{Threshold: int(threshold), Holders: make([]Holder, len(hs))}
	for i, h := range hs {
		if !protocol.ValidID(h.Account) {
			return Recovery{}, malformed("recovery holder id")
		}
		// Sorted and unique, so that one set of holders has one encoding.
		if i > 0 && strings.Compare(hs[i-1].Account, h.Account) >= 0 {
			return Recovery{}, malformed("recovery holders not sorted and unique")
		}
		hr, err := keys.ParseRecipient(h.Recipient)
		if err != nil {
			return Recovery{}, malformed("recovery holder recipient")
		}
		rec.Holders[i] = Holder{AccountID: h.Account, Recipient: hr}
	}
	return rec, nil
}

// toWire is the inverse of fromWire. It checks what the encoding needs
// (zero values would be dropped as absent); the chain rules are checked by
// State.
func toWire(s *Statement) (*wireStatement, error) {
	if s.Change == nil {
		return nil, errors.New("membership: statement without a change")
	}
	if s.Time.Unix() <= 0 {
		return nil, errors.New("membership: statement time before 1970")
	}
	w := &wireStatement{Version: Version, Kind: uint64(s.Kind()), Tenant: s.TenantID, Seq: s.Seq,
		Signer: s.Signer, Time: uint64(s.Time.Unix())}
	if s.Kind() != KindGenesis {
		w.Prev = s.Prev[:]
	}
	member := func(m Member) {
		w.Account, w.Email, w.Role = m.AccountID, m.Email, uint64(m.Role)
		w.VerifyKey, w.Recipient = m.VerifyKey[:], m.Recipient.String()
	}
	switch c := s.Change.(type) {
	case Genesis:
		member(c.Owner)
	case AddMember:
		member(c.Member)
	case ChangeRole:
		w.Account, w.Role = c.AccountID, uint64(c.Role)
	case RemoveMember:
		w.Account = c.AccountID
	case UpdateKeys:
		w.Account, w.VerifyKey, w.Recipient = c.AccountID, c.VerifyKey[:], c.Recipient.String()
	case EnableRecovery:
		w.Threshold = uint64(max(c.Recovery.Threshold, 0))
		for _, h := range c.Recovery.Holders {
			w.Holders = append(w.Holders, wireHolder{Account: h.AccountID, Recipient: h.Recipient.String()})
		}
	case DisableRecovery:
	default:
		return nil, fmt.Errorf("membership: unknown change %T", c)
	}
	// Round-trip through the parser's checks so that nothing this package
	// writes is something it would refuse to read.
	if _, err := fromWire(w); err != nil {
		return nil, err
	}
	return w, nil
}
