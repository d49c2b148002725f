package membership

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Pin is what a client remembers about a tenant after its first look at the
// chain: the tenant id and the hash of the genesis statement, which names
// the first owner and their key. Every later check of the chain starts from
// it. A Pin may also come from outside the server, such as an invitation
// shown by the inviting admin's client.
type Pin struct {
	TenantID string
	Genesis  [32]byte
}

// State is a verified chain's outcome: who the members are now, with which
// roles and keys. It is built by Verify and moved forward by Apply; it is
// never built from unverified input. A State is not safe for concurrent use
// while Apply runs.
type State struct {
	pin     Pin
	head    [32]byte
	seq     uint64
	members map[string]*Member
	emails  map[string]string // folded e-mail → account id
	owners  int
	// recovery is nil while tenant recovery is off.
	recovery *Recovery
	// vouched holds every verify key the chain has bound to each account,
	// members past and present: what they signed while they held a key
	// stays checkable after they change keys or leave (Vouched).
	vouched map[string][]keys.VerifyKey
}

// Verify checks a whole chain, oldest statement first, against a pin, and
// returns the state it leads to. It fails with ErrPinMismatch if the genesis
// is not the pinned one, and otherwise with the first failing statement's
// error as a *StatementError. It checks at most protocol.MaxMembershipChain
// statements.
func Verify(chain [][]byte, pin Pin) (*State, error) {
	if pin.TenantID == "" || pin.Genesis == ([32]byte{}) {
		return nil, fmt.Errorf("%w: empty pin", ErrPinMismatch)
	}
	return verify(chain, &pin)
}

// VerifyFirstUse checks a chain of a tenant the client has not pinned yet:
// it trusts the genesis it finds (after checking it is a genesis of
// tenantID, self-signed by its owner) and checks the rest. The caller MUST
// store State.Pin and use Verify from then on, and SHOULD show the owner's
// verify key fingerprint to the user.
func VerifyFirstUse(chain [][]byte, tenantID string) (*State, error) {
	return verify(chain, &Pin{TenantID: tenantID})
}

func verify(chain [][]byte, pin *Pin) (*State, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("%w: empty chain", ErrBrokenChain)
	}
	if len(chain) > protocol.MaxMembershipChain {
		return nil, fmt.Errorf("%w: chain of %d statements", ErrTooLarge, len(chain))
	}
	s, err := start(chain[0], pin)
	if err != nil {
		return nil, err
	}
	for _, signed := range chain[1:] {
		if err := s.Apply(signed); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// start checks the genesis statement and makes the state it creates.
func start(signed []byte, pin *Pin) (*State, error) {
	fail := func(err error) (*State, error) { return nil, &StatementError{Index: 0, Err: err} }
	st, err := Parse(signed)
	if err != nil {
		return fail(err)
	}
	g, ok := st.Change.(Genesis)
	if !ok {
		return fail(fmt.Errorf("%w: first statement is %s, not genesis", ErrBrokenChain, st.Kind()))
	}
	if st.TenantID != pin.TenantID {
		return fail(fmt.Errorf("%w: genesis of tenant %s, pinned %s", ErrPinMismatch, st.TenantID, pin.TenantID))
	}
	if pin.Genesis != ([32]byte{}) && st.Hash() != pin.Genesis {
		return fail(fmt.Errorf("%w: genesis hash differs", ErrPinMismatch))
	}
	// The genesis is self-signed: the owner key it names is the one the
	// pin stands for.
	if err := st.verify(g.Owner.VerifyKey); err != nil {
		return fail(err)
	}
	s := &State{
		pin:     Pin{TenantID: st.TenantID, Genesis: st.Hash()},
		members: make(map[string]*Member),
		emails:  make(map[string]string),
		vouched: make(map[string][]keys.VerifyKey),
	}
	s.commit(st)
	return s, nil
}

// Apply checks one more signed statement against the state and, only if it
// is valid, applies it. On error the state is unchanged and the error is a
// *StatementError. Use it to move a cached state forward with the statements
// the server has added since.
func (s *State) Apply(signed []byte) error {
	st, err := Parse(signed)
	if err == nil {
		err = s.check(st)
	}
	if err != nil {
		return &StatementError{Index: s.seq + 1, Err: err}
	}
	s.commit(st)
	return nil
}

// check decides whether st may follow the state; it changes nothing. The
// order matters: a statement that does not link to the head is refused
// before its signer is looked up, and one whose signature fails is refused
// before any rule about its content is consulted.
func (s *State) check(st *Statement) error {
	switch {
	case st.TenantID != s.pin.TenantID:
		return fmt.Errorf("%w: statement of tenant %s", ErrBrokenChain, st.TenantID)
	case st.Seq != s.seq+1:
		return fmt.Errorf("%w: seq %d, want %d", ErrStale, st.Seq, s.seq+1)
	case st.Prev != s.head:
		return fmt.Errorf("%w: previous hash is not the head", ErrStale)
	}
	if _, ok := st.Change.(Genesis); ok {
		return fmt.Errorf("%w: genesis after the first statement", ErrBrokenChain)
	}
	signer, ok := s.members[st.Signer]
	if !ok {
		return fmt.Errorf("%w: signer %s", ErrUnknownMember, st.Signer)
	}
	if err := st.verify(signer.VerifyKey); err != nil {
		return err
	}
	return s.authorize(signer, st.Change)
}

func isAdmin(r protocol.Role) bool { return r == protocol.RoleOwner || r == protocol.RoleAdmin }

func notAuthorized(signer *Member, what string) error {
	return fmt.Errorf("%w: %s %s may not %s", ErrNotAuthorized, signer.Role, signer.AccountID, what)
}

// authorize holds the rules of SPEC §Membership.
func (s *State) authorize(signer *Member, c Change) error {
	switch c := c.(type) {
	case AddMember:
		m := c.Member
		if !isAdmin(signer.Role) {
			return notAuthorized(signer, "add members")
		}
		if isAdmin(m.Role) && signer.Role != protocol.RoleOwner {
			return notAuthorized(signer, "add an "+m.Role.String())
		}
		if _, ok := s.members[m.AccountID]; ok {
			return fmt.Errorf("%w: %s", ErrAlreadyMember, m.AccountID)
		}
		if _, ok := s.emails[foldEmail(m.Email)]; ok {
			return fmt.Errorf("%w: the e-mail address of %s", ErrAlreadyMember, m.AccountID)
		}
	case ChangeRole:
		m, err := s.subject(c.AccountID)
		if err != nil {
			return err
		}
		if !isAdmin(signer.Role) {
			return notAuthorized(signer, "change roles")
		}
		if (isAdmin(m.Role) || isAdmin(c.Role)) && signer.Role != protocol.RoleOwner {
			return notAuthorized(signer, "change the role of "+m.Role.String()+" "+m.AccountID+" to "+c.Role.String())
		}
		if c.Role == m.Role {
			return fmt.Errorf("%w: %s is already %s", ErrNoChange, m.AccountID, m.Role)
		}
		if m.Role == protocol.RoleOwner && s.owners == 1 {
			return fmt.Errorf("%w: %s", ErrLastOwner, m.AccountID)
		}
		if !isAdmin(c.Role) && s.holds(m.AccountID) {
			return fmt.Errorf("%w: %s holds a recovery share", ErrRecoveryHolder, m.AccountID)
		}
	case RemoveMember:
		m, err := s.subject(c.AccountID)
		if err != nil {
			return err
		}
		if m.AccountID != signer.AccountID {
			if !isAdmin(signer.Role) {
				return notAuthorized(signer, "remove others")
			}
			if isAdmin(m.Role) && signer.Role != protocol.RoleOwner {
				return notAuthorized(signer, "remove "+m.Role.String()+" "+m.AccountID)
			}
		}
		if m.Role == protocol.RoleOwner && s.owners == 1 {
			return fmt.Errorf("%w: %s", ErrLastOwner, m.AccountID)
		}
		if s.holds(m.AccountID) {
			return fmt.Errorf("%w: %s holds a recovery share", ErrRecoveryHolder, m.AccountID)
		}
	case UpdateKeys:
		m, err := s.subject(c.AccountID)
		if err != nil {
			return err
		}
		self := m.AccountID == signer.AccountID
		if !self && signer.Role != protocol.RoleOwner && !(signer.Role == protocol.RoleAdmin && m.Role == protocol.RoleMember) {
			return notAuthorized(signer, "update the keys of "+m.Role.String()+" "+m.AccountID)
		}
		if c.VerifyKey == m.VerifyKey && c.Recipient.Equal(m.Recipient) {
			return fmt.Errorf("%w: the keys of %s are unchanged", ErrNoChange, m.AccountID)
		}
	case EnableRecovery:
		if signer.Role != protocol.RoleOwner {
			return notAuthorized(signer, "enable tenant recovery")
		}
		for _, h := range c.Recovery.Holders {
			m, ok := s.members[h.AccountID]
			if !ok || !isAdmin(m.Role) {
				return fmt.Errorf("%w: %s", ErrRecoveryHolder, h.AccountID)
			}
		}
	case DisableRecovery:
		if signer.Role != protocol.RoleOwner {
			return notAuthorized(signer, "disable tenant recovery")
		}
		if s.recovery == nil {
			return fmt.Errorf("%w: recovery is already off", ErrNoChange)
		}
	default:
		return fmt.Errorf("%w: %T", ErrUnsupported, c)
	}
	return nil
}

func (s *State) subject(id string) (*Member, error) {
	m, ok := s.members[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownMember, id)
	}
	return m, nil
}

func (s *State) holds(id string) bool {
	if s.recovery == nil {
		return false
	}
	for _, h := range s.recovery.Holders {
		if h.AccountID == id {
			return true
		}
	}
	return false
}

// foldEmail is the key under which e-mail addresses are compared: the
// domain is case-insensitive by RFC 5321, and no provider Vellum's users
// meet treats the local part otherwise, so the whole address is folded.
func foldEmail(e string) string { return strings.ToLower(e) }

// commit applies a checked statement.
func (s *State) commit(st *Statement) {
	vouch := func(account string, k keys.VerifyKey) {
		if !slices.Contains(s.vouched[account], k) {
			s.vouched[account] = append(s.vouched[account], k)
		}
	}
	add := func(m Member) {
		s.members[m.AccountID] = &m
		s.emails[foldEmail(m.Email)] = m.AccountID
		if m.Role == protocol.RoleOwner {
			s.owners++
		}
		vouch(m.AccountID, m.VerifyKey)
	}
	switch c := st.Change.(type) {
	case Genesis:
		add(c.Owner)
	case AddMember:
		add(c.Member)
	case ChangeRole:
		m := s.members[c.AccountID]
		if m.Role == protocol.RoleOwner {
			s.owners--
		}
		if c.Role == protocol.RoleOwner {
			s.owners++
		}
		m.Role = c.Role
	case RemoveMember:
		m := s.members[c.AccountID]
		if m.Role == protocol.RoleOwner {
			s.owners--
		}
		delete(s.emails, foldEmail(m.Email))
		delete(s.members, c.AccountID)
	case UpdateKeys:
		m := s.members[c.AccountID]
		m.VerifyKey, m.Recipient = c.VerifyKey, c.Recipient
		vouch(c.AccountID, c.VerifyKey)
	case EnableRecovery:
		r := c.Recovery
		r.Holders = slices.Clone(r.Holders)
		s.recovery = &r
	case DisableRecovery:
		s.recovery = nil
	}
	s.seq, s.head = st.Seq, st.Hash()
}

// TenantID returns the tenant the chain belongs to.
func (s *State) TenantID() string { return s.pin.TenantID }

// Pin returns the pin to store after VerifyFirstUse.
func (s *State) Pin() Pin { return s.pin }

// Seq returns the seq of the last statement applied; the chain has Seq()+1
// statements.
func (s *State) Seq() uint64 { return s.seq }

// Head returns the hash of the last statement applied: the Prev of the next.
func (s *State) Head() [32]byte { return s.head }

// Member returns the member with the given account id, or ErrUnknownMember.
func (s *State) Member(accountID string) (Member, error) {
	m, ok := s.members[accountID]
	if !ok {
		return Member{}, fmt.Errorf("%w: %s", ErrUnknownMember, accountID)
	}
	return *m, nil
}

// Members returns every member, sorted by account id.
func (s *State) Members() []Member {
	out := make([]Member, 0, len(s.members))
	for _, m := range s.members {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.AccountID, b.AccountID) })
	return out
}

// RecipientFor returns the recipient the chain holds for a member. A client
// MUST take the recipient it wraps a key to from here (or check the one the
// server offers with CheckRecipient), never from the server alone.
func (s *State) RecipientFor(accountID string) (keys.Recipient, error) {
	m, err := s.Member(accountID)
	if err != nil {
		return keys.Recipient{}, err
	}
	return m.Recipient, nil
}

// VerifyKeyFor returns the verify key the chain holds for a member: the key
// their grants and statements must verify under.
func (s *State) VerifyKeyFor(accountID string) (keys.VerifyKey, error) {
	m, err := s.Member(accountID)
	if err != nil {
		return keys.VerifyKey{}, err
	}
	return m.VerifyKey, nil
}

// Vouched reports whether the chain has, at any point, bound verify key k
// to the account: its key while it was a member, even if it has since
// changed keys or left. Use it to check what a member signed in the past
// (a document version it uploaded); use VerifyKeyFor for what a member
// signs now.
func (s *State) Vouched(accountID string, k keys.VerifyKey) bool {
	return slices.Contains(s.vouched[accountID], k)
}

// CheckRecipient returns nil if r is the recipient the chain holds for the
// member, ErrUnknownMember if they are not one, and ErrKeyMismatch otherwise:
// the server offered a key that is not theirs.
func (s *State) CheckRecipient(accountID string, r keys.Recipient) error {
	want, err := s.RecipientFor(accountID)
	if err != nil {
		return err
	}
	if r.IsZero() || !want.Equal(r) {
		return fmt.Errorf("%w: recipient offered for %s", ErrKeyMismatch, accountID)
	}
	return nil
}

// Recovery returns the tenant recovery setting and whether recovery is on.
func (s *State) Recovery() (Recovery, bool) {
	if s.recovery == nil {
		return Recovery{}, false
	}
	r := *s.recovery
	r.Holders = slices.Clone(r.Holders)
	return r, true
}

// RecoveryWrapTo returns what a member who opts into tenant recovery wraps
// their account key to: account.WrapForTenant(ak, threshold, admins). It
// returns ErrRecoveryDisabled while recovery is off. A client MUST take
// these from here, never from the server alone.
func (s *State) RecoveryWrapTo() (threshold int, admins []keys.Recipient, err error) {
	if s.recovery == nil {
		return 0, nil, ErrRecoveryDisabled
	}
	return s.recovery.Threshold, s.recovery.Recipients(), nil
}
