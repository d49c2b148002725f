package membership

import "testing"

// TestVouched: every key the chain ever bound to an account stays vouched
// for it (a member who changed keys, one who left), and no other: not
// another member's, not a key the chain never held.
func TestVouched(t *testing.T) {
	f := newFixture(t)
	full := f.fullChain(t)
	s, err := Verify(full.chain, full.s.Pin())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		account string
		a       *actor
		want    bool
	}{
		{"a present member's key", f.alice.id, f.alice, true},
		{"carol's first key, replaced and then removed with her", f.carol.id, f.carol, true},
		{"carol's second key, which she holds again", f.carol.id, f.carol2, true},
		{"dave's key, though dave left", f.dave.id, f.dave, true},
		{"another member's key", f.carol.id, f.dave, false},
		{"a key the chain never held", f.carol.id, f.mallory, false},
		{"an account the chain never held", f.mallory.id, f.mallory, false},
	} {
		if got := s.Vouched(c.account, c.a.sk.Public()); got != c.want {
			t.Errorf("%s: Vouched = %v, want %v", c.name, got, c.want)
		}
	}
	// Members present are checked with VerifyKeyFor; the left dave is not.
	if _, err := s.VerifyKeyFor(f.dave.id); err == nil {
		t.Error("VerifyKeyFor of a member who left")
	}
	// A state moved forward with Apply vouches alike.
	g, err := Verify(full.chain[:1], full.s.Pin())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range full.chain[1:] {
		if err := g.Apply(st); err != nil {
			t.Fatal(err)
		}
	}
	if !g.Vouched(f.carol.id, f.carol.sk.Public()) || !g.Vouched(f.dave.id, f.dave.sk.Public()) || g.Vouched(f.carol.id, f.mallory.sk.Public()) {
		t.Error("a state built with Apply vouches otherwise")
	}
}
