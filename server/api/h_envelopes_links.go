package api

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/notify"
	"vellum.dev/vellum/server/store"
)

// Signing links (SPEC part 75 §Signing links). links.open checks an
// outside signer's PIN verifier against that one signer's stored hash and,
// on a match, returns a signer session: a token sealed like a login state,
// under its own key, naming the envelope, the signer and the link's
// generation. The other link routes take it as their bearer token.

// Signer sessions:
//
//	version 0x01 ‖ nonce[24] ‖ XChaCha20-Poly1305(K, nonce,
//	  issued[8] ‖ expires[8] (Unix s, big-endian) ‖ envelope[16] ‖
//	  signer[16] ‖ link generation[8],
//	  ad = LabelSignerSessionAD ‖ 0x0A ‖ 0x01)
//
// in unpadded base64url, K = HKDF-SHA-256(state secret, no salt,
// LabelKDFSignerSession). A session lives signerSessionTTL, and no longer
// than a sent envelope; replacing the link (a new generation) ends it.
const (
	signerTokenVersion = 0x01
	signerSessionTTL   = 30 * time.Minute
	signerClaimsLen    = 8 + 8 + 16 + 16 + 8
)

type signerClaims struct {
	issued, expires  time.Time
	envelope, signer store.ID
	gen              uint64
}

func signerAD() []byte {
	return append([]byte(protocol.LabelSignerSessionAD), 0x0a, signerTokenVersion)
}

// signerPlaintext is the sealed part of a signer session.
func signerPlaintext(cl *signerClaims) []byte {
	pt := make([]byte, 0, signerClaimsLen)
	pt = binary.BigEndian.AppendUint64(pt, uint64(cl.issued.Unix()))
	pt = binary.BigEndian.AppendUint64(pt, uint64(cl.expires.Unix()))
	pt = append(pt, cl.envelope[:]...)
	pt = append(pt, cl.signer[:]...)
	return binary.BigEndian.AppendUint64(pt, cl.gen)
}

func (s *secrets) sealSigner(cl *signerClaims) string {
	return s.sealSignerPlaintext(signerPlaintext(cl))
}

// sealSignerPlaintext seals pt as a signer session with a fresh random
// nonce.
func (s *secrets) sealSignerPlaintext(pt []byte) string {
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(pt)+s.signer.Overhead())
	out[0] = signerTokenVersion
	rand.Read(out[1:])
	out = s.signer.Seal(out, out[1:], pt, signerAD())
	return b64url.EncodeToString(out)
}

// openSigner opens a signer session that has not expired at now.
func (s *secrets) openSigner(tok string, now time.Time) (*signerClaims, bool) {
	if len(tok) > protocol.MaxSessionToken {
		return nil, false
	}
	b, err := b64url.DecodeString(tok)
	n := 1 + chacha20poly1305.NonceSizeX
	if err != nil || len(b) != n+signerClaimsLen+s.signer.Overhead() || b[0] != signerTokenVersion {
		return nil, false
	}
	pt, err := s.signer.Open(nil, b[1:n], b[n:], signerAD())
	if err != nil {
		return nil, false
	}
	cl := &signerClaims{
		issued:  time.Unix(int64(binary.BigEndian.Uint64(pt[0:8])), 0).UTC(),
		expires: time.Unix(int64(binary.BigEndian.Uint64(pt[8:16])), 0).UTC(),
		gen:     binary.BigEndian.Uint64(pt[48:56]),
	}
	copy(cl.envelope[:], pt[16:32])
	copy(cl.signer[:], pt[32:48])
	if !now.Before(cl.expires) {
		return nil, false
	}
	return cl, true
}

// linkCall is what a signer session authorizes: one signer of one
// envelope, read at the start of the call.
type linkCall struct {
	claims *signerClaims
	e      *envelope
	s      *signer
}

// authorizeSigner checks a signer session for a link route: sealed by
// this server, not expired, for the path's envelope, of an outside signer
// whose link is still the one the session was opened with. Every failure
// is ErrNoSignerID.
func (a *API) authorizeSigner(c *call) error {
	tok, ok := bearer(c.ctx.Request.Header.Peek("Authorization"))
	if !ok {
		return ErrNoSignerID
	}
	cl, ok := a.secrets.openSigner(tok, c.now)
	if !ok {
		return ErrNoSignerID
	}
	eid, err := store.ParseID(c.params["envelopeId"])
	if err != nil || eid != cl.envelope {
		return ErrNoSignerID
	}
	e, err := loadEnvelope(a.st.View, eid)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoSignerID
	}
	if err != nil {
		return err
	}
	s := e.signer(cl.signer)
	if s == nil || !s.external() || s.data.LinkGen != cl.gen {
		return ErrNoSignerID
	}
	c.link = &linkCall{claims: cl, e: e, s: s}
	return nil
}

// The answers of links.open. A link that does not exist (or names a
// member signer) fails like a wrong PIN and counts nothing.
var (
	errLinkAuth    = protocol.Errorf(protocol.CodeAuthFailed, "wrong PIN, or no such signing link")
	errLinkLocked  = protocol.Errorf(protocol.CodeLocked, "this signing link is locked after too many wrong PINs; ask its sender for a new one")
	errLinkExpired = protocol.Errorf(protocol.CodeExpired, "this signing link has expired")
	errLinkClosed  = protocol.Errorf(protocol.CodeForbidden, "this envelope was cancelled or declined")
)

// linkOpen checks a PIN verifier (SPEC part 90 §Opening a link, in its
// order). In one transaction it counts a wrong one against that signer's
// link, with the audit events pin_failed and, at PINTries, link_locked; a
// locked link is refused before any comparison, so that even the right PIN
// is refused, from any address. On a match it releases the wrap and a
// signer session. Links of sent, completed and sealed envelopes open (an
// outside signer downloads the sealed document through theirs).
func (a *API) linkOpen(c *call) (any, error) {
	r := c.req.(*protocol.OpenLinkRequest)
	eid, err := store.ParseID(c.params["envelopeId"])
	if err != nil {
		return nil, errLinkAuth
	}
	sid, err := store.ParseID(r.SignerID)
	if err != nil {
		return nil, errLinkAuth
	}
	v, err := link.ParseVerifier(r.Verifier)
	if err != nil {
		return nil, badRequest("verifier is not 32 bytes of base64url")
	}
	var (
		outcome    error
		lockedNow  bool
		e          *envelope
		s          *signer
		ver        *store.Version
		pinChecked = c.now.Truncate(time.Second)
	)
	err = a.st.Update(func(tx *store.Tx) error {
		e, err = loadEnvelope(tx.View, eid)
		if errors.Is(err, store.ErrNotFound) {
			outcome = errLinkAuth
			return nil
		}
		if err != nil {
			return err
		}
		if s = e.signer(sid); s == nil || !s.external() {
			outcome = errLinkAuth
			return nil
		}
		if s.data.Failures >= protocol.PINTries {
			outcome = errLinkLocked
			return nil
		}
		switch e.status(c.now) {
		case protocol.EnvelopeExpired:
			outcome = errLinkExpired
			return nil
		case protocol.EnvelopeCancelled, protocol.EnvelopeDeclined:
			outcome = errLinkClosed
			return nil
		}
		var h link.VerifierHash
		copy(h[:], s.data.VerifierHash)
		if !link.VerifierMatches(h, v) {
			s.data.Failures++
			if err := s.save(tx); err != nil {
				return err
			}
			if err := c.eventAs(tx, e.rec.Tenant, store.ID{}, auditlog.KindPINFailed, e.rec.ID, s.rec.ID); err != nil {
				return err
			}
			outcome = errLinkAuth
			if s.data.Failures >= protocol.PINTries {
				// The signer learns at once that trying on is pointless.
				lockedNow, outcome = true, errLinkLocked
				if err := c.eventAs(tx, e.rec.Tenant, store.ID{}, auditlog.KindLinkLocked, e.rec.ID, s.rec.ID); err != nil {
					return err
				}
			}
			return nil
		}
		if ver, err = tx.Version(e.rec.Document, e.data.DocVersion); err != nil {
			outcome = notFound("document")
			return nil
		}
		if s.rec.State == signerPending {
			s.rec.State = signerOpened
		}
		if s.data.OpenedAt == 0 {
			s.data.OpenedAt = pinChecked.Unix()
		}
		return s.save(tx)
	})
	if err != nil {
		return nil, err
	}
	if lockedNow {
		if owner, err := a.st.Account(e.rec.Owner); err == nil {
			_ = a.send(notify.Notice{Kind: notify.KindEmail, To: owner.Email, Subject: "A signing link was locked",
				Body: fmt.Sprintf("The signing link you sent to %s was locked after %d wrong PINs. If they still need to sign, "+
					"open the envelope in Vellum and send them a new link.", s.data.Name, protocol.PINTries)})
		}
	}
	if outcome != nil {
		return nil, outcome
	}
	cl := &signerClaims{issued: pinChecked, expires: pinChecked.Add(signerSessionTTL), envelope: e.rec.ID, signer: s.rec.ID, gen: s.data.LinkGen}
	if e.rec.State == envSent && e.expires().Before(cl.expires) {
		cl.expires = e.expires()
	}
	return &protocol.OpenLinkResponse{
		SignerSession: a.secrets.sealSigner(cl), SessionExpires: cl.expires, LinkWrap: s.data.LinkWrap,
		Signer: *e.signerView(s, c.now), DocumentSize: int64(ver.Size), DocumentVersion: uint32(ver.N), Metadata: ver.Metadata,
	}, nil
}

func (a *API) linkGet(c *call) (any, error) {
	return c.link.e.signerView(c.link.s, c.now), nil
}

// linkDocument streams the envelope's document version, and nothing else,
// to its outside signer.
func (a *API) linkDocument(c *call) (any, error) {
	e := c.link.e
	ver, err := a.st.Version(e.rec.Document, e.data.DocVersion)
	if err != nil {
		return nil, notFound("document")
	}
	return nil, c.streamVersion(ver, e.rec.Tenant, e.rec.ID, c.link.s.rec.ID)
}

// streamVersion answers a version's ciphertext, with single-range
// support; a download from the start is a document_downloaded event in
// tenant, with extra objects.
func (c *call) streamVersion(ver *store.Version, tenant store.ID, extra ...store.ID) error {
	size := int64(ver.Size)
	start, end, partial, err := parseRange(string(c.ctx.Request.Header.Peek("Range")), size)
	if err != nil {
		c.ctx.Response.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		return err
	}
	if start == 0 {
		if err := c.a.st.Update(func(tx *store.Tx) error {
			return c.event(tx, tenant, auditlog.KindDocumentDownloaded, append([]store.ID{ver.Document}, extra...)...)
		}); err != nil {
			return err
		}
	}
	return c.serveBlob(ver.Blob, ver.Size, start, end, partial)
}

// linkFinder finds the session's envelope and signer again, through v.
func (c *call) linkFinder() finder {
	id, sid, gen := c.link.e.rec.ID, c.link.s.rec.ID, c.link.claims.gen
	return func(v store.View) (*envelope, *signer, error) {
		e, err := loadEnvelope(v, id)
		if err != nil {
			return nil, nil, err
		}
		s := e.signer(sid)
		if s == nil || s.data.LinkGen != gen {
			return nil, nil, ErrNoSignerID
		}
		return e, s, nil
	}
}

func (a *API) linkSign(c *call) (any, error) {
	r := c.req.(*protocol.SubmitSignatureRequest)
	e, err := a.sign(c, r, c.linkFinder(), nil, c.link.claims.issued.Unix())
	if err != nil {
		return nil, err
	}
	return e.signerView(e.signer(c.link.s.rec.ID), c.now), nil
}

func (a *API) linkDecline(c *call) (any, error) {
	r := c.req.(*protocol.DeclineRequest)
	return nil, a.decline(c, r.Reason, c.linkFinder())
}

// Link wraps. The server cannot open one; it checks the form link.Wrap
// gives: a canonical age header of exactly one scrypt stanza, whose work
// factor is canonical decimal and at most protocol.LinkScryptLogN (a
// higher one would make the signer's browser spend memory and time the
// sender chose), and one identity as the payload.

var errLinkWrapForm = protocol.Errorf(protocol.CodeBadEncoding,
	"a link wrap is not an age file of one identity to one scrypt stanza of a work factor up to %d", protocol.LinkScryptLogN)

// linkWrapPayload is the size of what follows the header of a link wrap,
// measured from a real one.
var linkWrapPayload = sync.OnceValue(func() int {
	w, err := link.Wrap(keys.NewIdentity(), link.NewSecret(), link.NewPIN())
	if err != nil {
		panic("api: making a sample link wrap: " + err.Error())
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(w))
	if err != nil {
		panic("api: reading a sample link wrap: " + err.Error())
	}
	return len(w) - len(hdr)
})

func checkLinkWrap(b []byte) error {
	if len(b) == 0 || len(b) > protocol.MaxWrappedKey {
		return errLinkWrapForm
	}
	hdr, err := age.ExtractHeader(bytes.NewReader(b))
	if err != nil || !bytes.HasPrefix(b, hdr) || len(b)-len(hdr) != linkWrapPayload() {
		return errLinkWrapForm
	}
	var sc stanzaCounter
	_, err = age.DecryptHeader(hdr, &sc)
	var noMatch *age.NoIdentityMatchError
	if !errors.As(err, &noMatch) || len(sc.stanzas) != 1 {
		return errLinkWrapForm
	}
	st := sc.stanzas[0]
	// A scrypt stanza: a 16-byte salt in unpadded base64 (22 characters),
	// the work factor, and a 32-byte body.
	if st.Type != "scrypt" || len(st.Args) != 2 || len(st.Args[0]) != 22 || len(st.Body) != 32 {
		return errLinkWrapForm
	}
	logN, err := strconv.Atoi(st.Args[1])
	if err != nil || logN < 1 || logN > protocol.LinkScryptLogN || strconv.Itoa(logN) != st.Args[1] {
		return errLinkWrapForm
	}
	return nil
}
