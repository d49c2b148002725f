package protocol

import "time"

// Envelopes (e-signature), SPEC §Signing links. For each signer the
// sender's client makes a link https://<host>/sign/<envelope id>#<secret>
// and a PIN (keys/link), wraps the document key under secret ‖ PIN, and
// gives the server only the wrap and SHA-256 of the PIN verifier. The link
// goes to the signer from the sender (by e-mail), never through the server,
// which never sees the fragment. The PIN goes by SMS; the server's notice
// sender MAY relay it (NewSigner.PIN) but MUST NOT store or log it. To open
// a link the signer's browser sends the verifier it derives from the secret
// and the typed PIN; the server compares its hash in constant time, locks
// the signer's link after five mismatches and tells the sender, and only on
// a match releases the wrap.

// NewSigner is one signer of a new envelope. SignerID is made by the client
// (the signer statements name it). Email and Phone are for notices. PIN, if
// set, is relayed by SMS to Phone and then forgotten; leave it out when the
// sender texts the PIN itself. VerifierHash is link.Verifier.Hash() in
// unpadded base64url. Order is the signing order (signers with equal Order
// sign in parallel).
type NewSigner struct {
	SignerID     string `json:"signerId"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Order        int    `json:"order,omitempty"`
	PIN          string `json:"pin,omitempty"`
	VerifierHash string `json:"verifierHash"`
	LinkWrap     []byte `json:"linkWrap"`
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
		needRange("expiresInDays", int64(r.ExpiresInDays), 1, 365), needCount("signers", len(r.Signers), 1, MaxSigners)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(r.Signers))
	for _, s := range r.Signers {
		if err := first(needID("signers.signerId", s.SignerID), needText("signers.name", s.Name, MaxNameLength),
			needEmail("signers.email", s.Email), needPhone("signers.phone", s.Phone),
			needRange("signers.order", int64(s.Order), 0, MaxSigners), optDigits("signers.pin", s.PIN, PINLength, PINLength),
			need32("signers.verifierHash", s.VerifierHash), needBytes("signers.linkWrap", s.LinkWrap, MaxWrappedKey)); err != nil {
			return err
		}
		if seen[s.SignerID] {
			return Errorf(CodeBadRequest, "signers lists a signer twice")
		}
		seen[s.SignerID] = true
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
}

// SignerStatus is one signer's progress. Statement is their signed signer
// statement once they signed, and VerifyKey the key it verifies under
// (made in their browser, vouched for by the PIN check).
type SignerStatus struct {
	SignerID  string      `json:"signerId"`
	Name      string      `json:"name"`
	Email     string      `json:"email"`
	Order     int         `json:"order,omitempty"`
	State     SignerState `json:"state"`
	OpenedAt  *time.Time  `json:"openedAt,omitempty"`
	SignedAt  *time.Time  `json:"signedAt,omitempty"`
	Statement []byte      `json:"statement,omitempty"`
	VerifyKey string      `json:"verifyKey,omitempty"`
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

// OpenLinkRequest is the PIN verifier the signer's browser derived from the
// link's secret and the typed PIN (link.MakeVerifier(...).Encode()). The
// server finds the envelope's signer whose stored hash it matches; no match
// is CodeAuthFailed, and the fifth mismatch locks the link (CodeLocked) and
// notifies the sender.
type OpenLinkRequest struct {
	Verifier string `json:"verifier"`
}

func (r *OpenLinkRequest) Validate() error { return need32("verifier", r.Verifier) }

// OpenLinkResponse releases the link wrap (which opens only with the
// fragment secret and the PIN) and a signer session for the other link
// routes.
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
// the verify key of the key pair their browser made for it.
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
