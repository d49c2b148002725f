// companies.js: the companies (tenants) of this account, and creating one.
// Creating a company signs its first membership statement in this browser
// with this account's key: the root every member's browser checks.

import { h, field, form, page, emptyState, when, toast } from "../ui.js";
import { state, vellum, go, loadCompanies } from "../state.js";

export async function home() {
  const list = await loadCompanies(true);
  if (list.length === 1) {
    queueMicrotask(() => go(`/c/${list[0].id}`));
    return page("Opening your company…");
  }
  return companiesPage(list);
}

export async function list() {
  return companiesPage(await loadCompanies(true));
}

function companiesPage(list) {
  if (list.length === 0) {
    return [...page("Welcome to Vellum"),
      emptyState("You are not a member of a company yet. Create your company's account, or open the invitation an admin sent you.",
        h("a", { href: "#/companies/new", class: "button primary", id: "create-company-cta" }, "Create a company account"))];
  }
  return [...page("Your companies"),
    h("ul", { class: "cards", id: "company-list" }, list.map((c) => h("li", { class: "card", dataset: { name: c.name } },
      h("a", { href: `#/c/${c.id}`, class: "card-link" }, h("strong", null, c.name || "Unnamed company")),
      h("p", { class: "muted" }, `Your role: ${c.role} · since ${when(c.createdAt)}`)))),
    h("p", null, h("a", { href: "#/companies/new", class: "button secondary" }, "Create another company"))];
}

export async function create() {
  const f = form({
    id: "company", submit: "Create company account",
    fields: [
      field({ label: "Company name", name: "name", id: "company-name", required: true, maxlength: "200", autocomplete: "organization",
        hint: "Members see this name. It is stored readable on the server, unlike your files and folder names." }),
    ],
    onSubmit: async ({ name }) => {
      if (!name.trim()) throw { code: "invalid", message: "enter the company's name" };
      const c = await vellum.createTenant(name);
      state.companies = null;
      await loadCompanies(true);
      toast(`${c.name} is ready. Create a folder, then invite your colleagues.`);
      go(`/c/${c.id}`);
    },
  });
  return [...page("Create a company account"),
    h("p", { class: "lead" }, "You will be its owner. Your browser signs the company's membership record with your key; every member's browser checks it before sharing a file."),
    h("section", { class: "panel narrow" }, f)];
}
