// sign.js: the outside signer's page, served for /sign/<envelope>/<signer>.
// The link's #secret stays in this tab: it goes to the worker with the PIN
// the signer types, and the worker sends the server only a verifier of the
// two (SPEC part 90). Then the document, the message, the signers and the
// sign or decline panel (app/signing.js).

import { client } from "./vellum-client.js";
import { h, showError, showFingerprint } from "./app/ui.js";
import { signingView } from "./app/signing.js";

// protocol.PINTries: wrong PINs that lock a signing link.
const PIN_TRIES = 5;

const view = document.getElementById("view");
const path = location.pathname.match(/^\/sign\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/);
const hasSecret = location.hash.length > 1;

// Wrong PINs typed in this browser, per link: the server counts every try
// from anywhere and does not say how many are left, so this page can tell
// only an upper bound ("at most N tries left").
const triesKey = path ? `vellum.sign.wrong-pins.${path[1]}.${path[2]}` : "";
// Storage may be refused (a blocked site, some private modes): the count
// is then unknown here, and failed() must still run to its end.
const wrongHere = () => { try { return Number(localStorage.getItem(triesKey) || 0); } catch { return 0; } };
const countWrong = () => { try { localStorage.setItem(triesKey, String(wrongHere() + 1)); } catch { /* private mode */ } };

function intro() {
  return [
    h("h1", { id: "page-title", tabindex: "-1" }, "You have been asked to sign a document"),
    h("p", { class: "lead" },
      "Someone sent you a document to read and sign electronically through Vellum. ",
      "It is encrypted: it opens in this browser with the link you followed and the PIN we sent to your phone by text message."),
  ];
}

function pinForm() {
  const input = h("input", {
    id: "pin", name: "pin", type: "text", inputmode: "numeric", autocomplete: "one-time-code",
    pattern: "[0-9 ]*", maxlength: 9, required: true, class: "pin-input", "aria-describedby": "pin-hint",
    spellcheck: "false",
  });
  const status = h("div", { class: "form-error", role: "alert", id: "pin-error" });
  const button = h("button", { type: "submit", class: "primary", id: "pin-submit" }, "Open the document");
  const form = h("form", { class: "form panel narrow", id: "pin-form" },
    h("div", { class: "field" },
      h("label", { for: "pin" }, "PIN from the text message"),
      input,
      h("p", { class: "hint", id: "pin-hint" }, `Six digits. After ${PIN_TRIES} wrong PINs the link locks, and the sender has to send you a new one.`)),
    status,
    h("div", { class: "actions" }, button));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const pin = input.value.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(pin)) {
      showError(status, { code: "bad_pin", message: "" }, "signing-link");
      input.focus();
      return;
    }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const v = await client().openSigningLink(location.href, pin);
      try { localStorage.removeItem(triesKey); } catch { /* nothing kept */ }
      opened(v);
    } catch (e) {
      failed(e, status, input, button);
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

function failed(e, status, input, button) {
  showError(status, e, "signing-link");
  const terminal = ["locked", "expired", "envelope_closed", "bad_link", "link_origin"].includes(e.code);
  if (e.code === "auth_failed") {
    countWrong();
    const left = Math.max(PIN_TRIES - wrongHere(), 0);
    status.append(h("p", { class: "warn", id: "pin-tries" }, left > 0
      ? `At most ${left} ${left === 1 ? "try" : "tries"} left before this link locks.`
      : "The next wrong PIN may lock this link."));
    input.select();
  }
  button.disabled = terminal;
  input.disabled = terminal;
  if (!terminal) input.focus();
}

function opened(v) {
  document.title = `Sign “${v.document.name}” · Vellum`;
  view.replaceChildren(signingView(v));
  const title = document.getElementById("page-title");
  if (title) title.focus();
}

async function start() {
  if (!path || !hasSecret) {
    view.replaceChildren(...intro());
    showError(view.appendChild(h("div", { id: "link-error" })), { code: "bad_link", message: "" }, "signing-link");
    return;
  }
  try {
    // The worker and module started, and the footer says which client runs.
    await showFingerprint(client(), document.getElementById("fingerprint"));
  } catch (e) {
    view.replaceChildren(...intro());
    showError(view.appendChild(h("div", { id: "link-error" })), e);
    return;
  }
  view.replaceChildren(...intro(), pinForm());
  document.getElementById("pin").focus();
}

// Tests and tools wait for this: the page has settled into its first state.
start().finally(() => { document.documentElement.dataset.ready = "true"; });
