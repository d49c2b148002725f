// The browser self-test: encrypts a generated file through the worker's
// streaming API, decrypts it back, compares SHA-256 digests computed in the
// page and in the worker, checks error codes, and samples the worker's
// memory. The Go test in web/ drives it through globalThis.vellumSelftest;
// people can run it from selftest.html.

import { client, VellumError } from "./vellum-client.js";

const $ = (id) => document.getElementById(id);

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function pageSha256(blob) {
  return hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
}

// makeFile returns a File of size random bytes.
function makeFile(size) {
  const parts = [];
  for (let off = 0; off < size; off += 1 << 20) {
    const part = new Uint8Array(Math.min(1 << 20, size - off));
    for (let i = 0; i < part.length; i += 65536) crypto.getRandomValues(part.subarray(i, i + 65536));
    parts.push(part);
  }
  return new File(parts, "selftest.bin", { type: "application/octet-stream" });
}

async function collect(readable) {
  const parts = [];
  for await (const chunk of readable) parts.push(chunk);
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

// codeOf awaits p, which should fail, and returns the VellumError code.
async function codeOf(p) {
  try {
    await p;
    return "no error";
  } catch (e) {
    return e instanceof VellumError ? e.code : `not a VellumError: ${e}`;
  }
}

function status(text, fraction) {
  $("status").textContent = text;
  if (fraction !== undefined) $("progress").value = fraction;
}

const progress = (label) => (done, total) => {
  if (total) status(`${label} ${Math.floor((100 * done) / total)}%`, done / total);
};

// errorChecks runs the failure cases on a small document.
async function errorChecks(vellum, key) {
  const small = makeFile(200_000);
  const want = await pageSha256(small);
  const ct = await collect(vellum.encryptStream(small, key.recipient));
  const other = await vellum.generateKey();
  const flipped = ct.slice();
  flipped[184 + 100] ^= 1;
  const res = {
    wrongKey: await codeOf(collect(vellum.decryptStream(new Blob([ct]), other.handle))),
    // Header (168) and nonce (16), then one whole chunk (64 KiB + 16): the
    // file stops at a chunk boundary.
    truncated: await codeOf(collect(vellum.decryptStream(new Blob([ct.slice(0, 184 + 65552)]), key.handle))),
    corrupted: await codeOf(collect(vellum.decryptStream(new Blob([flipped]), key.handle))),
    badRecipient: await codeOf(collect(vellum.encryptStream(small, "age1notarecipient"))),
    badArgument: await codeOf(vellum.call("encryptStart", [42])),
    unknownOp: await codeOf(vellum.call("constructor")),
  };
  // A key leaves the worker only wrapped, and comes back as a new handle.
  const wrapped = await vellum.wrapKey(key.handle, other.recipient);
  res.wrappedHoldsSecret = new TextDecoder().decode(wrapped).includes("AGE-SECRET-KEY");
  const unwrapped = await vellum.unwrapKey(wrapped, other.handle);
  res.unwrappedRecipientMatches = unwrapped.recipient === key.recipient;
  res.unwrappedDecrypts = (await pageSha256(new Blob([await collect(vellum.decryptStream(new Blob([ct]), unwrapped.handle))]))) === want;
  await vellum.releaseKey(unwrapped.handle);
  res.released = await codeOf(vellum.recipient(unwrapped.handle));
  // A consumer that stops reading cancels the pipeline, and the worker
  // drops the stream: nothing stays open.
  const reader = vellum.encryptStream(makeFile(3 << 20), key.recipient).getReader();
  await reader.read();
  await reader.cancel("enough");
  res.streamsAfterCancel = (await vellum.memStats()).streams;
  await vellum.releaseKey(other.handle);
  return res;
}

// run is the whole self-test. It resolves to a plain object (JSON-safe).
export async function run({ size = 64 << 20, sampleBytes = 4 << 20 } = {}) {
  const vellum = client();
  $("status").className = "";
  $("result").textContent = "";
  const t0 = performance.now();
  const res = { size };
  res.info = await vellum.info();
  const file = makeFile(size);
  status("hashing in the page…");
  res.pageSha256 = await pageSha256(file);
  res.workerSha256 = await vellum.sha256(file, progress("hashing in the worker"));

  const key = await vellum.generateKey();
  res.keyFields = Object.keys(key).sort();

  // file → encrypt → count → decrypt → page, one pipeline: the ciphertext
  // never exists whole, and the worker must keep its memory flat.
  const peak = { heapAlloc: 0, heapSys: 0, sys: 0, wasmMemory: 0 };
  const sample = async () => {
    const m = await vellum.memStats();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  let encryptSha256, decryptSha256;
  let ciphertextBytes = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      ciphertextBytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const plaintext = vellum
    .encryptStream(file, key.recipient, { onProgress: progress("encrypting and decrypting"), onDigest: (d) => { encryptSha256 = d; } })
    .pipeThrough(counter)
    .pipeThrough(vellum.decryptTransform(key.handle, { onDigest: (d) => { decryptSha256 = d; } }));
  // Sample the worker's memory every sampleBytes of plaintext that comes
  // back, while the pipeline is running, and once at the end.
  const parts = [];
  let received = 0;
  let samples = 0;
  for await (const chunk of plaintext) {
    parts.push(chunk);
    const before = Math.floor(received / sampleBytes);
    received += chunk.byteLength;
    if (Math.floor(received / sampleBytes) > before) {
      await sample();
      samples++;
    }
  }
  await sample();
  samples++;
  const roundTrip = new Blob(parts);
  parts.length = 0;
  res.ciphertextBytes = ciphertextBytes;
  res.encryptSha256 = encryptSha256;
  res.decryptSha256 = decryptSha256;
  res.roundTripBytes = roundTrip.size;
  status("hashing the round trip in the page…");
  res.roundTripSha256 = await pageSha256(roundTrip);
  res.peak = peak;
  res.memSamples = samples;

  status("checking errors…");
  res.errors = await errorChecks(vellum, key);
  await vellum.releaseKey(key.handle);
  res.final = await vellum.memStats();
  res.ms = Math.round(performance.now() - t0);
  res.pass = res.pageSha256 === res.workerSha256 && res.pageSha256 === res.roundTripSha256 &&
    res.pageSha256 === res.encryptSha256 && res.pageSha256 === res.decryptSha256 && res.roundTripBytes === size;
  status(res.pass ? "pass" : "FAIL", 1);
  $("status").className = res.pass ? "pass" : "fail";
  $("result").textContent = JSON.stringify(res, null, 2);
  return res;
}

// bench times one operation on size bytes, in the page, for the Go
// benchmark in web/: "sha256", "encrypt", "decrypt" (of a file encrypted
// beforehand) through the worker, or "subtle" (the browser's own SHA-256 of
// the whole file in the page, the baseline). Output is consumed and dropped.
export async function bench({ op, size = 64 << 20 }) {
  const vellum = client();
  const file = makeFile(size);
  const key = await vellum.generateKey();
  let input = file;
  if (op === "decrypt") input = new Blob([await collect(vellum.encryptStream(file, key.recipient))]);
  const drain = async (readable) => {
    for await (const chunk of readable) void chunk;
  };
  const t0 = performance.now();
  switch (op) {
    case "sha256": await vellum.sha256(input); break;
    case "encrypt": await drain(vellum.encryptStream(input, key.recipient)); break;
    case "decrypt": await drain(vellum.decryptStream(input, key.handle)); break;
    case "subtle": await pageSha256(input); break;
    default: throw new Error(`unknown benchmark ${op}`);
  }
  const ms = performance.now() - t0;
  await vellum.releaseKey(key.handle);
  return { ms, bytes: size };
}

globalThis.vellumSelftest = run;
globalThis.vellumBench = bench;

async function start() {
  try {
    const info = await client().info();
    status(`ready: module ${info.sha256.slice(0, 16)}…, ${info.version.go}`);
    $("run").disabled = false;
  } catch (e) {
    status(`the Vellum worker did not start: ${e.message}`);
    $("status").className = "fail";
  }
  $("run").addEventListener("click", async () => {
    $("run").disabled = true;
    $("result").textContent = "";
    try {
      await run({ size: Number($("size").value) });
    } catch (e) {
      status(`error: ${e.message}`);
      $("status").className = "fail";
    } finally {
      $("run").disabled = false;
    }
  });
}

start();
