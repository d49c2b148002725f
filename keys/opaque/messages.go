package opaque

import (
	"bytes"
	"fmt"

	"github.com/bytemare/opaque/message"
)

// Each message type holds its canonical bytes and bytemare's parsed form.
// Parsers check, in this order: the exact length (which is also the size
// limit), the version byte, bytemare's decoding (valid, non-identity,
// canonically encoded ristretto255 elements; non-zero nonces and MACs), and
// that the parsed message encodes back to exactly the input.

// parse is the common part of every message parser.
func parse[M interface{ Serialize() []byte }](what string, b []byte, size int, decode func([]byte) (M, error)) (M, []byte, error) {
	var zero M
	if len(b) != size {
		return zero, nil, malformed(what, fmt.Sprintf("%d bytes, want %d", len(b), size))
	}
	if b[0] != Version {
		return zero, nil, malformed(what, fmt.Sprintf("unknown version %#x", b[0]))
	}
	raw := bytes.Clone(b)
	m, err := decode(raw[1:])
	if err != nil {
		return zero, nil, classify("parsing "+what, err)
	}
	if !bytes.Equal(m.Serialize(), raw[1:]) {
		return zero, nil, malformed(what, "not in canonical form")
	}
	return m, raw, nil
}

func withVersion(body []byte) []byte { return append([]byte{Version}, body...) }

// RegistrationRequest is the client's first registration message.
type RegistrationRequest struct {
	raw []byte
	m   *message.RegistrationRequest
}

// ParseRegistrationRequest parses a RegistrationRequest of exactly
// RegistrationRequestSize bytes.
func ParseRegistrationRequest(b []byte) (*RegistrationRequest, error) {
	m, raw, err := parse("registration request", b, RegistrationRequestSize, deserializer.RegistrationRequest)
	if err != nil {
		return nil, err
	}
	return &RegistrationRequest{raw: raw, m: m}, nil
}

// Bytes returns the message's encoding: Version ‖ blinded element[32].
func (r *RegistrationRequest) Bytes() []byte { return bytes.Clone(r.raw) }

// RegistrationResponse is the server's registration message.
type RegistrationResponse struct {
	raw []byte
	m   *message.RegistrationResponse
}

// ParseRegistrationResponse parses a RegistrationResponse of exactly
// RegistrationResponseSize bytes.
func ParseRegistrationResponse(b []byte) (*RegistrationResponse, error) {
	m, raw, err := parse("registration response", b, RegistrationResponseSize, deserializer.RegistrationResponse)
	if err != nil {
		return nil, err
	}
	return &RegistrationResponse{raw: raw, m: m}, nil
}

// Bytes returns Version ‖ evaluated element[32] ‖ server public key[32].
func (r *RegistrationResponse) Bytes() []byte { return bytes.Clone(r.raw) }

// RegistrationRecord is what the client uploads at the end of registration
// and what the server stores for the account. It is not secret in the sense
// of a key, but with the ServerKey it allows an offline guessing attack, so
// the two MUST be stored apart.
type RegistrationRecord struct {
	raw []byte
	m   *message.RegistrationRecord
}

// ParseRegistrationRecord parses a RegistrationRecord of exactly
// RegistrationRecordSize bytes.
func ParseRegistrationRecord(b []byte) (*RegistrationRecord, error) {
	m, raw, err := parse("registration record", b, RegistrationRecordSize, deserializer.RegistrationRecord)
	if err != nil {
		return nil, err
	}
	return &RegistrationRecord{raw: raw, m: m}, nil
}

// Bytes returns Version ‖ client public key[32] ‖ masking key[64] ‖
// envelope (nonce[32] ‖ auth tag[64]).
func (r *RegistrationRecord) Bytes() []byte { return bytes.Clone(r.raw) }

// KE1 is the client's first login message.
type KE1 struct {
	raw []byte
	m   *message.KE1
}

// ParseKE1 parses a KE1 of exactly KE1Size bytes.
func ParseKE1(b []byte) (*KE1, error) {
	m, raw, err := parse("KE1", b, KE1Size, deserializer.KE1)
	if err != nil {
		return nil, err
	}
	return &KE1{raw: raw, m: m}, nil
}

// Bytes returns Version ‖ blinded element[32] ‖ client nonce[32] ‖ client
// key share[32].
func (m *KE1) Bytes() []byte { return bytes.Clone(m.raw) }

// KE2 is the server's login message.
type KE2 struct {
	raw []byte
	m   *message.KE2
}

// ParseKE2 parses a KE2 of exactly KE2Size bytes.
func ParseKE2(b []byte) (*KE2, error) {
	m, raw, err := parse("KE2", b, KE2Size, deserializer.KE2)
	if err != nil {
		return nil, err
	}
	return &KE2{raw: raw, m: m}, nil
}

// Bytes returns Version ‖ evaluated element[32] ‖ masking nonce[32] ‖
// masked response[128] ‖ server nonce[32] ‖ server key share[32] ‖ server
// MAC[64].
func (m *KE2) Bytes() []byte { return bytes.Clone(m.raw) }

// KE3 is the client's last login message.
type KE3 struct {
	raw []byte
	m   *message.KE3
}

// ParseKE3 parses a KE3 of exactly KE3Size bytes.
func ParseKE3(b []byte) (*KE3, error) {
	m, raw, err := parse("KE3", b, KE3Size, deserializer.KE3)
	if err != nil {
		return nil, err
	}
	return &KE3{raw: raw, m: m}, nil
}

// Bytes returns Version ‖ client MAC[64].
func (m *KE3) Bytes() []byte { return bytes.Clone(m.raw) }
