package protocol

// Limits of documents, grants and links (SPEC part 30).
const (
	// MaxMIMEType is the longest MIME type in document metadata, in bytes:
	// RFC 6838 allows 127 bytes each for type and subtype.
	MaxMIMEType = 255

	// MaxGrant is the largest encoded signed grant, in bytes. A grant holds
	// one wrapped X25519 identity (about 250 bytes) and a few short fields.
	MaxGrant = 4 << 10

	// MaxVersionStatement is the largest encoded signed document version
	// statement (document/version.go): ids, a hash, a key, a signature.
	MaxVersionStatement = 1 << 10

	// MaxFolderRotation is the largest encoded signed folder rotation.
	MaxFolderRotation = 4 << 10

	// MaxFolderVersions is the most folder key versions a chain check walks.
	MaxFolderVersions = 1 << 16

	// MaxLinkURL is the longest signing link, in bytes.
	MaxLinkURL = 2048

	// LinkScryptLogN is the scrypt work factor (log2 N) of a signing link's
	// wrap, and the most a client accepts when unwrapping one. The passphrase
	// carries a 256-bit secret, so scrypt adds no needed strength; the bound
	// keeps the browser's cost at 1 MiB of memory and a few milliseconds.
	LinkScryptLogN = 10
)
