package seallog

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"vellum.dev/vellum/protocol"
)

// A Checkpoint is the log's signed statement of its tree at one size, in the
// C2SP tlog-checkpoint format (c2sp.org/tlog-checkpoint): a signed note whose
// text is exactly three lines,
//
//	<origin>
//	<tree size, decimal, no leading zeros>
//	<root hash, standard base64>
//
// Vellum's log writes no extension lines and this package refuses them.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the note text of c: the bytes the log key signs.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// signCheckpoint returns c as a signed note.
func signCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
	if err != nil {
		return nil, fmt.Errorf("seallog: signing checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint against the pinned log
// verifier v and parses it. Signatures by other keys (witness cosignatures)
// are ignored, as the signed-note format requires.
//
// It returns ErrTooLarge past protocol.MaxCheckpoint, ErrCheckpointSignature
// if v's signature does not verify, ErrLogKeyMismatch if there is no
// signature by v or the origin is not v's name, and ErrMalformed otherwise.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	if len(signed) > protocol.MaxCheckpoint {
		return Checkpoint{}, fmt.Errorf("seallog: checkpoint of %d bytes: %w", len(signed), ErrTooLarge)
	}
	if v == nil {
		return Checkpoint{}, fmt.Errorf("seallog: no pinned log verifier: %w", ErrLogKeyMismatch)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &invalid):
			return Checkpoint{}, ErrCheckpointSignature
		case errors.As(err, &unverified):
			return Checkpoint{}, fmt.Errorf("seallog: checkpoint has no signature by %s: %w", v.Name(), ErrLogKeyMismatch)
		}
		return Checkpoint{}, fmt.Errorf("seallog: checkpoint is not a signed note: %w", ErrMalformed)
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	// The key name alone does not pin the log: two logs may share a name.
	// But a checkpoint signed by our key for another origin was never meant
	// for this log.
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("seallog: checkpoint of origin %q, pinned log is %q: %w", c.Origin, v.Name(), ErrLogKeyMismatch)
	}
	return c, nil
}

func parseCheckpointText(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, fmt.Errorf("seallog: checkpoint text of %d lines, want 3: %w", len(lines)-1, ErrMalformed)
	}
	c.Origin = lines[0]
	if c.Origin == "" {
		return c, fmt.Errorf("seallog: checkpoint with empty origin: %w", ErrMalformed)
	}
	size, err := parseDecimal(lines[1])
	if err != nil {
		return c, fmt.Errorf("seallog: checkpoint tree size: %w", err)
	}
	c.Size = size
	if c.Root, err = parseHash(lines[2]); err != nil {
		return c, fmt.Errorf("seallog: checkpoint root hash: %w", err)
	}
	return c, nil
}

// parseDecimal parses a non-negative int64 in canonical decimal: no sign,
// no leading zeros (except "0" itself).
func parseDecimal(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, ErrMalformed
	}
	return n, nil
}

// parseHash parses a SHA-256 hash in canonical standard base64 (44
// characters with padding; padding bits zero).
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	if len(s) != base64.StdEncoding.EncodedLen(tlog.HashSize) {
		return h, ErrMalformed
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	// StdEncoding skips '\r' and '\n'; the length check above and this
	// re-encoding check together refuse every non-canonical spelling.
	if err != nil || len(b) != tlog.HashSize || base64.StdEncoding.EncodeToString(b) != s {
		return h, ErrMalformed
	}
	copy(h[:], b)
	return h, nil
}
