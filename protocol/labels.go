package protocol

// Label is a domain-separation label. Every signature, every HKDF derivation
// and every symmetric wrap that Vellum makes names exactly one Label, so that
// bytes produced for one purpose can never be accepted for another.
//
// Labels are part of stored and signed formats: do not change, reorder or
// reuse one. A new purpose gets a new label; a new version of a format gets a
// new label with a new /vN suffix.
type Label string

// Signed-statement labels: the Ed25519 message is Label ‖ 0x0A ‖ body, where
// body is the statement in deterministic CBOR (see SPEC.md §Signatures).
const (
	LabelGrant            Label = "vellum-grant/v1"
	LabelMembership       Label = "vellum-membership/v1"
	LabelSignerStatement  Label = "vellum-signature/v1"
	LabelFolderRotation   Label = "vellum-folder-rotation/v1"
	LabelKeyringPublicKey Label = "vellum-keyring-public/v1"
	LabelDocumentVersion  Label = "vellum-document-version/v1"
)

// HKDF labels: the info parameter of HKDF-SHA-256 for each derivation.
const (
	LabelKDFOpaqueExport Label = "vellum-kdf/opaque-export/v1"
	LabelKDFPasskeyPRF   Label = "vellum-kdf/passkey-prf/v1"
	LabelKDFRecoveryCode Label = "vellum-kdf/recovery-code/v1"
	LabelKDFKeyring      Label = "vellum-kdf/keyring/v1"
	LabelKDFSessionToken Label = "vellum-kdf/session-token/v1"
	LabelKDFAuditChain   Label = "vellum-kdf/audit-chain/v1"
)

// Symmetric-wrap labels: the associated data of an XChaCha20-Poly1305 wrap
// (keys.SealSecret), binding the ciphertext to what it holds.
const (
	LabelWrapAccountKey Label = "vellum-wrap/account-key/v1"
	LabelWrapKeyring    Label = "vellum-wrap/keyring/v1"
)

// Public-commitment label: the seal log leaf commits to
// SHA-256(LabelSealCommitment ‖ salt ‖ D).
const LabelSealCommitment Label = "vellum-seal/v1"
