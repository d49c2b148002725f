// verify.js: the public verify page. The person picks (or drops) a document
// and its .seal file; the document is hashed in the worker in chunks of at
// most 1 MiB (vellum-client.js sha256), so it never leaves the browser and
// is never held whole, and the worker checks the digest against the .seal
// file with wasm/client.CheckSealDigest, the code `vellum verify` runs
// (wasm/bridge/app_verify.go). The report comes back as plain values and
// is shown as text: names in a .seal file are outside input.

import { client } from "./vellum-client.js";
import { $, h, bytes, when, errorBox, showFingerprint } from "./app/ui.js";

// The largest .seal file the worker takes (protocol.MaxSeal, 1 MiB, plus
// one byte so the verifier can say "too large" itself). A larger file is
// not read at all.
const MAX_SEAL = (1 << 20) + 1;

const vellum = client();
const chosen = { document: null, seal: null };
let runs = 0;

// The sources of the log key, as the worker names them
// (wasm/bridge/logkey.go), with what each means for the person.
const keySources = {
  "pinned in this client build": "Built into this page's client when it was built, so this server cannot change it.",
  "published by this server": "Published by the server that sent you this page: it is as trustworthy as this site. " +
    "To check without trusting it, paste the key you were given, or use the vellum command line tool.",
  "given by you": "The key you pasted, used instead of this client's own.",
};

function keyFacts(k) {
  if (!k || !k.name) return null;
  return h("dl", { class: "facts", id: "log-key-facts" },
    h("dt", null, "Name"), h("dd", null, h("code", { id: "log-key-name" }, k.name)),
    h("dt", null, "Key hash"), h("dd", null, h("code", { id: "log-key-hash" }, k.hash)),
    h("dt", null, "Source"), h("dd", { id: "log-key-source", dataset: { source: k.source } },
      capital(k.source), h("p", { class: "hint" }, keySources[k.source] || "")));
}

async function showLogKey() {
  const area = $("#log-key-current");
  try {
    const k = await vellum.call("logKey");
    if (k.name) {
      area.replaceChildren(keyFacts(k));
    } else {
      area.replaceChildren(h("p", { class: "warn", id: "log-key-missing" },
        "This client has no log key: none was built in and the server's could not be fetched",
        k.error ? ` (${k.error.message})` : "", ". Paste the key below to check the log proof."));
    }
  } catch (e) {
    area.replaceChildren(errorBox(e));
  } finally {
    // Ready for people and for the browser tests, which wait for this.
    document.documentElement.dataset.ready = "true";
  }
}

function capital(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

// choose records a picked or dropped file and says which one it is.
function choose(which, file) {
  chosen[which] = file || null;
  const hint = $(`#${which}-chosen`);
  if (!file) return;
  hint.replaceChildren(h("span", { class: "chosen" }, file.name), ` (${bytes(file.size)})`);
}

// dropped sorts the files dropped on the zone: one named *.seal is the
// seal file, another one the document.
function dropped(files) {
  for (const f of files) choose(/\.seal$/i.test(f.name) ? "seal" : "document", f);
}

// invalid is a mistake of the person's to fix; field, if given, is the
// input that fixes it, focused with the message.
function invalid(message, field) {
  return Object.assign(new Error(message), { code: "invalid", field });
}

// check refuses what cannot be a verification, before any reading.
function check() {
  const { document: doc, seal } = chosen;
  const docInput = $("#document-input");
  const sealInput = $("#seal-input");
  if (!doc && !seal) return invalid("choose the document and its .seal file", docInput);
  if (!doc) return invalid("choose the document as well: the .seal file is checked against it", docInput);
  if (!seal) return invalid("choose the .seal file as well: it holds the signatures and the log proof", sealInput);
  if (doc === seal || (doc.name === seal.name && doc.size === seal.size)) return invalid("the document and the .seal file are the same file; choose each once", sealInput);
  if (seal.size > MAX_SEAL) {
    return invalid(/\.seal$/i.test(doc.name)
      ? "the two files seem swapped: the document is the larger one, the .seal file is a few kilobytes"
      : `“${seal.name}” is ${bytes(seal.size)}: a .seal file is a few kilobytes, so this is not one`, sealInput);
  }
  return null;
}

function progress(done, total) {
  const bar = $("#progress");
  const status = $("#progress-status");
  if (total > 0) {
    bar.value = done / total;
    status.textContent = `Hashing the document in this browser: ${Math.floor((100 * done) / total)}% (${bytes(done)} of ${bytes(total)})`;
  } else {
    bar.removeAttribute("value");
    status.textContent = `Hashing the document in this browser: ${bytes(done)}`;
  }
}

async function verify(ev) {
  ev.preventDefault();
  const form = $("#verify-form");
  const errors = $("#form-error");
  const button = $("#verify-button");
  errors.replaceChildren();
  const bad = check();
  if (bad) {
    errors.replaceChildren(errorBox(bad));
    bad.field.focus();
    return;
  }
  const { document: doc, seal } = chosen;
  const logKey = $("#log-key-input").value.trim();
  const online = $("#online-input").checked;
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  $("#progress-area").hidden = false;
  progress(0, doc.size);
  try {
    const digest = await vellum.sha256(doc, progress);
    $("#progress-status").textContent = online ? "Checking the seal, and the log online…" : "Checking the seal…";
    const sealBytes = new Uint8Array(await seal.arrayBuffer());
    const opts = { online };
    if (logKey) opts.logKey = logKey;
    const report = await vellum.call("verifySeal", [digest, sealBytes, opts], [sealBytes.buffer]);
    render(report, doc, seal, digest);
    $("#progress-status").textContent = report.valid ? "Done: the seal verifies." : "Done: the seal does not verify.";
  } catch (e) {
    // A pasted key that is not one is the person's to fix: the worker's
    // message says what a key looks like, and holds nothing secret.
    const err = e && e.code === "bad_argument" && logKey ? invalid(e.message) : e;
    errors.replaceChildren(errorBox(err));
    $("#progress-status").textContent = "The check did not run.";
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

// render shows the report: the verdict first, then each part.
function render(r, doc, seal, digest) {
  const out = $("#report");
  out.dataset.run = String(++runs);
  out.dataset.valid = String(r.valid);
  out.replaceChildren(
    verdict(r),
    documentPanel(r, doc, seal, digest),
    signersPanel(r),
    logPanel(r),
    onlinePanel(r),
  );
  out.hidden = false;
  // The verdict first: focus moves there for screen readers, and the
  // page scrolls to its top.
  out.focus({ preventScroll: true });
  out.scrollIntoView({ block: "start" });
}

function verdict(r) {
  if (r.valid) {
    const names = r.signers.map((s) => s.name);
    return h("div", { class: "verdict valid", id: "verdict", role: "status" },
      h("h2", { id: "verdict-title" }, "This file is exactly what was signed"),
      h("p", null, `Signed by ${names.length === 1 ? "1 person" : names.length + " people"}, sealed ${when(r.sealedAt)}, `,
        "and recorded in the seal log", r.online && r.online.consistent ? ", which has not been rewritten since." : "."));
  }
  return h("div", { class: "verdict invalid", id: "verdict", role: "alert" },
    h("h2", { id: "verdict-title" }, headline(r)),
    h("p", null, r.failures.length === 1 ? "One check failed:" : `${r.failures.length} checks failed:`),
    h("ul", { class: "reasons", id: "reasons" }, r.failures.map((f) => reason(r, f))));
}

// headline says the most important failure in words a person acts on.
function headline(r) {
  const kinds = new Set(r.failures.map((f) => f.kind));
  if (!r.document) return "This is not a valid .seal file";
  if (kinds.has("hash-mismatch")) return "This file is not the document that was signed";
  if (["missing-signature", "bad-signature", "signer-mismatch"].some((k) => kinds.has(k))) return "The signatures in this seal do not hold";
  if (kinds.has("no-log-key")) return "The seal could not be checked against the log";
  return "The seal's log proof does not hold";
}

function reason(r, f) {
  const who = f.signer > 0 && r.signers[f.signer - 1]
    ? [" (signer ", String(f.signer), ", ", h("bdi", null, r.signers[f.signer - 1].name), ")"] : null;
  return h("li", { dataset: { kind: f.kind, signer: String(f.signer) } },
    h("strong", null, capital(f.reason)), who, " ", h("code", null, f.kind));
}

function panel(id, title, ...content) {
  return h("section", { class: "panel", id, "aria-labelledby": id + "-title" }, h("h2", { id: id + "-title" }, title), content);
}

function mark(ok, yes, no) {
  return h("span", { class: ok ? "status-ok" : "status-bad" }, ok ? yes : no);
}

function documentPanel(r, doc, seal, digest) {
  const d = r.document;
  return panel("report-document", "Document",
    h("dl", { class: "facts" },
      h("dt", null, "File"), h("dd", null, h("bdi", null, doc.name), ` (${bytes(doc.size)}), seal file `, h("bdi", null, seal.name)),
      h("dt", null, "SHA-256 of your file"), h("dd", null, h("span", { class: "hash", id: "document-actual" }, digest)),
      d ? [h("dt", null, "SHA-256 in the seal"), h("dd", null, h("span", { class: "hash", id: "document-expected" }, d.expected)),
        h("dt", null, "Result"), h("dd", { id: "document-match" }, mark(d.match, "The same: this is the sealed document", "Different: this is not the sealed document"))] : null,
      r.envelopeId ? [h("dt", null, "Envelope"), h("dd", null, h("code", null, r.envelopeId)),
        h("dt", null, "Sealed"), h("dd", null, when(r.sealedAt), " ", h("span", { class: "muted" }, `(${r.sealedAt})`)),
        h("dt", null, "Seal hash"), h("dd", null, h("span", { class: "hash" }, r.sealHash))] : null));
}

const kinds = { external: "Outside signer, through a signing link", member: "Member of the company" };
const attestations = { "pin-verified": "the server checked the PIN sent to their phone", session: "the server checked their logged-in session" };

function signerRow(s, i) {
  const signature = s.ok
    ? mark(true, "Valid")
    : [mark(false, "", "Not valid"), s.failure ? h("p", { class: "hint" }, capital(s.failure.reason)) : null];
  return h("tr", { dataset: { ok: String(s.ok) } },
    h("td", null, String(i + 1)),
    h("th", { scope: "row" }, h("bdi", null, s.name)),
    h("td", null, h("bdi", null, s.email)),
    h("td", null, kinds[s.kind] || s.kind, s.accountId ? [" ", h("code", null, s.accountId)] : null,
      s.attestation ? h("p", { class: "hint" }, attestations[s.attestation] || s.attestation) : null),
    h("td", null, s.signedAt ? [when(s.signedAt), h("p", { class: "hint" }, s.signedAt)] : "No signature"),
    h("td", null, signature, h("p", { class: "hint" }, "Key ", h("code", null, s.key))));
}

function signersPanel(r) {
  if (!r.document) return null;
  const head = ["#", "Name", "E-mail", "How they signed", "Signed", "Signature"].map((t) => h("th", { scope: "col" }, t));
  return panel("report-signers", `Signers (${r.signers.length})`,
    h("div", { class: "table-wrap" }, h("table", { id: "signers" },
      h("thead", null, h("tr", null, head)),
      h("tbody", null, r.signers.map(signerRow)))));
}

function logPanel(r) {
  if (!r.document) return null;
  const k = r.logKey;
  const lg = r.log;
  return panel("report-log", "Seal log",
    h("dl", { class: "facts" },
      h("dt", null, "Log key"), h("dd", { id: "report-log-key", dataset: { source: k.source } },
        k.name ? [h("code", null, k.name), " ", h("code", null, k.hash), h("p", { class: "hint" }, capital(k.source))] : "None: the proof could not be checked"),
      h("dt", null, "Inclusion proof"), h("dd", { id: "report-inclusion" }, lg.verified
        ? [mark(true, "Verified"), `: entry ${lg.index + 1} of ${lg.size} in the log`]
        : mark(false, "", "Not verified")),
      lg.verified ? [h("dt", null, "Checkpoint root"), h("dd", null, h("span", { class: "hash" }, lg.root))] : null,
      h("dt", null, "Commitment"), h("dd", null, h("span", { class: "hash" }, r.commitment))));
}

function onlinePanel(r) {
  if (!r.document) return null;
  let body;
  if (!r.onlineAsked) {
    body = h("p", { class: "muted" }, "Not checked. Tick “Also check online” to ask this server for the log's newest checkpoint.");
  } else if (r.onlineError) {
    body = h("p", { class: "warn" }, "The log could not be reached, so this was not checked: ", r.onlineError.message, ". This is not a verdict on the seal.");
  } else if (!r.online) {
    body = h("p", { class: "muted" }, "Not checked: the seal's log proof did not verify, so there is nothing to extend.");
  } else if (r.online.consistent) {
    body = h("p", null, mark(true, "Consistent"), `: the log's newest checkpoint, with ${r.online.newestSize} entries, extends the seal's. The log was not rewritten.`);
  } else {
    body = h("p", null, mark(false, "", "Not consistent"), ": the log's newest checkpoint does not extend the seal's.");
  }
  return panel("report-online", "Online check", h("div", { id: "online-result" }, body));
}

function boot() {
  $("#verify-form").addEventListener("submit", verify);
  for (const which of ["document", "seal"]) {
    $(`#${which}-input`).addEventListener("change", (ev) => choose(which, ev.target.files[0]));
  }
  const zone = $("#dropzone");
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("dragging");
    dropped(ev.dataTransfer.files);
  });
  showLogKey();
  // A worker that does not start is reported by the log key's area.
  showFingerprint(vellum, $("#fingerprint")).catch(() => {});
}

boot();
