package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	wa "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn). A passkey logs in;
// its PRF output, which only the browser sees, wraps the account key. The
// server keeps each ceremony's state in memory for ceremonyTTL and uses it
// once. User verification is required.
const (
	ceremonyTTL   = 5 * time.Minute
	maxCeremonies = 10000
)

type ceremonyKind uint8

const (
	ceremonyRegister ceremonyKind = iota + 1
	ceremonyLogin
)

type ceremony struct {
	kind    ceremonyKind
	account store.ID // zero: a discoverable login, or a login for an address without passkeys
	named   bool     // a login that named an address
	label   string
	session webauthn.SessionData
	expires time.Time
}

type ceremonies struct {
	mu sync.Mutex
	m  map[store.ID]*ceremony
}

func (cs *ceremonies) put(c *ceremony, now time.Time) (store.ID, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.m) >= maxCeremonies {
		for k, v := range cs.m {
			if !now.Before(v.expires) {
				delete(cs.m, k)
			}
		}
	}
	if len(cs.m) >= maxCeremonies {
		return store.ID{}, protocol.Errorf(protocol.CodeRateLimited, "too many passkey ceremonies in progress; retry later")
	}
	id := store.NewID()
	cs.m[id] = c
	return id, nil
}

// prune forgets the ceremonies past their expiry.
func (cs *ceremonies) prune(now time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for k, v := range cs.m {
		if !now.Before(v.expires) {
			delete(cs.m, k)
		}
	}
}

// take returns and forgets a ceremony: each is used once.
func (cs *ceremonies) take(s string, kind ceremonyKind, now time.Time) (*ceremony, error) {
	id, err := store.ParseID(s)
	if err != nil {
		return nil, notFound("ceremony")
	}
	cs.mu.Lock()
	c := cs.m[id]
	delete(cs.m, id)
	cs.mu.Unlock()
	if c == nil || c.kind != kind {
		return nil, notFound("ceremony")
	}
	if !now.Before(c.expires) {
		return nil, protocol.Errorf(protocol.CodeExpired, "the passkey ceremony took too long; start again")
	}
	return c, nil
}

// newWebAuthn configures the relying party from the server's origin.
func newWebAuthn(origin string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return nil, fmt.Errorf("api: origin %q is not an https origin", origin)
	}
	return webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: "Vellum", RPOrigins: []string{origin}})
}

// webUser is an account as go-webauthn sees it.
type webUser struct {
	id    store.ID
	email string
	creds []webauthn.Credential
}

func (u *webUser) WebAuthnID() []byte                         { return bytes.Clone(u.id[:]) }
func (u *webUser) WebAuthnName() string                       { return u.email }
func (u *webUser) WebAuthnDisplayName() string                { return u.email }
func (u *webUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (a *API) webUser(acct *store.Account) (*webUser, []*store.Passkey, error) {
	ps, err := a.st.Passkeys(acct.ID)
	if err != nil {
		return nil, nil, err
	}
	u := &webUser{id: acct.ID, email: acct.Email}
	for _, p := range ps {
		var c webauthn.Credential
		if err := json.Unmarshal(p.Credential, &c); err != nil {
			return nil, nil, fmt.Errorf("api: stored credential of passkey %s: %w", p.ID, err)
		}
		u.creds = append(u.creds, c)
	}
	return u, ps, nil
}

func (a *API) passkeyHandlers() map[string]handler {
	if a.webauthn == nil {
		return nil
	}
	return map[string]handler{
		"account.passkeys.start":  a.passkeyRegisterStart,
		"account.passkeys.finish": a.passkeyRegisterFinish,
		"account.passkeys.list":   a.passkeyList,
		"account.passkeys.delete": a.passkeyDelete,
		"auth.passkey.start":      a.passkeyLoginStart,
		"auth.passkey.finish":     a.passkeyLoginFinish,
	}
}

func options(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return json.RawMessage(b), err
}

func (a *API) passkeyRegisterStart(c *call) (any, error) {
	r := c.req.(*protocol.PasskeyRegisterStartRequest)
	if err := c.take(a.limits.PerAccount, "passkey/"+c.account.ID.String()); err != nil {
		return nil, err
	}
	u, _, err := a.webUser(c.account)
	if err != nil {
		return nil, err
	}
	var exclude []wa.CredentialDescriptor
	for _, cr := range u.creds {
		exclude = append(exclude, cr.Descriptor())
	}
	creation, sess, err := a.webauthn.BeginRegistration(u, webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(wa.AuthenticatorSelection{
			ResidentKey: wa.ResidentKeyRequirementRequired, RequireResidentKey: wa.ResidentKeyRequired(),
			UserVerification: wa.VerificationRequired,
		}))
	if err != nil {
		return nil, err
	}
	id, err := a.ceremonies.put(&ceremony{kind: ceremonyRegister, account: c.account.ID, label: r.Label, session: *sess, expires: c.now.Add(ceremonyTTL)}, c.now)
	if err != nil {
		return nil, err
	}
	opts, err := options(creation.Response)
	if err != nil {
		return nil, err
	}
	return &protocol.PasskeyCeremony{CeremonyID: id.String(), Options: opts}, nil
}

func passkeyView(p *store.Passkey) protocol.Passkey {
	out := protocol.Passkey{PasskeyID: p.ID.String(), Label: p.Label, PRF: p.PRF, CreatedAt: p.Created}
	if !p.LastUsed.IsZero() {
		t := p.LastUsed
		out.LastUsedAt = &t
	}
	return out
}

// passkeyRegisterFinish verifies the browser's credential against the
// ceremony and stores it, with the PRF wrap of the account key when the
// authenticator gave a PRF output.
func (a *API) passkeyRegisterFinish(c *call) (any, error) {
	r := c.req.(*protocol.PasskeyRegisterFinishRequest)
	cer, err := a.ceremonies.take(r.CeremonyID, ceremonyRegister, c.now)
	if err != nil {
		return nil, err
	}
	if cer.account != c.account.ID {
		return nil, notFound("ceremony")
	}
	parsed, err := wa.ParseCredentialCreationResponseBytes(r.Credential)
	if err != nil {
		return nil, badRequest("credential is not a WebAuthn registration response")
	}
	u, _, err := a.webUser(c.account)
	if err != nil {
		return nil, err
	}
	cred, err := a.webauthn.CreateCredential(u, cer.session, parsed)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeAuthFailed, "the passkey registration does not verify")
	}
	if len(r.PRFWrap) > 0 {
		if err := checkWrap(r.PRFWrap, account.MethodPasskey, "prfWrap"); err != nil {
			return nil, err
		}
		w, _ := account.ParseWrap(r.PRFWrap)
		if !bytes.Equal(w.CredentialID(), cred.ID) {
			return nil, badRequest("prfWrap is for another credential")
		}
	}
	credJSON, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	p := &store.Passkey{Account: c.account.ID, ID: store.NewID(), CredentialID: cred.ID, Label: cer.label, Credential: credJSON,
		PRF: len(r.PRFWrap) > 0, Created: c.now}
	err = a.st.Update(func(tx *store.Tx) error {
		if err := tx.PutPasskey(p); err != nil {
			return err
		}
		if p.PRF {
			if err := tx.PutUnlockWrap(&store.UnlockWrap{Account: p.Account, ID: store.NewID(), Kind: store.WrapPasskey, Ref: p.ID[:],
				Wrapped: r.PRFWrap, Created: c.now}); err != nil {
				return err
			}
		}
		// A passkey is a new way in: the tenants' admins see it as a
		// device added.
		return c.eventAllTenants(tx, c.account.ID, auditlog.KindDeviceAdded, p.ID)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("this credential is registered already")
	}
	if err != nil {
		return nil, err
	}
	v := passkeyView(p)
	return &v, nil
}

func (a *API) passkeyList(c *call) (any, error) {
	ps, err := a.st.Passkeys(c.account.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.PasskeyList{Passkeys: []protocol.Passkey{}}
	for _, p := range ps {
		out.Passkeys = append(out.Passkeys, passkeyView(p))
	}
	return out, nil
}

// passkeyDelete removes a passkey and its wraps and ends every session, as
// removing a device does.
func (a *API) passkeyDelete(c *call) (any, error) {
	id, err := c.pathID("passkeyId", "passkey")
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		if err := tx.DeletePasskey(c.account.ID, id); err != nil {
			return notFound("passkey")
		}
		ws, err := tx.UnlockWraps(c.account.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.Kind == store.WrapPasskey && bytes.Equal(w.Ref, id[:]) {
				if err := tx.DeleteUnlockWrap(c.account.ID, w.ID); err != nil {
					return err
				}
			}
		}
		if _, err := tx.BumpEpoch(c.account.ID); err != nil {
			return err
		}
		if err := c.eventAllTenants(tx, c.account.ID, auditlog.KindDeviceRemoved, id); err != nil {
			return err
		}
		return c.eventAllTenants(tx, c.account.ID, auditlog.KindSessionsRevoked)
	})
}

// passkeyLoginStart begins a login: for a named address, with its
// credentials; without one, a discoverable login. An address without an
// account or passkeys gets one stable made-up credential, so the answer
// does not tell whether it has any.
func (a *API) passkeyLoginStart(c *call) (any, error) {
	r := c.req.(*protocol.PasskeyLoginStartRequest)
	cer := &ceremony{kind: ceremonyLogin, expires: c.now.Add(ceremonyTTL)}
	var assertion *wa.CredentialAssertion
	var sess *webauthn.SessionData
	var err error
	if r.Email == "" {
		assertion, sess, err = a.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(wa.VerificationRequired))
	} else {
		email, err := normalizeEmail(r.Email)
		if err != nil {
			return nil, err
		}
		tag := a.secrets.emailTag(email)
		if err := c.take(a.limits.PerAccount, "login/"+b64url.EncodeToString(tag[:])); err != nil {
			return nil, err
		}
		cer.named = true
		u := &webUser{email: email}
		if acct, err := a.st.AccountByEmail(email); err == nil {
			if u, _, err = a.webUser(acct); err != nil {
				return nil, err
			}
			cer.account = acct.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if len(u.creds) == 0 {
			m := hmac.New(sha256.New, a.secrets.codeKey[:])
			m.Write([]byte("passkey\n" + email))
			u.creds = []webauthn.Credential{{ID: m.Sum(nil)[:16]}}
			cer.account = store.ID{}
		}
		u.id = cer.account
		assertion, sess, err = a.webauthn.BeginLogin(u, webauthn.WithUserVerification(wa.VerificationRequired))
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	cer.session = *sess
	id, err := a.ceremonies.put(cer, c.now)
	if err != nil {
		return nil, err
	}
	opts, err := options(assertion.Response)
	if err != nil {
		return nil, err
	}
	return &protocol.PasskeyCeremony{CeremonyID: id.String(), Options: opts}, nil
}

var errPasskeyFailed = protocol.Errorf(protocol.CodeAuthFailed, "the passkey did not verify")

func (a *API) passkeyLoginFinish(c *call) (any, error) {
	r := c.req.(*protocol.PasskeyLoginFinishRequest)
	cer, err := a.ceremonies.take(r.CeremonyID, ceremonyLogin, c.now)
	if err != nil {
		return nil, err
	}
	parsed, err := wa.ParseCredentialRequestResponseBytes(r.Assertion)
	if err != nil {
		return nil, badRequest("assertion is not a WebAuthn assertion response")
	}
	var acct *store.Account
	var pk *store.Passkey
	lookup := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, err := a.st.PasskeyByCredential(rawID)
		if err != nil {
			return nil, err
		}
		if cer.named && p.Account != cer.account {
			return nil, errPasskeyFailed
		}
		if len(userHandle) > 0 && !bytes.Equal(userHandle, p.Account[:]) {
			return nil, errPasskeyFailed
		}
		if acct, err = a.st.Account(p.Account); err != nil {
			return nil, err
		}
		pk = p
		u, _, err := a.webUser(acct)
		return u, err
	}
	var cred *webauthn.Credential
	if cer.named {
		if cer.account.IsZero() {
			return nil, errPasskeyFailed
		}
		var u webauthn.User
		if u, err = lookup(parsed.RawID, parsed.Response.UserHandle); err == nil {
			cred, err = a.webauthn.ValidateLogin(u, cer.session, parsed)
		}
	} else {
		cred, err = a.webauthn.ValidateDiscoverableLogin(lookup, cer.session, parsed)
	}
	if err == nil && cred.Authenticator.CloneWarning {
		err = errors.New("api: passkey sign count went backwards")
	}
	if err != nil {
		if acct != nil {
			if uerr := a.st.Update(func(tx *store.Tx) error { return c.eventAllTenants(tx, acct.ID, auditlog.KindLoginFailed, pk.ID) }); uerr != nil {
				return nil, uerr
			}
		}
		return nil, errPasskeyFailed
	}
	credJSON, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	pk.Credential, pk.LastUsed = credJSON, c.now
	if err := a.st.Update(func(tx *store.Tx) error { return tx.PutPasskey(pk) }); err != nil {
		return nil, err
	}
	return a.afterLogin(c, acct, r.DeviceID, store.VerifyPasskey, pk.ID)
}
