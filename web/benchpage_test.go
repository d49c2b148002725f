//go:build !js

package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/internal/browsertest"
)

// benchPage is what web/static/bench/bench.js resolves to.
type benchPage struct {
	Size       float64 `json:"size"`
	Runs       int     `json:"runs"`
	Ciphertext float64 `json:"ciphertext"`
	Rows       []struct {
		Op     string  `json:"op"`
		Page   float64 `json:"page"`
		Inside float64 `json:"inside"`
		Ratio  float64 `json:"ratio"`
	} `json:"rows"`
	Before memStats `json:"before"`
	Peak   struct {
		memStats
		Samples int `json:"samples"`
	} `json:"peak"`
	Module struct {
		SHA256 string `json:"sha256"`
		Go     string `json:"go"`
	} `json:"module"`
	UserAgent string `json:"userAgent"`
	Cores     int    `json:"cores"`
}

func runBenchPage(t testing.TB, size, runs int) *benchPage {
	t.Helper()
	url, _ := serve(t)
	b := browsertest.Start(t, browsertest.Options{IgnoreCertificateErrors: true})
	if err := b.Navigate(url + "/bench/index.html"); err != nil {
		t.Fatal(err)
	}
	raw, err := browsertest.Eval[json.RawMessage](b, 10*time.Minute, fmt.Sprintf("vellumBench({size: %d, runs: %d})", size, runs))
	if err != nil {
		t.Fatalf("benchmark page: %v\nbrowser errors: %v", err, b.Errors())
	}
	var r benchPage
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	b.CheckNoErrors(t)
	return &r
}

// TestBenchPage runs the benchmark page briefly: its figures must be there
// and make sense (the timing itself is not checked).
func TestBenchPage(t *testing.T) {
	r := runBenchPage(t, 8<<20, 1)
	if len(r.Rows) != 2 || r.Rows[0].Op != "encrypt" || r.Rows[1].Op != "sha256" {
		t.Fatalf("rows %+v", r.Rows)
	}
	for _, row := range r.Rows {
		if !(row.Page > 0 && row.Inside > 0 && row.Ratio > 0) {
			t.Errorf("%s: page %v MB/s, inside %v MB/s, ratio %v", row.Op, row.Page, row.Inside, row.Ratio)
		}
	}
	if r.Ciphertext <= r.Size || r.Peak.Samples == 0 || r.Peak.HeapSys <= 0 || r.Peak.WasmMemory <= 0 || !sha256Hex.MatchString(r.Module.SHA256) {
		t.Errorf("result %+v", r)
	}
}

// BenchmarkBenchPage runs the benchmark page headless (bench/run-browser.sh
// runs it) and reports its figures: MB/s through the page API from a File,
// MB/s of the same Go code inside the worker, their ratio, and the worker's
// memory. BENCH_SIZE_MIB and BENCH_RUNS set the file size and the runs.
func BenchmarkBenchPage(b *testing.B) {
	size, runs := 64, 3
	fmt.Sscan(os.Getenv("BENCH_SIZE_MIB"), &size)
	fmt.Sscan(os.Getenv("BENCH_RUNS"), &runs)
	var r *benchPage
	for b.Loop() {
		r = runBenchPage(b, size<<20, runs)
	}
	for _, row := range r.Rows {
		b.ReportMetric(row.Page, row.Op+"-page-MB/s")
		b.ReportMetric(row.Inside, row.Op+"-inside-MB/s")
		b.ReportMetric(row.Ratio, row.Op+"-ratio")
	}
	b.ReportMetric(r.Peak.HeapSys/(1<<20), "peak-heapSys-MiB")
	b.ReportMetric(r.Peak.WasmMemory/(1<<20), "peak-wasm-MiB")
	var out strings.Builder
	fmt.Fprintf(&out, "\n| operation, %d MiB File, median of %d | through the API (MB/s) | inside the worker (MB/s) | ratio |\n|---|---:|---:|---:|\n", size, runs)
	for _, row := range r.Rows {
		fmt.Fprintf(&out, "| %s | %.1f | %.1f | %.2f× |\n", row.Op, row.Page, row.Inside, row.Ratio)
	}
	fmt.Fprintf(&out, "\nworker memory while streaming: peak heapAlloc %.1f MiB, heapSys %.1f MiB, WebAssembly memory %.1f MiB (before: %.1f MiB); %d samples\n",
		r.Peak.HeapAlloc/(1<<20), r.Peak.HeapSys/(1<<20), r.Peak.WasmMemory/(1<<20), r.Before.WasmMemory/(1<<20), r.Peak.Samples)
	fmt.Fprintf(&out, "%s, module %s, %d cores: %s\n", r.Module.Go, r.Module.SHA256[:16], r.Cores, r.UserAgent)
	b.Log(out.String())
}
