package membership

import (
	"github.com/fxamacker/cbor/v2"

	"crypto/sha256"
	"errors"
	"testing"
	"testing/cryptotest"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// actor is one account of the test tenant.
type actor struct {
	id, email string
	sk        *keys.SigningKey
	idy       *keys.Identity
}

func (a *actor) member(r protocol.Role) Member {
	return Member{AccountID: a.id, Email: a.email, Role: r, VerifyKey: a.sk.Public(), Recipient: a.idy.Recipient()}
}

// fixture holds the accounts and keys of every test and vector. Signing keys
// come from documented seeds, SHA-256("vellum membership vector: " + name);
// age identities from crypto/rand seeded with fixtureSeed.
type fixture struct {
	tenant                  string
	alice, bob, carol, dave *actor
	carol2, mallory         *actor // carol's new keyring; the server's own keys
	bobShare, alice2        *keys.Identity
	t0                      time.Time
}

const fixtureSeed = 1

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cryptotest.SetGlobalRandom(t, fixtureSeed)
	mk := func(name, id, email string) *actor {
		seed := sha256.Sum256([]byte("vellum membership vector: " + name))
		sk, err := keys.SigningKeyFromSeed(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		return &actor{id: id, email: email, sk: sk, idy: keys.NewIdentity()}
	}
	f := &fixture{
		tenant:  "tenant-AAAAAAAAAAAAAAAAAAAAAA",
		alice:   mk("alice", "acct-alice", "alice@example.com"),
		bob:     mk("bob", "acct-bob", "bob@example.com"),
		carol:   mk("carol", "acct-carol", "carol@example.com"),
		dave:    mk("dave", "acct-dave", "dave@example.org"),
		carol2:  mk("carol2", "acct-carol", "carol@example.com"),
		mallory: mk("mallory", "acct-mallory", "mallory@example.net"),
		t0:      time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
	}
	f.bobShare, f.alice2 = keys.NewIdentity(), keys.NewIdentity()
	return f
}

func (f *fixture) at(i int) time.Time { return f.t0.Add(time.Duration(i) * time.Minute) }

// builder appends statements to a chain through the public API.
type builder struct {
	t     testing.TB
	f     *fixture
	s     *State
	chain [][]byte
}

func (f *fixture) genesis(t testing.TB) *builder {
	t.Helper()
	g, err := NewGenesis(f.tenant, f.alice.member(protocol.RoleOwner), f.alice.sk, f.at(0))
	if err != nil {
		t.Fatal(err)
	}
	s, err := VerifyFirstUse([][]byte{g}, f.tenant)
	if err != nil {
		t.Fatal(err)
	}
	return &builder{t: t, f: f, s: s, chain: [][]byte{g}}
}

// add appends a statement that must be valid.
func (b *builder) add(by *actor, c Change) *builder {
	b.t.Helper()
	signed, err := b.s.Append(by.id, by.sk, c, b.f.at(len(b.chain)))
	if err != nil {
		b.t.Fatalf("append %T by %s: %v", c, by.id, err)
	}
	if err := b.s.Apply(signed); err != nil {
		b.t.Fatalf("apply %T: %v", c, err)
	}
	b.chain = append(b.chain, signed)
	return b
}

// forge signs the next statement without the chain checks, as a buggy or
// hostile writer would; edit may alter it before signing.
func (b *builder) forge(by *actor, key *keys.SigningKey, c Change, edit func(*Statement)) []byte {
	b.t.Helper()
	st := &Statement{TenantID: b.s.TenantID(), Seq: b.s.Seq() + 1, Prev: b.s.Head(), Signer: by.id,
		Time: b.f.at(len(b.chain)), Change: c}
	if edit != nil {
		edit(st)
	}
	signed, err := sign(st, key)
	if err != nil {
		b.t.Fatal(err)
	}
	return signed
}

func (b *builder) with(extra ...[]byte) [][]byte {
	return append(append([][]byte(nil), b.chain...), extra...)
}

// fullChain is the positive scenario of the tests and the vectors: every
// kind of statement, each rule's allowed side.
func (f *fixture) fullChain(t testing.TB) *builder {
	return f.genesis(t).
		add(f.alice, AddMember{Member: f.bob.member(protocol.RoleAdmin)}).                                                     // 1 owner adds an admin
		add(f.bob, AddMember{Member: f.carol.member(protocol.RoleMember)}).                                                    // 2 admin adds a member
		add(f.alice, AddMember{Member: f.dave.member(protocol.RoleMember)}).                                                   // 3
		add(f.alice, ChangeRole{AccountID: f.dave.id, Role: protocol.RoleAdmin}).                                              // 4 owner makes an admin
		add(f.carol, UpdateKeys{AccountID: f.carol.id, VerifyKey: f.carol2.sk.Public(), Recipient: f.carol2.idy.Recipient()}). // 5 self
		add(f.alice, EnableRecovery{Recovery: Recovery{Threshold: 2, Holders: []Holder{
			{AccountID: f.alice.id, Recipient: f.alice2.Recipient()},
			{AccountID: f.bob.id, Recipient: f.bobShare.Recipient()},
		}}}).                                                               // 6
		add(f.bob, RemoveMember{AccountID: f.carol.id}).                    // 7 admin removes a member
		add(f.dave, RemoveMember{AccountID: f.dave.id}).                    // 8 an admin leaves
		add(f.alice, DisableRecovery{}).                                    // 9
		add(f.bob, AddMember{Member: f.carol2.member(protocol.RoleMember)}) // 10 re-added with new keys
}

// errorName is the name a vector gives each sentinel.
func errorName(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{ErrMalformed, "malformed"}, {ErrTooLarge, "too_large"}, {ErrUnsupported, "unsupported"},
		{ErrBadSignature, "bad_signature"}, {ErrBrokenChain, "broken_chain"}, {ErrPinMismatch, "pin_mismatch"},
		{ErrNotAuthorized, "not_authorized"}, {ErrUnknownMember, "unknown_member"},
		{ErrAlreadyMember, "already_member"}, {ErrLastOwner, "last_owner"}, {ErrNoChange, "no_change"},
		{ErrRecoveryHolder, "recovery_holder"}, {ErrRecoveryDisabled, "recovery_disabled"},
		{ErrKeyMismatch, "key_mismatch"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func cborUnmarshalLenient(b []byte, v any) error { return cbor.Unmarshal(b, v) }
