package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Better says which way a ratio is good. It does not change the ratio, which
// is always figure ÷ baseline in the row's units: for MB/s a ratio under 1
// is slower than the baseline, for ns/op a ratio over 1 is.
type Better int

const (
	Lower  Better = iota // a cost: ns/op and the like
	Higher               // a throughput: MB/s
)

func (b Better) String() string {
	if b == Higher {
		return "higher"
	}
	return "lower"
}

// Row is one line of the table: a figure read next to a baseline measured
// in the same run.
type Row struct {
	Section string // table heading; rows of one section must be adjacent
	Metric  string // what is measured, in words
	Pkg     string // import path or suffix, e.g. "keys/document"
	Bench   string // e.g. "BenchmarkEncrypt"
	Unit    string // "ns/op", "MB/s" or a b.ReportMetric unit

	Baseline  string // the baseline, in words
	BasePkg   string
	BaseBench string
	BaseUnit  string // "" means Unit

	Better Better
	Expect string // the ratio the design predicts, in words; "" if none
}

func (r Row) baseUnit() string {
	if r.BaseUnit == "" {
		return r.Unit
	}
	return r.BaseUnit
}

type stat struct {
	median, spread float64 // spread = (max-min)/median
	n              int
}

func summarize(vs []float64) stat {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	st := stat{median: m, n: n}
	if m > 0 {
		st.spread = (s[n-1] - s[0]) / m
	}
	return st
}

// Line is a computed row. Err, if set, wraps ErrMissing and the figures are
// not meaningful.
type Line struct {
	Row
	Value, Base stat
	Ratio       float64
	Err         error
}

// Compute reads every row's figure and baseline from s.
func Compute(s *Set, rows []Row) []Line {
	out := make([]Line, 0, len(rows))
	for _, r := range rows {
		l := Line{Row: r}
		v, errV := s.Lookup(r.Pkg, r.Bench, r.Unit)
		b, errB := s.Lookup(r.BasePkg, r.BaseBench, r.baseUnit())
		// Each side is shown if present, even when the other is missing.
		if errV == nil {
			l.Value = summarize(v)
		}
		if errB == nil {
			l.Base = summarize(b)
		}
		if err := errors.Join(errV, errB); err != nil {
			l.Err = err
		} else if l.Base.median == 0 {
			l.Err = &MissingError{Pkg: r.BasePkg, Bench: r.BaseBench, Unit: r.baseUnit(), Reason: "baseline is 0, no ratio"}
		} else {
			l.Ratio = l.Value.median / l.Base.median
		}
		out = append(out, l)
	}
	return out
}

// Options are the parts of the header that do not come from the input.
type Options struct {
	Title string
	Date  string // overrides the input's date: line
}

// Render writes the Markdown report and returns the number of rows that
// could not be computed.
func Render(w io.Writer, s *Set, rows []Row, opt Options) (missing int, err error) {
	lines := Compute(s, rows)
	var b strings.Builder
	if opt.Title != "" {
		fmt.Fprintf(&b, "## %s\n\n", opt.Title)
	}
	writeHeader(&b, s, lines, opt)
	section := "\x00"
	for _, l := range lines {
		if l.Section != section {
			section = l.Section
			if section != "" {
				fmt.Fprintf(&b, "\n### %s\n", md(section))
			}
			b.WriteString("\n| Measured | Figure | Baseline (same run) | Ratio | Expected | Spread | Benchmarks |\n")
			b.WriteString("|---|--:|---|--:|---|--:|---|\n")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			md(l.Metric), figure(l, false), md(l.Baseline)+": "+figure(l, true),
			ratioCell(l), md(l.Expect), spreadCell(l), sourceCell(l.Row))
	}
	var errs []string
	for _, l := range lines {
		if l.Err != nil {
			missing++
			for _, e := range unjoin(l.Err) {
				errs = append(errs, fmt.Sprintf("- %s: %s", md(l.Metric), md(e.Error())))
			}
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(&b, "\n**%d of %d rows missing:**\n\n%s\n", missing, len(lines), strings.Join(errs, "\n"))
	}
	if u := s.unused(rows); len(u) > 0 {
		fmt.Fprintf(&b, "\nIn the run but in no row: %s.\n", md(strings.Join(u, ", ")))
	}
	_, err = io.WriteString(w, b.String())
	return missing, err
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func writeHeader(b *strings.Builder, s *Set, lines []Line, opt Options) {
	c := s.Config
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	date := opt.Date
	if date == "" {
		date = c["date"]
		if len(date) > 10 && date[10] == 'T' { // RFC 3339: keep the day
			date = date[:10]
		}
	}
	procs := "unknown"
	if p := s.procs(); len(p) > 0 {
		procs = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(p)), ", "), "[]")
	}
	fmt.Fprintf(b, "- Date: %s\n", or(date, "not recorded in the input"))
	fmt.Fprintf(b, "- Machine: %s, %s/%s, GOMAXPROCS %s, %s\n",
		md(or(c["cpu"], "cpu not recorded")), or(c["goos"], "?"), or(c["goarch"], "?"), procs, or(c["go"], "go version not recorded"))
	if cmd := c["command"]; cmd != "" {
		fmt.Fprintf(b, "- Command: `%s`\n", cmd)
	}
	if ls, le := c["load-start"], c["load-end"]; ls != "" || le != "" {
		fmt.Fprintf(b, "- Load average (1, 5, 15 min) at start: %s; at end: %s\n", or(ls, "?"), or(le, "?"))
	}
	n := 0
	for _, l := range lines {
		n = max(n, l.Value.n, l.Base.n)
	}
	fmt.Fprintf(b, "- Each figure is the median of its runs (up to %d here). Ratio = figure ÷ baseline, both from this run. "+
		"Spread = (max − min) ÷ median over the runs, figure / baseline.\n", n)
}

func figure(l Line, base bool) string {
	pkg, bench, unit, st := l.Pkg, l.Bench, l.Unit, l.Value
	if base {
		pkg, bench, unit, st = l.BasePkg, l.BaseBench, l.baseUnit(), l.Base
	}
	var me *MissingError
	for _, e := range unjoin(l.Err) {
		if errors.As(e, &me) && me.Pkg == pkg && me.Bench == bench && me.Unit == unit {
			return "**missing**"
		}
	}
	if st.n == 0 {
		return "—"
	}
	return FormatValue(st.median, unit)
}

func ratioCell(l Line) string {
	if l.Err != nil {
		return "—"
	}
	return "**" + sig3(l.Ratio) + "×** (" + l.Better.String() + " is better)"
}

func spreadCell(l Line) string {
	if l.Err != nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%% / %.0f%%", 100*l.Value.spread, 100*l.Base.spread)
}

func sourceCell(r Row) string {
	short := func(pkg, bench string) string {
		return pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + strings.TrimPrefix(bench, "Benchmark")
	}
	return "`" + short(r.Pkg, r.Bench) + "` ÷ `" + short(r.BasePkg, r.BaseBench) + "`"
}

// md escapes what would break a table cell.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// FormatValue prints a figure with three significant digits in a readable
// unit: nanoseconds per anything are scaled to µs, ms or s; MB/s at or over
// 1000 becomes GB/s (decimal, like go test's MB/s).
func FormatValue(v float64, unit string) string {
	v = round3(v) // so that 999.7 MB/s is 1.00 GB/s, not "1000 MB/s"
	switch {
	case strings.HasPrefix(unit, "ns/"):
		per := unit[2:]
		switch {
		case v >= 1e9:
			return sig3(v/1e9) + " s" + per
		case v >= 1e6:
			return sig3(v/1e6) + " ms" + per
		case v >= 1e3:
			return sig3(v/1e3) + " µs" + per
		}
		return sig3(v) + " ns" + per
	case unit == "MB/s" && v >= 1000:
		return sig3(v/1000) + " GB/s"
	}
	return sig3(v) + " " + unit
}

// sig3 formats v with three significant digits and no exponent; numbers of
// 1000 and over are rounded to integers.
func sig3(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	// Round first, so that 999.7 gets the digits of 1000, not of 999.
	v = round3(v)
	d := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	return strconv.FormatFloat(v, 'f', max(d, 0), 64)
}

// round3 rounds v to three significant digits.
func round3(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}
