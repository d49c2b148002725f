package store

import (
	"errors"
	"fmt"
	"time"
)

// Document is a document of a tenant, in a folder. It becomes visible only
// when the upload of its first version commits, and Current is always a
// committed version.
type Document struct {
	ID      ID        `cbor:"1,keyasint"`
	Tenant  ID        `cbor:"2,keyasint"`
	Folder  ID        `cbor:"3,keyasint"`
	Created time.Time `cbor:"4,keyasint"`
	Creator ID        `cbor:"5,keyasint"`
	// Current is the newest committed version, numbered from 1.
	Current uint64    `cbor:"6,keyasint"`
	Updated time.Time `cbor:"7,keyasint"`
}

// Version is one committed version of a document: its ciphertext is the
// blob Blob of Size bytes (an age file to the document key), its name and
// type are in Metadata (an age file too).
type Version struct {
	Document ID     `cbor:"1,keyasint"`
	N        uint64 `cbor:"2,keyasint"`
	Blob     ID     `cbor:"3,keyasint"`
	Size     uint64 `cbor:"4,keyasint"`
	Metadata []byte `cbor:"5,keyasint"`
	// KeyVersion is the folder key version the document key was wrapped
	// under when this version was uploaded.
	KeyVersion uint64    `cbor:"6,keyasint"`
	Uploader   ID        `cbor:"7,keyasint"`
	Created    time.Time `cbor:"8,keyasint"`
	// Statement is the uploader's signed version statement, opaque here
	// (the API checks it before the commit).
	Statement []byte `cbor:"9,keyasint,omitempty"`
}

// Document returns a document, or ErrNotFound.
func (v View) Document(id ID) (*Document, error) {
	d := new(Document)
	if err := v.getRecord(documentKey(id), d); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("document", id)
		}
		return nil, err
	}
	return d, nil
}

// DocumentsIn lists the documents of a folder, in ID order.
func (v View) DocumentsIn(folder ID) ([]*Document, error) {
	return getByIndex[Document](v, key(pFolderDoc, folder[:]), documentKey)
}

// Version returns version n of a document, or ErrNotFound.
func (v View) Version(doc ID, n uint64) (*Version, error) {
	r := new(Version)
	if err := v.getRecord(versionKey(doc, n), r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("store: version %d of document %s: %w", n, doc, ErrNotFound)
		}
		return nil, err
	}
	return r, nil
}

// Versions lists a document's committed versions, oldest first.
func (v View) Versions(doc ID) ([]*Version, error) {
	return scanRecords[Version](v, key(pVersion, doc[:]))
}

// SetVersionMetadata replaces the encrypted metadata of a committed version
// (a rename), leaving its ciphertext alone.
func (tx *Tx) SetVersionMetadata(doc ID, n uint64, metadata []byte) error {
	if err := checkMetadata(metadata); err != nil {
		return err
	}
	ver, err := tx.Version(doc, n)
	if err != nil {
		return err
	}
	ver.Metadata = metadata
	return tx.set(versionKey(doc, n), ver)
}

// RenameDocument replaces the encrypted metadata of a document's version n,
// which MUST be its current version (else ErrConflict: metadata holds the
// plaintext size of one version), and marks the document updated.
func (tx *Tx) RenameDocument(doc ID, n uint64, metadata []byte) error {
	d, err := tx.Document(doc)
	if err != nil {
		return err
	}
	if d.Current != n {
		return fmt.Errorf("store: rename of version %d, document %s is at %d: %w", n, doc, d.Current, ErrConflict)
	}
	if err := tx.SetVersionMetadata(doc, n, metadata); err != nil {
		return err
	}
	d.Updated = tx.s.now().UTC()
	return tx.set(documentKey(doc), d)
}

// MoveDocument moves a document to folder to, a folder of the document's
// tenant (else ErrInvalid), and marks it updated. The caller stores the
// document key re-wrapped to the new folder's key in the same transaction.
// Uploads of a new version that began in the old folder no longer commit
// (CommitUpload).
func (tx *Tx) MoveDocument(doc, to ID) error {
	d, err := tx.Document(doc)
	if err != nil {
		return err
	}
	f, err := tx.Folder(to)
	if err != nil {
		return err
	}
	if f.Tenant != d.Tenant {
		return fmt.Errorf("store: moving document %s to a folder of another tenant: %w", doc, ErrInvalid)
	}
	if d.Folder == to {
		return fmt.Errorf("store: document %s is already in folder %s: %w", doc, to, ErrConflict)
	}
	if err := tx.del(folderDocKey(d.Folder, doc)); err != nil {
		return err
	}
	if err := tx.setRaw(folderDocKey(to, doc), nil); err != nil {
		return err
	}
	d.Folder = to
	d.Updated = tx.s.now().UTC()
	return tx.set(documentKey(doc), d)
}

// DeleteDocument removes a document with every version, every version's
// ciphertext, and every grant and access request on it.
func (tx *Tx) DeleteDocument(id ID) error {
	d, err := tx.Document(id)
	if err != nil {
		return err
	}
	vers, err := tx.Versions(id)
	if err != nil {
		return err
	}
	for _, ver := range vers {
		if err := tx.delPrefix(key(pChunk, ver.Blob[:])); err != nil {
			return err
		}
	}
	if err := tx.delPrefix(key(pVersion, id[:])); err != nil {
		return err
	}
	if err := tx.deleteGrantsOn(id); err != nil {
		return err
	}
	reqs, err := tx.idsAfter(key(pRequestObject, id[:]))
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if err := tx.DeleteAccessRequest(r); err != nil {
			return err
		}
	}
	if err := tx.del(folderDocKey(d.Folder, id)); err != nil {
		return err
	}
	return tx.del(documentKey(id))
}
