package membership

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// statementVector is one signed statement (format membership-statement).
type statementVector struct {
	Comment    string         `json:"comment"`
	Signed     vectortest.Hex `json:"signed"`
	Body       vectortest.Hex `json:"body,omitempty"`
	Diagnostic string         `json:"diagnostic,omitempty"`
	Signature  vectortest.Hex `json:"signature,omitempty"`
	Hash       vectortest.Hex `json:"hash,omitempty"`
	VerifyKey  string         `json:"verify_key,omitempty"`
	Kind       string         `json:"kind,omitempty"`
	Seq        uint64         `json:"seq,omitempty"`
	Signer     string         `json:"signer,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// chainVector is one chain and what checking it gives (format
// membership-chain).
type chainVector struct {
	Comment    string           `json:"comment"`
	Seed       uint64           `json:"seed"`
	TenantID   string           `json:"tenant_id"`
	Pin        vectortest.Hex   `json:"pin"`
	Statements []vectortest.Hex `json:"statements"`
	Error      string           `json:"error,omitempty"`
	ErrorIndex *uint64          `json:"error_index,omitempty"`
	Head       vectortest.Hex   `json:"head,omitempty"`
	Members    []memberVector   `json:"members,omitempty"`
	Recovery   *recoveryVector  `json:"recovery,omitempty"`
}

type memberVector struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	Role      string `json:"role"`
	VerifyKey string `json:"verify_key"`
	Recipient string `json:"recipient"`
}

type recoveryVector struct {
	Threshold int            `json:"threshold"`
	Holders   []memberVector `json:"holders"`
}

const (
	statementFormat = "membership-statement"
	chainFormat     = "membership-chain"
)

const chainNote = "Signing keys are Ed25519 seeds SHA-256(\"vellum membership vector: \" + name); age identities come from crypto/rand seeded with seed (testing/cryptotest)."

func stateVector(s *State) ([]memberVector, *recoveryVector) {
	var ms []memberVector
	for _, m := range s.Members() {
		ms = append(ms, memberVector{AccountID: m.AccountID, Email: m.Email, Role: m.Role.String(),
			VerifyKey: m.VerifyKey.String(), Recipient: m.Recipient.String()})
	}
	rec, on := s.Recovery()
	if !on {
		return ms, nil
	}
	rv := &recoveryVector{Threshold: rec.Threshold}
	for _, h := range rec.Holders {
		rv.Holders = append(rv.Holders, memberVector{AccountID: h.AccountID, Recipient: h.Recipient.String()})
	}
	return ms, rv
}

// buildVectors makes every vector of both formats from the fixture.
func buildVectors(t *testing.T) (stmts map[string]statementVector, chains map[string]chainVector) {
	f := newFixture(t)
	stmts, chains = map[string]statementVector{}, map[string]chainVector{}
	full := f.fullChain(t)
	signers := map[string]*actor{}
	for _, a := range []*actor{f.alice, f.bob, f.carol, f.dave} {
		signers[a.id] = a
	}
	notes := []string{
		"genesis: alice (owner) adds herself; seq 0 and no previous hash (key 5 absent)",
		"alice adds bob as admin",
		"bob (admin) adds carol as member",
		"alice adds dave as member",
		"alice makes dave admin (keys 8 and 10 only)",
		"carol replaces her verify key and recipient, signing with her old key (keys 8, 11, 12)",
		"alice enables 2-of-2 recovery: key 13 is the threshold, 14 the holders (account id, recipient) sorted by account id",
		"bob removes carol (key 8 only)",
		"dave removes himself",
		"alice disables recovery (no change fields)",
		"bob adds carol back with her new keys",
	}
	for i, signed := range full.chain {
		st, err := Parse(signed)
		if err != nil {
			t.Fatal(err)
		}
		diag, err := cbor.Diagnose(st.body)
		if err != nil {
			t.Fatal(err)
		}
		h := st.Hash()
		name := fmt.Sprintf("%02d-%s", i, st.Kind())
		stmts[name] = statementVector{
			Comment: notes[i] + ". The signed statement is the CBOR map {1: body, 2: signature}; the signature is Ed25519 over \"vellum-membership/v1\" ‖ 0x0a ‖ body; hash is SHA-256 of signed.",
			Signed:  signed, Body: st.body, Diagnostic: diag, Signature: st.signature, Hash: h[:],
			Kind: st.Kind().String(), Seq: st.Seq, Signer: st.Signer,
		}
		v := stmts[name]
		switch {
		case i == 5: // carol signs with the key she is replacing
			v.VerifyKey = f.carol.sk.Public().String()
		case i == 10:
			v.VerifyKey = f.bob.sk.Public().String()
		default:
			v.VerifyKey = signers[st.Signer].sk.Public().String()
		}
		stmts[name] = v
	}
	at4 := full.upTo(4)
	good := at4.forge(f.alice, f.alice.sk, AddMember{Member: f.mallory.member(protocol.RoleMember)}, nil)
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(good, &ws); err != nil {
		t.Fatal(err)
	}
	swapped := append([]byte{0xa2, 0x02, 0x58, 0x40}, ws.Signature...)
	swapped = append(swapped, good[1:len(good)-len(ws.Signature)-3]...)
	shortSig, err := protocol.MarshalCBOR(wireSigned{Body: ws.Body, Signature: ws.Signature[:63]})
	if err != nil {
		t.Fatal(err)
	}
	w, err := toWire(&Statement{TenantID: f.tenant, Seq: 4, Prev: at4.s.Head(), Signer: f.alice.id, Time: f.at(4),
		Change: AddMember{Member: f.mallory.member(protocol.RoleMember)}})
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct{ name, comment, err string }{
		{"bad-truncated", "a valid statement without its last byte", "malformed"},
		{"bad-trailing-byte", "a valid statement followed by one more byte (0x00)", "malformed"},
		{"bad-key-order", "the signed map with key 2 before key 1: valid CBOR, not canonical", "malformed"},
		{"bad-non-minimal-length", "the body's length written in 4 bytes: valid CBOR, not canonical", "malformed"},
		{"bad-short-signature", "a 63-byte signature", "malformed"},
		{"bad-unknown-field", "a version-1 body with an extra key 15, signed", "malformed"},
		{"bad-missing-field", "an add-member body without key 12 (recipient), signed", "malformed"},
		{"bad-unknown-version", "a body of version 2 with an extra key 15, signed: refused as unsupported, not malformed, so that the user is told to update", "unsupported"},
		{"bad-unknown-role", "an add-member body with role 9, signed", "unsupported"},
	}
	raw := map[string][]byte{
		"bad-truncated":          good[:len(good)-1],
		"bad-trailing-byte":      append(append([]byte(nil), good...), 0),
		"bad-key-order":          swapped,
		"bad-non-minimal-length": nonMinimalLength(good),
		"bad-short-signature":    shortSig,
		"bad-unknown-field":      signRawMap(t, w, f.alice.sk, func(m map[uint64]any) { m[15] = "x" }),
		"bad-missing-field":      signRawMap(t, w, f.alice.sk, func(m map[uint64]any) { delete(m, 12) }),
		"bad-unknown-version":    signRawMap(t, w, f.alice.sk, func(m map[uint64]any) { m[1] = uint64(2); m[15] = "x" }),
		"bad-unknown-role":       signRawMap(t, w, f.alice.sk, func(m map[uint64]any) { m[10] = uint64(9) }),
	}
	for _, b := range bad {
		stmts[b.name] = statementVector{Comment: b.comment, Signed: raw[b.name], Error: b.err}
	}

	for _, c := range f.cases(t) {
		v := chainVector{Comment: c.comment + ". " + chainNote, Seed: fixtureSeed, TenantID: c.pin.TenantID, Pin: c.pin.Genesis[:]}
		for _, s := range c.chain {
			v.Statements = append(v.Statements, s)
		}
		if v.Statements == nil {
			v.Statements = []vectortest.Hex{}
		}
		if c.err != nil {
			v.Error = errorName(c.err)
			if !c.noIndex {
				idx := c.index
				v.ErrorIndex = &idx
			}
		} else {
			s, err := Verify(c.chain, c.pin)
			if err != nil {
				t.Fatal(err)
			}
			h := s.Head()
			v.Head = h[:]
			v.Members, v.Recovery = stateVector(s)
		}
		chains[c.name] = v
	}
	// One chain that ends with recovery on, so the vector shows its state.
	v := chains["full"]
	rec := full.upTo(7)
	h := rec.s.Head()
	v = chainVector{Comment: "the full chain up to recovery being enabled (statements 0-6). " + chainNote, Seed: fixtureSeed,
		TenantID: f.tenant, Pin: v.Pin, Statements: v.Statements[:7], Head: h[:]}
	v.Members, v.Recovery = stateVector(rec.s)
	chains["recovery-on"] = v
	return stmts, chains
}

// TestGenerateVectors rebuilds every vector from its seed and compares it
// byte for byte with the stored file; with -update it rewrites them.
func TestGenerateVectors(t *testing.T) {
	stmts, chains := buildVectors(t)
	if *vectortest.Update {
		for name, v := range stmts {
			vectortest.Write(t, statementFormat, name, v)
		}
		for name, v := range chains {
			vectortest.Write(t, chainFormat, name, v)
		}
		return
	}
	compare(t, statementFormat, stmts, vectortest.Load[statementVector](t, statementFormat))
	compare(t, chainFormat, chains, vectortest.Load[chainVector](t, chainFormat))
}

func compare[T any](t *testing.T, format string, built map[string]T, stored []vectortest.Case[T]) {
	t.Helper()
	if len(built) != len(stored) {
		t.Errorf("%s: %d vectors stored, %d generated; run with -update", format, len(stored), len(built))
	}
	for _, c := range stored {
		want, err := json.Marshal(c.V)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(built[c.Name])
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s/%s: generated vector differs from the stored one", format, c.Name)
		}
	}
}

// TestStatementVectors checks the stored statements against the code,
// without regenerating anything.
func TestStatementVectors(t *testing.T) {
	for _, c := range vectortest.Load[statementVector](t, statementFormat) {
		t.Run(c.Name, func(t *testing.T) {
			st, err := Parse(c.V.Signed)
			if got := errorName(err); got != c.V.Error {
				t.Fatalf("Parse: got error %q (%v), want %q", got, err, c.V.Error)
			}
			if err != nil {
				return
			}
			h := st.Hash()
			if string(st.body) != string(c.V.Body) || string(st.signature) != string(c.V.Signature) ||
				string(h[:]) != string(c.V.Hash) || st.Kind().String() != c.V.Kind || st.Seq != c.V.Seq || st.Signer != c.V.Signer {
				t.Fatal("parsed fields differ from the vector")
			}
			vk, err := keys.ParseVerifyKey(c.V.VerifyKey)
			if err != nil {
				t.Fatal(err)
			}
			if err := vk.Verify(protocol.LabelMembership, c.V.Body, c.V.Signature); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if diag, _ := cbor.Diagnose(c.V.Body); diag != c.V.Diagnostic {
				t.Errorf("diagnostic %s", diag)
			}
			again, err := st.Marshal()
			if err != nil || string(again) != string(c.V.Signed) {
				t.Fatalf("re-encoding differs: %v", err)
			}
		})
	}
}

// TestChainVectors checks the stored chains against the code.
func TestChainVectors(t *testing.T) {
	for _, c := range vectortest.Load[chainVector](t, chainFormat) {
		t.Run(c.Name, func(t *testing.T) {
			chain := make([][]byte, len(c.V.Statements))
			for i, s := range c.V.Statements {
				chain[i] = s
			}
			var pin Pin
			pin.TenantID = c.V.TenantID
			copy(pin.Genesis[:], c.V.Pin)
			s, err := Verify(chain, pin)
			if got := errorName(err); got != c.V.Error {
				t.Fatalf("got error %q (%v), want %q", got, err, c.V.Error)
			}
			if err != nil {
				var se *StatementError
				if errors.As(err, &se) != (c.V.ErrorIndex != nil) || (se != nil && se.Index != *c.V.ErrorIndex) {
					t.Fatalf("error %v, want index %v", err, c.V.ErrorIndex)
				}
				return
			}
			h := s.Head()
			ms, rec := stateVector(s)
			if string(h[:]) != string(c.V.Head) || !reflect.DeepEqual(ms, c.V.Members) || !reflect.DeepEqual(rec, c.V.Recovery) {
				t.Fatalf("state differs from the vector")
			}
		})
	}
}
