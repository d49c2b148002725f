package membership

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

func TestFullChain(t *testing.T) {
	f := newFixture(t)
	b := f.fullChain(t)
	s, err := Verify(b.chain, b.s.Pin())
	if err != nil {
		t.Fatal(err)
	}
	if s.Seq() != 10 || s.Head() != b.s.Head() || s.TenantID() != f.tenant {
		t.Fatalf("seq %d, tenant %s", s.Seq(), s.TenantID())
	}
	want := []Member{f.alice.member(protocol.RoleOwner), f.bob.member(protocol.RoleAdmin), f.carol2.member(protocol.RoleMember)}
	got := s.Members()
	if len(got) != len(want) {
		t.Fatalf("%d members, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].AccountID != want[i].AccountID || got[i].Role != want[i].Role || got[i].Email != want[i].Email ||
			got[i].VerifyKey != want[i].VerifyKey || !got[i].Recipient.Equal(want[i].Recipient) {
			t.Errorf("member %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, on := s.Recovery(); on {
		t.Error("recovery still on")
	}
	if _, _, err := s.RecoveryWrapTo(); !errors.Is(err, ErrRecoveryDisabled) {
		t.Errorf("RecoveryWrapTo: %v", err)
	}
	// The pin from first use verifies the same chain; the state is the same.
	s2, err := VerifyFirstUse(b.chain, f.tenant)
	if err != nil || s2.Pin() != s.Pin() || s2.Head() != s.Head() {
		t.Fatalf("first use: %v", err)
	}
}

func TestCases(t *testing.T) {
	f := newFixture(t)
	for _, c := range f.cases(t) {
		t.Run(c.name, func(t *testing.T) {
			s, err := Verify(c.chain, c.pin)
			if c.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, c.err) || s != nil {
				t.Fatalf("got %v, want %v", err, c.err)
			}
			var se *StatementError
			if errors.As(err, &se) == c.noIndex || (!c.noIndex && se.Index != c.index) {
				t.Fatalf("error %v: want index %d", err, c.index)
			}
			if c.pre == nil {
				return
			}
			// An honest client's Append refuses the same change, and
			// Apply of the refused statement leaves the state as it was.
			if _, err := c.pre.s.Append(c.by.id, c.by.sk, c.change, f.at(99)); !errors.Is(err, c.err) {
				t.Errorf("Append: got %v, want %v", err, c.err)
			}
			head, seq, n := c.pre.s.Head(), c.pre.s.Seq(), len(c.pre.s.Members())
			if err := c.pre.s.Apply(c.chain[len(c.chain)-1]); !errors.Is(err, c.err) {
				t.Errorf("Apply: got %v, want %v", err, c.err)
			}
			if c.pre.s.Head() != head || c.pre.s.Seq() != seq || len(c.pre.s.Members()) != n {
				t.Error("a refused statement changed the state")
			}
		})
	}
}

// TestRecipientFor is the point of the package: the recipient a client
// wraps to comes from the chain, and one the server offers is checked.
func TestRecipientFor(t *testing.T) {
	f := newFixture(t)
	s := f.fullChain(t).s
	r, err := s.RecipientFor(f.bob.id)
	if err != nil || !r.Equal(f.bob.idy.Recipient()) {
		t.Fatalf("RecipientFor(bob) = %v, %v", r, err)
	}
	if err := s.CheckRecipient(f.bob.id, f.bob.idy.Recipient()); err != nil {
		t.Errorf("CheckRecipient(bob's own key): %v", err)
	}
	if err := s.CheckRecipient(f.bob.id, f.mallory.idy.Recipient()); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("CheckRecipient(a key the server slipped in): %v", err)
	}
	if err := s.CheckRecipient(f.bob.id, keys.Recipient{}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("CheckRecipient(zero): %v", err)
	}
	// carol's keys were replaced: the old recipient no longer counts.
	if err := s.CheckRecipient(f.carol.id, f.carol.idy.Recipient()); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("CheckRecipient(carol's old key): %v", err)
	}
	for _, id := range []string{f.dave.id, f.mallory.id} { // left; never a member
		if _, err := s.RecipientFor(id); !errors.Is(err, ErrUnknownMember) {
			t.Errorf("RecipientFor(%s): %v", id, err)
		}
		if _, err := s.VerifyKeyFor(id); !errors.Is(err, ErrUnknownMember) {
			t.Errorf("VerifyKeyFor(%s): %v", id, err)
		}
	}
	if vk, err := s.VerifyKeyFor(f.carol.id); err != nil || vk != f.carol2.sk.Public() {
		t.Errorf("VerifyKeyFor(carol) = %v, %v", vk, err)
	}
}

func TestRecoveryState(t *testing.T) {
	f := newFixture(t)
	s := f.fullChain(t).upTo(7).s
	rec, on := s.Recovery()
	if !on || rec.Threshold != 2 || len(rec.Holders) != 2 || rec.Holders[0].AccountID != f.alice.id ||
		!rec.Holders[1].Recipient.Equal(f.bobShare.Recipient()) {
		t.Fatalf("recovery %+v, %v", rec, on)
	}
	rec.Holders[0].AccountID = "changed" // the caller's copy only
	if again, _ := s.Recovery(); again.Holders[0].AccountID != f.alice.id {
		t.Error("Recovery returned the state's own slice")
	}
	m, admins, err := s.RecoveryWrapTo()
	if err != nil || m != 2 || len(admins) != 2 || !admins[0].Equal(f.alice2.Recipient()) || !admins[1].Equal(f.bobShare.Recipient()) {
		t.Errorf("RecoveryWrapTo = %d, %v, %v", m, admins, err)
	}
}

// TestKeyRotationTakesEffect: after UpdateKeys, the old key no longer signs
// for the member and the new one does.
func TestKeyRotationTakesEffect(t *testing.T) {
	f := newFixture(t)
	b := f.fullChain(t).upTo(6) // carol (member) has new keys; make her admin to let her sign
	b.add(f.alice, ChangeRole{AccountID: f.carol.id, Role: protocol.RoleAdmin})
	c := AddMember{Member: f.mallory.member(protocol.RoleMember)}
	if _, err := b.s.Append(f.carol.id, f.carol.sk, c, f.at(50)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Append with carol's old key: %v", err)
	}
	if err := b.s.Apply(b.forge(f.carol, f.carol.sk, c, nil)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Apply of a statement under carol's old key: %v", err)
	}
	b.add(f.carol2, c)
}

func TestVerifyPins(t *testing.T) {
	f := newFixture(t)
	b := f.fullChain(t)
	if _, err := Verify(b.chain, Pin{}); !errors.Is(err, ErrPinMismatch) {
		t.Errorf("zero pin: %v", err)
	}
	if _, err := Verify(b.chain, Pin{TenantID: f.tenant}); !errors.Is(err, ErrPinMismatch) {
		t.Errorf("pin without a hash: %v", err)
	}
	if _, err := VerifyFirstUse(b.chain, "tenant-other"); !errors.Is(err, ErrPinMismatch) {
		t.Errorf("first use of another tenant id: %v", err)
	}
	// A genesis that is not self-signed is refused even on first use.
	forged := flip(b.chain[0], len(b.chain[0])-1)
	if _, err := VerifyFirstUse([][]byte{forged}, f.tenant); !errors.Is(err, ErrBadSignature) {
		t.Errorf("first use of a genesis with a bad signature: %v", err)
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t)
	b := f.genesis(t)
	if _, err := Parse(make([]byte, protocol.MaxStatement+1)); !errors.Is(err, ErrTooLarge) || !errors.Is(err, keys.ErrTooLarge) {
		t.Errorf("oversize statement: %v", err)
	}
	long := make([][]byte, protocol.MaxMembershipChain+1)
	long[0] = b.chain[0]
	if _, err := Verify(long, b.s.Pin()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize chain: %v", err)
	}
	var hs []Holder
	for i := range protocol.MaxRecoveryAdmins + 1 {
		hs = append(hs, Holder{AccountID: "acct-" + string(rune('a'+i)), Recipient: f.alice2.Recipient()})
	}
	_, err := b.s.Append(f.alice.id, f.alice.sk, EnableRecovery{Recovery: Recovery{Threshold: 1, Holders: hs}}, f.at(1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many holders: %v", err)
	}
}

func TestAppendMisuse(t *testing.T) {
	f := newFixture(t)
	b := f.fullChain(t).upTo(4)
	c := AddMember{Member: f.mallory.member(protocol.RoleMember)}
	if _, err := b.s.Append(f.alice.id, f.bob.sk, c, f.at(9)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another member's key: %v", err)
	}
	if _, err := b.s.Append(f.mallory.id, f.mallory.sk, c, f.at(9)); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("unknown signer: %v", err)
	}
	if _, err := b.s.Append(f.alice.id, f.alice.sk, Genesis{Owner: f.alice.member(protocol.RoleOwner)}, f.at(9)); err == nil {
		t.Error("Append of a genesis")
	}
	if _, err := b.s.Append(f.alice.id, f.alice.sk, nil, f.at(9)); err == nil {
		t.Error("Append of nil")
	}
	if _, err := b.s.Append(f.alice.id, f.alice.sk, c, time.Unix(0, 0)); err == nil {
		t.Error("Append at time 0")
	}
	bad := []struct {
		name string
		c    Change
	}{
		{"no recipient", AddMember{Member: Member{AccountID: "acct-x", Email: "x@example.com", Role: protocol.RoleMember, VerifyKey: f.bob.sk.Public()}}},
		{"no role", AddMember{Member: Member{AccountID: "acct-x", Email: "x@example.com", VerifyKey: f.bob.sk.Public(), Recipient: f.alice2.Recipient()}}},
		{"bad id", RemoveMember{AccountID: "acct x"}},
		{"bad email", AddMember{Member: Member{AccountID: "acct-x", Email: "x", Role: protocol.RoleMember, VerifyKey: f.bob.sk.Public(), Recipient: f.alice2.Recipient()}}},
		{"zero verify key", UpdateKeys{AccountID: f.bob.id, Recipient: f.alice2.Recipient()}},
		{"unknown role", ChangeRole{AccountID: f.bob.id, Role: 9}},
		{"threshold 0", EnableRecovery{Recovery: Recovery{Holders: []Holder{{AccountID: f.alice.id, Recipient: f.alice2.Recipient()}}}}},
		{"threshold over holders", EnableRecovery{Recovery: Recovery{Threshold: 2, Holders: []Holder{{AccountID: f.alice.id, Recipient: f.alice2.Recipient()}}}}},
		{"holders unsorted", EnableRecovery{Recovery: Recovery{Threshold: 1, Holders: []Holder{{AccountID: f.bob.id, Recipient: f.alice2.Recipient()}, {AccountID: f.alice.id, Recipient: f.alice2.Recipient()}}}}},
		{"holder twice", EnableRecovery{Recovery: Recovery{Threshold: 1, Holders: []Holder{{AccountID: f.bob.id, Recipient: f.alice2.Recipient()}, {AccountID: f.bob.id, Recipient: f.alice2.Recipient()}}}}},
	}
	for _, tc := range bad {
		if _, err := b.s.Append(f.alice.id, f.alice.sk, tc.c, f.at(9)); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestNewGenesisMisuse(t *testing.T) {
	f := newFixture(t)
	if _, err := NewGenesis(f.tenant, f.alice.member(protocol.RoleOwner), f.bob.sk, f.at(0)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another key: %v", err)
	}
	if _, err := NewGenesis(f.tenant, f.alice.member(protocol.RoleAdmin), f.alice.sk, f.at(0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("owner not an owner: %v", err)
	}
	if _, err := NewGenesis("bad tenant", f.alice.member(protocol.RoleOwner), f.alice.sk, f.at(0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad tenant id: %v", err)
	}
}

func TestStatementRoundTrip(t *testing.T) {
	f := newFixture(t)
	for i, signed := range f.fullChain(t).chain {
		st, err := Parse(signed)
		if err != nil {
			t.Fatal(err)
		}
		again, err := st.Marshal()
		if err != nil || !bytes.Equal(again, signed) || !bytes.Equal(st.Bytes(), signed) {
			t.Fatalf("statement %d does not round-trip: %v", i, err)
		}
		if st.Seq != uint64(i) || st.Time != f.at(i) || st.Kind().String() == "" || strings.HasPrefix(st.Kind().String(), "kind(") {
			t.Errorf("statement %d: seq %d, time %v, kind %v", i, st.Seq, st.Time, st.Kind())
		}
	}
	if Kind(99).String() != "kind(99)" {
		t.Error(Kind(99).String())
	}
}

func TestStatementErrorMessage(t *testing.T) {
	f := newFixture(t)
	b := f.fullChain(t).upTo(4)
	err := b.s.Apply(b.forge(f.bob, f.bob.sk, AddMember{Member: f.mallory.member(protocol.RoleAdmin)}, nil))
	if err == nil || !strings.Contains(err.Error(), "statement 4") || !strings.Contains(err.Error(), "acct-bob") {
		t.Errorf("message %q should name the statement and the signer", err)
	}
}

// TestCode: every sentinel maps to the code the spec's table gives it.
func TestCode(t *testing.T) {
	for err, want := range map[error]protocol.Code{
		ErrMalformed: protocol.CodeBadEncoding, ErrTooLarge: protocol.CodeTooLarge, ErrUnsupported: protocol.CodeUnsupported,
		ErrBadSignature: protocol.CodeBadSignature, ErrBrokenChain: protocol.CodeBadChain, ErrStale: protocol.CodeConflict,
		ErrPinMismatch: protocol.CodeBadChain, ErrNotAuthorized: protocol.CodeForbidden, ErrUnknownMember: protocol.CodeNotFound,
		ErrAlreadyMember: protocol.CodeConflict, ErrLastOwner: protocol.CodeConflict, ErrNoChange: protocol.CodeConflict,
		ErrRecoveryHolder: protocol.CodeConflict, ErrKeyMismatch: protocol.CodeBadChain, errors.New("other"): protocol.CodeInternal,
	} {
		if got := Code(&StatementError{Index: 3, Err: fmt.Errorf("wrapped: %w", err)}); got != want {
			t.Errorf("%v: %s, want %s", err, got, want)
		}
	}
	// A statement made on an older head is a conflict, not a broken chain.
	f := newFixture(t)
	b := f.fullChain(t).upTo(4)
	stale, err := b.s.Append(f.alice.id, f.alice.sk, RemoveMember{AccountID: f.dave.id}, f.at(4))
	if err != nil {
		t.Fatal(err)
	}
	b.add(f.alice, RemoveMember{AccountID: f.carol.id})
	if err := b.s.Apply(stale); Code(err) != protocol.CodeConflict || !errors.Is(err, ErrBrokenChain) {
		t.Errorf("stale statement: %v (%s)", err, Code(err))
	}
}
