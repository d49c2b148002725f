package seal_test

import (
	"testing"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/keys/seal"
)

// The helpers here edit encoded statements and seals as generic CBOR, to
// make bytes that the package itself refuses to write.

var detEnc, _ = cbor.CoreDetEncOptions().EncMode()

func decodeMap(t testing.TB, b []byte) map[uint64]any {
	t.Helper()
	var m map[uint64]any
	if err := cbor.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := detEnc.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statementBody returns the signed bytes of st.
func statementBody(t testing.TB, st *seal.SignedStatement) []byte {
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return decodeMap(t, b)[1].([]byte)
}

// alterTime flips the low bit of the signing time inside a signed
// statement, leaving the signature as it was.
func alterTime(t testing.TB, signed []byte) []byte {
	m := decodeMap(t, signed)
	st := decodeMap(t, m[1].([]byte))
	st[5] = st[5].(uint64) ^ 1
	m[1] = encode(t, st)
	return encode(t, m)
}

// shortSignature drops the last byte of the signature.
func shortSignature(t testing.TB, signed []byte) []byte {
	m := decodeMap(t, signed)
	sig := m[2].([]byte)
	m[2] = sig[:len(sig)-1]
	return encode(t, m)
}

// repeatFirstSigner edits an encoded seal to list its first signer twice
// with only the first signer's statement: bytes Marshal refuses to write.
func repeatFirstSigner(t testing.TB, sealBytes []byte) []byte {
	m := decodeMap(t, sealBytes)
	signers, sigs := m[5].([]any), m[6].([]any)
	m[5], m[6] = []any{signers[0], signers[0]}, sigs[:1]
	return encode(t, m)
}
