package protocol

// Every limit a Vellum decoder enforces lives in this file, so that a reviewer
// can read the whole attack surface of the parsers in one place. A decoder
// MUST refuse input beyond these limits before doing work proportional to it.
const (
	// MaxJSONBody is the largest JSON request or response body, in bytes.
	// Ciphertext chunks do not travel as JSON.
	MaxJSONBody = 1 << 20

	// MaxStatement is the largest signed CBOR statement, in bytes.
	MaxStatement = 64 << 10

	// MaxCBORNesting, MaxCBORArray and MaxCBORMapPairs bound the shape of any
	// CBOR value Vellum decodes.
	MaxCBORNesting  = 8
	MaxCBORArray    = 1024
	MaxCBORMapPairs = 64

	// MaxWrappedKey is the largest age file that wraps a single key
	// (a grant, an account-key wrap, a link wrap), in bytes.
	MaxWrappedKey = 16 << 10

	// MaxMetadata is the largest encrypted document metadata file, in bytes.
	MaxMetadata = 64 << 10

	// MaxChunk is the largest ciphertext chunk of an upload, in bytes.
	MaxChunk = 8 << 20

	// MaxSeal is the largest .seal file, in bytes.
	MaxSeal = 1 << 20

	// MaxSigners is the most signers one envelope, and so one seal, may have.
	MaxSigners = 64

	// MaxProof is the largest tlog-proof file, in bytes.
	MaxProof = 16 << 10

	// MaxCheckpoint is the largest signed checkpoint note, in bytes.
	MaxCheckpoint = 8 << 10

	// MaxMembershipChain is the most statements in one tenant's chain that a
	// client will check in one go.
	MaxMembershipChain = 100000

	// MaxNameLength is the longest display name, e-mail address or file name,
	// in bytes, before encryption.
	MaxNameLength = 1024
)
