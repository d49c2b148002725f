// share.js: sharing a folder or document with a member, and asking for
// access. Sharing wraps the key in this browser to the member's key as the
// company's signed membership record states it, never a key the server
// offers.

import { h, field, formDialog, form, toast } from "./ui.js";
import { vellum, membership } from "./state.js";

export async function shareDialog({ tid, kind, id, name }) {
  const m = await membership(tid, true);
  const others = m.members.filter((p) => !p.you);
  if (others.length === 0) {
    toast("There is nobody to share with yet: invite your colleagues on the Members page.");
    return null;
  }
  return formDialog({
    title: `Share “${name}”`,
    intro: h("p", null, kind === "folder"
      ? "The member gets the folder's key: they can open every document in it, now and later."
      : "The member gets this document's key: they can open it and its new versions."),
    fields: [field({
      label: "Member", name: "member", id: "share-member", type: "select", required: true,
      options: others.map((p) => [p.accountId, `${p.email} (${p.role})`]),
    })],
    submit: "Share",
    context: "share",
    onSubmit: async ({ member }) => {
      await vellum.share(tid, { kind, id }, member);
      const who = others.find((p) => p.accountId === member);
      toast(`Shared with ${who ? who.email : "the member"}. Your browser wrapped the key for them.`);
      return member;
    },
  });
}

// requestAccess is the form shown where this account holds no key.
export function requestAccess({ tid, kind, id }) {
  const done = h("div", { id: "request-sent", role: "status" });
  const f = form({
    id: "request-access", submit: "Request access", context: "request",
    fields: [field({ label: "Message (optional)", name: "message", id: "request-message", type: "textarea", rows: "3", maxlength: "500",
      hint: "Whoever can share it sees this message. It is stored readable on the server." })],
    onSubmit: async ({ message }) => {
      await vellum.requestAccess(tid, { kind, id }, message);
      f.replaceWith(done);
      done.append(h("p", { class: "ok" }, "Your request was sent. When someone who holds the key approves it, their browser shares the key with you; reload this page then."));
    },
  });
  return h("section", { class: "panel" }, h("h2", null, "Request access"), f);
}
