package protocol_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
)

// apiVector is one example request body (format api-requests): a body that
// MUST decode and validate (no error), or one that MUST fail with Error.
// Body holds well-formed JSON; Raw holds bytes that are not.
type apiVector struct {
	Comment string          `json:"comment"`
	Route   string          `json:"route"`
	Body    json.RawMessage `json:"body,omitempty"`
	Raw     string          `json:"raw,omitempty"`
	Error   protocol.Code   `json:"error,omitempty"`
}

const apiFormat = "api-requests"

func routeByName(t testing.TB, name string) *protocol.Route {
	t.Helper()
	for i := range protocol.Routes {
		if protocol.Routes[i].Name == name {
			return &protocol.Routes[i]
		}
	}
	t.Fatalf("no route %q", name)
	return nil
}

// decodeRequest decodes and validates a body for a route, as the server does.
func decodeRequest(r *protocol.Route, body []byte) (protocol.Request, error) {
	return protocol.DecodeRequest(r, body)
}

const (
	exRecipient = "age1qau6ymy8mrng6p0h67ykevg37wl3smpclc2jzs8y8tr764xckqaq4t7j8a"
	exVerifyKey = "ed25519:Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA"
	exTenant    = "t8Jk2mQ9xVbR4nLp7sWz1A"
	exFolder    = "f3Hq8LmN2pRt6vXz9BcD4e"
	exDocument  = "d5Kp1QwE7rTy3uIo9PaS2d"
	exVerifier  = "Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA"
	exVerifier2 = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
)

func ex(s string) []byte { return []byte(s) }

// goodRequests is one valid example per JSON route. The byte fields hold
// readable placeholders: their content is opaque to this layer.
func goodRequests() map[string]protocol.Request {
	grant := protocol.GrantUpload{Grant: ex("signed grant"), GranteeID: "acct-bob", ObjectKind: protocol.ObjectFolder, ObjectID: exFolder, KeyVersion: 1}
	webauthn := json.RawMessage(`{"id":"Y3JlZA","rawId":"Y3JlZA","type":"public-key","response":{"clientDataJSON":"e30"}}`)
	return map[string]protocol.Request{
		"auth.register.start":  &protocol.RegisterStartRequest{Email: "alice@example.com", RegistrationRequest: ex("OPAQUE RegistrationRequest")},
		"auth.register.finish": &protocol.RegisterFinishRequest{RegistrationID: "reg-1", Code: "123456", RegistrationRecord: ex("OPAQUE RegistrationRecord"), Keyring: ex("sealed keyring"), PublicKeyring: ex("signed public keyring"), PasswordWrap: ex("sealed account key"), RecoveryCodeWrap: ex("sealed account key"), Device: &protocol.AddDeviceRequest{Label: "Firefox on a laptop", Recipient: exRecipient, Wrap: ex("age file")}},
		"auth.login.start":     &protocol.LoginStartRequest{Email: "alice@example.com", KE1: ex("OPAQUE KE1")},
		"auth.login.finish":    &protocol.LoginFinishRequest{LoginID: "login-1", KE3: ex("OPAQUE KE3"), DeviceID: "dev-1"},
		"auth.passkey.start":   &protocol.PasskeyLoginStartRequest{},
		"auth.passkey.finish":  &protocol.PasskeyLoginFinishRequest{CeremonyID: "cer-1", Assertion: webauthn},
		"auth.device.verify":   &protocol.DeviceVerifyRequest{VerificationID: "ver-1", Code: "00123456"},
		"auth.device.resend":   &protocol.DeviceVerifyResendRequest{VerificationID: "ver-1"},
		"auth.refresh":         &protocol.RefreshRequest{RefreshToken: "v1.k1.R4nd0m-T0k3n_w1th.dots"},
		"auth.logout":          &protocol.LogoutRequest{Everywhere: true},

		"account.keyring.replace": &protocol.ReplaceKeyringRequest{PreviousVersion: 3, Keyring: ex("sealed keyring"), PublicKeyring: ex("signed public keyring"),
			Wraps: []protocol.ReplacedUnlock{{MethodID: "m-password", Wrap: ex("sealed account key")}, {MethodID: "m-device", Wrap: ex("age file")}}},
		"account.password.start":  &protocol.PasswordChangeStartRequest{RegistrationRequest: ex("OPAQUE RegistrationRequest")},
		"account.password.finish": &protocol.PasswordChangeFinishRequest{RegistrationID: "reg-2", RegistrationRecord: ex("OPAQUE RegistrationRecord"), PasswordWrap: ex("sealed account key")},
		"account.passkeys.start":  &protocol.PasskeyRegisterStartRequest{Label: "YubiKey 5"},
		"account.passkeys.finish": &protocol.PasskeyRegisterFinishRequest{CeremonyID: "cer-2", Credential: webauthn, PRFWrap: ex("sealed account key")},
		"account.unlock.add":      &protocol.AddUnlockMethodRequest{Kind: protocol.UnlockTenantRecovery, Wrap: ex("age file"), TenantID: exTenant},
		"account.devices.add":     &protocol.AddDeviceRequest{Label: "Chrome on a phone", Recipient: exRecipient, Wrap: ex("age file")},

		"tenants.create":            &protocol.CreateTenantRequest{TenantID: exTenant, Profile: ex("age file"), Genesis: ex("signed genesis statement")},
		"tenants.invites.create":    &protocol.CreateInviteRequest{Email: "carol@example.com", Role: protocol.RoleMember},
		"invites.accept":            &protocol.AcceptInviteRequest{Token: "inv-token-1"},
		"tenants.members.role":      &protocol.ChangeRoleRequest{Role: protocol.RoleAdmin, Statement: ex("signed change-role")},
		"tenants.members.remove":    &protocol.RemoveMemberRequest{Statement: ex("signed remove-member")},
		"tenants.membership.append": &protocol.AppendMembershipRequest{Statement: ex("signed statement")},
		"tenants.recovery.request":  &protocol.CreateRecoveryRequest{DeviceRecipient: exRecipient},
		"tenants.recovery.approve":  &protocol.ApproveRecoveryRequest{Admins: []string{"acct-bob", "acct-alice"}, Wrap: ex("age file")},
		"tenants.recovery.deny":     &protocol.DenyRequest{Reason: "Please ask in person."},

		"folders.create": &protocol.CreateFolderRequest{FolderID: exFolder, Name: ex("age file"), Recipient: exRecipient,
			Grants: []protocol.GrantUpload{{Grant: ex("signed grant"), GranteeID: "acct-alice", ObjectKind: protocol.ObjectFolder, ObjectID: exFolder, KeyVersion: 1}}},
		"folders.rename":        &protocol.RenameFolderRequest{Name: ex("age file")},
		"folders.move":          &protocol.MoveFolderRequest{ParentID: "parent-folder"},
		"folders.rotate":        &protocol.RotateFolderRequest{KeyVersion: 2, Recipient: exRecipient, Rotation: ex("signed rotation"), Grants: []protocol.GrantUpload{grant}},
		"folders.rewraps.store": &protocol.RewrapRequest{Rewraps: []protocol.Rewrap{{DocumentID: exDocument, Version: 1, FolderKeyVersion: 2, KeyWrap: ex("age file")}}},

		"uploads.create":   &protocol.CreateUploadRequest{DocumentID: exDocument, FolderID: exFolder, Size: 10 << 30, Metadata: ex("age file"), KeyWrap: ex("age file"), FolderKeyVersion: 2},
		"uploads.commit":   &protocol.CommitUploadRequest{SHA256: bytes.Repeat([]byte{0xab}, 32), Statement: ex("signed version statement")},
		"documents.rename": &protocol.RenameDocumentRequest{Version: 2, Metadata: ex("age file")},
		"documents.move": &protocol.MoveDocumentRequest{FolderID: exFolder, FolderKeyVersion: 3,
			KeyWraps: []protocol.VersionKeyWrap{{Version: 1, KeyWrap: ex("age file")}, {Version: 2, KeyWrap: ex("age file")}}},

		"grants.create":  &protocol.CreateGrantsRequest{Grants: []protocol.GrantUpload{grant}},
		"access.request": &protocol.CreateAccessRequest{ObjectKind: protocol.ObjectDocument, ObjectID: exDocument, Message: "For the audit, please."},
		"access.approve": &protocol.ApproveAccessRequest{Grant: grant},
		"access.deny":    &protocol.DenyRequest{},

		"envelopes.create": &protocol.CreateEnvelopeRequest{EnvelopeID: "env-1", DocumentID: exDocument, Version: 1, Message: ex("age file"), ExpiresInDays: 14,
			Signers: []protocol.NewSigner{
				{SignerID: "s1", Name: "Dora Díaz", Email: "dora@example.org", Phone: "+4915112345678", Order: 1, PIN: "482913", VerifierHash: exVerifier, LinkWrap: ex("age scrypt file")},
				{SignerID: "s2", Name: "Emil Ek", Email: "emil@example.se", Phone: "+46701234567", Order: 2, VerifierHash: exVerifier2, LinkWrap: ex("age scrypt file")},
				{SignerID: "s3", AccountID: "acct-carol", Name: "Carol Chen", Email: "carol@example.com", Order: 3},
			}},
		"envelopes.remind":       &protocol.RemindRequest{SignerIDs: []string{"s2"}},
		"envelopes.cancel":       &protocol.CancelEnvelopeRequest{Reason: "Wrong version sent."},
		"envelopes.sign":         &protocol.SubmitSignatureRequest{Statement: ex("signed signer statement"), VerifyKey: exVerifyKey},
		"envelopes.decline":      &protocol.DeclineRequest{Reason: "Not my contract."},
		"envelopes.link.replace": &protocol.ReplaceLinkRequest{PIN: "048213", VerifierHash: exVerifier2, LinkWrap: ex("age file")},
		"envelopes.seal.upload":  &protocol.SealUploadRequest{Seal: ex("seal"), Commitment: bytes.Repeat([]byte{1}, 32), SealHash: bytes.Repeat([]byte{2}, 32)},

		"links.open":        &protocol.OpenLinkRequest{SignerID: "s1", Verifier: exVerifier},
		"links.sign":        &protocol.SubmitSignatureRequest{Statement: ex("signed signer statement"), VerifyKey: exVerifyKey},
		"links.decline":     &protocol.DeclineRequest{Reason: "Not my contract."},
		"links.seal.upload": &protocol.SealUploadRequest{Seal: ex("seal"), Commitment: bytes.Repeat([]byte{1}, 32), SealHash: bytes.Repeat([]byte{2}, 32)},
	}
}

// badRequests are bodies that MUST fail, each with its code.
// alternativeRequests are valid examples of a second shape a route takes.
func alternativeRequests() map[string]struct {
	route, comment string
	req            protocol.Request
} {
	return map[string]struct {
		route, comment string
		req            protocol.Request
	}{
		"auth.device.verify-proof": {"auth.device.verify", "with a trusted device's proof instead of a code",
			&protocol.DeviceVerifyRequest{VerificationID: "ver-1", Proof: bytes.Repeat([]byte{0x5a}, protocol.DeviceProofSize)}},
	}
}

var badRequests = []struct {
	name, route, comment string
	body, raw            string
	code                 protocol.Code
}{
	{"unknown-field", "auth.login.start", "a field the type does not have", `{"email":"alice@example.com","ke1":"S0Ux","admin":true}`, "", protocol.CodeUnknownField},
	{"trailing-data", "auth.login.start", "a second JSON value after the object", "", `{"email":"alice@example.com","ke1":"S0Ux"} {}`, protocol.CodeBadEncoding},
	{"truncated", "auth.login.start", "the object cut short", "", `{"email":"alice@example.com","ke1":"S0Ux"`, protocol.CodeBadEncoding},
	{"empty-body", "auth.login.start", "no bytes at all", "", "", protocol.CodeBadEncoding},
	{"not-base64", "auth.login.start", "a byte field that is not standard base64", `{"email":"alice@example.com","ke1":"S0Ux!"}`, "", protocol.CodeBadRequest},
	{"base64url", "auth.login.start", "a byte field in base64url (\"-\" and \"_\"), not standard base64", `{"email":"alice@example.com","ke1":"-_-_"}`, "", protocol.CodeBadRequest},
	{"wrong-type", "auth.login.start", "a string field given a number", `{"email":5,"ke1":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"missing-field", "auth.login.start", "ke1 left out", `{"email":"alice@example.com"}`, "", protocol.CodeBadRequest},
	{"bad-email", "auth.register.start", "an e-mail address without a domain", `{"email":"alice@","registrationRequest":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"opaque-too-large", "auth.login.start", "a KE1 over MaxOPAQUEMessage (4097 bytes)", `{"email":"alice@example.com","ke1":"` + b64(4097) + `"}`, "", protocol.CodeTooLarge},
	{"code-not-digits", "auth.device.verify", "a verification code with a letter", `{"verificationId":"ver-1","code":"12345a"}`, "", protocol.CodeBadRequest},
	{"code-too-short", "auth.device.verify", "a five-digit verification code", `{"verificationId":"ver-1","code":"12345"}`, "", protocol.CodeBadRequest},
	{"device-code-and-proof", "auth.device.verify", "both a code and a device proof", `{"verificationId":"ver-1","code":"123456","proof":"` + b64(32) + `"}`, "", protocol.CodeBadRequest},
	{"device-proof-short", "auth.device.verify", "a device proof of 31 bytes", `{"verificationId":"ver-1","proof":"` + b64(31) + `"}`, "", protocol.CodeBadRequest},
	{"device-proof-long", "auth.device.verify", "a device proof of 33 bytes", `{"verificationId":"ver-1","proof":"` + b64(33) + `"}`, "", protocol.CodeBadRequest},
	{"device-neither", "auth.device.verify", "neither a code nor a device proof", `{"verificationId":"ver-1"}`, "", protocol.CodeBadRequest},
	{"id-with-slash", "auth.device.verify", "an id outside [A-Za-z0-9_-]", `{"verificationId":"../x","code":"123456"}`, "", protocol.CodeBadRequest},
	{"id-too-long", "auth.device.verify", "an id of 65 characters", `{"verificationId":"` + repeat("a", 65) + `","code":"123456"}`, "", protocol.CodeBadRequest},
	{"webauthn-not-object", "auth.passkey.finish", "a WebAuthn assertion that is a string, not an object", `{"ceremonyId":"cer-1","assertion":"e30"}`, "", protocol.CodeBadRequest},
	{"webauthn-too-large", "auth.passkey.finish", "a WebAuthn assertion over MaxWebAuthnJSON", `{"ceremonyId":"cer-1","assertion":{"x":"` + repeat("a", 65536) + `"}}`, "", protocol.CodeTooLarge},
	{"unknown-role", "tenants.invites.create", "a role that is not owner, admin or member", `{"email":"carol@example.com","role":"superuser"}`, "", protocol.CodeBadRequest},
	{"role-as-number", "tenants.invites.create", "a role given as its CBOR number", `{"email":"carol@example.com","role":3}`, "", protocol.CodeBadRequest},
	{"missing-role", "tenants.invites.create", "no role", `{"email":"carol@example.com"}`, "", protocol.CodeBadRequest},
	{"unlock-device-kind", "account.unlock.add", "device wraps are added through the device routes", `{"kind":"device","wrap":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"unlock-passkey-without-id", "account.unlock.add", "a passkey wrap that does not say which passkey", `{"kind":"passkey","wrap":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"bad-recipient", "account.devices.add", "a recipient with an upper-case letter", `{"label":"x","recipient":"` + "age1QAU6YMY8MRNG6P0H67YKEVG37WL3SMPCLC2JZS8Y8TR764XCKQAQ4T7J8A" + `","wrap":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"label-control-char", "account.devices.add", "a label with a control character", `{"label":"a\u0007b","recipient":"` + exRecipient + `","wrap":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"grant-bad-object-kind", "grants.create", "a grant on something that is neither a folder nor a document", `{"grants":[{"grant":"S0Ux","granteeId":"acct-bob","objectKind":"tenant","objectId":"x","keyVersion":1}]}`, "", protocol.CodeBadRequest},
	{"grant-version-zero", "grants.create", "key versions start at 1", `{"grants":[{"grant":"S0Ux","granteeId":"acct-bob","objectKind":"folder","objectId":"x","keyVersion":0}]}`, "", protocol.CodeBadRequest},
	{"no-grants", "grants.create", "an empty batch", `{"grants":[]}`, "", protocol.CodeBadRequest},
	{"rotate-to-version-1", "folders.rotate", "a rotation makes version 2 or later", `{"keyVersion":1,"recipient":"` + exRecipient + `","rotation":"S0Ux","grants":[{"grant":"S0Ux","granteeId":"a","objectKind":"folder","objectId":"f","keyVersion":1}]}`, "", protocol.CodeBadRequest},
	{"upload-too-large", "uploads.create", "a document over MaxUploadSize", `{"documentId":"d","folderId":"f","size":68719476737,"metadata":"S0Ux","keyWrap":"S0Ux","folderKeyVersion":1}`, "", protocol.CodeBadRequest},
	{"upload-negative-size", "uploads.create", "a negative size", `{"documentId":"d","folderId":"f","size":-1,"metadata":"S0Ux","keyWrap":"S0Ux","folderKeyVersion":1}`, "", protocol.CodeBadRequest},
	{"rename-version-zero", "documents.rename", "versions start at 1", `{"version":0,"metadata":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"move-version-twice", "documents.move", "one version's key wrapped twice", `{"folderId":"f","folderKeyVersion":1,"keyWraps":[{"version":1,"keyWrap":"S0Ux"},{"version":1,"keyWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"move-no-wraps", "documents.move", "a move without the versions' keys", `{"folderId":"f","folderKeyVersion":1,"keyWraps":[]}`, "", protocol.CodeBadRequest},
	{"hash-wrong-length", "uploads.commit", "a SHA-256 of 31 bytes", `{"sha256":"` + b64(31) + `","statement":"c3Q="}`, "", protocol.CodeBadRequest},
	{"commit-without-statement", "uploads.commit", "a commit without the uploader's version statement", `{"sha256":"` + b64(32) + `"}`, "", protocol.CodeBadRequest},
	{"float-for-int", "uploads.create", "a size with a fraction", `{"documentId":"d","folderId":"f","size":1.5,"metadata":"S0Ux","keyWrap":"S0Ux","folderKeyVersion":1}`, "", protocol.CodeBadRequest},
	{"pin-instead-of-verifier", "links.open", "the PIN itself, which never goes to the server: the signer sends the verifier", `{"pin":"482913"}`, "", protocol.CodeUnknownField},
	{"verifier-short", "links.open", "a verifier of 42 characters", `{"verifier":"Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GC"}`, "", protocol.CodeBadRequest},
	{"verifier-padded", "links.open", "a verifier in padded base64", `{"verifier":"Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCA="}`, "", protocol.CodeBadRequest},
	{"open-without-signer", "links.open", "a verifier without the link's signer id: the server would have to try every signer's hash and could count wrong PINs only per envelope", `{"verifier":"` + exVerifier + `"}`, "", protocol.CodeBadRequest},
	{"member-signer-with-link", "envelopes.create", "a member signer (accountId set) with a link wrap: members sign in their session, not through a link", `{"envelopeId":"e","documentId":"d","version":1,"expiresInDays":7,"signers":[{"signerId":"s","accountId":"acct-carol","name":"N","email":"n@example.com","verifierHash":"` + exVerifier + `","linkWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"signer-pin-seven-digits", "envelopes.create", "a PIN to relay that is not six digits", `{"envelopeId":"e","documentId":"d","version":1,"expiresInDays":7,"signers":[{"signerId":"s","name":"N","email":"n@example.com","phone":"+4915112345678","pin":"1234567","verifierHash":"` + exVerifier + `","linkWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"signer-no-verifier-hash", "envelopes.create", "a signer without the hash of their PIN verifier", `{"envelopeId":"e","documentId":"d","version":1,"expiresInDays":7,"signers":[{"signerId":"s","name":"N","email":"n@example.com","phone":"+4915112345678","linkWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"signer-bad-phone", "envelopes.create", "a phone number without the + of E.164", `{"envelopeId":"e","documentId":"d","version":1,"expiresInDays":7,"signers":[{"signerId":"s","name":"N","email":"n@example.com","phone":"015112345678","verifierHash":"` + exVerifier + `","linkWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"signer-twice", "envelopes.create", "one signer id twice", `{"envelopeId":"e","documentId":"d","version":1,"expiresInDays":7,"signers":[{"signerId":"s","name":"N","email":"n@example.com","phone":"+4915112345678","verifierHash":"` + exVerifier + `","linkWrap":"S0Ux"},{"signerId":"s","name":"M","email":"m@example.com","phone":"+4915112345679","verifierHash":"` + exVerifier2 + `","linkWrap":"S0Ux"}]}`, "", protocol.CodeBadRequest},
	{"verify-key-bad-padding", "links.sign", "a verify key whose last character has non-zero padding bits", `{"statement":"S0Ux","verifyKey":"ed25519:Mb13TM09Fsy2WfdsqVZD9gpSbKPTug93xDzozU27GCB"}`, "", protocol.CodeBadRequest},
	{"remind-duplicate", "envelopes.remind", "a signer listed twice", `{"signerIds":["s1","s1"]}`, "", protocol.CodeBadRequest},
	{"seal-commitment-missing", "envelopes.seal.upload", "no commitment", `{"seal":"S0Ux","sealHash":"` + b64(32) + `"}`, "", protocol.CodeBadRequest},
	{"duplicate-member", "auth.login.start", "one member twice: encoding/json would keep the last", `{"email":"alice@example.com","email":"mallory@example.com","ke1":"S0Ux"}`, "", protocol.CodeBadRequest},
	{"case-variant-member", "auth.login.start", "a member name that matches a field only case-insensitively", `{"Email":"alice@example.com","ke1":"S0Ux"}`, "", protocol.CodeUnknownField},
	{"null-body", "auth.logout", "null where the request object belongs", "", "null", protocol.CodeBadRequest},
	{"null-member", "auth.login.finish", "a member set to null instead of left out", `{"loginId":"l","ke3":"S0Ux","deviceId":null}`, "", protocol.CodeBadRequest},
	{"base64-line-break", "auth.login.start", "base64 with an escaped line break, which encoding/json skips", `{"email":"alice@example.com","ke1":"S0Ux\nS0Ux"}`, "", protocol.CodeBadEncoding},
	{"base64-pad-bits", "auth.login.start", "\"QR==\": base64 whose pad bits are not zero (\"QQ==\" is the canonical form of the same byte)", `{"email":"alice@example.com","ke1":"QR=="}`, "", protocol.CodeBadEncoding},
	{"base64-unpadded", "auth.login.start", "base64 without its padding", `{"email":"alice@example.com","ke1":"QQ"}`, "", protocol.CodeBadRequest},
	{"nested-case-variant", "grants.create", "a case-variant member inside a list", `{"grants":[{"grant":"S0Ux","GranteeId":"acct-bob","objectKind":"folder","objectId":"x","keyVersion":1}]}`, "", protocol.CodeUnknownField},
	{"top-level-array", "auth.logout", "an array where an object belongs", `[]`, "", protocol.CodeBadRequest},
}

func b64(n int) string {
	b, _ := json.Marshal(make([]byte, n))
	return string(b[1 : len(b)-1])
}

func repeat(s string, n int) string { return string(bytes.Repeat([]byte(s), n)) }

func buildAPIVectors(t *testing.T) map[string]apiVector {
	vs := map[string]apiVector{}
	for name, v := range goodRequests() {
		body, err := protocol.EncodeJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		r := routeByName(t, name)
		vs[name] = apiVector{Comment: "a valid " + r.RequestType() + " for " + r.Method + " " + r.Path, Route: name, Body: body}
	}
	for name, a := range alternativeRequests() {
		body, err := protocol.EncodeJSON(a.req)
		if err != nil {
			t.Fatal(err)
		}
		r := routeByName(t, a.route)
		vs[name] = apiVector{Comment: "a valid " + r.RequestType() + " for " + r.Method + " " + r.Path + ", " + a.comment, Route: a.route, Body: body}
	}
	for _, b := range badRequests {
		v := apiVector{Comment: b.comment, Route: b.route, Error: b.code}
		if b.raw != "" || b.body == "" {
			v.Raw = b.raw
		} else {
			v.Body = json.RawMessage(b.body)
		}
		vs["bad-"+b.name] = v
	}
	return vs
}

// TestGenerateAPIVectors rebuilds the example bodies and compares them with
// the stored files; -update rewrites them.
func TestGenerateAPIVectors(t *testing.T) {
	built := buildAPIVectors(t)
	if *vectortest.Update {
		for name, v := range built {
			vectortest.Write(t, apiFormat, name, v)
		}
		return
	}
	stored := vectortest.Load[apiVector](t, apiFormat)
	if len(stored) != len(built) {
		t.Errorf("%d vectors stored, %d built; run with -update", len(stored), len(built))
	}
	for _, c := range stored {
		b, ok := built[c.Name]
		if !ok {
			t.Errorf("%s: stored but not built", c.Name)
			continue
		}
		if !sameJSON(t, b.Body, c.V.Body) || b.Raw != c.V.Raw || b.Error != c.V.Error || b.Route != c.V.Route || b.Comment != c.V.Comment {
			t.Errorf("%s: differs from the built vector; run with -update", c.Name)
		}
	}
}

func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var ca, cb bytes.Buffer
	if err := json.Compact(&ca, a); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&cb, b); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// TestAPIVectors decodes every stored example as the server would.
func TestAPIVectors(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range vectortest.Load[apiVector](t, apiFormat) {
		t.Run(c.Name, func(t *testing.T) {
			r := routeByName(t, c.V.Route)
			if r.Body != protocol.BodyJSON {
				t.Fatalf("route %s takes no JSON body", r.Name)
			}
			body := []byte(c.V.Raw)
			if c.V.Body != nil {
				var buf bytes.Buffer
				if err := json.Compact(&buf, c.V.Body); err != nil {
					t.Fatal(err)
				}
				body = buf.Bytes()
			}
			v, err := decodeRequest(r, body)
			if c.V.Error != "" {
				if err == nil || protocol.CodeOf(err) != c.V.Error {
					t.Fatalf("got %v, want code %s", err, c.V.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			covered[r.Name] = true
			// Byte-exact: the canonical encoding of the decoded value is
			// the stored body.
			again, err := protocol.EncodeJSON(v)
			if err != nil || !bytes.Equal(again, body) {
				t.Fatalf("re-encoded body differs: %s", again)
			}
		})
	}
	for _, r := range protocol.Routes {
		if r.Body == protocol.BodyJSON && !covered[r.Name] {
			t.Errorf("route %s has no valid example vector", r.Name)
		}
	}
}
