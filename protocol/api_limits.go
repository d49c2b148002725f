package protocol

// Limits of the JSON API. Like limits.go, this is the whole attack surface of
// the request decoders in one place: every Validate method checks its fields
// against these, and the server refuses a body over MaxJSONBody (or over
// MaxChunk for a binary upload) before reading it whole.
const (
	// MaxIDLength is the longest identifier (account, tenant, folder,
	// document, envelope, upload, grant, ... id), in bytes. Ids are
	// 1 to MaxIDLength characters from [A-Za-z0-9_-] (see ValidID).
	MaxIDLength = 64

	// MaxEmailLength is the longest e-mail address, in bytes (RFC 5321's
	// path limit).
	MaxEmailLength = 254

	// MaxPhoneLength is the longest phone number: "+" and up to 15 digits
	// (E.164).
	MaxPhoneLength = 16

	// MaxTokenLength is the longest session, refresh, invite, link or
	// signer-session token, in bytes.
	MaxTokenLength = 512

	// MaxCursorLength is the longest pagination cursor, in bytes.
	MaxCursorLength = 256

	// DefaultPageSize and MaxPageSize bound the "limit" query parameter of
	// every paginated list.
	DefaultPageSize = 100
	MaxPageSize     = 1000

	// MaxOPAQUEMessage is the largest OPAQUE protocol message (registration
	// request, response and record; KE1, KE2, KE3), in bytes.
	MaxOPAQUEMessage = 4 << 10

	// MaxWebAuthnJSON is the largest WebAuthn options or credential
	// response passed through as JSON, in bytes. Attestation statements with
	// certificate chains fit well within it.
	MaxWebAuthnJSON = 64 << 10

	// MaxPublicKeyring is the largest signed public keyring, in bytes.
	MaxPublicKeyring = 4 << 10

	// MaxEncryptedName is the largest encrypted folder name or device label
	// (an age file of at most MaxNameLength bytes of plaintext), in bytes.
	MaxEncryptedName = 4 << 10

	// MaxLabelLength is the longest plaintext label the server may read (a
	// passkey or device nickname the user types), in bytes.
	MaxLabelLength = 128

	// MinCodeLength and MaxCodeLength bound a verification code (new device,
	// e-mail confirmation): ASCII digits only.
	MinCodeLength = 6
	MaxCodeLength = 10

	// DeviceProofSize is the size of a trusted device's proof: the 32
	// random bytes its DeviceChallenge holds (a keys.SymmetricKey wrapped
	// with keys.WrapKey to the device's recipient).
	DeviceProofSize = 32

	// MaxDeviceChallenge is the largest DeviceChallenge, in bytes: an age
	// file of DeviceProofSize bytes to one X25519 recipient is about 250.
	MaxDeviceChallenge = 1 << 10

	// PINLength is the length of a signer PIN: exactly six ASCII digits
	// (keys/link.PINLength).
	PINLength = 6

	// MaxBatch is the most items (grants, wraps, signer entries, ids) one
	// request may carry in a list.
	MaxBatch = 1000

	// MaxProofHashes is the most hashes in one Merkle inclusion or
	// consistency proof (a tree of up to 2^64 leaves needs fewer).
	MaxProofHashes = 64

	// MaxReasonLength is the longest free-text reason (a decline or a
	// cancellation), in bytes. The server reads it: it is shown to people.
	MaxReasonLength = 1024
)
