package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/keys/link"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Envelopes: sending a document version for signature (SPEC part 90).
//
// What leaves the sender's client, and to whom:
//
//   - to the server: the envelope, each signer's name, e-mail address and
//     (outsiders) phone number, for each outsider the document key wrapped
//     under the link's secret ‖ PIN and SHA-256 of the PIN verifier, the
//     message sealed to the document key, and each outsider's PIN once, for
//     the server's SMS sender to relay (the server MUST NOT store or log it;
//     the PIN alone opens nothing);
//   - to the caller, for each outsider: the signing link with its secret,
//     which the sender delivers by e-mail and which never passes through
//     the server (the server would otherwise see secret and PIN together,
//     and with the wrap it stores could open the document).
//
// So the server stores no plaintext, no secret and no PIN; the operator
// sees a PIN in transit only, and a PIN without its link's secret is worth
// nothing.

// More errors of the envelope flows.
var (
	// ErrNotSigner: this account, or this link, is not a signer of the
	// envelope (or not one who may act now).
	ErrNotSigner = errors.New("client: not a signer of this envelope")
	// ErrNotRead: Sign before the document was read to its end. A signer
	// signs the SHA-256 of the bytes they were shown, never a digest the
	// server offers.
	ErrNotRead = errors.New("client: the document must be read to its end before signing")
	// ErrEnvelopeState: the envelope is not in a state that allows the
	// call (not completed for a seal, not sealed for a sealed download,
	// closed for a signature).
	ErrEnvelopeState = errors.New("client: the envelope is not in a state that allows this")
	// ErrLinkOrigin: a signing link for another server than this client's.
	ErrLinkOrigin = errors.New("client: the signing link is for another server")
	// ErrSealInvalid: a seal made or downloaded does not verify; the
	// SealCheck in the result says why.
	ErrSealInvalid = errors.New("client: the seal does not verify")
	// ErrDigestMismatch: a signer's statement is over another document
	// than the one this client read.
	ErrDigestMismatch = errors.New("client: a signer signed other bytes than this document")
)

// The envelope and link routes this package calls.
var (
	rEnvCreate      = route("envelopes.create")
	rEnvList        = route("envelopes.list")
	rEnvGet         = route("envelopes.get")
	rEnvRemind      = route("envelopes.remind")
	rEnvCancel      = route("envelopes.cancel")
	rEnvSign        = route("envelopes.sign")
	rEnvDecline     = route("envelopes.decline")
	rEnvLinkReplace = route("envelopes.link.replace")
	rEnvSealUpload  = route("envelopes.seal.upload")
	rEnvSealGet     = route("envelopes.seal.get")
	rLinkOpen       = route("links.open")
	rLinkGet        = route("links.get")
	rLinkDocument   = route("links.document")
	rLinkSign       = route("links.sign")
	rLinkDecline    = route("links.decline")
	rLinkSealUpload = route("links.seal.upload")
	rLinkSealGet    = route("links.seal.get")
)

// SigningOrder says whether signers sign one after another or all at once.
type SigningOrder int

const (
	// Parallel: every signer may sign at once.
	Parallel SigningOrder = iota
	// Sequential: each signer may sign once the one before them has.
	Sequential
)

// EnvelopeSigner is one signer of a new envelope.
type EnvelopeSigner struct {
	// AccountID names a member of the tenant, who signs in their session
	// with their account's key. Leave it empty for an outsider.
	AccountID string
	// Name is shown to the other signers and sealed with the signature.
	Name string
	// Email is an outsider's address, for the link and the notices. A
	// member's is the one the checked membership chain holds; if set here
	// it MUST be that one.
	Email string
	// Phone is an outsider's mobile number in E.164 form (+ and digits),
	// for the PIN's SMS.
	Phone string
}

// NewEnvelope describes an envelope to send.
type NewEnvelope struct {
	DocumentID string
	// Version is the document version to sign; 0 for the current one.
	Version uint32
	Signers []EnvelopeSigner
	Order   SigningOrder
	// Message is an optional note to the signers, encrypted to the
	// document key (at most protocol.MaxEnvelopeMessage bytes of UTF-8).
	Message string
	// ExpiresInDays is how long the envelope, its links and PINs stay
	// open: 1 to protocol.MaxEnvelopeDays; 0 means 14.
	ExpiresInDays int
	// LinkOrigin is the https origin the links point to; "" means this
	// client's server.
	LinkOrigin string
}

// DefaultEnvelopeDays is the expiry of an envelope that names none.
const DefaultEnvelopeDays = 14

// SignerLink is an outsider's signing link. Link.URL() holds the secret:
// deliver it to Email and nowhere else, never through the server.
// Link.String() is safe to log.
type SignerLink struct {
	SignerID string
	Name     string
	Email    string
	Link     *link.Link
}

// SentEnvelope is the result of CreateEnvelope.
type SentEnvelope struct {
	Envelope *protocol.Envelope
	// Links holds one link per outsider, in the envelope's order.
	Links []SignerLink
}

// CreateEnvelope sends a document version for signature. It checks each
// member signer against the tenant's checked membership chain, grants the
// document to member signers who hold no direct grant of it (wrapped to the
// recipient the chain holds), and makes each outsider's link and PIN
// (keys/link): the server gets the wrap, the verifier hash and the PIN to
// relay by SMS; the caller gets the links to e-mail.
func (c *Client) CreateEnvelope(ctx context.Context, tenantID string, spec NewEnvelope) (*SentEnvelope, error) {
	s, err := c.unlocked()
	if err != nil {
		return nil, err
	}
	if len(spec.Signers) == 0 || len(spec.Signers) > protocol.MaxSigners {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "an envelope has 1 to %d signers", protocol.MaxSigners)
	}
	days := spec.ExpiresInDays
	if days == 0 {
		days = DefaultEnvelopeDays
	}
	origin := spec.LinkOrigin
	if origin == "" {
		origin = c.base
	}
	ov, err := c.openVersion(ctx, tenantID, spec.DocumentID, spec.Version)
	if err != nil {
		return nil, err
	}
	v, dk := ov.version, ov.key

	// Member signers: their address comes from the checked chain.
	members := make(map[string]membership.Member)
	err = c.withState(ctx, tenantID, func(st *membership.State, _ *tenantState) error {
		for _, sg := range spec.Signers {
			if sg.AccountID == "" {
				continue
			}
			m, err := st.Member(sg.AccountID)
			if err != nil {
				return fmt.Errorf("client: signer %s: %w", sg.AccountID, err)
			}
			if sg.Email != "" && normEmail(sg.Email) != normEmail(m.Email) {
				return protocol.Errorf(protocol.CodeBadRequest, "a member signer's e-mail address is not the one of the membership chain")
			}
			members[sg.AccountID] = m
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	req := &protocol.CreateEnvelopeRequest{EnvelopeID: newID(), DocumentID: spec.DocumentID, Version: v.Version, ExpiresInDays: days}
	if spec.Message != "" {
		if req.Message, err = sealMessage(spec.Message, dk.Recipient()); err != nil {
			return nil, err
		}
	}
	out := &SentEnvelope{}
	for i, sg := range spec.Signers {
		ns := protocol.NewSigner{SignerID: newID(), Name: sg.Name, Order: 1}
		if spec.Order == Sequential {
			ns.Order = i + 1
		}
		if sg.AccountID != "" {
			ns.AccountID, ns.Email = sg.AccountID, members[sg.AccountID].Email
		} else {
			cr, err := link.Create(origin, req.EnvelopeID, ns.SignerID, dk)
			if err != nil {
				return nil, fmt.Errorf("client: signer %d: %w", i+1, err)
			}
			ns.Email, ns.Phone, ns.PIN = sg.Email, sg.Phone, cr.PIN.Digits()
			ns.VerifierHash, ns.LinkWrap = cr.VerifierHash.String(), cr.Wrapped
			out.Links = append(out.Links, SignerLink{SignerID: ns.SignerID, Name: sg.Name, Email: sg.Email, Link: cr.Link})
		}
		req.Signers = append(req.Signers, ns)
	}
	// Validate before granting anything: a request the server would
	// refuse must not leave grants behind.
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := c.grantToSigners(ctx, tenantID, spec.DocumentID, s.accountID, members); err != nil {
		return nil, err
	}
	var env protocol.Envelope
	if err := c.do(ctx, call(rEnvCreate, "tenantId", tenantID).with(req), &env); err != nil {
		return nil, err
	}
	if err := checkEnvelope(&env, req); err != nil {
		return nil, err
	}
	out.Envelope = &env
	return out, nil
}

// checkEnvelope compares the server's answer with what was sent.
func checkEnvelope(env *protocol.Envelope, req *protocol.CreateEnvelopeRequest) error {
	if env.EnvelopeID != req.EnvelopeID || env.DocumentID != req.DocumentID || env.Version != req.Version || len(env.Signers) != len(req.Signers) {
		return fmt.Errorf("client: %s: %w: the envelope is not the one sent", rEnvCreate.Name, ErrInconsistent)
	}
	for i, s := range env.Signers {
		r := req.Signers[i]
		if s.SignerID != r.SignerID || s.AccountID != r.AccountID || s.Name != r.Name || s.Email != r.Email {
			return fmt.Errorf("client: %s: %w: signer %d is not the one sent", rEnvCreate.Name, ErrInconsistent, i+1)
		}
	}
	return nil
}

// grantToSigners grants the document to member signers other than the
// sender who hold no grant of it visible to the sender. A member who holds
// the document through its folder gets a direct grant too, which is
// harmless: it wraps the same key to the same member.
func (c *Client) grantToSigners(ctx context.Context, tenantID, docID, self string, members map[string]membership.Member) error {
	need := make(map[string]bool)
	for id := range members {
		if id != self {
			need[id] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	gs, err := c.listGrants(ctx, tenantID, docID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ObjectID == docID {
			delete(need, g.GranteeID)
		}
	}
	for id := range need {
		if _, err := c.Share(ctx, tenantID, DocumentObject(docID), id); err != nil {
			return fmt.Errorf("client: granting the document to signer %s: %w", id, err)
		}
	}
	return nil
}

// sealMessage encrypts the note to the signers to the document key: an age
// file like a document's content.
func sealMessage(msg string, to keys.Recipient) ([]byte, error) {
	if len(msg) > protocol.MaxEnvelopeMessage || !utf8.ValidString(msg) {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "the message must be at most %d bytes of UTF-8", protocol.MaxEnvelopeMessage)
	}
	var buf bytes.Buffer
	w, err := document.Encrypt(&buf, to)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// openMessage decrypts a note sealed by sealMessage.
func openMessage(sealed []byte, dk *keys.Identity) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	r, err := document.Decrypt(bytes.NewReader(sealed), dk)
	if err != nil {
		return "", fmt.Errorf("client: envelope message: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, protocol.MaxEnvelopeMessage+1))
	if err != nil {
		return "", fmt.Errorf("client: envelope message: %w", err)
	}
	if len(b) > protocol.MaxEnvelopeMessage || !utf8.Valid(b) {
		return "", fmt.Errorf("client: envelope message: %w", document.ErrMalformed)
	}
	return string(b), nil
}

// Envelope returns an envelope with each signer's state.
func (c *Client) Envelope(ctx context.Context, tenantID, envelopeID string) (*protocol.Envelope, error) {
	var env protocol.Envelope
	if err := c.do(ctx, call(rEnvGet, "tenantId", tenantID, "envelopeId", envelopeID), &env); err != nil {
		return nil, err
	}
	if env.EnvelopeID != envelopeID {
		return nil, fmt.Errorf("client: %s: %w: asked for envelope %s, got another", rEnvGet.Name, ErrInconsistent, envelopeID)
	}
	return &env, nil
}

// Envelopes lists the envelopes of the tenant this account sent or signs,
// one page at a time (cursor "" for the first).
func (c *Client) Envelopes(ctx context.Context, tenantID, cursor string) (*protocol.EnvelopeList, error) {
	var l protocol.EnvelopeList
	if err := c.do(ctx, call(rEnvList, "tenantId", tenantID).page(cursor), &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// EnvelopeMessage decrypts an envelope's message with its document key.
func (c *Client) EnvelopeMessage(ctx context.Context, tenantID string, env *protocol.Envelope) (string, error) {
	if len(env.Message) == 0 {
		return "", nil
	}
	ov, err := c.openVersion(ctx, tenantID, env.DocumentID, env.Version)
	if err != nil {
		return "", err
	}
	return openMessage(env.Message, ov.key)
}

// Remind asks the server to send the pending signers named (all of them
// if none) a reminder notice. The server holds no link: the reminder says
// where to find the first one, and a lost link is replaced with
// ReplaceLink.
func (c *Client) Remind(ctx context.Context, tenantID, envelopeID string, signerIDs ...string) error {
	return c.do(ctx, call(rEnvRemind, "tenantId", tenantID, "envelopeId", envelopeID).with(&protocol.RemindRequest{SignerIDs: signerIDs}), nil)
}

// CancelEnvelope withdraws an envelope that is not completed; the reason
// is shown to the signers.
func (c *Client) CancelEnvelope(ctx context.Context, tenantID, envelopeID, reason string) (*protocol.Envelope, error) {
	var env protocol.Envelope
	if err := c.do(ctx, call(rEnvCancel, "tenantId", tenantID, "envelopeId", envelopeID).with(&protocol.CancelEnvelopeRequest{Reason: reason}), &env); err != nil {
		return nil, err
	}
	if env.EnvelopeID != envelopeID {
		return nil, fmt.Errorf("client: %s: %w", rEnvCancel.Name, ErrInconsistent)
	}
	return &env, nil
}

// ReplaceLink gives an outsider a new link and PIN (a lost SMS or e-mail,
// or a link locked after protocol.PINTries wrong PINs): the old link stops
// opening, the count of wrong tries starts again, and the server relays the
// new PIN by SMS. origin is as in NewEnvelope.LinkOrigin.
func (c *Client) ReplaceLink(ctx context.Context, tenantID, envelopeID, signerID, origin string) (*SignerLink, error) {
	env, err := c.Envelope(ctx, tenantID, envelopeID)
	if err != nil {
		return nil, err
	}
	var who *protocol.SignerStatus
	for i := range env.Signers {
		if env.Signers[i].SignerID == signerID {
			who = &env.Signers[i]
		}
	}
	if who == nil || who.AccountID != "" {
		return nil, fmt.Errorf("client: signer %s: %w", signerID, ErrNotSigner)
	}
	ov, err := c.openVersion(ctx, tenantID, env.DocumentID, env.Version)
	if err != nil {
		return nil, err
	}
	dk := ov.key
	if origin == "" {
		origin = c.base
	}
	cr, err := link.Create(origin, envelopeID, signerID, dk)
	if err != nil {
		return nil, err
	}
	req := &protocol.ReplaceLinkRequest{PIN: cr.PIN.Digits(), VerifierHash: cr.VerifierHash.String(), LinkWrap: cr.Wrapped}
	var st protocol.SignerStatus
	if err := c.do(ctx, call(rEnvLinkReplace, "tenantId", tenantID, "envelopeId", envelopeID, "signerId", signerID).with(req), &st); err != nil {
		return nil, err
	}
	if st.SignerID != signerID {
		return nil, fmt.Errorf("client: %s: %w", rEnvLinkReplace.Name, ErrInconsistent)
	}
	return &SignerLink{SignerID: signerID, Name: who.Name, Email: who.Email, Link: cr.Link}, nil
}

// trimPIN drops the spaces people type or paste inside a PIN ("482 913").
func trimPIN(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), " ", "") }
