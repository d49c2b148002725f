package opaque_test

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
)

// fuzzParser seeds a fuzzer with every opaque-messages vector of typ (valid
// and altered) and checks that whatever the parser accepts re-encodes to
// exactly the input: only the canonical form is accepted.
func fuzzParser(f *testing.F, typ string) {
	parse := parsers[typ]
	for _, b := range vectortest.Seeds(f, "opaque-messages", func(v messageVector) []byte {
		if v.Type != typ {
			return nil
		}
		return v.Bytes
	}) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("accepted a non-canonical %s", typ)
		}
	})
}

func FuzzParseRegistrationRequest(f *testing.F)  { fuzzParser(f, "registration_request") }
func FuzzParseRegistrationResponse(f *testing.F) { fuzzParser(f, "registration_response") }
func FuzzParseRegistrationRecord(f *testing.F)   { fuzzParser(f, "registration_record") }
func FuzzParseKE1(f *testing.F)                  { fuzzParser(f, "ke1") }
func FuzzParseKE2(f *testing.F)                  { fuzzParser(f, "ke2") }
func FuzzParseKE3(f *testing.F)                  { fuzzParser(f, "ke3") }
func FuzzParseServerKey(f *testing.F)            { fuzzParser(f, "server_key") }
func FuzzParseServerLoginState(f *testing.F)     { fuzzParser(f, "server_login_state") }
