//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/wasm/client"
)

// pinnedLogKey is the seal log's verifier key built into this client, in
// signed-note form ("<origin>+<hash>+<base64 key>"). scripts/build-wasm.sh
// sets it from $VELLUM_LOG_KEY with -ldflags "-X main.pinnedLogKey=…". A
// build without it trusts the key its own server publishes, which is no
// more than loading the server's page already trusts (SPEC part 90,
// §Verification without the server); a key built in does not move when
// the server does.
var pinnedLogKey string

// Where the log key in use came from, as the pages show it.
const (
	logKeyPinned    = "pinned in this client build"
	logKeyPublished = "published by this server"
	logKeyGiven     = "given by you"
	logKeyNone      = "none"
)

// maxLogKeyArg bounds a pasted key: a verifier key is about 100 bytes.
const maxLogKeyArg = 1 << 10

// logKey is the seal log key in use and where it came from.
type logKey struct {
	v      note.Verifier // nil when there is none
	source string
}

// js describes the key for the page: {name, hash, source}. The hash is
// the note key hash, the "<hash>" of "<origin>+<hash>+<key>", as eight hex
// digits: what a person compares with the key they were given.
func (k logKey) js() map[string]any {
	out := map[string]any{"source": k.source, "name": nil, "hash": nil}
	if k.v != nil {
		out["name"] = k.v.Name()
		out["hash"] = fmt.Sprintf("%08x", k.v.KeyHash())
	}
	return out
}

// sealLogKey returns the seal log key this client checks seals with: the
// one built in, else the one the server publishes. Every page that checks
// a seal (the verify page, the signing pages' download) uses it.
func (a *app) sealLogKey(ctx context.Context) (logKey, error) {
	if pinnedLogKey != "" {
		v, err := client.ParseLogKey(pinnedLogKey)
		if err != nil {
			// A build mistake, not the user's: say which key is wrong.
			return logKey{}, errorf(CodeInternal, "the log key built into this client is not a signed-note verifier key")
		}
		return logKey{v, logKeyPinned}, nil
	}
	v, err := a.c.PublishedLogKey(ctx)
	if err != nil {
		return logKey{}, err
	}
	return logKey{v, logKeyPublished}, nil
}

// givenLogKey parses a key the user pasted, refusing anything else with a
// message that says what a key looks like.
func givenLogKey(text string) (logKey, error) {
	v, err := client.ParseLogKey(strings.TrimSpace(text))
	if err != nil {
		return logKey{}, errorf(CodeBadArgument, "the log key given is not a signed-note verifier key (name+hash+key, as `vellum log-key` prints it)")
	}
	return logKey{v, logKeyGiven}, nil
}
