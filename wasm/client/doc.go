// Package client is Vellum's portable client library: the one used by the
// browser worker (GOOS=js GOARCH=wasm, where net/http runs on the Fetch API),
// by the vellum CLI, and by the server's integration tests.
//
// Every cryptographic step happens here, in the client: passwords go into
// OPAQUE and never leave; the account key, the keyring, folder and document
// keys are made here and leave only wrapped; names and metadata leave only as
// age files; documents stream through keys/document in constant memory. The
// server receives ciphertext, public keys, wrapped keys and signed statements.
//
// Trust comes from signatures the client checks, never from the server's
// word:
//
//   - A tenant's members, roles and keys come from its signed membership
//     chain (keys/membership), checked against a pin taken at first use
//     (PinStore). A key is wrapped to a member only with the recipient that
//     chain holds for them (State.RecipientFor).
//   - A folder or document key is accepted only from a grant whose granter
//     key is the one the chain holds for the granter (grant.Verify), and a
//     folder key version only through the folder's checked rotation chain
//     (grant.CheckChain).
//   - The keyring an unlock method opens is used only if its public halves
//     are the account's public keyring, and, in every tenant, the keys the
//     membership chain holds for this account.
//   - The audit log is checked as a hash chain (VerifyAuditExport).
//
// Errors: every refusal by the server surfaces as a *protocol.Error
// (errors.As) carrying its code. Transport failures wrap ErrNetwork and the
// underlying error. No error carries a password, a key, a code or a token.
package client
