package api

import (
	"bytes"
	"errors"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/keys/opaque"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/store"
)

const passwordChangeTTL = 10 * time.Minute

func (a *API) accountHandlers() map[string]handler {
	return map[string]handler{
		"account.get":             a.accountGet,
		"account.keyring.get":     a.keyringGet,
		"account.keyring.replace": a.keyringReplace,
		"account.password.start":  a.passwordStart,
		"account.password.finish": a.passwordFinish,
		"account.unlock.list":     a.unlockList,
		"account.unlock.add":      a.unlockAdd,
		"account.unlock.delete":   a.unlockDelete,
		"account.devices.list":    a.devicesList,
		"account.devices.add":     a.devicesAdd,
		"account.devices.delete":  a.devicesDelete,
		"accounts.public-keyring": a.publicKeyring,
	}
}

func (a *API) accountGet(c *call) (any, error) {
	acct := c.account
	return &protocol.AccountInfo{AccountID: acct.ID.String(), Email: acct.Email, PublicKeyring: acct.PublicKeyring, CreatedAt: acct.Created}, nil
}

func keyringVersion(v store.View, acct store.ID) (uint64, error) {
	ai, err := v.AccountInfo(acct)
	if errors.Is(err, store.ErrNotFound) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	return ai.KeyringVersion, nil
}

func (a *API) keyringGet(c *call) (any, error) {
	v, err := keyringVersion(a.st.View, c.account.ID)
	if err != nil {
		return nil, err
	}
	return &protocol.Keyring{Keyring: c.account.Keyring, PublicKeyring: c.account.PublicKeyring, Version: v}, nil
}

// keyringReplace stores a new keyring with the new wraps of the methods
// that keep opening it; the methods not listed are removed, since they wrap
// an account key that no longer opens the keyring.
func (a *API) keyringReplace(c *call) (any, error) {
	r := c.req.(*protocol.ReplaceKeyringRequest)
	if _, err := account.ParseSignedPublicKeyring(r.PublicKeyring); err != nil {
		return nil, err
	}
	var out *protocol.Keyring
	err := a.st.Update(func(tx *store.Tx) error {
		acct, err := tx.Account(c.account.ID)
		if err != nil {
			return err
		}
		v, err := keyringVersion(tx.View, acct.ID)
		if err != nil {
			return err
		}
		if r.PreviousVersion != v {
			return conflict("the keyring is at version %d", v)
		}
		ws, err := tx.UnlockWraps(acct.ID)
		if err != nil {
			return err
		}
		byID := make(map[string]*store.UnlockWrap, len(ws))
		for _, w := range ws {
			byID[w.ID.String()] = w
		}
		keep := make(map[string]bool, len(r.Wraps))
		for _, nw := range r.Wraps {
			w, ok := byID[nw.MethodID]
			if !ok {
				return notFound("unlock method")
			}
			if err := checkReplacedWrap(w, nw.Wrap); err != nil {
				return err
			}
			w.Wrapped = nw.Wrap
			if err := tx.PutUnlockWrap(w); err != nil {
				return err
			}
			keep[nw.MethodID] = true
		}
		for _, w := range ws {
			if keep[w.ID.String()] {
				continue
			}
			if err := tx.DeleteUnlockWrap(acct.ID, w.ID); err != nil {
				return err
			}
			if w.Kind == store.WrapDevice {
				if did, err := idFromRef(w.Ref); err == nil {
					if err := tx.DeleteDevice(acct.ID, did); err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
				}
			}
		}
		acct.Keyring, acct.PublicKeyring = r.Keyring, r.PublicKeyring
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		if err := tx.PutAccountInfo(&store.AccountInfo{Account: acct.ID, KeyringVersion: v + 1}); err != nil {
			return err
		}
		out = &protocol.Keyring{Keyring: acct.Keyring, PublicKeyring: acct.PublicKeyring, Version: v + 1}
		return nil
	})
	return out, err
}

// checkReplacedWrap checks that a new wrap is of the method it replaces
// (and, for a device, to the same device).
func checkReplacedWrap(old *store.UnlockWrap, b []byte) error {
	want := map[store.WrapKind]account.UnlockMethod{
		store.WrapPassword: account.MethodPassword, store.WrapPasskey: account.MethodPasskey, store.WrapDevice: account.MethodDevice,
		store.WrapRecoveryCode: account.MethodRecoveryCode, store.WrapTenantRecovery: account.MethodTenantRecovery,
	}[old.Kind]
	if err := checkWrap(b, want, "wraps.wrap"); err != nil {
		return err
	}
	if old.Kind == store.WrapDevice {
		oldW, err := account.ParseWrap(old.Wrapped)
		if err != nil {
			return err
		}
		w, _ := account.ParseWrap(b)
		if !w.Device().Equal(oldW.Device()) {
			return badRequest("a device's new wrap is to another recipient")
		}
	}
	return nil
}

func idFromRef(ref []byte) (store.ID, error) {
	var id store.ID
	if len(ref) != len(id) {
		return id, store.ErrInvalid
	}
	copy(id[:], ref)
	return id, nil
}

// passwordStart answers an OPAQUE registration request for the signed-in
// account, under its immutable id, like the sign-up did.
func (a *API) passwordStart(c *call) (any, error) {
	r := c.req.(*protocol.PasswordChangeStartRequest)
	if err := c.take(a.limits.PerAccount, "password/"+c.account.ID.String()); err != nil {
		return nil, err
	}
	rr, err := opaque.ParseRegistrationRequest(r.RegistrationRequest)
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRequest is not an OPAQUE registration request")
	}
	resp, err := a.opaque.RegistrationResponse(rr, []byte(c.account.ID.String()))
	if err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRequest is not an OPAQUE registration request")
	}
	reg := &store.Registration{ID: store.NewID(), Kind: store.RegistrationPassword, Account: c.account.ID, Created: c.now, Expires: c.now.Add(passwordChangeTTL)}
	if err := a.st.Update(func(tx *store.Tx) error { return tx.CreateRegistration(reg) }); err != nil {
		return nil, err
	}
	return &protocol.PasswordChangeStartResponse{RegistrationID: reg.ID.String(), RegistrationResponse: resp.Bytes()}, nil
}

// passwordFinish replaces the OPAQUE record and the password wrap at once,
// and ends every session of the account.
func (a *API) passwordFinish(c *call) (any, error) {
	r := c.req.(*protocol.PasswordChangeFinishRequest)
	id, err := store.ParseID(r.RegistrationID)
	if err != nil {
		return nil, notFound("registration")
	}
	if _, err := opaque.ParseRegistrationRecord(r.RegistrationRecord); err != nil {
		return nil, protocol.Errorf(protocol.CodeBadEncoding, "registrationRecord is not an OPAQUE registration record")
	}
	if err := checkWrap(r.PasswordWrap, account.MethodPassword, "passwordWrap"); err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		reg, err := tx.Registration(id)
		if err != nil || reg.Kind != store.RegistrationPassword || reg.Account != c.account.ID {
			return notFound("registration")
		}
		if !c.now.Before(reg.Expires) {
			return protocol.Errorf(protocol.CodeExpired, "the password change took too long; start again")
		}
		acct, err := tx.Account(c.account.ID)
		if err != nil {
			return err
		}
		acct.OpaqueRecord = r.RegistrationRecord
		acct.Epoch++
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		ws, err := tx.UnlockWraps(acct.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.Kind == store.WrapPassword {
				if err := tx.DeleteUnlockWrap(acct.ID, w.ID); err != nil {
					return err
				}
			}
		}
		if err := tx.PutUnlockWrap(&store.UnlockWrap{Account: acct.ID, ID: store.NewID(), Kind: store.WrapPassword, Wrapped: r.PasswordWrap, Created: c.now}); err != nil {
			return err
		}
		if err := tx.DeleteRegistration(id); err != nil {
			return err
		}
		return c.eventAllTenants(tx, acct.ID, auditlog.KindSessionsRevoked)
	})
}

func unlockMethod(w *store.UnlockWrap) protocol.UnlockMethod {
	m := protocol.UnlockMethod{MethodID: w.ID.String(), Kind: unlockKind(w.Kind), CreatedAt: w.Created}
	if id, err := idFromRef(w.Ref); err == nil {
		switch w.Kind {
		case store.WrapPasskey:
			m.PasskeyID = id.String()
		case store.WrapDevice:
			m.DeviceID = id.String()
		case store.WrapTenantRecovery:
			m.TenantID = id.String()
		}
	}
	return m
}

func (a *API) unlockList(c *call) (any, error) {
	ws, err := a.st.UnlockWraps(c.account.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.UnlockMethodList{Methods: []protocol.UnlockMethod{}}
	for _, w := range ws {
		out.Methods = append(out.Methods, unlockMethod(w))
	}
	return out, nil
}

// unlockAdd adds a recovery code wrap (replacing the previous one) or a
// tenant recovery wrap. A tenant recovery wrap MUST be made for the
// threshold and holders of the tenant's checked membership chain: the
// server checks that against its own copy of the chain, so a member's
// client that was shown another setting is caught.
func (a *API) unlockAdd(c *call) (any, error) {
	r := c.req.(*protocol.AddUnlockMethodRequest)
	var kind store.WrapKind
	var ref []byte
	switch r.Kind {
	case protocol.UnlockPasskey:
		if err := checkWrap(r.Wrap, account.MethodPasskey, "wrap"); err != nil {
			return nil, err
		}
		pid, err := store.ParseID(r.PasskeyID)
		if err != nil {
			return nil, notFound("passkey")
		}
		p, err := a.st.Passkey(c.account.ID, pid)
		if err != nil {
			return nil, notFound("passkey")
		}
		if w, _ := account.ParseWrap(r.Wrap); !bytes.Equal(w.CredentialID(), p.CredentialID) {
			return nil, badRequest("the wrap is for another credential than the passkey's")
		}
		kind, ref = store.WrapPasskey, pid[:]
	case protocol.UnlockRecoveryCode:
		if err := checkWrap(r.Wrap, account.MethodRecoveryCode, "wrap"); err != nil {
			return nil, err
		}
		kind = store.WrapRecoveryCode
	case protocol.UnlockTenantRecovery:
		if err := checkWrap(r.Wrap, account.MethodTenantRecovery, "wrap"); err != nil {
			return nil, err
		}
		tid, err := parseID("tenantId", r.TenantID)
		if err != nil {
			return nil, err
		}
		if _, err := a.st.Member(tid, c.account.ID); err != nil {
			return nil, forbidden("not a member of that tenant")
		}
		w, _ := account.ParseWrap(r.Wrap)
		admins, threshold := w.Admins()
		err = a.withChain(tid, func(st *membership.State) error {
			want, wantAdmins, err := st.RecoveryWrapTo()
			if err != nil {
				return readErr{conflict("tenant recovery is off in that tenant")}
			}
			if threshold != want || !sameRecipients(admins, wantAdmins) {
				return readErr{conflict("the wrap is not made for the tenant's recovery holders and threshold")}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		kind, ref = store.WrapTenantRecovery, tid[:]
	default:
		return nil, badRequest("kind must be passkey, recovery-code or tenant-recovery")
	}
	w := &store.UnlockWrap{Account: c.account.ID, ID: store.NewID(), Kind: kind, Ref: ref, Wrapped: r.Wrap, Created: c.now}
	err := a.st.Update(func(tx *store.Tx) error {
		ws, err := tx.UnlockWraps(c.account.ID)
		if err != nil {
			return err
		}
		for _, old := range ws {
			if old.Kind == kind && bytes.Equal(old.Ref, ref) {
				if err := tx.DeleteUnlockWrap(c.account.ID, old.ID); err != nil {
					return err
				}
			}
		}
		return tx.PutUnlockWrap(w)
	})
	if err != nil {
		return nil, err
	}
	return &protocol.AddUnlockMethodResponse{MethodID: w.ID.String()}, nil
}

func sameRecipients[R interface{ String() string }](a, b []R) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]int, len(a))
	for _, r := range a {
		seen[r.String()]++
	}
	for _, r := range b {
		seen[r.String()]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// unlockDelete removes a recovery code, passkey or tenant recovery wrap.
// The password wrap changes with the password, and device wraps go with
// their device.
func (a *API) unlockDelete(c *call) (any, error) {
	id, err := c.pathID("methodId", "unlock method")
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		w, err := tx.UnlockWrap(c.account.ID, id)
		if err != nil {
			return notFound("unlock method")
		}
		switch w.Kind {
		case store.WrapPassword:
			return conflict("the password wrap changes with the password")
		case store.WrapDevice:
			return conflict("remove the device instead")
		}
		return tx.DeleteUnlockWrap(c.account.ID, id)
	})
}

func (a *API) devicesList(c *call) (any, error) {
	ds, err := a.st.Devices(c.account.ID)
	if err != nil {
		return nil, err
	}
	out := &protocol.DeviceList{Devices: []protocol.Device{}}
	for _, d := range ds {
		pd := protocol.Device{DeviceID: d.ID.String(), Label: string(d.Label), Recipient: d.Recipient, CreatedAt: d.Created}
		if !d.LastUsed.IsZero() {
			t := d.LastUsed
			pd.LastUsedAt = &t
		}
		out.Devices = append(out.Devices, pd)
	}
	return out, nil
}

func (a *API) devicesAdd(c *call) (any, error) {
	r := c.req.(*protocol.AddDeviceRequest)
	if err := checkDeviceWrap(r); err != nil {
		return nil, err
	}
	var dev, method store.ID
	err := a.st.Update(func(tx *store.Tx) error {
		var err error
		if dev, method, err = putDevice(tx, c.account.ID, r, c.now); err != nil {
			return err
		}
		return c.eventAllTenants(tx, c.account.ID, auditlog.KindDeviceAdded, dev)
	})
	if err != nil {
		return nil, err
	}
	return &protocol.AddDeviceResponse{DeviceID: dev.String(), MethodID: method.String()}, nil
}

// devicesDelete removes a trusted device and its wrap, and ends every
// session of the account (a device may be removed because it was lost).
func (a *API) devicesDelete(c *call) (any, error) {
	id, err := c.pathID("deviceId", "device")
	if err != nil {
		return nil, err
	}
	return nil, a.st.Update(func(tx *store.Tx) error {
		if err := tx.DeleteDevice(c.account.ID, id); err != nil {
			return notFound("device")
		}
		ws, err := tx.UnlockWraps(c.account.ID)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if w.Kind == store.WrapDevice && bytes.Equal(w.Ref, id[:]) {
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

// publicKeyring serves another account's signed public keyring to an
// account that shares a tenant with it (and to the account itself). Clients
// check it against the membership chain; the server's word is not enough.
func (a *API) publicKeyring(c *call) (any, error) {
	id, err := c.pathID("accountId", "account")
	if err != nil {
		return nil, err
	}
	if id != c.account.ID {
		ok, err := a.shareTenant(c.account.ID, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, notFound("account")
		}
	}
	acct, err := a.st.Account(id)
	if err != nil {
		return nil, notFound("account")
	}
	return &protocol.PublicKeyring{AccountID: acct.ID.String(), PublicKeyring: acct.PublicKeyring}, nil
}

func (a *API) shareTenant(x, y store.ID) (bool, error) {
	ts, err := a.st.TenantsOf(x)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if _, err := a.st.Member(t, y); err == nil {
			return true, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}
