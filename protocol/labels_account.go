package protocol

// Labels of the account formats (keys/opaque and keys/account). See
// spec/20-accounts.md. Like every label: never change, reorder or reuse one.
const (
	// LabelOPAQUEContext is the OPAQUE context string (RFC 9807 §6.1): it
	// goes into the 3DH transcript, so a login run for Vellum never
	// completes against an OPAQUE server of another application.
	LabelOPAQUEContext Label = "vellum-opaque/v1"

	// LabelRecoveryCodeCheck prefixes the recovery code's entropy in the
	// SHA-256 whose first 12 bits are the code's checksum.
	LabelRecoveryCodeCheck Label = "vellum-recovery-code-check/v1"

	// LabelPasskeyPRFInput is hashed with SHA-256 into the input a client
	// gives the WebAuthn PRF extension (prf.eval.first), so that every
	// Vellum client asks a passkey for the same PRF output.
	LabelPasskeyPRFInput Label = "vellum-passkey-prf-input/v1"
)
