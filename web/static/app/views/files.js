// files.js: a company's folders and the documents in them. Names are
// decrypted in the worker; a folder or document this account holds no key
// of is shown locked, with a way to ask for access. Files are uploaded by
// dragging them onto the folder or with the Upload button.

import { h, field, page, emptyState, bytes, when, toast, confirmDialog, formDialog, copyText, banner, errorBox } from "../ui.js";
import { vellum, go, rerender, company, isAdmin, stillMember } from "../state.js";
import * as transfers from "../transfers.js";
import { shareDialog, requestAccess } from "../share.js";

const folderHref = (tid, fid) => `#/c/${tid}/f/${fid}`;
const docHref = (tid, did) => `#/c/${tid}/d/${did}`;

async function newFolder(tid, parentId) {
  const f = await formDialog({
    title: parentId ? "New folder inside this folder" : "New folder",
    fields: [field({ label: "Folder name", name: "name", id: "folder-name", required: true, maxlength: "255",
      hint: "Encrypted in this browser: the server never sees it." })],
    submit: "Create folder",
    onSubmit: ({ name }) => {
      if (!name.trim()) throw { code: "invalid", message: "enter a name" };
      return vellum.createFolder(tid, parentId, name);
    },
  });
  if (f) {
    toast(`Folder “${f.name}” created.`);
    go(`/c/${tid}/f/${f.id}`);
  }
}

function folderList(tid, folders) {
  return h("ul", { class: "folders", id: "folder-list" }, folders.map((f) => h("li", { class: f.locked ? "folder locked" : "folder", dataset: { name: f.name, id: f.id } },
    h("a", { href: folderHref(tid, f.id) },
      h("span", { class: "icon", "aria-hidden": "true" }, f.locked ? "🔒" : "📁"),
      f.locked ? h("span", null, "Locked folder ", h("span", { class: "muted" }, "(you hold no key)")) : h("span", { class: "folder-name" }, f.name)),
    h("span", { class: "muted small" }, when(f.updatedAt)))));
}

// docLabel is a document's name in a list, or what stands for it.
function docLabel(d) {
  if (unsigned(d)) return "⚠ Not signed by its uploader: do not trust it";
  return d.locked ? "🔒 Locked document" : d.name;
}

// sharedList shows the documents shared with this account one by one: a
// member given a document but not its folder finds it nowhere else.
function sharedList(tid, docs) {
  const rows = docs.map((d) => h("tr", { dataset: { name: d.locked ? "" : d.name, id: d.id, state: unsigned(d) ? "unsigned" : d.locked ? "locked" : "ok" } },
    h("th", { scope: "row" }, h("a", { href: docHref(tid, d.id) }, docLabel(d))),
    h("td", null, d.locked ? "" : bytes(d.size)),
    h("td", null, when(d.updatedAt)),
    h("td", { class: "row-actions" }, d.locked ? null
      : h("button", { type: "button", class: "secondary small download", onclick: () => transfers.download({ tid, doc: d }), "aria-label": `Download ${d.name}` }, "Download"))));
  return h("section", { class: "panel", "aria-labelledby": "shared-heading", id: "shared-with-me" },
    h("h2", { id: "shared-heading" }, "Shared with you"),
    h("div", { class: "table-wrap" }, h("table", { class: "docs", id: "shared-table" },
      h("caption", { class: "visually-hidden" }, "Documents shared with you one by one"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Size"), h("th", { scope: "col" }, "Modified"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", null, rows))));
}

export async function root({ tid }) {
  const c = await company(tid);
  const [folders, shared] = await Promise.all([vellum.folders(tid, ""), vellum.sharedWithMe(tid)]);
  const toolbar = h("div", { class: "toolbar" },
    h("button", { type: "button", class: "primary", id: "new-folder", onclick: () => newFolder(tid, "") }, "New folder"));
  return [...page(`${c.name || "Company"} · Files`), toolbar,
    folders.length
      ? h("section", { class: "panel", "aria-label": "Folders" }, folderList(tid, folders))
      : emptyState(isAdmin(c)
        ? "No folders yet. Create one, then drag files onto it to upload them."
        : shared.length
          ? "No folder is shared with you yet; the documents below are."
          : "No folder is shared with you yet. Ask a colleague to share one, or open a link they sent you."),
    shared.length ? sharedList(tid, shared) : null,
  ];
}

// breadcrumbs walks up the folder's parents (each a request; a few levels).
async function breadcrumbs(tid, f, c) {
  const trail = [];
  let cur = f;
  for (let i = 0; i < 8 && cur && cur.parentId; i++) {
    try {
      cur = await vellum.folder(tid, cur.parentId);
      trail.unshift(cur);
    } catch {
      break;
    }
  }
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null,
    h("li", null, h("a", { href: `#/c/${tid}` }, c.name || "Files")),
    trail.map((p) => h("li", null, h("a", { href: folderHref(tid, p.id) }, p.locked ? "Locked folder" : p.name))),
    h("li", null, h("span", { "aria-current": "page" }, f.locked ? "Locked folder" : f.name))));
}

// unsigned says whether a document failed its uploader's signature check:
// the server may have made it, so it is shown as a warning, never opened.
const unsigned = (d) => d.locked && d.error && d.error.code === "version_not_signed";

// noAccess is the page of a folder or document this account cannot open.
export function noAccess({ tid, kind, id, err, c }) {
  const what = kind === "folder" ? "folder" : "document";
  if (err && err.code === "version_not_signed") {
    return [...page("This document is not signed by its uploader"), errorBox(err, what),
      h("p", null, h("a", { href: `#/c/${tid}` }, "Back to the company's files"))];
  }
  return [...page(`You do not have access to this ${what}`),
    errorBox(err || { code: "no_access", message: "" }, what),
    c ? requestAccess({ tid, kind, id }) : null,
    h("p", null, h("a", { href: `#/c/${tid}` }, "Back to the company's files"))];
}

export async function folder({ tid, fid }) {
  const c = await company(tid);
  let f;
  try {
    f = await vellum.folder(tid, fid);
  } catch (e) {
    if (e.code === "forbidden") {
      await stillMember(tid);
      return noAccess({ tid, kind: "folder", id: fid, err: e, c });
    }
    throw e;
  }
  if (f.locked) {
    return [await breadcrumbs(tid, f, c), ...noAccess({ tid, kind: "folder", id: fid, err: f.error, c }),
      isAdmin(c) ? h("section", { class: "panel" }, h("h2", null, "Manage"), h("p", null, "As an admin you can delete this folder, though you cannot open it."),
        h("button", { type: "button", class: "danger", onclick: () => deleteFolder(tid, f) }, "Delete folder")) : null];
  }
  const [subfolders, docs] = await Promise.all([vellum.folders(tid, fid), vellum.documents(tid, fid)]);

  const input = h("input", { type: "file", multiple: true, id: "upload-input", class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });
  const startUploads = async (fileList) => {
    const list = Array.from(fileList || []);
    if (!list.length) return;
    const results = await Promise.all(list.map((file) => transfers.upload({ tid, folderId: fid, file })));
    if (results.some(Boolean)) refreshDocs();
  };
  input.addEventListener("change", () => { startUploads(input.files); input.value = ""; });

  const docsHolder = h("div", { id: "documents" });
  const refreshDocs = async () => {
    try {
      const fresh = await vellum.documents(tid, fid);
      docsHolder.replaceChildren(docTable(tid, fresh, refreshDocs));
    } catch (e) {
      banner(e, "folder");
    }
  };
  docsHolder.append(docTable(tid, docs, refreshDocs));

  const drop = h("section", { class: "dropzone", id: "dropzone", "aria-label": "Documents. Drop files here to upload them." },
    h("div", { class: "dropzone-hint", "aria-hidden": "true" }, "Drop files to encrypt and upload them"),
    subfolders.length ? h("div", null, h("h2", null, "Folders"), folderList(tid, subfolders)) : null,
    h("h2", null, "Documents"), docsHolder);
  let depth = 0;
  drop.addEventListener("dragenter", (ev) => { if (hasFiles(ev)) { ev.preventDefault(); depth++; drop.classList.add("dragging"); } });
  drop.addEventListener("dragover", (ev) => { if (hasFiles(ev)) { ev.preventDefault(); ev.dataTransfer.dropEffect = "copy"; } });
  drop.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) drop.classList.remove("dragging"); });
  drop.addEventListener("drop", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    drop.classList.remove("dragging");
    startUploads(ev.dataTransfer.files);
  });

  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Folder actions" },
    h("button", { type: "button", class: "primary", id: "upload-button", onclick: () => input.click() }, "Upload files"),
    h("button", { type: "button", class: "secondary", id: "new-subfolder", onclick: () => newFolder(tid, fid) }, "New folder"),
    h("button", { type: "button", class: "secondary", id: "share-folder", onclick: () => shareDialog({ tid, kind: "folder", id: fid, name: f.name }) }, "Share folder"),
    h("button", { type: "button", class: "secondary", id: "rename-folder", onclick: () => renameFolder(tid, f) }, "Rename"),
    h("button", { type: "button", class: "secondary", id: "copy-folder-link", onclick: () => copyText(location.origin + "/" + folderHref(tid, fid), "Link") }, "Copy link"),
    h("button", { type: "button", class: "danger", id: "delete-folder", onclick: () => deleteFolder(tid, f) }, "Delete"));

  return [await breadcrumbs(tid, f, c), ...page(f.name), toolbar, input,
    h("p", { class: "hint" }, "Drag files here, or use Upload files. Each file is encrypted in this browser before any byte is sent."),
    drop];
}

function hasFiles(ev) {
  return ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes("Files");
}

function docTable(tid, docs, refresh) {
  if (!docs.length) return emptyState("No documents here yet. Drop files here or use Upload files.");
  const rows = docs.map((d) => {
    const actions = unsigned(d)
      ? h("td", { class: "row-actions" },
        h("button", { type: "button", class: "danger small delete", onclick: () => deleteDocument(tid, d, refresh), "aria-label": "Delete the unsigned document" }, "Delete"))
      : d.locked
      ? h("td", null, h("a", { href: docHref(tid, d.id), class: "button secondary small" }, "Request access"))
      : h("td", { class: "row-actions" },
        h("button", { type: "button", class: "secondary small download", onclick: () => transfers.download({ tid, doc: d }), "aria-label": `Download ${d.name}` }, "Download"),
        h("button", { type: "button", class: "secondary small share", onclick: () => shareDialog({ tid, kind: "document", id: d.id, name: d.name }), "aria-label": `Share ${d.name}` }, "Share"),
        h("button", { type: "button", class: "secondary small rename", onclick: () => renameDocument(tid, d, refresh), "aria-label": `Rename ${d.name}` }, "Rename"),
        h("button", { type: "button", class: "secondary small move", onclick: () => moveDocument(tid, d, refresh), "aria-label": `Move ${d.name}` }, "Move"),
        h("button", { type: "button", class: "danger small delete", onclick: () => deleteDocument(tid, d, refresh), "aria-label": `Delete ${d.name}` }, "Delete"));
    return h("tr", { dataset: { name: d.locked ? "" : d.name, id: d.id, state: unsigned(d) ? "unsigned" : d.locked ? "locked" : "ok" } },
      h("th", { scope: "row" }, h("a", { href: docHref(tid, d.id) }, docLabel(d))),
      h("td", null, d.locked ? "" : bytes(d.size)),
      h("td", null, when(d.updatedAt)),
      h("td", null, String(d.version)),
      actions);
  });
  return h("div", { class: "table-wrap" }, h("table", { class: "docs", id: "doc-table" },
    h("caption", { class: "visually-hidden" }, "Documents in this folder"),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Size"), h("th", { scope: "col" }, "Modified"),
      h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
    h("tbody", null, rows)));
}

export async function renameDocument(tid, d, after) {
  const r = await formDialog({
    title: `Rename “${d.name}”`,
    intro: h("p", { class: "hint" }, "The new name is encrypted in this browser; the server never sees it."),
    fields: [field({ label: "New name", name: "name", id: "rename-input", required: true, value: d.name, maxlength: "255" })],
    submit: "Rename",
    onSubmit: ({ name }) => {
      if (!name.trim()) throw { code: "invalid", message: "enter a name" };
      return vellum.renameDocument(tid, d.id, name);
    },
  });
  if (r) {
    toast(`Renamed to “${r.name}”.`);
    after();
  }
}

// openFolders lists the folders this account can open, breadth first
// (a bounded walk: each level is a request).
async function openFolders(tid) {
  const out = [];
  let level = [{ id: "", path: "" }];
  for (let depth = 0; depth < 6 && level.length && out.length < 200; depth++) {
    const next = [];
    for (const parent of level) {
      const fs = await vellum.folders(tid, parent.id).catch(() => []);
      for (const f of fs) {
        if (f.locked) continue;
        const path = parent.path ? `${parent.path} / ${f.name}` : f.name;
        out.push({ id: f.id, path });
        next.push({ id: f.id, path });
      }
    }
    level = next;
  }
  return out;
}

export async function moveDocument(tid, d, after) {
  const folders = (await openFolders(tid)).filter((f) => f.id !== d.folderId);
  if (!folders.length) {
    toast("There is no other folder you can open to move it to.");
    return;
  }
  const r = await formDialog({
    title: `Move “${d.name}”`,
    intro: h("p", { class: "hint" }, "Your browser wraps the document's keys to the destination folder's key: its members can open it, and the members of this folder no longer can."),
    fields: [field({ label: "Destination folder", name: "folder", id: "move-folder", type: "select", required: true, options: folders.map((f) => [f.id, f.path]) })],
    submit: "Move",
    onSubmit: ({ folder }) => vellum.moveDocument(tid, d.id, folder),
  });
  if (r) {
    toast(`Moved “${d.name}”.`);
    after(r);
  }
}

export async function deleteDocument(tid, d, after) {
  const what = d.name ? `“${d.name}”` : "this document"; // no name: locked or unsigned
  const ok = await confirmDialog({ title: `Delete ${what}?`, body: "The document and all its versions are deleted for everyone. This cannot be undone.", confirm: "Delete", danger: true });
  if (!ok) return;
  try {
    await vellum.deleteDocument(tid, d.id);
    toast(d.name ? `${what} was deleted.` : "The document was deleted.");
    after();
  } catch (e) {
    banner(e, "document");
  }
}

async function renameFolder(tid, f) {
  const r = await formDialog({
    title: `Rename “${f.name}”`,
    fields: [field({ label: "New name", name: "name", id: "rename-input", required: true, value: f.name, maxlength: "255" })],
    submit: "Rename",
    onSubmit: async ({ name }) => {
      if (!name.trim()) throw { code: "invalid", message: "enter a name" };
      await vellum.renameFolder(tid, f.id, name);
      return name;
    },
  });
  if (r) {
    toast(`Renamed to “${r}”.`);
    rerender();
  }
}

async function deleteFolder(tid, f) {
  const ok = await confirmDialog({ title: "Delete this folder?", body: "The folder and everything in it are deleted for everyone. This cannot be undone.", confirm: "Delete folder", danger: true });
  if (!ok) return;
  try {
    await vellum.deleteFolder(tid, f.id);
    toast("The folder was deleted.");
    go(f.parentId ? `/c/${tid}/f/${f.parentId}` : `/c/${tid}`);
  } catch (e) {
    banner(e, "folder");
  }
}
