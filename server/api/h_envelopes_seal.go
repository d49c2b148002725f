package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

// Signatures and seals (SPEC part 75 §Signing, §Sealing). The server
// cannot compute D (it holds only ciphertext): the first statement fixes
// the envelope's D, every later statement and the seal MUST bind the same.

// statementSkew is how far the time of a statement or a seal may be from
// the server's clock.
const statementSkew = 10 * time.Minute

// sealInputError maps a keys/seal parse failure to a protocol error,
// without quoting the input.
func sealInputError(what string, err error) error {
	switch {
	case errors.Is(err, seal.ErrTooLarge):
		return protocol.Errorf(protocol.CodeTooLarge, "the %s is over its limit", what)
	case errors.Is(err, seal.ErrUnsupported):
		return protocol.Errorf(protocol.CodeUnsupported, "the %s is of an unsupported version or kind", what)
	}
	return protocol.Errorf(protocol.CodeBadEncoding, "the %s does not parse", what)
}

// sealSigner is the identity the envelope gives s, with key.
func sealSigner(s *signer, key keys.VerifyKey) seal.Signer {
	sg := seal.Signer{Kind: seal.SignerExternal, Name: s.data.Name, Email: s.data.Email, Key: key}
	if !s.external() {
		sg.Kind, sg.AccountID = seal.SignerMember, s.data.Account.String()
	}
	return sg
}

func nearNow(t, now time.Time) bool {
	d := t.Sub(now)
	return d < statementSkew && d > -statementSkew
}

// checkStatement checks a signer's statement before it is recorded: it
// parses strictly and verifies under its own key, which is the request's
// verify key (and, for a member, their key in the membership chain); it
// names this envelope and this signer as the envelope does (kind, name,
// address, account; keys/seal ties the attestation to the kind); its time
// is the server's, within statementSkew. Whether it binds the envelope's
// D is checked when it is recorded.
func checkStatement(e *envelope, s *signer, r *protocol.SubmitSignatureRequest, memberKey *keys.VerifyKey, now time.Time) (*seal.SignedStatement, error) {
	st, err := seal.ParseSignedStatement(r.Statement)
	if err != nil {
		return nil, sealInputError("statement", err)
	}
	if err := st.Verify(); err != nil {
		return nil, protocol.Errorf(protocol.CodeBadSignature, "the statement's signature does not verify")
	}
	vk, err := keys.ParseVerifyKey(r.VerifyKey)
	if err != nil {
		return nil, badRequest("verifyKey is not an ed25519 verify key")
	}
	if st.Statement.Signer.Key != vk {
		return nil, badRequest("the statement is not signed with verifyKey")
	}
	if memberKey != nil && vk != *memberKey {
		return nil, protocol.Errorf(protocol.CodeBadSignature, "the statement is not signed with your key in the membership chain")
	}
	if st.Statement.EnvelopeID != e.rec.ID.String() {
		return nil, badRequest("the statement is for another envelope")
	}
	if st.Statement.Signer != sealSigner(s, vk) {
		return nil, badRequest("the statement names another signer than the envelope's")
	}
	if !nearNow(st.Statement.SignedAt, now) {
		return nil, badRequest("the statement's time is not now")
	}
	return st, nil
}

// checkSeal checks an uploaded seal against the envelope before its leaf
// is logged: it parses strictly; C and S are this seal's; it is for this
// envelope and its D; its signers are the envelope's, in order, with the
// keys they signed with; its statements are exactly the ones the server
// recorded, in the same order, and verify; its time is not before any
// signature nor after now.
func checkSeal(e *envelope, r *protocol.SealUploadRequest, now time.Time) (c, s [32]byte, err error) {
	sl, err := seal.ParseSeal(r.Seal)
	if err != nil {
		return c, s, sealInputError("seal", err)
	}
	if canon, err := sl.Marshal(); err != nil || !bytes.Equal(canon, r.Seal) {
		return c, s, protocol.Errorf(protocol.CodeBadEncoding, "the seal is not in canonical form")
	}
	c, s = sl.Commitment(), sha256.Sum256(r.Seal)
	if !bytes.Equal(c[:], r.Commitment) || !bytes.Equal(s[:], r.SealHash) {
		return c, s, protocol.Errorf(protocol.CodeBadSignature, "commitment or sealHash is not the seal's")
	}
	if sl.EnvelopeID != e.rec.ID.String() {
		return c, s, badRequest("the seal is for another envelope")
	}
	if !bytes.Equal(sl.Digest[:], e.data.Digest) {
		return c, s, badRequest("the seal is over other bytes than the signatures")
	}
	if len(sl.Signers) != len(e.signers) || len(sl.Signatures) != len(e.signers) {
		return c, s, badRequest("the seal does not have the envelope's signers")
	}
	for i, sg := range e.signers {
		var vk keys.VerifyKey
		copy(vk[:], sg.data.VerifyKey)
		if sl.Signers[i] != sealSigner(sg, vk) {
			return c, s, badRequest("signer %d of the seal is not the envelope's", i+1)
		}
		st := &sl.Signatures[i]
		if b, err := st.Marshal(); err != nil || !bytes.Equal(b, sg.data.Statement) {
			return c, s, badRequest("statement %d of the seal is not the one signer %d submitted", i+1, i+1)
		}
		if err := st.Verify(); err != nil {
			return c, s, protocol.Errorf(protocol.CodeBadSignature, "statement %d of the seal does not verify", i+1)
		}
		if st.Statement.SignedAt.After(sl.SealedAt) {
			return c, s, badRequest("the seal is older than signature %d", i+1)
		}
	}
	if sl.SealedAt.After(now.Add(statementSkew)) {
		return c, s, badRequest("the seal's time is in the future")
	}
	return c, s, nil
}

var errNoSealLog = protocol.Errorf(protocol.CodeUnsupported, "this server keeps no seal log")

// sealUpload checks the seal of a completed envelope, appends its leaf to
// the public log, and stores the seal with the leaf's index and proof,
// marking the envelope sealed, with the audit event envelope_sealed. The
// leaf and the seal are stored in one transaction (seallog's
// AppendProofWith), so the log never holds a leaf whose seal was lost, nor
// a stored seal its leaf. Seal uploads are serialized, so an envelope is
// logged once: a second upload finds it sealed (conflict).
func (a *API) sealUpload(c *call, find finder) (*protocol.SealRecord, error) {
	r := c.req.(*protocol.SealUploadRequest)
	if a.log == nil {
		return nil, errNoSealLog
	}
	a.sealMu.Lock()
	defer a.sealMu.Unlock()
	e, _, err := find(a.st.View)
	if err != nil {
		return nil, err
	}
	switch e.rec.State {
	case envCompleted:
	case envSealed:
		return nil, conflict("the envelope is sealed already")
	default:
		return nil, conflict("the envelope is %s, not completed", e.status(c.now))
	}
	cm, sh, err := checkSeal(e, r, c.now)
	if err != nil {
		return nil, err
	}
	var rec *store.EnvelopeSeal
	_, _, err = a.log.AppendProofWith(seallog.NewLeaf(cm, sh), func(idx int64, leaf []byte, hashes []tlog.Hash, proof []byte) error {
		rec = &store.EnvelopeSeal{Envelope: e.rec.ID, Seal: r.Seal, LeafIndex: uint64(idx), Proof: proof}
		return a.st.Update(func(tx *store.Tx) error {
			e, _, err := find(tx.View)
			if err != nil {
				return err
			}
			if e.rec.State != envCompleted {
				return conflict("the envelope changed while it was sealed")
			}
			if err := tx.PutSealLeaf(idx, leaf, hashes); err != nil {
				return err
			}
			if err := tx.PutEnvelopeSeal(rec); err != nil {
				return err
			}
			e.rec.State = envSealed
			if err := e.save(tx); err != nil {
				return err
			}
			return c.event(tx, e.rec.Tenant, auditlog.KindEnvelopeSealed, e.rec.ID, e.rec.Document)
		})
	})
	if err != nil {
		return nil, err
	}
	a.noticeSealed(e)
	return &protocol.SealRecord{Seal: rec.Seal, LeafIndex: rec.LeafIndex, Proof: rec.Proof}, nil
}

func (a *API) sealRecord(id store.ID) (*protocol.SealRecord, error) {
	s, err := a.st.EnvelopeSeal(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("seal: the envelope is not sealed")
	}
	if err != nil {
		return nil, err
	}
	return &protocol.SealRecord{Seal: s.Seal, LeafIndex: s.LeafIndex, Proof: s.Proof}, nil
}

// envelopeSealUpload: the sender or a member signer seals.
func (a *API) envelopeSealUpload(c *call) (any, error) {
	id, err := c.pathID("envelopeId", "envelope")
	if err != nil {
		return nil, err
	}
	return a.sealUpload(c, func(v store.View) (*envelope, *signer, error) {
		e, err := c.envelopeIn(v, id)
		if err != nil {
			return nil, nil, err
		}
		if e.rec.Owner != c.account.ID && e.memberSigner(c.account.ID) == nil {
			return nil, nil, forbidden("only the envelope's sender and signers may seal it")
		}
		return e, nil, nil
	})
}

func (a *API) envelopeSealGet(c *call) (any, error) {
	e, err := c.envelopeParam()
	if err != nil {
		return nil, err
	}
	if err := c.needSee(e); err != nil {
		return nil, err
	}
	return a.sealRecord(e.rec.ID)
}

// linkSealUpload: an outside signer seals (the last to sign, typically).
func (a *API) linkSealUpload(c *call) (any, error) {
	return a.sealUpload(c, c.linkFinder())
}

func (a *API) linkSealGet(c *call) (any, error) {
	return a.sealRecord(c.link.e.rec.ID)
}

// noticeSealed tells every participant that the document is sealed.
func (a *API) noticeSealed(e *envelope) {
	to := map[string]bool{}
	if owner, err := a.st.Account(e.rec.Owner); err == nil {
		to[owner.Email] = true
	}
	for _, s := range e.signers {
		to[s.data.Email] = true
	}
	for addr := range to {
		_ = a.send(notify.Notice{Kind: notify.KindEmail, To: addr, Subject: "A document was sealed",
			Body: "A document you sent or signed with Vellum is signed by everyone and sealed in the public log. " +
				"Download it with its .seal file from Vellum, or through your signing link while it opens."})
	}
}
