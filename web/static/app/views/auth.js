// auth.js: sign up, log in, confirm a new browser, unlock with the
// recovery code. The password goes to the worker, where OPAQUE uses it; it
// never leaves this browser, and the server never learns it.

import { h, field, form, page, toast, copyText } from "../ui.js";
import { state, vellum, go, loadCompanies } from "../state.js";

const MIN_PASSWORD = 10;

// after a successful login: an invitation waiting in this tab comes first.
async function after(next) {
  state.companies = null;
  await loadCompanies(true).catch(() => {});
  const inv = sessionStorage.getItem("vellum-invite");
  if (inv) {
    try {
      go("/invite/" + JSON.parse(inv).id);
      return;
    } catch { /* a damaged entry: ignore it */ }
  }
  if (next && next !== "/" && next.startsWith("/")) go(next);
  else go(state.companies && state.companies.length === 0 ? "/companies/new" : "/");
}

function card(...children) {
  return h("section", { class: "auth-card" }, ...children);
}

// deviceStep asks for the code e-mailed when this browser is new.
function deviceStep(holder, err, next) {
  const sentTo = err.sentTo ? ` to ${err.sentTo}` : "";
  const resend = h("button", { type: "button", class: "link", id: "device-resend" }, "Send a new code");
  const f = form({
    id: "device", context: "device-code", submit: "Confirm this browser",
    fields: [
      h("p", null, `This browser is new for your account. We sent a code${sentTo}. Enter it to confirm it is you; this browser will then be remembered.`),
      field({ label: "Code from the e-mail", name: "code", id: "device-code", required: true, autocomplete: "one-time-code", inputmode: "numeric", spellcheck: "false" }),
    ],
    extra: h("p", { class: "small" }, "No e-mail? ", resend),
    onSubmit: async ({ code }) => {
      state.session = await vellum.verifyDevice(code);
      toast("This browser is now trusted for your account.");
      await after(next);
    },
  });
  resend.addEventListener("click", async () => {
    try {
      const v = await vellum.resendDeviceCode();
      toast(`A new code was sent to ${v.sentTo}.`);
    } catch (e) {
      f.status.replaceChildren(h("p", null, "Could not send a new code: " + e.message));
    }
  });
  holder.replaceChildren(card(h("h2", null, "Confirm this browser"), f));
  f.querySelector("input").focus();
}

// recoveryStep unlocks an account whose keys no method of this login
// opened, with the recovery code.
function recoveryStep(holder, next) {
  const f = form({
    id: "recovery-unlock", context: "recovery", submit: "Unlock",
    fields: [
      h("p", null, "You are logged in, but this browser cannot open your keys. Enter the recovery code you saved when you signed up."),
      field({ label: "Recovery code", name: "code", id: "recovery-input", required: true, autocomplete: "off", spellcheck: "false" }),
    ],
    onSubmit: async ({ code }) => {
      state.session = await vellum.unlockWithRecoveryCode(code);
      await after(next);
    },
  });
  holder.replaceChildren(card(h("h2", null, "Unlock your keys"), f));
  f.querySelector("input").focus();
}

export async function login(_params, query) {
  const next = query.get("next") || "/";
  if (state.session && state.session.unlocked) {
    queueMicrotask(() => after(next));
    return page("Logging in…");
  }
  const holder = h("div");
  if (state.session && !state.session.unlocked) {
    recoveryStep(holder, next);
    return [...page("Log in"), holder];
  }
  const f = form({
    id: "login", context: "login", submit: "Log in",
    fields: [
      field({ label: "E-mail address", name: "email", id: "login-email", type: "email", required: true, autocomplete: "username", spellcheck: "false" }),
      field({ label: "Password", name: "password", id: "login-password", type: "password", required: true, autocomplete: "current-password" }),
    ],
    extra: h("p", { class: "small" }, "New to Vellum? ", h("a", { href: "#/signup" }, "Create an account"), "."),
    onSubmit: async ({ email, password }) => {
      try {
        state.session = await vellum.login(email, password);
      } catch (e) {
        if (e.code === "device_verification") { deviceStep(holder, e, next); return; }
        if (e.code === "keyring_locked") { state.session = await vellum.session(); recoveryStep(holder, next); return; }
        throw e;
      }
      await after(next);
    },
  });
  holder.append(card(h("h2", { class: "visually-hidden" }, "Your account"), f));
  return [...page("Log in to Vellum"), holder];
}

export async function signup() {
  const holder = h("div");
  let email = "";
  const codeStep = (expires) => {
    const f = form({
      id: "signup-code", context: "signup-code", submit: "Confirm",
      fields: [
        h("p", null, `We sent a code to ${email}. Enter it to confirm the address.`),
        field({ label: "Code from the e-mail", name: "code", id: "signup-code-input", required: true, autocomplete: "one-time-code", inputmode: "numeric", spellcheck: "false" }),
        expires ? h("p", { class: "hint" }, `The code expires at ${new Date(expires).toLocaleTimeString()}.`) : null,
      ],
      onSubmit: async ({ code }) => {
        const r = await vellum.finishRegistration(code);
        state.session = r.session;
        recoveryShown(r);
      },
    });
    holder.replaceChildren(card(h("h2", null, "Confirm your e-mail address"), f));
    f.querySelector("input").focus();
  };
  const recoveryShown = (r) => {
    const code = r.recoveryCode;
    const saved = h("input", { type: "checkbox", id: "recovery-saved", required: true });
    const cont = h("button", { type: "submit", class: "primary", id: "recovery-continue" }, "Continue");
    const download = () => {
      const blob = new Blob([`Vellum recovery code for ${email}\n\n${code}\n\nKeep it somewhere safe and private. It unlocks your account if you lose your password or this browser.\n`], { type: "text/plain" });
      const a = h("a", { href: URL.createObjectURL(blob), download: "vellum-recovery-code.txt", hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    };
    const f = h("form", { class: "form", id: "recovery" },
      h("p", null, "This is your recovery code. It is the only way back into your encrypted files if you forget your password and lose this browser. Vellum cannot show it again and cannot reset it for you."),
      h("p", { class: "recovery-code", id: "recovery-code", tabindex: "0", "aria-label": "Your recovery code" }, code),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => copyText(code, "Recovery code") }, "Copy"),
        h("button", { type: "button", class: "secondary", onclick: download }, "Download as a text file")),
      r.warning ? h("p", { class: "warn" }, "Note: ", r.warning.message) : null,
      h("div", { class: "check" }, saved, h("label", { for: "recovery-saved" }, "I have saved my recovery code somewhere safe.")),
      h("div", { class: "actions" }, cont));
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!saved.checked) return;
      await after("/");
    });
    holder.replaceChildren(card(h("h2", null, "Save your recovery code"), f));
    f.querySelector("#recovery-code").focus();
  };
  const f = form({
    id: "signup", context: "signup", submit: "Create account",
    fields: [
      field({ label: "Work e-mail address", name: "email", id: "signup-email", type: "email", required: true, autocomplete: "username", spellcheck: "false" }),
      field({ label: "Password", name: "password", id: "signup-password", type: "password", required: true, minlength: String(MIN_PASSWORD), autocomplete: "new-password",
        hint: `At least ${MIN_PASSWORD} characters. It never leaves this browser: Vellum cannot reset it, but your recovery code can unlock your account.` }),
      field({ label: "Repeat the password", name: "confirm", id: "signup-confirm", type: "password", required: true, autocomplete: "new-password" }),
    ],
    extra: h("p", { class: "small" }, "Already have an account? ", h("a", { href: "#/login" }, "Log in"), "."),
    onSubmit: async (v) => {
      if (v.password.length < MIN_PASSWORD) throw { code: "invalid", message: `the password must have at least ${MIN_PASSWORD} characters` };
      if (v.password !== v.confirm) throw { code: "invalid", message: "the two passwords differ" };
      email = v.email.trim();
      const r = await vellum.register(email, v.password);
      codeStep(r.codeExpiresAt);
    },
  });
  holder.append(card(h("h2", { class: "visually-hidden" }, "New account"), f));
  return [...page("Create your Vellum account"), h("p", { class: "lead" }, "Your files are encrypted in this browser before they leave it. Nobody at Vellum, and no one who breaks into its servers, can read them."), holder];
}
