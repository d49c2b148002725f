package protocol

// Labels of documents, grants and links (SPEC part 30). The grant and folder
// rotation signature labels are LabelGrant and LabelFolderRotation in
// labels.go.
const (
	// LabelKDFLinkPIN is the HKDF-SHA-256 info prefix of a signing link's PIN
	// verifier: info = LabelKDFLinkPIN ‖ PIN, where PIN is exactly six ASCII
	// digits, so the concatenation is unambiguous.
	LabelKDFLinkPIN Label = "vellum-kdf/link-pin/v1:"
)
