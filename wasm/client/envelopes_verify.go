package client

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// Seal verification as the vellum CLI and the public verify page run it:
// the same code natively and in the browser, with no server (SPEC part 40
// §Verification), and optionally online, against the log's newest
// checkpoint. The document never leaves the caller: CheckSeal reads it as a
// stream and keeps only its SHA-256.

// FailureKind names one way a seal can fail to verify. The names are
// stable: the CLI prints them and scripts may match them.
type FailureKind string

const (
	// The .seal file itself.
	FailMalformed   FailureKind = "malformed"   // not a .seal file, or a part of it does not parse
	FailTooLarge    FailureKind = "too-large"   // over a limit of SPEC part 40
	FailUnsupported FailureKind = "unsupported" // a format version this code does not know
	// The document and the signatures.
	FailHashMismatch     FailureKind = "hash-mismatch"     // the file is not the sealed document
	FailMissingSignature FailureKind = "missing-signature" // a signer has no statement
	FailBadSignature     FailureKind = "bad-signature"     // a statement's signature does not verify
	FailSignerMismatch   FailureKind = "signer-mismatch"   // a statement is for another signer, envelope or document
	// The log proof.
	FailNoLogKey            FailureKind = "no-log-key"           // no log key was pinned
	FailLogKeyMismatch      FailureKind = "log-key-mismatch"     // the checkpoint is not signed by the pinned key
	FailCheckpointSignature FailureKind = "checkpoint-signature" // the checkpoint text was altered
	FailWrongLeaf           FailureKind = "wrong-leaf"           // the proof is for another seal
	FailIndexOutOfRange     FailureKind = "index-out-of-range"   // the leaf index is outside the tree
	FailProofLength         FailureKind = "proof-length"         // a truncated (or padded) proof
	FailRootMismatch        FailureKind = "root-mismatch"        // the path does not lead to the root
	// Online.
	FailNotConsistent FailureKind = "not-consistent" // the log's newest checkpoint does not extend the seal's
)

// what says each kind in words, for the report.
var what = map[FailureKind]string{
	FailMalformed:           "the .seal file, or a part of it, is not in its format",
	FailTooLarge:            "the .seal file, or a part of it, is over its size limit",
	FailUnsupported:         "the .seal file uses a format version this verifier does not know",
	FailHashMismatch:        "the file is not the document that was sealed",
	FailMissingSignature:    "the signer's signature is missing",
	FailBadSignature:        "the signer's signature does not verify",
	FailSignerMismatch:      "a signature belongs to another signer, envelope or document",
	FailNoLogKey:            "no log key is pinned, so the log proof cannot be checked",
	FailLogKeyMismatch:      "the log checkpoint is not signed by the pinned log key",
	FailCheckpointSignature: "the log checkpoint was altered after it was signed",
	FailWrongLeaf:           "the log proof is for another seal",
	FailIndexOutOfRange:     "the log proof's leaf index is outside its tree",
	FailProofLength:         "the log proof has the wrong number of hashes (truncated)",
	FailRootMismatch:        "the log proof does not lead to the checkpoint's root",
	FailNotConsistent:       "the log's newest checkpoint does not extend the seal's: the log forked or went back",
}

// A SealFailure is one failed check.
type SealFailure struct {
	Kind FailureKind
	// Signer is the index in SealCheck.Report.Signers of the signer the
	// failure is about, or -1.
	Signer int
	// Err is the error of keys/seal or keys/seallog, for errors.Is.
	Err error
}

// String is the failure in one line: the kind, the signer, what it means
// and the detail of the check that failed.
func (f SealFailure) String() string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	if f.Signer >= 0 {
		fmt.Fprintf(&b, " (signer %d)", f.Signer+1)
	}
	b.WriteString(": ")
	b.WriteString(what[f.Kind])
	if d := detail(f.Err); d != "" {
		b.WriteString(" (" + d + ")")
	}
	return b.String()
}

// detail is what err says beyond its sentinels: the error's message split
// at ": ", without package names and without the sentinels' own words,
// which the kind already says ("1 proof hashes, index 6 of 7 needs 2").
func detail(err error) string {
	if err == nil {
		return ""
	}
	var se *seal.SignerError
	if errors.As(err, &se) {
		err = se.Err // the signer is named apart, counted from 1
	}
	var keep []string
	for _, seg := range strings.Split(err.Error(), ": ") {
		if !sentinelWords[seg] && !slices.Contains(keep, seg) {
			keep = append(keep, seg)
		}
	}
	return strings.Join(keep, ": ")
}

// sentinelWords holds the segments of every sentinel's message, and the
// package names that prefix them.
var sentinelWords = func() map[string]bool {
	m := map[string]bool{"seal": true, "seallog": true, "client": true, "keys": true}
	errs := []error{seal.ErrProofInvalid, seal.ErrMalformed, seallog.ErrMalformed, keys.ErrBadSignature}
	for _, k := range kinds {
		errs = append(errs, k.err)
	}
	for _, e := range errs {
		for _, seg := range strings.Split(e.Error(), ": ") {
			m[seg] = true
		}
	}
	return m
}()

// SealCheck is the outcome of checking a document against its .seal file.
type SealCheck struct {
	// Report is what keys/seal found: D, S, C, the envelope, each signer
	// with their time and attestation, and the log position once the
	// proof verified. It is nil when the .seal file does not parse.
	Report *seal.Report
	// LogKey is the name of the pinned log key ("" if none).
	LogKey string
	// Failures lists every failed check; the seal is valid only if it is
	// empty.
	Failures []SealFailure
	// Online is the check against the log's newest checkpoint, if one ran
	// (CheckLogOnline).
	Online *OnlineCheck

	checkpoint []byte // the seal's checkpoint, verbatim, once the proof verified
}

// Valid reports whether every check passed.
func (c *SealCheck) Valid() bool { return len(c.Failures) == 0 }

// Has reports whether a failure of kind k was found.
func (c *SealCheck) Has(k FailureKind) bool {
	for _, f := range c.Failures {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// OnlineCheck is what the log's newest checkpoint said.
type OnlineCheck struct {
	URL        string
	Newest     seallog.Checkpoint // zero if it did not verify
	Consistent bool
}

// ParseLogKey parses a pinned log verifier key in signed-note form,
// "<origin>+<hash>+<base64 key>" (SPEC part 40, §Log key).
func ParseLogKey(vkey string) (note.Verifier, error) {
	return seallog.NewVerifier(strings.TrimSpace(vkey))
}

// CheckSeal checks a document against its .seal file offline: it hashes the
// document as a stream and runs every check of SPEC part 40 §Verification
// against the pinned log key (nil: none pinned, reported as FailNoLogKey).
// The error is only for a document that cannot be read; every verification
// failure is in the SealCheck.
func CheckSeal(document io.Reader, sealFile []byte, logKey note.Verifier) (*SealCheck, error) {
	d, err := seal.HashFile(document)
	if err != nil {
		return nil, err
	}
	return CheckSealDigest(d, sealFile, logKey), nil
}

// CheckSealDigest is CheckSeal for a document whose SHA-256 is digest.
func CheckSealDigest(digest [32]byte, sealFile []byte, logKey note.Verifier) *SealCheck {
	c := &SealCheck{}
	if logKey != nil {
		c.LogKey = logKey.Name()
	}
	rep, err := seal.VerifyDigest(digest, sealFile, logKey)
	c.Report = rep
	for _, e := range failures(rep, err) {
		c.Failures = append(c.Failures, failure(e, logKey == nil))
	}
	if rep != nil && rep.Log != nil {
		// The proof verified, so the file parses and holds a checkpoint.
		if f, err := seal.ParseFile(sealFile); err == nil {
			if p, err := seallog.ParseProof(f.Proof); err == nil {
				c.checkpoint = p.Checkpoint
			}
		}
	}
	return c
}

// failures lists the failures VerifyDigest found. With a report, its error
// is errors.Join of one error per failure; without one, the .seal file did
// not parse and its error is one failure. (Only that one level is split: a
// single failure may itself wrap two errors, as "proof invalid: root
// mismatch" does.)
func failures(rep *seal.Report, err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok && rep != nil {
		return j.Unwrap()
	}
	return []error{err}
}

// kinds maps errors to kinds, most specific first: a proof failure wraps
// seal.ErrProofInvalid and the seallog error naming the check, and a
// malformed part of a .seal file wraps both packages' ErrMalformed.
var kinds = []struct {
	err  error
	kind FailureKind
}{
	{seal.ErrHashMismatch, FailHashMismatch},
	{seal.ErrMissingSignature, FailMissingSignature},
	{seal.ErrBadSignature, FailBadSignature},
	{seal.ErrSignerMismatch, FailSignerMismatch},
	{seallog.ErrLogKeyMismatch, FailLogKeyMismatch},
	{seallog.ErrCheckpointSignature, FailCheckpointSignature},
	{seallog.ErrWrongLeaf, FailWrongLeaf},
	{seallog.ErrIndexOutOfRange, FailIndexOutOfRange},
	{seallog.ErrProofLength, FailProofLength},
	{seallog.ErrRootMismatch, FailRootMismatch},
	{seallog.ErrNotConsistent, FailNotConsistent},
	{seal.ErrTooLarge, FailTooLarge},
	{seallog.ErrTooLarge, FailTooLarge},
	{seal.ErrUnsupported, FailUnsupported},
}

func failure(err error, noKey bool) SealFailure {
	f := SealFailure{Kind: FailMalformed, Signer: -1, Err: err}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			f.Kind = k.kind
			break
		}
	}
	if f.Kind == FailLogKeyMismatch && noKey {
		f.Kind = FailNoLogKey
	}
	var se *seal.SignerError
	if errors.As(err, &se) {
		f.Signer = se.Index
	}
	return f
}

// CheckLogOnline asks the server this client talks to for the log's newest
// checkpoint and checks, with a consistency proof, that it extends the
// checkpoint in the .seal file (SPEC part 40 §Consistency proof). It needs a
// seal whose proof verified (else it does nothing and returns nil). A
// checkpoint or proof that fails is a failure in c; only a server that
// cannot be reached, or that answers outside the API, is an error.
func (cl *Client) CheckLogOnline(ctx context.Context, c *SealCheck, logKey note.Verifier) error {
	if c.checkpoint == nil || logKey == nil {
		return nil
	}
	old, err := seallog.OpenCheckpoint(c.checkpoint, logKey)
	if err != nil {
		return err // cannot happen: the proof verified with this key
	}
	c.Online = &OnlineCheck{URL: cl.base}
	fail := func(what string, err error) error {
		f := failure(fmt.Errorf("the newest checkpoint: %s: %w", what, err), false)
		c.Failures = append(c.Failures, f)
		return nil
	}
	var cp protocol.Checkpoint
	if err := cl.do(ctx, call(rLogCheckpoint), &cp); err != nil {
		return err
	}
	newest, err := seallog.OpenCheckpoint([]byte(cp.Checkpoint), logKey)
	if err != nil {
		return fail("opening it", err)
	}
	c.Online.Newest = newest
	if newest.Size < old.Size {
		return fail(fmt.Sprintf("a tree of %d leaves, the seal's has %d", newest.Size, old.Size), seallog.ErrNotConsistent)
	}
	var proof seallog.ConsistencyProof
	if newest.Size > old.Size && old.Size > 0 {
		var cpr protocol.ConsistencyProof
		r := call(rLogConsistency).q("from", strconv.FormatInt(old.Size, 10)).q("to", strconv.FormatInt(newest.Size, 10))
		if err := cl.do(ctx, r, &cpr); err != nil {
			return err
		}
		if cpr.From != uint64(old.Size) || cpr.To != uint64(newest.Size) {
			return fmt.Errorf("client: %s: %w: a proof between other sizes", rLogConsistency.Name, ErrBadResponse)
		}
		for _, h := range cpr.Hashes {
			if len(h) != tlog.HashSize {
				return fmt.Errorf("client: %s: %w: a hash of %d bytes", rLogConsistency.Name, ErrBadResponse, len(h))
			}
			proof = append(proof, tlog.Hash(h))
		}
	}
	if _, _, err := seallog.VerifyConsistency(c.checkpoint, []byte(cp.Checkpoint), proof.Marshal(), logKey); err != nil {
		return fail("consistency with the seal's checkpoint", err)
	}
	c.Online.Consistent = true
	return nil
}

// PublishedLogKey fetches the verifier key the server says its seal log
// signs with, parsed. It is what this deployment's own pages use when no
// key was pinned in the client build; a verifier that pinned a key compares
// it with this one rather than trusting it (SPEC part 90).
func (cl *Client) PublishedLogKey(ctx context.Context) (note.Verifier, error) {
	var k protocol.LogKey
	if err := cl.do(ctx, call(rLogKey), &k); err != nil {
		return nil, err
	}
	v, err := ParseLogKey(k.Key)
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w: not a log key", rLogKey.Name, ErrBadResponse)
	}
	return v, nil
}

// The log routes, which need no session.
var (
	rLogKey         = route("log.key")
	rLogCheckpoint  = route("log.checkpoint")
	rLogConsistency = route("log.consistency")
)

// WriteText writes the check as the CLI prints it: the document, the seal,
// each signer, the log, the online check, and then the verdict with one
// line per failure.
func (c *SealCheck) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if r := c.Report; r != nil {
		ok := "matches the seal"
		if r.Document != r.Digest {
			ok = "DOES NOT MATCH the seal's " + hex.EncodeToString(r.Digest[:])
		}
		ew.printf("Document  SHA-256 %x  %s\n", r.Document, ok)
		ew.printf("Seal      S %x\n", r.SealHash)
		ew.printf("          envelope %s, sealed %s\n", r.EnvelopeID, r.SealedAt.UTC().Format(time.RFC3339))
		ew.printf("Signers   %d\n", len(r.Signers))
		for i, s := range r.Signers {
			who := fmt.Sprintf("%s <%s>", s.Signer.Name, s.Signer.Email)
			kind := s.Signer.Kind.String()
			if s.Signer.AccountID != "" {
				kind += " " + s.Signer.AccountID
			}
			ew.printf("  %d. %s, %s\n", i+1, quoteControl(who), kind)
			ew.printf("     key %s\n", s.Signer.Key)
			switch {
			case s.SignedAt.IsZero():
				ew.printf("     signature MISSING\n")
			case s.Err == nil:
				ew.printf("     signed %s, attested by the server: %s\n", s.SignedAt.UTC().Format(time.RFC3339), s.Attestation)
				ew.printf("     signature OK\n")
			default:
				ew.printf("     signed %s, attested by the server: %s\n", s.SignedAt.UTC().Format(time.RFC3339), s.Attestation)
				ew.printf("     signature FAILED: %s\n", failure(s.Err, false).String())
			}
		}
		ew.printf("Log       key %s\n", orNone(c.LogKey))
		ew.printf("          commitment C %x\n", r.Commitment)
		if r.Log != nil {
			ew.printf("          leaf %d in a tree of %d, root %s: inclusion proof OK\n",
				r.Log.Index, r.Log.Checkpoint.Size, base64.StdEncoding.EncodeToString(r.Log.Checkpoint.Root[:]))
		} else {
			ew.printf("          inclusion proof NOT verified\n")
		}
	}
	if o := c.Online; o != nil {
		switch {
		case o.Consistent:
			ew.printf("Online    %s: newest checkpoint, a tree of %d, is consistent with the seal's\n", o.URL, o.Newest.Size)
		default:
			ew.printf("Online    %s: consistency NOT shown\n", o.URL)
		}
	}
	if c.Valid() {
		ew.printf("Result    VALID\n")
	} else {
		ew.printf("Result    INVALID: %d failed check(s)\n", len(c.Failures))
		for _, f := range c.Failures {
			ew.printf("FAIL %s\n", quoteControl(f.String()))
		}
	}
	return ew.err
}

func orNone(s string) string {
	if s == "" {
		return "(none pinned)"
	}
	return s
}

// quoteControl keeps names from a .seal file from writing terminal escape
// sequences, fake report lines or text reordered by bidirectional controls:
// the file is outside input. Names are valid UTF-8 (keys/seal checks), so
// control, format and line-separator characters are what need care; they
// are written as Go escapes.
func quoteControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// sealFileOf makes the .seal file of a stored seal and its proof.
func sealFileOf(rec *protocol.SealRecord) ([]byte, error) {
	f := &seal.File{Seal: rec.Seal, Proof: rec.Proof}
	b, err := f.Marshal()
	if err != nil {
		return nil, fmt.Errorf("client: %w: %w", ErrBadResponse, err)
	}
	return b, nil
}
