// Package link makes and opens signing links: the way an external signer,
// who has no Vellum account, reaches one envelope's document.
//
// A link is https://<host>/sign/<envelope id>/<signer id>#<secret>. The
// secret is 256 random bits in the URL fragment, which browsers never send to
// a server. The path names the signer as well as the envelope, so that the
// server checks a PIN against that one signer's verifier and counts wrong
// tries, and locks, per signer link rather than per envelope.
// The PIN is six random digits sent to the signer by another channel (SMS).
// The envelope's document key is wrapped with age's scrypt recipient under
// the passphrase secret ‖ PIN, so opening it needs both. The server releases
// the wrap only after the signer's client proves the PIN with a verifier
// derived from the secret and the PIN; the server stores only a hash of the
// verifier, so neither it nor a thief of its database can test PIN guesses,
// and it counts and limits the tries it does see.
package link

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Errors. Each failure wraps exactly one of these.
var (
	// ErrMalformed: a link, secret, PIN, verifier or wrap is not in its
	// one accepted form. It wraps keys.ErrMalformed.
	ErrMalformed = fmt.Errorf("link: malformed: %w", keys.ErrMalformed)
	// ErrTooLarge: a link over protocol.MaxLinkURL or a wrap over
	// protocol.MaxWrappedKey. It wraps keys.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("link: %w", keys.ErrTooLarge)
	// ErrWrongPIN: a PIN verifier does not match the stored hash: the PIN
	// (or the secret) is wrong.
	ErrWrongPIN = errors.New("link: wrong PIN")
	// ErrWrongKey: the wrap does not open with this secret and PIN (or was
	// altered). It wraps keys.ErrWrongKey.
	ErrWrongKey = fmt.Errorf("link: %w", keys.ErrWrongKey)
	// ErrWorkFactor: the wrap asks for more scrypt work than WorkFactor.
	// Refused before any work is done, so that a hostile server cannot
	// make a signer's browser burn memory and time.
	ErrWorkFactor = errors.New("link: scrypt work factor over the limit")
)

const redacted = "[REDACTED]"

// SecretSize is the size of a link secret in bytes.
const SecretSize = 32

// secretLen is the length of a secret in a link's fragment: unpadded
// base64url of 32 bytes.
var secretLen = base64.RawURLEncoding.EncodedLen(SecretSize)

// Secret is a link's fragment secret: 256 random bits. It is not comparable
// with ==, and prints as [REDACTED].
type Secret struct {
	_ [0]func()
	b [SecretSize]byte
}

// NewSecret returns a fresh random secret.
func NewSecret() *Secret {
	s := new(Secret)
	rand.Read(s.b[:]) // never fails: see crypto/rand.Read
	return s
}

// ParseSecret parses a secret as it appears in a link's fragment: exactly 43
// characters of unpadded base64url in canonical form.
func ParseSecret(f string) (*Secret, error) {
	if len(f) != secretLen {
		return nil, fmt.Errorf("%w: secret of %d characters, want %d", ErrMalformed, len(f), secretLen)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(f)
	if err != nil || len(b) != SecretSize {
		return nil, fmt.Errorf("%w: secret is not canonical base64url", ErrMalformed)
	}
	s := new(Secret)
	copy(s.b[:], b)
	clear(b)
	return s, nil
}

// Fragment returns the secret as it appears in the link's fragment. The
// caller MUST treat it as a secret.
func (s *Secret) Fragment() string { return base64.RawURLEncoding.EncodeToString(s.b[:]) }

// Equal reports whether s and o are the same secret, in constant time.
func (s *Secret) Equal(o *Secret) bool { return subtle.ConstantTimeCompare(s.b[:], o.b[:]) == 1 }

func (s Secret) String() string                { return redacted }
func (s Secret) GoString() string              { return redacted }
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (s *Secret) MarshalJSON() ([]byte, error) {
	return nil, errors.New("link: refusing to marshal a secret as JSON")
}

// PINLength is the number of decimal digits in a PIN.
const PINLength = 6

// PIN is a signer's PIN: six decimal digits, each of the 10^6 values equally
// likely. It is not comparable with ==, and prints as [REDACTED].
type PIN struct {
	_ [0]func()
	d [PINLength]byte // ASCII digits
}

// NewPIN returns a fresh random PIN. The value is drawn uniformly from
// [0, 10^6) by crypto/rand.Int, which rejects and redraws rather than
// reducing modulo 10^6, so no PIN is more likely than another.
func NewPIN() *PIN {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("link: crypto/rand: " + err.Error())
	}
	p := new(PIN)
	copy(p.d[:], fmt.Sprintf("%06d", n.Int64()))
	return p
}

// ParsePIN parses a PIN as a person types it: exactly six ASCII digits.
// Callers MAY strip spaces first; ParsePIN does not.
func ParsePIN(s string) (*PIN, error) {
	if len(s) != PINLength {
		return nil, fmt.Errorf("%w: PIN of %d characters, want %d", ErrMalformed, len(s), PINLength)
	}
	p := new(PIN)
	for i := range PINLength {
		if s[i] < '0' || s[i] > '9' {
			return nil, fmt.Errorf("%w: PIN holds a character that is not a digit", ErrMalformed)
		}
		p.d[i] = s[i]
	}
	return p, nil
}

// Digits returns the PIN's six digits, to send to the signer. The caller
// MUST treat them as a secret.
func (p *PIN) Digits() string { return string(p.d[:]) }

// Equal reports whether p and o are the same PIN, in constant time.
func (p *PIN) Equal(o *PIN) bool { return subtle.ConstantTimeCompare(p.d[:], o.d[:]) == 1 }

func (p PIN) String() string                { return redacted }
func (p PIN) GoString() string              { return redacted }
func (p PIN) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (p *PIN) MarshalJSON() ([]byte, error) {
	return nil, errors.New("link: refusing to marshal a PIN as JSON")
}

// Link is a parsed signing link.
type Link struct {
	// Origin is "https://" and the host, with a port if not 443.
	Origin string
	// EnvelopeID is the envelope's id (protocol.ValidID).
	EnvelopeID string
	// SignerID is the signer's id within the envelope (protocol.ValidID).
	SignerID string
	// Secret is the fragment secret.
	Secret *Secret
}

// New makes a link for one signer of an envelope with a fresh secret.
// origin is "https://host" or "https://host:port", in the form Parse
// accepts.
func New(origin, envelopeID, signerID string) (*Link, error) {
	l := &Link{Origin: origin, EnvelopeID: envelopeID, SignerID: signerID, Secret: NewSecret()}
	if _, err := Parse(l.URL()); err != nil {
		return nil, err
	}
	return l, nil
}

const signPath = "/sign/"

// Path returns the link's path, /sign/<envelope id>/<signer id>: what the
// browser asks the server for, and all of the link the server ever sees.
func (l *Link) Path() string { return signPath + l.EnvelopeID + "/" + l.SignerID }

// URL returns the full link, secret included. The caller MUST treat it as a
// secret: it goes to the signer and nowhere else.
func (l *Link) URL() string {
	return l.Origin + l.Path() + "#" + l.Secret.Fragment()
}

// String returns the link with the secret replaced by [REDACTED], for logs.
func (l *Link) String() string { return l.Origin + l.Path() + "#" + redacted }

// Parse parses a signing link strictly: at most protocol.MaxLinkURL bytes,
// exactly https://<host>[:port]/sign/<envelope id>/<signer id>#<secret>,
// with a lower-case host name, an IPv4 address or a bracketed IPv6 address
// in canonical form, a port (if any) from 1 to 65535 other than 443 without
// leading zeros, valid envelope and signer ids, and a canonical secret.
// Nothing else (user info, query, escapes, trailing slash, other segments)
// is accepted, so that one link has one spelling. Parse returns
// ErrTooLarge or ErrMalformed.
func Parse(s string) (*Link, error) {
	if len(s) > protocol.MaxLinkURL {
		return nil, fmt.Errorf("%w: link of %d bytes", ErrTooLarge, len(s))
	}
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		return nil, fmt.Errorf("%w: link does not start with https://", ErrMalformed)
	}
	hostport, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return nil, fmt.Errorf("%w: link has no path", ErrMalformed)
	}
	if err := checkHostPort(hostport); err != nil {
		return nil, err
	}
	rest, ok = strings.CutPrefix("/"+rest, signPath)
	if !ok {
		return nil, fmt.Errorf("%w: link path is not %s<envelope>/<signer>", ErrMalformed, signPath)
	}
	path, fragment, ok := strings.Cut(rest, "#")
	if !ok {
		return nil, fmt.Errorf("%w: link has no #secret", ErrMalformed)
	}
	// ValidID allows no "/", so a path of other than two segments leaves
	// an invalid id on one side or the other.
	envelope, signer, ok := strings.Cut(path, "/")
	if !ok {
		return nil, fmt.Errorf("%w: link path names no signer", ErrMalformed)
	}
	if !protocol.ValidID(envelope) {
		return nil, fmt.Errorf("%w: envelope id", ErrMalformed)
	}
	if !protocol.ValidID(signer) {
		return nil, fmt.Errorf("%w: signer id", ErrMalformed)
	}
	secret, err := ParseSecret(fragment)
	if err != nil {
		return nil, err
	}
	return &Link{Origin: "https://" + hostport, EnvelopeID: envelope, SignerID: signer, Secret: secret}, nil
}

// checkHostPort accepts host[:port] in the one form Vellum writes.
func checkHostPort(hp string) error {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return fmt.Errorf("%w: link host", ErrMalformed)
		}
		host, port = hp[:end+1], hp[end+1:]
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" || a.Is4In6() || a.String() != host[1:len(host)-1] {
			return fmt.Errorf("%w: link host is not a canonical IPv6 address", ErrMalformed)
		}
	} else {
		if i := strings.IndexByte(hp, ':'); i >= 0 {
			host, port = hp[:i], hp[i:]
		}
		if !validHostName(host) {
			return fmt.Errorf("%w: link host", ErrMalformed)
		}
	}
	if port == "" {
		return nil
	}
	p, ok := strings.CutPrefix(port, ":")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 1 || n > 65535 || n == 443 || strconv.Itoa(n) != p {
		return fmt.Errorf("%w: link port", ErrMalformed)
	}
	return nil
}

// validHostName accepts a lower-case DNS name (which covers IPv4 dotted
// quads and "localhost"): labels of 1 to 63 characters from [a-z0-9-], not
// starting or ending with "-", at most 253 characters in all, no trailing
// dot. Internationalized names are accepted only in their xn-- form.
func validHostName(h string) bool {
	if len(h) == 0 || len(h) > 253 {
		return false
	}
	if strings.Trim(h, "0123456789.") == "" {
		// All digits and dots: an IPv4 address, in canonical form.
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is4() && a.String() == h
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Verifier proves knowledge of the secret and the PIN to the server without
// revealing either: HKDF-SHA-256 with the secret as input keying material,
// no salt, and info protocol.LabelKDFLinkPIN ‖ PIN (six ASCII digits),
// 32 bytes long. The signer's client sends it; the server compares its
// SHA-256 with the stored VerifierHash. It is not comparable with ==, and
// prints as [REDACTED].
type Verifier struct {
	_ [0]func()
	b [32]byte
}

// MakeVerifier derives the verifier of a secret and a PIN.
func MakeVerifier(s *Secret, pin *PIN) *Verifier {
	k := keys.DeriveKey(s.b[:], nil, protocol.LabelKDFLinkPIN+protocol.Label(pin.d[:]))
	b := k.Bytes()
	k.Destroy()
	v := new(Verifier)
	copy(v.b[:], b)
	clear(b)
	return v
}

// ParseVerifier parses a verifier as Encode writes it: 43 characters of
// canonical unpadded base64url.
func ParseVerifier(s string) (*Verifier, error) {
	b, err := decode32(s)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier", ErrMalformed)
	}
	v := new(Verifier)
	copy(v.b[:], b)
	return v, nil
}

// Encode returns the verifier as unpadded base64url, to send to the server.
func (v *Verifier) Encode() string { return base64.RawURLEncoding.EncodeToString(v.b[:]) }

// Hash returns what the server stores: SHA-256 of the verifier.
func (v *Verifier) Hash() VerifierHash { return sha256.Sum256(v.b[:]) }

func (v Verifier) String() string                { return redacted }
func (v Verifier) GoString() string              { return redacted }
func (v Verifier) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }

// VerifierHash is SHA-256 of a Verifier: what the server stores for a link.
// It reveals nothing useful: testing a PIN against it needs the secret,
// which has 256 bits of entropy and never reaches the server.
type VerifierHash [32]byte

// String returns the hash as unpadded base64url.
func (h VerifierHash) String() string { return base64.RawURLEncoding.EncodeToString(h[:]) }

func (h VerifierHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

func (h *VerifierHash) UnmarshalText(b []byte) error {
	p, err := ParseVerifierHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseVerifierHash parses a hash as String writes it.
func ParseVerifierHash(s string) (VerifierHash, error) {
	var h VerifierHash
	b, err := decode32(s)
	if err != nil {
		return h, fmt.Errorf("%w: verifier hash", ErrMalformed)
	}
	copy(h[:], b)
	return h, nil
}

func decode32(s string) ([]byte, error) {
	if len(s) != secretLen {
		return nil, errors.New("wrong length")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("not canonical base64url")
	}
	return b, nil
}

// VerifierMatches reports whether presented is the verifier whose hash is
// stored, comparing the hashes in constant time.
func VerifierMatches(stored VerifierHash, presented *Verifier) bool {
	got := presented.Hash()
	return subtle.ConstantTimeCompare(got[:], stored[:]) == 1
}

// CheckVerifier is VerifierMatches as an error: nil or ErrWrongPIN. The
// server MUST count every ErrWrongPIN against the link and lock it after
// protocol's limit of tries.
func CheckVerifier(stored VerifierHash, presented *Verifier) error {
	if !VerifierMatches(stored, presented) {
		return ErrWrongPIN
	}
	return nil
}
