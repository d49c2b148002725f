package protocol

// The public seal log (keys/seallog): a transparency log of seal leaves on
// golang.org/x/mod/sumdb/tlog with C2SP signed-note checkpoints. Its routes
// need no authentication; verification needs no server at all.

// LogKey is the log's public verifier key in the signed-note form
// <name>+<hash>+<base64 key> (GET /log/key), the one its checkpoints are
// signed with. A verifier SHOULD pin the key it trusts rather than take it
// from this route; the route lets a deployment's own pages and operators
// read it, and lets a verifier compare it with its pinned key.
type LogKey struct {
	Key string `json:"key"`
}

// Checkpoint is the newest signed checkpoint note, as text.
type Checkpoint struct {
	Checkpoint string `json:"checkpoint"`
}

// InclusionProof proves leaf LeafIndex is in the tree of TreeSize leaves
// that Checkpoint commits to (GET /log/proof?leaf=N[&size=M]).
type InclusionProof struct {
	LeafIndex  uint64   `json:"leafIndex"`
	TreeSize   uint64   `json:"treeSize"`
	Hashes     [][]byte `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// ConsistencyProof proves the tree of size To extends the tree of size From
// (GET /log/consistency?from=N&to=M).
type ConsistencyProof struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
}

// LogLeaf is one leaf: version, random id, C and S in the log's leaf
// encoding (SPEC §Seal log). It holds no personal data.
type LogLeaf struct {
	Index uint64 `json:"index"`
	Leaf  []byte `json:"leaf"`
}
