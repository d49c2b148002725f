package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrMissing is wrapped by every MissingError: a row's benchmark or metric
// is not in the input. Missing rows are printed as such and make the
// program exit non-zero; they are never dropped from the table.
var ErrMissing = errors.New("benchmark missing")

// MissingError says which benchmark a row lacks and why.
type MissingError struct {
	Pkg, Bench, Unit string
	Reason           string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s %s (%s): %s", e.Pkg, e.Bench, e.Unit, e.Reason)
}

func (e *MissingError) Unwrap() error { return ErrMissing }

// matchPkg reports whether the import path full is the package spec names:
// the same path, or ending in "/"+spec.
func matchPkg(full, spec string) bool {
	return full == spec || strings.HasSuffix(full, "/"+spec)
}

// Lookup returns every value of unit reported by bench in the package pkg
// (an import path or its suffix, e.g. "keys/document"), one per -count run.
func (s *Set) Lookup(pkg, bench, unit string) ([]float64, error) {
	missing := func(format string, args ...any) error {
		return &MissingError{Pkg: pkg, Bench: bench, Unit: unit, Reason: fmt.Sprintf(format, args...)}
	}
	var full []string
	for p := range s.pkgs {
		if matchPkg(p, pkg) {
			full = append(full, p)
		}
	}
	for k := range s.results {
		if matchPkg(k.pkg, pkg) && !slices.Contains(full, k.pkg) {
			full = append(full, k.pkg)
		}
	}
	slices.Sort(full)
	switch len(full) {
	case 0:
		return nil, missing("package not in the input")
	case 1:
	default:
		return nil, missing("package name matches %s", strings.Join(full, ", "))
	}
	p := full[0]
	status := ""
	if st := s.pkgs[p]; st != "" && st != "ok" {
		status = " (package: " + st + ")"
	}
	k := key{p, bench}
	if why, ok := s.failed[k]; ok {
		return nil, missing("benchmark failed: %s%s", why, status)
	}
	rs := s.results[k]
	if len(rs) == 0 {
		if st := s.pkgs[p]; st == "build failed" || st == "setup failed" {
			return nil, missing("package %s", st)
		}
		return nil, missing("no result line in the input%s", status)
	}
	procs := map[int]bool{}
	var vs []float64
	for _, r := range rs {
		procs[r.Procs] = true
		v, ok := r.Values[unit]
		if !ok {
			units := slices.Sorted(maps.Keys(r.Values))
			hint := ""
			if unit == "MB/s" {
				hint = "; does it call b.SetBytes?"
			}
			return nil, missing("%s reports no %s, only %s%s", r.Where, unit, strings.Join(units, ", "), hint)
		}
		vs = append(vs, v)
	}
	if len(procs) > 1 {
		return nil, missing("ran at several GOMAXPROCS %v: run with one -cpu value", slices.Sorted(maps.Keys(procs)))
	}
	return vs, nil
}

// procs returns the GOMAXPROCS values of all results.
func (s *Set) procs() []int {
	set := map[int]bool{}
	for _, rs := range s.results {
		for _, r := range rs {
			set[r.Procs] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// unused lists the benchmarks in the input that no row reads, so a new
// benchmark is noticed rather than silently left out of the table.
func (s *Set) unused(rows []Row) []string {
	used := map[key]bool{}
	for k := range s.results {
		for _, r := range rows {
			if (matchPkg(k.pkg, r.Pkg) && k.name == r.Bench) || (matchPkg(k.pkg, r.BasePkg) && k.name == r.BaseBench) {
				used[k] = true
			}
		}
	}
	var out []string
	for _, k := range s.order {
		if !used[k] {
			out = append(out, k.pkg+" "+k.name)
		}
	}
	return out
}
