// Package session makes and checks Vellum's stateless session tokens
// (DESIGN.md §4). Nothing about a session is stored: a token carries its
// claims sealed with XChaCha20-Poly1305 under a server key named in the
// token's clear header, so checking one is a map lookup and an AEAD open —
// no database read, no signature verification. A token is revoked by
// bumping its account's session epoch: the caller supplies the account's
// current epoch, and a token carrying another is refused.
//
// Token layout (then unpadded base64url):
//
//	version (1 byte, 0x01) ‖ key ID (4 bytes, big-endian) ‖ nonce (24 bytes) ‖
//	XChaCha20-Poly1305(key, nonce, claims CBOR, ad = "vellum-session-token/v1" ‖ 0x0a ‖ version ‖ key ID)
package session

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// Errors of Open and Verify; each is distinct so the caller can tell an
// expired session (ask for a refresh) from a forged or revoked one.
var (
	// ErrInvalid: the token is malformed, was altered, is of the wrong
	// kind, or was not sealed by this server.
	ErrInvalid = errors.New("session: invalid token")
	// ErrExpired: the token was valid but is past its expiry.
	ErrExpired = errors.New("session: token expired")
	// ErrRevoked: the token's epoch is not the account's current epoch.
	ErrRevoked = errors.New("session: token revoked")
	// ErrUnknownKey: the token names a key the keyset does not hold (never
	// had, or pruned after rotation).
	ErrUnknownKey = errors.New("session: token sealed by an unknown key")
)

// Kind is a token's kind. Wire enum: do not reorder or reuse.
type Kind uint8

const (
	// KindAccess authorizes API calls; it lives AccessTTL.
	KindAccess Kind = 1
	// KindRefresh only buys new access tokens; it lives RefreshTTL.
	KindRefresh Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindAccess:
		return "access"
	case KindRefresh:
		return "refresh"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Claims are what a token says. Times are kept to the second.
type Claims struct {
	Account store.ID
	Tenant  store.ID // zero if the session is not bound to a tenant
	Kind    Kind
	Issued  time.Time
	Expires time.Time
	// Epoch is the account's session epoch when the token was issued.
	Epoch  uint64
	Device store.ID // zero if not from a trusted device
}

// payload is the sealed CBOR form of Claims.
type payload struct {
	Account store.ID `cbor:"1,keyasint"`
	Tenant  store.ID `cbor:"2,keyasint"`
	Kind    Kind     `cbor:"3,keyasint"`
	Issued  int64    `cbor:"4,keyasint"` // Unix seconds
	Expires int64    `cbor:"5,keyasint"` // Unix seconds
	Epoch   uint64   `cbor:"6,keyasint"`
	Device  store.ID `cbor:"7,keyasint"`
}

const (
	tokenVersion = 0x01
	headerLen    = 1 + 4
	nonceLen     = chacha20poly1305.NonceSizeX
	minTokenLen  = headerLen + nonceLen + chacha20poly1305.Overhead
)

var b64 = base64.RawURLEncoding.Strict()

// rawToken is a token's binary layout, before any key is involved.
type rawToken struct {
	keyID  uint32
	nonce  []byte
	sealed []byte
}

// parseToken decodes the text form and splits the layout. It refuses text
// over protocol.MaxSessionToken, non-canonical base64url, an unknown
// version, and anything too short to hold a nonce and a tag.
func parseToken(s string) (*rawToken, error) {
	if len(s) > protocol.MaxSessionToken {
		return nil, fmt.Errorf("session: token of %d bytes: %w", len(s), ErrInvalid)
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("session: token is not base64url: %w", ErrInvalid)
	}
	if len(b) < minTokenLen || b[0] != tokenVersion {
		return nil, fmt.Errorf("session: malformed token: %w", ErrInvalid)
	}
	return &rawToken{
		keyID:  binary.BigEndian.Uint32(b[1:5]),
		nonce:  b[headerLen : headerLen+nonceLen],
		sealed: b[headerLen+nonceLen:],
	}, nil
}

func (t *rawToken) header() []byte {
	return binary.BigEndian.AppendUint32([]byte{tokenVersion}, t.keyID)
}

func (t *rawToken) String() string {
	b := append(t.header(), t.nonce...)
	return b64.EncodeToString(append(b, t.sealed...))
}

func additionalData(header []byte) []byte {
	ad := append([]byte(protocol.LabelSessionTokenAD), 0x0a)
	return append(ad, header...)
}

// Config configures a Sessions.
type Config struct {
	Keyset *Keyset
	// AccessTTL and RefreshTTL default to DefaultAccessTTL and
	// DefaultRefreshTTL.
	AccessTTL, RefreshTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Default lifetimes: an access token is short, so a stolen one is worth
// little; a refresh token lets a browser stay signed in for a month.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// clockSkew is how far in the future an issue time may be (another server
// of the same deployment with a clock slightly ahead).
const clockSkew = time.Minute

// Sessions issues and checks tokens under a keyset.
type Sessions struct {
	ks         *Keyset
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
}

// New returns a Sessions for cfg.
func New(cfg Config) (*Sessions, error) {
	if cfg.Keyset == nil {
		return nil, errors.New("session: no keyset")
	}
	s := &Sessions{ks: cfg.Keyset, accessTTL: cfg.AccessTTL, refreshTTL: cfg.RefreshTTL, now: cfg.Now}
	if s.accessTTL == 0 {
		s.accessTTL = DefaultAccessTTL
	}
	if s.refreshTTL == 0 {
		s.refreshTTL = DefaultRefreshTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.accessTTL < 0 || s.refreshTTL < s.accessTTL {
		return nil, errors.New("session: refresh TTL shorter than access TTL")
	}
	return s, nil
}

// Issue seals a token for c under the current key. It sets c.Issued to now
// and c.Expires by c.Kind, and returns the token text and the claims as
// sealed.
func (s *Sessions) Issue(c Claims) (string, Claims, error) {
	if c.Account.IsZero() {
		return "", Claims{}, errors.New("session: claims without an account")
	}
	now := s.now().UTC().Truncate(time.Second)
	switch c.Kind {
	case KindAccess:
		c.Expires = now.Add(s.accessTTL)
	case KindRefresh:
		c.Expires = now.Add(s.refreshTTL)
	default:
		return "", Claims{}, fmt.Errorf("session: unknown token kind %d", c.Kind)
	}
	c.Issued = now
	body, err := protocol.MarshalCBOR(&payload{
		Account: c.Account, Tenant: c.Tenant, Kind: c.Kind, Issued: c.Issued.Unix(),
		Expires: c.Expires.Unix(), Epoch: c.Epoch, Device: c.Device,
	})
	if err != nil {
		return "", Claims{}, err
	}
	k := s.ks.sealer()
	t := &rawToken{keyID: k.id, nonce: make([]byte, nonceLen)}
	rand.Read(t.nonce)
	t.sealed = k.aead.Seal(nil, t.nonce, body, additionalData(t.header()))
	return t.String(), c, nil
}

// Open checks a token's integrity, kind and expiry, and returns its claims.
// It does not check the epoch: use Verify for that.
func (s *Sessions) Open(token string, kind Kind) (Claims, error) {
	t, err := parseToken(token)
	if err != nil {
		return Claims{}, err
	}
	k := s.ks.lookup(t.keyID)
	if k == nil {
		return Claims{}, fmt.Errorf("session: key %08x: %w", t.keyID, ErrUnknownKey)
	}
	body, err := k.aead.Open(nil, t.nonce, t.sealed, additionalData(t.header()))
	if err != nil {
		return Claims{}, fmt.Errorf("session: token does not open: %w", ErrInvalid)
	}
	var p payload
	if err := protocol.UnmarshalCBOR(body, &p); err != nil {
		return Claims{}, fmt.Errorf("session: sealed claims do not parse: %w", ErrInvalid)
	}
	c := Claims{
		Account: p.Account, Tenant: p.Tenant, Kind: p.Kind, Issued: time.Unix(p.Issued, 0).UTC(),
		Expires: time.Unix(p.Expires, 0).UTC(), Epoch: p.Epoch, Device: p.Device,
	}
	if c.Kind != kind {
		return Claims{}, fmt.Errorf("session: %v token where %v was expected: %w", c.Kind, kind, ErrInvalid)
	}
	if c.Account.IsZero() || !c.Expires.After(c.Issued) {
		return Claims{}, fmt.Errorf("session: inconsistent claims: %w", ErrInvalid)
	}
	// A retired key seals nothing new: a token it "issued" after it was
	// retired was not made by this server.
	if !k.retired.IsZero() && c.Issued.After(k.retired) {
		return Claims{}, fmt.Errorf("session: token issued after its key was retired: %w", ErrInvalid)
	}
	now := s.now()
	if c.Issued.After(now.Add(clockSkew)) {
		return Claims{}, fmt.Errorf("session: token issued in the future: %w", ErrInvalid)
	}
	if !now.Before(c.Expires) {
		return Claims{}, fmt.Errorf("session: token expired at %v: %w", c.Expires, ErrExpired)
	}
	return c, nil
}

// EpochFunc returns an account's current session epoch (store.Account.Epoch).
type EpochFunc func(account store.ID) (uint64, error)

// Verify is Open followed by the revocation check: the token's epoch MUST
// be the account's current epoch, else ErrRevoked. An error from epochOf is
// returned as is (an account that no longer exists is the caller's to
// map).
func (s *Sessions) Verify(token string, kind Kind, epochOf EpochFunc) (Claims, error) {
	c, err := s.Open(token, kind)
	if err != nil {
		return Claims{}, err
	}
	cur, err := epochOf(c.Account)
	if err != nil {
		return Claims{}, err
	}
	if c.Epoch != cur {
		return Claims{}, fmt.Errorf("session: token of epoch %d, account at %d: %w", c.Epoch, cur, ErrRevoked)
	}
	return c, nil
}

// Refresh verifies a refresh token and issues an access token with the same
// account, tenant, device and epoch.
func (s *Sessions) Refresh(refresh string, epochOf EpochFunc) (string, Claims, error) {
	c, err := s.Verify(refresh, KindRefresh, epochOf)
	if err != nil {
		return "", Claims{}, err
	}
	c.Kind = KindAccess
	return s.Issue(c)
}
