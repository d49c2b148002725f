// envelopes.js: the sender's side of e-signature. A company's signature
// requests ("envelopes") with their status; a form to send a document for
// signature to members and to outside signers; and each envelope's page,
// with every signer's progress, reminders, a new link for a locked one,
// cancelling, and the signed document with its .seal file once sealed.
//
// An outside signer's link holds the secret that opens the document with
// their PIN. The worker returns it once, when the envelope is sent or a
// link replaced; this page keeps it in memory only (never in the DOM, never
// in storage) and hands it to the sender's mail program or clipboard on
// request. The server never sees it; it relays the PIN by text message.

import { h, $, field, form, page, when, bytes, toast, banner, emptyState, formDialog, confirmDialog, nextId } from "../ui.js";
import { vellum, state, go, rerender, company, membership, emailOf } from "../state.js";
import { saveSealed, saveSealFile } from "../save.js";

const listHref = (tid) => `#/c/${tid}/envelopes`;
const envelopeHref = (tid, eid) => `#/c/${tid}/envelopes/${eid}`;

// Limits of SPEC part 90 (protocol/api_envelopes.go), checked here so that
// a mistake is explained next to its field before anything is sent.
const MAX_SIGNERS = 64;
const MAX_MESSAGE = 4096; // bytes of UTF-8
const MAX_DAYS = 365;
const DEFAULT_DAYS = 14;
const MAX_REASON = 1024;

// freshLinks: envelope id → Map(signer id → {name, email, url}), the
// signing links made in this tab that the sender may still have to send.
const freshLinks = new Map();

function keepLinks(eid, links) {
  const m = freshLinks.get(eid) || new Map();
  for (const l of links) m.set(l.signerId, l);
  freshLinks.set(eid, m);
}

const statusText = {
  sent: "Waiting for signatures",
  completed: "Signed by everyone, not sealed yet",
  sealed: "Signed and sealed",
  declined: "Declined",
  cancelled: "Cancelled",
  expired: "Expired",
};
const statusBadge = { sent: "badge", completed: "badge ok", sealed: "badge ok", declined: "badge warn", cancelled: "badge warn", expired: "badge warn" };

function statusOf(env) {
  return h("span", { class: statusBadge[env.status] || "badge", dataset: { status: env.status } }, statusText[env.status] || env.status);
}

// signerStatus is one signer's progress in words.
function signerStatus(env, s) {
  switch (s.state) {
    case "signed": return `Signed ${when(s.signedAt)}`;
    case "declined": return s.reason ? `Declined: “${s.reason}”` : "Declined (no reason given)";
    case "locked": return "Link locked after 5 wrong PINs: replace the link";
  }
  if (env.status !== "sent") return "Did not sign";
  if (s.waitingForTurn) return "Waiting for their turn";
  if (s.state === "opened") return `Opened ${when(s.openedAt)}, not signed yet`;
  return "Pending: not opened yet";
}

// documentNames names each document of the envelopes (one request per
// document; a document this account cannot open is said so).
async function documentNames(tid, envs) {
  const ids = [...new Set(envs.map((e) => e.documentId))];
  const names = await Promise.all(ids.map((id) => vellum.document(tid, id).then((d) => (d.locked ? null : d.name), () => null)));
  return new Map(ids.map((id, i) => [id, names[i]]));
}

const docName = (names, id) => names.get(id) || "A document you cannot open";

// list is the company's signature requests this account sent or signs.
export async function list({ tid }, query) {
  const c = await company(tid);
  const cursor = query.get("cursor") || "";
  const [l, m] = await Promise.all([vellum.call("envelopes", [tid, cursor]), membership(tid).catch(() => null)]);
  const names = await documentNames(tid, l.envelopes);
  const rows = l.envelopes.map((e) => {
    const signed = e.signers.filter((s) => s.state === "signed").length;
    return h("tr", { dataset: { id: e.id, status: e.status } },
      h("th", { scope: "row" }, h("a", { href: envelopeHref(tid, e.id) }, docName(names, e.documentId))),
      h("td", null, statusOf(e)),
      h("td", null, `${signed} of ${e.signers.length} signed`),
      h("td", null, m ? emailOf(m, e.createdBy) : ""),
      h("td", null, when(e.createdAt)),
      h("td", null, when(e.expiresAt)));
  });
  return [...page(`${c.name || "Company"} · Signatures`),
    h("div", { class: "toolbar" }, h("a", { href: `#/c/${tid}/envelopes/new`, class: "button primary", id: "new-envelope" }, "Send a document for signature")),
    rows.length
      ? h("div", { class: "table-wrap" }, h("table", { id: "envelope-list" },
        h("thead", null, h("tr", null, ["Document", "Status", "Signatures", "Sent by", "Sent", "Expires"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, rows)))
      : emptyState("No signature requests yet. Open a document and choose “Send for signature”, or start here."),
    l.nextCursor ? h("p", null, h("a", { href: `#/c/${tid}/envelopes?cursor=${encodeURIComponent(l.nextCursor)}`, class: "button secondary" }, "Older requests")) : null];
}

// documentChoices lists the documents this account can open, folder by
// folder, breadth first, for the picker of a new envelope (at most
// maxFolders folders: a request each).
async function documentChoices(tid, maxFolders = 40) {
  const out = [];
  const queue = (await vellum.folders(tid, "")).filter((f) => !f.locked);
  for (let i = 0; i < queue.length && i < maxFolders; i++) {
    const f = queue[i];
    const [docs, subs] = await Promise.all([vellum.documents(tid, f.id).catch(() => []), vellum.folders(tid, f.id).catch(() => [])]);
    for (const d of docs) if (!d.locked) out.push({ id: d.id, name: d.name, folder: f.name, version: d.version });
    queue.push(...subs.filter((s) => !s.locked));
  }
  return out;
}

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]+$/;
// E.164: a plus, a country code that does not start with 0, at most 15
// digits in all. Spaces, dashes, dots and brackets people type are dropped.
const PHONE_RE = /^\+[1-9][0-9]{7,14}$/;
const normPhone = (s) => s.replace(/[\s\-.()/]/g, "");
const utf8Length = (s) => new TextEncoder().encode(s).length;

// invalid is a mistake in the form: it names what to fix, and marks and
// focuses the field (the form keeps everything typed).
function invalid(input, message) {
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  return { code: "invalid", message };
}

// create is the form that sends a document for signature.
export async function create({ tid }, query) {
  const c = await company(tid);
  const preset = query.get("document") || "";
  const [m, docs] = await Promise.all([
    membership(tid, true),
    preset ? vellum.document(tid, preset).then((d) => (d.locked ? [] : [{ id: d.id, name: d.name, version: d.version }])) : documentChoices(tid),
  ]);

  // The document.
  let docField;
  if (preset && docs.length === 1) {
    docField = h("div", { class: "field" },
      h("strong", null, "Document"),
      h("p", { id: "envelope-document", dataset: { id: docs[0].id } }, `${docs[0].name} (version ${docs[0].version})`),
      h("input", { type: "hidden", name: "documentId", value: docs[0].id }));
  } else if (docs.length) {
    docField = field({ label: "Document", name: "documentId", id: "envelope-document", type: "select", required: true,
      options: [["", "Choose a document"], ...docs.map((d) => [d.id, `${d.name} (in ${d.folder})`])],
      hint: "The current version is sent; later versions need a new request." });
  } else {
    return [...page("Send for signature"), emptyState("There is no document you can open to send. Upload one first.",
      h("a", { href: `#/c/${tid}`, class: "button primary" }, "Go to the files"))];
  }

  // The signers, in signing order.
  const signerList = h("ol", { class: "plain", id: "signer-list", "aria-label": "Signers, in signing order" });
  const signerLive = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const rows = []; // {el, kind, inputs}
  const renumber = () => {
    rows.forEach((r, i) => {
      r.legend.textContent = `Signer ${i + 1}: ${r.kind === "member" ? "company member" : "outside signer"}`;
      r.up.disabled = i === 0;
      r.down.disabled = i === rows.length - 1;
      r.up.setAttribute("aria-label", `Move signer ${i + 1} up`);
      r.down.setAttribute("aria-label", `Move signer ${i + 1} down`);
      r.remove.setAttribute("aria-label", `Remove signer ${i + 1}`);
    });
    signerList.replaceChildren(...rows.map((r) => r.el));
  };
  const move = (r, by) => {
    const i = rows.indexOf(r);
    const j = i + by;
    if (j < 0 || j >= rows.length) return;
    [rows[i], rows[j]] = [rows[j], rows[i]];
    renumber();
    // Keep the focus on the button pressed, or on its twin at an end.
    const pressed = by < 0 ? r.up : r.down;
    (pressed.disabled ? (by < 0 ? r.down : r.up) : pressed).focus();
    signerLive.textContent = `Moved to position ${j + 1} of ${rows.length}.`;
  };
  const addSigner = (kind) => {
    if (rows.length >= MAX_SIGNERS) {
      signerLive.textContent = `An envelope has at most ${MAX_SIGNERS} signers.`;
      return;
    }
    const n = nextId("signer");
    const r = { kind, legend: h("legend", null), inputs: {} };
    let fields;
    if (kind === "member") {
      const f = field({ label: "Member", id: `${n}-member`, type: "select", required: true,
        options: [["", "Choose a member"], ...m.members.map((p) => [p.accountId, p.you ? `${p.email} (you)` : p.email])] });
      r.inputs.accountId = f.input;
      fields = [f];
    } else {
      const name = field({ label: "Name", id: `${n}-name`, required: true, autocomplete: "off", maxlength: "200" });
      const email = field({ label: "E-mail address", id: `${n}-email`, type: "email", required: true, autocomplete: "off", spellcheck: "false",
        hint: "You send the signing link to this address from your own mail program." });
      const phone = field({ label: "Mobile phone", id: `${n}-phone`, type: "text", inputmode: "tel", required: true, autocomplete: "off",
        hint: "With the country code, like +49 151 2345678. Vellum texts the PIN here." });
      Object.assign(r.inputs, { name: name.input, email: email.input, phone: phone.input });
      fields = [name, email, phone];
    }
    for (const input of Object.values(r.inputs)) input.addEventListener("input", () => input.removeAttribute("aria-invalid"));
    r.up = h("button", { type: "button", class: "secondary small", onclick: () => move(r, -1) }, "Move up");
    r.down = h("button", { type: "button", class: "secondary small", onclick: () => move(r, 1) }, "Move down");
    r.remove = h("button", { type: "button", class: "danger small", onclick: () => {
      const i = rows.indexOf(r);
      rows.splice(i, 1);
      renumber();
      signerLive.textContent = "Signer removed.";
      (rows.length ? Object.values(rows[Math.min(i, rows.length - 1)].inputs)[0] : addOutsider).focus();
    } }, "Remove");
    r.el = h("li", { class: "signer-row", dataset: { kind } }, h("fieldset", null, r.legend, fields,
      h("div", { class: "row-actions" }, r.up, r.down, r.remove)));
    rows.push(r);
    renumber();
    (r.inputs.accountId || r.inputs.name).focus();
  };
  const addMember = h("button", { type: "button", class: "secondary", id: "add-member-signer", onclick: () => addSigner("member") }, "Add a company member");
  const addOutsider = h("button", { type: "button", class: "secondary", id: "add-outside-signer", onclick: () => addSigner("outsider") }, "Add an outside signer");

  const orderId = nextId("order");
  const order = h("fieldset", { class: "field", id: "envelope-order" },
    h("legend", null, "Signing order"),
    ["sequential", "parallel"].map((v) => h("label", { class: "check" },
      h("input", { type: "radio", name: "order", value: v, checked: v === "sequential", id: `${orderId}-${v}` }),
      v === "sequential" ? "One after another, in the order listed" : "All at once, in any order")));

  const days = field({ label: "Expires after (days)", name: "days", id: "envelope-days", type: "text", inputmode: "numeric", pattern: "[0-9]*", value: String(DEFAULT_DAYS), required: true, hint: `From 1 to ${MAX_DAYS} days.` });
  const dayHint = days.querySelector(".hint");
  dayHint.setAttribute("aria-live", "polite");
  const showExpiry = () => {
    const n = Number(days.input.value);
    dayHint.textContent = Number.isInteger(n) && n >= 1 && n <= MAX_DAYS
      ? `Links and PINs stop working on ${when(new Date(Date.now() + n * 864e5).toISOString())}.`
      : `From 1 to ${MAX_DAYS} days.`;
  };
  days.input.addEventListener("input", showExpiry);
  showExpiry();

  const message = field({ label: "Message to the signers (optional)", name: "message", id: "envelope-message", type: "textarea", rows: "3",
    hint: "Encrypted with the document: only the signers and people with access to the document can read it." });

  const f = form({
    id: "envelope-form", submit: "Send for signature", context: "envelope",
    fields: [docField,
      h("fieldset", { class: "field", id: "envelope-signer-fields" }, h("legend", null, "Signers"),
        h("p", { class: "hint" }, "Members sign in Vellum with their own key. Outside signers get a link from you by e-mail and a PIN from Vellum by text message."),
        signerList, signerLive, h("div", { class: "actions" }, addMember, addOutsider)),
      order, days, message],
    onSubmit: async (values, formEl) => {
      for (const el of formEl.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
      const spec = readSpec(values, rows, m, formEl);
      const env = await vellum.call("createEnvelope", [tid, spec]);
      keepLinks(env.id, env.links);
      toast(env.links.length
        ? "Signature request sent. Now send each outside signer their link."
        : "Signature request sent. The signers were told by e-mail.");
      go(`/c/${tid}/envelopes/${env.id}`);
    },
  });
  // The page's own checks (readSpec) run instead of the browser's: they
  // name the signer and the field, in the app's words, and keep focus and
  // everything typed.
  f.noValidate = true;
  return [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null,
      h("li", null, h("a", { href: `#/c/${tid}` }, c.name || "Files")),
      h("li", null, h("a", { href: listHref(tid) }, "Signatures")),
      h("li", null, h("span", { "aria-current": "page" }, "New request")))),
    ...page("Send for signature"),
    h("p", { class: "lead" }, "Each signer signs the SHA-256 of the exact bytes of the document in their own browser. When everyone has signed, the seal is recorded in Vellum's public log."),
    h("section", { class: "panel" }, f)];
}

// readSpec checks the form and returns createEnvelope's spec, or throws
// an "invalid" error naming the field to fix.
function readSpec(values, rows, m, formEl) {
  const docInput = formEl.querySelector("[name=documentId]");
  if (!values.documentId) throw invalid(docInput, "choose the document to send");
  if (rows.length === 0) throw invalid(formEl.querySelector("#add-member-signer"), "add at least one signer");
  const seen = new Set();
  const signers = rows.map((r, i) => {
    const who = `signer ${i + 1}`;
    if (r.kind === "member") {
      const id = r.inputs.accountId.value;
      if (!id) throw invalid(r.inputs.accountId, `${who}: choose a member`);
      if (seen.has(id)) throw invalid(r.inputs.accountId, `${who}: ${emailOf(m, id)} is listed twice`);
      seen.add(id);
      return { kind: "member", accountId: id, name: emailOf(m, id) };
    }
    const name = r.inputs.name.value.trim();
    const email = r.inputs.email.value.trim();
    const phone = normPhone(r.inputs.phone.value);
    if (!name) throw invalid(r.inputs.name, `${who}: enter their name`);
    if (!email) throw invalid(r.inputs.email, `${who} (${name}): enter their e-mail address`);
    if (!EMAIL_RE.test(email) || email.length > 320) throw invalid(r.inputs.email, `${who} (${name}): “${email}” is not an e-mail address`);
    if (!phone) throw invalid(r.inputs.phone, `${who} (${name}): enter their mobile phone number; the PIN goes there by text message`);
    if (!PHONE_RE.test(phone)) throw invalid(r.inputs.phone, `${who} (${name}): enter the mobile number with its country code, like +49 151 2345678`);
    return { kind: "outsider", name, email, phone };
  });
  const days = Number(values.days);
  const daysInput = formEl.querySelector("[name=days]");
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw invalid(daysInput, `the expiry must be a whole number of days from 1 to ${MAX_DAYS}`);
  const message = (values.message || "").trim();
  if (utf8Length(message) > MAX_MESSAGE) throw invalid(formEl.querySelector("[name=message]"), `the message is too long: at most ${MAX_MESSAGE} bytes`);
  const spec = { documentId: values.documentId, signers, order: values.order === "parallel" ? "parallel" : "sequential", expiresAt: days };
  if (message) spec.message = message;
  return spec;
}

// view is one envelope: its signers' progress and what the sender, or a
// member signer, can do now.
export async function view({ tid, eid }) {
  const c = await company(tid);
  const [env, m] = await Promise.all([vellum.call("envelope", [tid, eid]), membership(tid).catch(() => null)]);
  const names = await documentNames(tid, [env]);
  const name = docName(names, env.documentId);
  const me = state.session && state.session.accountId;
  const sender = env.createdBy === me;
  const open = env.status === "sent";
  const status = h("p", { id: "envelope-action-status", role: "status", "aria-live": "polite", class: "muted" });

  const remind = async (signerIds, who) => {
    status.textContent = "";
    try {
      await vellum.call("remind", [tid, eid, signerIds]);
      // Said once, in the status line (a live region): a toast as well
      // would be announced twice and pile up with repeated clicks.
      status.textContent = `Reminder sent to ${who}.`;
    } catch (e) {
      // The server reminds each signer at most once an hour.
      if (e.code === "rate_limited") status.textContent = `Not sent: ${signerIds.length > 1 ? "they were" : who + " was"} reminded less than an hour ago. Vellum sends at most one reminder an hour to each signer.`;
      else banner(e, "envelope");
    }
  };

  const replace = async (s) => {
    const ok = await confirmDialog({
      title: `New signing link for ${s.name}?`,
      body: `The current link stops working at once, the count of wrong PINs starts again, and Vellum texts ${s.name} a new PIN. You then send them the new link.`,
      confirm: "Make a new link",
    });
    if (!ok) return;
    try {
      const l = await vellum.call("replaceLink", [tid, eid, s.id]);
      keepLinks(eid, [l]);
      toast(`New link made for ${s.name}. Send it to them now.`);
      rerender();
    } catch (e) {
      banner(e, "envelope");
    }
  };

  // Those a reminder helps: signers whose turn it is, but not the sender
  // (the server would remind everyone pending, even those not yet due).
  const pendingNow = (s) => (s.state === "pending" || s.state === "opened") && !s.waitingForTurn;
  const remindable = env.signers.filter((s) => pendingNow(s) && !(s.kind === "member" && s.accountId === me));

  const rows = env.signers.map((s, i) => {
    const actions = h("td", { class: "row-actions" });
    const pending = s.state === "pending" || s.state === "opened";
    if (sender && open && remindable.includes(s)) {
      actions.append(h("button", { type: "button", class: "secondary small remind", "aria-label": `Remind ${s.name}`, onclick: () => remind([s.id], s.name) }, "Remind"));
    }
    if (sender && open && s.kind === "outsider" && (pending || s.state === "locked")) {
      actions.append(h("button", { type: "button", class: (s.state === "locked" ? "primary" : "secondary") + " small replace-link", "aria-label": `New link for ${s.name}`, onclick: () => replace(s) }, "New link"));
    }
    if (s.kind === "member" && s.accountId === me && open && pendingNow(s)) {
      actions.append(h("button", { type: "button", class: "primary small", id: "review-and-sign", onclick: () => reviewAndSign(tid, env) }, "Review and sign"));
    }
    return h("tr", { dataset: { signer: s.id, state: s.state, kind: s.kind, email: s.email } },
      h("td", null, env.order === "sequential" ? String(i + 1) : "—"),
      h("th", { scope: "row" }, s.name, s.accountId === me ? h("span", { class: "badge" }, "you") : null),
      h("td", null, s.email),
      h("td", null, s.kind === "member" ? "Company member" : "Outside signer"),
      h("td", { class: "signer-status" }, signerStatus(env, s)),
      actions);
  });

  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Signature request actions" });
  if (sender && open && remindable.length) {
    toolbar.append(h("button", { type: "button", class: "secondary", id: "remind-all", onclick: () => remind(remindable.map((s) => s.id), remindable.length === 1 ? remindable[0].name : "every signer whose turn it is") }, "Remind everyone pending"));
  }
  if (sender && open) {
    toolbar.append(h("button", { type: "button", class: "danger", id: "cancel-envelope", onclick: () => cancel(tid, env, name) }, "Cancel request"));
  }
  if (env.status === "sealed") toolbar.append(...sealedDownloads(tid, env, status));

  const facts = h("dl", { class: "facts" },
    h("dt", null, "Status"), h("dd", { id: "envelope-status" }, statusOf(env)),
    h("dt", null, "Document"), h("dd", null, h("a", { href: `#/c/${tid}/d/${env.documentId}` }, name), ` (version ${env.version})`),
    h("dt", null, "Sent by"), h("dd", null, m ? emailOf(m, env.createdBy) : ""),
    h("dt", null, "Sent"), h("dd", null, when(env.createdAt)),
    h("dt", null, "Expires"), h("dd", null, when(env.expiresAt)),
    h("dt", null, "Order"), h("dd", null, env.order === "sequential" ? "One after another" : "All at once"),
    env.reason ? [h("dt", null, "Reason for cancelling"), h("dd", { id: "envelope-reason" }, env.reason)] : null,
    env.hasMessage ? [h("dt", null, "Message"), h("dd", { id: "envelope-message-text" },
      env.message !== null ? h("blockquote", null, env.message) : h("span", { class: "muted" }, "Cannot be read: you hold no key of this document version"))] : null);

  return [
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null,
      h("li", null, h("a", { href: `#/c/${tid}` }, c.name || "Files")),
      h("li", null, h("a", { href: listHref(tid), id: "back-to-envelopes" }, "Signatures")),
      h("li", null, h("span", { "aria-current": "page" }, name)))),
    ...page(`Signature request: ${name}`),
    toolbar, status, linksPanel(eid, env), facts,
    h("section", { class: "panel" }, h("h2", null, "Signers"),
      h("div", { class: "table-wrap" }, h("table", { id: "envelope-signers" },
        h("thead", null, h("tr", null, ["#", "Name", "E-mail", "Kind", "Status"].map((t) => h("th", { scope: "col" }, t)),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", null, rows)))),
  ];
}

// linksPanel offers the links made in this tab for signers who have not
// acted yet. The link goes to the mail program or clipboard only when the
// sender asks; it is never written into the page.
function linksPanel(eid, env) {
  const links = freshLinks.get(eid);
  if (!links) return null;
  const waiting = env.signers.filter((s) => links.has(s.id) && (s.state === "pending" || s.state === "opened" || s.state === "locked"));
  if (!waiting.length || env.status !== "sent") return null;
  const items = waiting.map((s) => {
    const l = links.get(s.id);
    return h("li", { dataset: { signer: s.id } },
      h("p", null, h("strong", null, s.name), ` · ${s.email}`),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary small mail-link", "aria-label": `E-mail the link to ${s.name}`, onclick: () => mailLink(l) }, "Write the e-mail"),
        h("button", { type: "button", class: "secondary small copy-link", "aria-label": `Copy the link for ${s.name}`, onclick: () => copyLink(l) }, "Copy link")));
  });
  return h("section", { class: "panel", id: "envelope-links", "aria-labelledby": "envelope-links-title" },
    h("h2", { id: "envelope-links-title" }, "Send the signing links"),
    h("p", null, "Send each outside signer their link from your own e-mail. Vellum has texted them a PIN; the link opens only with it. ",
      "Vellum does not keep these links: they are shown in this tab only. If one is lost, make a new link."),
    h("ul", { class: "plain" }, items));
}

// mailLink opens a draft in the sender's mail program, through a link
// made for the click and never attached to the document, so the signing
// link is not in the page's DOM even for a moment.
function mailLink(l) {
  const body = `Hello ${l.name},\n\nplease read and sign the document at this link:\n\n${l.url}\n\n` +
    "You receive a PIN from Vellum by text message; the link opens only with it. Never share the PIN.\n";
  h("a", { href: `mailto:${encodeURIComponent(l.email)}?subject=${encodeURIComponent("Please sign this document")}&body=${encodeURIComponent(body)}` }).click();
}

async function copyLink(l) {
  try {
    await navigator.clipboard.writeText(l.url);
    toast(`Link for ${l.name} copied. Paste it into an e-mail to ${l.email}.`);
  } catch {
    toast("Could not copy the link: use “Write the e-mail” instead.");
  }
}

async function cancel(tid, env, name) {
  const ok = await formDialog({
    title: "Cancel this signature request?",
    intro: h("p", null, `The signers of “${name}” can no longer open or sign it, and are told your reason. This cannot be undone.`),
    fields: [field({ label: "Reason (shown to the signers)", name: "reason", id: "cancel-reason", type: "textarea", rows: "2", required: true })],
    submit: "Cancel request",
    context: "envelope",
    onSubmit: async ({ reason }) => {
      const r = reason.trim();
      if (!r) throw { code: "invalid", message: "enter a reason for the signers" };
      if (utf8Length(r) > MAX_REASON) throw { code: "invalid", message: `the reason is too long: at most ${MAX_REASON} bytes` };
      return vellum.call("cancelEnvelope", [tid, env.id, r]);
    },
  });
  if (ok) {
    toast("The signature request was cancelled.");
    rerender();
  }
}

// sealedDownloads are the buttons of a sealed envelope: the document,
// checked in the worker against its seal as it streams (a mismatch fails
// the download, and the browser marks it failed), then its .seal file,
// which the worker gives only once the document matched.
function sealedDownloads(tid, env, status) {
  let sealed = null; // {name, sha256, sealFile} after a checked download
  const saveSeal = h("button", { type: "button", class: "secondary", id: "download-seal", disabled: true,
    onclick: () => saveSealFile(sealed) }, "Save the .seal file");
  const download = h("button", { type: "button", class: "primary", id: "download-signed", onclick: async () => {
    download.disabled = true;
    status.textContent = "Downloading and checking the signed document…";
    let handle = 0;
    try {
      ({ handle } = await vellum.openEnvelope(tid, env.id));
      sealed = await saveSealed(vellum, handle, {
        onProgress: (done, total) => { status.textContent = `Downloading and checking the signed document: ${bytes(done)} of ${bytes(total)}…`; },
      });
      saveSeal.disabled = false;
      status.textContent = `“${sealed.name}” matches its seal (SHA-256 ${sealed.sha256}). Save the .seal file next to it: with it anyone can check the document, offline.`;
      status.dataset.sha256 = sealed.sha256;
    } catch (e) {
      status.textContent = "";
      banner(e, "download");
    } finally {
      download.disabled = false;
      if (handle) vellum.signingClose(handle).catch(() => {});
    }
  } }, "Download signed document");
  return [download, saveSeal];
}

// reviewAndSign shows the signing page's own viewer and sign/decline panel
// (app/signing.js, shared with the outside signer's page) in place of this
// view, for the logged-in member whose turn it is. It is loaded only then.
async function reviewAndSign(tid, env) {
  let handle = 0;
  try {
    const [{ signingView }, view] = await Promise.all([import("../signing.js"), vellum.openEnvelope(tid, env.id)]);
    handle = view.handle;
    // The handle is the worker's; it is closed when this page is left.
    window.addEventListener("hashchange", () => vellum.signingClose(handle).catch(() => {}), { once: true });
    $("#view").replaceChildren(
      h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("ol", null,
        h("li", null, h("a", { href: listHref(tid) }, "Signatures")),
        // The same route as now: drawn again, not navigated to.
        h("li", null, h("a", { href: envelopeHref(tid, env.id), id: "back-to-envelope", onclick: (ev) => {
          ev.preventDefault();
          vellum.signingClose(handle).catch(() => {});
          rerender();
        } }, "Signature request")))),
      signingView(view));
    const title = $("#page-title");
    if (title) title.focus({ preventScroll: true });
  } catch (e) {
    if (handle) vellum.signingClose(handle).catch(() => {});
    banner(e, "envelope");
  }
}
