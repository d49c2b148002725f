package api

import (
	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/store"
)

// SealStorage adapts the store's seal log tables to seallog.Storage, so
// that vellumd can open the public log (seallog.NewLog) over Pebble.
func SealStorage(st *store.Store) seallog.Storage { return sealStorage{st} }

type sealStorage struct{ st *store.Store }

func (s sealStorage) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return s.st.SealLog().ReadHashes(indexes)
}
func (s sealStorage) ReadLeaf(index int64) ([]byte, error) { return s.st.SealLog().Leaf(index) }
func (s sealStorage) Size() (int64, error)                 { return s.st.SealLog().Size() }

// Append stores leaf number index and its hashes in one synced batch; the
// store refuses them unless they are the ones its stored tree gives.
func (s sealStorage) Append(index int64, leaf []byte, hashes []tlog.Hash) error {
	return s.st.Update(func(tx *store.Tx) error { return tx.PutSealLeaf(index, leaf, hashes) })
}

func (a *API) logHandlers() map[string]handler {
	if a.log == nil {
		return nil
	}
	return map[string]handler{
		"log.key":         a.logKey,
		"log.checkpoint":  a.logCheckpoint,
		"log.proof":       a.logProof,
		"log.consistency": a.logConsistency,
		"log.leaf":        a.logLeaf,
	}
}

// logKey publishes the log's verifier key, for the deployment's own pages
// and for verifiers to compare with the key they pinned (SPEC part 90).
func (a *API) logKey(c *call) (any, error) {
	return &protocol.LogKey{Key: a.log.VerifierKey()}, nil
}

func (a *API) logCheckpoint(c *call) (any, error) {
	cp, err := a.log.Checkpoint()
	if err != nil {
		return nil, err
	}
	return &protocol.Checkpoint{Checkpoint: string(cp)}, nil
}

// queryUint reads a required decimal query parameter.
func (c *call) queryUint(name string, required bool) (uint64, bool, error) {
	v := c.ctx.QueryArgs().Peek(name)
	if v == nil {
		if required {
			return 0, false, badRequest("query parameter %s is required", name)
		}
		return 0, false, nil
	}
	n, err := protocol.ParseUint(string(v))
	if err != nil {
		return 0, false, badRequest("query parameter %s is not a decimal number", name)
	}
	return n, true, nil
}

func (a *API) logProof(c *call) (any, error) {
	leaf, _, err := c.queryUint("leaf", true)
	if err != nil {
		return nil, err
	}
	size, ok, err := c.queryUint("size", false)
	if err != nil {
		return nil, err
	}
	if !ok {
		size = uint64(a.log.Size())
	}
	b, err := a.log.InclusionProof(int64(leaf), int64(size))
	if err != nil {
		return nil, err
	}
	pr, err := seallog.ParseProof(b)
	if err != nil {
		return nil, err
	}
	out := &protocol.InclusionProof{LeafIndex: leaf, TreeSize: size, Checkpoint: string(pr.Checkpoint), Hashes: [][]byte{}}
	for _, h := range pr.Hashes {
		out.Hashes = append(out.Hashes, append([]byte(nil), h[:]...))
	}
	return out, nil
}

func (a *API) logConsistency(c *call) (any, error) {
	from, _, err := c.queryUint("from", true)
	if err != nil {
		return nil, err
	}
	to, _, err := c.queryUint("to", true)
	if err != nil {
		return nil, err
	}
	b, err := a.log.ConsistencyProof(int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	pr, err := seallog.ParseConsistencyProof(b)
	if err != nil {
		return nil, err
	}
	out := &protocol.ConsistencyProof{From: from, To: to, Hashes: [][]byte{}}
	for _, h := range pr {
		out.Hashes = append(out.Hashes, append([]byte(nil), h[:]...))
	}
	return out, nil
}

func (a *API) logLeaf(c *call) (any, error) {
	i, err := protocol.ParseUint(c.params["index"])
	if err != nil || int64(i) >= a.log.Size() {
		return nil, notFound("leaf")
	}
	b, err := sealStorage{a.st}.ReadLeaf(int64(i))
	if err != nil {
		return nil, err
	}
	return &protocol.LogLeaf{Index: i, Leaf: b}, nil
}
