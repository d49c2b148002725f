// Package membership is a tenant's signed membership: a hash chain of
// statements, each in deterministic CBOR and signed with Ed25519 under
// protocol.LabelMembership, that says who belongs to the tenant, in which
// role, with which verify key and age recipient, and whether tenant recovery
// is on.
//
// The server stores and serves the chain but cannot write to it: every
// statement is signed by a member whose authority the chain itself
// establishes, back to a genesis statement signed by the owner. A client pins
// the genesis (its hash and tenant id) at first use, and before it wraps a key
// to anyone it checks the chain and takes the recipient from it
// (State.RecipientFor), so a server that slips in a key of its own is caught.
//
// Verify checks a whole chain against a Pin; State.Apply checks and applies
// one more statement; State.Append builds and signs the next statement. The
// rules the chain check replays are in SPEC §Membership and in the comments
// of the Change types.
package membership
