package store

import (
	"encoding/binary"
)

// The keyspace. Every key Vellum writes to Pebble is built in this file, so
// that a reviewer can see the whole layout in one table and so that two tables
// can never share a prefix by accident.
//
// A key is one prefix byte followed by fixed-width components: IDs are 16
// bytes, sequence numbers, versions and offsets are unsigned 64-bit
// big-endian (so byte order is numeric order and a prefix scan lists them in
// order). The only variable-width components are the normalized e-mail
// address and the lock-out key, which are always the last component of their
// key, so no key is a prefix of a key of another shape.
//
//	prefix  table            key after the prefix                value
//	0x00    meta             name (ASCII)                        "format": format version; "seal-size": seal log leaves (u64)
//	0x01    account          account                             Account
//	0x02    account e-mail   normalized e-mail (UTF-8)           account ID
//	0x03    unlock wrap      account ‖ wrap                      UnlockWrap
//	0x04    trusted device   account ‖ device                    Device
//	0x05    tenant           tenant                              Tenant
//	0x06    membership       tenant ‖ seq                        MembershipStatement
//	0x07    member           tenant ‖ account                    Member
//	0x08    account tenants  account ‖ tenant                    empty
//	0x09    folder           folder                              Folder
//	0x0a    folder children  tenant ‖ parent folder ‖ folder     empty (root folders have a zero parent)
//	0x0b    folder rotation  folder ‖ key version                Rotation
//	0x0c    document         document                            Document
//	0x0d    folder documents folder ‖ document                   empty
//	0x0e    version          document ‖ version                  Version
//	0x0f    chunk            blob ‖ byte offset                  ciphertext bytes
//	0x10    upload           upload                              Upload
//	0x11    upload expiry    expiry (Unix ns) ‖ upload           empty
//	0x12    grant            grant                               Grant
//	0x13    grants by holder grantee ‖ object ‖ grant            empty
//	0x14    grants by object object ‖ grant                      empty
//	0x15    access request   request                             AccessRequest
//	0x16    requests/object  object ‖ request                    empty
//	0x17    requests/tenant  tenant ‖ request                    empty
//	0x18    audit entry      tenant ‖ seq                        AuditEntry
//	0x19    audit head       tenant                              AuditHead
//	0x1a    envelope         envelope                            Envelope
//	0x1b    tenant envelopes tenant ‖ envelope                   empty
//	0x1c    signer           envelope ‖ signer                   Signer
//	0x1d    lock-out         key (bytes)                         lockout
//	0x1e    seal log hash    stored-hash index                   32-byte tlog hash
//	0x1f    seal log leaf    leaf index                          leaf bytes
//	0x20    registration     registration                        Registration (pending sign-up)
//	0x21    verification     verification                        Verification (new-device code)
//	0x22    invite           invite                              Invite
//	0x23    tenant invites   tenant ‖ invite                     empty
//	0x24    blob key wrap    blob                                BlobKey (document key wrap of a version)
//	0x25    folder key       folder ‖ key version                FolderKey (recipient of a folder key version)
//	0x26    request note     request                             the access request's message (UTF-8)
//	0x27    recovery request request                             RecoveryRequest
//	0x28    tenant recovery  tenant ‖ request                    empty
//	0x29    folder info      folder                              FolderInfo
//	0x2a    account info     account                             AccountInfo
//	0x2b    passkey          account ‖ passkey                   Passkey
//	0x2c    passkey by cred  SHA-256(credential ID)              account ‖ passkey
//	0x2d    envelope seal    envelope                            EnvelopeSeal (up to MaxSeal + MaxProof)
//
// Prefixes 0x20 to 0x2c are the API server's tables (apitables.go); 0x2d
// is the seal of a sealed envelope (esign_seal.go).
//
// A blob (0x0f) is the ciphertext of one document version; its ID is the ID
// of the upload that wrote it. A chunk's key holds the byte offset at which it
// starts, so the chunk holding any offset is one SeekLT away and the next
// chunk of a sequential read is at the current chunk's end.
//
// Values are records in core deterministic CBOR with integer keys (see
// codec.go), except where the table says otherwise. The layout of every key
// and record is part of format version formatVersion: changing one MUST bump
// it and add a migration.
const (
	pMeta          byte = 0x00
	pAccount       byte = 0x01
	pEmail         byte = 0x02
	pWrap          byte = 0x03
	pDevice        byte = 0x04
	pTenant        byte = 0x05
	pMembership    byte = 0x06
	pMember        byte = 0x07
	pAccountTenant byte = 0x08
	pFolder        byte = 0x09
	pFolderChild   byte = 0x0a
	pRotation      byte = 0x0b
	pDocument      byte = 0x0c
	pFolderDoc     byte = 0x0d
	pVersion       byte = 0x0e
	pChunk         byte = 0x0f
	pUpload        byte = 0x10
	pUploadExpiry  byte = 0x11
	pGrant         byte = 0x12
	pGrantee       byte = 0x13
	pGrantObject   byte = 0x14
	pRequest       byte = 0x15
	pRequestObject byte = 0x16
	pRequestTenant byte = 0x17
	pAuditEntry    byte = 0x18
	pAuditHead     byte = 0x19
	pEnvelope      byte = 0x1a
	pTenantEnv     byte = 0x1b
	pSigner        byte = 0x1c
	pLockout       byte = 0x1d
	pSealHash      byte = 0x1e
	pSealLeaf      byte = 0x1f
	pRegistration  byte = 0x20
	pVerification  byte = 0x21
	pInvite        byte = 0x22
	pTenantInvite  byte = 0x23
	pBlobKey       byte = 0x24
	pFolderKey     byte = 0x25
	pRequestNote   byte = 0x26
	pRecovery      byte = 0x27
	pTenantRecov   byte = 0x28
	pFolderInfo    byte = 0x29
	pAccountInfo   byte = 0x2a
	pPasskey       byte = 0x2b
	pPasskeyCred   byte = 0x2c
	pEnvelopeSeal  byte = 0x2d
)

// metaFormat is the key of the keyspace format version: 8 bytes, big-endian.
var metaFormat = []byte{pMeta, 'f', 'o', 'r', 'm', 'a', 't'}

// key builds prefix ‖ parts.
func key(prefix byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 1, n)
	k[0] = prefix
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// u64 is the big-endian encoding of v.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// prefixEnd returns the smallest key greater than every key with prefix p,
// for use as an exclusive upper bound. Prefixes here never end in 0xff bytes
// only, so the result is never nil.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func accountKey(a ID) []byte                 { return key(pAccount, a[:]) }
func emailKey(email string) []byte           { return key(pEmail, []byte(email)) }
func wrapKey(a, w ID) []byte                 { return key(pWrap, a[:], w[:]) }
func deviceKey(a, d ID) []byte               { return key(pDevice, a[:], d[:]) }
func tenantKey(t ID) []byte                  { return key(pTenant, t[:]) }
func membershipKey(t ID, seq uint64) []byte  { return key(pMembership, t[:], u64(seq)) }
func memberKey(t, a ID) []byte               { return key(pMember, t[:], a[:]) }
func accountTenantKey(a, t ID) []byte        { return key(pAccountTenant, a[:], t[:]) }
func folderKey(f ID) []byte                  { return key(pFolder, f[:]) }
func folderChildKey(t, parent, f ID) []byte  { return key(pFolderChild, t[:], parent[:], f[:]) }
func rotationKey(f ID, v uint64) []byte      { return key(pRotation, f[:], u64(v)) }
func documentKey(d ID) []byte                { return key(pDocument, d[:]) }
func folderDocKey(f, d ID) []byte            { return key(pFolderDoc, f[:], d[:]) }
func versionKey(d ID, v uint64) []byte       { return key(pVersion, d[:], u64(v)) }
func chunkKey(blob ID, off uint64) []byte    { return key(pChunk, blob[:], u64(off)) }
func uploadKey(u ID) []byte                  { return key(pUpload, u[:]) }
func uploadExpiryKey(ns uint64, u ID) []byte { return key(pUploadExpiry, u64(ns), u[:]) }
func grantKey(g ID) []byte                   { return key(pGrant, g[:]) }
func granteeKey(grantee, obj, g ID) []byte   { return key(pGrantee, grantee[:], obj[:], g[:]) }
func grantObjectKey(obj, g ID) []byte        { return key(pGrantObject, obj[:], g[:]) }
func requestKey(r ID) []byte                 { return key(pRequest, r[:]) }
func requestObjectKey(obj, r ID) []byte      { return key(pRequestObject, obj[:], r[:]) }
func requestTenantKey(t, r ID) []byte        { return key(pRequestTenant, t[:], r[:]) }
func auditEntryKey(t ID, seq uint64) []byte  { return key(pAuditEntry, t[:], u64(seq)) }
func auditHeadKey(t ID) []byte               { return key(pAuditHead, t[:]) }
func envelopeKey(e ID) []byte                { return key(pEnvelope, e[:]) }
func tenantEnvelopeKey(t, e ID) []byte       { return key(pTenantEnv, t[:], e[:]) }
func signerKey(e, s ID) []byte               { return key(pSigner, e[:], s[:]) }
func lockoutKey(k string) []byte             { return key(pLockout, []byte(k)) }
func sealHashKey(i uint64) []byte            { return key(pSealHash, u64(i)) }
func sealLeafKey(i uint64) []byte            { return key(pSealLeaf, u64(i)) }
func envelopeSealKey(e ID) []byte            { return key(pEnvelopeSeal, e[:]) }

// seqOf returns the big-endian uint64 that ends k.
func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// metaSealSize is the key of the seal log's size (number of leaves): 8 bytes,
// big-endian.
var metaSealSize = []byte{pMeta, 's', 'e', 'a', 'l', '-', 's', 'i', 'z', 'e'}
