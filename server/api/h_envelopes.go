package api

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

// Envelopes (e-signature) on the server, SPEC part 75. The server keeps an
// envelope's signers, each outside signer's link wrap and the SHA-256 of
// their PIN verifier, the signed statements, and the seal; it never sees a
// link's secret, never stores a PIN, and never makes a statement or a
// seal: it checks those that clients send.
//
// An envelope and its signers are store.Envelope and store.Signer records;
// what the store does not index is in their Data, as the CBOR records
// envelopeRecord and signerRecord below.

func (a *API) envelopeHandlers() map[string]handler {
	return map[string]handler{
		"envelopes.create":       a.envelopeCreate,
		"envelopes.list":         a.envelopeList,
		"envelopes.get":          a.envelopeGet,
		"envelopes.signers":      a.envelopeSigners,
		"envelopes.remind":       a.envelopeRemind,
		"envelopes.cancel":       a.envelopeCancel,
		"envelopes.sign":         a.envelopeSign,
		"envelopes.decline":      a.envelopeDecline,
		"envelopes.link.replace": a.envelopeLinkReplace,
		"envelopes.seal.upload":  a.envelopeSealUpload,
		"envelopes.seal.get":     a.envelopeSealGet,

		"links.open":        a.linkOpen,
		"links.get":         a.linkGet,
		"links.document":    a.linkDocument,
		"links.sign":        a.linkSign,
		"links.decline":     a.linkDecline,
		"links.seal.upload": a.linkSealUpload,
		"links.seal.get":    a.linkSealGet,
	}
}

// Envelope states (store.Envelope.State). Stored: do not renumber. An
// envelope past its expiry while sent shows as expired; that is not
// stored.
const (
	envSent      uint8 = 1
	envCompleted uint8 = 2 // every signer signed
	envSealed    uint8 = 3 // the seal is stored and logged
	envDeclined  uint8 = 4
	envCancelled uint8 = 5
)

// Signer states (store.Signer.State). Stored: do not renumber. A link
// with PINTries wrong verifiers shows as locked; that follows from
// signerRecord.Failures.
const (
	signerPending  uint8 = 1
	signerOpened   uint8 = 2
	signerSigned   uint8 = 3
	signerDeclined uint8 = 4
)

// recordVersion is the version of envelopeRecord and signerRecord.
const recordVersion = 1

// maxEsignRecord bounds the encoded Data of an envelope or a signer, as
// the store does (store.maxEsignData).
const maxEsignRecord = protocol.MaxStatement + protocol.MaxWrappedKey

// envelopeRecord is store.Envelope.Data.
type envelopeRecord struct {
	Version    uint64 `cbor:"1,keyasint"`
	DocVersion uint64 `cbor:"2,keyasint"`
	// Message is the note to the signers, an age file to the document key.
	Message []byte `cbor:"3,keyasint,omitempty"`
	// Expires is when a sent envelope, its links and PINs expire (Unix s).
	Expires int64 `cbor:"4,keyasint"`
	// Signers lists the signer ids in the envelope's order, as sent.
	Signers []store.ID `cbor:"5,keyasint"`
	// Members lists the accounts of member signers, so that a list of an
	// account's envelopes needs no signer records.
	Members []store.ID `cbor:"6,keyasint,omitempty"`
	// Digest is D, fixed by the first signature: every later statement and
	// the seal MUST bind the same.
	Digest []byte `cbor:"7,keyasint,omitempty"`
	// Reason is the sender's reason for a cancellation.
	Reason string `cbor:"8,keyasint,omitempty"`
}

// signerRecord is store.Signer.Data.
type signerRecord struct {
	Version uint64 `cbor:"1,keyasint"`
	Order   uint64 `cbor:"2,keyasint"`
	// Account is a member signer's account; zero for an outside signer.
	Account store.ID `cbor:"3,keyasint"`
	Name    string   `cbor:"4,keyasint"`
	Email   string   `cbor:"5,keyasint"`
	Phone   string   `cbor:"6,keyasint,omitempty"`
	// VerifierHash is SHA-256 of the link's PIN verifier, LinkWrap the
	// document key wrapped under the link's secret ‖ PIN, and LinkGen the
	// link's generation: a replaced link ends the sessions of the old one.
	VerifierHash []byte `cbor:"7,keyasint,omitempty"`
	LinkWrap     []byte `cbor:"8,keyasint,omitempty"`
	LinkGen      uint64 `cbor:"9,keyasint,omitempty"`
	// Failures counts wrong PIN verifiers since the link was made; at
	// protocol.PINTries the link is locked.
	Failures uint64 `cbor:"10,keyasint,omitempty"`
	// Times in Unix seconds; zero: not yet.
	OpenedAt int64 `cbor:"11,keyasint,omitempty"`
	SignedAt int64 `cbor:"12,keyasint,omitempty"`
	// Statement is the signed statement (keys/seal, canonical) and
	// VerifyKey the key it verifies under.
	Statement []byte `cbor:"13,keyasint,omitempty"`
	VerifyKey []byte `cbor:"14,keyasint,omitempty"`
	Reason    string `cbor:"15,keyasint,omitempty"`
	// PINCheckedAt is, for an outside signer who signed, when the server
	// checked the PIN verifier that opened the session they signed in:
	// the fact their statement's pin-verified attestation stands for.
	PINCheckedAt int64 `cbor:"16,keyasint,omitempty"`
	// RemindedAt is when the sender last had the signer reminded.
	RemindedAt int64 `cbor:"17,keyasint,omitempty"`
}

// envelope is an envelope with its signers in the envelope's order.
type envelope struct {
	rec     *store.Envelope
	data    envelopeRecord
	signers []*signer
}

type signer struct {
	rec  *store.Signer
	data signerRecord
}

func (s *signer) external() bool { return s.data.Account.IsZero() }

func (s *signer) locked() bool {
	return s.external() && s.data.Failures >= protocol.PINTries &&
		(s.rec.State == signerPending || s.rec.State == signerOpened)
}

var errEsignCorrupt = errors.New("api: stored envelope record does not decode")

// loadEnvelope reads an envelope and its signers through v.
func loadEnvelope(v store.View, id store.ID) (*envelope, error) {
	r, err := v.Envelope(id)
	if err != nil {
		return nil, err
	}
	e := &envelope{rec: r}
	if err := protocol.UnmarshalCBORMax(r.Data, &e.data, maxEsignRecord); err != nil || e.data.Version != recordVersion {
		return nil, fmt.Errorf("%w: envelope %s: %v", errEsignCorrupt, id, err)
	}
	ss, err := v.Signers(id)
	if err != nil {
		return nil, err
	}
	byID := make(map[store.ID]*store.Signer, len(ss))
	for _, s := range ss {
		byID[s.ID] = s
	}
	for _, sid := range e.data.Signers {
		sr, ok := byID[sid]
		if !ok {
			return nil, fmt.Errorf("%w: envelope %s lacks signer %s", errEsignCorrupt, id, sid)
		}
		s := &signer{rec: sr}
		if err := protocol.UnmarshalCBORMax(sr.Data, &s.data, maxEsignRecord); err != nil || s.data.Version != recordVersion {
			return nil, fmt.Errorf("%w: signer %s: %v", errEsignCorrupt, sid, err)
		}
		e.signers = append(e.signers, s)
	}
	return e, nil
}

// save writes the envelope and every signer in tx.
func (e *envelope) save(tx *store.Tx) error {
	b, err := protocol.MarshalCBORMax(&e.data, maxEsignRecord)
	if err != nil {
		return err
	}
	e.rec.Data = b
	if err := tx.PutEnvelope(e.rec); err != nil {
		return err
	}
	for _, s := range e.signers {
		if err := s.save(tx); err != nil {
			return err
		}
	}
	return nil
}

func (s *signer) save(tx *store.Tx) error {
	b, err := protocol.MarshalCBORMax(&s.data, maxEsignRecord)
	if err != nil {
		return badRequest("a signer's record is over its limit")
	}
	s.rec.Data = b
	return tx.PutSigner(s.rec)
}

func (e *envelope) signer(id store.ID) *signer {
	for _, s := range e.signers {
		if s.rec.ID == id {
			return s
		}
	}
	return nil
}

func (e *envelope) memberSigner(acct store.ID) *signer {
	for _, s := range e.signers {
		if !s.external() && s.data.Account == acct {
			return s
		}
	}
	return nil
}

func (e *envelope) expires() time.Time { return time.Unix(e.data.Expires, 0).UTC() }

// status is the envelope's status at now.
func (e *envelope) status(now time.Time) protocol.EnvelopeStatus {
	switch e.rec.State {
	case envSent:
		if !now.Before(e.expires()) {
			return protocol.EnvelopeExpired
		}
		return protocol.EnvelopeSent
	case envCompleted:
		return protocol.EnvelopeCompleted
	case envSealed:
		return protocol.EnvelopeSealed
	case envDeclined:
		return protocol.EnvelopeDeclined
	case envCancelled:
		return protocol.EnvelopeCancelled
	}
	return protocol.EnvelopeStatus("unknown")
}

func unixTime(s int64) *time.Time {
	if s == 0 {
		return nil
	}
	t := time.Unix(s, 0).UTC()
	return &t
}

func (s *signer) status() protocol.SignerStatus {
	st := protocol.SignerStatus{
		SignerID: s.rec.ID.String(), Name: s.data.Name, Email: s.data.Email, Order: int(s.data.Order),
		OpenedAt: unixTime(s.data.OpenedAt), SignedAt: unixTime(s.data.SignedAt), Reason: s.data.Reason,
		FailedTries: int(s.data.Failures),
	}
	if !s.external() {
		st.AccountID = s.data.Account.String()
	}
	switch s.rec.State {
	case signerPending:
		st.State = protocol.SignerPending
	case signerOpened:
		st.State = protocol.SignerOpened
	case signerSigned:
		st.State = protocol.SignerSigned
	case signerDeclined:
		st.State = protocol.SignerDeclined
	}
	if s.locked() {
		st.State = protocol.SignerLocked
	}
	if len(s.data.Statement) > 0 {
		st.Statement = bytes.Clone(s.data.Statement)
		var vk keys.VerifyKey
		copy(vk[:], s.data.VerifyKey)
		st.VerifyKey = vk.String()
	}
	return st
}

func (e *envelope) signerStatuses() []protocol.SignerStatus {
	out := make([]protocol.SignerStatus, 0, len(e.signers))
	for _, s := range e.signers {
		out = append(out, s.status())
	}
	return out
}

func (e *envelope) view(now time.Time) *protocol.Envelope {
	return &protocol.Envelope{
		EnvelopeID: e.rec.ID.String(), DocumentID: e.rec.Document.String(), Version: uint32(e.data.DocVersion),
		Status: e.status(now), Message: e.data.Message, CreatedBy: e.rec.Owner.String(), CreatedAt: e.rec.Created,
		ExpiresAt: e.expires(), Signers: e.signerStatuses(), Reason: e.data.Reason,
	}
}

func (e *envelope) signerView(s *signer, now time.Time) *protocol.SignerView {
	return &protocol.SignerView{
		EnvelopeID: e.rec.ID.String(), SignerID: s.rec.ID.String(), Status: e.status(now), Message: e.data.Message,
		Signers: e.signerStatuses(),
	}
}

// mayAct checks that s may sign now: s may decline (mayDecline), and
// every signer of a lower order has signed.
func (e *envelope) mayAct(s *signer, now time.Time) error {
	if err := e.mayDecline(s, now); err != nil {
		return err
	}
	for _, o := range e.signers {
		if o.data.Order < s.data.Order && o.rec.State != signerSigned {
			return conflict("a signer before this one has not signed yet")
		}
	}
	return nil
}

// mayDecline checks that s may decline now: the envelope is sent and not
// expired, and s has neither signed nor declined. A signer may decline
// before their turn.
func (e *envelope) mayDecline(s *signer, now time.Time) error {
	switch st := e.status(now); st {
	case protocol.EnvelopeSent:
	case protocol.EnvelopeExpired:
		return protocol.Errorf(protocol.CodeExpired, "the envelope has expired")
	default:
		return conflict("the envelope is %s", st)
	}
	if s.rec.State != signerPending && s.rec.State != signerOpened {
		return conflict("this signer has already signed or declined")
	}
	return nil
}

// envelopeIn returns an envelope of the call's tenant.
func (c *call) envelopeIn(v store.View, id store.ID) (*envelope, error) {
	e, err := loadEnvelope(v, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("envelope")
	}
	if err != nil {
		return nil, err
	}
	if e.rec.Tenant != c.tenant.ID {
		return nil, notFound("envelope")
	}
	return e, nil
}

func (c *call) envelopeParam() (*envelope, error) {
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	return c.envelopeIn(c.a.st.View, id)
}

var errNotParticipant = forbidden("only the envelope's sender, its signers and holders of its document see it")

// needSee lets the sender, member signers and holders of the document see
// an envelope.
func (c *call) needSee(e *envelope) error {
	if e.rec.Owner == c.account.ID || e.memberSigner(c.account.ID) != nil {
		return nil
	}
	d, err := c.a.st.Document(e.rec.Document)
	if err != nil {
		return errNotParticipant
	}
	ok, err := holdsDocument(c.a.st.View, c.account.ID, d)
	if err != nil {
		return err
	}
	if !ok {
		return errNotParticipant
	}
	return nil
}

var errNotSender = forbidden("only the envelope's sender may do this")

func (c *call) needSender(e *envelope) error {
	if e.rec.Owner != c.account.ID {
		return errNotSender
	}
	return nil
}

// envelopeCreate sends a document version for signature. The caller MUST
// hold the document; member signers MUST be members, under the address the
// membership chain holds; an outside signer's verifier hash and link wrap
// are checked for form. PINs to relay go to the SMS sender before anything
// is stored (a PIN that cannot be sent leaves no envelope behind) and are
// kept nowhere.
func (a *API) envelopeCreate(c *call) (any, error) {
	r := c.req.(*protocol.CreateEnvelopeRequest)
	eid, err := parseID("envelopeId", r.EnvelopeID)
	if err != nil {
		return nil, err
	}
	did, err := parseID("documentId", r.DocumentID)
	if err != nil {
		return nil, err
	}
	d, err := c.documentIn(did)
	if err != nil {
		return nil, err
	}
	if err := c.needDocument(d); err != nil {
		return nil, err
	}
	ver, err := a.st.Version(d.ID, uint64(r.Version))
	if err != nil {
		return nil, notFound("document version")
	}
	if len(r.Message) > 0 {
		if err := checkMetadataForm(r.Message); err != nil {
			return nil, protocol.Errorf(protocol.CodeBadEncoding, "the message is not an age file to the document key")
		}
	}
	if err := c.take(a.limits.PerAccount, "notices/"+c.account.ID.String()); err != nil {
		return nil, err
	}
	members, err := chainRead(a, c.tenant.ID, func(st *membership.State) (map[store.ID]membership.Member, error) {
		out := map[store.ID]membership.Member{}
		for _, m := range st.Members() {
			if id, err := store.ParseID(m.AccountID); err == nil {
				out[id] = m
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	e := &envelope{
		rec: &store.Envelope{ID: eid, Tenant: c.tenant.ID, Owner: c.account.ID, Document: d.ID, State: envSent},
		data: envelopeRecord{Version: recordVersion, DocVersion: ver.N, Message: r.Message,
			Expires: c.now.Add(time.Duration(r.ExpiresInDays) * 24 * time.Hour).Unix()},
	}
	var pins []notify.Notice
	for i := range r.Signers {
		ns := &r.Signers[i]
		sid, err := parseID("signers.signerId", ns.SignerID)
		if err != nil {
			return nil, err
		}
		s := &signer{rec: &store.Signer{Envelope: eid, ID: sid, State: signerPending},
			data: signerRecord{Version: recordVersion, Order: uint64(ns.Order), Name: ns.Name, Email: ns.Email}}
		if ns.AccountID != "" {
			aid, err := parseID("signers.accountId", ns.AccountID)
			if err != nil {
				return nil, err
			}
			m, ok := members[aid]
			if !ok {
				return nil, badRequest("signer %d is not a member of the tenant", i+1)
			}
			if m.Email != ns.Email {
				return nil, badRequest("signer %d's e-mail address is not the one of the membership chain", i+1)
			}
			// A member signer reads the document through a grant, which
			// the sender's client makes first.
			if ok, err := holdsDocument(a.st.View, aid, d); err != nil {
				return nil, err
			} else if !ok {
				return nil, badRequest("signer %d holds no key of the document: grant it to them first", i+1)
			}
			s.data.Account = aid
			e.data.Members = append(e.data.Members, aid)
		} else {
			vh, err := link.ParseVerifierHash(ns.VerifierHash)
			if err != nil {
				return nil, badRequest("signer %d's verifier hash is not 32 bytes of base64url", i+1)
			}
			if err := checkLinkWrap(ns.LinkWrap); err != nil {
				return nil, err
			}
			s.data.Phone, s.data.VerifierHash, s.data.LinkWrap = ns.Phone, vh[:], ns.LinkWrap
			if ns.PIN != "" {
				pins = append(pins, pinNotice(ns.Phone, ns.PIN))
			}
		}
		e.data.Signers = append(e.data.Signers, sid)
		e.signers = append(e.signers, s)
	}
	for _, n := range pins {
		if err := a.send(n); err != nil {
			return nil, err
		}
	}
	err = a.st.Update(func(tx *store.Tx) error {
		b, err := protocol.MarshalCBORMax(&e.data, maxEsignRecord)
		if err != nil {
			return badRequest("the envelope is over its limit")
		}
		e.rec.Data = b
		if err := tx.CreateEnvelope(e.rec); err != nil {
			return err
		}
		for _, s := range e.signers {
			if err := s.save(tx); err != nil {
				return err
			}
		}
		return c.event(tx, c.tenant.ID, auditlog.KindEnvelopeSent, eid, d.ID)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, conflict("an envelope with this id exists")
	}
	if err != nil {
		return nil, err
	}
	a.noticeTurn(e, -1, c.account.Email)
	return e.view(c.now), nil
}

func (a *API) envelopeList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	all, err := a.st.EnvelopesIn(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	var mine []*store.Envelope
	for _, r := range all {
		var d envelopeRecord
		if err := protocol.UnmarshalCBORMax(r.Data, &d, maxEsignRecord); err != nil {
			return nil, fmt.Errorf("%w: envelope %s: %v", errEsignCorrupt, r.ID, err)
		}
		if r.Owner == c.account.ID || containsID(d.Members, c.account.ID) {
			mine = append(mine, r)
		}
	}
	page, next, err := pageOf(mine, func(r *store.Envelope) store.ID { return r.ID }, pg)
	if err != nil {
		return nil, err
	}
	out := &protocol.EnvelopeList{Envelopes: []protocol.Envelope{}, NextCursor: next}
	for _, r := range page {
		e, err := loadEnvelope(a.st.View, r.ID)
		if err != nil {
			return nil, err
		}
		out.Envelopes = append(out.Envelopes, *e.view(c.now))
	}
	return out, nil
}

func containsID(ids []store.ID, id store.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (a *API) envelopeGet(c *call) (any, error) {
	e, err := c.envelopeParam()
	if err != nil {
		return nil, err
	}
	if err := c.needSee(e); err != nil {
		return nil, err
	}
	return e.view(c.now), nil
}

func (a *API) envelopeSigners(c *call) (any, error) {
	e, err := c.envelopeParam()
	if err != nil {
		return nil, err
	}
	if err := c.needSee(e); err != nil {
		return nil, err
	}
	return &protocol.SignerStatusList{Signers: e.signerStatuses()}, nil
}

// remindEvery is how often a signer may be reminded.
const remindEvery = time.Hour

// envelopeRemind e-mails the named signers (all pending ones if none) a
// reminder, each at most once per remindEvery; if none may be reminded
// yet, it is rate_limited. The server has no link to send: the reminder
// says where the first one is.
func (a *API) envelopeRemind(c *call) (any, error) {
	r := c.req.(*protocol.RemindRequest)
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	var to []*signer
	var wait time.Duration
	err = a.st.Update(func(tx *store.Tx) error {
		e, err := c.envelopeIn(tx.View, id)
		if err != nil {
			return err
		}
		if err := c.needSender(e); err != nil {
			return err
		}
		if st := e.status(c.now); st != protocol.EnvelopeSent {
			return conflict("the envelope is %s", st)
		}
		var named []*signer
		if len(r.SignerIDs) == 0 {
			for _, s := range e.signers {
				if s.rec.State == signerPending || s.rec.State == signerOpened {
					named = append(named, s)
				}
			}
		}
		for _, sid := range r.SignerIDs {
			id, err := parseID("signerIds", sid)
			if err != nil {
				return err
			}
			s := e.signer(id)
			if s == nil {
				return notFound("signer")
			}
			if s.rec.State != signerPending && s.rec.State != signerOpened {
				return conflict("a signer named has already signed or declined")
			}
			named = append(named, s)
		}
		to = nil
		for _, s := range named {
			if next := time.Unix(s.data.RemindedAt, 0).Add(remindEvery); s.data.RemindedAt != 0 && c.now.Before(next) {
				wait = max(wait, next.Sub(c.now))
				continue
			}
			s.data.RemindedAt = c.now.Unix()
			if err := s.save(tx); err != nil {
				return err
			}
			to = append(to, s)
		}
		if len(to) == 0 && len(named) > 0 {
			return rateLimited(c.ctx, wait)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range to {
		_ = a.send(reminderNotice(s, c.account.Email))
	}
	return nil, nil
}

// envelopeCancel withdraws a sent envelope; only its sender may.
func (a *API) envelopeCancel(c *call) (any, error) {
	r := c.req.(*protocol.CancelEnvelopeRequest)
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	var e *envelope
	err = a.st.Update(func(tx *store.Tx) error {
		if e, err = c.envelopeIn(tx.View, id); err != nil {
			return err
		}
		if err := c.needSender(e); err != nil {
			return err
		}
		if e.rec.State != envSent {
			return conflict("the envelope is %s", e.status(c.now))
		}
		e.rec.State, e.data.Reason = envCancelled, r.Reason
		if err := e.save(tx); err != nil {
			return err
		}
		return c.event(tx, e.rec.Tenant, auditlog.KindEnvelopeCancelled, e.rec.ID, e.rec.Document)
	})
	if err != nil {
		return nil, err
	}
	for _, s := range e.signers {
		if s.rec.State == signerPending || s.rec.State == signerOpened {
			_ = a.send(notify.Notice{Kind: notify.KindEmail, To: s.data.Email, Subject: "A signature request was withdrawn",
				Body: "The document you were asked to sign with Vellum was withdrawn by its sender. Its signing link no longer opens."})
		}
	}
	return e.view(c.now), nil
}

// envelopeLinkReplace gives an outside signer a new link: the sender's
// client made a new secret, PIN and wrap. The old link stops opening, its
// sessions end, and the count of wrong PINs starts again.
func (a *API) envelopeLinkReplace(c *call) (any, error) {
	r := c.req.(*protocol.ReplaceLinkRequest)
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	sid, err := c.pathID("signerId", "signer")
	if err != nil {
		return nil, err
	}
	vh, err := link.ParseVerifierHash(r.VerifierHash)
	if err != nil {
		return nil, badRequest("verifierHash is not 32 bytes of base64url")
	}
	if err := checkLinkWrap(r.LinkWrap); err != nil {
		return nil, err
	}
	check := func(v store.View) (*envelope, *signer, error) {
		e, err := c.envelopeIn(v, id)
		if err != nil {
			return nil, nil, err
		}
		if err := c.needSender(e); err != nil {
			return nil, nil, err
		}
		s := e.signer(sid)
		if s == nil || !s.external() {
			return nil, nil, notFound("outside signer")
		}
		if st := e.status(c.now); st != protocol.EnvelopeSent {
			return nil, nil, conflict("the envelope is %s", st)
		}
		if s.rec.State != signerPending && s.rec.State != signerOpened {
			return nil, nil, conflict("the signer has already signed or declined")
		}
		return e, s, nil
	}
	_, s, err := check(a.st.View)
	if err != nil {
		return nil, err
	}
	if err := c.take(a.limits.PerAccount, "notices/"+c.account.ID.String()); err != nil {
		return nil, err
	}
	if r.PIN != "" {
		if err := a.send(pinNotice(s.data.Phone, r.PIN)); err != nil {
			return nil, err
		}
	}
	err = a.st.Update(func(tx *store.Tx) error {
		var e *envelope
		if e, s, err = check(tx.View); err != nil {
			return err
		}
		s.data.VerifierHash, s.data.LinkWrap = vh[:], r.LinkWrap
		s.data.LinkGen++
		s.data.Failures = 0
		s.rec.State = signerPending
		if err := s.save(tx); err != nil {
			return err
		}
		return c.event(tx, e.rec.Tenant, auditlog.KindLinkReplaced, e.rec.ID, s.rec.ID)
	})
	if err != nil {
		return nil, err
	}
	st := s.status()
	return &st, nil
}

// envelopeSign takes a member signer's statement, signed with their
// keyring's key (the one the membership chain holds) in their session.
func (a *API) envelopeSign(c *call) (any, error) {
	r := c.req.(*protocol.SubmitSignatureRequest)
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	vk, err := chainRead(a, c.tenant.ID, func(st *membership.State) (keys.VerifyKey, error) {
		return st.VerifyKeyFor(c.account.ID.String())
	})
	if err != nil {
		return nil, err
	}
	e, err := a.sign(c, r, func(v store.View) (*envelope, *signer, error) {
		e, err := c.envelopeIn(v, id)
		if err != nil {
			return nil, nil, err
		}
		s := e.memberSigner(c.account.ID)
		if s == nil {
			return nil, nil, forbidden("you are not a signer of this envelope")
		}
		return e, s, nil
	}, &vk, 0)
	if err != nil {
		return nil, err
	}
	return e.view(c.now), nil
}

func (a *API) envelopeDecline(c *call) (any, error) {
	r := c.req.(*protocol.DeclineRequest)
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	return nil, a.decline(c, r.Reason, func(v store.View) (*envelope, *signer, error) {
		e, err := c.envelopeIn(v, id)
		if err != nil {
			return nil, nil, err
		}
		s := e.memberSigner(c.account.ID)
		if s == nil {
			return nil, nil, forbidden("you are not a signer of this envelope")
		}
		return e, s, nil
	})
}

// finder finds the envelope and the signer a call acts as, through a view
// of the database or of a transaction.
type finder func(v store.View) (*envelope, *signer, error)

// sign checks a signer's statement (checkStatement) and records it: the
// signer signed, and the envelope is completed when they were the last.
// memberKey is a member signer's key in the chain; pinChecked, for an
// outside signer, when the server checked the PIN of their session.
func (a *API) sign(c *call, r *protocol.SubmitSignatureRequest, find finder, memberKey *keys.VerifyKey, pinChecked int64) (*envelope, error) {
	e, s, err := find(a.st.View)
	if err != nil {
		return nil, err
	}
	st, err := checkStatement(e, s, r, memberKey, c.now)
	if err != nil {
		return nil, err
	}
	canon, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	var completed, turnDone bool
	err = a.st.Update(func(tx *store.Tx) error {
		if e, s, err = find(tx.View); err != nil {
			return err
		}
		if err := e.mayAct(s, c.now); err != nil {
			return err
		}
		if len(e.data.Digest) > 0 && !bytes.Equal(e.data.Digest, st.Statement.Digest[:]) {
			return conflict("the statement is over other bytes than the envelope's earlier signatures")
		}
		e.data.Digest = bytes.Clone(st.Statement.Digest[:])
		s.rec.State = signerSigned
		s.data.Statement, s.data.VerifyKey = canon, bytes.Clone(st.Statement.Signer.Key[:])
		s.data.SignedAt, s.data.PINCheckedAt = st.Statement.SignedAt.Unix(), pinChecked
		completed, turnDone = true, true
		for _, o := range e.signers {
			if o.rec.State != signerSigned {
				completed = false
				if o.data.Order == s.data.Order {
					turnDone = false
				}
			}
		}
		if completed {
			e.rec.State = envCompleted
		}
		if err := e.save(tx); err != nil {
			return err
		}
		return c.eventAs(tx, e.rec.Tenant, s.data.Account, auditlog.KindEnvelopeSigned, e.rec.ID, s.rec.ID)
	})
	if err != nil {
		return nil, err
	}
	if owner, err := a.st.Account(e.rec.Owner); err == nil {
		n := notify.Notice{Kind: notify.KindEmail, To: owner.Email, Subject: "A signer signed",
			Body: s.data.Name + " signed a document you sent with Vellum."}
		if completed {
			n.Subject, n.Body = "Everyone signed", "Every signer of a document you sent with Vellum has signed. Open Vellum to seal it."
		}
		_ = a.send(n)
	}
	if turnDone && !completed {
		a.noticeTurn(e, int64(s.data.Order), "")
	}
	return e, nil
}

// decline records a signer's refusal, which closes the envelope.
func (a *API) decline(c *call, reason string, find finder) error {
	var e *envelope
	var s *signer
	err := a.st.Update(func(tx *store.Tx) error {
		var err error
		if e, s, err = find(tx.View); err != nil {
			return err
		}
		if err := e.mayDecline(s, c.now); err != nil {
			return err
		}
		s.rec.State, s.data.Reason = signerDeclined, reason
		e.rec.State = envDeclined
		if err := e.save(tx); err != nil {
			return err
		}
		return c.eventAs(tx, e.rec.Tenant, s.data.Account, auditlog.KindEnvelopeDeclined, e.rec.ID, s.rec.ID)
	})
	if err != nil {
		return err
	}
	if owner, err := a.st.Account(e.rec.Owner); err == nil {
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: owner.Email, Subject: "A signer declined",
			Body: "A signer declined to sign a document you sent with Vellum. Open Vellum to read their reason."})
	}
	return nil
}

// Notices. None holds a link's secret, which the server never has; the
// PIN is in the SMS only, which the sender relays and nothing keeps.

func pinNotice(phone, pin string) notify.Notice {
	return notify.Notice{Kind: notify.KindSMS, To: phone,
		Body: "Your Vellum signing PIN is " + pin + ". Type it on the signing page of the link you were e-mailed. Never tell it to anyone."}
}

func reminderNotice(s *signer, sender string) notify.Notice {
	body := "A reminder: " + sender + " is waiting for your signature on a document in Vellum. Sign in to Vellum to read and sign it."
	if s.external() {
		body = "A reminder: " + sender + " is waiting for your signature on a document. Open the signing link they e-mailed you and type the PIN " +
			"you received by text message. If you lost either, ask " + sender + " for a new link."
	}
	return notify.Notice{Kind: notify.KindEmail, To: s.data.Email, Subject: "A document is waiting for your signature", Body: body}
}

// noticeTurn tells the signers of the lowest order above after, who may
// now sign, that it is their turn: at creation (after -1) and each time an
// order's signers have all signed. sender is the sender's address, or ""
// to look it up. The sender is not told about their own turn.
func (a *API) noticeTurn(e *envelope, after int64, sender string) {
	next, found := uint64(0), false
	for _, s := range e.signers {
		if int64(s.data.Order) > after && (!found || s.data.Order < next) {
			next, found = s.data.Order, true
		}
	}
	if !found {
		return
	}
	if sender == "" {
		owner, err := a.st.Account(e.rec.Owner)
		if err != nil {
			return
		}
		sender = owner.Email
	}
	for _, s := range e.signers {
		if s.data.Order != next || s.rec.State != signerPending && s.rec.State != signerOpened ||
			!s.external() && s.data.Account == e.rec.Owner {
			continue
		}
		body := sender + " asks you to sign a document in Vellum. Sign in to Vellum to read and sign it."
		if s.external() {
			body = sender + " asks you to sign a document with Vellum. " + sender + " sends you the signing link in an e-mail of their own, " +
				"and you receive a PIN by text message; the link opens only with that PIN. Vellum never asks you for the PIN."
		}
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: s.data.Email, Subject: "A document to sign", Body: body})
	}
}
