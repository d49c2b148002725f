// members.js: who is in the company, with which role, and their key
// fingerprints; admins invite people, add those who accepted, change roles
// and remove members. Every change is a statement signed in this browser
// and checked by every member's browser.

import { h, field, form, page, when, toast, confirmDialog, banner, shortFingerprint } from "../ui.js";
import { vellum, go, rerender, company, membership, forgetMembership, isAdmin, loadCompanies } from "../state.js";

const roleOptions = [["member", "Member"], ["admin", "Admin"], ["owner", "Owner"]];

export async function view({ tid }) {
  const c = await company(tid);
  const admin = isAdmin(c);
  const [m, invites] = await Promise.all([
    membership(tid, true),
    admin ? vellum.invites(tid) : Promise.resolve([]),
  ]);

  const rows = m.members.map((p) => {
    let role = h("span", null, p.role);
    if (admin && !p.you) {
      const sel = h("select", { "aria-label": `Role of ${p.email}`, class: "role-select" },
        roleOptions.filter(([v]) => v !== "owner" || c.role === "owner").map(([v, t]) => h("option", { value: v, selected: v === p.role }, t)));
      sel.addEventListener("change", async () => {
        try {
          await vellum.changeRole(tid, p.accountId, sel.value);
          forgetMembership(tid);
          toast(`${p.email} is now ${sel.value === "admin" ? "an admin" : "a " + sel.value}.`);
        } catch (e) {
          sel.value = p.role;
          banner(e);
        }
      });
      role = sel;
    }
    const actions = h("td", { class: "row-actions" });
    if (admin && !p.you) {
      actions.append(h("button", { type: "button", class: "danger small remove", "aria-label": `Remove ${p.email}`, onclick: () => remove(tid, p) }, "Remove"));
    } else if (p.you && m.members.length > 1) {
      actions.append(h("button", { type: "button", class: "secondary small", onclick: () => leave(tid, p) }, "Leave company"));
    }
    return h("tr", { dataset: { email: p.email, account: p.accountId } },
      h("th", { scope: "row" }, p.email, p.you ? h("span", { class: "badge" }, "you") : null),
      h("td", null, role),
      h("td", null, h("code", { title: p.fingerprint }, shortFingerprint(p.fingerprint))),
      actions);
  });

  const parts = [...page("Members"),
    h("p", { class: "lead" }, "Roles and keys below come from the company's signed membership record, checked by this browser. Compare a new member's key fingerprint with them before sharing sensitive files."),
    h("section", { class: "panel" }, h("h2", null, `${m.members.length} ${m.members.length === 1 ? "member" : "members"}`),
      h("div", { class: "table-wrap" }, h("table", { id: "members" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "E-mail"), h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Key fingerprint"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", null, rows))))];

  if (admin) parts.push(inviteSection(tid, c, invites));
  parts.push(h("section", { class: "panel" }, h("h2", null, "Company record"),
    h("dl", { class: "facts" },
      h("dt", null, "Owner's key fingerprint"), h("dd", null, h("code", { id: "owner-fingerprint" }, m.ownerFingerprint)),
      h("dt", null, "Pinned in this browser"), h("dd", null, h("code", null, m.pin.slice(0, 16) + "…"), m.firstUse ? " (first seen now)" : ""),
      h("dt", null, "Record length"), h("dd", null, `${m.seq + 1} signed statements`),
      h("dt", null, "Tenant recovery"), h("dd", null, m.recovery ? `On: ${m.recovery.threshold} of ${m.recovery.holders} admins together can restore a member's account` : "Off"))));
  return parts;
}

function inviteSection(tid, c, invites) {
  const f = form({
    id: "invite", submit: "Send invitation", context: "invite-create",
    fields: [
      field({ label: "E-mail address", name: "email", id: "invite-email", type: "email", required: true, autocomplete: "off", spellcheck: "false" }),
      field({ label: "Role", name: "role", id: "invite-role", type: "select", value: "member",
        options: roleOptions.filter(([v]) => v !== "owner" || c.role === "owner") }),
    ],
    onSubmit: async ({ email, role }) => {
      await vellum.invite(tid, email, role);
      toast(`Invitation sent to ${email.trim()}. When they accept, add them here.`);
      rerender();
    },
  });
  const open = invites.filter((i) => i.status === "pending" || i.status === "accepted");
  const rows = open.map((i) => h("tr", { dataset: { email: i.email, status: i.status, invite: i.id } },
    h("th", { scope: "row" }, i.email),
    h("td", null, i.role),
    h("td", null, i.status === "accepted" ? h("strong", null, "Accepted: add them") : "Waiting for them", h("br"), h("span", { class: "muted small" }, `expires ${when(i.expiresAt)}`)),
    h("td", { class: "row-actions" },
      i.status === "accepted" ? h("button", { type: "button", class: "primary small add-member", onclick: () => add(tid, i) }, "Add to company") : null,
      h("button", { type: "button", class: "secondary small", onclick: async () => {
        try { await vellum.revokeInvite(tid, i.id); toast("Invitation withdrawn."); rerender(); } catch (e) { banner(e); }
      } }, "Withdraw"))));
  return h("section", { class: "panel" }, h("h2", null, "Invite people"), f,
    open.length ? h("div", { class: "table-wrap" }, h("table", { id: "invites" },
      h("caption", null, "Open invitations"),
      h("thead", null, h("tr", null, ["E-mail", "Role", "Status"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", null, rows))) : null);
}

async function add(tid, inv) {
  const body = h("div", null,
    h("p", null, `${inv.email} accepted the invitation. Before you add them, ask them to read you the key fingerprint on their Account page, and compare:`),
    h("p", { class: "fingerprint-big" }, h("code", { id: "invitee-fingerprint" }, inv.fingerprint || "no valid key")),
    h("p", { class: "hint" }, "Only the server vouches for which account accepted; the fingerprint is how you know it is them."));
  if (!inv.fingerprint) {
    banner({ code: "untrusted", message: "" });
    return;
  }
  const ok = await confirmDialog({ title: `Add ${inv.email}?`, body, confirm: "The fingerprint matches: add them" });
  if (!ok) return;
  try {
    await vellum.addMember(tid, inv.id);
    forgetMembership(tid);
    toast(`${inv.email} is now a member. Share folders or documents with them.`);
    rerender();
  } catch (e) {
    banner(e);
  }
}

async function remove(tid, p) {
  const ok = await confirmDialog({
    title: `Remove ${p.email}?`,
    body: "They lose access at once. Your browser then makes new keys for every folder they could open, so new documents and new versions are safe from them; what they already downloaded stays theirs.",
    confirm: "Remove", danger: true,
  });
  if (!ok) return;
  try {
    const r = await vellum.removeMember(tid, p.accountId);
    forgetMembership(tid);
    toast(`${p.email} was removed${r.rotated.length ? `; ${r.rotated.length} folder key${r.rotated.length === 1 ? " was" : "s were"} replaced` : ""}.`);
    rerender();
  } catch (e) {
    banner(e);
  }
}

async function leave(tid, p) {
  const ok = await confirmDialog({ title: "Leave this company?", body: "You lose access to its files at once. An admin must invite you again to come back.", confirm: "Leave", danger: true });
  if (!ok) return;
  try {
    await vellum.removeMember(tid, p.accountId);
    forgetMembership(tid);
    await loadCompanies(true);
    toast("You left the company.");
    go("/");
  } catch (e) {
    banner(e);
  }
}
