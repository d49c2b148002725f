package protocol

// Limits of the signed tenant membership (keys/membership). See limits.go for
// the rule every decoder follows.
const (
	// MaxRecoveryHolders is the most admins that may hold a share of one
	// tenant's recovery key (the N of M-of-N).
	MaxRecoveryHolders = 16
)
