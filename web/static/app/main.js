// main.js: the Vellum web app. A single page; the views are picked by the
// URL's fragment (#/c/<company>/f/<folder>, ...). Every cryptographic step
// happens in the Vellum worker (Go compiled to WebAssembly); this page
// holds no key and never sees one, only names, sizes and the recovery code
// at sign-up, which it shows once.

import { h, $, banner, clearBanner, toast, showFingerprint } from "./ui.js";
import * as save from "./save.js";
import { pruneTransfers } from "./transfers.js";
import { state, vellum, go, setRender, refreshSession, loadCompanies, companyLinks } from "./state.js";
import * as auth from "./views/auth.js";
import * as companies from "./views/companies.js";
import * as files from "./views/files.js";
import * as doc from "./views/document.js";
import * as members from "./views/members.js";
import * as requests from "./views/requests.js";
import * as activity from "./views/activity.js";
import * as account from "./views/account.js";
import * as invite from "./views/invite.js";
import * as envelopes from "./views/envelopes.js";

// Routes: a pattern of the fragment's path, whether a logged-in account is
// needed, and the view. A view is async (params, query) → nodes.
const routes = [
  ["/login", false, auth.login],
  ["/signup", false, auth.signup],
  ["/invite/:invite", false, invite.view],
  ["/", true, companies.home],
  ["/companies", true, companies.list],
  ["/companies/new", true, companies.create],
  ["/account", true, account.view],
  ["/c/:tid", true, files.root],
  ["/c/:tid/f/:fid", true, files.folder],
  ["/c/:tid/d/:did", true, doc.view],
  ["/c/:tid/members", true, members.view],
  ["/c/:tid/requests", true, requests.view],
  ["/c/:tid/activity", true, activity.view],
  ["/c/:tid/envelopes", true, envelopes.list],
  ["/c/:tid/envelopes/new", true, envelopes.create],
  ["/c/:tid/envelopes/:eid", true, envelopes.view],
];

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, needsLogin, view] of routes) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    want.forEach((w, i) => {
      if (w.startsWith(":")) params[w.slice(1)] = decodeURIComponent(parts[i]);
      else if (w !== parts[i]) ok = false;
    });
    if (ok) return { needsLogin, view, params };
  }
  return null;
}

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  const query = new URLSearchParams(qs || "");
  const m = match(path);
  clearBanner();
  closeNav();
  pruneTransfers();
  const view = $("#view");
  if (!m) {
    view.replaceChildren(h("h1", { id: "page-title", tabindex: "-1" }, "Page not found"),
      h("p", null, "There is no page at this address. ", h("a", { href: "#/" }, "Go to your companies"), "."));
    return;
  }
  if (m.needsLogin && !(state.session && state.session.unlocked)) {
    go("/login?next=" + encodeURIComponent(path));
    return;
  }
  state.companyId = m.params.tid || null;
  view.setAttribute("aria-busy", "true");
  if (state.session && state.session.unlocked && !state.companies) {
    await loadCompanies().catch(() => {});
  }
  try {
    const nodes = await m.view(m.params, query);
    if (seq !== renderSeq) return; // a newer navigation won
    view.replaceChildren(...[nodes].flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e && (e.code === "unauthenticated" || e.code === "not_logged_in")) {
      state.session = null;
      renderChrome();
      go("/login?next=" + encodeURIComponent(path));
      return;
    }
    view.replaceChildren(h("h1", { id: "page-title", tabindex: "-1" }, "This page could not be shown"),
      h("p", null, h("a", { href: "#/" }, "Go to your companies")));
    banner(e, (e && e.context) || (m.params.did ? "document" : m.params.fid ? "folder" : m.params.tid ? "company" : undefined));
  } finally {
    if (seq === renderSeq) view.removeAttribute("aria-busy");
  }
  renderChrome();
  // Move focus to the new page's heading, so keyboard and screen-reader
  // users start at the top of what changed.
  const title = $("#page-title");
  document.title = title ? `${title.textContent} · Vellum` : "Vellum";
  if (title) title.focus({ preventScroll: true });
}

// renderChrome draws the account area and the company sidebar.
function renderChrome() {
  const area = $("#account-area");
  const nav = $("#sidebar");
  const toggle = $("#nav-toggle");
  const s = state.session;
  if (!s || !s.unlocked) {
    area.replaceChildren(h("a", { href: "#/login", class: "button secondary" }, "Log in"),
      h("a", { href: "#/signup", class: "button primary" }, "Sign up"));
    nav.hidden = true;
    toggle.hidden = true;
    return;
  }
  area.replaceChildren(
    h("a", { href: "#/account", class: "account-link", title: "Your account" }, s.email),
    h("button", { type: "button", class: "secondary", id: "logout", onclick: logout }, "Log out"));
  const links = companyLinks();
  nav.replaceChildren(...links);
  nav.hidden = links.length === 0;
  toggle.hidden = links.length === 0;
}

async function logout() {
  try {
    await vellum.logout(false);
  } catch {
    // The session is dropped in the worker even if the server is away.
  }
  state.session = null;
  state.companies = null;
  toast("You are logged out.");
  go("/login");
}

function closeNav() {
  $("#shell").classList.remove("nav-open");
  $("#nav-toggle").setAttribute("aria-expanded", "false");
}

async function boot() {
  $("#nav-toggle").addEventListener("click", () => {
    const open = !$("#shell").classList.contains("nav-open");
    $("#shell").classList.toggle("nav-open", open);
    $("#nav-toggle").setAttribute("aria-expanded", String(open));
  });
  // An invitation link is /invite/<id>#<token>: keep the token for this tab
  // only, and move to the app's own route.
  const inv = location.pathname.match(/^\/invite\/([A-Za-z0-9_-]{1,64})$/);
  if (inv) {
    sessionStorage.setItem("vellum-invite", JSON.stringify({ id: inv[1], token: location.hash.slice(1) }));
    history.replaceState(null, "", "/#/invite/" + inv[1]);
  }
  setRender(render);
  window.addEventListener("hashchange", render);
  showFingerprint(vellum, $("#fingerprint")).catch((e) => banner(e));
  save.init();
  await refreshSession();
  await render();
  document.documentElement.dataset.ready = "true";
}

boot();
