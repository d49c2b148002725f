// Package account holds a Vellum account's keys: the account key AK, the
// keyring it encrypts, the public keyring others wrap keys to, and every
// unlock method, each an independent wrap of AK.
//
// AK is 32 random bytes made in the browser at sign-up. It never leaves the
// client in clear: the server stores the sealed keyring (SealKeyring) and
// one stored wrap per unlock method:
//
//	method            wrap of AK                                  opened with
//	password          SealSecret under HKDF(OPAQUE export key)    WithPassword
//	passkey           SealSecret under HKDF(PRF output, cred id)  WithPasskey
//	trusted device    age file to the device's recipient          WithDevice
//	recovery code     SealSecret under HKDF(128-bit code)         WithRecoveryCode
//	tenant recovery   age onions to M of N admin recipients       WithTenantAdmins
//
// A stored wrap is a versioned CBOR map naming its method (ParseWrap). Each
// method fails with its own error (ErrWrongPassword, ErrWrongPasskey,
// ErrWrongDevice, ErrWrongRecoveryCode, ErrWrongAdmins), all of which wrap
// keys.ErrWrongKey; input that is not a wrap fails with errors wrapping
// keys.ErrMalformed.
//
// An age wrap authenticates nothing about who made it: anyone who knows a
// device's or an admin's recipient can wrap a key of their choosing to it.
// A client MUST therefore check that the keyring AK opens matches the
// account's public keyring as vouched for by the tenant's signed membership
// (Keyring.Check) before trusting a key it unlocked.
package account
