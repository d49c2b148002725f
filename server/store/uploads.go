package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"vellum.dev/vellum/protocol"
)

// ErrExpired means an upload sat idle past its TTL and is abandoned.
var ErrExpired = errors.New("store: upload expired")

// Upload is an upload session: the ciphertext of one new document version
// arriving in chunks. Nothing of it is visible until CommitUpload, which
// makes the version visible in one synced batch. A dropped connection
// resumes at Offset, the number of bytes durably stored.
type Upload struct {
	ID     ID `cbor:"1,keyasint"`
	Tenant ID `cbor:"2,keyasint"`
	// Document is the document the version belongs to. If NewDocument, the
	// document is created by the commit, in Folder; else it MUST exist, its
	// current version MUST still be BaseVersion at commit, and it MUST still
	// be in Folder (the folder it was in when the upload began).
	Document    ID     `cbor:"3,keyasint"`
	Folder      ID     `cbor:"4,keyasint"`
	NewDocument bool   `cbor:"5,keyasint"`
	BaseVersion uint64 `cbor:"6,keyasint"`
	Account     ID     `cbor:"7,keyasint"`
	Metadata    []byte `cbor:"8,keyasint"`
	KeyVersion  uint64 `cbor:"9,keyasint"`
	// Size is the declared ciphertext size; the commit needs all of it.
	Size    uint64    `cbor:"10,keyasint"`
	Offset  uint64    `cbor:"11,keyasint"`
	Chunks  uint64    `cbor:"12,keyasint"`
	Created time.Time `cbor:"13,keyasint"`
	// Expires moves forward with every chunk: an upload is abandoned after
	// the store's upload TTL without progress.
	Expires time.Time `cbor:"14,keyasint"`
}

func checkMetadata(md []byte) error {
	if len(md) == 0 || len(md) > protocol.MaxMetadata {
		return fmt.Errorf("store: metadata of %d bytes: %w", len(md), ErrInvalid)
	}
	return nil
}

func expiryNanos(t time.Time) uint64 { return uint64(t.UnixNano()) }

// BeginUpload starts an upload. The store sets ID (if zero), Offset,
// Chunks, Created and Expires. For a new document, Document MUST be a fresh
// ID and Folder a folder of Tenant; for a new version, Document MUST be a
// document of Tenant whose current version is BaseVersion (else
// ErrConflict).
func (tx *Tx) BeginUpload(u *Upload) error {
	if u.ID.IsZero() {
		u.ID = NewID()
	}
	for _, f := range []struct {
		n  string
		id ID
	}{{"tenant", u.Tenant}, {"document", u.Document}, {"account", u.Account}} {
		if err := requireID(f.n, f.id); err != nil {
			return err
		}
	}
	if err := checkMetadata(u.Metadata); err != nil {
		return err
	}
	if u.Size == 0 || u.Size > protocol.MaxUploadSize {
		return fmt.Errorf("store: upload of %d bytes: %w", u.Size, ErrInvalid)
	}
	if ok, err := tx.exists(uploadKey(u.ID)); err != nil || ok {
		return orExists(err, "upload "+u.ID.String())
	}
	if u.NewDocument {
		if ok, err := tx.exists(documentKey(u.Document)); err != nil || ok {
			return orExists(err, "document "+u.Document.String())
		}
		f, err := tx.Folder(u.Folder)
		if err != nil {
			return err
		}
		if f.Tenant != u.Tenant {
			return fmt.Errorf("store: folder is in another tenant: %w", ErrInvalid)
		}
	} else {
		d, err := tx.Document(u.Document)
		if err != nil {
			return err
		}
		if d.Tenant != u.Tenant {
			return fmt.Errorf("store: document is in another tenant: %w", ErrInvalid)
		}
		if d.Current != u.BaseVersion {
			return fmt.Errorf("store: upload based on version %d, document is at %d: %w", u.BaseVersion, d.Current, ErrConflict)
		}
		u.Folder = d.Folder
	}
	now := tx.s.now().UTC()
	u.Offset, u.Chunks, u.Created, u.Expires = 0, 0, now, now.Add(tx.s.uploadTTL)
	if err := tx.set(uploadKey(u.ID), u); err != nil {
		return err
	}
	return tx.setRaw(uploadExpiryKey(expiryNanos(u.Expires), u.ID), nil)
}

// Upload returns an upload in progress, or ErrNotFound (never begun,
// committed, aborted or swept). Its Offset is where a resumed upload
// continues.
func (v View) Upload(id ID) (*Upload, error) {
	u := new(Upload)
	if err := v.getRecord(uploadKey(id), u); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("upload", id)
		}
		return nil, err
	}
	return u, nil
}

// OffsetError is returned (wrapping ErrConflict) by PutChunk when a chunk
// does not start where the upload stands: the client resumes at Expected.
type OffsetError struct{ Got, Expected uint64 }

func (e *OffsetError) Error() string {
	return fmt.Sprintf("store: chunk at offset %d, upload is at %d", e.Got, e.Expected)
}

func (e *OffsetError) Unwrap() error { return ErrConflict }

// PutChunk appends a chunk of at most protocol.MaxChunk bytes to an upload
// at offset, which MUST be the upload's current Offset (else an
// *OffsetError). The chunk and the new offset are written in one batch,
// synced before PutChunk returns: the returned offset is durable. data is
// not retained.
func (s *Store) PutChunk(upload ID, offset uint64, data []byte) (uint64, error) {
	if len(data) == 0 || len(data) > protocol.MaxChunk {
		return 0, fmt.Errorf("store: chunk of %d bytes: %w", len(data), ErrInvalid)
	}
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	m := s.stripe(upload)
	m.Lock()
	locked := true
	defer func() {
		if locked {
			m.Unlock()
		}
	}()
	u := new(Upload)
	b, err := getFrom(s.db, uploadKey(upload))
	if errors.Is(err, ErrNotFound) {
		return 0, notFound("upload", upload)
	}
	if err != nil {
		return 0, err
	}
	if err := decode(b, u); err != nil {
		return 0, err
	}
	now := s.now().UTC()
	if !now.Before(u.Expires) {
		return 0, fmt.Errorf("store: upload %s: %w", upload, ErrExpired)
	}
	if offset != u.Offset {
		return 0, fmt.Errorf("store: upload %s: %w", upload, &OffsetError{Got: offset, Expected: u.Offset})
	}
	if u.Offset+uint64(len(data)) > u.Size {
		return 0, fmt.Errorf("store: chunk ends at %d, past the declared size %d: %w", u.Offset+uint64(len(data)), u.Size, ErrInvalid)
	}
	batch := s.db.NewBatchWithSize(len(data) + 512)
	defer batch.Close()
	oldExpiry := uploadExpiryKey(expiryNanos(u.Expires), u.ID)
	u.Offset += uint64(len(data))
	u.Chunks++
	u.Expires = now.Add(s.uploadTTL)
	rec, err := encode(u)
	if err != nil {
		return 0, err
	}
	for _, op := range []error{
		batch.Set(chunkKey(upload, offset), data, nil),
		batch.Set(uploadKey(upload), rec, nil),
		batch.Delete(oldExpiry, nil),
		batch.Set(uploadExpiryKey(expiryNanos(u.Expires), u.ID), nil, nil),
	} {
		if op != nil {
			return 0, fmt.Errorf("store: %w", op)
		}
	}
	if err := s.db.ApplyNoSyncWait(batch, pebble.Sync); err != nil {
		return 0, fmt.Errorf("store: committing chunk: %w", err)
	}
	m.Unlock()
	locked = false
	if err := batch.SyncWait(); err != nil {
		return 0, fmt.Errorf("store: syncing chunk: %w", err)
	}
	return u.Offset, nil
}

// CommitUpload makes a complete upload the document's newest version: the
// version record, the document record (created for a new document) and the
// removal of the upload session are one batch. An upload whose Offset is
// short of its Size is not committed (ErrConflict), nor one whose document
// moved on since it began (ErrConflict), nor one that expired (ErrExpired).
func (tx *Tx) CommitUpload(id ID, statement []byte) (*Version, error) {
	if len(statement) > protocol.MaxVersionStatement {
		return nil, fmt.Errorf("store: version statement of %d bytes: %w", len(statement), ErrInvalid)
	}
	tx.lockUpload(id)
	u, err := tx.Upload(id)
	if err != nil {
		return nil, err
	}
	now := tx.s.now().UTC()
	if !now.Before(u.Expires) {
		return nil, fmt.Errorf("store: upload %s: %w", id, ErrExpired)
	}
	if u.Offset != u.Size {
		return nil, fmt.Errorf("store: upload %s has %d of %d bytes: %w", id, u.Offset, u.Size, ErrConflict)
	}
	var d *Document
	if u.NewDocument {
		if ok, err := tx.exists(documentKey(u.Document)); err != nil || ok {
			return nil, orExists(err, "document "+u.Document.String())
		}
		if _, err := tx.Folder(u.Folder); err != nil {
			return nil, err
		}
		d = &Document{ID: u.Document, Tenant: u.Tenant, Folder: u.Folder, Created: now, Creator: u.Account}
		if err := tx.setRaw(folderDocKey(u.Folder, u.Document), nil); err != nil {
			return nil, err
		}
	} else {
		if d, err = tx.Document(u.Document); err != nil {
			return nil, err
		}
		if d.Current != u.BaseVersion {
			return nil, fmt.Errorf("store: upload based on version %d, document is at %d: %w", u.BaseVersion, d.Current, ErrConflict)
		}
		// Its key was wrapped to the folder the document was in when the
		// upload began; after a move, that wrap opens for the wrong people.
		if d.Folder != u.Folder {
			return nil, fmt.Errorf("store: document %s moved since upload %s began: %w", d.ID, id, ErrConflict)
		}
	}
	d.Current++
	d.Updated = now
	ver := &Version{
		Document: d.ID, N: d.Current, Blob: u.ID, Size: u.Size, Metadata: u.Metadata,
		KeyVersion: u.KeyVersion, Uploader: u.Account, Created: now, Statement: statement,
	}
	if err := tx.set(versionKey(d.ID, ver.N), ver); err != nil {
		return nil, err
	}
	if err := tx.set(documentKey(d.ID), d); err != nil {
		return nil, err
	}
	if err := tx.del(uploadKey(id)); err != nil {
		return nil, err
	}
	return ver, tx.del(uploadExpiryKey(expiryNanos(u.Expires), id))
}

// AbortUpload deletes an upload and every chunk it stored.
func (tx *Tx) AbortUpload(id ID) error {
	tx.lockUpload(id)
	u, err := tx.Upload(id)
	if err != nil {
		return err
	}
	return tx.deleteUpload(u)
}

func (tx *Tx) deleteUpload(u *Upload) error {
	if err := tx.delPrefix(key(pChunk, u.ID[:])); err != nil {
		return err
	}
	if err := tx.del(uploadExpiryKey(expiryNanos(u.Expires), u.ID)); err != nil {
		return err
	}
	return tx.del(uploadKey(u.ID))
}

// sweepBatch bounds the uploads one SweepUploads transaction deletes.
const sweepBatch = 256

// SweepUploads deletes every upload that has been idle past the upload TTL,
// with its chunks, and returns how many it deleted. Run it periodically.
func (s *Store) SweepUploads() (int, error) {
	total := 0
	for {
		n := 0
		err := s.Update(func(tx *Tx) error {
			now := expiryNanos(tx.s.now())
			var due []ID
			err := tx.r.scan([]byte{pUploadExpiry}, false, func(k, _ []byte) (bool, error) {
				if len(k) != 1+8+16 {
					return false, fmt.Errorf("store: bad upload expiry key: %w", ErrCorrupt)
				}
				if seqOf(k[:9]) > now {
					return false, nil
				}
				var id ID
				copy(id[:], k[9:])
				due = append(due, id)
				return len(due) < sweepBatch, nil
			})
			if err != nil {
				return err
			}
			for _, id := range due {
				tx.lockUpload(id)
				u, err := tx.Upload(id)
				if err != nil {
					return err
				}
				if expiryNanos(u.Expires) > now {
					continue // a chunk arrived since the scan
				}
				if err := tx.deleteUpload(u); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}
