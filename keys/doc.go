// Package keys is Vellum's cryptographic core: the key types and the few
// operations every other part composes. It does no network or storage I/O and
// builds identically for the server, the CLI and the browser (GOOS=js).
//
// Subpackages hold one concern each:
//
//	keys/account     the account key, the keyring, and every unlock method
//	keys/opaque      the OPAQUE password protocol, client and server steps
//	keys/document    folder and document keys, encrypted content and metadata
//	keys/grant       signed key wraps to a member, folder key versions
//	keys/link        signing links: fragment secret, PIN, the link wrap
//	keys/seal        signer statements, seals, the public commitment
//	keys/seallog     the transparency log of seals: checkpoints and proofs
//	keys/membership  signed tenant membership and its chain check
//
// Everything here is built from filippo.io/age, golang.org/x/crypto and the
// standard library; there are no home-made primitives. Randomness is drawn
// inside the API (crypto/rand); callers never pass nonces or seeds.
//
// Secret types (SymmetricKey, Identity, SigningKey) are not comparable with
// ==, compare in constant time with Equal, and print as [REDACTED].
package keys
