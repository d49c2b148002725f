package store

import (
	"errors"
	"fmt"
	"time"

	"vellum.dev/vellum/protocol"
)

// Folder is a folder of a tenant. Its name is inside Metadata, encrypted by
// the client. KeyVersion is the version of the folder key that new documents
// and new versions MUST use; it grows by one with each rotation.
type Folder struct {
	ID      ID        `cbor:"1,keyasint"`
	Tenant  ID        `cbor:"2,keyasint"`
	Parent  ID        `cbor:"3,keyasint"` // zero for a folder at the tenant's root
	Created time.Time `cbor:"4,keyasint"`
	Creator ID        `cbor:"5,keyasint"`
	// KeyVersion starts at 1.
	KeyVersion uint64 `cbor:"6,keyasint"`
	Metadata   []byte `cbor:"7,keyasint"`
}

// CreateFolder stores a new folder; ErrExists if the ID is taken. Its tenant
// MUST exist, and its parent (if any) MUST be a folder of the same tenant.
// A zero KeyVersion is set to 1; any other but 1 is refused.
func (tx *Tx) CreateFolder(f *Folder) error {
	if err := requireID("folder", f.ID); err != nil {
		return err
	}
	if f.KeyVersion == 0 {
		f.KeyVersion = 1
	}
	if f.KeyVersion != 1 || len(f.Metadata) > protocol.MaxMetadata {
		return fmt.Errorf("store: new folder with key version %d and %d bytes of metadata: %w", f.KeyVersion, len(f.Metadata), ErrInvalid)
	}
	if _, err := tx.Tenant(f.Tenant); err != nil {
		return err
	}
	if !f.Parent.IsZero() {
		p, err := tx.Folder(f.Parent)
		if err != nil {
			return err
		}
		if p.Tenant != f.Tenant {
			return fmt.Errorf("store: parent folder is in another tenant: %w", ErrInvalid)
		}
	}
	if ok, err := tx.exists(folderKey(f.ID)); err != nil || ok {
		return orExists(err, "folder "+f.ID.String())
	}
	if err := tx.set(folderKey(f.ID), f); err != nil {
		return err
	}
	return tx.setRaw(folderChildKey(f.Tenant, f.Parent, f.ID), nil)
}

// SetFolderMetadata replaces a folder's encrypted metadata.
func (tx *Tx) SetFolderMetadata(id ID, metadata []byte) error {
	if len(metadata) > protocol.MaxMetadata {
		return fmt.Errorf("store: folder metadata of %d bytes: %w", len(metadata), ErrInvalid)
	}
	f, err := tx.Folder(id)
	if err != nil {
		return err
	}
	f.Metadata = metadata
	return tx.set(folderKey(id), f)
}

// DeleteFolder removes an empty folder with its rotations and the grants on
// it. A folder that still holds documents or folders is not deleted
// (ErrConflict).
func (tx *Tx) DeleteFolder(id ID) error {
	f, err := tx.Folder(id)
	if err != nil {
		return err
	}
	docs, err := tx.idsAfter(key(pFolderDoc, id[:]))
	if err != nil {
		return err
	}
	subs, err := tx.idsAfter(key(pFolderChild, f.Tenant[:], id[:]))
	if err != nil {
		return err
	}
	if len(docs)+len(subs) > 0 {
		return fmt.Errorf("store: folder %s is not empty: %w", id, ErrConflict)
	}
	if err := tx.deleteGrantsOn(id); err != nil {
		return err
	}
	if err := tx.delPrefix(key(pRotation, id[:])); err != nil {
		return err
	}
	if err := tx.del(folderChildKey(f.Tenant, f.Parent, id)); err != nil {
		return err
	}
	return tx.del(folderKey(id))
}

// Folder returns a folder, or ErrNotFound.
func (v View) Folder(id ID) (*Folder, error) {
	f := new(Folder)
	if err := v.getRecord(folderKey(id), f); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, notFound("folder", id)
		}
		return nil, err
	}
	return f, nil
}

// Folders lists the folders of a tenant directly under parent (the zero ID
// for the root), in ID order.
func (v View) Folders(tenant, parent ID) ([]*Folder, error) {
	return getByIndex[Folder](v, key(pFolderChild, tenant[:], parent[:]), folderKey)
}

// Rotation records a new folder key version (DESIGN.md §2, rotation on
// removal): the statement, signed by the member who rotated, is what
// clients check; the server only keeps the versions in order.
type Rotation struct {
	Folder     ID        `cbor:"1,keyasint"`
	KeyVersion uint64    `cbor:"2,keyasint"`
	Statement  []byte    `cbor:"3,keyasint"`
	By         ID        `cbor:"4,keyasint"`
	Created    time.Time `cbor:"5,keyasint"`
}

// AppendRotation records a rotation and makes its key version the folder's
// current one. r.KeyVersion MUST be the folder's current version plus one,
// else ErrConflict (two members rotating at once: one wins).
func (tx *Tx) AppendRotation(r *Rotation) error {
	if len(r.Statement) == 0 || len(r.Statement) > protocol.MaxStatement {
		return fmt.Errorf("store: rotation statement of %d bytes: %w", len(r.Statement), ErrInvalid)
	}
	f, err := tx.Folder(r.Folder)
	if err != nil {
		return err
	}
	if r.KeyVersion != f.KeyVersion+1 {
		return fmt.Errorf("store: rotation to key version %d, folder is at %d: %w", r.KeyVersion, f.KeyVersion, ErrConflict)
	}
	if r.Created.IsZero() {
		r.Created = tx.s.now().UTC()
	}
	f.KeyVersion = r.KeyVersion
	if err := tx.set(folderKey(f.ID), f); err != nil {
		return err
	}
	return tx.set(rotationKey(f.ID, r.KeyVersion), r)
}

// Rotations lists a folder's rotations in key version order.
func (v View) Rotations(folder ID) ([]*Rotation, error) {
	return scanRecords[Rotation](v, key(pRotation, folder[:]))
}
