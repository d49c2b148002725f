package account

import (
	"errors"
	"fmt"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// formatVersion is field 1 of every CBOR format of this package. A new
// version of a format gets a new number; readers refuse numbers they do not
// know.
const formatVersion = 1

// noCompare makes a struct incomparable with ==.
type noCompare [0]func()

const redacted = "[REDACTED]"

// NewAccountKey returns a fresh random account key (AK).
func NewAccountKey() *keys.SymmetricKey { return keys.NewSymmetricKey() }

// Keyring is an account's private keys: an age X25519 identity, to which
// others wrap keys for the account, and an Ed25519 key, with which the
// account signs.
type Keyring struct {
	_  noCompare
	id *keys.Identity
	sk *keys.SigningKey
}

// NewKeyring returns a keyring of fresh random keys.
func NewKeyring() *Keyring {
	return &Keyring{id: keys.NewIdentity(), sk: keys.NewSigningKey()}
}

// NewKeyringFrom makes a keyring of existing keys.
func NewKeyringFrom(id *keys.Identity, sk *keys.SigningKey) *Keyring {
	return &Keyring{id: id, sk: sk}
}

// Identity returns the keyring's age identity.
func (k *Keyring) Identity() *keys.Identity { return k.id }

// SigningKey returns the keyring's Ed25519 key.
func (k *Keyring) SigningKey() *keys.SigningKey { return k.sk }

// Public returns the public halves.
func (k *Keyring) Public() PublicKeyring {
	return PublicKeyring{Recipient: k.id.Recipient(), VerifyKey: k.sk.Public()}
}

// Check returns ErrKeyringMismatch unless k's public halves are pub.
func (k *Keyring) Check(pub PublicKeyring) error {
	if !k.Public().Equal(pub) {
		return ErrKeyringMismatch
	}
	return nil
}

func (k Keyring) String() string                { return redacted }
func (k Keyring) GoString() string              { return redacted }
func (k Keyring) Format(f fmt.State, verb rune) { fmt.Fprint(f, redacted) }
func (k *Keyring) MarshalJSON() ([]byte, error) {
	return nil, errors.New("account: refusing to marshal a keyring as JSON")
}

// keyringCBOR is the keyring's plaintext: {1: 1, 2: identity, 3: seed}.
// The identity is age's "AGE-SECRET-KEY-1..." encoding as a byte string
// (so that the buffer can be cleared), the seed the 32-byte Ed25519 seed.
type keyringCBOR struct {
	Version  uint64 `cbor:"1,keyasint"`
	Identity []byte `cbor:"2,keyasint"`
	Seed     []byte `cbor:"3,keyasint"`
}

// keyringKey derives the keyring's sealing key from AK.
func keyringKey(ak *keys.SymmetricKey) *keys.SymmetricKey {
	b := ak.Bytes()
	defer clear(b)
	return keys.DeriveKey(b, nil, protocol.LabelKDFKeyring)
}

// SealKeyring encrypts the keyring under AK: keys.SealSecret under
// HKDF-SHA-256(AK, no salt, LabelKDFKeyring) with label LabelWrapKeyring,
// over the keyring's deterministic CBOR encoding.
func SealKeyring(ak *keys.SymmetricKey, k *Keyring) ([]byte, error) {
	pt, err := protocol.MarshalCBOR(keyringCBOR{Version: formatVersion, Identity: k.id.MarshalSecret(), Seed: k.sk.Seed()})
	if err != nil {
		return nil, fmt.Errorf("account: encoding keyring: %w", err)
	}
	defer clear(pt)
	kek := keyringKey(ak)
	defer kek.Destroy()
	return keys.SealSecret(kek, protocol.LabelWrapKeyring, pt), nil
}

// OpenKeyring reverses SealKeyring. It returns ErrWrongAccountKey if AK (or
// the ciphertext) is wrong, and errors wrapping keys.ErrMalformed or
// keys.ErrTooLarge for input that is not a sealed keyring.
func OpenKeyring(ak *keys.SymmetricKey, sealed []byte) (*Keyring, error) {
	kek := keyringKey(ak)
	defer kek.Destroy()
	pt, err := keys.OpenSecret(kek, protocol.LabelWrapKeyring, sealed)
	if errors.Is(err, keys.ErrWrongKey) {
		return nil, ErrWrongAccountKey
	} else if err != nil {
		return nil, fmt.Errorf("account: opening keyring: %w", err)
	}
	defer clear(pt)
	return decodeKeyring(pt)
}

// decodeKeyring parses the keyring plaintext, refusing anything but the
// canonical encoding of version 1.
func decodeKeyring(pt []byte) (*Keyring, error) {
	var c keyringCBOR
	if err := protocol.UnmarshalCBOR(pt, &c); err != nil {
		return nil, malformed("keyring", err.Error())
	}
	defer clear(c.Identity)
	defer clear(c.Seed)
	if c.Version != formatVersion {
		return nil, malformed("keyring", fmt.Sprintf("unknown version %d", c.Version))
	}
	id, err := keys.ParseIdentity(c.Identity)
	if err != nil {
		return nil, fmt.Errorf("account: keyring identity: %w", err)
	}
	sk, err := keys.SigningKeyFromSeed(c.Seed)
	if err != nil {
		return nil, fmt.Errorf("account: keyring signing key: %w", err)
	}
	return &Keyring{id: id, sk: sk}, nil
}

// PublicKeyring is the public half of a keyring: what others wrap keys to
// and verify signatures with.
type PublicKeyring struct {
	Recipient keys.Recipient
	VerifyKey keys.VerifyKey
}

// Equal reports whether p and o name the same keys.
func (p PublicKeyring) Equal(o PublicKeyring) bool {
	return p.Recipient.Equal(o.Recipient) && p.VerifyKey == o.VerifyKey
}

// publicKeyringCBOR is the signed body: {1: 1, 2: "age1...", 3: key[32]}.
type publicKeyringCBOR struct {
	Version   uint64 `cbor:"1,keyasint"`
	Recipient string `cbor:"2,keyasint"`
	VerifyKey []byte `cbor:"3,keyasint"`
}

// signedCBOR is a signed statement: {1: body, 2: signature}, where body is
// the canonical CBOR encoding of the statement, kept as bytes so that the
// signature is checked over exactly what was signed.
type signedCBOR struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

// SignedPublic returns the keyring's public halves, self-signed: the
// Ed25519 key signs, under LabelKeyringPublicKey, the body naming both
// keys, so that anyone can check that the published recipient and verify
// key were put together by the holder of the signing key. It does not say
// whose account they are: that is the signed membership's job.
func (k *Keyring) SignedPublic() ([]byte, error) {
	pub := k.Public()
	body, err := protocol.MarshalCBOR(publicKeyringCBOR{Version: formatVersion, Recipient: pub.Recipient.String(), VerifyKey: pub.VerifyKey[:]})
	if err != nil {
		return nil, fmt.Errorf("account: encoding public keyring: %w", err)
	}
	return protocol.MarshalCBOR(signedCBOR{Body: body, Signature: k.sk.Sign(protocol.LabelKeyringPublicKey, body)})
}

// ParseSignedPublicKeyring parses the output of SignedPublic and checks its
// self-signature. It returns errors wrapping keys.ErrMalformed for
// non-canonical or unknown input and keys.ErrBadSignature for a signature
// that does not verify.
func ParseSignedPublicKeyring(b []byte) (PublicKeyring, error) {
	var s signedCBOR
	if err := protocol.UnmarshalCBOR(b, &s); err != nil {
		return PublicKeyring{}, malformed("signed public keyring", err.Error())
	}
	var c publicKeyringCBOR
	if err := protocol.UnmarshalCBOR(s.Body, &c); err != nil {
		return PublicKeyring{}, malformed("public keyring", err.Error())
	}
	if c.Version != formatVersion {
		return PublicKeyring{}, malformed("public keyring", fmt.Sprintf("unknown version %d", c.Version))
	}
	var p PublicKeyring
	var err error
	if p.Recipient, err = keys.ParseRecipient(c.Recipient); err != nil {
		return PublicKeyring{}, fmt.Errorf("account: public keyring recipient: %w", err)
	}
	if len(c.VerifyKey) != len(p.VerifyKey) {
		return PublicKeyring{}, malformed("public keyring", fmt.Sprintf("verify key of %d bytes", len(c.VerifyKey)))
	}
	copy(p.VerifyKey[:], c.VerifyKey)
	if err := p.VerifyKey.Verify(protocol.LabelKeyringPublicKey, s.Body, s.Signature); err != nil {
		return PublicKeyring{}, fmt.Errorf("account: public keyring self-signature: %w", err)
	}
	return p, nil
}
