// The Vellum worker: one long-lived module Web Worker that runs the Go client
// compiled to WebAssembly (vellum.wasm, built by scripts/build-wasm.sh from
// wasm/bridge) and answers the page's requests. Keys live here only: the
// page holds numeric handles, and a key leaves only wrapped to a recipient.
//
// Protocol (vellum-client.js is its only user):
//   page → worker  {id, op, args}            ArrayBuffers of chunks, a source ReadableStream transferred
//   worker → page  {id, ok: true, value}     ArrayBuffers of results, a download's stream transferred
//                  {id, ok: false, error: {code, message, ...}}
//                  {type: "progress", id, done, total}   an upload's or download's progress
//                  {type: "end", id, error, value}        a download stream ended (error null, value its result) or failed
//                  {type: "fatal", error: {code, message}}   the worker is unusable
// The data-stream operations (OPS) are handled one at a time, in order of
// arrival; the account operations (APP_OPS) run concurrently, each on its
// own goroutine in the module, and settle in any order.

import "./wasm_exec.js"; // defines globalThis.Go; copied from the Go toolchain at build time

// Chromium sends a fetch body given as bytes (an ArrayBuffer view) many
// times slower than the same bytes as a Blob: measured here, 4 MiB uploads
// over loopback ran at 12-19 MB/s as a Uint8Array and at 156 MB/s as a
// Blob made per request. Go's net/http (which the client uses, through
// fetch) hands fetch a Uint8Array, so large bodies are wrapped in a Blob on
// their way out. Nothing else about the request changes.
const nativeFetch = self.fetch.bind(self);
self.fetch = (input, init) => {
  if (init && init.body instanceof Uint8Array && init.body.byteLength >= 64 << 10) {
    init = { ...init, body: new Blob([init.body]) };
  }
  return nativeFetch(input, init);
};

const MODULE = new URL("./vellum.wasm", import.meta.url);

// The functions of globalThis.vellum that the page may call. Anything else
// is refused, so a message cannot reach a property that is not part of the API.
const OPS = new Set([
  "generateKey", "recipient", "releaseKey", "wrapKey", "unwrapKey",
  "encryptStart", "decryptStart", "hashStart", "push", "finish", "abort",
]);

// The account functions (wasm/bridge/app.go). Each runs concurrently.
const APP_OPS = new Set([
  "session", "register", "finishRegistration", "login", "verifyDevice", "resendDeviceCode",
  "unlockWithRecoveryCode", "changePassword", "logout",
  "tenants", "tenant", "createTenant", "membership", "invite", "invites", "revokeInvite",
  "acceptInvite", "addMember", "changeRole", "removeMember",
  "folders", "folder", "createFolder", "renameFolder", "deleteFolder", "rewrapFolder",
  "documents", "sharedWithMe", "document", "versions", "deleteDocument", "renameDocument", "moveDocument",
  "upload", "uploadVersion", "download",
  "share", "grants", "revoke", "requestAccess", "pendingRequests", "approve", "deny",
  "auditLog", "cancel", "benchInside",
  "createEnvelope", "envelopes", "envelope", "remind", "cancelEnvelope", "replaceLink",
  "openSigningLink", "openEnvelope", "signingRefresh", "signingDocument", "signingSign", "signingSeal",
  "signingDecline", "signingDownloadSealed", "signingClose",
  "logKey", "verifySeal",
]);

// Long operations: where their options object is, and what the worker adds
// to it: the request id as the op number that "cancel" names, and callbacks
// that post progress and the end of a download stream to the page.
const LONG_OPS = {
  upload: { at: 4, progress: true },
  uploadVersion: { at: 3, progress: true },
  download: { at: 2, progress: true, end: true },
  renameDocument: { at: 3 },
  signingDocument: { at: 1, progress: true, end: true },
  signingDownloadSealed: { at: 1, progress: true, end: true },
};

let fatal = null; // the {code, message} that made the worker unusable

function die(message) {
  if (fatal) return;
  fatal = { code: "unavailable", message: "Vellum worker: " + message };
  self.postMessage({ type: "fatal", error: fatal });
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

const ready = (async () => {
  const resp = await fetch(MODULE, { credentials: "same-origin" });
  if (!resp.ok) throw new Error(`fetching ${MODULE.pathname}: HTTP ${resp.status}`);
  const bytes = await resp.arrayBuffer();
  // The fingerprint of the module actually running, as sha256sum prints it:
  // the about page shows it so it can be compared with vellum.wasm.sha256.
  const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
  const go = new Go();
  let exitCode = "?";
  go.exit = (code) => { exitCode = code; };
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject);
  // run() executes main until it blocks, so vellum is registered when it
  // returns; its Promise settles only if the Go program exits, which is fatal.
  go.run(instance).then(
    () => die(`the WebAssembly module exited with code ${exitCode}`),
    (e) => die(`the WebAssembly module failed: ${e && e.message}`),
  );
  const api = globalThis.vellum;
  if (!api || api.apiVersion !== 1) throw new Error("the WebAssembly module did not register API version 1");
  return { api, memory: instance.exports.mem, sha256 };
})();
ready.catch((e) => die(`could not start: ${e && e.message}`));

// Uint8Arrays made by the module own their whole buffer: transfer them; a
// download's ReadableStream must be transferred.
function transferables(value) {
  const out = [];
  const add = (v) => {
    if (v instanceof Uint8Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.push(v.buffer);
    if (v instanceof ReadableStream) out.push(v);
  };
  add(value);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) Object.values(value).forEach(add);
  return out;
}

async function handle({ id, op, args }) {
  const { api, memory, sha256 } = await ready;
  switch (op) {
    case "info":
      return { version: api.version(), sha256, maxPush: api.maxPush };
    case "memStats":
      // The Go heap, and the WebAssembly memory the heap lives in: the
      // latter is what the worker really holds, and it never shrinks.
      return { ...api.memStats(), wasmMemory: memory.buffer.byteLength };
  }
  if (!OPS.has(op) && !APP_OPS.has(op)) throw Object.assign(new Error(`unknown operation ${String(op).slice(0, 40)}`), { code: "bad_argument" });
  if (!Array.isArray(args)) throw Object.assign(new Error("args must be an array"), { code: "bad_argument" });
  const long = LONG_OPS[op];
  if (long) {
    args = args.slice();
    const given = args[long.at];
    if (given !== undefined && given !== null && typeof given !== "object") {
      throw Object.assign(new Error("options must be an object"), { code: "bad_argument" });
    }
    const o = { ...given, op: id };
    if (long.progress) o.onProgress = (done, total) => self.postMessage({ type: "progress", id, done, total });
    // A stream that ended well may carry a result of its end (a signing
    // document's SHA-256, a sealed download's .seal file).
    if (long.end) o.onEnd = (e, value) => self.postMessage({ type: "end", id, error: e ? plainError(e) : null, value }, transferables(value));
    args[long.at] = o;
  }
  return api[op](...args);
}

// plainError is what crosses postMessage of a failure: the code, the
// message and the few plain properties the module sets (a device
// verification's masked address and expiry). Messages never hold secrets
// (see wasm/bridge/codes.go).
function plainError(e) {
  const out = {
    code: e && typeof e.code === "string" ? e.code : "internal",
    message: e && typeof e.message === "string" ? e.message : String(e),
  };
  for (const k of ["sentTo", "expiresAt"]) if (e && typeof e[k] === "string") out[k] = e[k];
  return out;
}

let queue = Promise.resolve();

self.addEventListener("message", (ev) => {
  const msg = ev.data;
  if (!msg || typeof msg.id !== "number") return;
  const run = async () => {
    if (fatal) {
      self.postMessage({ id: msg.id, ok: false, error: fatal });
      return;
    }
    try {
      const value = await handle(msg);
      self.postMessage({ id: msg.id, ok: true, value }, transferables(value));
    } catch (e) {
      if (fatal) {
        self.postMessage({ id: msg.id, ok: false, error: fatal });
        return;
      }
      // A VellumError from the module carries a code; anything else is a
      // bug here. Messages never hold secrets (see wasm/bridge/codes.go).
      self.postMessage({ id: msg.id, ok: false, error: plainError(e) });
    }
  };
  if (APP_OPS.has(msg.op)) run(); // concurrently: the module settles them in any order
  else queue = queue.then(run);
});

self.addEventListener("error", (ev) => die(`uncaught error: ${ev.message}`));
self.addEventListener("unhandledrejection", (ev) => die(`unhandled rejection: ${ev.reason && ev.reason.message}`));
