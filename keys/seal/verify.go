package seal

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"

	"vellum.dev/vellum/keys/seallog"
)

// Report is what Verify found. Every field is filled in as far as the .seal
// file could be read, whether or not a check failed.
type Report struct {
	Digest     [32]byte // D in the seal
	Document   [32]byte // D of the document checked
	EnvelopeID string
	SealedAt   time.Time
	SealHash   [32]byte // S
	Commitment [32]byte // C
	Signers    []SignerReport
	// Log is where the log places the seal; nil unless the proof verified.
	Log *seallog.Inclusion
}

// SignerReport is one signer's line of a Report.
type SignerReport struct {
	Signer      Signer
	SignedAt    time.Time   // zero if the signer has no statement
	Attestation Attestation // zero if the signer has no statement
	// Err is nil when the signer's statement verifies and binds this seal;
	// otherwise a *SignerError wrapping ErrMissingSignature,
	// ErrBadSignature or ErrSignerMismatch.
	Err error
}

// Verify checks a document against its .seal file, offline, with the
// pinned log verifier: it hashes the document as a stream, then runs
// VerifyDigest.
func Verify(document io.Reader, sealFile []byte, log note.Verifier) (*Report, error) {
	d, err := HashFile(document)
	if err != nil {
		return nil, err
	}
	return VerifyDigest(d, sealFile, log)
}

// VerifyDigest checks the .seal file for a document whose SHA-256 is
// digest. A .seal file that does not parse gives no report and an error
// wrapping ErrMalformed, ErrTooLarge or ErrUnsupported. Otherwise it runs
// every check and returns the report with the failures joined (nil if
// none): ErrHashMismatch; each signer's failure as a *SignerError;
// ErrSignerMismatch for a statement by a key that is no signer's;
// ErrLogKeyMismatch; ErrProofInvalid with the seallog error that says why.
func VerifyDigest(digest [32]byte, sealFile []byte, log note.Verifier) (*Report, error) {
	f, s, p, leaf, err := parseFile(sealFile)
	if err != nil {
		return nil, err
	}
	r := &Report{Digest: s.Digest, Document: digest, EnvelopeID: s.EnvelopeID, SealedAt: s.SealedAt,
		SealHash: sha256.Sum256(f.Seal), Commitment: s.Commitment(), Signers: make([]SignerReport, len(s.Signers))}
	var errs []error

	if digest != s.Digest {
		errs = append(errs, ErrHashMismatch)
	}

	matched := make([]bool, len(s.Signatures))
	for i, c := range s.checkSigners() {
		r.Signers[i] = SignerReport{Signer: s.Signers[i], Err: c.err}
		if c.index >= 0 {
			matched[c.index] = true
			r.Signers[i].SignedAt = s.Signatures[c.index].Statement.SignedAt
			r.Signers[i].Attestation = s.Signatures[c.index].Statement.Attestation
		}
		if c.err != nil {
			errs = append(errs, c.err)
		}
	}
	for j, ok := range matched {
		if !ok {
			errs = append(errs, fmt.Errorf("seal: statement %d is by a key that is not a signer's: %w", j, ErrSignerMismatch))
		}
	}

	if !leafMatches(leaf, s, f.Seal) {
		errs = append(errs, fmt.Errorf("%w: the log entry is for another seal: %w", ErrProofInvalid, seallog.ErrWrongLeaf))
	} else if inc, err := p.Verify(leaf, log); errors.Is(err, seallog.ErrLogKeyMismatch) {
		errs = append(errs, err)
	} else if err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrProofInvalid, err))
	} else {
		r.Log = inc
	}
	return r, errors.Join(errs...)
}
