// activity.js: the company's audit log, checked as a hash chain in the
// worker (each page continues the one this browser checked before).

import { h, page, when, emptyState } from "../ui.js";
import { vellum, company, membership, emailOf } from "../state.js";

export async function view({ tid }, query) {
  await company(tid);
  const cursor = query.get("cursor") || "";
  const [p, m] = await Promise.all([vellum.auditLog(tid, cursor), membership(tid).catch(() => null)]);
  const rows = p.events.map((e) => h("tr", null,
    h("td", null, String(e.seq)),
    h("td", null, when(e.time)),
    h("th", { scope: "row" }, e.kind.replaceAll("_", " ")),
    h("td", null, e.actor ? emailOf(m, e.actor) : "—"),
    h("td", null, e.ip || ""),
    h("td", null, h("code", { title: e.hash }, e.hash.slice(0, 12)))));
  return [...page("Activity log"),
    h("p", { class: p.verified ? "ok" : "warn", id: "audit-verified" }, p.verified
      ? "This page of the log checks out as a continuation of the company's hash chain."
      : "This page could not be checked against the start of the chain yet (open the first page first)."),
    rows.length ? h("div", { class: "table-wrap" }, h("table", { id: "audit" },
      h("thead", null, h("tr", null, ["#", "When", "Event", "By", "IP address", "Hash"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", null, rows))) : emptyState("Nothing recorded yet."),
    p.nextCursor ? h("p", null, h("a", { href: `#/c/${tid}/activity?cursor=${encodeURIComponent(p.nextCursor)}`, class: "button secondary" }, "Older events")) : null];
}
