package opaque

import (
	"crypto"
	"fmt"

	bo "github.com/bytemare/opaque"

	"github.com/bytemare/ksf"

	"vellum.dev/vellum/protocol"
)

// Version is the first byte of every message and stored format of this
// package. It names the whole configuration below: a change to any part of
// it (group, hash, KSF or its parameters, context) is a new version.
const Version = 0x01

// Configuration of Version 1, fixed:
//
//   - OPRF and AKE group: ristretto255 (RFC 9496), with SHA-512 as the
//     hash, KDF (HKDF-SHA-512) and MAC (HMAC-SHA-512);
//   - context: protocol.LabelOPAQUEContext;
//   - client and server identities: none, so both default to their public
//     keys (RFC 9807 §4.1.2); the account is bound by the server's record
//     lookup and the credential identifier;
//   - KSF: Argon2id (RFC 9106) with t = 3 passes, m = 64 MiB, p = 1 lane,
//     salt = 16 zero bytes, output length Nh = 64 bytes.
//
// The KSF parameters are chosen for the browser, where the client runs as
// single-threaded WebAssembly: RFC 9807's 2 GiB suggestion is out of reach
// there, p > 1 buys nothing without threads, and t = 3 at 64 MiB is OWASP's
// Argon2id baseline. The salt can be constant because the KSF input, the
// OPRF output, is already unique per account and per server.
const (
	argon2Time    = 3
	argon2MemKiB  = 64 * 1024
	argon2Threads = 1
	ksfOutputLen  = 64
)

// ksfParams are the Argon2id parameters (time, memory in KiB, threads) the
// client uses. Only tests change them (see export_test.go), to run the
// protocol many times without paying 64 MiB each time; at least one vector
// uses the production values.
var ksfParams = []uint64{argon2Time, argon2MemKiB, argon2Threads}

var ksfSalt = make([]byte, 16)

// Sizes of the serialized messages, version byte included. Each is also the
// size limit of its parser: any other length is refused.
const (
	RegistrationRequestSize  = 1 + 32
	RegistrationResponseSize = 1 + 32 + 32
	RegistrationRecordSize   = 1 + 32 + 64 + 96
	KE1Size                  = 1 + 32 + 32 + 32
	KE2Size                  = 1 + 32 + 32 + 128 + 32 + 32 + 64
	KE3Size                  = 1 + 64
)

func configuration() *bo.Configuration {
	return &bo.Configuration{
		OPRF:    bo.RistrettoSha512,
		AKE:     bo.RistrettoSha512,
		KSF:     ksf.Argon2id,
		KDF:     crypto.SHA512,
		MAC:     crypto.SHA512,
		Hash:    crypto.SHA512,
		Context: []byte(protocol.LabelOPAQUEContext),
	}
}

// clientOptions makes bytemare use the KSF parameters above instead of its
// defaults (which are p = 4 and a 32-byte output).
func clientOptions() *bo.ClientOptions {
	return &bo.ClientOptions{
		KSFSalt:       ksfSalt,
		KSFParameters: ksfParams,
		KSFLength:     ksfOutputLen,
	}
}

var deserializer = func() *bo.Deserializer {
	d, err := configuration().Deserializer()
	if err != nil {
		panic(fmt.Sprintf("opaque: configuration: %v", err))
	}
	return d
}()
