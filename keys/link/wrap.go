package link

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// WorkFactor is the scrypt work factor (log2 N, with r = 8, p = 1) of a
// link wrap, and the most Unwrap accepts. scrypt's cost here is 2^10 × 1 KiB
// = 1 MiB of memory per unwrap. The passphrase holds a 256-bit secret, so
// the work factor adds no needed strength (nobody can guess the secret, and
// the PIN is checked online, by the server, with a limit of tries); it is
// kept small because the signer's browser pays it. See the benchmarks.
const WorkFactor = protocol.LinkScryptLogN

// passphrase is the age scrypt passphrase of a link wrap: the fragment
// exactly as it appears in the link (43 characters of base64url) followed by
// the six PIN digits, 49 ASCII characters in all. A person holding the link
// and the PIN can open the wrap with the stock age tool by typing both.
func passphrase(s *Secret, pin *PIN) string { return s.Fragment() + pin.Digits() }

// Wrap wraps an envelope's document key for a signing link: an age file to
// an scrypt recipient with the passphrase secret ‖ PIN and work factor
// WorkFactor. Its randomness (the scrypt salt, the file key) is drawn inside.
func Wrap(key *keys.Identity, s *Secret, pin *PIN) ([]byte, error) {
	r, err := age.NewScryptRecipient(passphrase(s, pin))
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	r.SetWorkFactor(WorkFactor)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("link: wrapping: %w", err)
	}
	secret := key.MarshalSecret()
	defer clear(secret)
	if _, err := w.Write(secret); err != nil {
		return nil, fmt.Errorf("link: wrapping: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("link: wrapping: %w", err)
	}
	return buf.Bytes(), nil
}

// Unwrap opens a link wrap with the secret and the PIN. It refuses a wrap
// that is not a single scrypt stanza (ErrMalformed) or that asks for a work
// factor over WorkFactor (ErrWorkFactor) before running scrypt, and returns
// ErrWrongKey if the secret or the PIN is wrong or the wrap was altered.
func Unwrap(wrapped []byte, s *Secret, pin *PIN) (*keys.Identity, error) {
	if len(wrapped) > protocol.MaxWrappedKey {
		return nil, fmt.Errorf("%w: wrap of %d bytes", ErrTooLarge, len(wrapped))
	}
	id, err := age.NewScryptIdentity(passphrase(s, pin))
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	// The bound is set on age's identity too, so that it holds even if the
	// check in boundedScrypt were ever bypassed.
	id.SetMaxWorkFactor(WorkFactor)
	r, err := age.Decrypt(bytes.NewReader(wrapped), boundedScrypt{id})
	if err != nil {
		return nil, classify(err)
	}
	secret, err := io.ReadAll(io.LimitReader(r, 256))
	defer clear(secret)
	if err != nil {
		return nil, classify(err)
	}
	key, err := keys.ParseIdentity(secret)
	if err != nil {
		return nil, fmt.Errorf("%w: wrap does not hold an identity", ErrMalformed)
	}
	return key, nil
}

// boundedScrypt accepts exactly one scrypt stanza whose work factor is
// canonical decimal and at most WorkFactor, and hands it to age.
type boundedScrypt struct{ id *age.ScryptIdentity }

var errNotScrypt = errors.New("not a single scrypt stanza")

func (b boundedScrypt) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "scrypt" || len(stanzas[0].Args) != 2 {
		return nil, errNotScrypt
	}
	w := stanzas[0].Args[1]
	logN, err := strconv.Atoi(w)
	if err != nil || logN < 1 || strconv.Itoa(logN) != w {
		return nil, errNotScrypt
	}
	if logN > WorkFactor {
		return nil, fmt.Errorf("%w: 2^%d, limit 2^%d", ErrWorkFactor, logN, WorkFactor)
	}
	return b.id.Unwrap(stanzas)
}

func classify(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrWorkFactor):
		return err
	case errors.Is(err, errNotScrypt):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case strings.Contains(msg, "work factor too large"):
		return fmt.Errorf("%w: %v", ErrWorkFactor, err)
	}
	if err := keys.ClassifyAgeError(err); errors.Is(err, keys.ErrWrongKey) {
		return fmt.Errorf("%w (%v)", ErrWrongKey, err)
	}
	// age's parse errors can quote the input: do not pass them on.
	return fmt.Errorf("%w: not a valid link wrap", ErrMalformed)
}

// Created is everything the sender's client makes for one signer.
type Created struct {
	// Link goes to the signer (by e-mail), never to the server.
	Link *Link
	// PIN goes to the signer by another channel (SMS).
	PIN *PIN
	// Wrapped and VerifierHash go to the server: it releases Wrapped to
	// whoever presents a verifier whose hash is VerifierHash.
	Wrapped      []byte
	VerifierHash VerifierHash
}

// Create makes a signing link to an envelope for one signer: a fresh secret
// and PIN, the document key wrapped under them, and the verifier hash for the
// server. All randomness is drawn inside.
func Create(origin, envelopeID, signerID string, key *keys.Identity) (*Created, error) {
	l, err := New(origin, envelopeID, signerID)
	if err != nil {
		return nil, err
	}
	pin := NewPIN()
	wrapped, err := Wrap(key, l.Secret, pin)
	if err != nil {
		return nil, err
	}
	return &Created{Link: l, PIN: pin, Wrapped: wrapped, VerifierHash: MakeVerifier(l.Secret, pin).Hash()}, nil
}
