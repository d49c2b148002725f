package protocol

import "time"

// Envelopes (e-signature), SPEC §Signing links and §Envelopes. For each
// external signer the sender's client makes a link
// https://<host>/sign/<envelope id>/<signer id>#<secret> and a PIN
// (keys/link), wraps the document key under secret ‖ PIN, and gives the
// server only the wrap and SHA-256 of the PIN verifier. The link goes to the
// signer from the sender (by e-mail), never through the server, which never
// sees the fragment. The PIN goes by SMS; the server's notice sender relays
// it (NewSigner.PIN) and MUST NOT store or log it. To open a link the
// signer's browser sends the link's signer id and the verifier it derives
// from the secret and the typed PIN; the server compares its hash with that
// signer's stored hash in constant time, locks that signer's link after
// PINTries mismatches and tells the sender, and only on a match releases the
// wrap. Member signers sign with their account's key in a signed-in session
// and reach the document through grants, as any member does.

// Limits of envelopes. They belong in limits_envelopes.go (and so in the
// generated table of SPEC part 10) once that table is regenerated.
const (
	// MaxEnvelopeMessage is the longest note to the signers, in bytes of
	// UTF-8 before it is encrypted to the document key. Sealed, it is an age
	// file of at most 200 bytes more, well under MaxMetadata.
	MaxEnvelopeMessage = 4096
	// PINTries is how many wrong PIN verifiers lock a signer link. The
	// next try, with the right PIN or not, is refused (CodeLocked) before
	// it is compared.
	PINTries = 5
	// MaxEnvelopeDays is the longest an envelope, and so its links and
	// PINs, may stay open.
	MaxEnvelopeDays = 365
)

// NewSigner is one signer of a new envelope. SignerID is made by the client
// (the signer's link names it). Order is the signing order: signers with a
// lower Order sign first, signers with equal Order in parallel.
//
// A member signer has AccountID set (a member of the tenant, whose Email is
// the one the membership chain holds) and nothing else: they sign in their
// session and read the document through a grant. An external signer has no
// AccountID; Email and Phone are for notices. PIN, if set, is relayed by SMS
// to Phone and then forgotten; leave it out when the sender texts the PIN
// itself. VerifierHash is link.Verifier.Hash() in unpadded base64url and
// LinkWrap the document key wrapped under the link's secret ‖ PIN.
type NewSigner struct {
	SignerID     string `json:"signerId"`
	AccountID    string `json:"accountId,omitempty"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Phone        string `json:"phone,omitempty"`
	Order        int    `json:"order,omitempty"`
	PIN          string `json:"pin,omitempty"`
	VerifierHash string `json:"verifierHash,omitempty"`
	LinkWrap     []byte `json:"linkWrap,omitempty"`
}

func (s *NewSigner) validate() error {
	if err := first(needID("signers.signerId", s.SignerID), needText("signers.name", s.Name, MaxNameLength),
		needEmail("signers.email", s.Email), needRange("signers.order", int64(s.Order), 0, MaxSigners)); err != nil {
		return err
	}
	if s.AccountID != "" {
		if err := needID("signers.accountId", s.AccountID); err != nil {
			return err
		}
		if s.Phone != "" || s.PIN != "" || s.VerifierHash != "" || s.LinkWrap != nil {
			return Errorf(CodeBadRequest, "a member signer takes no phone, PIN or link")
		}
		return nil
	}
	return first(needPhone("signers.phone", s.Phone), optDigits("signers.pin", s.PIN, PINLength, PINLength),
		need32("signers.verifierHash", s.VerifierHash), needBytes("signers.linkWrap", s.LinkWrap, MaxWrappedKey))
}

// CreateEnvelopeRequest sends a document version for signature. Message is
// an optional note to the signers, an age file to the document key.
type CreateEnvelopeRequest struct {
	EnvelopeID    string      `json:"envelopeId"`
	DocumentID    string      `json:"documentId"`
	Version       uint32      `json:"version"`
	Message       []byte      `json:"message,omitempty"`
	ExpiresInDays int         `json:"expiresInDays"`
	Signers       []NewSigner `json:"signers"`
}

func (r *CreateEnvelopeRequest) Validate() error {
	if err := first(needID("envelopeId", r.EnvelopeID), needID("documentId", r.DocumentID),
		needRange("version", int64(r.Version), 1, 1<<32-1), optBytes("message", r.Message, MaxMetadata),
		needRange("expiresInDays", int64(r.ExpiresInDays), 1, MaxEnvelopeDays), needCount("signers", len(r.Signers), 1, MaxSigners)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(r.Signers))
	accounts := make(map[string]bool, len(r.Signers))
	for i := range r.Signers {
		s := &r.Signers[i]
		if err := s.validate(); err != nil {
			return err
		}
		if seen[s.SignerID] {
			return Errorf(CodeBadRequest, "signers lists a signer twice")
		}
		seen[s.SignerID] = true
		if s.AccountID != "" {
			if accounts[s.AccountID] {
				return Errorf(CodeBadRequest, "signers lists a member twice")
			}
			accounts[s.AccountID] = true
		}
	}
	return nil
}

// EnvelopeStatus and SignerState are wire enums: append only.
type EnvelopeStatus string

const (
	EnvelopeSent      EnvelopeStatus = "sent"
	EnvelopeCompleted EnvelopeStatus = "completed" // every signer signed
	EnvelopeSealed    EnvelopeStatus = "sealed"    // the seal is stored and logged
	EnvelopeDeclined  EnvelopeStatus = "declined"
	EnvelopeCancelled EnvelopeStatus = "cancelled"
	EnvelopeExpired   EnvelopeStatus = "expired"
)

type SignerState string

const (
	SignerPending  SignerState = "pending"
	SignerOpened   SignerState = "opened"
	SignerSigned   SignerState = "signed"
	SignerDeclined SignerState = "declined"
	SignerLocked   SignerState = "locked" // five wrong PIN verifiers
)

type Envelope struct {
	EnvelopeID string         `json:"envelopeId"`
	DocumentID string         `json:"documentId"`
	Version    uint32         `json:"version"`
	Status     EnvelopeStatus `json:"status"`
	Message    []byte         `json:"message,omitempty"`
	CreatedBy  string         `json:"createdBy"`
	CreatedAt  time.Time      `json:"createdAt"`
	ExpiresAt  time.Time      `json:"expiresAt"`
	Signers    []SignerStatus `json:"signers"`
	// Reason is the sender's reason for a cancelled envelope.
	Reason string `json:"reason,omitempty"`
}

// SignerStatus is one signer's progress. AccountID is set for a member
// signer. Statement is their signed signer statement (keys/seal) once they
// signed, and VerifyKey the key it verifies under (an external signer's is
// made in their browser and vouched for by the PIN check). Reason is a
// decline's reason. FailedTries counts wrong PIN verifiers since the link
// was made; at PINTries the state is locked.
type SignerStatus struct {
	SignerID    string      `json:"signerId"`
	AccountID   string      `json:"accountId,omitempty"`
	Name        string      `json:"name"`
	Email       string      `json:"email"`
	Order       int         `json:"order,omitempty"`
	State       SignerState `json:"state"`
	OpenedAt    *time.Time  `json:"openedAt,omitempty"`
	SignedAt    *time.Time  `json:"signedAt,omitempty"`
	Statement   []byte      `json:"statement,omitempty"`
	VerifyKey   string      `json:"verifyKey,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	FailedTries int         `json:"failedTries,omitempty"`
}

type EnvelopeList struct {
	Envelopes  []Envelope `json:"envelopes"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

type SignerStatusList struct {
	Signers []SignerStatus `json:"signers"`
}

// RemindRequest re-sends the notice to pending signers (the server has no
// link to send); empty SignerIDs means all of them.
type RemindRequest struct {
	SignerIDs []string `json:"signerIds,omitempty"`
}

func (r *RemindRequest) Validate() error { return needIDs("signerIds", r.SignerIDs, 0) }

// CancelEnvelopeRequest withdraws an envelope that is not completed.
type CancelEnvelopeRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (r *CancelEnvelopeRequest) Validate() error { return optText("reason", r.Reason, MaxReasonLength) }

// OpenLinkRequest names the signer of the link (the link's path is
// /sign/<envelope id>/<signer id>) and carries the PIN verifier the
// signer's browser derived from the link's secret and the typed PIN
// (link.MakeVerifier(...).Encode()). The server compares it with that one
// signer's stored hash, never with other signers': a mismatch is
// CodeAuthFailed and counts against that signer's link only; at PINTries
// mismatches the link is locked and the sender told, and every later try,
// even with the right PIN and from any address, is CodeLocked before it is
// compared. An unknown envelope or signer, and an external signer's link
// of a cancelled, declined or sealed envelope, fail like a wrong PIN
// (CodeAuthFailed); an expired one is CodeExpired.
type OpenLinkRequest struct {
	SignerID string `json:"signerId"`
	Verifier string `json:"verifier"`
}

func (r *OpenLinkRequest) Validate() error {
	return first(need32("verifier", r.Verifier), needID("signerId", r.SignerID))
}

// OpenLinkResponse releases the link wrap (which opens only with the
// fragment secret and the PIN) and a signer session for the other link
// routes. DocumentSize is the ciphertext size of the envelope's document
// version and Metadata its metadata record (an age file to the document
// key), which the signer's client checks against each other
// (document.CheckSize) before it downloads.
type OpenLinkResponse struct {
	SignerSession   string     `json:"signerSession"`
	SessionExpires  time.Time  `json:"sessionExpires"`
	LinkWrap        []byte     `json:"linkWrap"`
	Signer          SignerView `json:"signer"`
	DocumentSize    int64      `json:"documentSize"`
	DocumentVersion uint32     `json:"documentVersion"`
	Metadata        []byte     `json:"metadata"`
}

// SignerView is the envelope as one signer sees it: their own state, and
// the statements of those who signed (the last signer's client needs them
// to build the seal).
type SignerView struct {
	EnvelopeID string         `json:"envelopeId"`
	SignerID   string         `json:"signerId"`
	Status     EnvelopeStatus `json:"status"`
	Message    []byte         `json:"message,omitempty"`
	Signers    []SignerStatus `json:"signers"`
}

// SubmitSignatureRequest is the signer's signed statement (keys/seal) and
// the verify key it verifies under: for an external signer, the key pair
// their browser made for it; for a member, their keyring's key.
type SubmitSignatureRequest struct {
	Statement []byte `json:"statement"`
	VerifyKey string `json:"verifyKey"`
}

func (r *SubmitSignatureRequest) Validate() error {
	return first(needBytes("statement", r.Statement, MaxStatement), needVerifyKey("verifyKey", r.VerifyKey))
}

// DeclineRequest declines to sign; Reason is shown to the sender.
type DeclineRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (r *DeclineRequest) Validate() error { return optText("reason", r.Reason, MaxReasonLength) }

// SealUploadRequest stores the seal of a completed envelope and appends its
// leaf to the public log. Commitment is C = SHA-256("vellum-seal/v1" ‖ salt
// ‖ D) and SealHash is S; the server checks that both are what the seal
// holds, so the log never carries a leaf without its seal.
type SealUploadRequest struct {
	Seal       []byte `json:"seal"`
	Commitment []byte `json:"commitment"`
	SealHash   []byte `json:"sealHash"`
}

func (r *SealUploadRequest) Validate() error {
	return first(needBytes("seal", r.Seal, MaxSeal), needHash("commitment", r.Commitment), needHash("sealHash", r.SealHash))
}

// SealRecord is a stored seal with its tlog-proof (C2SP tlog-proof), which
// the client appends to make the .seal file a verifier needs.
type SealRecord struct {
	Seal      []byte `json:"seal"`
	LeafIndex uint64 `json:"leafIndex"`
	Proof     []byte `json:"proof"`
}

// ReplaceLinkRequest gives an external signer a new link: a new secret,
// PIN and wrap made by the sender's client, as at creation. The server
// replaces the stored verifier hash and wrap, sets the signer's failed
// tries to zero (unlocking a locked link), relays PIN by SMS if set, and
// ends the old link's signer sessions; the old link no longer opens. Only
// the envelope's sender may replace a link, and only while the envelope is
// sent and the signer has not signed or declined.
type ReplaceLinkRequest struct {
	PIN          string `json:"pin,omitempty"`
	VerifierHash string `json:"verifierHash"`
	LinkWrap     []byte `json:"linkWrap"`
}

func (r *ReplaceLinkRequest) Validate() error {
	return first(optDigits("pin", r.PIN, PINLength, PINLength), need32("verifierHash", r.VerifierHash),
		needBytes("linkWrap", r.LinkWrap, MaxWrappedKey))
}
