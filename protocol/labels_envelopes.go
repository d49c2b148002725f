package protocol

// Labels of the server's signer sessions (server/api, SPEC part 75). Like
// labels.go, they are part of sealed formats: do not change, reorder or
// reuse one.
const (
	// LabelKDFSignerSession derives, from the server's state secret, the
	// XChaCha20-Poly1305 key that seals a signer session: the token that
	// links.open returns once a signing link's PIN verifier checks out.
	LabelKDFSignerSession Label = "vellum-kdf/signer-session/v1"

	// LabelSignerSessionAD is the associated data of a signer session:
	// LabelSignerSessionAD ‖ 0x0A ‖ the token's version byte.
	LabelSignerSessionAD Label = "vellum-signer-session/v1"
)
