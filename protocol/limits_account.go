package protocol

// Limits of the account formats (keys/opaque and keys/account). The OPAQUE
// messages have exact sizes, which are their limits; they are in
// keys/opaque as constants.
const (
	// MaxCredentialID is the longest OPAQUE credential identifier (an
	// account id, or the looked-up name for an unknown account), in bytes.
	MaxCredentialID = 256

	// MaxPassword is the longest password, in bytes, that a client hands to
	// OPAQUE. Argon2id's cost does not depend on it; the bound only keeps
	// hostile callers from making the client hash megabytes.
	MaxPassword = 4096

	// MaxPasskeyCredentialID is the longest WebAuthn credential id (the
	// WebAuthn Level 3 bound), in bytes.
	MaxPasskeyCredentialID = 1023

	// MaxRecoveryAdmins is the largest N of an M-of-N tenant recovery wrap.
	// The wrap holds C(N, M) onions of M age layers: at N = 8 the worst
	// case (M = 4 or 5) is 280 age encryptions, about 60 KiB.
	MaxRecoveryAdmins = 8

	// MaxAccountWrap is the largest stored unlock-method wrap, in bytes. It
	// equals MaxStatement, the CBOR decoder's own bound, which the largest
	// tenant recovery wrap must fit in.
	MaxAccountWrap = MaxStatement

	// MaxRecoveryCodeText is the longest text a recovery code parser
	// accepts (the code is 34 characters with its dashes; the rest is room
	// for spaces people type).
	MaxRecoveryCodeText = 128
)
