// vellum-client.js: the page's API to the Vellum client. It starts the one
// long-lived module worker (worker.js), which runs the Go client compiled to
// WebAssembly, and turns its functions into Promises and streams:
//
//   import { encryptStream, decryptStream, sha256, client } from "./vellum-client.js";
//   const { handle, recipient } = await client().generateKey();
//   const ciphertext = encryptStream(file, recipient, { onProgress });   // ReadableStream
//   const plaintext = decryptStream(response.body, handle);              // ReadableStream
//   const digest = await sha256(file, (done, total) => bar.value = done / total);
//
// Data moves in chunks of at most maxPush bytes (1 MiB), with backpressure:
// the source is read only as fast as the worker encrypts and the consumer
// reads, so a 10 GiB file streams with constant memory. A chunk that owns its
// whole ArrayBuffer (as those of Blob.stream() and fetch bodies do) is
// transferred to the worker, not copied, and is detached afterwards; pass
// {transfer: false} to keep your chunks. Private keys never reach the page:
// keys are numeric handles, and a key leaves the worker only wrapped (wrapKey).
//
// Every failure is a VellumError with a stable code (see wasm/README.md).

export const API_VERSION = 1;

// The worker refuses larger chunks; this module splits them.
const MAX_PUSH = 1 << 20;

// How many pushes of one stream may wait in the worker at once: two keep it
// busy across the round trip to the page, and bound what is queued.
const WINDOW = 2;

export class VellumError extends Error {
  constructor(code, message, extra) {
    super(message);
    this.name = "VellumError";
    this.code = code;
    // A device verification says where the code went and until when.
    if (extra && typeof extra.sentTo === "string") this.sentTo = extra.sentTo;
    if (extra && typeof extra.expiresAt === "string") this.expiresAt = extra.expiresAt;
  }
}

const errorOf = (e) => new VellumError(e.code, e.message, e);

// toBytes returns a Uint8Array view of a chunk, or throws a TypeError.
function toBytes(chunk) {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError("Vellum streams take Uint8Array, ArrayBuffer or ArrayBufferView chunks");
}

// pieces yields the chunk in pieces of at most MAX_PUSH bytes, each owning
// its whole ArrayBuffer so it can be transferred: the chunk itself when it
// can be (and transfer is allowed), else copies.
function* pieces(chunk, transfer) {
  const u8 = toBytes(chunk);
  if (u8.byteLength === 0) return;
  if (u8.byteLength <= MAX_PUSH) {
    const owns = u8.buffer instanceof ArrayBuffer && !u8.buffer.resizable &&
      u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength;
    yield transfer && owns ? u8 : u8.slice();
    return;
  }
  for (let off = 0; off < u8.byteLength; off += MAX_PUSH) yield u8.slice(off, off + MAX_PUSH);
}

// sourceOf accepts a Blob (File) or a ReadableStream and returns the stream
// and, for a Blob, its size.
function sourceOf(source) {
  if (source instanceof Blob) return { readable: source.stream(), total: source.size };
  if (source instanceof ReadableStream) return { readable: source, total: undefined };
  throw new TypeError("expected a Blob, a File or a ReadableStream");
}

export class VellumClient {
  #worker;
  #next = 1;
  #pending = new Map();
  #listeners = new Map(); // request id → {onProgress, onEnd} of a long operation
  #fatal = null;

  // workerURL defaults to worker.js next to this module.
  constructor({ workerURL = new URL("./worker.js", import.meta.url) } = {}) {
    this.#worker = new Worker(workerURL, { type: "module", name: "vellum" });
    this.#worker.addEventListener("message", (ev) => this.#onMessage(ev.data));
    this.#worker.addEventListener("error", (ev) => {
      ev.preventDefault();
      this.#die({ code: "unavailable", message: "Vellum worker failed to load or crashed" + (ev.message ? ": " + ev.message : "") });
    });
    this.#worker.addEventListener("messageerror", () =>
      this.#die({ code: "internal", message: "Vellum worker sent a message that could not be read" }));
  }

  #onMessage(msg) {
    if (msg && msg.type === "fatal") {
      this.#die(msg.error);
      return;
    }
    if (msg && (msg.type === "progress" || msg.type === "end")) {
      const l = this.#listeners.get(msg.id);
      if (!l) return;
      if (msg.type === "progress") {
        if (l.onProgress) l.onProgress(msg.done, msg.total);
      } else {
        this.#listeners.delete(msg.id);
        if (l.onEnd) l.onEnd(msg.error ? errorOf(msg.error) : null, msg.value);
      }
      return;
    }
    const p = msg && this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(errorOf(msg.error));
  }

  #die(error, quiet = false) {
    if (this.#fatal) return;
    this.#fatal = new VellumError(error.code, error.message);
    // Loud on purpose: nothing works without the worker.
    if (!quiet) console.error(this.#fatal.message);
    for (const p of this.#pending.values()) p.reject(this.#fatal);
    this.#pending.clear();
    for (const l of this.#listeners.values()) if (l.onEnd) l.onEnd(this.#fatal);
    this.#listeners.clear();
    this.#worker.terminate();
  }

  // call sends one request. transfer lists ArrayBuffers (or a source
  // ReadableStream) to move, not copy.
  call(op, args = [], transfer = []) { return this.#send(op, args, transfer).result; }

  // #send sends one request and returns its id with the Promise of its
  // result; listeners get a long operation's progress and end messages.
  #send(op, args, transfer = [], listeners = null) {
    if (this.#fatal) return { id: 0, result: Promise.reject(this.#fatal) };
    const id = this.#next++;
    if (listeners) this.#listeners.set(id, listeners);
    const result = new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
    // A failed request never ends a stream: drop its listeners.
    result.catch(() => this.#listeners.delete(id));
    return { id, result };
  }

  // #long runs a long operation with progress and cancellation: an
  // AbortSignal's abort sends "cancel" for it, and the call then fails with
  // code "cancelled".
  #long(op, args, { onProgress, signal, transfer = [], onEnd } = {}) {
    if (signal && signal.aborted) return { id: 0, result: Promise.reject(new VellumError("cancelled", "the operation was cancelled")) };
    const { id, result } = this.#send(op, args, transfer, { onProgress, onEnd });
    if (signal) {
      const abort = () => { this.call("cancel", [id]).catch(() => {}); };
      signal.addEventListener("abort", abort, { once: true });
      result.finally(() => signal.removeEventListener("abort", abort)).catch(() => {});
    }
    return { id, result };
  }

  // info() → {version: {api, go, revision, modified}, sha256, maxPush}:
  // sha256 is the fingerprint of the running module (cf. vellum.wasm.sha256).
  info() { return this.call("info"); }

  // memStats() → {heapAlloc, heapInuse, heapSys, sys, totalAlloc, numGC,
  // keys, streams, wasmMemory}, in bytes (wasmMemory: the module's memory).
  memStats() { return this.call("memStats"); }

  // generateKey() → {handle, recipient}: a fresh document or folder key.
  generateKey() { return this.call("generateKey"); }
  recipient(handle) { return this.call("recipient", [handle]); }
  releaseKey(handle) { return this.call("releaseKey", [handle]); }
  // wrapKey(handle, recipient) → Uint8Array: the key as an age file to recipient.
  wrapKey(handle, recipient) { return this.call("wrapKey", [handle, recipient]); }
  // unwrapKey(wrapped, withHandle) → {handle, recipient}.
  unwrapKey(wrapped, withHandle) {
    return this.call("unwrapKey", [toBytes(wrapped).slice(), withHandle]);
  }

  // #pipe runs a worker stream as a {writable, readable} pair, which
  // pipeThrough takes like a TransformStream. It is built by hand because
  // Chromium does not call a transformer's cancel(), and a reader that stops
  // must free the stream in the worker. Backpressure: a write resolves only
  // once its output is taken and the reader asks for more, and the writable
  // side holds one chunk, so the source is pulled no faster than the worker
  // works and the consumer reads.
  #pipe(startOp, startArg, { onProgress, onDigest, total, transfer = true } = {}) {
    const self = this;
    let handle = 0; // the worker stream; 0 before start and once it is gone
    let done = 0;
    let rc; // the readable side's controller
    let stopped = null; // why the reader went away, if it did
    let wanted = false; // the reader is waiting for a chunk
    let wake = null; // resolves the writer's wait for the reader
    const demand = () => new Promise((resolve) => { wake = resolve; });
    const signal = () => { if (wake) { wake(); wake = null; } };
    const drop = async () => {
      const h = handle;
      handle = 0;
      // A stream that failed in the worker is already gone there.
      if (h) await self.call("abort", [h]).catch(() => {});
    };
    const fail = (e) => {
      handle = 0; // the worker closed the stream when it failed
      if (!stopped) { try { rc.error(e); } catch {} }
      throw e;
    };
    // Pushes sent and not yet answered, oldest first. Up to WINDOW are in
    // flight, so the worker has the next chunk while the page handles the
    // last one's output; the worker answers in order.
    const inflight = [];
    const take = async () => {
      const { result, n } = inflight.shift();
      let out;
      try { out = await result; } catch (e) { fail(e); }
      if (stopped) throw stopped;
      done += n;
      if (onProgress) onProgress(done, total);
      if (out.byteLength === 0) return;
      // Cleared first: enqueue may call pull at once if more reads wait.
      wanted = false;
      rc.enqueue(out);
      while (!wanted && !stopped) await demand();
    };

    const readable = new ReadableStream({
      start(c) { rc = c; },
      pull() { wanted = true; signal(); },
      async cancel(reason) {
        stopped = reason instanceof Error ? reason : new VellumError("cancelled", "the reader cancelled the stream");
        signal();
        await drop();
      },
    }, { highWaterMark: 0 });

    const writable = new WritableStream({
      async start() {
        let h;
        try {
          h = await self.call(startOp, [startArg, { sha256: typeof onDigest === "function" }]);
        } catch (e) { fail(e); }
        handle = h;
        if (stopped) { await drop(); throw stopped; }
      },
      async write(chunk) {
        let bytes;
        try { bytes = toBytes(chunk); } catch (e) { await drop(); fail(e); }
        for (const piece of pieces(bytes, transfer)) {
          if (stopped) throw stopped;
          const n = piece.byteLength;
          const result = self.call("push", [handle, piece], [piece.buffer]);
          result.catch(() => {}); // awaited in order by take; a later one may fail after an earlier failure
          inflight.push({ result, n });
          if (inflight.length >= WINDOW) await take();
        }
      },
      async close() {
        while (inflight.length > 0) await take();
        const h = handle;
        handle = 0;
        if (stopped) throw stopped;
        let res;
        try { res = await self.call("finish", [h]); } catch (e) { fail(e); }
        if (stopped) return;
        if (res.data.byteLength > 0) rc.enqueue(res.data);
        if (onDigest) onDigest(res.sha256);
        rc.close();
      },
      async abort(reason) {
        await drop();
        if (!stopped) { try { rc.error(reason); } catch {} }
      },
    }, { highWaterMark: 1 });

    return { writable, readable };
  }

  // encryptTransform(recipient, opts) → {writable, readable}, for
  // pipeThrough: plaintext in, a Vellum document file (an age file) for
  // recipient ("age1...") out.
  // opts: onProgress(plaintextBytesDone, total), onDigest(sha256hex) (called
  // once, at the end, with the SHA-256 of the plaintext), total, transfer.
  encryptTransform(recipient, opts) { return this.#pipe("encryptStart", recipient, opts); }

  // decryptTransform(keyHandle, opts) → {writable, readable}: a document
  // file in, its plaintext out. No byte is released before its chunk is
  // authenticated; a wrong key, a cut or an altered file errors the stream
  // with code wrong_key, truncated or corrupted when the stream reaches the
  // fault, so a consumer MUST discard what it got from a stream that errors.
  // onProgress counts ciphertext bytes.
  decryptTransform(keyHandle, opts) { return this.#pipe("decryptStart", keyHandle, opts); }

  // encryptStream(source, recipient, opts) → ReadableStream of the document
  // file. source: a Blob/File (then onProgress gets its size as total) or a
  // ReadableStream of bytes.
  encryptStream(source, recipient, opts = {}) {
    const { readable, total } = sourceOf(source);
    return readable.pipeThrough(this.encryptTransform(recipient, { total, ...opts }));
  }

  // decryptStream(source, keyHandle, opts) → ReadableStream of the plaintext.
  decryptStream(source, keyHandle, opts = {}) {
    const { readable, total } = sourceOf(source);
    return readable.pipeThrough(this.decryptTransform(keyHandle, { total, ...opts }));
  }

  // sha256(source, onProgress) → hex SHA-256 of a Blob/File or ReadableStream:
  // the document digest D of a seal, what sha256sum prints.
  async sha256(source, onProgress) {
    const { readable, total } = sourceOf(source);
    const reader = readable.getReader();
    const h = await this.call("hashStart");
    let done = 0;
    const inflight = [];
    const take = async () => {
      const { result, n } = inflight.shift();
      await result;
      done += n;
      if (onProgress) onProgress(done, total);
    };
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        for (const piece of pieces(value, true)) {
          const n = piece.byteLength;
          const result = this.call("push", [h, piece], [piece.buffer]);
          result.catch(() => {});
          inflight.push({ result, n });
          if (inflight.length >= WINDOW) await take();
        }
      }
      while (inflight.length > 0) await take();
    } catch (e) {
      await this.call("abort", [h]).catch(() => {});
      reader.cancel(e).catch(() => {});
      throw e;
    }
    return (await this.call("finish", [h])).sha256;
  }

  // ---- The account API (wasm/bridge/app.go, wasm/client). ----
  // Each method returns a Promise; a failure is a VellumError whose code is
  // the server's ("auth_failed", "forbidden", ...) or the client's
  // ("network", "no_access", "pin_mismatch", ...): see wasm/README.md.

  // session() → {accountId, email, unlocked, fingerprint} or null.
  session() { return this.call("session"); }
  // register(email, password) → {codeExpiresAt}; the server e-mails a code.
  register(email, password) { return this.call("register", [email, password]); }
  // finishRegistration(code) → {recoveryCode, session, warning?}: show the
  // recovery code once; it is never available again.
  finishRegistration(code) { return this.call("finishRegistration", [code]); }
  // login(email, password) → session. Fails with "device_verification"
  // (error.sentTo) when this browser is new: then verifyDevice(code).
  login(email, password) { return this.call("login", [email, password]); }
  verifyDevice(code) { return this.call("verifyDevice", [code]); }
  resendDeviceCode() { return this.call("resendDeviceCode"); }
  unlockWithRecoveryCode(code) { return this.call("unlockWithRecoveryCode", [code]); }
  changePassword(password) { return this.call("changePassword", [password]); }
  logout(everywhere = false) { return this.call("logout", [everywhere]); }

  tenants() { return this.call("tenants"); }
  tenant(tenantId) { return this.call("tenant", [tenantId]); }
  createTenant(name) { return this.call("createTenant", [name]); }
  // membership(tenantId) → {members: [{accountId, email, role, fingerprint, you}], ownerFingerprint, firstUse, pin, seq, recovery}
  membership(tenantId) { return this.call("membership", [tenantId]); }
  invite(tenantId, email, role) { return this.call("invite", [tenantId, email, role]); }
  invites(tenantId) { return this.call("invites", [tenantId]); }
  revokeInvite(tenantId, inviteId) { return this.call("revokeInvite", [tenantId, inviteId]); }
  acceptInvite(inviteId, token) { return this.call("acceptInvite", [inviteId, token]); }
  addMember(tenantId, inviteId) { return this.call("addMember", [tenantId, inviteId]); }
  changeRole(tenantId, accountId, role) { return this.call("changeRole", [tenantId, accountId, role]); }
  removeMember(tenantId, accountId) { return this.call("removeMember", [tenantId, accountId]); }

  folders(tenantId, parentId = "") { return this.call("folders", [tenantId, parentId]); }
  folder(tenantId, folderId) { return this.call("folder", [tenantId, folderId]); }
  createFolder(tenantId, parentId, name) { return this.call("createFolder", [tenantId, parentId || "", name]); }
  renameFolder(tenantId, folderId, name) { return this.call("renameFolder", [tenantId, folderId, name]); }
  deleteFolder(tenantId, folderId) { return this.call("deleteFolder", [tenantId, folderId]); }
  rewrapFolder(tenantId, folderId) { return this.call("rewrapFolder", [tenantId, folderId]); }

  documents(tenantId, folderId) { return this.call("documents", [tenantId, folderId]); }
  // sharedWithMe: the documents granted to this account one by one, newest first.
  sharedWithMe(tenantId) { return this.call("sharedWithMe", [tenantId]); }
  document(tenantId, documentId) { return this.call("document", [tenantId, documentId]); }
  versions(tenantId, documentId) { return this.call("versions", [tenantId, documentId]); }
  deleteDocument(tenantId, documentId) { return this.call("deleteDocument", [tenantId, documentId]); }
  // renameDocument seals new metadata to the document key; no content moves.
  renameDocument(tenantId, documentId, name, { signal } = {}) {
    return this.#long("renameDocument", [tenantId, documentId, name, {}], { signal }).result;
  }
  // moveDocument wraps every version's key again, in the worker, to the
  // destination folder's current key.
  moveDocument(tenantId, documentId, folderId) { return this.call("moveDocument", [tenantId, documentId, folderId]); }

  // upload(tenantId, folderId, source, {name, size, onProgress, signal}) →
  // the new document. source is a File/Blob (its name and size are the
  // defaults) or a ReadableStream of bytes (then size is required). It is
  // read in the worker, encrypted and sent in chunks with backpressure:
  // memory stays constant whatever the size. onProgress(done, total)
  // counts plaintext bytes read.
  upload(tenantId, folderId, source, { name, size, onProgress, signal } = {}) {
    const { src, transfer, opts } = uploadSource(source, size);
    const n = name ?? (source instanceof File ? source.name : undefined);
    if (typeof n !== "string" || n === "") return Promise.reject(new VellumError("bad_argument", "a name is needed"));
    return this.#long("upload", [tenantId, folderId, n, src, opts], { onProgress, signal, transfer }).result;
  }

  // uploadVersion(tenantId, documentId, source, {size, onProgress, signal}):
  // a new version under the same document key and name.
  uploadVersion(tenantId, documentId, source, { size, onProgress, signal } = {}) {
    const { src, transfer, opts } = uploadSource(source, size);
    return this.#long("uploadVersion", [tenantId, documentId, src, opts], { onProgress, signal, transfer }).result;
  }

  // download(tenantId, documentId, {version, onProgress, signal}) →
  // {documentId, version, name, type, size, created, stream, done}: stream
  // is a ReadableStream of the plaintext, decrypted in the worker as it is
  // read (no byte before its chunk authenticates); done settles when the
  // stream ends: resolved, or rejected with the VellumError that broke it
  // (a consumer MUST then discard what it got).
  download(tenantId, documentId, { version, onProgress, signal } = {}) {
    return this.#streamed("download", [tenantId, documentId, version ? { version } : {}], { onProgress, signal });
  }

  // #streamed runs a long operation whose result holds a stream, and adds
  // done: it settles when the stream ends, resolved with what the worker
  // says of a good end (if anything), or rejected with the error that broke
  // the stream.
  async #streamed(op, args, { onProgress, signal }) {
    let settle;
    const done = new Promise((resolve, reject) => { settle = (e, value) => (e ? reject(e) : resolve(value)); });
    done.catch(() => {});
    const { result } = this.#long(op, args, { onProgress, signal, onEnd: settle });
    const d = await result;
    return { ...d, done };
  }

  // share(tenantId, {kind: "folder"|"document", id}, accountId) → grants:
  // the key is wrapped in this browser to the member's key from the
  // tenant's checked membership chain.
  share(tenantId, object, accountId) { return this.call("share", [tenantId, object.kind, object.id, accountId]); }
  grants(tenantId, objectId) { return this.call("grants", [tenantId, objectId]); }
  revoke(tenantId, grantId) { return this.call("revoke", [tenantId, grantId]); }
  requestAccess(tenantId, object, message = "") { return this.call("requestAccess", [tenantId, object.kind, object.id, message]); }
  pendingRequests(tenantId) { return this.call("pendingRequests", [tenantId]); }
  // approve wraps the key in this browser to the requester.
  approve(tenantId, requestId) { return this.call("approve", [tenantId, requestId]); }
  deny(tenantId, requestId, reason = "") { return this.call("deny", [tenantId, requestId, reason]); }
  auditLog(tenantId, cursor = "") { return this.call("auditLog", [tenantId, cursor]); }

  // ---- Signing (wasm/bridge/app_signing.go): one participant's handle on
  // an envelope, kept in the worker. A view is {handle, envelopeId,
  // signerId, document: {name, mimeType, size}, status, signers: [{id, name,
  // email, kind, order, state, openedAt, signedAt, reason, you, ...}],
  // message, yourTurn, notYourTurn: {code, message} or null, digest}.

  // openSigningLink(url, pin) → view: an outside signer's link (with its
  // #secret, which never leaves the worker) and the PIN of their text
  // message. A wrong PIN fails with auth_failed, a locked link with locked.
  openSigningLink(url, pin) { return this.call("openSigningLink", [url, pin]); }
  // openEnvelope(tenantId, envelopeId) → view, as the logged-in member.
  openEnvelope(tenantId, envelopeId) { return this.call("openEnvelope", [tenantId, envelopeId]); }
  signingRefresh(handle) { return this.call("signingRefresh", [handle]); }
  // signingDocument(handle, {onProgress, signal}) → {name, type, size,
  // stream, done}: the document decrypted as it is read; done resolves with
  // {sha256} of exactly these bytes, which is what signingSign signs.
  signingDocument(handle, { onProgress, signal } = {}) {
    return this.#streamed("signingDocument", [handle, {}], { onProgress, signal });
  }
  // signingSign(handle) → {last, view}: once the document was read to its
  // end. last: every signer has signed; this client should signingSeal.
  signingSign(handle) { return this.call("signingSign", [handle]); }
  // signingSeal(handle) → {sealFile, view}: builds, logs and checks the seal.
  signingSeal(handle) { return this.call("signingSeal", [handle]); }
  signingDecline(handle, reason) { return this.call("signingDecline", [handle, reason]); }
  // signingDownloadSealed(handle, {onProgress, signal}) → {name, type, size,
  // stream, done}: done resolves with {sha256, sealFile} once the document
  // matched its seal; if it rejects, discard what the stream gave.
  signingDownloadSealed(handle, { onProgress, signal } = {}) {
    return this.#streamed("signingDownloadSealed", [handle, {}], { onProgress, signal });
  }
  signingClose(handle) { return this.call("signingClose", [handle]); }

  // benchInside(op, size) → {op, bytes, ms, heapSys, heapAlloc}: the Go code
  // of an encrypt ("encrypt") or hash ("sha256") stream run over size bytes
  // in a loop inside the worker, with no JavaScript boundary (the benchmark
  // page's baseline).
  benchInside(op, size) { return this.call("benchInside", [op, size]); }

  // terminate stops the worker; every later call fails with "unavailable".
  terminate() { this.#die({ code: "unavailable", message: "Vellum worker terminated" }, true); }
}

// uploadSource prepares an upload's source: a Blob goes as is (it is
// cloned by reference, not copied); a ReadableStream is transferred, and
// needs its size.
function uploadSource(source, size) {
  if (source instanceof Blob) return { src: source, transfer: [], opts: size === undefined ? {} : { size } };
  if (source instanceof ReadableStream) return { src: source, transfer: [source], opts: { size } };
  throw new TypeError("expected a Blob, a File or a ReadableStream");
}

let shared = null;

// client() returns the page's one VellumClient, starting it on first use.
export function client() {
  if (!shared) shared = new VellumClient();
  return shared;
}

export function encryptStream(source, recipient, opts) { return client().encryptStream(source, recipient, opts); }
export function decryptStream(source, keyHandle, opts) { return client().decryptStream(source, keyHandle, opts); }
export function sha256(source, onProgress) { return client().sha256(source, onProgress); }
