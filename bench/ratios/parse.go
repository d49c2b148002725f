package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// ErrSyntax is wrapped by every error about a malformed line of input. A
// line that starts with "Benchmark" and is not exactly a result, a name
// alone, or a name followed by a "--- FAIL/SKIP" marker is an error rather
// than noise: a table built from half-read input would silently lie.
var ErrSyntax = errors.New("malformed benchmark output")

// ErrConflict is wrapped when the inputs disagree on the machine (goos,
// goarch, cpu, go): ratios are only meaningful within one run on one machine.
var ErrConflict = errors.New("inputs disagree")

// maxLine bounds one line of input; go test never writes longer result
// lines, and a longer line means the input is not benchmark output.
const maxLine = 1 << 20

// Result is one benchmark result line.
type Result struct {
	Pkg    string // import path from the last "pkg:" line, "" if none
	Name   string // without the -GOMAXPROCS suffix, e.g. "BenchmarkEncrypt"
	Procs  int    // GOMAXPROCS suffix, 1 when absent (go test omits -1)
	N      int64
	Values map[string]float64 // unit → value, e.g. "ns/op" → 1234
	Where  string             // file:line, for messages
}

type key struct{ pkg, name string }

// Set is everything read from one or more files of go test -bench output.
type Set struct {
	// Config holds "key: value" lines. The machine keys (goos, goarch, cpu,
	// go) must agree across all inputs; for others (date, load-start, ...)
	// the first value read wins.
	Config  map[string]string
	results map[key][]Result
	order   []key             // first appearance, for listing unused benchmarks
	failed  map[key]string    // "--- FAIL" / "--- SKIP"
	pkgs    map[string]string // package → status from go test's summary line ("" if only seen in pkg:)
}

func newSet() *Set {
	return &Set{
		Config:  map[string]string{},
		results: map[key][]Result{},
		failed:  map[key]string{},
		pkgs:    map[string]string{},
	}
}

// machineKeys must be equal across inputs.
var machineKeys = map[string]bool{"goos": true, "goarch": true, "cpu": true, "go": true}

// Parse reads go test -bench output from r (named name in messages) into s.
func (s *Set) Parse(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	pkg := "" // each file starts without a package: go test prints pkg: per binary
	for n := 1; sc.Scan(); n++ {
		where := fmt.Sprintf("%s:%d", name, n)
		if err := s.line(sc.Text(), where, &pkg); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrSyntax, err)
	}
	return nil
}

func (s *Set) line(line, where string, pkg *string) error {
	trimmed := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, "Benchmark"):
		return s.benchLine(line, where, *pkg)
	case strings.HasPrefix(trimmed, "--- FAIL: "), strings.HasPrefix(trimmed, "--- SKIP: "):
		// run1 failures print the marker on a line of its own.
		s.markFailed(*pkg, trimmed, where)
		return nil
	}
	if k, v, ok := configLine(line); ok {
		if k == "pkg" {
			*pkg = v
			if _, ok := s.pkgs[v]; !ok {
				s.pkgs[v] = ""
			}
		}
		if old, seen := s.Config[k]; seen && machineKeys[k] && old != v {
			return fmt.Errorf("%s: %w on %s: %q and %q", where, ErrConflict, k, old, v)
		} else if !seen {
			s.Config[k] = v
		}
		return nil
	}
	// A result without its name: a benchmark wrote a line break to stdout
	// between the name and the figures. Dropping it would lose a run.
	if f := strings.Fields(line); len(f) >= 3 && len(f)%2 == 1 && f[2] == "ns/op" {
		if _, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			return fmt.Errorf("%s: %w: a result line without a benchmark name: %q", where, ErrSyntax, line)
		}
	}
	// go test's per-package summary: "ok  \tpkg\t1.2s", "FAIL\tpkg [build failed]",
	// "FAIL\tpkg\t1.2s", "?   \tpkg\t[no test files]".
	f := strings.Fields(line)
	if len(f) >= 2 && (f[0] == "ok" || f[0] == "FAIL" || f[0] == "?") && strings.Contains(f[1], "/") {
		status := f[0]
		if strings.Contains(line, "[build failed]") {
			status = "build failed"
		} else if strings.Contains(line, "[setup failed]") {
			status = "setup failed"
		}
		s.pkgs[f[1]] = status
	}
	return nil // test logs, PASS, compiler output: not ours to judge
}

// configLine recognises the key: value lines of the Go benchmark format: the
// key starts with a lower-case letter and has no spaces or upper case.
func configLine(line string) (k, v string, ok bool) {
	k, v, ok = strings.Cut(line, ": ")
	if !ok || k == "" || !unicode.IsLower([]rune(k)[0]) {
		return "", "", false
	}
	for _, r := range k {
		if unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", "", false
		}
	}
	return k, strings.TrimSpace(v), true
}

func (s *Set) markFailed(pkg, marker, where string) {
	status, name, _ := strings.Cut(strings.TrimPrefix(marker, "--- "), ": ")
	name, _ = splitProcs(strings.TrimSpace(name))
	s.failed[key{pkg, name}] = fmt.Sprintf("%s at %s", status, where)
}

func (s *Set) benchLine(line, where, pkg string) error {
	f := strings.Fields(line)
	name, procs := splitProcs(f[0])
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s: %q", where, ErrSyntax, fmt.Sprintf(format, args...), line)
	}
	switch {
	case len(f) == 1:
		// The name alone: go test -v prints it before the run, and
		// without -v it is followed by the results on the same line,
		// unless the benchmark wrote to stdout in between.
		return nil
	case f[1] == "---":
		if len(f) < 4 || (f[2] != "FAIL:" && f[2] != "SKIP:") {
			return bad("unknown marker after the name")
		}
		s.markFailed(pkg, strings.Join(f[1:], " "), where)
		return nil
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return bad("iteration count %q is not a positive integer (did the benchmark print to stdout?)", f[1])
	}
	if len(f)%2 != 0 {
		return bad("a value without a unit")
	}
	r := Result{Pkg: pkg, Name: name, Procs: procs, N: n, Values: map[string]float64{}, Where: where}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v < 0 {
			return bad("value %q is not a finite non-negative number", f[i])
		}
		u := f[i+1]
		if _, err := strconv.ParseFloat(u, 64); err == nil {
			return bad("unit %q is a number", u)
		}
		if _, dup := r.Values[u]; dup {
			return bad("unit %q twice", u)
		}
		r.Values[u] = v
	}
	k := key{pkg, name}
	if _, seen := s.results[k]; !seen {
		s.order = append(s.order, k)
	}
	s.results[k] = append(s.results[k], r)
	return nil
}

// splitProcs splits "BenchmarkX-2" into "BenchmarkX", 2. go test omits the
// suffix when GOMAXPROCS is 1.
func splitProcs(s string) (string, int) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return s, 1
	}
	p, err := strconv.Atoi(s[i+1:])
	if err != nil || p <= 0 || s[i+1] == '+' || s[i+1] == '0' {
		return s, 1
	}
	return s[:i], p
}
