// Package seal makes and checks Vellum's seals: the signer statements each
// signer signs, the seal that binds a document's exact bytes to all of them,
// the public commitment that goes into the transparency log (keys/seallog),
// and the .seal file that carries the seal with its log proof.
//
// The flow, all in the client:
//
//  1. D = SHA-256 of the document's plaintext bytes ([HashFile]); what
//     sha256sum prints.
//  2. Each signer signs a [Statement] binding D, the envelope, their
//     identity and key, the time and what the server attested (a member's
//     signed-in session, an external signer's PIN check) ([Sign]).
//  3. With the last signature in, [New] builds the [Seal] with a fresh
//     random salt. S = SHA-256(canonical seal) ([Seal.Hash]) is the seal;
//     C = SHA-256("vellum-seal/v1" ‖ salt ‖ D) ([Seal.Commitment]) is the
//     public commitment, which cannot be used to confirm a guessed document
//     without the salt.
//  4. The server logs a leaf with C and S and returns a tlog-proof;
//     [NewFile] packs the seal and the proof into a .seal file.
//  5. Anyone with the document and its .seal file runs [Verify] offline
//     against the pinned log key.
package seal
