package membership

import (
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// chainCase is one scenario of the chain check: the rules tests run them
// directly, and the generator writes them as membership-chain vectors.
type chainCase struct {
	name, comment string
	chain         [][]byte
	pin           Pin
	err           error  // nil for a valid chain
	index         uint64 // the failing statement, when err is a *StatementError
	noIndex       bool   // err is not about one statement
	// When the failing statement is an honest attempt (the signer's own
	// key, no tampering), Append from pre must refuse it with err too.
	pre    *builder
	by     *actor
	change Change
}

// upTo returns a builder holding the first n statements of b's chain.
func (b *builder) upTo(n int) *builder {
	b.t.Helper()
	s, err := Verify(b.chain[:n], b.s.Pin())
	if err != nil {
		b.t.Fatal(err)
	}
	return &builder{t: b.t, f: b.f, s: s, chain: append([][]byte(nil), b.chain[:n]...)}
}

func (f *fixture) cases(t testing.TB) []chainCase {
	full := f.fullChain(t)
	pin := full.s.Pin()
	at4 := full.upTo(4)  // alice owner, bob admin, carol and dave members
	at5 := full.upTo(5)  // dave is an admin
	at7 := full.upTo(7)  // recovery on, held by alice and bob
	mallory := f.mallory // an account the server made up, with its own keys

	var cs []chainCase
	ok := func(name, comment string, b *builder) {
		cs = append(cs, chainCase{name: name, comment: comment, chain: b.chain, pin: pin})
	}
	// honest: the signer's own key, a change the rules refuse.
	honest := func(name, comment string, pre *builder, by *actor, c Change, err error) {
		cs = append(cs, chainCase{name: name, comment: comment, chain: pre.with(pre.forge(by, by.sk, c, nil)),
			pin: pin, err: err, index: pre.s.Seq() + 1, pre: pre, by: by, change: c})
	}
	// tampered: a statement no honest client writes.
	tampered := func(name, comment string, pre *builder, signed []byte, err error) {
		cs = append(cs, chainCase{name: name, comment: comment, chain: pre.with(signed), pin: pin, err: err, index: pre.s.Seq() + 1})
	}

	ok("full", "every kind of statement: genesis by alice (owner); alice adds bob (admin); bob adds carol; alice adds dave; alice makes dave admin; carol replaces her keys; alice enables 2-of-2 recovery held by alice and bob; bob removes carol; dave leaves; alice disables recovery; bob adds carol back with her new keys", full)
	ok("genesis-only", "a new tenant: the owner's self-signed genesis", full.upTo(1))

	malloryMember := mallory.member(protocol.RoleMember)
	malloryAdmin := mallory.member(protocol.RoleAdmin)
	honest("admin-adds-admin", "bob (admin) adds an admin: only owners make admins", at4, f.bob, AddMember{Member: malloryAdmin}, ErrNotAuthorized)
	honest("member-adds-member", "carol (member) adds a member", at4, f.carol, AddMember{Member: malloryMember}, ErrNotAuthorized)
	honest("admin-demotes-owner", "bob (admin) makes alice (owner) a member", at4, f.bob, ChangeRole{AccountID: f.alice.id, Role: protocol.RoleMember}, ErrNotAuthorized)
	honest("admin-promotes-member", "bob (admin) makes carol an admin", at4, f.bob, ChangeRole{AccountID: f.carol.id, Role: protocol.RoleAdmin}, ErrNotAuthorized)
	honest("admin-removes-admin", "bob (admin) removes dave (admin): only owners remove admins", at5, f.bob, RemoveMember{AccountID: f.dave.id}, ErrNotAuthorized)
	honest("member-removes-member", "carol (member) removes dave", at4, f.carol, RemoveMember{AccountID: f.dave.id}, ErrNotAuthorized)
	honest("admin-replaces-owner-keys", "bob (admin) replaces alice's keys with mallory's: the key-substitution attack through an admin", at4, f.bob,
		UpdateKeys{AccountID: f.alice.id, VerifyKey: mallory.sk.Public(), Recipient: mallory.idy.Recipient()}, ErrNotAuthorized)
	honest("member-replaces-keys", "carol (member) replaces dave's keys", at4, f.carol,
		UpdateKeys{AccountID: f.dave.id, VerifyKey: mallory.sk.Public(), Recipient: mallory.idy.Recipient()}, ErrNotAuthorized)
	honest("admin-enables-recovery", "bob (admin) enables recovery: only owners do", at4, f.bob,
		EnableRecovery{Recovery: Recovery{Threshold: 1, Holders: []Holder{{AccountID: f.bob.id, Recipient: mallory.idy.Recipient()}}}}, ErrNotAuthorized)
	honest("last-owner-leaves", "alice, the only owner, removes herself", at4, f.alice, RemoveMember{AccountID: f.alice.id}, ErrLastOwner)
	honest("last-owner-steps-down", "alice, the only owner, makes herself admin", at4, f.alice, ChangeRole{AccountID: f.alice.id, Role: protocol.RoleAdmin}, ErrLastOwner)
	honest("remove-unknown", "alice removes an account that is not a member", at4, f.alice, RemoveMember{AccountID: mallory.id}, ErrUnknownMember)
	honest("already-member", "alice adds bob again", at4, f.alice, AddMember{Member: f.bob.member(protocol.RoleMember)}, ErrAlreadyMember)
	dup := malloryMember
	dup.Email = "BOB@example.com"
	honest("duplicate-email", "alice adds a new account with bob's e-mail address in other case", at4, f.alice, AddMember{Member: dup}, ErrAlreadyMember)
	honest("same-role", "alice makes bob admin, which he is", at4, f.alice, ChangeRole{AccountID: f.bob.id, Role: protocol.RoleAdmin}, ErrNoChange)
	honest("same-keys", "carol replaces her keys with the same keys", at4, f.carol,
		UpdateKeys{AccountID: f.carol.id, VerifyKey: f.carol.sk.Public(), Recipient: f.carol.idy.Recipient()}, ErrNoChange)
	honest("disable-when-off", "alice disables recovery that is off", at4, f.alice, DisableRecovery{}, ErrNoChange)
	honest("member-holds-recovery", "alice enables recovery with carol (member) as a holder", at4, f.alice,
		EnableRecovery{Recovery: Recovery{Threshold: 1, Holders: []Holder{{AccountID: f.carol.id, Recipient: f.carol.idy.Recipient()}}}}, ErrRecoveryHolder)
	honest("remove-holder", "alice removes bob while he is a recovery holder", at7, f.alice, RemoveMember{AccountID: f.bob.id}, ErrRecoveryHolder)
	honest("demote-holder", "alice makes bob a member while he is a recovery holder", at7, f.alice, ChangeRole{AccountID: f.bob.id, Role: protocol.RoleMember}, ErrRecoveryHolder)

	tampered("unknown-signer", "a statement signed by an account that is not a member (the server's own key)", at4,
		at4.forge(mallory, mallory.sk, AddMember{Member: malloryAdmin}, nil), ErrUnknownMember)
	tampered("impostor", "a statement naming alice as signer, signed with mallory's key", at4,
		at4.forge(f.alice, mallory.sk, AddMember{Member: malloryAdmin}, nil), ErrBadSignature)
	good := at4.forge(f.alice, f.alice.sk, AddMember{Member: malloryMember}, nil)
	tampered("altered-signature", "alice's valid statement with the last signature byte flipped", at4, flip(good, len(good)-1), ErrBadSignature)
	tampered("altered-body", "alice's valid statement with one byte of the e-mail address changed after signing", at4, alterEmail(t, good), ErrBadSignature)
	tampered("wrong-prev", "a statement whose previous hash is not the head", at4,
		at4.forge(f.alice, f.alice.sk, AddMember{Member: malloryMember}, func(s *Statement) { s.Prev = at4.s.Head(); s.Prev[0] ^= 1 }), ErrBrokenChain)
	tampered("wrong-seq", "a statement that skips a seq", at4,
		at4.forge(f.alice, f.alice.sk, AddMember{Member: malloryMember}, func(s *Statement) { s.Seq++ }), ErrBrokenChain)
	tampered("other-tenant", "a statement of another tenant", at4,
		at4.forge(f.alice, f.alice.sk, AddMember{Member: malloryMember}, func(s *Statement) { s.TenantID = "tenant-BBBBBBBBBBBBBBBBBBBBBB" }), ErrBrokenChain)
	tampered("replayed", "statement 1 again at position 4", at4, full.chain[1], ErrBrokenChain)
	other, err := NewGenesis(f.tenant, mallory.member(protocol.RoleOwner), mallory.sk, f.at(0))
	if err != nil {
		t.Fatal(err)
	}
	tampered("second-genesis", "a genesis after the first statement", at4, other, ErrBrokenChain)
	tampered("non-canonical", "alice's valid statement with the body's length written in 4 bytes instead of 1 or 2", at4, nonMinimalLength(good), ErrMalformed)
	unk := at4.forgeRaw(f.alice.sk, func(m map[uint64]any) { m[2] = uint64(99) })
	tampered("unknown-kind", "a statement of kind 99, which this version does not know", at4, unk, ErrUnsupported)

	cs = append(cs,
		chainCase{name: "no-genesis", comment: "a chain that starts at statement 1", chain: full.chain[1:], pin: pin, err: ErrBrokenChain, index: 0},
		chainCase{name: "empty", comment: "no statements", chain: [][]byte{}, pin: pin, err: ErrBrokenChain, noIndex: true},
		chainCase{name: "swapped-genesis", comment: "the server serves a genesis of the same tenant id with its own owner key; the pin catches it",
			chain: [][]byte{other}, pin: pin, err: ErrPinMismatch, index: 0},
		chainCase{name: "other-tenant-pin", comment: "the right chain checked against a pin of another tenant",
			chain: full.chain, pin: Pin{TenantID: "tenant-BBBBBBBBBBBBBBBBBBBBBB", Genesis: pin.Genesis}, err: ErrPinMismatch, index: 0},
	)
	return cs
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

// alterEmail changes one letter of the added member's e-mail address in
// place, keeping the encoding valid and canonical.
func alterEmail(t testing.TB, signed []byte) []byte {
	t.Helper()
	c := append([]byte(nil), signed...)
	for i := 0; i+len("mallory@") <= len(c); i++ {
		if string(c[i:i+len("mallory@")]) == "mallory@" {
			c[i] = 'n'
			return c
		}
	}
	t.Fatal("no e-mail address to alter")
	return nil
}

// nonMinimalLength re-encodes {1: body, 2: sig} with body's length in a
// 4-byte argument: valid CBOR, not the canonical encoding.
func nonMinimalLength(signed []byte) []byte {
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(signed, &ws); err != nil {
		panic(err)
	}
	n := len(ws.Body)
	out := []byte{0xa2, 0x01, 0x5a, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	out = append(out, ws.Body...)
	out = append(out, 0x02, 0x58, 0x40)
	return append(out, ws.Signature...)
}

// forgeRaw signs the next statement by alice (an AddMember of mallory) as
// a generic map, after edit, so that tests can write what the types cannot.
func (b *builder) forgeRaw(key *keys.SigningKey, edit func(map[uint64]any)) []byte {
	b.t.Helper()
	w, err := toWire(&Statement{TenantID: b.s.TenantID(), Seq: b.s.Seq() + 1, Prev: b.s.Head(), Signer: b.f.alice.id,
		Time: b.f.at(len(b.chain)), Change: AddMember{Member: b.f.mallory.member(protocol.RoleMember)}})
	if err != nil {
		b.t.Fatal(err)
	}
	return signRawMap(b.t, w, key, edit)
}

func signRawMap(t testing.TB, w *wireStatement, key *keys.SigningKey, edit func(map[uint64]any)) []byte {
	t.Helper()
	enc, err := protocol.MarshalCBOR(w)
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint64]any{}
	if err := cborUnmarshalLenient(enc, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	body, err := protocol.MarshalCBOR(m)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := protocol.MarshalCBOR(wireSigned{Body: body, Signature: key.Sign(protocol.LabelMembership, body)})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
