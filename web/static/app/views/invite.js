// invite.js: accepting an invitation from its link (/invite/<id>#<token>).
// Accepting does not yet make you a member: an admin's browser checks your
// keys and signs you into the company's membership record.

import { h, page, form, toast } from "../ui.js";
import { state, vellum, go } from "../state.js";

export async function view({ invite }) {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem("vellum-invite") || "null"); } catch { saved = null; }
  if (!saved || saved.id !== invite || !saved.token) {
    return [...page("Invitation"), h("p", null, "Open the invitation link from the e-mail again: this page needs the whole link.")];
  }
  if (!state.session || !state.session.unlocked) {
    const next = encodeURIComponent(`/invite/${invite}`);
    return [...page("You are invited to a company on Vellum"),
      h("p", { class: "lead" }, "Log in, or create your account with the e-mail address the invitation was sent to, to accept it."),
      h("div", { class: "actions" },
        h("a", { href: `#/signup`, class: "button primary", id: "invite-signup" }, "Create an account"),
        h("a", { href: `#/login?next=${next}`, class: "button secondary", id: "invite-login" }, "Log in"))];
  }
  const f = form({
    id: "accept", submit: "Accept the invitation", context: "invite",
    fields: [h("p", null, `You are logged in as ${state.session.email}.`)],
    onSubmit: async () => {
      const r = await vellum.acceptInvite(invite, saved.token);
      sessionStorage.removeItem("vellum-invite");
      const done = h("div", { id: "invite-accepted" },
        h("p", { class: "ok" }, r.status === "accepted" || r.status === "active"
          ? "Accepted. An admin of the company now adds you: their browser checks your keys. Give them this fingerprint to compare:"
          : `The invitation is ${r.status}.`),
        h("p", { class: "fingerprint-big" }, h("code", null, state.session.fingerprint)),
        h("p", null, h("a", { href: "#/", class: "button secondary" }, "Go to your companies")));
      f.replaceWith(done);
      toast("Invitation accepted.");
    },
  });
  return [...page("Accept your invitation"), h("section", { class: "panel narrow" }, f)];
}
