// The browser benchmark page. For a File made here, it measures, through
// the page API the app uses (vellum-client.js: the File streamed in 1 MiB
// pushes to the worker, results back), encryption to a document file and
// SHA-256; and the same Go code in a loop inside the worker, with no
// JavaScript boundary (benchInside). The ratio of the two is the cost of
// the boundary and the streaming. The worker's memory is sampled while the
// file streams. bench/run-browser.sh runs it headless; people can run it at
// /bench/index.html.

import { client } from "/vellum-client.js";

const $ = (id) => document.getElementById(id);
const MiB = 1 << 20;

function makeFile(size) {
  const parts = [];
  for (let off = 0; off < size; off += MiB) {
    const part = new Uint8Array(Math.min(MiB, size - off));
    for (let i = 0; i < part.length; i += 65536) crypto.getRandomValues(part.subarray(i, i + 65536));
    parts.push(part);
  }
  return new File(parts, "bench.bin", { type: "application/octet-stream" });
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

// sampler polls the worker's memory until stopped and keeps the peaks.
function sampler(vc) {
  const peak = { heapAlloc: 0, heapSys: 0, sys: 0, wasmMemory: 0 };
  let on = true;
  let samples = 0;
  const done = (async () => {
    while (on) {
      const m = await vc.memStats();
      for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
      samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => { on = false; await done; return { ...peak, samples }; };
}

async function drain(readable) {
  const r = readable.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await r.read();
    if (done) return n;
    n += value.byteLength;
  }
}

// run measures every operation runs times on a file of size bytes.
export async function run({ size = 64 * MiB, runs = 3 } = {}, onStatus = () => {}) {
  const vc = client();
  const info = await vc.info();
  onStatus("Making the file…");
  const file = makeFile(size);
  const key = await vc.generateKey();
  const before = await vc.memStats();
  const stop = sampler(vc);
  const page = { encrypt: [], sha256: [] };
  const inside = { encrypt: [], sha256: [] };
  let ciphertext = 0;
  for (let i = 0; i < runs; i++) {
    onStatus(`Run ${i + 1} of ${runs}: encrypting through the API…`);
    let t = performance.now();
    ciphertext = await drain(vc.encryptStream(file, key.recipient));
    page.encrypt.push(mbps(size, performance.now() - t));
    onStatus(`Run ${i + 1} of ${runs}: hashing through the API…`);
    t = performance.now();
    await vc.sha256(file);
    page.sha256.push(mbps(size, performance.now() - t));
    for (const op of ["encrypt", "sha256"]) {
      onStatus(`Run ${i + 1} of ${runs}: ${op} inside the worker…`);
      const r = await vc.call("benchInside", [op, size]);
      inside[op].push(mbps(size, r.ms));
    }
  }
  const peak = await stop();
  await vc.releaseKey(key.handle);
  const rows = ["encrypt", "sha256"].map((op) => {
    const p = median(page[op]);
    const g = median(inside[op]);
    return { op, page: p, inside: g, ratio: p / g };
  });
  return {
    size, runs, ciphertext, rows, before, peak,
    module: { sha256: info.sha256, go: info.version.go },
    userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency,
  };
}

globalThis.vellumBench = run;

function show(r) {
  const fmt = (x) => x.toFixed(1);
  $("bench-rows").replaceChildren(...r.rows.map((x) => {
    const tr = document.createElement("tr");
    for (const v of [x.op === "encrypt" ? "Encrypt (age, document file)" : "SHA-256 (seal digest)", fmt(x.page), fmt(x.inside), x.ratio.toFixed(2) + "×"]) {
      const td = document.createElement(tr.children.length ? "td" : "th");
      if (!tr.children.length) td.scope = "row";
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
  const mem = [
    ["Go heap in use at the peak (heapAlloc)", r.peak.heapAlloc],
    ["Go heap reserved at the peak (heapSys)", r.peak.heapSys],
    ["WebAssembly memory at the peak", r.peak.wasmMemory],
    ["WebAssembly memory before", r.before.wasmMemory],
  ];
  $("bench-memory-rows").replaceChildren(...mem.map(([k, v]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = k;
    const td = document.createElement("td");
    td.textContent = (v / MiB).toFixed(1);
    tr.append(th, td);
    return tr;
  }));
  $("bench-table").hidden = false;
  $("bench-memory").hidden = false;
  $("bench-env").textContent = `${r.size / MiB} MiB, ${r.runs} runs, ${r.peak.samples} memory samples; ${r.module.go}; module ${r.module.sha256.slice(0, 16)}…; ${r.userAgent}`;
}

async function main() {
  const status = (s) => { $("bench-status").textContent = s; };
  try {
    await client().info();
  } catch (e) {
    status(`The Vellum client could not start: ${e.message}`);
    return;
  }
  status("Ready.");
  $("bench-run").disabled = false;
  $("bench-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("bench-run").disabled = true;
    try {
      const r = await run({ size: Number($("bench-size").value) * MiB, runs: Number($("bench-runs").value) }, status);
      show(r);
      status("Done.");
    } catch (e) {
      status(`Failed: ${e.code || ""} ${e.message}`);
    } finally {
      $("bench-run").disabled = false;
    }
  });
  document.documentElement.dataset.ready = "true";
}

main();
