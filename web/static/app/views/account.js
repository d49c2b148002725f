// account.js: the account's key fingerprint (what an admin compares before
// adding you), password change, logging out everywhere.

import { h, field, form, page, toast } from "../ui.js";
import { state, vellum, go, refreshSession } from "../state.js";

export async function view() {
  const s = await refreshSession();
  const pw = form({
    id: "password", submit: "Change password", context: "password",
    fields: [
      field({ label: "New password", name: "password", id: "new-password", type: "password", required: true, minlength: "10", autocomplete: "new-password",
        hint: "Every other session of your account is logged out; this browser stays trusted." }),
      field({ label: "Repeat the new password", name: "confirm", id: "new-password-confirm", type: "password", required: true, autocomplete: "new-password" }),
    ],
    onSubmit: async ({ password, confirm }) => {
      if (password.length < 10) throw { code: "invalid", message: "the password must have at least 10 characters" };
      if (password !== confirm) throw { code: "invalid", message: "the two passwords differ" };
      await vellum.changePassword(password);
      await refreshSession();
      toast("Your password was changed.");
    },
  });
  const everywhere = h("button", { type: "button", class: "danger", onclick: async () => {
    try { await vellum.logout(true); } catch { /* dropped here anyway */ }
    state.session = null;
    state.companies = null;
    toast("Every session of your account was logged out.");
    go("/login");
  } }, "Log out everywhere");
  return [...page("Your account"),
    h("section", { class: "panel" }, h("h2", null, "Identity"),
      h("dl", { class: "facts" },
        h("dt", null, "E-mail address"), h("dd", { id: "account-email" }, s.email),
        h("dt", null, "Key fingerprint"), h("dd", null, h("code", { id: "account-fingerprint", class: "fingerprint-big" }, s.fingerprint))),
      h("p", { class: "hint" }, "When an admin adds you to a company, read them this fingerprint so they know the key is yours.")),
    h("section", { class: "panel narrow" }, h("h2", null, "Password"), pw),
    h("section", { class: "panel" }, h("h2", null, "Sessions"),
      h("p", null, "Log out on every browser and device, for example if you lost one."), everywhere)];
}
