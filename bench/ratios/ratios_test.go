package main

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.md golden files")

func parseFile(t *testing.T, name string) *Set {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newSet()
	if err := s.Parse(f, name); err != nil {
		t.Fatal(err)
	}
	return s
}

func row(pkg, bench, unit, basePkg, baseBench string) Row {
	return Row{Metric: pkg + " " + bench, Pkg: pkg, Bench: bench, Unit: unit,
		Baseline: "base", BasePkg: basePkg, BaseBench: baseBench}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestCompute(t *testing.T) {
	s := parseFile(t, "sample.txt")
	tests := []struct {
		row                  Row
		value, base, ratio   float64
		vSpread, bSpread     float64
		n                    int
		missing              string // substring of the error, "" if none
		missingValue, noBase bool
	}{
		{row: row("keys/document", "BenchmarkEncrypt", "MB/s", "keys/document", "BenchmarkBaselineChaCha20Poly1305"),
			value: 2000, base: 3000, ratio: 2.0 / 3, vSpread: 0.1, bSpread: 200.0 / 3000, n: 3},
		{row: withBaseUnit(row("keys/membership", "BenchmarkVerifyChain", "ns/statement", "keys/membership", "BenchmarkBaselineEd25519Verify"), "ns/op"),
			value: 50000.5, base: 40000, ratio: 50000.5 / 40000, vSpread: 1 / 50000.5, n: 2},
		// "keys" is vellum.dev/vellum/keys only, not every package under it.
		{row: row("keys", "BenchmarkSign", "ns/op", "keys", "BenchmarkBaselineEd25519Sign"),
			value: 21000, base: 20000, ratio: 1.05, n: 1},
		// A sub-benchmark whose name ends in a number keeps it; -2 is GOMAXPROCS.
		{row: row("keys", "BenchmarkSize/len-64", "ns/op", "keys", "BenchmarkBaselineEd25519Sign"),
			value: 1000, base: 20000, ratio: 0.05, n: 1},
		// The baseline of a row can be any benchmark of the run, even one used as a figure.
		{row: row("keys/document", "BenchmarkEncrypt", "ns/op", "keys", "BenchmarkSign"),
			value: 8388608, base: 21000, ratio: 8388608.0 / 21000, n: 3},

		{row: row("keys/document", "BenchmarkDecrypt", "MB/s", "keys/document", "BenchmarkBaselineChaCha20Poly1305"),
			missing: "benchmark failed: FAIL at sample.txt:15", missingValue: true},
		{row: row("keys/document", "BenchmarkSealMetadata", "MB/s", "keys/document", "BenchmarkBaselineChaCha20Poly1305"),
			missing: "reports no MB/s, only B/op, allocs/op, ns/op; does it call b.SetBytes?", missingValue: true},
		{row: row("keys/grant", "BenchmarkMake", "ns/op", "keys/grant", "BenchmarkBaselineAgeX25519Wrap"),
			missing: "package build failed", missingValue: true, noBase: true},
		{row: row("keys/link", "BenchmarkWrap", "ns/op", "keys", "BenchmarkSign"),
			missing: "package not in the input", missingValue: true},
		{row: row("keys", "BenchmarkSign", "ns/op", "keys", "BenchmarkNope"),
			missing: "no result line in the input", noBase: true},
	}
	for _, tt := range tests {
		t.Run(tt.row.Metric+" "+tt.row.Unit, func(t *testing.T) {
			l := Compute(s, []Row{tt.row})[0]
			if tt.missing != "" {
				if !errors.Is(l.Err, ErrMissing) {
					t.Fatalf("err = %v, want ErrMissing", l.Err)
				}
				if !strings.Contains(l.Err.Error(), tt.missing) {
					t.Errorf("err = %q, want it to say %q", l.Err, tt.missing)
				}
				var me *MissingError
				if !errors.As(l.Err, &me) {
					t.Fatalf("err = %T, want *MissingError", l.Err)
				}
				if got := figure(l, false) == "**missing**"; got != tt.missingValue {
					t.Errorf("figure marked missing = %v, want %v", got, tt.missingValue)
				}
				if got := figure(l, true) == "**missing**"; got != tt.noBase {
					t.Errorf("baseline marked missing = %v, want %v", got, tt.noBase)
				}
				return
			}
			if l.Err != nil {
				t.Fatal(l.Err)
			}
			if !near(l.Value.median, tt.value) || !near(l.Base.median, tt.base) || !near(l.Ratio, tt.ratio) {
				t.Errorf("value %v base %v ratio %v, want %v %v %v", l.Value.median, l.Base.median, l.Ratio, tt.value, tt.base, tt.ratio)
			}
			if !near(l.Value.spread, tt.vSpread) || !near(l.Base.spread, tt.bSpread) {
				t.Errorf("spreads %v %v, want %v %v", l.Value.spread, l.Base.spread, tt.vSpread, tt.bSpread)
			}
			if l.Value.n != tt.n {
				t.Errorf("n = %d, want %d", l.Value.n, tt.n)
			}
		})
	}
}

func withBaseUnit(r Row, u string) Row { r.BaseUnit = u; return r }

func TestConfig(t *testing.T) {
	s := parseFile(t, "sample.txt")
	for k, want := range map[string]string{
		"date": "2026-11-21T09:15:00Z", "go": "go1.26.8", "cpu": "Test CPU @ 2.00GHz",
		"goos": "linux", "goarch": "amd64", "load-end": "0.90 0.50 0.40",
		"command": "go test -run '^$' -bench . -benchmem -count=3 ./keys/...",
	} {
		if got := s.Config[k]; got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if p := s.procs(); len(p) != 1 || p[0] != 2 {
		t.Errorf("procs = %v, want [2]", p)
	}
}

func TestParseRejects(t *testing.T) {
	const head = "pkg: example.com/p\n"
	for name, in := range map[string]string{
		"no count":          "BenchmarkX-2   \t   12.5 ns/op\n",
		"zero count":        "BenchmarkX-2 0 12.5 ns/op\n",
		"negative count":    "BenchmarkX-2 -3 12.5 ns/op\n",
		"value no unit":     "BenchmarkX-2 100 12.5 ns/op 7\n",
		"unit is a number":  "BenchmarkX-2 100 12.5 13\n",
		"bad value":         "BenchmarkX-2 100 12,5 ns/op\n",
		"NaN":               "BenchmarkX-2 100 NaN ns/op\n",
		"Inf":               "BenchmarkX-2 100 +Inf ns/op\n",
		"negative value":    "BenchmarkX-2 100 -1 ns/op\n",
		"unit twice":        "BenchmarkX-2 100 1 ns/op 2 ns/op\n",
		"stdout in line":    "BenchmarkX-2   \tsetting up fixture\n",
		"unknown marker":    "BenchmarkX-2 --- PASS: BenchmarkX-2\n",
		"short marker":      "BenchmarkX-2 --- FAIL:\n",
		"count overflows":   "BenchmarkX-2 99999999999999999999 1 ns/op\n",
		"fractional count":  "BenchmarkX-2 1.5 1 ns/op\n",
		"hex count":         "BenchmarkX-2 0x10 1 ns/op\n",
		"name then garbage": "BenchmarkX-2 100 1 ns/op extra\n",
		"orphan result":     "     100\t  12.5 ns/op\t 3 B/op\t 1 allocs/op\n",
	} {
		t.Run(name, func(t *testing.T) {
			err := newSet().Parse(strings.NewReader(head+in), "in")
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want ErrSyntax", err)
			}
			if !strings.HasPrefix(err.Error(), "in:2: ") {
				t.Errorf("err = %q, want it to start with the position in:2", err)
			}
		})
	}
}

func TestParseConflict(t *testing.T) {
	s := newSet()
	if err := s.Parse(strings.NewReader("cpu: A\nBenchmarkX 1 1 ns/op\n"), "a"); err != nil {
		t.Fatal(err)
	}
	// The same machine again is fine.
	if err := s.Parse(strings.NewReader("cpu: A\ngo: go1.26.8\n"), "b"); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"cpu: B\n", "go: go1.25.0\n"} {
		if err := s.Parse(strings.NewReader(in), "c"); !errors.Is(err, ErrConflict) {
			t.Errorf("%q: err = %v, want ErrConflict", in, err)
		}
	}
}

func TestParseLineTooLong(t *testing.T) {
	in := "BenchmarkX 1 1 " + strings.Repeat("x", maxLine) + "\n"
	if err := newSet().Parse(strings.NewReader(in), "in"); !errors.Is(err, ErrSyntax) {
		t.Fatalf("err = %v, want ErrSyntax", err)
	}
}

func TestSeveralProcs(t *testing.T) {
	s := newSet()
	in := "pkg: p\nBenchmarkX 10 1 ns/op\nBenchmarkX-2 10 2 ns/op\nBenchmarkY-2 10 2 ns/op\n"
	if err := s.Parse(strings.NewReader(in), "in"); err != nil {
		t.Fatal(err)
	}
	l := Compute(s, []Row{row("p", "BenchmarkX", "ns/op", "p", "BenchmarkY")})[0]
	if !errors.Is(l.Err, ErrMissing) || !strings.Contains(l.Err.Error(), "several GOMAXPROCS [1 2]") {
		t.Errorf("err = %v, want a several-GOMAXPROCS ErrMissing", l.Err)
	}
}

func TestAmbiguousPackage(t *testing.T) {
	s := newSet()
	in := "pkg: a.com/keys/seal\nBenchmarkX 1 1 ns/op\npkg: b.com/keys/seal\nBenchmarkX 1 1 ns/op\n"
	if err := s.Parse(strings.NewReader(in), "in"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup("keys/seal", "BenchmarkX", "ns/op"); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "a.com/keys/seal, b.com/keys/seal") {
		t.Errorf("err = %v, want an ambiguous-package ErrMissing", err)
	}
	// A suffix must end at a path separator: "seal" is not "keys/seal"'s "al".
	if _, err := s.Lookup("al", "BenchmarkX", "ns/op"); !errors.Is(err, ErrMissing) {
		t.Errorf("err = %v, want ErrMissing", err)
	}
	if v, err := s.Lookup("a.com/keys/seal", "BenchmarkX", "ns/op"); err != nil || len(v) != 1 {
		t.Errorf("full path: %v, %v", v, err)
	}
}

func TestZeroBaseline(t *testing.T) {
	s := newSet()
	if err := s.Parse(strings.NewReader("pkg: p\nBenchmarkX 1 5 ns/op 0 widgets/op\nBenchmarkY 1 5 ns/op 3 widgets/op\n"), "in"); err != nil {
		t.Fatal(err)
	}
	l := Compute(s, []Row{row("p", "BenchmarkY", "widgets/op", "p", "BenchmarkX")})[0]
	if !errors.Is(l.Err, ErrMissing) || !strings.Contains(l.Err.Error(), "baseline is 0") {
		t.Errorf("err = %v, want a zero-baseline error", l.Err)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{
		{1900, "MB/s", "1.90 GB/s"},
		{999.4, "MB/s", "999 MB/s"},
		{999.7, "MB/s", "1.00 GB/s"},
		{12.345, "MB/s", "12.3 MB/s"},
		{0.5, "ns/op", "0.500 ns/op"},
		{33123, "ns/op", "33.1 µs/op"},
		{50123456, "ns/op", "50.1 ms/op"},
		{405e6, "ns/op", "405 ms/op"},
		{2.5e9, "ns/op", "2.50 s/op"},
		{50000, "ns/statement", "50.0 µs/statement"},
		{128, "allocs/op", "128 allocs/op"},
		{123456, "B/op", "123000 B/op"},
	} {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
	for v, want := range map[float64]string{0.6667: "0.667", 1.05: "1.05", 280.4: "280", 0.003151: "0.00315", 12345: "12300"} {
		if got := sig3(v); got != want {
			t.Errorf("sig3(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestSpecWellFormed(t *testing.T) {
	seen := map[string]bool{}
	last := ""
	sections := map[string]bool{}
	for _, r := range Core {
		if r.Metric == "" || r.Pkg == "" || r.Bench == "" || r.Unit == "" || r.Baseline == "" || r.BasePkg == "" || r.BaseBench == "" {
			t.Errorf("incomplete row %+v", r)
		}
		if !strings.HasPrefix(r.Bench, "Benchmark") || !strings.HasPrefix(r.BaseBench, "Benchmark") {
			t.Errorf("%s: benchmark names must start with Benchmark", r.Metric)
		}
		if (r.Unit == "MB/s") != (r.Better == Higher) {
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

// TestGolden renders the real table from a real run's raw output and
// compares it with the Markdown kept next to it (-update rewrites it).
func TestGolden(t *testing.T) {
	for _, name := range []string{"core-sample", "sample"} {
		t.Run(name, func(t *testing.T) {
			s := parseFile(t, name+".txt")
			var b bytes.Buffer
			missing, err := Render(&b, s, Core, Options{Title: "Crypto core (keys/...)"})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".md")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != string(want) {
				g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				i := 0
				for i < min(len(g), len(w)) && g[i] == w[i] {
					i++
				}
				line := func(ls []string) string {
					if i < len(ls) {
						return ls[i]
					}
					return "(end)"
				}
				t.Errorf("output differs from %s at line %d (run with -update after checking):\ngot:  %s\nwant: %s", golden, i+1, line(g), line(w))
			}
			if name == "sample" && missing != len(Core)-3 {
				// Only Encrypt, Sign and VerifyChain (and their baselines) are in the sample.
				t.Errorf("missing = %d, want %d", missing, len(Core)-3)
			}
			if name == "core-sample" && missing != 0 {
				t.Errorf("missing = %d rows of a full run", missing)
			}
		})
	}
}

func TestRunExitStatus(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args   []string
		stdin  string
		status int
		stderr string
	}{
		{nil, string(sample), 1, "rows missing"},
		{[]string{"-allow-missing"}, string(sample), 0, "rows missing"},
		{[]string{"-"}, string(sample), 1, "rows missing"},
		{[]string{"testdata/sample.txt"}, "", 1, "rows missing"},
		{[]string{"testdata/core-sample.txt"}, "", 0, ""},
		{nil, "", 2, "no benchmark results"},
		{nil, "BenchmarkX 1 1\n", 2, "malformed"},
		{[]string{"testdata/does-not-exist.txt"}, "", 2, "does-not-exist"},
		{[]string{"-no-such-flag"}, "", 2, "no-such-flag"},
	} {
		var out, errOut bytes.Buffer
		got := run(tt.args, strings.NewReader(tt.stdin), &out, &errOut)
		if got != tt.status {
			t.Errorf("run(%q) = %d, want %d; stderr: %s", tt.args, got, tt.status, errOut.String())
		}
		if !strings.Contains(errOut.String(), tt.stderr) {
			t.Errorf("run(%q) stderr = %q, want it to say %q", tt.args, errOut.String(), tt.stderr)
		}
		if tt.status != 2 && !strings.Contains(out.String(), "| Measured |") {
			t.Errorf("run(%q) printed no table", tt.args)
		}
	}
}

func TestDateHeader(t *testing.T) {
	s := parseFile(t, "sample.txt")
	var b bytes.Buffer
	if _, err := Render(&b, s, Core[:1], Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- Date: 2026-11-21\n",
		"- Machine: Test CPU @ 2.00GHz, linux/amd64, GOMAXPROCS 2, go1.26.8\n",
		"- Command: `go test -run '^$' -bench . -benchmem -count=3 ./keys/...`\n",
		"- Load average (1, 5, 15 min) at start: 0.50 0.40 0.30; at end: 0.90 0.50 0.40\n",
		"| age encrypt, 16 MiB stream (document.Encrypt) | 2.00 GB/s | raw ChaCha20-Poly1305, 64 KiB chunks: 3.00 GB/s | **0.667×** (higher is better) |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if _, err := Render(&b, s, Core[:1], Options{Date: "2030-01-02"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "- Date: 2030-01-02\n") {
		t.Errorf("-date not used:\n%s", b.String())
	}
}
