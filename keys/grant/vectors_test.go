package grant_test

import (
	"bytes"
	"errors"
	"testing"
	"testing/cryptotest"
	"time"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/grant"
	"vellum.dev/vellum/protocol"
)

// Vector formats of this package, in protocol/testdata:
//
//	grant-statement  signed grants, and what Parse, Verify and Open say of altered ones
//	grant-rotation   chains of signed folder rotations, and what CheckChain says
//
// Every vector is rebuilt by the generators below and compared with the
// stored file; `go test ./keys/grant -run UpdateVectors -update` rewrites them.

var sentinels = map[string]error{
	"":              nil,
	"malformed":     grant.ErrMalformed,
	"too_large":     grant.ErrTooLarge,
	"unsupported":   grant.ErrUnsupported,
	"bad_signature": grant.ErrBadSignature,
	"wrong_granter": grant.ErrWrongGranter,
	"wrong_grantee": grant.ErrWrongGrantee,
	"wrong_key":     grant.ErrWrongKey,
	"key_mismatch":  grant.ErrKeyMismatch,
	"version_gap":   grant.ErrVersionGap,
	"broken_chain":  grant.ErrBrokenChain,
	"not_admin":     grant.ErrNotAdmin,
}

func wantErr(t *testing.T, what string, err error, name string) {
	t.Helper()
	vectortest.WantError(t, what, err, name, sentinels)
}

// The wire layout, written out again here so that the vectors also check it
// against the spec rather than against the package's own structs.
type wireSigned struct {
	Body      []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

type wireGrant struct {
	Version          uint64 `cbor:"1,keyasint"`
	Kind             uint64 `cbor:"2,keyasint"`
	Object           string `cbor:"3,keyasint"`
	KeyVersion       uint64 `cbor:"4,keyasint"`
	KeyRecipient     string `cbor:"5,keyasint"`
	Grantee          string `cbor:"6,keyasint"`
	GranteeRecipient string `cbor:"7,keyasint"`
	Granter          string `cbor:"8,keyasint"`
	GranterKey       []byte `cbor:"9,keyasint"`
	Time             uint64 `cbor:"10,keyasint"`
	Wrapped          []byte `cbor:"11,keyasint"`
}

type wireRotation struct {
	Version           uint64 `cbor:"1,keyasint"`
	Folder            string `cbor:"2,keyasint"`
	KeyVersion        uint64 `cbor:"3,keyasint"`
	Recipient         string `cbor:"4,keyasint"`
	PreviousVersion   uint64 `cbor:"5,keyasint"`
	PreviousRecipient string `cbor:"6,keyasint"`
	Removed           string `cbor:"7,keyasint"`
	Admin             string `cbor:"8,keyasint"`
	AdminKey          []byte `cbor:"9,keyasint"`
	Time              uint64 `cbor:"10,keyasint"`
}

func cborOf(t testing.TB, v any) []byte {
	t.Helper()
	b, err := protocol.MarshalCBOR(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signed(t testing.TB, label protocol.Label, signer *keys.SigningKey, body []byte) []byte {
	return cborOf(t, &wireSigned{Body: body, Signature: signer.Sign(label, body)})
}

func seqFrom(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func signingKey(t testing.TB, seed []byte) *keys.SigningKey {
	t.Helper()
	k, err := keys.SigningKeyFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func identity(t testing.TB, s string) *keys.Identity {
	t.Helper()
	id, err := keys.ParseIdentity([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

const vectorTime = 1795219200 // 2026-11-21T00:00:00Z

// grantVector: with crypto/rand seeded by Seed, Grantee = NewIdentity() and
// Key = NewIdentity(); the granter's key is SigningKeyFromSeed(GranterSeed).
// Signed is the grant; Body its signed body. Parse(Signed) fails with
// ParseError or gives the fields; Verify(grant, ExpectedGranter or the
// granter's key) gives VerifyError; Open(grant, OpenWith or Grantee) gives
// OpenError or Key. Vectors without an error are what Make writes.
type grantVector struct {
	Comment         string         `json:"comment"`
	Seed            uint64         `json:"seed"`
	GranterSeed     vectortest.Hex `json:"granter_seed"`
	Grantee         string         `json:"grantee_identity"`
	Key             string         `json:"key_identity"`
	Kind            uint8          `json:"kind,omitempty"`
	ObjectID        string         `json:"object_id,omitempty"`
	KeyVersion      uint64         `json:"key_version,omitempty"`
	GranteeAccount  string         `json:"grantee_account,omitempty"`
	GranterAccount  string         `json:"granter_account,omitempty"`
	Time            int64          `json:"time,omitempty"`
	Body            vectortest.Hex `json:"body"`
	Signed          vectortest.Hex `json:"signed"`
	ExpectedGranter string         `json:"expected_granter,omitempty"`
	OpenWith        string         `json:"open_with,omitempty"`
	ParseError      string         `json:"parse_error,omitempty"`
	VerifyError     string         `json:"verify_error,omitempty"`
	OpenError       string         `json:"open_error,omitempty"`
}

// grantSetup draws the vector's identities from its seed.
func grantSetup(t *testing.T, seed uint64) (grantee, key *keys.Identity) {
	cryptotest.SetGlobalRandom(t, seed)
	return keys.NewIdentity(), keys.NewIdentity()
}

func grantVectors(t *testing.T) map[string]grantVector {
	alice := signingKey(t, seqFrom(0x00, 32))   // the granter
	mallory := signingKey(t, seqFrom(0x80, 32)) // signs what alice did not
	aliceKey, malloryKey := alice.Public(), mallory.Public()

	made := func(comment string, seed uint64, p grant.Params) grantVector {
		grantee, key := grantSetup(t, seed)
		g, err := grant.Make(alice, p, key, grantee.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		var ws wireSigned
		if err := protocol.UnmarshalCBOR(g.Bytes(), &ws); err != nil {
			t.Fatal(err)
		}
		return grantVector{
			Comment: comment, Seed: seed, GranterSeed: alice.Seed(),
			Grantee: string(grantee.MarshalSecret()), Key: string(key.MarshalSecret()),
			Kind: uint8(p.Kind), ObjectID: p.ObjectID, KeyVersion: p.KeyVersion,
			GranteeAccount: p.Grantee, GranterAccount: p.Granter, Time: p.Time.Unix(),
			Body: ws.Body, Signed: g.Bytes(),
		}
	}
	folderParams := grant.Params{Kind: grant.KindFolder, ObjectID: "fold3r-Legal_0001", KeyVersion: 3,
		Grantee: "bob", Granter: "alice", Time: time.Unix(vectorTime, 0)}
	folder := made("a grant of folder key version 3 from alice to bob: signed {1: body, 2: Ed25519 signature over \"vellum-grant/v1\" ‖ 0x0a ‖ body}; body {1: version 1, 2: kind 1 (folder), 3: object id, 4: key version, 5: key recipient, 6: grantee, 7: grantee recipient, 8: granter, 9: granter verify key, 10: time, 11: the key wrapped to the grantee (age)}",
		40, folderParams)
	document := made("a grant of a document key (kind 2, key version 1)", 41, grant.Params{Kind: grant.KindDocument,
		ObjectID: "doc-7Qx9", KeyVersion: 1, Grantee: "carol", Granter: "alice", Time: time.Unix(vectorTime+60, 0)})

	// Negative vectors start from the folder grant's body.
	var base wireGrant
	if err := protocol.UnmarshalCBOR(folder.Body, &base); err != nil {
		t.Fatal(err)
	}
	grantee, key := grantSetup(t, 40)
	variant := func(comment string, change func(w *wireGrant), signer *keys.SigningKey) grantVector {
		w := base
		change(&w)
		v := folder
		v.Comment, v.ParseError, v.VerifyError, v.OpenError = comment, "", "", ""
		v.Kind, v.ObjectID, v.KeyVersion, v.GranteeAccount, v.GranterAccount, v.Time = 0, "", 0, "", "", 0
		v.Body = cborOf(t, &w)
		v.Signed = signed(t, protocol.LabelGrant, signer, v.Body)
		return v
	}
	withWrap := func(seed uint64, id *keys.Identity, to keys.Recipient) []byte {
		cryptotest.SetGlobalRandom(t, seed)
		b, err := keys.WrapIdentity(id, to)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other := func(seed uint64) *keys.Identity { cryptotest.SetGlobalRandom(t, seed); return keys.NewIdentity() }

	vs := map[string]grantVector{"folder": folder, "document": document}

	v := variant("the folder grant with its object id changed after signing", func(w *wireGrant) { w.Object = "fold3r-Board_0002" }, alice)
	v.Signed = cborOf(t, &wireSigned{Body: v.Body, Signature: alice.Sign(protocol.LabelGrant, folder.Body)})
	v.VerifyError, v.OpenError = "bad_signature", "bad_signature"
	vs["tampered-object"] = v

	v = variant("the folder grant with its key version changed after signing", func(w *wireGrant) { w.KeyVersion = 2 }, alice)
	v.Signed = cborOf(t, &wireSigned{Body: v.Body, Signature: alice.Sign(protocol.LabelGrant, folder.Body)})
	v.VerifyError, v.OpenError = "bad_signature", "bad_signature"
	vs["tampered-key-version"] = v

	v = variant("a grant that names alice's key but is signed by mallory (seed 0x80..0x9f)", func(w *wireGrant) {}, mallory)
	v.VerifyError, v.OpenError = "bad_signature", "bad_signature"
	vs["forged-granter-key"] = v

	v = variant("a valid grant made and signed by mallory, checked against alice's key: the granter is swapped", func(w *wireGrant) {
		w.Granter, w.GranterKey = "mallory", malloryKey[:]
	}, mallory)
	v.ExpectedGranter = aliceKey.String()
	v.VerifyError = "wrong_granter"
	vs["swapped-granter"] = v

	v = folder
	v.Comment = "the folder grant opened with an identity that is not the grantee (the first identity drawn with seed 42)"
	v.OpenWith = string(other(42).MarshalSecret())
	v.OpenError = "wrong_grantee"
	vs["wrong-grantee"] = v

	v = variant("signed by alice, naming bob's recipient, but the key is wrapped (with seed 43) to another recipient (seed 44)", func(w *wireGrant) {
		w.Wrapped = withWrap(43, key, other(44).Recipient())
	}, alice)
	v.OpenError = "wrong_key"
	vs["wrapped-to-other"] = v

	v = variant("signed by alice, wrapping (with seed 45) another key (seed 46) than the key recipient it names", func(w *wireGrant) {
		w.Wrapped = withWrap(45, other(46), grantee.Recipient())
	}, alice)
	v.OpenError = "key_mismatch"
	vs["key-mismatch"] = v

	v = variant("object kind 3, which this version does not know", func(w *wireGrant) { w.Kind = 3 }, alice)
	v.ParseError = "unsupported"
	vs["unknown-kind"] = v

	v = variant("version 2", func(w *wireGrant) { w.Version = 2 }, alice)
	v.ParseError = "unsupported"
	vs["version-2"] = v

	v = variant("a document grant with key version 2: documents have one key version", func(w *wireGrant) {
		w.Kind, w.KeyVersion = uint64(grant.KindDocument), 2
	}, alice)
	v.ParseError = "malformed"
	vs["document-key-version"] = v

	v = variant("an object id with a character outside [A-Za-z0-9_-]", func(w *wireGrant) { w.Object = "a/b" }, alice)
	v.ParseError = "malformed"
	vs["bad-object-id"] = v

	v = variant("the grantee recipient in upper case: not the canonical encoding", func(w *wireGrant) {
		w.GranteeRecipient = string(bytes.ToUpper([]byte(w.GranteeRecipient)))
	}, alice)
	v.ParseError = "malformed"
	vs["uppercase-recipient"] = v

	v = folder
	v.Comment = "the folder grant with its outer map written signature first: not canonical CBOR"
	v.Kind, v.ObjectID, v.KeyVersion, v.GranteeAccount, v.GranterAccount, v.Time = 0, "", 0, "", "", 0
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(folder.Signed, &ws); err != nil {
		t.Fatal(err)
	}
	// {2: sig, 1: body}: map of 2, key 2, bstr 64, then key 1 and the body.
	v.Signed = append(append([]byte{0xa2, 0x02, 0x58, 0x40}, ws.Signature...), append([]byte{0x01}, folder.Signed[2:len(folder.Signed)-67]...)...)
	v.ParseError = "malformed"
	vs["unsorted-outer"] = v

	return vs
}

func TestVectorsGrant(t *testing.T) {
	gen := grantVectors(t)
	for _, c := range vectortest.Load[grantVector](t, "grant-statement") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			granter := signingKey(t, v.GranterSeed)
			g, err := grant.Parse(v.Signed)
			wantErr(t, "Parse", err, v.ParseError)
			if err != nil {
				return
			}
			if again, err := g.Marshal(); err != nil || !bytes.Equal(again, v.Signed) {
				t.Errorf("Marshal of a parsed grant = %x, %v", again, err)
			}
			expect := granter.Public()
			if v.ExpectedGranter != "" {
				if expect, err = keys.ParseVerifyKey(v.ExpectedGranter); err != nil {
					t.Fatal(err)
				}
			}
			wantErr(t, "Verify", grant.Verify(g, expect), v.VerifyError)
			open := identity(t, v.Grantee)
			if v.OpenWith != "" {
				open = identity(t, v.OpenWith)
			}
			key, err := grant.Open(g, open)
			wantErr(t, "Open", err, v.OpenError)
			if err == nil && string(key.MarshalSecret()) != v.Key {
				t.Errorf("Open returned another key")
			}
			if v.ParseError+v.VerifyError+v.OpenError != "" {
				return
			}
			// A positive vector is exactly what Make writes.
			want := grant.Params{Kind: grant.Kind(v.Kind), ObjectID: v.ObjectID, KeyVersion: v.KeyVersion,
				Grantee: v.GranteeAccount, Granter: v.GranterAccount, Time: time.Unix(v.Time, 0).UTC()}
			if g.Params != want {
				t.Errorf("Parse gave %+v, want %+v", g.Params, want)
			}
			grantee, k := grantSetup(t, v.Seed)
			made, err := grant.Make(granter, want, k, grantee.Recipient())
			if err != nil || !bytes.Equal(made.Bytes(), v.Signed) {
				t.Errorf("Make with seed %d = %x, %v; want %x", v.Seed, made.Bytes(), err, v.Signed)
			}
		})
	}
}

// rotationVector: with crypto/rand seeded by Seed, version 1 of folder
// FolderID is NewIdentity() (recipient First). Rotations are the signed
// rotations in order; every one parses unless ParseError. CheckChain(FolderID,
// First, rotations, admins = the keys in Admins) gives Error, or a chain
// whose latest version is Latest with LatestRecipient.
type rotationVector struct {
	Comment         string           `json:"comment"`
	Seed            uint64           `json:"seed"`
	AdminSeed       vectortest.Hex   `json:"admin_seed"`
	FolderID        string           `json:"folder_id"`
	First           string           `json:"first_recipient"`
	Rotations       []vectortest.Hex `json:"rotations"`
	Admins          []string         `json:"admins"`
	Latest          uint64           `json:"latest,omitempty"`
	LatestRecipient string           `json:"latest_recipient,omitempty"`
	ParseError      string           `json:"parse_error,omitempty"`
	Error           string           `json:"error,omitempty"`
}

func rotationVectors(t *testing.T) map[string]rotationVector {
	admin := signingKey(t, seqFrom(0x00, 32))
	mallory := signingKey(t, seqFrom(0x80, 32))
	adminKey := admin.Public()
	const folder = "fold3r-Legal_0001"

	cryptotest.SetGlobalRandom(t, 50)
	first := keys.NewIdentity()
	r2, _, err := grant.Rotate(admin, grant.RotationParams{FolderID: folder, Previous: 1, Removed: "bob", Admin: "alice", Time: time.Unix(vectorTime, 0)}, first.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	r3, _, err := grant.Rotate(admin, grant.RotationParams{FolderID: folder, Previous: 2, Removed: "carol", Admin: "alice", Time: time.Unix(vectorTime+3600, 0)}, r2.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	r4, _, err := grant.Rotate(admin, grant.RotationParams{FolderID: folder, Previous: 3, Removed: "dave", Admin: "alice", Time: time.Unix(vectorTime+7200, 0)}, r3.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	base := rotationVector{Seed: 50, AdminSeed: admin.Seed(), FolderID: folder, First: first.Recipient().String(), Admins: []string{adminKey.String()}}
	chain := func(comment string, rs ...[]byte) rotationVector {
		v := base
		v.Comment = comment
		v.Rotations = make([]vectortest.Hex, len(rs))
		for i, r := range rs {
			v.Rotations[i] = r
		}
		return v
	}
	wireOf := func(r *grant.FolderRotation) wireRotation {
		var ws wireSigned
		var w wireRotation
		if err := protocol.UnmarshalCBOR(r.Bytes(), &ws); err != nil {
			t.Fatal(err)
		}
		if err := protocol.UnmarshalCBOR(ws.Body, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}

	vs := map[string]rotationVector{}
	v := chain("folder key versions 1 → 2 (bob removed) → 3 (carol removed) → 4 (dave removed), each signed by the admin: signed {1: body, 2: Ed25519 signature over \"vellum-folder-rotation/v1\" ‖ 0x0a ‖ body}; body {1: version 1, 2: folder id, 3: new key version, 4: new recipient, 5: previous version, 6: previous recipient, 7: removed account, 8: admin account, 9: admin verify key, 10: time}",
		r2.Bytes(), r3.Bytes(), r4.Bytes())
	v.Latest, v.LatestRecipient = 4, r4.Recipient.String()
	vs["three-rotations"] = v

	v = chain("no rotation: version 1 is the latest")
	v.Rotations = []vectortest.Hex{}
	v.Latest, v.LatestRecipient = 1, first.Recipient().String()
	vs["no-rotation"] = v

	v = chain("version 3 is missing: 2 then 4", r2.Bytes(), r4.Bytes())
	v.Error = "version_gap"
	vs["version-gap"] = v

	v = chain("version 2 twice", r2.Bytes(), r2.Bytes())
	v.Error = "version_gap"
	vs["repeated-version"] = v

	w := wireOf(r3)
	w.PreviousRecipient = first.Recipient().String()
	v = chain("version 3 names version 1's key as its previous one, signed by the admin", r2.Bytes(), signed(t, protocol.LabelFolderRotation, admin, cborOf(t, &w)))
	v.Error = "broken_chain"
	vs["wrong-previous"] = v

	w = wireOf(r3)
	w.Recipient = first.Recipient().String()
	v = chain("version 3 rotates back to version 1's key, signed by the admin", r2.Bytes(), signed(t, protocol.LabelFolderRotation, admin, cborOf(t, &w)))
	v.Error = "broken_chain"
	vs["key-reuse"] = v

	w = wireOf(r2)
	w.Folder = "another-folder"
	v = chain("a rotation of another folder, signed by the admin", signed(t, protocol.LabelFolderRotation, admin, cborOf(t, &w)))
	v.Error = "broken_chain"
	vs["other-folder"] = v

	w = wireOf(r2)
	w.Removed = "mallory"
	var ws wireSigned
	if err := protocol.UnmarshalCBOR(r2.Bytes(), &ws); err != nil {
		t.Fatal(err)
	}
	v = chain("version 2 with the removed member changed after signing", cborOf(t, &wireSigned{Body: cborOf(t, &w), Signature: ws.Signature}))
	v.Error = "bad_signature"
	vs["tampered"] = v

	w = wireOf(r2)
	mk := mallory.Public()
	w.Admin, w.AdminKey = "mallory", mk[:]
	v = chain("version 2 signed by mallory, who is not an admin", signed(t, protocol.LabelFolderRotation, mallory, cborOf(t, &w)))
	v.Error = "not_admin"
	vs["not-admin"] = v

	w = wireOf(r2)
	w.KeyVersion = 3
	v = chain("a rotation to version 3 that says its previous version is 1", signed(t, protocol.LabelFolderRotation, admin, cborOf(t, &w)))
	v.ParseError = "malformed"
	vs["skipping-statement"] = v

	return vs
}

func TestVectorsRotation(t *testing.T) {
	gen := rotationVectors(t)
	for _, c := range vectortest.Load[rotationVector](t, "grant-rotation") {
		t.Run(c.Name, func(t *testing.T) {
			v := c.V
			vectortest.CheckGenerated(t, gen, c.Name, v)
			var rs []*grant.FolderRotation
			var perr error
			for _, b := range v.Rotations {
				r, err := grant.ParseRotation(b)
				if err != nil {
					perr = err
					break
				}
				if again, err := r.Marshal(); err != nil || !bytes.Equal(again, b) {
					t.Errorf("Marshal of a parsed rotation = %x, %v", again, err)
				}
				rs = append(rs, r)
			}
			wantErr(t, "ParseRotation", perr, v.ParseError)
			if perr != nil {
				return
			}
			first, err := keys.ParseRecipient(v.First)
			if err != nil {
				t.Fatal(err)
			}
			admins := grant.AdminsFunc(func(_ string, k keys.VerifyKey) error {
				for _, a := range v.Admins {
					if a == k.String() {
						return nil
					}
				}
				return errors.New("not in the vector's admins")
			})
			ch, err := grant.CheckChain(v.FolderID, first, rs, admins)
			wantErr(t, "CheckChain", err, v.Error)
			if err != nil {
				return
			}
			if n, r := ch.Latest(); n != v.Latest || r.String() != v.LatestRecipient {
				t.Errorf("Latest = %d %s, want %d %s", n, r, v.Latest, v.LatestRecipient)
			}
		})
	}
}

func TestUpdateVectors(t *testing.T) {
	if !*vectortest.Update {
		t.Skip("regenerates vectors only with -update")
	}
	for name, v := range grantVectors(t) {
		vectortest.Write(t, "grant-statement", name, v)
	}
	for name, v := range rotationVectors(t) {
		vectortest.Write(t, "grant-rotation", name, v)
	}
}
