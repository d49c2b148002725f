package seallog

import (
	"errors"

	"vellum.dev/vellum/keys"
)

// Errors returned by this package. Each failure has its own sentinel so that
// a verifier can say exactly what is wrong; they are wrapped with %w and
// tested with errors.Is.
var (
	// ErrMalformed means the input is not in the format this package writes.
	// It is keys.ErrMalformed, so callers of the whole core test one value.
	ErrMalformed = keys.ErrMalformed
	// ErrTooLarge means the input is over its limit in protocol/limits.go.
	ErrTooLarge = keys.ErrTooLarge

	// ErrCheckpointSignature means the checkpoint carries a signature by the
	// pinned log key that does not verify: the note text was altered.
	ErrCheckpointSignature = errors.New("seallog: checkpoint signature does not verify")
	// ErrLogKeyMismatch means the checkpoint carries no signature by the
	// pinned log key (it was signed by another key), or names another origin.
	ErrLogKeyMismatch = errors.New("seallog: checkpoint is not signed by the pinned log key")
	// ErrWrongLeaf means the proof is for a leaf other than the one given.
	ErrWrongLeaf = errors.New("seallog: proof is for another leaf")
	// ErrIndexOutOfRange means a leaf index is not inside the tree it is
	// proved against.
	ErrIndexOutOfRange = errors.New("seallog: leaf index outside the tree")
	// ErrProofLength means a proof has more or fewer hashes than its index
	// and tree size require: typically a truncated proof.
	ErrProofLength = errors.New("seallog: proof has the wrong number of hashes")
	// ErrRootMismatch means the leaf, index and proof hashes do not lead to
	// the checkpoint's root hash.
	ErrRootMismatch = errors.New("seallog: inclusion proof does not match the checkpoint's root")
	// ErrNotConsistent means the newer checkpoint's tree does not extend the
	// older one: the log forked or rolled back, or the proof was altered.
	ErrNotConsistent = errors.New("seallog: checkpoints are not consistent")
	// ErrStorageConflict is what a Storage returns when Append is called
	// with an index other than its size: another writer got there first.
	ErrStorageConflict = errors.New("seallog: storage append out of order")
)
