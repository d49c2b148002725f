// Package seallog is Vellum's public transparency log of seals, built on
// golang.org/x/mod/sumdb/tlog (RFC 6962 Merkle trees) and
// golang.org/x/mod/sumdb/note (signed notes).
//
// A leaf holds no personal data: a version, a random 16-byte id, the seal's
// public commitment C and the seal hash S (see keys/seal). The log signs
// checkpoints in the C2SP tlog-checkpoint format with an Ed25519 note key and
// answers with proofs in the C2SP tlog-proof format, whose extra line carries
// the leaf, so that a proof stored inside a .seal file is enough to verify
// inclusion offline against a pinned log key.
//
// Who owns what:
//
//   - [Log] owns the tree: the leaf encoding, which hashes are stored at which
//     tlog stored-hash index, the order of appends (one at a time), and the
//     signing of checkpoints. It never signs a checkpoint that is not a prefix
//     of its tree.
//   - [Storage] owns bytes on disk: it keeps leaves and hashes, makes each
//     Append atomic and durable before returning, and serves reads. It does no
//     hashing. The server implements it on Pebble; [MemStorage] is the
//     in-memory implementation for tests and the CLI.
//   - The caller owns the [SignerKey] (the server keeps it apart from the
//     database) and publishes its verifier key, which clients pin.
//
// Verification ([VerifyInclusion], [VerifyConsistency], [OpenCheckpoint])
// needs no log and no network, and runs the same natively and in the browser.
package seallog
