// signing.js: one participant's view of an envelope: the document (PDFs
// rendered with pdf.js, with selectable text; anything else downloaded),
// the sender's message, the signers in their order, and the panel to sign
// or decline; then the sealed document and its .seal file. The outside
// signer's page (sign.js) and the app's envelope view both use it.
//
//   import { signingView } from "./signing.js";
//   const view = await client().openSigningLink(location.href, pin); // or openEnvelope(tid, eid)
//   container.replaceChildren(signingView(view));
//
// The document is decrypted in the worker and read to its end here before
// Sign is possible: the worker signs the SHA-256 of exactly the bytes this
// page was given (SPEC part 90), never a digest from the server.

import { client } from "../vellum-client.js";
import { h, bytes, when, showError } from "./ui.js";
import { sentence } from "./errors.js";
import { saveStream, saveBlob, saveSealed, saveSealFile, init as initSave } from "./save.js";

// The stylesheet of the viewer and panel, loaded once by whichever page
// uses this module (a <link> from this origin: the CSP allows it).
if (!document.querySelector('link[data-signing-css]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/app/signing.css", dataset: { signingCss: "" } }));
}

// PDFs up to this size are read into memory and shown; larger files and
// other types are downloaded to be read.
const PREVIEW_LIMIT = 64 << 20;

const PDFJS = "/vendor/pdfjs/pdf.min.mjs";
const PDFJS_WORKER = "/vendor/pdfjs/pdf.worker.min.mjs";
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

const stateWords = {
  pending: ["waiting", ""],
  opened: ["opened", ""],
  signed: ["signed", "ok"],
  declined: ["declined", "bad"],
  locked: ["link locked", "bad"],
};

const statusWords = {
  sent: "Waiting for signatures.",
  completed: "Everyone has signed; the document is being sealed.",
  sealed: "Everyone has signed, and the document is sealed.",
  declined: "A signer declined: this envelope is closed.",
  cancelled: "The sender cancelled this envelope.",
  expired: "This envelope has expired.",
};

const isPDF = (doc) => doc.mimeType === "application/pdf" || /\.pdf$/i.test(doc.name);

// signingView(view, {onChange}) → element. view is what openSigningLink or
// openEnvelope returned; onChange(view) is told of every new state.
export function signingView(initial, { onChange } = {}) {
  const c = client();
  let v = initial;
  let digest = initial.digest; // SHA-256 of the document as read here
  let document_ = null; // the document's bytes as a Blob, once read
  let sealed = null; // {name, sha256, sealFile}, once the sealed document was downloaded

  const root = h("div", { class: "signing" });
  const head = h("header", { class: "signing-head" });
  const messageBox = h("section", { class: "panel", "aria-labelledby": "signing-message-title" });
  const signersBox = h("section", { class: "panel", "aria-labelledby": "signing-signers-title" });
  const docBox = h("section", { class: "panel", "aria-labelledby": "signing-document-title" });
  const actionBox = h("section", { class: "panel sign-panel", "aria-labelledby": "signing-action-title", id: "sign-panel" });
  const status = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite", id: "signing-status" });
  // Failures of sign, decline and seal: kept across re-renders of the
  // panel, so that a seal that fails right after a signature is still shown.
  const actionError = h("div", { class: "form-error", role: "alert", id: "sign-error" });
  root.append(head, messageBox, docBox, signersBox, actionBox, status);

  const announce = (text) => { status.textContent = text; };
  const update = (nv) => {
    v = nv;
    if (nv.digest) digest = nv.digest;
    renderHead();
    renderSigners();
    renderActions();
    if (onChange) onChange(nv);
  };

  function renderHead() {
    const d = v.document;
    head.replaceChildren(
      h("h1", { id: "page-title", tabindex: "-1" }, d.name),
      h("p", { class: "muted" }, `${d.mimeType || "file"} · ${bytes(d.size)}`),
      h("p", { id: "envelope-status", dataset: { status: v.status } }, statusWords[v.status] || v.status));
  }

  function renderMessage() {
    messageBox.hidden = !v.message;
    messageBox.replaceChildren(
      h("h2", { id: "signing-message-title" }, "Message from the sender"),
      h("p", { class: "signing-message", id: "signing-message" }, v.message));
  }

  function renderSigners() {
    const ordered = v.signers.length > 1 && new Set(v.signers.map((s) => s.order)).size > 1;
    const items = v.signers.map((s) => {
      const [word, tone] = stateWords[s.state] || [s.state, ""];
      const detail = s.state === "signed" ? `signed ${when(s.signedAt)}`
        : s.state === "declined" ? (s.reason ? `declined: “${s.reason}”` : "declined")
          : s.waitingForTurn ? "waits for the signers before" : "";
      return h("li", { dataset: { signer: s.id, state: s.state } },
        ordered ? h("span", { class: "muted" }, `${s.order}.`) : null,
        h("span", { class: "signer-name" }, s.name, s.you ? " (you)" : ""),
        h("span", { class: "badge " + tone }, word),
        detail ? h("span", { class: "signer-detail" }, detail) : null);
    });
    signersBox.replaceChildren(
      h("h2", { id: "signing-signers-title" }, "Signers"),
      h("p", { class: "hint" }, ordered ? "They sign in this order." : "They can sign in any order."),
      h(ordered ? "ol" : "ul", { class: "signers", id: "signers" }, items));
  }

  // ---- The document. ----

  const docTitle = h("h2", { id: "signing-document-title" }, "Document");
  const docBody = h("div");
  docBox.append(docTitle, docBody);

  // read streams the decrypted document from the worker: into a Blob
  // (keep), or to the browser's downloads. Either way the worker hashes
  // exactly those bytes, and done says so.
  async function read({ keep }) {
    const bar = h("progress", { max: v.document.size || 1, value: 0, "aria-label": "Decrypting the document" });
    const line = h("p", { class: "muted" }, "Decrypting the document in this browser…");
    docBody.replaceChildren(h("div", { class: "reading", id: "reading" }, line, bar));
    const d = await c.signingDocument(v.handle, {
      onProgress: (done) => { bar.value = done; line.textContent = `Decrypting the document in this browser… ${bytes(done)} of ${bytes(v.document.size)}`; },
    });
    let blob = null;
    if (keep) {
      try { blob = await new Response(d.stream).blob(); } catch { /* the reason is in done */ }
    } else {
      await initSave();
      await saveStream({ stream: d.stream, name: v.document.name, size: v.document.size, done: d.done });
    }
    const end = await d.done; // rejects with the worker's error if the stream broke
    digest = end.sha256;
    return blob;
  }

  async function showDocument() {
    const doc = v.document;
    if (!isPDF(doc) || doc.size > PREVIEW_LIMIT) {
      const why = isPDF(doc) ? "This PDF is too large to show here." : "This kind of file cannot be shown here.";
      const button = h("button", { type: "button", class: "primary", id: "document-download" }, `Download “${doc.name}” to read it`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await read({ keep: false });
          docBody.replaceChildren(h("p", { class: "ok", id: "document-read" }, "Downloaded. Read it before you sign."), digestLine());
          announce("The document was downloaded.");
          renderActions();
        } catch (e) {
          showError(docBody, e, "download");
          docBody.append(button);
          button.disabled = false;
        }
      });
      docBody.replaceChildren(h("p", null, why), button);
      return;
    }
    try {
      document_ = await read({ keep: true });
      await renderPDF(docBody, document_, doc);
      docBody.append(digestLine(), h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", id: "document-save", onclick: () => saveBlob(document_, doc.name) }, "Download a copy")));
      announce("The document is shown.");
    } catch (e) {
      showError(docBody, e, "download");
    }
    renderActions();
  }

  const digestLine = () => h("p", { class: "digest", id: "document-digest" }, "SHA-256 of this document: ", h("code", null, digest));

  // ---- Sign, decline, seal. ----

  function renderActions() {
    actionBox.className = "panel sign-panel";
    const title = h("h2", { id: "signing-action-title" }, "Your signature");
    const me = v.signers.find((s) => s.you);
    if (v.status === "sealed" || v.status === "completed") {
      actionBox.classList.add("done");
      actionBox.replaceChildren(title, sealedPart(me), actionError);
      return;
    }
    if (!v.yourTurn) {
      actionBox.classList.add(me && me.state === "signed" ? "done" : "closed");
      const why = v.notYourTurn;
      const text = !me ? "You are not a signer of this envelope."
        : me.state === "signed" ? `You signed on ${when(me.signedAt)}. You will be told when everyone has signed.`
          : why ? sentence(why.message) : "You cannot sign this envelope now.";
      // A signer who has signed gets the confirmation, not a refusal.
      const id = me && me.state === "signed" ? "signed-confirmation" : "not-your-turn";
      actionBox.replaceChildren(title, h("p", { id, dataset: { code: why ? why.code : "" } }, text), actionError);
      return;
    }
    const read = Boolean(digest);
    const consent = h("input", { type: "checkbox", id: "sign-consent", disabled: !read });
    const sign = h("button", { type: "button", class: "primary", id: "sign-button", disabled: true }, "Sign");
    consent.addEventListener("change", () => { sign.disabled = !consent.checked; });
    sign.addEventListener("click", async () => {
      sign.disabled = true;
      consent.disabled = true;
      actionError.replaceChildren();
      actionBox.setAttribute("aria-busy", "true");
      try {
        const r = await c.signingSign(v.handle);
        announce("Your signature was recorded.");
        update(r.view);
        if (r.last) await seal();
      } catch (e) {
        showError(actionError, e, "signing-link");
        sign.disabled = !consent.checked;
        consent.disabled = false;
      } finally {
        actionBox.removeAttribute("aria-busy");
      }
    });
    const declineForm = declinePart();
    const openDecline = h("button", { type: "button", class: "danger", id: "decline-open", "aria-expanded": "false", "aria-controls": declineForm.id },
      "Decline to sign…");
    openDecline.addEventListener("click", () => {
      declineForm.hidden = !declineForm.hidden;
      openDecline.setAttribute("aria-expanded", String(!declineForm.hidden));
      if (!declineForm.hidden) declineForm.querySelector("textarea").focus();
    });
    actionBox.replaceChildren(title,
      read ? null : h("p", { class: "hint", id: "sign-wait" }, "Signing becomes possible once the whole document has been decrypted and shown to you."),
      h("div", { class: "check" }, consent,
        h("label", { for: "sign-consent" },
          `I have read “${v.document.name}” and sign it electronically as ${me ? me.name : "myself"}. `
          + "My signature covers this exact document, by its SHA-256.")),
      h("div", { class: "actions" }, sign, openDecline),
      declineForm, actionError);
  }

  function declinePart() {
    const reason = h("textarea", { id: "decline-reason", name: "reason", rows: 3, maxlength: 1024, required: true });
    const f = h("form", { class: "decline-form form", id: "decline-form", hidden: true },
      h("div", { class: "field" },
        h("label", { for: "decline-reason" }, "Why do you decline? The sender and the other signers will see this."),
        reason),
      h("div", { class: "actions" },
        h("button", { type: "submit", class: "danger primary", id: "decline-confirm" }, "Decline to sign")));
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      actionError.replaceChildren();
      const button = f.querySelector("button");
      button.disabled = true;
      try {
        const nv = await c.signingDecline(v.handle, reason.value);
        announce("You declined to sign.");
        update(nv);
      } catch (e) {
        showError(actionError, e, "signing-link");
        button.disabled = false;
      }
    });
    return f;
  }

  // seal builds the seal once everyone has signed (this client signed
  // last, or opened a completed envelope), and shows the downloads.
  async function seal() {
    announce("Sealing the document…");
    try {
      const r = await c.signingSeal(v.handle);
      announce("The document is sealed.");
      update(r.view);
    } catch (e) {
      showError(actionError, e, "signing-link");
    }
  }

  function sealedPart(me) {
    const box = h("div", { id: "sealed" });
    const mine = me && me.state === "signed" ? h("p", { class: "ok", id: "signed-confirmation" }, `You signed on ${when(me.signedAt)}.`) : null;
    if (v.status === "completed") {
      const button = h("button", { type: "button", class: "primary", id: "seal-button" }, "Seal the document");
      button.addEventListener("click", async () => { button.disabled = true; await seal(); button.disabled = false; });
      box.append(mine || "", h("p", null, "Everyone has signed. Sealing records the signatures in Vellum's public log."), button);
      return box;
    }
    const docButton = h("button", { type: "button", class: "primary", id: "download-sealed" }, "Download the signed document");
    const sealButton = h("button", { type: "button", class: "secondary", id: "download-seal", disabled: !sealed }, "Download its .seal file");
    docButton.addEventListener("click", async () => {
      docButton.disabled = true;
      actionError.replaceChildren();
      try {
        sealed = await saveSealed(c, v.handle);
        sealButton.disabled = false;
        announce("The signed document was downloaded and matches its seal.");
      } catch (e) {
        showError(actionError, e, "download");
      } finally {
        docButton.disabled = false;
      }
    });
    sealButton.addEventListener("click", () => saveSealFile(sealed));
    box.append(mine || "",
      h("p", null, "Everyone has signed and the document is sealed. Keep the document and its .seal file together: with them anyone can check, on the verify page or with the vellum command, who signed exactly this file."),
      h("div", { class: "sealed-downloads" }, docButton, sealButton));
    return box;
  }

  renderHead();
  renderMessage();
  renderSigners();
  renderActions();
  showDocument();
  return root;
}

// ---- The PDF viewer. ----

let pdfjsModule = null;

async function pdfjs() {
  if (!pdfjsModule) {
    pdfjsModule = import(PDFJS).then((m) => {
      m.GlobalWorkerOptions.workerSrc = PDFJS_WORKER;
      return m;
    });
  }
  return pdfjsModule;
}

// renderPDF shows the PDF one page at a time: a canvas with the text
// layer over it, with page and zoom buttons.
export async function renderPDF(container, blob, doc) {
  const lib = await pdfjs();
  const pdf = await lib.getDocument({
    data: new Uint8Array(await blob.arrayBuffer()),
    isEvalSupported: false, // the CSP allows no eval
    enableXfa: false,
  }).promise;
  let pageNo = 1;
  let zoom = -1; // index into ZOOMS; chosen to fit the width on first render
  const count = h("span", { class: "page-count", id: "page-count", "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "secondary small", id: "page-prev", "aria-label": "Previous page" }, "‹ Previous");
  const next = h("button", { type: "button", class: "secondary small", id: "page-next", "aria-label": "Next page" }, "Next ›");
  const out = h("button", { type: "button", class: "secondary small", id: "zoom-out", "aria-label": "Zoom out" }, "−");
  const inn = h("button", { type: "button", class: "secondary small", id: "zoom-in", "aria-label": "Zoom in" }, "+");
  const pages = h("div", { class: "viewer-pages", id: "pdf-viewer", role: "document", "aria-label": `${doc.name}, page view` });
  container.replaceChildren(h("div", { class: "viewer-bar", role: "toolbar", "aria-label": "Document pages" }, prev, count, next, out, inn), pages);

  let rendering = Promise.resolve();
  const show = () => { rendering = rendering.then(draw, draw); return rendering; };
  async function draw() {
    const page = await pdf.getPage(pageNo);
    const base = page.getViewport({ scale: 1 });
    if (zoom < 0) {
      const fit = Math.max(0.5, Math.min(1.5, (pages.clientWidth - 32) / base.width || 1));
      zoom = ZOOMS.reduce((best, z, i) => (Math.abs(z - fit) < Math.abs(ZOOMS[best] - fit) ? i : best), 0);
    }
    const scale = ZOOMS[zoom];
    const viewport = page.getViewport({ scale });
    const ratio = window.devicePixelRatio || 1;
    const canvas = h("canvas", { id: "pdf-canvas", "aria-hidden": "true" });
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`; // CSSOM, which the CSP allows
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    const text = h("div", { class: "textLayer", id: "pdf-text" });
    const wrap = h("div", { class: "pdf-page", dataset: { page: String(pageNo) } }, canvas, text);
    wrap.style.width = canvas.style.width;
    wrap.style.height = canvas.style.height;
    wrap.style.setProperty("--scale-factor", String(scale));
    wrap.style.setProperty("--total-scale-factor", String(scale));
    await page.render({ canvas, viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined }).promise;
    await new lib.TextLayer({ textContentSource: page.streamTextContent(), container: text, viewport }).render();
    pages.replaceChildren(wrap);
    count.textContent = `Page ${pageNo} of ${pdf.numPages}`;
    prev.disabled = pageNo <= 1;
    next.disabled = pageNo >= pdf.numPages;
    out.disabled = zoom <= 0;
    inn.disabled = zoom >= ZOOMS.length - 1;
    container.dataset.rendered = String(pageNo);
  }
  prev.addEventListener("click", () => { if (pageNo > 1) { pageNo--; show(); } });
  next.addEventListener("click", () => { if (pageNo < pdf.numPages) { pageNo++; show(); } });
  out.addEventListener("click", () => { if (zoom > 0) { zoom--; show(); } });
  inn.addEventListener("click", () => { if (zoom < ZOOMS.length - 1) { zoom++; show(); } });
  pages.tabIndex = 0;
  pages.addEventListener("keydown", (ev) => {
    if (ev.key === "PageDown" || ev.key === "ArrowRight") next.click();
    else if (ev.key === "PageUp" || ev.key === "ArrowLeft") prev.click();
    else return;
    ev.preventDefault();
  });
  await show();
}
