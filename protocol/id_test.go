package protocol_test

import (
	"encoding/json"
	"testing"

	"vellum.dev/vellum/protocol"
)

func TestID(t *testing.T) {
	id := protocol.ID{15: 1}
	if s := id.String(); s != "AAAAAAAAAAAAAAAAAAAAAQ" || !protocol.ValidID(s) {
		t.Fatalf("text form %s", s)
	}
	if p, err := protocol.ParseID("AAAAAAAAAAAAAAAAAAAAAQ"); err != nil || p != id {
		t.Fatalf("ParseID = %v, %v", p, err)
	}
	b, err := json.Marshal(struct{ ID protocol.ID }{id})
	if err != nil || string(b) != `{"ID":"AAAAAAAAAAAAAAAAAAAAAQ"}` {
		t.Fatalf("JSON %s, %v", b, err)
	}
	var back struct{ ID protocol.ID }
	if err := json.Unmarshal(b, &back); err != nil || back.ID != id {
		t.Fatalf("JSON round trip: %v, %v", back.ID, err)
	}
	// The zero ID, other lengths, padding, other alphabets and non-canonical
	// pad bits.
	for _, bad := range []string{"", "abc", "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAQA",
		"AAAAAAAAAAAAAAAAAAAAAQ==", "AAAAAAAAAAAAAAAAAAAAAR", "AAAAAAAAAAAAAAAAAAAA+A", "AAAAAAAAAAAAAAAAAAAA/A"} {
		if _, err := protocol.ParseID(bad); protocol.CodeOf(err) != protocol.CodeBadRequest {
			t.Errorf("ParseID(%q) = %v", bad, err)
		}
	}
}

// TestNewID: fresh ids are valid, canonical, never zero, and not repeated.
func TestNewID(t *testing.T) {
	seen := map[protocol.ID]bool{}
	for range 1000 {
		id := protocol.NewID()
		if id.IsZero() || seen[id] {
			t.Fatalf("NewID gave %v (zero or repeated)", id)
		}
		seen[id] = true
		if p, err := protocol.ParseID(id.String()); err != nil || p != id || !protocol.ValidID(id.String()) {
			t.Fatalf("NewID's text form %q does not parse back: %v", id.String(), err)
		}
	}
}
