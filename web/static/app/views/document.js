// document.js: one document: download, new version, rename, share, delete,
// its versions and who it is shared with directly.

import { h, page, bytes, when, toast, copyText, banner } from "../ui.js";
import { vellum, go, rerender, company, membership, emailOf, isAdmin, stillMember } from "../state.js";
import * as transfers from "../transfers.js";
import { shareDialog } from "../share.js";
import { noAccess, renameDocument, moveDocument, deleteDocument } from "./files.js";

export async function view({ tid, did }) {
  const c = await company(tid);
  let d;
  try {
    d = await vellum.document(tid, did);
  } catch (e) {
    if (e.code === "forbidden" || e.code === "no_access") {
      await stillMember(tid);
      return noAccess({ tid, kind: "document", id: did, err: e, c });
    }
    throw e;
  }
  if (d.locked) return noAccess({ tid, kind: "document", id: did, err: d.error, c });
  const [versions, grants, m, folder] = await Promise.all([
    vellum.versions(tid, did),
    vellum.grants(tid, did).catch(() => []),
    membership(tid).catch(() => null),
    vellum.folder(tid, d.folderId).catch(() => null),
  ]);
  const folderName = folder && !folder.locked ? folder.name : "Folder";

  const input = h("input", { type: "file", id: "version-input", class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    const r = await transfers.upload({ tid, docId: did, file, name: d.name });
    if (r) {
      toast(`Version ${r.version} of “${d.name}” uploaded.`);
      rerender();
    }
  });

  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Document actions" },
    h("button", { type: "button", class: "primary", id: "download-doc", onclick: () => transfers.download({ tid, doc: d }) }, "Download"),
    h("button", { type: "button", class: "secondary", id: "upload-version", onclick: () => input.click() }, "Upload new version"),
    h("a", { href: `#/c/${tid}/envelopes/new?document=${encodeURIComponent(did)}`, class: "button secondary", id: "send-for-signature" }, "Send for signature"),
    h("button", { type: "button", class: "secondary", id: "share-doc", onclick: () => shareDialog({ tid, kind: "document", id: did, name: d.name }).then((x) => x && rerender()) }, "Share"),
    h("button", { type: "button", class: "secondary", id: "rename-doc", onclick: () => renameDocument(tid, d, rerender) }, "Rename"),
    h("button", { type: "button", class: "secondary", id: "move-doc", onclick: () => moveDocument(tid, d, rerender) }, "Move"),
    h("button", { type: "button", class: "secondary", id: "copy-doc-link", onclick: () => copyText(location.origin + "/#/c/" + tid + "/d/" + did, "Link") }, "Copy link"),
    h("button", { type: "button", class: "danger", id: "delete-doc", onclick: () => deleteDocument(tid, d, () => go(`/c/${tid}/f/${d.folderId}`)) }, "Delete"));

  const facts = h("dl", { class: "facts" },
    h("dt", null, "Size"), h("dd", { id: "doc-size" }, `${bytes(d.size)} (${d.size.toLocaleString()} bytes)`),
    h("dt", null, "Type"), h("dd", null, d.type || "unknown"),
    h("dt", null, "Version"), h("dd", { id: "doc-version" }, String(d.version)),
    h("dt", null, "Last changed"), h("dd", null, when(d.updatedAt)),
    h("dt", null, "Encryption"), h("dd", null, "Encrypted in the uploader's browser (age, X25519 and ChaCha20-Poly1305); the server holds ciphertext only."));

  const versionRows = versions.slice().reverse().map((v) => h("tr", { dataset: { version: String(v.version) } },
    h("th", { scope: "row" }, `Version ${v.version}`),
    h("td", null, v.locked ? "" : v.name),
    h("td", null, v.locked ? "" : bytes(v.size)),
    h("td", null, when(v.updatedAt || v.created)),
    h("td", null, m ? emailOf(m, v.createdBy) : ""),
    h("td", null, v.locked
      ? h("span", { class: "muted" }, "No key")
      : h("button", { type: "button", class: "secondary small", onclick: () => transfers.download({ tid, doc: v, version: v.version }), "aria-label": `Download version ${v.version}` }, "Download"))));

  const shared = grants.filter((g) => g.objectKind === "document");
  const canRevoke = isAdmin(c);
  const grantRows = shared.map((g) => h("li", { dataset: { grantee: g.granteeId } },
    h("span", null, m ? emailOf(m, g.granteeId) : g.granteeId),
    h("span", { class: "muted small" }, ` · shared by ${m ? emailOf(m, g.granterId) : g.granterId}, ${when(g.createdAt)}`),
    canRevoke ? h("button", { type: "button", class: "link", onclick: async () => {
      try {
        await vellum.revoke(tid, g.id);
        toast("Access removed. The server no longer serves the key to them; what they downloaded stays theirs.");
        rerender();
      } catch (e) { banner(e); }
    } }, "Remove access") : null));

  return [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null,
      h("li", null, h("a", { href: `#/c/${tid}` }, c.name || "Files")),
      h("li", null, h("a", { href: `#/c/${tid}/f/${d.folderId}`, id: "back-to-folder" }, folderName)),
      h("li", null, h("span", { "aria-current": "page" }, d.name)))),
    ...page(d.name), toolbar, input, facts,
    h("section", { class: "panel" }, h("h2", null, "Versions"),
      h("div", { class: "table-wrap" }, h("table", { id: "versions" },
        h("thead", null, h("tr", null, ["Version", "Name", "Size", "Uploaded", "By", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, versionRows)))),
    h("section", { class: "panel" }, h("h2", null, "Shared directly with"),
      shared.length ? h("ul", { class: "plain", id: "doc-grants" }, grantRows)
        : h("p", { class: "muted" }, "Nobody: only people with access to its folder can open it.")),
  ];
}
