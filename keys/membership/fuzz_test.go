package membership

import (
	"bytes"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
)

// FuzzParse: no input panics Parse, and whatever it accepts re-encodes to
// exactly the same bytes (only the canonical encoding is accepted).
func FuzzParse(f *testing.F) {
	for _, s := range vectortest.Seeds(f, statementFormat, func(v statementVector) []byte { return v.Signed }) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Parse(b)
		if err != nil {
			return
		}
		again, err := st.Marshal()
		if err != nil {
			t.Fatalf("accepted a statement that does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted a non-canonical statement")
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("re-encoded statement does not parse: %v", err)
		}
	})
}

// FuzzApply: a hostile statement offered after a real chain never panics,
// never changes the state when refused, and is never accepted unless it
// parses and links to the head.
func FuzzApply(f *testing.F) {
	var prefix [][]byte
	var pin Pin
	for _, c := range vectortest.Load[chainVector](f, chainFormat) {
		if c.Name == "recovery-on" {
			for _, s := range c.V.Statements {
				prefix = append(prefix, s)
			}
			pin.TenantID = c.V.TenantID
			copy(pin.Genesis[:], c.V.Pin)
		}
	}
	if prefix == nil {
		f.Fatal("no recovery-on chain vector")
	}
	for _, s := range vectortest.Seeds(f, statementFormat, func(v statementVector) []byte { return v.Signed }) {
		f.Add(s)
	}
	base, err := Verify(prefix, pin)
	if err != nil {
		f.Fatal(err)
	}
	s, err := Verify(prefix, pin) // reused while it stays unchanged
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := s.Apply(b); err != nil {
			if s.Head() != base.Head() || s.Seq() != base.Seq() || len(s.Members()) != len(base.Members()) {
				t.Fatal("a refused statement changed the state")
			}
			return
		}
		st, err := Parse(b)
		if err != nil || st.Prev != base.Head() || st.Seq != base.Seq()+1 {
			t.Fatalf("accepted a statement that does not follow the head: %v", err)
		}
		if s, err = Verify(prefix, pin); err != nil {
			t.Fatal(err)
		}
	})
}
