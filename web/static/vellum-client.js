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
  constructor(code, message) {
    super(message);
    this.name = "VellumError";
    this.code = code;
  }
}

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
    const p = msg && this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new VellumError(msg.error.code, msg.error.message));
  }

  #die(error, quiet = false) {
    if (this.#fatal) return;
    this.#fatal = new VellumError(error.code, error.message);
    // Loud on purpose: nothing works without the worker.
    if (!quiet) console.error(this.#fatal.message);
    for (const p of this.#pending.values()) p.reject(this.#fatal);
    this.#pending.clear();
    this.#worker.terminate();
  }

  // call sends one request. transfer lists ArrayBuffers to move, not copy.
  call(op, args = [], transfer = []) {
    if (this.#fatal) return Promise.reject(this.#fatal);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args }, transfer);
    });
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

  // terminate stops the worker; every later call fails with "unavailable".
  terminate() { this.#die({ code: "unavailable", message: "Vellum worker terminated" }, true); }
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
