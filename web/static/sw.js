// sw.js: Vellum's service worker, for streamed downloads only. Its scope is
// /download/: it controls nothing else, and sees no other request.
//
// A download is decrypted in the Vellum worker as it is read. The page
// hands the plaintext stream to this service worker (postMessage,
// transferred) under a random id, then opens /download/<id> in a hidden
// frame; the response below streams that plaintext into the browser's own
// download manager, so a file of any size is saved with constant memory.
// Nothing here touches keys or ciphertext, and nothing is cached.

const pending = new Map(); // id → {stream, name, type, size}, for a minute at most

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (ev) => ev.waitUntil(self.clients.claim()));

self.addEventListener("message", (ev) => {
  const d = ev.data;
  if (!d || d.kind === "ping") return; // keeps this worker alive during a long download
  if (d.kind !== "download" || typeof d.id !== "string" || !(d.stream instanceof ReadableStream)) return;
  pending.set(d.id, d);
  setTimeout(() => {
    const left = pending.get(d.id);
    if (left) { pending.delete(d.id); left.stream.cancel("not fetched").catch(() => {}); }
  }, 60_000);
  if (ev.ports[0]) ev.ports[0].postMessage("ready");
});

// contentDisposition names the file for every browser: an ASCII fallback
// and the exact UTF-8 name (RFC 6266, RFC 8187).
function contentDisposition(name) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

self.addEventListener("fetch", (ev) => {
  const url = new URL(ev.request.url);
  const prefix = new URL("./", self.registration.scope).pathname;
  if (url.origin !== self.location.origin || !url.pathname.startsWith(prefix)) return;
  const id = url.pathname.slice(prefix.length);
  const d = pending.get(id);
  if (!d) {
    ev.respondWith(new Response("This download has expired. Start it again from Vellum.", {
      status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" },
    }));
    return;
  }
  pending.delete(id);
  const headers = {
    "Content-Type": "application/octet-stream",
    "Content-Disposition": contentDisposition(d.name),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
  if (Number.isSafeInteger(d.size)) headers["Content-Length"] = String(d.size);
  ev.respondWith(new Response(d.stream, { headers }));
});
