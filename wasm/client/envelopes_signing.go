package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/protocol"
)

// A Signing is one participant's handle on an envelope: a member signer or
// the sender (OpenEnvelope), or an outsider through their signing link and
// PIN (OpenSigningLink). With it the participant reads the document,
// signs or declines, seals once every signer has signed, and downloads the
// sealed document with its .seal file. Its methods are safe for concurrent
// use.
//
// A signer signs SHA-256 of the bytes this handle decrypted and showed
// (ReadDocument), never a digest the server offers; the seal is built from
// the same digest, and every statement MUST bind it (SPEC part 90).
type Signing struct {
	c          *Client
	t          signingTransport
	envelopeID string
	signerID   string // "" for a sender who does not sign
	accountID  string // "" for an outsider
	external   bool
	docKey     *keys.Identity
	meta       *document.Metadata
	cipherSize int64
	// statement is the uploader's version statement, checked when a member
	// or the sender opened the envelope (nil for an outsider, who cannot
	// check the membership chain): ReadDocument checks the ciphertext
	// against it, so members never sign a document the server made.
	statement *document.VersionStatement

	mu     sync.Mutex
	view   envView
	digest [32]byte
	read   bool
}

// envView is what both kinds of participants see of an envelope.
type envView struct {
	status  protocol.EnvelopeStatus
	message []byte
	signers []protocol.SignerStatus
}

// signingTransport is how a Signing reaches the server: a member's session
// on the tenant routes, or an outsider's signer session on the link routes.
type signingTransport interface {
	view(ctx context.Context) (envView, error)
	content(ctx context.Context) (*http.Response, error)
	sign(ctx context.Context, r *protocol.SubmitSignatureRequest) (envView, error)
	decline(ctx context.Context, reason string) error
	sealUpload(ctx context.Context, r *protocol.SealUploadRequest) (*protocol.SealRecord, error)
	sealGet(ctx context.Context) (*protocol.SealRecord, error)
}

// OpenEnvelope opens an envelope of the tenant as this account: a member
// signer (SignerID says which) or the sender. It finds the document key
// through the account's grants and checks the version's metadata.
func (c *Client) OpenEnvelope(ctx context.Context, tenantID, envelopeID string) (*Signing, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	env, err := c.Envelope(ctx, tenantID, envelopeID)
	if err != nil {
		return nil, err
	}
	ov, err := c.openVersion(ctx, tenantID, env.DocumentID, env.Version)
	if err != nil {
		return nil, err
	}
	g := &Signing{
		c: c, envelopeID: envelopeID, accountID: s.accountID, docKey: ov.key, meta: ov.meta, cipherSize: ov.version.Size,
		statement: ov.statement,
		t:         &memberTransport{c: c, tenantID: tenantID, envelopeID: envelopeID, documentID: env.DocumentID, version: env.Version},
		view:      viewOfEnvelope(env),
	}
	for _, st := range env.Signers {
		if st.AccountID == s.accountID {
			g.signerID = st.SignerID
		}
	}
	return g, nil
}

// OpenSigningLink opens an outsider's signing link with the PIN they
// received by SMS. It sends the server the link's signer id and the PIN
// verifier (never the secret or the PIN), unwraps the document key the
// server then releases, and checks the document's metadata. A wrong PIN is
// a *protocol.Error with CodeAuthFailed; a link locked after
// protocol.PINTries wrong PINs, CodeLocked.
func (c *Client) OpenSigningLink(ctx context.Context, rawURL, pin string) (*Signing, error) {
	l, err := link.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if l.Origin != c.base {
		return nil, ErrLinkOrigin
	}
	p, err := link.ParsePIN(trimPIN(pin))
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	req := &protocol.OpenLinkRequest{SignerID: l.SignerID, Verifier: link.MakeVerifier(l.Secret, p).Encode()}
	var resp protocol.OpenLinkResponse
	if err := c.do(ctx, call(rLinkOpen, "envelopeId", l.EnvelopeID).with(req), &resp); err != nil {
		return nil, err
	}
	if resp.Signer.EnvelopeID != l.EnvelopeID || resp.Signer.SignerID != l.SignerID || resp.SignerSession == "" {
		return nil, fmt.Errorf("client: %s: %w: the answer is for another link", rLinkOpen.Name, ErrInconsistent)
	}
	dk, err := link.Unwrap(resp.LinkWrap, l.Secret, p)
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", rLinkOpen.Name, err)
	}
	m, err := document.OpenMetadata(resp.Metadata, dk)
	if err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	if err := document.CheckSize(resp.DocumentSize, m.Size); err != nil {
		return nil, fmt.Errorf("client: metadata: %w", err)
	}
	t := &linkTransport{c: c, envelopeID: l.EnvelopeID, signerID: l.SignerID, token: resp.SignerSession}
	return &Signing{
		c: c, t: t, envelopeID: l.EnvelopeID, signerID: l.SignerID, external: true,
		docKey: dk, meta: m, cipherSize: resp.DocumentSize, view: viewOfSigner(&resp.Signer),
	}, nil
}

// EnvelopeID returns the envelope's id.
func (g *Signing) EnvelopeID() string { return g.envelopeID }

// SignerID returns this participant's signer id, or "" for a sender who is
// not a signer.
func (g *Signing) SignerID() string { return g.signerID }

// Document returns the document's name, MIME type and plaintext size, from
// its checked metadata.
func (g *Signing) Document() (name, mimeType string, size int64) {
	return g.meta.Name, g.meta.Type, g.meta.Size
}

// Status returns the envelope's status as last seen.
func (g *Signing) Status() protocol.EnvelopeStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.view.status
}

// Signers returns each signer's state as last seen, in the envelope's order.
func (g *Signing) Signers() []protocol.SignerStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]protocol.SignerStatus(nil), g.view.signers...)
}

// Message decrypts the sender's note to the signers ("" if none).
func (g *Signing) Message() (string, error) {
	g.mu.Lock()
	m := g.view.message
	g.mu.Unlock()
	return openMessage(m, g.docKey)
}

// Refresh reads the envelope's state again.
func (g *Signing) Refresh(ctx context.Context) error {
	v, err := g.t.view(ctx)
	if err != nil {
		return err
	}
	g.setView(v)
	return nil
}

func (g *Signing) setView(v envView) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.view = v
}

// Digest returns SHA-256 of the document once ReadDocument has read it to
// its end.
func (g *Signing) Digest() ([32]byte, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.digest, g.read
}

// ReadDocument downloads the envelope's document version, decrypts it as a
// stream into w (nil: only hash it) and returns its SHA-256, what sha256sum
// prints for the file. No byte is written before its chunk authenticates;
// a cut or altered download fails (document.ErrTruncated, ErrCorrupted) and
// leaves the document unread.
func (g *Signing) ReadDocument(ctx context.Context, w io.Writer) ([32]byte, error) {
	var d [32]byte
	if w == nil {
		w = io.Discard
	}
	resp, err := g.t.content(ctx)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || (resp.ContentLength >= 0 && resp.ContentLength != g.cipherSize) {
		return d, fmt.Errorf("client: envelope %s: %w: content of another size than the version's", g.envelopeID, ErrInconsistent)
	}
	cipher := &hashingReader{r: resp.Body, h: sha256.New()}
	pr, err := document.Decrypt(cipher, g.docKey)
	if err != nil {
		return d, fmt.Errorf("client: envelope %s: %w", g.envelopeID, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), pr)
	if err != nil {
		if ctx.Err() != nil {
			return d, ctx.Err()
		}
		return d, fmt.Errorf("client: envelope %s: %w", g.envelopeID, err)
	}
	if n != g.meta.Size {
		return d, fmt.Errorf("client: envelope %s: %w", g.envelopeID, document.ErrTruncated)
	}
	if g.statement != nil {
		if err := cipher.checkAgainst(g.statement); err != nil {
			return d, fmt.Errorf("client: envelope %s: %w", g.envelopeID, err)
		}
	}
	h.Sum(d[:0])
	g.mu.Lock()
	g.digest, g.read = d, true
	g.mu.Unlock()
	return d, nil
}

// Sign signs the document this handle read (ReadDocument; else ErrNotRead)
// as this participant: a member with their account's key and the session
// attestation, an outsider with an Ed25519 key made here for this one
// statement and the pin-verified attestation (SPEC part 40). It returns
// whether every signer has now signed, in which case this client SHOULD
// Seal.
func (g *Signing) Sign(ctx context.Context) (last bool, err error) {
	if g.signerID == "" {
		return false, ErrNotSigner
	}
	d, read := g.Digest()
	if !read {
		return false, ErrNotRead
	}
	if err := g.Refresh(ctx); err != nil {
		return false, err
	}
	me, err := g.mayAct()
	if err != nil {
		return false, err
	}
	st := seal.Statement{Digest: d, EnvelopeID: g.envelopeID, SignedAt: g.c.now(),
		Signer: seal.Signer{Name: me.Name, Email: me.Email}}
	var key *keys.SigningKey
	if g.external {
		key = keys.NewSigningKey() // used for this statement only, then dropped
		st.Signer.Kind, st.Attestation = seal.SignerExternal, seal.AttestPINVerified
	} else {
		s, err := g.c.unlocked()
		if err != nil {
			return false, err
		}
		key = s.keyring.SigningKey()
		st.Signer.Kind, st.Attestation, st.Signer.AccountID = seal.SignerMember, seal.AttestSession, g.accountID
	}
	st.Signer.Key = key.Public()
	signed, err := seal.Sign(key, st)
	if err != nil {
		return false, fmt.Errorf("client: signing: %w", err)
	}
	b, err := signed.Marshal()
	if err != nil {
		return false, fmt.Errorf("client: signing: %w", err)
	}
	v, err := g.t.sign(ctx, &protocol.SubmitSignatureRequest{Statement: b, VerifyKey: st.Signer.Key.String()})
	if err != nil {
		return false, err
	}
	g.setView(v)
	return v.status == protocol.EnvelopeCompleted, nil
}

// mayAct returns this participant's signer entry if they may sign or
// decline now: the envelope is sent, they have neither signed nor declined,
// and (in order) no signer before them is still to sign.
func (g *Signing) mayAct() (*protocol.SignerStatus, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.view.status != protocol.EnvelopeSent {
		return nil, fmt.Errorf("%w: the envelope is %s", ErrEnvelopeState, g.view.status)
	}
	var me *protocol.SignerStatus
	for i := range g.view.signers {
		if g.view.signers[i].SignerID == g.signerID {
			me = &g.view.signers[i]
		}
	}
	if me == nil {
		return nil, ErrNotSigner
	}
	if me.State != protocol.SignerPending && me.State != protocol.SignerOpened {
		return nil, fmt.Errorf("%w: this signer is %s", ErrEnvelopeState, me.State)
	}
	for _, o := range g.view.signers {
		if o.Order < me.Order && o.State != protocol.SignerSigned {
			return nil, fmt.Errorf("%w: a signer before this one has not signed yet", ErrEnvelopeState)
		}
	}
	return me, nil
}

// Decline declines to sign, with a reason shown to the sender.
func (g *Signing) Decline(ctx context.Context, reason string) error {
	if g.signerID == "" {
		return ErrNotSigner
	}
	if err := g.Refresh(ctx); err != nil {
		return err
	}
	if _, err := g.mayAct(); err != nil {
		return err
	}
	if err := g.t.decline(ctx, reason); err != nil {
		return err
	}
	return g.Refresh(ctx)
}

// Sealed is a sealed document's .seal file and its check.
type Sealed struct {
	// File is the .seal file (SPEC part 40): keep it beside the document
	// as "<name>.seal".
	File []byte
	// Check is the verification of the document against File with the
	// pinned log key.
	Check *SealCheck
}

// Seal builds the seal of a completed envelope (SPEC part 40 §Seal) from
// the signers' statements and the document this handle read (reading it
// first if it has not), sends it to the server, which logs it, and checks
// the server's inclusion proof against the pinned log key before it
// returns the .seal file. Each statement MUST verify, be by the signer the
// envelope names and bind this document (ErrDigestMismatch otherwise). If
// another client sealed first, that seal is fetched and checked instead.
func (g *Signing) Seal(ctx context.Context, logKey note.Verifier) (*Sealed, error) {
	if logKey == nil {
		return nil, fmt.Errorf("client: sealing: %w: no log key pinned", ErrSealInvalid)
	}
	if _, read := g.Digest(); !read {
		if _, err := g.ReadDocument(ctx, nil); err != nil {
			return nil, err
		}
	}
	if err := g.Refresh(ctx); err != nil {
		return nil, err
	}
	g.mu.Lock()
	v, d := g.view, g.digest
	g.mu.Unlock()
	switch v.status {
	case protocol.EnvelopeSealed:
		return g.fetchSeal(ctx, logKey, d)
	case protocol.EnvelopeCompleted:
	default:
		return nil, fmt.Errorf("%w: the envelope is %s", ErrEnvelopeState, v.status)
	}
	s, err := g.buildSeal(v, d)
	if err != nil {
		return nil, err
	}
	b, err := s.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: sealing: %w", err)
	}
	sh, c := sha256.Sum256(b), s.Commitment()
	rec, err := g.t.sealUpload(ctx, &protocol.SealUploadRequest{Seal: b, Commitment: c[:], SealHash: sh[:]})
	if protocol.CodeOf(err) == protocol.CodeConflict {
		return g.fetchSeal(ctx, logKey, d) // sealed by another client meanwhile
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(rec.Seal, b) {
		return nil, fmt.Errorf("client: sealing: %w: the server stored another seal", ErrInconsistent)
	}
	return g.checkRecord(rec, logKey, d, v)
}

// markSealed records that the envelope is sealed, once this client has
// checked the stored seal: Status says so without another request.
func (g *Signing) markSealed() {
	g.mu.Lock()
	g.view.status = protocol.EnvelopeSealed
	g.mu.Unlock()
}

// buildSeal checks every signer's statement and makes the seal.
func (g *Signing) buildSeal(v envView, d [32]byte) (*seal.Seal, error) {
	signers := make([]seal.Signer, 0, len(v.signers))
	sigs := make([]seal.SignedStatement, 0, len(v.signers))
	sealedAt := g.c.now()
	for i, ss := range v.signers {
		if ss.State != protocol.SignerSigned || len(ss.Statement) == 0 {
			return nil, fmt.Errorf("%w: signer %d has not signed", ErrEnvelopeState, i+1)
		}
		st, err := seal.ParseSignedStatement(ss.Statement)
		if err == nil {
			err = st.Verify()
		}
		if err != nil {
			return nil, fmt.Errorf("client: signer %d's statement: %w: %w", i+1, ErrInconsistent, err)
		}
		if err := sameSigner(st.Statement.Signer, &ss); err != nil || ss.VerifyKey != st.Statement.Signer.Key.String() {
			return nil, fmt.Errorf("client: signer %d's statement: %w: it names another signer or key", i+1, ErrInconsistent)
		}
		if st.Statement.EnvelopeID != g.envelopeID {
			return nil, fmt.Errorf("client: signer %d's statement: %w: it is for another envelope", i+1, ErrInconsistent)
		}
		if st.Statement.Digest != d {
			return nil, fmt.Errorf("client: signer %d: %w", i+1, ErrDigestMismatch)
		}
		if st.Statement.SignedAt.After(sealedAt) {
			sealedAt = st.Statement.SignedAt // a signer's clock ahead of ours
		}
		signers = append(signers, st.Statement.Signer)
		sigs = append(sigs, *st)
	}
	s, err := seal.New(d, g.envelopeID, signers, sigs, sealedAt)
	if err != nil {
		return nil, fmt.Errorf("client: sealing: %w", err)
	}
	return s, nil
}

// sameSigner reports whether a statement's signer is the envelope's signer
// ss: same kind, account, name and address.
func sameSigner(sg seal.Signer, ss *protocol.SignerStatus) error {
	kind := seal.SignerExternal
	if ss.AccountID != "" {
		kind = seal.SignerMember
	}
	if sg.Kind != kind || sg.AccountID != ss.AccountID || sg.Name != ss.Name || sg.Email != ss.Email {
		return ErrInconsistent
	}
	return nil
}

// fetchSeal reads the stored seal and checks it.
func (g *Signing) fetchSeal(ctx context.Context, logKey note.Verifier, d [32]byte) (*Sealed, error) {
	rec, err := g.t.sealGet(ctx)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	v := g.view
	g.mu.Unlock()
	return g.checkRecord(rec, logKey, d, v)
}

// checkRecord makes the .seal file of a stored seal and verifies it against
// the document's digest and the pinned log key, and its signers against the
// envelope's.
func (g *Signing) checkRecord(rec *protocol.SealRecord, logKey note.Verifier, d [32]byte, v envView) (*Sealed, error) {
	file, err := sealFileOf(rec)
	if err != nil {
		return nil, err
	}
	out := &Sealed{File: file, Check: CheckSealDigest(d, file, logKey)}
	if !out.Check.Valid() {
		return out, fmt.Errorf("%w: %s", ErrSealInvalid, out.Check.Failures[0])
	}
	r := out.Check.Report
	if r.EnvelopeID != g.envelopeID || len(r.Signers) != len(v.signers) {
		return out, fmt.Errorf("%w: the seal is not this envelope's", ErrSealInvalid)
	}
	for i := range r.Signers {
		if sameSigner(r.Signers[i].Signer, &v.signers[i]) != nil || r.Signers[i].Signer.Key.String() != v.signers[i].VerifyKey {
			return out, fmt.Errorf("%w: the seal's signer %d is not the envelope's", ErrSealInvalid, i+1)
		}
	}
	g.markSealed()
	return out, nil
}

// DownloadSealed downloads a sealed envelope's document into w and its
// .seal file, and verifies the one against the other with the pinned log
// key (the document's SHA-256 is the seal's D, every signature verifies,
// the log proof verifies) and the seal's signers against the envelope's.
// On ErrSealInvalid the caller MUST discard what was written to w; Sealed
// says why.
func (g *Signing) DownloadSealed(ctx context.Context, logKey note.Verifier, w io.Writer) (*Sealed, error) {
	if err := g.Refresh(ctx); err != nil {
		return nil, err
	}
	g.mu.Lock()
	v := g.view
	g.mu.Unlock()
	if v.status != protocol.EnvelopeSealed {
		return nil, fmt.Errorf("%w: the envelope is %s, not sealed", ErrEnvelopeState, v.status)
	}
	rec, err := g.t.sealGet(ctx)
	if err != nil {
		return nil, err
	}
	d, err := g.ReadDocument(ctx, w)
	if err != nil {
		return nil, err
	}
	return g.checkRecord(rec, logKey, d, v)
}

func viewOfEnvelope(e *protocol.Envelope) envView {
	return envView{status: e.Status, message: e.Message, signers: e.Signers}
}

func viewOfSigner(s *protocol.SignerView) envView {
	return envView{status: s.Status, message: s.Message, signers: s.Signers}
}

// memberTransport reaches an envelope through the tenant routes, in the
// account's session.
type memberTransport struct {
	c                                *Client
	tenantID, envelopeID, documentID string
	version                          uint32
}

func (m *memberTransport) view(ctx context.Context) (envView, error) {
	e, err := m.c.Envelope(ctx, m.tenantID, m.envelopeID)
	if err != nil {
		return envView{}, err
	}
	if e.DocumentID != m.documentID || e.Version != m.version {
		return envView{}, fmt.Errorf("client: %s: %w: the envelope's document changed", rEnvGet.Name, ErrInconsistent)
	}
	return viewOfEnvelope(e), nil
}

func (m *memberTransport) content(ctx context.Context) (*http.Response, error) {
	return m.c.send(ctx, call(rDocumentContent, "tenantId", m.tenantID, "documentId", m.documentID).q("version", strconv.FormatUint(uint64(m.version), 10)))
}

func (m *memberTransport) sign(ctx context.Context, r *protocol.SubmitSignatureRequest) (envView, error) {
	var e protocol.Envelope
	if err := m.c.do(ctx, call(rEnvSign, "tenantId", m.tenantID, "envelopeId", m.envelopeID).with(r), &e); err != nil {
		return envView{}, err
	}
	if e.EnvelopeID != m.envelopeID {
		return envView{}, fmt.Errorf("client: %s: %w", rEnvSign.Name, ErrInconsistent)
	}
	return viewOfEnvelope(&e), nil
}

func (m *memberTransport) decline(ctx context.Context, reason string) error {
	return m.c.do(ctx, call(rEnvDecline, "tenantId", m.tenantID, "envelopeId", m.envelopeID).with(&protocol.DeclineRequest{Reason: reason}), nil)
}

func (m *memberTransport) sealUpload(ctx context.Context, r *protocol.SealUploadRequest) (*protocol.SealRecord, error) {
	var rec protocol.SealRecord
	err := m.c.do(ctx, call(rEnvSealUpload, "tenantId", m.tenantID, "envelopeId", m.envelopeID).with(r), &rec)
	return &rec, err
}

func (m *memberTransport) sealGet(ctx context.Context) (*protocol.SealRecord, error) {
	var rec protocol.SealRecord
	err := m.c.do(ctx, call(rEnvSealGet, "tenantId", m.tenantID, "envelopeId", m.envelopeID), &rec)
	return &rec, err
}

// linkTransport reaches an envelope through the link routes, with the
// signer session links.open returned.
type linkTransport struct {
	c                    *Client
	envelopeID, signerID string
	token                string
}

func (l *linkTransport) req(r *protocol.Route) *request { return call(r, "envelopeId", l.envelopeID) }

func (l *linkTransport) checkView(r *protocol.Route, v *protocol.SignerView) (envView, error) {
	if v.EnvelopeID != l.envelopeID || v.SignerID != l.signerID {
		return envView{}, fmt.Errorf("client: %s: %w: the answer is for another link", r.Name, ErrInconsistent)
	}
	return viewOfSigner(v), nil
}

func (l *linkTransport) view(ctx context.Context) (envView, error) {
	var v protocol.SignerView
	if err := l.c.doAs(ctx, l.req(rLinkGet), l.token, &v); err != nil {
		return envView{}, err
	}
	return l.checkView(rLinkGet, &v)
}

func (l *linkTransport) content(ctx context.Context) (*http.Response, error) {
	return l.c.sendAs(ctx, l.req(rLinkDocument), l.token)
}

func (l *linkTransport) sign(ctx context.Context, r *protocol.SubmitSignatureRequest) (envView, error) {
	var v protocol.SignerView
	if err := l.c.doAs(ctx, l.req(rLinkSign).with(r), l.token, &v); err != nil {
		return envView{}, err
	}
	return l.checkView(rLinkSign, &v)
}

func (l *linkTransport) decline(ctx context.Context, reason string) error {
	return l.c.doAs(ctx, l.req(rLinkDecline).with(&protocol.DeclineRequest{Reason: reason}), l.token, nil)
}

func (l *linkTransport) sealUpload(ctx context.Context, r *protocol.SealUploadRequest) (*protocol.SealRecord, error) {
	var rec protocol.SealRecord
	err := l.c.doAs(ctx, l.req(rLinkSealUpload).with(r), l.token, &rec)
	return &rec, err
}

func (l *linkTransport) sealGet(ctx context.Context) (*protocol.SealRecord, error) {
	var rec protocol.SealRecord
	err := l.c.doAs(ctx, l.req(rLinkSealGet), l.token, &rec)
	return &rec, err
}

// sendAs sends a request with a bearer token of its own (a signer
// session), outside the account's session and its refresh.
func (c *Client) sendAs(ctx context.Context, r *request, token string) (*http.Response, error) {
	req, err := c.build(ctx, r, token)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, r.route, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	return nil, fmt.Errorf("client: %s: %w", r.route.Name, readError(resp))
}

// doAs is sendAs with the reply decoded strictly into out (nil for none).
func (c *Client) doAs(ctx context.Context, r *request, token string, out any) error {
	resp, err := c.sendAs(ctx, r, token)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if r.route.Reply != protocol.BodyJSON || out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, protocol.MaxJSONBody))
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxJSONBody+1))
	if err != nil {
		return transportError(ctx, r.route, err)
	}
	if err := protocol.DecodeJSON(b, out, protocol.MaxJSONBody); err != nil {
		return fmt.Errorf("client: %s: %w: %v", r.route.Name, ErrBadResponse, err)
	}
	return nil
}
