package main

// Server is the table for the server (bench/run-server.sh): vellumd
// measured over HTTPS on loopback by bench/server, and the server's per-call
// costs by go test -bench in server/api and keys/opaque. Each figure is read
// next to a baseline of the same run, as in Core. bench/README.md §Server
// explains each row; keep the two in step.
var Server = []Row{
	// Ingest: the real upload routes against the disk.
	{Section: "Ciphertext ingest (vellumd, HTTPS on loopback)",
		Metric: "ingest, one upload at a time: create, 4 MiB chunks each synced before its reply, commit with SHA-256", Pkg: "bench/server", Bench: "BenchmarkIngestHTTP", Unit: "MB/s",
		Baseline: "sequential write of the same bytes, one fdatasync at the end (dd conv=fdatasync)", BasePkg: "bench/server", BaseBench: "BenchmarkBaselineDiskWriteOneSync",
		Better: Higher, Expect: "under 0.5: Pebble writes each byte twice (WAL, blob file), the commit reads it back to hash, TLS both ways"},
	{Section: "Ciphertext ingest (vellumd, HTTPS on loopback)",
		Metric: "ingest, 4 uploads at once", Pkg: "bench/server", Bench: "BenchmarkIngestHTTPStreams", Unit: "MB/s",
		Baseline: "sequential write of the same bytes, one fdatasync at the end (dd conv=fdatasync)", BasePkg: "bench/server", BaseBench: "BenchmarkBaselineDiskWriteOneSync",
		Better: Higher, Expect: "a little over one upload at a time: syncs are grouped"},
	{Section: "Ciphertext ingest (vellumd, HTTPS on loopback)",
		Metric: "ingest, one upload at a time (as above)", Pkg: "bench/server", Bench: "BenchmarkIngestHTTP", Unit: "MB/s",
		Baseline: "sequential write in 4 MiB chunks, fdatasync after each (same durability per chunk)", BasePkg: "bench/server", BaseBench: "BenchmarkBaselineDiskWriteSynced",
		Better: Higher, Expect: "about 0.5: Pebble writes each chunk twice (WAL, then a blob file), both synced"},

	// Small authenticated GETs under load.
	{Section: "Small authenticated GET (wrk -t2 -c64 against vellumd, HTTPS on loopback)",
		Metric: "GET /api/v1/account with a session token: routing, limits, token AEAD, account read, JSON, security headers", Pkg: "bench/server", Bench: "BenchmarkAuthenticatedGetTLS", Unit: "req/s",
		Baseline: "fasthttp hello-world, same TLS settings and certificate, same wrk", BasePkg: "bench/server", BaseBench: "BenchmarkBaselineHelloTLS",
		Better: Higher, Expect: "about 0.5–0.7 (DESIGN §9: a Pebble point read took fasthttp from 294k to 198k req/s)"},
	{Section: "Small authenticated GET (wrk -t2 -c64 against vellumd, HTTPS on loopback)",
		Metric: "p99 latency of the GET above", Pkg: "bench/server", Bench: "BenchmarkAuthenticatedGetTLS", Unit: "p99-ms",
		Baseline: "p99 of the fasthttp hello-world", BasePkg: "bench/server", BaseBench: "BenchmarkBaselineHelloTLS",
		Better: Lower, Expect: "about 1–2: wrk shares the two cores, so both tails are mostly scheduling"},
	{Section: "Small authenticated GET (wrk -t2 -c64 against vellumd, HTTPS on loopback)",
		Metric: "the same call in process, no network (server/api)", Pkg: "server/api", Bench: "BenchmarkAuthenticatedGet", Unit: "ns/op",
		Baseline: "a fasthttp handler answering a fixed JSON body, in process", BasePkg: "server/api", BaseBench: "BenchmarkBaselineHandler",
		Better: Lower, Expect: "≫ 1: a token open (XChaCha20-Poly1305), a store read and JSON against a copy"},

	// Password login, server side.
	{Section: "Password login, server side (OPAQUE with the production Argon2id on the client)",
		Metric: "login/start handler in process: JSON, limits, lock-out check, account read, KE2, sealed login state (server/api)", Pkg: "server/api", Bench: "BenchmarkLoginStart", Unit: "ns/op",
		Baseline: "raw opaque.Server.StartLogin (keys/opaque)", BasePkg: "keys/opaque", BaseBench: "BenchmarkServerLoginStart",
		Better: Lower, Expect: "a little over 1"},
	{Section: "Password login, server side (OPAQUE with the production Argon2id on the client)",
		Metric: "login/start handler for an address without an account (fake record)", Pkg: "server/api", Bench: "BenchmarkLoginStartUnknown", Unit: "ns/op",
		Baseline: "login/start handler for an account", BasePkg: "server/api", BaseBench: "BenchmarkLoginStart",
		Better: Lower, Expect: "1: else response time tells which addresses have accounts"},
	{Section: "Password login, server side (OPAQUE with the production Argon2id on the client)",
		Metric: "opaque.Server.StartLogin (KE2), known account", Pkg: "keys/opaque", Bench: "BenchmarkServerLoginStart", Unit: "ns/op",
		Baseline: "yardstick: raw ed25519.Verify (keys/seal)", BasePkg: "keys/seal", BaseBench: "BenchmarkBaselineEd25519Verify",
		Better: Lower, Expect: "a few curve operations"},
	{Section: "Password login, server side (OPAQUE with the production Argon2id on the client)",
		Metric: "opaque.Server.FinishLogin (check the KE3 MAC)", Pkg: "keys/opaque", Bench: "BenchmarkServerLoginFinish", Unit: "ns/op",
		Baseline: "yardstick: raw ed25519.Verify (keys/seal)", BasePkg: "keys/seal", BaseBench: "BenchmarkBaselineEd25519Verify",
		Better: Lower, Expect: "well under 1 (a MAC)"},
}
