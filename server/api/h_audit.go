package api

import (
	"bufio"
	"encoding/binary"

	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/protocol/auditlog"
	"vellum.dev/vellum/server/audit"
	"vellum.dev/vellum/server/store"
)

func (a *API) auditHandlers() map[string]handler {
	return map[string]handler{
		"audit.list":   a.auditList,
		"audit.export": a.auditExport,
		"audit.head":   a.auditHead,
	}
}

// auditCursor encodes the last seq of a page as an opaque cursor.
func auditCursor(seq uint64) string {
	return b64url.EncodeToString(binary.BigEndian.AppendUint64(nil, seq))
}

func parseAuditCursor(s string) (uint64, error) {
	b, err := b64url.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, badRequest("cursor is not one this server made")
	}
	return binary.BigEndian.Uint64(b), nil
}

// auditList pages through the tenant's chain, oldest first, with each
// entry's event bytes and chain hash, so the client can check the chain.
func (a *API) auditList(c *call) (any, error) {
	pg, err := c.page()
	if err != nil {
		return nil, err
	}
	from := uint64(1)
	if pg.Cursor != "" {
		last, err := parseAuditCursor(pg.Cursor)
		if err != nil {
			return nil, err
		}
		from = last + 1
	}
	es, err := audit.Entries(a.st, c.tenant.ID, from, pg.Limit+1)
	if err != nil {
		return nil, err
	}
	out := &protocol.AuditPage{Events: []protocol.AuditEvent{}}
	if len(es) > pg.Limit {
		es = es[:pg.Limit]
		out.NextCursor = auditCursor(es[len(es)-1].Event.Seq)
	}
	for _, e := range es {
		out.Events = append(out.Events, protocol.AuditEvent{Seq: e.Event.Seq, Entry: e.Raw, Hash: e.Hash[:]})
	}
	return out, nil
}

// auditExport records the export, then streams the whole chain as JSON
// lines (server/audit's export format, which auditlog.VerifyExport checks).
func (a *API) auditExport(c *call) (any, error) {
	if err := a.st.Update(func(tx *store.Tx) error {
		return c.event(tx, c.tenant.ID, auditlog.KindAuditExported)
	}); err != nil {
		return nil, err
	}
	tid := c.tenant.ID
	c.ctx.SetContentType("application/octet-stream")
	c.ctx.Response.Header.Set("Content-Disposition", "attachment")
	c.ctx.SetStatusCode(200)
	c.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		if _, err := audit.Export(w, a.st, tid); err != nil {
			// The status is sent; a cut export fails the reader's check.
			a.logger.Error("api: audit export failed", "tenant", tid.String(), "err", err)
		}
	})
	return nil, nil
}

func (a *API) auditHead(c *call) (any, error) {
	h, err := a.st.AuditHead(c.tenant.ID)
	if err != nil {
		return nil, err
	}
	if h.Seq == 0 {
		g := auditlog.Genesis(c.tenant.ID)
		return &protocol.AuditHead{Seq: 0, Hash: g[:], Time: c.tenant.Created}, nil
	}
	es, err := audit.Entries(a.st, c.tenant.ID, h.Seq, 1)
	if err != nil {
		return nil, err
	}
	if len(es) != 1 {
		return nil, notFound("audit head")
	}
	return &protocol.AuditHead{Seq: h.Seq, Hash: h.Hash[:], Time: es[0].Event.Time.UTC()}, nil
}
