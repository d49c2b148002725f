// requests.js: access requests waiting for a decision. Approving wraps the
// key in this browser to the requester's key from the signed membership
// record; the server only stores the result.

import { h, page, when, toast, banner, emptyState } from "../ui.js";
import { vellum, rerender, company, membership, emailOf } from "../state.js";

async function objectName(tid, r) {
  try {
    if (r.objectKind === "folder") {
      const f = await vellum.folder(tid, r.objectId);
      return f.locked ? "a folder you cannot open" : `folder “${f.name}”`;
    }
    const d = await vellum.document(tid, r.objectId);
    return d.locked ? "a document you cannot open" : `document “${d.name}”`;
  } catch {
    return `a ${r.objectKind} you cannot open`;
  }
}

export async function view({ tid }) {
  await company(tid);
  const [list, m] = await Promise.all([vellum.pendingRequests(tid), membership(tid).catch(() => null)]);
  const mine = list.filter((r) => r.requesterId === m?.members.find((p) => p.you)?.accountId);
  const others = list.filter((r) => !mine.includes(r));
  const names = await Promise.all(others.map((r) => objectName(tid, r)));
  const rows = others.map((r, i) => h("li", { class: "request", dataset: { id: r.id, requester: emailOf(m, r.requesterId) } },
    h("p", null, h("strong", null, emailOf(m, r.requesterId)), " asks for access to ",
      h("a", { href: `#/c/${tid}/${r.objectKind === "folder" ? "f" : "d"}/${r.objectId}` }, names[i]), "."),
    r.message ? h("blockquote", null, r.message) : null,
    h("p", { class: "muted small" }, when(r.createdAt)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "primary approve", onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          await vellum.approve(tid, r.id);
          toast(`Access granted to ${emailOf(m, r.requesterId)}. Your browser wrapped the key for them.`);
          rerender();
        } catch (e) { ev.target.disabled = false; banner(e, "approve"); }
      } }, "Approve"),
      h("button", { type: "button", class: "secondary deny", onclick: async () => {
        try { await vellum.deny(tid, r.id); toast("Request denied."); rerender(); } catch (e) { banner(e); }
      } }, "Deny"))));
  return [...page("Access requests"),
    h("p", { class: "lead" }, "Only someone who holds the key can approve: approving shares it from your browser. Admins see every request but can approve only what they can open."),
    others.length ? h("ul", { class: "requests", id: "request-list" }, rows) : emptyState("No requests are waiting for you."),
    mine.length ? h("section", { class: "panel" }, h("h2", null, "Your requests"),
      h("ul", { class: "plain" }, mine.map((r) => h("li", null, `A ${r.objectKind}, asked ${when(r.createdAt)}: waiting`)))) : null];
}
