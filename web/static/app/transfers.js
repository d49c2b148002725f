// transfers.js: uploads and downloads with a progress bar, the speed in
// MB/s and a way to cancel. The file is read, encrypted and sent in chunks
// by the worker with backpressure, so memory stays the same whatever its
// size; a download is decrypted as it streams to the browser's downloads.

import { h, $, bytes, rate, errorBox, toast } from "./ui.js";
import { vellum } from "./state.js";
import { saveStream } from "./save.js";

// meter turns (done, total) samples into the text under a progress bar:
// how much, how fast over the last two seconds, and how long is left.
function meter() {
  const samples = [];
  const start = performance.now();
  return (done, total) => {
    const now = performance.now();
    samples.push([now, done]);
    while (samples.length > 2 && now - samples[0][0] > 2000) samples.shift();
    const [t0, d0] = samples[0];
    const speed = now > t0 ? ((done - d0) * 1000) / (now - t0) : 0;
    const overall = now > start ? (done * 1000) / (now - start) : 0;
    const shown = speed > 0 ? speed : overall;
    let text = total ? `${bytes(done)} of ${bytes(total)}` : bytes(done);
    if (shown > 0) text += ` · ${rate(shown)}`;
    if (total && shown > 0 && done < total) text += ` · ${Math.ceil((total - done) / shown)} s left`;
    return { text, speed: shown, overall };
  };
}

function panel() {
  const p = $("#transfers");
  if (!p.dataset.wired) {
    p.dataset.wired = "true";
    $("#transfers-clear").addEventListener("click", () => {
      for (const li of Array.from($("#transfer-list").children)) if (li.dataset.state !== "running") li.remove();
      if (!$("#transfer-list").children.length) p.hidden = true;
    });
  }
  p.hidden = false;
  return $("#transfer-list");
}

// pruneTransfers drops rows that finished a while ago (on navigation), so
// the panel shows what is going on, not a history.
export function pruneTransfers() {
  const list = $("#transfer-list");
  const now = Date.now();
  for (const li of Array.from(list.children)) {
    if (li.dataset.state !== "running" && now - Number(li.dataset.ended || now) > 15000) li.remove();
  }
  if (!list.children.length) $("#transfers").hidden = true;
}

// item adds a row to the transfers panel and returns its controls.
function item(kind, name, total) {
  const ctl = new AbortController();
  const bar = h("progress", { max: total > 0 ? total : 1, value: 0, "aria-label": `${kind === "upload" ? "Uploading" : "Downloading"} ${name}` });
  const status = h("p", { class: "transfer-status" }, "Starting…");
  const cancel = h("button", { type: "button", class: "link", onclick: () => ctl.abort() }, "Cancel");
  const li = h("li", { class: "transfer", dataset: { kind, name, state: "running" } },
    h("p", { class: "transfer-name" }, h("span", { class: "kind" }, kind === "upload" ? "Upload" : "Download"), " ", name),
    bar, cancel, status);
  panel().prepend(li);
  const m = meter();
  let last = { overall: 0 };
  return {
    signal: ctl.signal,
    progress(done, t) {
      bar.max = t > 0 ? t : Math.max(done, 1);
      bar.value = done;
      last = m(done, t);
      status.textContent = last.text;
      li.dataset.mbps = (last.speed / 1e6).toFixed(1);
    },
    finish(text) {
      li.dataset.state = "done";
      li.dataset.ended = String(Date.now());
      bar.value = bar.max;
      li.dataset.mbps = (last.overall / 1e6).toFixed(1);
      // An average over a blink is noise: shown from a megabyte on.
      status.textContent = text + (bar.max >= 1e6 && last.overall > 0 ? ` · average ${rate(last.overall)}` : "");
      cancel.replaceWith(h("button", { type: "button", class: "link", "aria-label": `Clear ${name} from the list`, onclick: () => {
        li.remove();
        if (!$("#transfer-list").children.length) $("#transfers").hidden = true;
      } }, "Clear"));
    },
    fail(e, context) {
      const cancelled = e && e.code === "cancelled";
      li.dataset.state = cancelled ? "cancelled" : "failed";
      li.dataset.ended = String(Date.now());
      li.dataset.code = e && e.code ? e.code : "internal";
      status.replaceChildren(cancelled ? "Cancelled." : errorBox(e, context));
      cancel.replaceWith(h("span"));
    },
  };
}

// upload sends a file (or a stream with a size) into a folder, or as a new
// version of a document. Resolves with the document, or null on failure
// (the row shows why).
export async function upload({ tid, folderId, docId, file, name, size }) {
  const label = name || file.name;
  const total = size ?? file.size;
  const it = item("upload", label, total);
  try {
    const opts = { onProgress: (d, t) => it.progress(d, t), signal: it.signal, size: file instanceof Blob ? undefined : total };
    const doc = docId
      ? await vellum.uploadVersion(tid, docId, file, opts)
      : await vellum.upload(tid, folderId, file, { ...opts, name: label });
    it.finish(`Uploaded ${bytes(total)}, encrypted in this browser`);
    return doc;
  } catch (e) {
    it.fail(e, "upload");
    return null;
  }
}

// download decrypts a document version in the worker and saves it.
export async function download({ tid, doc, version }) {
  const it = item("download", doc.name || "document", doc.size);
  try {
    const d = await vellum.download(tid, doc.id, { version, onProgress: (x, t) => it.progress(x, t), signal: it.signal });
    const how = await saveStream({ stream: d.stream, name: d.name, size: d.size, done: d.done });
    it.finish(`Decrypted ${bytes(d.size)}${how === "blob" ? " (through memory)" : ""}`);
    return true;
  } catch (e) {
    it.fail(e, "download");
    if (e && e.code !== "cancelled") toast("The download failed; see Transfers.");
    return false;
  }
}
