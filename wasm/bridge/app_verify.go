//go:build js && wasm

package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"syscall/js"

	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The public verify page's functions: which seal log key this client
// trusts, and the check of a document's digest against its .seal file
// (wasm/client.CheckSealDigest, the code `vellum verify` runs). The page
// hashes the document itself, in chunks through the worker's SHA-256
// stream (hashStart, push, finish), so the file never leaves the browser
// and is never held whole; only its digest and the .seal file come here.
func (a *app) registerVerify(def func(name string, fn func(args argv) (runner, error))) {
	bg := context.Background()

	// logKey() → {name, hash, source, error}: the key seals are checked
	// with when the page gives none. source is logKeyPinned,
	// logKeyPublished or logKeyNone (then error says why: the server
	// could not be reached or published no key).
	def("logKey", func(args argv) (runner, error) {
		if err := arity(args, 0, 0); err != nil {
			return nil, err
		}
		return func() (any, error) {
			k, err := a.sealLogKey(bg)
			if err != nil {
				out := logKey{source: logKeyNone}.js()
				out["error"] = errJS(err)
				return out, nil
			}
			return k.js(), nil
		}, nil
	})

	// verifySeal(digest, sealFile, {logKey?, online?}) → the report (see
	// checkJS). digest is the document's SHA-256 in hex, as sha256()
	// returns it; sealFile the .seal file's bytes; logKey a key the user
	// gave, used instead of the client's own; online also asks this
	// server for the log's newest checkpoint and checks that it extends
	// the seal's. A seal that fails is a report, not an error: only bad
	// arguments and an unusable log key reject.
	def("verifySeal", func(args argv) (runner, error) {
		if err := arity(args, 2, 3); err != nil {
			return nil, err
		}
		digest, err := digestArg(args.at(0))
		if err != nil {
			return nil, err
		}
		// One byte over the limit still reaches the verifier, which
		// reports it as the too-large kind; the page refuses larger files
		// before reading them.
		sealFile, err := bytesArg(args.at(1), ".seal file", protocol.MaxSeal+1, nil)
		if err != nil {
			return nil, err
		}
		o, err := args.opts(2, "logKey", "online")
		if err != nil {
			return nil, err
		}
		given, err := argv{o.Get("logKey")}.optStr(0, "option logKey", maxLogKeyArg)
		if err != nil {
			return nil, err
		}
		online := o.Get("online")
		if !online.IsUndefined() && online.Type() != js.TypeBoolean {
			return nil, errorf(CodeBadArgument, "bridge: option online must be a boolean")
		}
		var key logKey
		if strings.TrimSpace(given) != "" {
			if key, err = givenLogKey(given); err != nil {
				return nil, err
			}
		}
		return func() (any, error) {
			var keyErr error
			if key.v == nil {
				if key, keyErr = a.sealLogKey(bg); keyErr != nil {
					// Checked without a key, the report says no-log-key
					// and why the client has none.
					key = logKey{source: logKeyNone}
				}
			}
			chk := client.CheckSealDigest(digest, sealFile, key.v)
			var onlineErr error
			if online.Truthy() {
				onlineErr = a.c.CheckLogOnline(bg, chk, key.v)
			}
			out := checkJS(chk)
			out["logKey"] = key.js()
			out["onlineAsked"] = online.Truthy()
			// An unreachable server is no verdict: said apart from the
			// failures, which are about the seal.
			out["onlineError"] = errJS(onlineErr)
			if keyErr != nil {
				out["logKeyError"] = errJS(keyErr)
			}
			return out, nil
		}, nil
	})
}

// digestArg reads a SHA-256 as 64 hex digits.
func digestArg(v js.Value) ([32]byte, error) {
	var d [32]byte
	s, err := stringArg(v, "digest", 64)
	if err != nil {
		return d, err
	}
	if len(s) != 64 {
		return d, errorf(CodeBadArgument, "bridge: digest must be a SHA-256 in 64 hex digits")
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, errorf(CodeBadArgument, "bridge: digest must be a SHA-256 in 64 hex digits")
	}
	return d, nil
}

// checkJS is the report of a seal check for the page:
//
//	{valid, document: {expected, actual, match} | null,
//	 envelopeId, sealedAt, sealHash, commitment,
//	 signers: [{name, email, kind, accountId, key, signedAt, attestation, ok, failure}],
//	 log: {verified, index, size, root} ,
//	 online: {url, consistent, newestSize} | null,
//	 failures: [{kind, signer, reason, text}]}
//
// Hashes are hex, the log root base64 as in the checkpoint. A .seal file
// that does not parse has no document, signers or log (null), and one
// failure. signer is the 1-based signer a failure is about, or 0.
func checkJS(c *client.SealCheck) map[string]any {
	out := map[string]any{
		"valid": c.Valid(), "document": nil, "envelopeId": nil, "sealedAt": nil, "sealHash": nil, "commitment": nil,
		"signers": []any{}, "log": nil, "online": nil, "failures": jsList(c.Failures, failureJS),
	}
	if r := c.Report; r != nil {
		out["document"] = map[string]any{
			"expected": hex.EncodeToString(r.Digest[:]), "actual": hex.EncodeToString(r.Document[:]),
			"match": r.Digest == r.Document,
		}
		out["envelopeId"] = r.EnvelopeID
		out["sealedAt"] = timeJS(r.SealedAt)
		out["sealHash"] = hex.EncodeToString(r.SealHash[:])
		out["commitment"] = hex.EncodeToString(r.Commitment[:])
		signers := make([]any, len(r.Signers))
		for i := range r.Signers {
			signers[i] = signerReportJS(i, &r.Signers[i], c.Failures)
		}
		out["signers"] = signers
		lg := map[string]any{"verified": r.Log != nil, "index": nil, "size": nil, "root": nil}
		if r.Log != nil {
			lg["index"] = float64(r.Log.Index)
			lg["size"] = float64(r.Log.Checkpoint.Size)
			lg["root"] = base64.StdEncoding.EncodeToString(r.Log.Checkpoint.Root[:])
		}
		out["log"] = lg
	}
	if o := c.Online; o != nil {
		on := map[string]any{"url": o.URL, "consistent": o.Consistent, "newestSize": nil}
		if o.Newest.Size > 0 {
			on["newestSize"] = float64(o.Newest.Size)
		}
		out["online"] = on
	}
	return out
}

// signerReportJS is one signer as the seal states them, with the outcome
// of their signature: failure is the check that failed for them (from
// fs, so that it reads as the failure list does). Names come from the
// file: the page shows them as text, isolated from the text around them.
func signerReportJS(i int, s *seal.SignerReport, fs []client.SealFailure) map[string]any {
	out := map[string]any{
		"name": s.Signer.Name, "email": s.Signer.Email, "kind": s.Signer.Kind.String(),
		"accountId": s.Signer.AccountID, "key": s.Signer.Key.Fingerprint(),
		"signedAt": timeJS(s.SignedAt), "attestation": nil, "ok": s.Err == nil, "failure": nil,
	}
	if !s.SignedAt.IsZero() {
		out["attestation"] = s.Attestation.String()
	}
	for j := range fs {
		if fs[j].Signer == i {
			out["failure"] = failureJS(&fs[j])
			break
		}
	}
	return out
}

// failureJS is one failed check: its stable kind, the signer it is about
// (1-based, 0 for none), the reason in words (what the kind means and the
// detail of the check) and the line `vellum verify` prints for it.
func failureJS(f *client.SealFailure) map[string]any {
	text := f.String()
	// String is "kind[ (signer n)]: reason": the reason is what follows
	// the first ": ", the kind and signer being fields of their own.
	_, reason, _ := strings.Cut(text, ": ")
	return map[string]any{"kind": string(f.Kind), "signer": f.Signer + 1, "reason": reason, "text": text}
}
