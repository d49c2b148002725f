package opaque

import "testing"

// LightKSF is a cheap Argon2id setting for tests that run the protocol many
// times: t = 1, 256 KiB, p = 1. Vectors say which setting they use, and at
// least one uses the production one.
var LightKSF = []uint64{1, 256, 1}

// ProductionKSF is the Version 1 setting.
var ProductionKSF = []uint64{argon2Time, argon2MemKiB, argon2Threads}

// UseKSF makes the client use params until the test ends.
func UseKSF(t testing.TB, params []uint64) {
	old := ksfParams
	ksfParams = params
	t.Cleanup(func() { ksfParams = old })
}
