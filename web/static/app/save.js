// save.js: saves a plaintext ReadableStream as a file the person chooses to
// keep, without holding it in memory.
//
// With a service worker (sw.js, scope /download/), the stream goes to the
// browser's download manager as it is decrypted: constant memory for any
// size. Without one (a browser that blocks service workers), the stream is
// collected into a Blob, which the browser may keep on disk, and offered as
// a download.

const SCOPE = "/download/";
let registration = null;

// init registers the service worker; failures leave the Blob fallback.
export async function init() {
  if (!("serviceWorker" in navigator)) return false;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: SCOPE });
    registration = await waitActive();
    return registration !== null;
  } catch {
    registration = null;
    return false;
  }
}

async function waitActive() {
  const reg = await navigator.serviceWorker.getRegistration(SCOPE);
  if (!reg) return null;
  if (reg.active) return reg;
  const sw = reg.installing || reg.waiting;
  if (!sw) return null;
  await new Promise((resolve) => {
    sw.addEventListener("statechange", () => { if (sw.state === "activated" || sw.state === "redundant") resolve(); });
  });
  return reg.active ? reg : null;
}

function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// saveStream({stream, name, size, done}): done is the worker's Promise that
// the stream ended well. Resolves when the whole stream was handed to the
// browser, or rejects with the worker's error (the browser then shows the
// download as failed, and nothing complete was written).
export async function saveStream({ stream, name, size, done }) {
  if (registration && registration.active) {
    const id = randomId();
    const ch = new MessageChannel();
    const ready = new Promise((resolve) => { ch.port1.onmessage = () => resolve(); });
    registration.active.postMessage({ kind: "download", id, stream, name, size }, [stream, ch.port2]);
    await ready;
    const frame = document.createElement("iframe");
    frame.hidden = true;
    frame.title = "download";
    frame.src = SCOPE + id;
    document.body.append(frame);
    // A service worker may be stopped when idle; messages keep it running
    // while the download streams through it.
    const ping = setInterval(() => registration.active && registration.active.postMessage({ kind: "ping" }), 10_000);
    try {
      await done;
    } finally {
      clearInterval(ping);
      setTimeout(() => frame.remove(), 60_000);
    }
    return "stream";
  }
  const blob = await new Response(stream).blob();
  await done;
  saveBlob(blob, name);
  return "blob";
}

// saveBlob offers bytes already in memory (a .seal file, a document read
// to be shown) as a download named name.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// saveSealed saves the sealed document of a signing handle
// (client.signingDownloadSealed), which the worker checks against its seal
// as it streams: a mismatch fails the download. Resolves once the document
// matched, with {name, sha256, sealFile}; the worker gives the .seal file
// only then, and saveSealFile saves it next to the document.
export async function saveSealed(client, handle, { onProgress } = {}) {
  await init();
  const d = await client.signingDownloadSealed(handle, { onProgress });
  await saveStream({ stream: d.stream, name: d.name, size: d.size, done: d.done });
  const end = await d.done;
  return { name: d.name, sha256: end.sha256, sealFile: end.sealFile };
}

export function saveSealFile({ name, sealFile }) {
  saveBlob(new Blob([sealFile], { type: "application/octet-stream" }), name + ".seal");
}
