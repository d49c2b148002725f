//go:build !js

package web_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"vellum.dev/vellum/keys/document"
)

// bigUpload is what the page reports after the upload of a generated file.
type bigUpload struct {
	Doc *struct {
		ID         string  `json:"id"`
		Size       float64 `json:"size"`
		CipherSize float64 `json:"cipherSize"`
		Name       string  `json:"name"`
	} `json:"doc"`
	State   string   `json:"state"`
	MS      float64  `json:"ms"`
	Samples int      `json:"samples"`
	Before  memStats `json:"before"`
	Peak    memStats `json:"peak"`
	After   memStats `json:"after"`
	Status  string   `json:"status"`
}

// TestUploadOverOneGiB uploads a file of 1 GiB and 1 MiB, generated in the
// page as a stream, through the app's upload path (the transfers panel,
// the worker, wasm/client, the real vellumd), sampling the worker's Go
// runtime memory (runtime.ReadMemStats in the module) and its WebAssembly
// memory all along. Memory must stay bounded: a small fraction of the
// file, whatever its size.
func TestUploadOverOneGiB(t *testing.T) {
	const size = 1<<30 + 1<<20
	v := startVellumd(t, vellumdOptions{})
	a := newPerson(t, v, "alice", "alice@acme.example", "alice's long password")
	a.signUp(false)
	tid, fid := a.companyWithFolder("Acme Corp", "Archive")

	js := fmt.Sprintf(`(async () => {
		const size = %d;
		const vc = (await import("/vellum-client.js")).client();
		const transfers = await import("/app/transfers.js");
		// 1 MiB of random bytes, varied per chunk by a counter: generated
		// as it is read, so the page never holds the file.
		const base = new Uint8Array(1 << 20);
		for (let i = 0; i < base.length; i += 65536) crypto.getRandomValues(base.subarray(i, i + 65536));
		let made = 0;
		const stream = new ReadableStream({
			pull(c) {
				if (made >= size) { c.close(); return; }
				const n = Math.min(base.length, size - made);
				const u = base.slice(0, n);
				new DataView(u.buffer).setFloat64(0, made);
				made += n;
				c.enqueue(u);
			},
		}, { highWaterMark: 0 });
		const pick = (m) => ({ heapAlloc: m.heapAlloc, heapSys: m.heapSys, sys: m.sys, wasmMemory: m.wasmMemory, keys: m.keys, streams: m.streams });
		const before = pick(await vc.memStats());
		const peak = { ...before };
		let samples = 0, sampling = true;
		const sample = async () => {
			while (sampling) {
				const m = await vc.memStats();
				for (const k of ["heapAlloc", "heapSys", "sys", "wasmMemory"]) peak[k] = Math.max(peak[k], m[k]);
				samples++;
				await new Promise((r) => setTimeout(r, 200));
			}
		};
		const sampler = sample();
		const t0 = performance.now();
		const doc = await transfers.upload({ tid: %q, folderId: %q, file: stream, name: "generated 1 GiB.bin", size });
		const ms = performance.now() - t0;
		sampling = false;
		await sampler;
		const row = document.querySelector('#transfer-list [data-kind="upload"]');
		return { doc, ms, samples, before, peak, after: pick(await vc.memStats()), state: row.dataset.state,
			status: row.querySelector(".transfer-status").textContent };
	})()`, size, tid, fid)
	start := time.Now()
	raw := a.eval(js)
	b, _ := json.Marshal(raw)
	var r bigUpload
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	t.Logf("uploaded %d bytes in %.1f s (%.1f MB/s through the app; test step %.1f s); %s",
		size, r.MS/1000, size/1e6/(r.MS/1000), time.Since(start).Seconds(), r.Status)
	t.Logf("worker memory: before heapSys %.1f MiB, wasm %.1f MiB; peak heapSys %.1f MiB, heapAlloc %.1f MiB, sys %.1f MiB, wasm %.1f MiB (%d samples)",
		r.Before.HeapSys/(1<<20), r.Before.WasmMemory/(1<<20), r.Peak.HeapSys/(1<<20), r.Peak.HeapAlloc/(1<<20), r.Peak.Sys/(1<<20), r.Peak.WasmMemory/(1<<20), r.Samples)
	if r.State != "done" || r.Doc == nil {
		a.fatalf("the upload ended %q: %s", r.State, r.Status)
	}
	want, _ := document.EncryptedSize(size)
	if r.Doc.Size != size || r.Doc.CipherSize != float64(want) {
		t.Errorf("document of %v bytes (%v of ciphertext), want %d (%d)", r.Doc.Size, r.Doc.CipherSize, size, want)
	}
	// Bounded: the uploader keeps one 2 MiB chunk, the fetch a copy of it,
	// age one 64 KiB chunk, the reader one chunk of the stream: a few MiB
	// live, and the garbage the collector lets pile up on top. The heap
	// (HeapSys) and the WebAssembly memory hold ~64 MiB from before the
	// upload: OPAQUE's Argon2id works in 64 MiB at login. The upload must
	// add next to nothing to them; holding the file would take 1 GiB.
	if r.Samples < 20 {
		t.Errorf("only %d memory samples during the upload", r.Samples)
	}
	const (
		maxAlloc  = 32 << 20 // live heap and uncollected garbage at any sample
		maxGrowth = 16 << 20 // growth of HeapSys and of the WebAssembly memory
		maxWasm   = 128 << 20
	)
	if r.Peak.HeapAlloc >= maxAlloc {
		t.Errorf("peak heapAlloc %.1f MiB while uploading %d MiB, want under %d MiB", r.Peak.HeapAlloc/(1<<20), size>>20, maxAlloc>>20)
	}
	if g := r.Peak.HeapSys - r.Before.HeapSys; g >= maxGrowth {
		t.Errorf("the Go heap grew by %.1f MiB while uploading %d MiB, want under %d MiB", g/(1<<20), size>>20, maxGrowth>>20)
	}
	if g := r.Peak.WasmMemory - r.Before.WasmMemory; g >= maxGrowth || r.Peak.WasmMemory >= maxWasm {
		t.Errorf("the WebAssembly memory grew by %.1f MiB to %.1f MiB while uploading %d MiB, want under %d MiB of growth and %d MiB in all",
			g/(1<<20), r.Peak.WasmMemory/(1<<20), size>>20, maxGrowth>>20, maxWasm>>20)
	}
	if r.After.Streams != 0 {
		t.Errorf("the worker holds %d streams after the upload", r.After.Streams)
	}
	// The server has it, as the folder lists it.
	a.route("/c/" + tid + "/f/" + fid)
	a.wait(`#doc-table tr[data-name="generated 1 GiB.bin"]`)
	a.screenshot("30-one-gib-uploaded")
	a.b.CheckNoErrors(t)
}
