package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"

	"vellum.dev/vellum/protocol"
)

// uploader is the sending end of an upload session: an io.Writer of
// ciphertext that cuts it into chunks and sends each in order with
// PUT …/uploads/{id}?offset=N.
//
// Only the chunk in flight is kept: the server stores a chunk and its new
// offset in one synced batch, so after a dropped connection it holds either
// everything before the chunk (send it again) or everything through it (go
// on). The uploader asks which (GET …/uploads/{id}) and resumes; any other
// answer is ErrUploadLost. Memory is one chunk, whatever the size.
type uploader struct {
	c        *Client
	ctx      context.Context
	tenantID string
	uploadID string
	docID    string
	total    int64
	offset   int64
	buf      []byte
	sum      hash.Hash
}

func newUploader(ctx context.Context, c *Client, tenantID string, up *protocol.Upload) *uploader {
	chunk := c.chunkSize
	if up.ChunkSize > 0 && up.ChunkSize < chunk {
		chunk = up.ChunkSize
	}
	chunk = min(chunk, protocol.MaxChunk)
	return &uploader{
		c: c, ctx: ctx, tenantID: tenantID, uploadID: up.UploadID, docID: up.DocumentID,
		total: up.Size, buf: make([]byte, 0, chunk), sum: sha256.New(),
	}
}

// Write buffers ciphertext and sends every full chunk.
func (u *uploader) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), cap(u.buf)-len(u.buf))
		u.buf = append(u.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(u.buf) == cap(u.buf) {
			if err := u.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush sends what is buffered as one chunk.
func (u *uploader) flush() error {
	if len(u.buf) == 0 {
		return nil
	}
	if u.offset+int64(len(u.buf)) > u.total {
		return fmt.Errorf("client: upload: %w: more ciphertext than announced", ErrSizeMismatch)
	}
	if err := u.send(u.buf); err != nil {
		return err
	}
	u.sum.Write(u.buf)
	u.buf = u.buf[:0]
	return nil
}

// send sends one chunk at u.offset, resuming after transport failures and
// offset conflicts by asking the server what it holds.
func (u *uploader) send(chunk []byte) error {
	end := u.offset + int64(len(chunk))
	err := u.put(chunk)
	for attempt := 1; err != nil; attempt++ {
		if !resumable(err) || attempt > u.c.retries {
			return err
		}
		if werr := u.c.sleep(u.ctx, attempt); werr != nil {
			return werr
		}
		var st protocol.Upload
		if gerr := u.c.do(u.ctx, call(rUploadGet, "tenantId", u.tenantID, "uploadId", u.uploadID), &st); gerr != nil {
			if resumable(gerr) {
				continue // ask again after the next pause
			}
			return gerr
		}
		switch st.Received {
		case u.offset:
			err = u.put(chunk) // the chunk never landed: send it again
		case end:
			err = nil // it landed and the reply was lost
		default:
			return fmt.Errorf("client: upload %s: %w: the server holds %d bytes, this chunk is %d to %d",
				u.uploadID, ErrUploadLost, st.Received, u.offset, end)
		}
	}
	u.offset = end
	u.c.report(Progress{Op: "upload", DocumentID: u.docID, Done: u.offset, Total: u.total})
	return nil
}

// put sends one chunk once.
func (u *uploader) put(chunk []byte) error {
	r := call(rUploadChunk, "tenantId", u.tenantID, "uploadId", u.uploadID).q("offset", strconv.FormatInt(u.offset, 10))
	r.raw = chunk
	var st protocol.Upload
	if err := u.c.do(u.ctx, r, &st); err != nil {
		return err
	}
	if want := u.offset + int64(len(chunk)); st.Received != want {
		return fmt.Errorf("client: upload %s: %w: the server acknowledged %d bytes, want %d", u.uploadID, ErrInconsistent, st.Received, want)
	}
	return nil
}

// resumable reports whether a failed chunk may have landed or may land if
// sent again: a transport failure, or an offset conflict (this client's
// view of the offset is behind a reply it lost).
func resumable(err error) bool {
	if errors.Is(err, ErrNetwork) {
		return true
	}
	var pe *protocol.Error
	return errors.As(err, &pe) && (pe.Code == protocol.CodeConflict || pe.Code == protocol.CodeInternal || pe.Code == protocol.CodeRateLimited)
}

// sleep waits before retry number attempt (1, 2, …): the backoff doubled
// each time, at most maxBackoff.
func (c *Client) sleep(ctx context.Context, attempt int) error {
	d := c.backoff
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
