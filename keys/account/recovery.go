package account

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// A recovery code is 128 random bits shown to the user once, as 28
// characters of Crockford's base32 in 7 groups of 4:
//
//	4YTV-MTKX-NX31-X72F-JBS4-FP0K-8W3Q
//
// The 28 characters (140 bits, most significant bit first) are the 16
// bytes of entropy followed by a 12-bit checksum: the first 12 bits of
// SHA-256(LabelRecoveryCodeCheck ‖ entropy). The checksum catches a
// mistyped code (all but 1 in 4096) before any key is derived, so that
// ErrWrongRecoveryCode means a wrong code, not a typo.
const (
	crockford        = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	recoveryCodeLen  = 28
	recoveryGroupLen = 4
)

// RecoveryCode is a recovery code's 128-bit entropy.
type RecoveryCode struct {
	_ noCompare
	b [16]byte
}

// NewRecoveryCode returns a fresh random code.
func NewRecoveryCode() *RecoveryCode {
	c := new(RecoveryCode)
	rand.Read(c.b[:])
	return c
}

func (c *RecoveryCode) checksum() [2]byte {
	h := sha256.New()
	h.Write([]byte(protocol.LabelRecoveryCodeCheck))
	h.Write(c.b[:])
	var sum [2]byte
	copy(sum[:], h.Sum(nil))
	sum[1] &= 0xf0 // 12 bits
	return sum
}

// Reveal returns the code in its one display form. It is for showing the
// code to its owner once; the caller MUST NOT log or store it.
func (c *RecoveryCode) Reveal() string {
	var bits [18]byte // 140 bits used
	copy(bits[:], c.b[:])
	sum := c.checksum()
	copy(bits[16:], sum[:])
	var sb strings.Builder
	for i := range recoveryCodeLen {
		if i > 0 && i%recoveryGroupLen == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(crockford[get5(bits[:], i)])
	}
	clear(bits[:])
	return sb.String()
}

// get5 returns the i-th 5-bit group of b, most significant bit first.
func get5(b []byte, i int) byte {
	var v byte
	for j := range 5 {
		bit := i*5 + j
		v = v<<1 | (b[bit/8]>>(7-bit%8))&1
	}
	return v
}

func put5(b []byte, i int, v byte) {
	for j := range 5 {
		bit := i*5 + j
		b[bit/8] |= ((v >> (4 - j)) & 1) << (7 - bit%8)
	}
}

// ParseRecoveryCode reads a code as a person typed it: case, spaces and
// dashes do not matter, and O, I and L are read as 0, 1 and 1 (Crockford).
// Every spelling maps to the one code that Reveal prints. It returns
// ErrRecoveryCodeTypo for a checksum mismatch and other errors wrapping
// keys.ErrMalformed for text that cannot be a code. Errors never echo the
// input.
func ParseRecoveryCode(s string) (*RecoveryCode, error) {
	if len(s) > protocol.MaxRecoveryCodeText {
		return nil, fmt.Errorf("account: recovery code of %d bytes: %w", len(s), keys.ErrTooLarge)
	}
	var bits [18]byte
	defer clear(bits[:])
	n := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '-' || ch == '\t':
			continue
		case ch >= 'a' && ch <= 'z':
			ch -= 'a' - 'A'
		}
		switch ch {
		case 'O':
			ch = '0'
		case 'I', 'L':
			ch = '1'
		}
		v := strings.IndexByte(crockford, ch)
		if v < 0 {
			return nil, malformed("recovery code", fmt.Sprintf("character %d is not in the code alphabet", i+1))
		}
		if n == recoveryCodeLen {
			return nil, malformed("recovery code", fmt.Sprintf("more than %d characters", recoveryCodeLen))
		}
		put5(bits[:], n, byte(v))
		n++
	}
	if n != recoveryCodeLen {
		return nil, malformed("recovery code", fmt.Sprintf("%d characters, want %d", n, recoveryCodeLen))
	}
	c := new(RecoveryCode)
	copy(c.b[:], bits[:16])
	sum := c.checksum()
	if subtle.ConstantTimeCompare(sum[:], bits[16:]) != 1 {
		return nil, ErrRecoveryCodeTypo
	}
	return c, nil
}

// Equal reports whether c and o are the same code, in constant time.
func (c *RecoveryCode) Equal(o *RecoveryCode) bool {
	return subtle.ConstantTimeCompare(c.b[:], o.b[:]) == 1
}

func (c RecoveryCode) String() string                { return redacted }
func (c RecoveryCode) GoString() string              { return redacted }
func (c RecoveryCode) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (c *RecoveryCode) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("account: refusing to marshal a recovery code as JSON")
}

// recoveryKey is HKDF-SHA-256(entropy, no salt, LabelKDFRecoveryCode). With
// 128 bits of entropy the code needs no stretching and no salt.
func (c *RecoveryCode) key() *keys.SymmetricKey {
	return keys.DeriveKey(c.b[:], nil, protocol.LabelKDFRecoveryCode)
}

// WrapForRecoveryCode wraps AK under the recovery code.
func WrapForRecoveryCode(ak *keys.SymmetricKey, code *RecoveryCode) ([]byte, error) {
	kek := code.key()
	defer kek.Destroy()
	return marshalWrap(wrapCBOR{Method: MethodRecoveryCode, Sealed: sealAK(ak, kek)})
}

// WithRecoveryCode unlocks recovery code wraps.
func WithRecoveryCode(code *RecoveryCode) Unlocker { return recoveryUnlocker{code} }

type recoveryUnlocker struct{ code *RecoveryCode }

func (u recoveryUnlocker) Unlock(w *Wrap) (*keys.SymmetricKey, error) {
	if w.c.Method != MethodRecoveryCode {
		return nil, wrongMethod(w, MethodRecoveryCode)
	}
	kek := u.code.key()
	defer kek.Destroy()
	return openAK(w, kek, ErrWrongRecoveryCode)
}
