package protocol_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
)

func jsonRoutes() []*protocol.Route {
	var rs []*protocol.Route
	for i := range protocol.Routes {
		if protocol.Routes[i].Body == protocol.BodyJSON {
			rs = append(rs, &protocol.Routes[i])
		}
	}
	return rs
}

func vectorBody(v apiVector) []byte {
	if v.Body == nil {
		return []byte(v.Raw)
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v.Body) != nil {
		return v.Body
	}
	return buf.Bytes()
}

// FuzzDecodeRequest decodes arbitrary bodies strictly as each request type.
// A refusal MUST carry a code (never CodeInternal); an accepted request
// MUST re-encode to a body that is accepted too and encodes the same again
// (decode → encode is stable), so that client and server read one value.
func FuzzDecodeRequest(f *testing.F) {
	routes := jsonRoutes()
	index := map[string]int{}
	for i, r := range routes {
		index[r.Name] = i
	}
	for _, c := range vectortest.Load[apiVector](f, apiFormat) {
		f.Add(uint16(index[c.V.Route]), vectorBody(c.V))
	}
	f.Fuzz(func(t *testing.T, i uint16, body []byte) {
		r := routes[int(i)%len(routes)]
		v, err := protocol.DecodeRequest(r, body)
		if err != nil {
			if protocol.CodeOf(err) == protocol.CodeInternal {
				t.Fatalf("%s: refusal without a code: %v", r.Name, err)
			}
			return
		}
		e1, err := protocol.EncodeJSON(v)
		if err != nil {
			t.Fatalf("%s: accepted request does not encode: %v", r.Name, err)
		}
		v2, err := protocol.DecodeRequest(r, e1)
		if err != nil {
			t.Fatalf("%s: re-encoded request %s refused: %v", r.Name, e1, err)
		}
		e2, err := protocol.EncodeJSON(v2)
		if err != nil || !bytes.Equal(e1, e2) {
			t.Fatalf("%s: encoding not stable:\n%s\n%s", r.Name, e1, e2)
		}
	})
}
