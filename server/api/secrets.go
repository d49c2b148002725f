package api

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// secrets are the keys derived from the server's state secret: the AEAD
// that seals OPAQUE login states into loginId tokens, and the MAC key of
// e-mailed codes and lock-out keys.
type secrets struct {
	_       [0]func()
	aead    cipher.AEAD
	codeKey [32]byte
	// signer seals signer sessions (h_envelopes_session.go).
	signer cipher.AEAD
}

func newSecrets(secret []byte) (*secrets, error) {
	if secret == nil {
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	if len(secret) < 32 {
		return nil, errors.New("api: the state secret must be at least 32 bytes")
	}
	s := new(secrets)
	k := keys.DeriveKey(secret, nil, protocol.LabelKDFLoginState)
	kb := k.Bytes()
	defer clear(kb)
	k.Destroy()
	var err error
	if s.aead, err = chacha20poly1305.NewX(kb); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	sk := keys.DeriveKey(secret, nil, protocol.LabelKDFSignerSession)
	skb := sk.Bytes()
	defer clear(skb)
	sk.Destroy()
	if s.signer, err = chacha20poly1305.NewX(skb); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	ck := keys.DeriveKey(secret, nil, protocol.LabelKDFCodeMAC)
	cb := ck.Bytes()
	copy(s.codeKey[:], cb)
	clear(cb)
	ck.Destroy()
	return s, nil
}

func (*secrets) String() string { return "[REDACTED]" }

// Login-state tokens (SPEC part 20, server state between KE2 and KE3): the
// loginId the client echoes with KE3 is
//
//	version 0x01 ‖ nonce[24] ‖ XChaCha20-Poly1305(expires[8, Unix seconds] ‖
//	  account[16, zero for an unknown address] ‖ lock-out tag[32] ‖ login state,
//	  ad = LabelLoginStateAD ‖ 0x0A ‖ 0x01)
//
// in unpadded base64url. It lives loginStateTTL; the server refuses one it
// cannot open, one past its expiry, and one it has seen before.
const (
	loginTokenVersion = 0x01
	loginStateTTL     = 60 * time.Second
)

var b64url = base64.RawURLEncoding.Strict()

// loginState is what a login-state token carries.
type loginState struct {
	expires time.Time
	account store.ID
	tag     [32]byte // the lock-out tag of the e-mail address
	state   *opaque.ServerLoginState
}

func (s *secrets) sealLogin(ls *loginState) (string, error) {
	st := ls.state.MarshalSecret()
	defer clear(st)
	pt := binary.BigEndian.AppendUint64(nil, uint64(ls.expires.Unix()))
	pt = append(pt, ls.account[:]...)
	pt = append(pt, ls.tag[:]...)
	pt = append(pt, st...)
	defer clear(pt)
	return s.sealLoginPlaintext(pt)
}

// sealLoginPlaintext seals the plaintext of a login-state token with a
// fresh random nonce.
func (s *secrets) sealLoginPlaintext(pt []byte) (string, error) {
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(pt)+s.aead.Overhead())
	out[0] = loginTokenVersion
	rand.Read(out[1:])
	out = s.aead.Seal(out, out[1:], pt, loginAD())
	tok := b64url.EncodeToString(out)
	if len(tok) > protocol.MaxTokenLength {
		return "", errors.New("api: login state token over MaxTokenLength")
	}
	return tok, nil
}

func loginAD() []byte {
	return append([]byte(protocol.LabelLoginStateAD), 0x0a, loginTokenVersion)
}

var (
	errLoginToken   = protocol.Errorf(protocol.CodeAuthFailed, "the login is not valid; start again")
	errLoginExpired = protocol.Errorf(protocol.CodeExpired, "the login took too long; start again")
)

// openLogin opens a login-state token. now is the clock.
func (s *secrets) openLogin(tok string, now time.Time) (*loginState, error) {
	b, err := b64url.DecodeString(tok)
	if err != nil || len(b) < 1+chacha20poly1305.NonceSizeX+s.aead.Overhead() || b[0] != loginTokenVersion {
		return nil, errLoginToken
	}
	n := 1 + chacha20poly1305.NonceSizeX
	pt, err := s.aead.Open(nil, b[1:n], b[n:], loginAD())
	if err != nil || len(pt) < 8+16+32 {
		return nil, errLoginToken
	}
	defer clear(pt)
	ls := &loginState{expires: time.Unix(int64(binary.BigEndian.Uint64(pt)), 0)}
	copy(ls.account[:], pt[8:24])
	copy(ls.tag[:], pt[24:56])
	if !now.Before(ls.expires) {
		return nil, errLoginExpired
	}
	if ls.state, err = opaque.ParseServerLoginState(pt[56:]); err != nil {
		return nil, errLoginToken
	}
	return ls, nil
}

// codeMAC is the stored form of an e-mailed code: HMAC-SHA-256 under the
// code key of purpose ‖ 0x0A ‖ the record's ID ‖ code. A database copy
// does not give the code away, and a MAC made for one record or purpose
// does not check for another.
func (s *secrets) codeMAC(purpose string, id store.ID, code string) []byte {
	m := hmac.New(sha256.New, s.codeKey[:])
	m.Write([]byte(purpose))
	m.Write([]byte{0x0a})
	m.Write(id[:])
	m.Write([]byte(code))
	return m.Sum(nil)
}

// checkCode compares a typed code with a stored MAC in constant time.
func (s *secrets) checkCode(purpose string, id store.ID, code string, mac []byte) bool {
	return hmac.Equal(s.codeMAC(purpose, id, code), mac)
}

// emailTag is the lock-out and rate-limit tag of an e-mail address: a MAC,
// so the lock-out table in the database does not list addresses.
func (s *secrets) emailTag(normalized string) [32]byte {
	m := hmac.New(sha256.New, s.codeKey[:])
	m.Write([]byte("email\n"))
	m.Write([]byte(normalized))
	var t [32]byte
	copy(t[:], m.Sum(nil))
	return t
}

// newCode returns a uniformly random code of protocol.MinCodeLength digits.
func newCode() string {
	max := big.NewInt(1)
	for range protocol.MinCodeLength {
		max.Mul(max, big.NewInt(10))
	}
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("%0*d", protocol.MinCodeLength, n)
}

// newToken returns 32 random bytes in unpadded base64url (invite tokens).
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return b64url.EncodeToString(b)
}

// usedTokens remembers the login-state tokens already presented until they
// expire, so that each completes at most one login.
type usedTokens struct {
	mu sync.Mutex
	m  map[[32]byte]time.Time
}

// use marks tok as used and reports whether it was unused.
func (u *usedTokens) use(tok string, expires, now time.Time) bool {
	h := sha256.Sum256([]byte(tok))
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) > 4096 {
		u.pruneLocked(now)
	}
	if _, ok := u.m[h]; ok {
		return false
	}
	u.m[h] = expires
	return true
}

func (u *usedTokens) prune(now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pruneLocked(now)
}

func (u *usedTokens) pruneLocked(now time.Time) {
	for k, exp := range u.m {
		if !now.Before(exp) {
			delete(u.m, k)
		}
	}
}
