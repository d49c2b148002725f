package keys

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"vellum.dev/vellum/protocol"
)

// Identity is an age X25519 identity: the private half of a key that other
// keys and files are wrapped to. Account receive keys, device keys, folder
// keys, document keys and tenant recovery keys are all Identities.
type Identity struct {
	_  noCompare
	id *age.X25519Identity
}

// NewIdentity returns a fresh random identity.
func NewIdentity() *Identity {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		panic("keys: generating X25519 identity: " + err.Error())
	}
	return &Identity{id: id}
}

// ParseIdentity parses an identity in age's "AGE-SECRET-KEY-1..." encoding,
// as produced by MarshalSecret. Other forms are refused.
func ParseIdentity(b []byte) (*Identity, error) {
	if len(b) > 128 {
		return nil, fmt.Errorf("keys: identity of %d bytes: %w", len(b), ErrTooLarge)
	}
	id, err := age.ParseX25519Identity(string(b))
	if err != nil {
		return nil, fmt.Errorf("keys: parsing identity: %w", ErrMalformed)
	}
	// age accepts upper and lower case; Vellum writes upper case only.
	if id.String() != string(b) {
		return nil, fmt.Errorf("keys: identity not in canonical form: %w", ErrMalformed)
	}
	return &Identity{id: id}, nil
}

// MarshalSecret returns the identity in age's "AGE-SECRET-KEY-1..." encoding,
// which the stock age tool reads. The caller MUST treat it as a secret.
func (i *Identity) MarshalSecret() []byte { return []byte(i.id.String()) }

// Recipient returns the public half.
func (i *Identity) Recipient() Recipient { return Recipient{r: i.id.Recipient()} }

// Age returns the identity for use with filippo.io/age directly.
func (i *Identity) Age() age.Identity { return i.id }

// Equal reports whether i and o are the same identity, in constant time.
func (i *Identity) Equal(o *Identity) bool {
	return subtle.ConstantTimeCompare([]byte(i.id.String()), []byte(o.id.String())) == 1
}

func (i Identity) String() string                { return redacted }
func (i Identity) GoString() string              { return redacted }
func (i Identity) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (i *Identity) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("keys: refusing to marshal a secret key as JSON")
}

// Recipient is the public half of an Identity, encoded as "age1...". The
// zero Recipient is not valid.
type Recipient struct {
	r *age.X25519Recipient
}

// ParseRecipient parses an "age1..." X25519 recipient in canonical form.
func ParseRecipient(s string) (Recipient, error) {
	if len(s) > 128 {
		return Recipient{}, fmt.Errorf("keys: recipient of %d bytes: %w", len(s), ErrTooLarge)
	}
	r, err := age.ParseX25519Recipient(s)
	if err != nil || r.String() != s {
		return Recipient{}, fmt.Errorf("keys: parsing recipient: %w", ErrMalformed)
	}
	return Recipient{r: r}, nil
}

// String returns the "age1..." encoding.
func (r Recipient) String() string {
	if r.r == nil {
		return ""
	}
	return r.r.String()
}

// IsZero reports whether r is the zero Recipient.
func (r Recipient) IsZero() bool { return r.r == nil }

// Equal reports whether r and o are the same public key.
func (r Recipient) Equal(o Recipient) bool { return r.String() == o.String() }

// Age returns the recipient for use with filippo.io/age directly.
func (r Recipient) Age() age.Recipient { return r.r }

func (r Recipient) MarshalText() ([]byte, error) {
	if r.r == nil {
		return nil, errors.New("keys: marshaling the zero Recipient")
	}
	return []byte(r.r.String()), nil
}

func (r *Recipient) UnmarshalText(b []byte) error {
	p, err := ParseRecipient(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// WrapIdentity encrypts the identity id as a small age file to each of the
// recipients: this is how a folder key reaches a member, a document key
// reaches its folder, and a device gets an account's receive key. The result
// decrypts with the stock age tool and yields id's "AGE-SECRET-KEY-1..." line.
func WrapIdentity(id *Identity, to ...Recipient) ([]byte, error) {
	if len(to) == 0 {
		return nil, errors.New("keys: wrapping to no recipients")
	}
	rs := make([]age.Recipient, len(to))
	for i, r := range to {
		if r.r == nil {
			return nil, errors.New("keys: wrapping to the zero Recipient")
		}
		rs[i] = r.r
	}
	return wrapBytes(id.MarshalSecret(), rs...)
}

// UnwrapIdentity opens a file made by WrapIdentity (or by wrapping an identity
// to any age recipient, such as a link's scrypt recipient) with the given age
// identities. It returns ErrTooLarge, ErrMalformed or ErrWrongKey.
func UnwrapIdentity(wrapped []byte, with ...age.Identity) (*Identity, error) {
	secret, err := unwrapBytes(wrapped, with...)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	return ParseIdentity(secret)
}

func wrapBytes(secret []byte, to ...age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to...)
	if err != nil {
		return nil, fmt.Errorf("keys: wrapping: %w", err)
	}
	if _, err := w.Write(secret); err != nil {
		return nil, fmt.Errorf("keys: wrapping: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keys: wrapping: %w", err)
	}
	return buf.Bytes(), nil
}

func unwrapBytes(wrapped []byte, with ...age.Identity) ([]byte, error) {
	if len(wrapped) > protocol.MaxWrappedKey {
		return nil, fmt.Errorf("keys: wrapped key of %d bytes: %w", len(wrapped), ErrTooLarge)
	}
	r, err := age.Decrypt(bytes.NewReader(wrapped), with...)
	if err != nil {
		return nil, ClassifyAgeError(err)
	}
	secret, err := io.ReadAll(io.LimitReader(r, 256))
	if err != nil {
		return nil, ClassifyAgeError(err)
	}
	return secret, nil
}

// ClassifyAgeError maps an error from age.Decrypt or its reader onto
// ErrWrongKey (no identity matched, a bad header MAC, an altered payload) or
// ErrMalformed (anything else). The result carries a fixed description, not
// age's message: a parse error can quote the input, which may be a secret.
// Packages that open age files wrap its result in their own sentinels.
func ClassifyAgeError(err error) error {
	var noMatch *age.NoIdentityMatchError
	msg := err.Error()
	switch {
	case errors.As(err, &noMatch):
		return fmt.Errorf("%w: no identity matches the file's recipients", ErrWrongKey)
	case strings.Contains(msg, "incorrect passphrase"), strings.Contains(msg, "header MAC"):
		return fmt.Errorf("%w: the age header does not authenticate", ErrWrongKey)
	case strings.Contains(msg, "failed to decrypt"):
		return fmt.Errorf("%w: the age payload does not authenticate", ErrWrongKey)
	case errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(msg, "unexpected EOF"):
		return fmt.Errorf("keys: truncated age file: %w", ErrMalformed)
	}
	return fmt.Errorf("keys: not a valid age file: %w", ErrMalformed)
}

// WrapKey encrypts a symmetric key as a small age file to each of the
// recipients: this is how an account key reaches a trusted device or the
// tenant recovery recipient. The file decrypts with the stock age tool to the
// 32 raw key bytes.
func WrapKey(k *SymmetricKey, to ...age.Recipient) ([]byte, error) {
	if len(to) == 0 {
		return nil, errors.New("keys: wrapping to no recipients")
	}
	return wrapBytes(k.k[:], to...)
}

// UnwrapKey opens a file made by WrapKey with the given age identities. It
// returns ErrTooLarge, ErrMalformed or ErrWrongKey.
func UnwrapKey(wrapped []byte, with ...age.Identity) (*SymmetricKey, error) {
	secret, err := unwrapBytes(wrapped, with...)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	return SymmetricKeyFromBytes(secret)
}
