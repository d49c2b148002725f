package protocol

// Labels of the API server's own secrets (server/api). Like labels.go, they
// are part of stored or sealed formats: do not change, reorder or reuse one.
const (
	// LabelKDFLoginState derives, from the server's state secret, the
	// XChaCha20-Poly1305 key that seals the OPAQUE login state between KE2
	// and KE3 into the loginId token.
	LabelKDFLoginState Label = "vellum-kdf/login-state/v1"

	// LabelLoginStateAD is the associated data of a sealed login state:
	// LabelLoginStateAD ‖ 0x0A ‖ the token's version byte.
	LabelLoginStateAD Label = "vellum-login-state/v1"

	// LabelKDFCodeMAC derives, from the server's state secret, the
	// HMAC-SHA-256 key under which e-mailed codes (sign-up confirmation,
	// new-device verification) are stored, so that a copy of the database
	// does not give away a pending code.
	LabelKDFCodeMAC Label = "vellum-kdf/code-mac/v1"
)
