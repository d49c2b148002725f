// ui.js: the small DOM toolkit of the Vellum app. Everything is built with
// createElement and textContent: no HTML string ever holds data, so a file
// or company name cannot inject markup, and the strict CSP (no inline
// script or style) holds.

import { describe } from "./errors.js";

// h(tag, props, ...children) makes an element. Props: class, dataset, on*
// listeners, properties the element has (value, checked, disabled, hidden,
// ...), else attributes. Children: nodes, strings, arrays, null.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "for") el.htmlFor = v;
    else if (typeof v !== "string" && k in el) el[k] = v;
    else if (k === "value" || k === "textContent") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

// field makes a labelled input: {label, name, type, value, required,
// autocomplete, hint, ...input props}. Returns the wrapper; the input is
// wrapper.input.
export function field({ label, hint, id, ...props }) {
  const inputId = id || nextId(props.name || "field");
  const hintId = hint ? inputId + "-hint" : undefined;
  const input = props.type === "select"
    ? h("select", { id: inputId, name: props.name, required: props.required, "aria-describedby": hintId },
      (props.options || []).map(([v, t]) => h("option", { value: v, selected: v === props.value }, t)))
    : props.type === "textarea"
      ? h("textarea", { id: inputId, "aria-describedby": hintId, ...props, type: undefined })
      : h("input", { id: inputId, "aria-describedby": hintId, ...props });
  const wrap = h("div", { class: "field" }, h("label", { for: inputId }, label), input,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
  wrap.input = input;
  return wrap;
}

// form makes a form whose submit runs onSubmit(values, form) with the
// submit button disabled and busy, and shows a failure in the form's own
// alert, described for people (errors.js). context picks the wording.
export function form({ id, fields, submit, onSubmit, context, extra, secondary }) {
  const status = h("div", { class: "form-error", role: "alert" });
  const button = h("button", { type: "submit", class: "primary", id: id ? id + "-submit" : undefined }, submit);
  const f = h("form", { id, class: "form", novalidate: false }, fields, status,
    h("div", { class: "actions" }, button, secondary || null), extra || null);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const values = Object.fromEntries(new FormData(f).entries());
    button.disabled = true;
    f.setAttribute("aria-busy", "true");
    try {
      await onSubmit(values, f);
    } catch (e) {
      showError(status, e, context);
    } finally {
      button.disabled = false;
      f.removeAttribute("aria-busy");
    }
  });
  f.status = status;
  return f;
}

// errorBox renders a failure: a sentence for people, and what to do, with
// the code for support.
export function errorBox(err, context) {
  const d = describe(err, context);
  return h("div", { class: "error-box", dataset: { code: d.code } },
    h("p", { class: "error-title" }, d.title),
    d.detail ? h("p", { class: "error-detail" }, d.detail) : null,
    h("p", { class: "error-code" }, "Error code: ", h("code", null, d.code)));
}

export function showError(target, err, context) {
  target.replaceChildren(errorBox(err, context));
  const first = target.querySelector(".error-title");
  if (first) first.setAttribute("tabindex", "-1");
}

// banner shows a page-level failure above the view until dismissed or the
// next navigation.
export function banner(err, context) {
  const area = $("#banner");
  const close = h("button", { type: "button", class: "link", "aria-label": "Dismiss this message", onclick: () => area.replaceChildren() }, "Dismiss");
  area.replaceChildren(h("div", { class: "banner" }, errorBox(err, context), close));
  area.scrollIntoView({ block: "nearest" });
}

export function clearBanner() { $("#banner").replaceChildren(); }

// toast shows a short confirmation that goes away by itself.
export function toast(text) {
  const t = h("div", { class: "toast" }, text);
  $("#toasts").append(t);
  setTimeout(() => t.remove(), 5000);
}

// confirmDialog asks a yes/no question in a modal <dialog> (focus stays in
// it; Escape cancels). Resolves true or false.
export function confirmDialog({ title, body, confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const titleId = nextId("dlg");
    const d = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("form", { method: "dialog" },
        h("h2", { id: titleId }, title),
        typeof body === "string" ? h("p", null, body) : body,
        h("div", { class: "actions" },
          h("button", { value: "yes", class: danger ? "danger" : "primary", id: "dialog-confirm" }, confirm),
          h("button", { value: "no", class: "secondary", formnovalidate: true }, "Cancel"))));
    d.addEventListener("close", () => { resolve(d.returnValue === "yes"); d.remove(); });
    document.body.append(d);
    d.showModal();
  });
}

// formDialog shows a modal form; onSubmit(values) may throw to keep it
// open with the error shown. Resolves with onSubmit's result, or null if
// cancelled.
export function formDialog({ title, fields, submit, onSubmit, context, intro }) {
  return new Promise((resolve) => {
    const titleId = nextId("dlg");
    let result = null;
    const d = h("dialog", { class: "dialog", "aria-labelledby": titleId });
    const f = form({
      id: "dialog-form", fields, submit, context,
      secondary: h("button", { type: "button", class: "secondary", onclick: () => d.close() }, "Cancel"),
      onSubmit: async (values) => { result = await onSubmit(values); d.close(); },
    });
    d.append(h("h2", { id: titleId }, title), intro || null, f);
    d.addEventListener("close", () => { resolve(result); d.remove(); });
    document.body.append(d);
    d.showModal();
  });
}

const units = ["B", "KB", "MB", "GB", "TB"];

// bytes formats a size in decimal units (what operating systems show).
export function bytes(n) {
  if (!Number.isFinite(n)) return "";
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function rate(bytesPerSecond) {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : dateFmt.format(d);
}

// shortFingerprint shows the start of a key fingerprint in groups.
export function shortFingerprint(fp) {
  if (!fp) return "";
  return fp.slice(0, 24).replace(/(.{4})(?=.)/g, "$1 ");
}

export function page(title, ...content) {
  return [h("h1", { id: "page-title", tabindex: "-1" }, title), ...content];
}

export function emptyState(text, action) {
  return h("div", { class: "empty" }, h("p", null, text), action || null);
}

// showFingerprint puts the SHA-256 of the WebAssembly bundle the worker
// runs into el (a page's footer), next to whether it equals the one the
// server publishes at /vellum.wasm.sha256, so anyone can check which
// client runs here: the app, the signing page and the verify page alike.
// A worker that does not answer leaves "unavailable" in el and throws.
export async function showFingerprint(client, el) {
  try {
    const [info, published] = await Promise.all([
      client.info(),
      fetch("/vellum.wasm.sha256", { cache: "no-store" }).then((r) => (r.ok ? r.text() : "")).catch(() => ""),
    ]);
    const want = published.trim().split(/\s+/)[0] || "";
    const same = want === info.sha256;
    el.replaceChildren("Client bundle SHA-256 ",
      h("code", { id: "wasm-sha256", title: info.sha256 }, info.sha256),
      " ", h("span", { class: same ? "badge ok" : "badge warn", id: "wasm-sha256-check" },
        same ? "matches the published fingerprint" : "differs from the published fingerprint"),
      " ", h("a", { href: "/vellum.wasm.sha256" }, "published"));
    el.dataset.sha256 = info.sha256;
    el.dataset.match = String(same);
  } catch (e) {
    el.textContent = "Client bundle: unavailable";
    throw e;
  }
}

// copyText copies to the clipboard and confirms.
export async function copyText(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied to the clipboard.`);
  } catch {
    toast(`Could not copy; select the ${what.toLowerCase()} and copy it by hand.`);
  }
}
