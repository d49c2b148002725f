// Command vellum is Vellum's command-line tool. Its first job is checking a
// signed document against its .seal file, offline, with nothing but the
// seal log's pinned public key (SPEC part 40 §Verification):
//
//	vellum verify [-log-key KEY] [-online URL] FILE FILE.seal
//	vellum log-key SEAL-LOG-KEY-FILE
//	vellum version
//
// verify prints what it checked — the document's SHA-256 against the
// seal's, each signer with their time, key and signature, the log key, the
// leaf's index and the checkpoint the inclusion proof leads to, and with
// -online the consistency of that checkpoint with the log's newest — and
// one FAIL line per failed check, each naming its kind. It exits 0 when
// every check passed, 1 when one failed, and 2 when it could not check at
// all (usage, unreadable file, bad key, an online check that could not
// reach the server).
//
// The log key is the signed-note verifier key "<origin>+<hash>+<key>",
// taken from -log-key, else from the environment variable VELLUM_LOG_KEY,
// else from the key pinned into the binary at build time
// (-ldflags "-X main.pinnedLogKey=..."). See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// Set at build time with -ldflags "-X main.version=... -X main.pinnedLogKey=...".
var (
	version      = ""
	pinnedLogKey = ""
)

// Exit statuses.
const (
	exitValid   = 0 // every check passed
	exitInvalid = 1 // a check failed: the FAIL lines say which
	exitError   = 2 // nothing could be concluded
)

// LogKeyEnv is the environment variable that pins the log key when no
// -log-key is given.
const LogKeyEnv = "VELLUM_LOG_KEY"

// onlineTimeout bounds the whole online check.
const onlineTimeout = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// env is what the command uses from its surroundings, so that tests can
// run it in process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	http           *http.Client // nil: http.DefaultClient
}

const usage = `usage:
  vellum verify [-log-key KEY] [-online URL] FILE FILE.seal
  vellum log-key SEAL-LOG-KEY-FILE
  vellum version

verify checks FILE against FILE.seal offline: its SHA-256, every signature,
and the seal log's inclusion proof under the pinned log key
(origin+hash+key), taken from -log-key, else $VELLUM_LOG_KEY, else the key
built into this binary. -online also checks that the server's newest log
checkpoint extends the seal's. Exit status: 0 valid, 1 a check failed,
2 nothing could be concluded. Browsers run the same check at
https://<server>/verify.

log-key prints the public key of vellumd's <secrets>/seal-log.key.
`

func run(args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitError
	}
	switch args[0] {
	case "verify":
		return verify(args[1:], e)
	case "log-key":
		return logKey(args[1:], e)
	case "version":
		return printVersion(e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitValid
	}
	fmt.Fprintf(e.stderr, "vellum: unknown command %q\n%s", args[0], usage)
	return exitError
}

func verify(args []string, e *env) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keyFlag := fs.String("log-key", "", "the seal log's verifier key, <origin>+<hash>+<key> (default $"+LogKeyEnv+", else the pinned key)")
	online := fs.String("online", "", "also check the seal's checkpoint against the newest one of the Vellum server at this https URL")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() != 2 {
		fmt.Fprint(e.stderr, "vellum verify: want FILE and FILE.seal\n", usage)
		return exitError
	}
	if *online != "" {
		if u, err := url.Parse(*online); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			fmt.Fprintln(e.stderr, "vellum verify: -online takes an https URL such as https://vellum.example.com")
			return exitError
		}
	}
	v, source, err := resolveLogKey(*keyFlag, e.getenv)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum verify: the log key from %s: %v\n", source, err)
		return exitError
	}
	docName, sealName := fs.Arg(0), fs.Arg(1)
	sealFile, err := readLimited(sealName, protocol.MaxSeal)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum verify: %v\n", err)
		return exitError
	}
	doc, err := os.Open(docName)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum verify: %v\n", err)
		return exitError
	}
	defer doc.Close()
	chk, err := client.CheckSeal(doc, sealFile, v)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum verify: %s: %v\n", docName, err)
		return exitError
	}

	status := exitValid
	var onlineErr error
	if *online != "" && v != nil {
		ctx, cancel := context.WithTimeout(context.Background(), onlineTimeout)
		defer cancel()
		var opts []client.Option
		if e.http != nil {
			opts = append(opts, client.WithHTTPClient(e.http))
		}
		onlineErr = client.New(*online, opts...).CheckLogOnline(ctx, chk, v)
	}
	fmt.Fprintf(e.stdout, "File      %s\nSeal file %s\n", docName, sealName)
	if err := chk.WriteText(e.stdout); err != nil {
		return exitError
	}
	if source != "" {
		fmt.Fprintf(e.stdout, "Log key   from %s\n", source)
	}
	switch {
	case !chk.Valid():
		status = exitInvalid
	case onlineErr != nil:
		fmt.Fprintf(e.stderr, "vellum verify: the online check could not be made: %v\n", onlineErr)
		status = exitError
	case *online != "" && chk.Online == nil:
		fmt.Fprintln(e.stderr, "vellum verify: the online check could not be made")
		status = exitError
	}
	return status
}

// resolveLogKey picks the log key: the flag, else the environment, else
// the pinned one. It returns a nil verifier when none is set, and where it
// came from.
func resolveLogKey(flagValue string, getenv func(string) string) (note.Verifier, string, error) {
	text, source := flagValue, "-log-key"
	if text == "" {
		text, source = getenv(LogKeyEnv), "$"+LogKeyEnv
	}
	if text == "" {
		text, source = pinnedLogKey, "the key pinned in this binary"
	}
	if text == "" {
		return nil, "", nil
	}
	v, err := client.ParseLogKey(text)
	if err != nil {
		// The key is public: quoting it would be harmless, but a wrong
		// variable could hold anything.
		return nil, source, errors.New("not a signed-note Ed25519 verifier key <origin>+<hash>+<key>")
	}
	return v, source, nil
}

// readLimited reads a file of at most max bytes; a larger one is read to
// max+1 bytes so that the parser reports it as too large.
func readLimited(name string, max int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(max)+1))
}

// logKey prints the public verifier key of a seal log's private key file
// (vellumd's <secrets>/seal-log.key): what clients pin.
func logKey(args []string, e *env) int {
	if len(args) != 1 {
		fmt.Fprint(e.stderr, "vellum log-key: want the seal log key file\n", usage)
		return exitError
	}
	b, err := readLimited(args[0], 1024)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum log-key: %v\n", err)
		return exitError
	}
	defer clear(b)
	text := string(trimNewline(b))
	k, err := seallog.ParseSignerKey(text)
	if err != nil {
		fmt.Fprintf(e.stderr, "vellum log-key: %s is not a seal log key\n", args[0])
		return exitError
	}
	fmt.Fprintln(e.stdout, k.VerifierKey())
	return exitValid
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func printVersion(e *env) int {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(e.stdout, "vellum %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if pinnedLogKey == "" {
		fmt.Fprintln(e.stdout, "pinned log key: none (use -log-key or $"+LogKeyEnv+")")
	} else {
		fmt.Fprintln(e.stdout, "pinned log key:", pinnedLogKey)
	}
	return exitValid
}
