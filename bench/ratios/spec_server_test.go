package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestServerSpecWellFormed holds the Server table to the rules of Core:
// complete rows, benchmark names, throughputs better higher and costs
// lower, no duplicate metric, sections not split.
func TestServerSpecWellFormed(t *testing.T) {
	seen := map[string]bool{}
	last := ""
	sections := map[string]bool{}
	for _, r := range Server {
		if r.Metric == "" || r.Pkg == "" || r.Bench == "" || r.Unit == "" || r.Baseline == "" || r.BasePkg == "" || r.BaseBench == "" {
			t.Errorf("incomplete row %+v", r)
		}
		if !strings.HasPrefix(r.Bench, "Benchmark") || !strings.HasPrefix(r.BaseBench, "Benchmark") {
			t.Errorf("%s: benchmark names must start with Benchmark", r.Metric)
		}
		if throughput := r.Unit == "MB/s" || r.Unit == "req/s"; throughput != (r.Better == Higher) {
			t.Errorf("%s: %s with %s is better", r.Metric, r.Unit, r.Better)
		}
		if seen[r.Metric] {
			t.Errorf("duplicate metric %q", r.Metric)
		}
		seen[r.Metric] = true
		if r.Section != last {
			if sections[r.Section] {
				t.Errorf("section %q is split", r.Section)
			}
			sections[r.Section], last = true, r.Section
		}
	}
}

// TestServerTable renders the Server table from a sample of bench/server's
// and go test's output: every row found, the units shown as they are.
func TestServerTable(t *testing.T) {
	in := `goos: linux
goarch: amd64
pkg: vellum.dev/vellum/bench/server
BenchmarkBaselineDiskWriteSynced-2	1	510565097 ns/op	131.44 MB/s
BenchmarkBaselineDiskWriteOneSync-2	1	75970447 ns/op	883.35 MB/s
BenchmarkIngestHTTP-2	1	456329902 ns/op	147.10 MB/s
BenchmarkIngestHTTPStreams-2	1	377619235 ns/op	177.76 MB/s
BenchmarkAuthenticatedGetTLS-2	122208	24620 ns/op	40617 req/s	13.990 p99-ms
BenchmarkBaselineHelloTLS-2	273048	11335 ns/op	88223 req/s	27.890 p99-ms
goos: linux
goarch: amd64
pkg: vellum.dev/vellum/server/api
cpu: Intel(R) Xeon(R) Processor
BenchmarkLoginStart-2          	     679	    663040 ns/op	   27989 B/op	     320 allocs/op
BenchmarkLoginStartUnknown-2   	     703	    641667 ns/op	   26696 B/op	     309 allocs/op
BenchmarkAuthenticatedGet-2    	   35176	     11937 ns/op	    1794 B/op	      25 allocs/op
BenchmarkBaselineHandler-2     	 1219225	       199.2 ns/op	       0 B/op	       0 allocs/op
ok  	vellum.dev/vellum/server/api	2.215s
pkg: vellum.dev/vellum/keys/opaque
BenchmarkServerLoginStart-2    	     2000	    314000 ns/op
BenchmarkServerLoginFinish-2   	 10000000	        94.7 ns/op
ok  	vellum.dev/vellum/keys/opaque	3.1s
pkg: vellum.dev/vellum/keys/seal
BenchmarkBaselineEd25519Verify-2	30000	40000 ns/op
ok  	vellum.dev/vellum/keys/seal	1.2s
`
	var out, errs bytes.Buffer
	if code := run([]string{"-table", "server"}, strings.NewReader(in), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"## Server (vellumd)", "40600 req/s", "88200 req/s", "**0.460×** (higher is better)",
		"14.0 p99-ms", "**0.502×** (lower is better)", "147 MB/s", "**0.167×**", "**2.11×**"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	if code := run([]string{"-table", "nope"}, strings.NewReader(in), &out, &errs); code != 2 {
		t.Errorf("an unknown table: exit %d", code)
	}
}
