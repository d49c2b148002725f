// state.js: what the app knows between views, and navigation. The worker
// holds the session and every key; this is only what the views show.

import { client } from "/vellum-client.js";
import { h } from "./ui.js";

export const vellum = client();

export const state = {
  session: null, // {accountId, email, unlocked, fingerprint}
  companies: null, // [{id, name, role, ...}] once loaded
  companyId: null, // the company of the current view
  memberships: new Map(), // company id → {at, value}
};

let renderFn = () => {};
export function setRender(fn) { renderFn = fn; }

// go navigates to a route of the app (a fragment path).
export function go(path) {
  if (location.hash === "#" + path) renderFn();
  else location.hash = path;
}

// rerender draws the current view again (after a change).
export function rerender() { renderFn(); }

export async function refreshSession() {
  try {
    state.session = await vellum.session();
  } catch {
    state.session = null;
  }
  return state.session;
}

export async function loadCompanies(force = false) {
  if (!state.companies || force) state.companies = await vellum.tenants();
  return state.companies;
}

// company returns the company with its name and this account's role.
export async function company(tid) {
  let c = (await loadCompanies()).find((t) => t.id === tid);
  // Not in the list loaded before: joined since? Load it again now, since
  // the sidebar is drawn from it once this page is shown.
  if (!c) c = (await loadCompanies(true)).find((t) => t.id === tid);
  if (!c) {
    try {
      c = await vellum.tenant(tid); // fails with forbidden/not_found for a stranger
    } catch (e) {
      e.context = "company"; // the failure is about the company, not the page's object
      throw e;
    }
  }
  return c;
}

// stillMember checks, after a refusal, whether this account is still a
// member of the company: if not, the refusal is about that, not about the
// object, and the view says so.
export async function stillMember(tid) {
  const list = await loadCompanies(true).catch(() => null);
  if (list && !list.some((c) => c.id === tid)) {
    throw { code: "left_company", message: "" };
  }
}

// membership returns the company's checked membership (members, roles,
// fingerprints), cached for a few seconds across views.
export async function membership(tid, force = false) {
  const hit = state.memberships.get(tid);
  if (hit && !force && Date.now() - hit.at < 5000) return hit.value;
  const value = await vellum.membership(tid);
  state.memberships.set(tid, { at: Date.now(), value });
  return value;
}

export function forgetMembership(tid) { state.memberships.delete(tid); }

export const isAdmin = (c) => c && (c.role === "owner" || c.role === "admin");

// emailOf names an account by its e-mail address in the company, if known.
export function emailOf(m, accountId) {
  const x = m && m.members.find((p) => p.accountId === accountId);
  return x ? x.email : "a former member";
}

// companyLinks is the sidebar of the current company.
export function companyLinks() {
  const tid = state.companyId;
  const list = state.companies || [];
  const c = list.find((t) => t.id === tid);
  const here = location.hash.replace(/^#/, "");
  const link = (href, text, id) => h("a", { href: "#" + href, id, "aria-current": here === href || (href.endsWith(tid) && here.startsWith(href + "/f/")) ? "page" : undefined }, text);
  const out = [];
  if (c) {
    out.push(h("p", { class: "nav-company" }, h("span", { class: "nav-label" }, "Company"), h("strong", null, c.name || "Unnamed company"),
      h("span", { class: "role" }, c.role)));
    out.push(h("ul", null,
      h("li", null, link(`/c/${tid}`, "Files", "nav-files")),
      h("li", null, link(`/c/${tid}/members`, "Members", "nav-members")),
      h("li", null, link(`/c/${tid}/requests`, "Access requests", "nav-requests")),
      h("li", null, link(`/c/${tid}/envelopes`, "Signatures", "nav-signatures")),
      isAdmin(c) ? h("li", null, link(`/c/${tid}/activity`, "Activity log", "nav-activity")) : null));
  }
  if (list.length > 0) {
    out.push(h("ul", { class: "nav-secondary" },
      h("li", null, link("/companies", list.length > 1 ? "Switch company" : "Your companies", "nav-companies")),
      h("li", null, link("/companies/new", "New company", "nav-new-company"))));
  }
  return out;
}
