// Package opaque is Vellum's password protocol: OPAQUE (RFC 9807) with one
// fixed configuration, built on github.com/bytemare/opaque.
//
// The password never leaves the client. The server keeps, per account, a
// RegistrationRecord in its database and, once for all accounts, a ServerKey
// in a file outside the database: the ServerKey holds the OPRF seed, without
// which a stolen database cannot be used to test password guesses.
//
// Registration (three messages):
//
//	client: reg, req := StartRegistration(password)       → req
//	server: resp := srv.RegistrationResponse(req, credID)   → resp
//	client: record, exportKey := reg.Finish(resp)          → record (stored by the server)
//
// Login (three messages):
//
//	client: login, ke1 := StartLogin(password)             → ke1
//	server: ke2, state := srv.StartLogin(ke1, credID, record or nil)
//	                                                       → ke2 (state kept, sealed, by the server)
//	client: ke3, exportKey, sessionKey := login.Finish(ke2) → ke3
//	server: sessionKey := srv.FinishLogin(state, ke3)
//
// The export key is the same at registration and at every login with the
// right password; keys/account derives from it the key that wraps the account
// key. A wrong password makes ClientLogin.Finish fail with ErrWrongPassword,
// and so does an unknown account: the server answers those with a fake record
// that is indistinguishable from a real one.
//
// Every message carries a leading version byte (Version) and has one exact
// length; parsers refuse anything else, including non-canonical group
// elements.
package opaque
