//go:build js && wasm

package main

import (
	"encoding/hex"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/wasm/client"
)

// The results of the account functions, as plain JavaScript values: objects
// of strings, numbers and booleans, arrays, null. Times are RFC 3339 strings
// in UTC (null for none); sizes are Numbers (exact up to 2⁵³). js.ValueOf
// converts map[string]any and []any only, hence the []any everywhere.

func timeJS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func strings2JS(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// errJS describes why an item could not be opened: {code, message}.
func errJS(err error) any {
	if err == nil {
		return nil
	}
	return map[string]any{"code": string(codeOf(err)), "message": messageOf(err)}
}

func tenantJS(t *client.Tenant) map[string]any {
	return map[string]any{
		"id": t.ID, "name": t.Name, "role": t.Role.String(), "membershipSeq": float64(t.MembershipSeq),
		"recoveryEnabled": t.RecoveryEnabled, "createdAt": timeJS(t.CreatedAt),
	}
}

func memberJS(m *membership.Member, me string) map[string]any {
	return map[string]any{
		"accountId": m.AccountID, "email": m.Email, "role": m.Role.String(),
		"fingerprint": m.VerifyKey.Fingerprint(), "you": m.AccountID == me,
	}
}

func membershipJS(m *client.Membership, me string) map[string]any {
	members := make([]any, len(m.Members))
	for i := range m.Members {
		members[i] = memberJS(&m.Members[i], me)
	}
	out := map[string]any{
		"tenantId": m.TenantID, "seq": float64(m.Seq), "firstUse": m.FirstUse,
		"ownerFingerprint": m.OwnerFingerprint, "pin": hex.EncodeToString(m.Pin.Genesis[:]),
		"members": members, "recovery": nil,
	}
	if r := m.Recovery; r != nil {
		out["recovery"] = map[string]any{"threshold": r.Threshold, "holders": len(r.Holders)}
	}
	return out
}

func inviteJS(inv *protocol.Invite) map[string]any {
	out := map[string]any{
		"id": inv.InviteID, "email": inv.Email, "role": inv.Role.String(), "status": string(inv.Status),
		"createdBy": inv.CreatedBy, "createdAt": timeJS(inv.CreatedAt), "expiresAt": timeJS(inv.ExpiresAt),
		"accountId": inv.AccountID, "fingerprint": nil,
	}
	// The fingerprint an admin compares with the invitee before adding
	// them. Only a keyring whose self-signature verifies gets one.
	if len(inv.PublicKeyring) > 0 {
		if pub, err := account.ParseSignedPublicKeyring(inv.PublicKeyring); err == nil {
			out["fingerprint"] = pub.VerifyKey.Fingerprint()
		}
	}
	return out
}

func folderJS(f *client.Folder) map[string]any {
	return map[string]any{
		"id": f.ID, "parentId": f.ParentID, "name": f.Name, "locked": f.Err != nil, "error": errJS(f.Err),
		"keyVersion": float64(f.KeyVersion), "createdBy": f.CreatedBy,
		"createdAt": timeJS(f.CreatedAt), "updatedAt": timeJS(f.UpdatedAt),
	}
}

func documentJS(d *client.Document) map[string]any {
	return map[string]any{
		"id": d.ID, "folderId": d.FolderID, "version": float64(d.Version),
		"name": d.Name, "type": d.Type, "size": float64(d.Size), "created": timeJS(d.Created),
		"locked": d.Err != nil, "error": errJS(d.Err),
		"cipherSize": float64(d.CipherSize), "sealed": d.Sealed, "createdBy": d.CreatedBy, "updatedAt": timeJS(d.UpdatedAt),
	}
}

func documentsJS(ds []client.Document) []any {
	out := make([]any, len(ds))
	for i := range ds {
		out[i] = documentJS(&ds[i])
	}
	return out
}

func grantJS(g *protocol.Grant) map[string]any {
	return map[string]any{
		"id": g.GrantID, "granteeId": g.GranteeID, "granterId": g.GranterID, "objectKind": string(g.ObjectKind),
		"objectId": g.ObjectID, "keyVersion": float64(g.KeyVersion), "createdAt": timeJS(g.CreatedAt),
	}
}

func grantsJS(gs []protocol.Grant) []any {
	out := make([]any, len(gs))
	for i := range gs {
		out[i] = grantJS(&gs[i])
	}
	return out
}

func requestJS(r *protocol.AccessRequest) map[string]any {
	return map[string]any{
		"id": r.RequestID, "requesterId": r.RequesterID, "objectKind": string(r.ObjectKind), "objectId": r.ObjectID,
		"message": r.Message, "status": string(r.Status), "createdAt": timeJS(r.CreatedAt), "decidedBy": r.DecidedBy,
	}
}

func auditJS(p *client.AuditPage) map[string]any {
	events := make([]any, len(p.Events))
	for i, e := range p.Events {
		ip := ""
		if e.IP.IsValid() {
			ip = e.IP.String()
		}
		events[i] = map[string]any{
			"seq": float64(e.Seq), "time": timeJS(e.Time), "kind": e.KindName, "actor": e.Actor,
			"ip": ip, "objects": strings2JS(e.Objects), "hash": hex.EncodeToString(e.Hash[:]),
		}
	}
	return map[string]any{"events": events, "nextCursor": p.NextCursor, "verified": p.Verified}
}
