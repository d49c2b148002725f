// Command ratios turns go test -bench output into the Markdown table of
// bench/README.md: each figure next to a baseline benchmark from the same
// run, and their ratio.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem ./keys/... | go run ./bench/ratios
//	go run ./bench/ratios [-table core|server] [-title T] [-date YYYY-MM-DD] [-allow-missing] file...
//
// The input is read strictly: a malformed benchmark line, or inputs from
// different machines, is an error (exit 2). A row whose benchmark or
// baseline is absent or failed is printed as missing, with the reason, and
// the exit status is 1 unless -allow-missing is given.
//
// Besides go test's own goos/goarch/pkg/cpu lines, the header uses these
// optional configuration lines, which bench/run-core.sh writes into the
// raw output: "date:", "go:", "command:", "load-start:", "load-end:".
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ratios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tableName := fs.String("table", "core", "the rows to render: core (go test -bench ./keys/...) or server (bench/run-server.sh)")
	title := fs.String("title", "", "heading of the report; empty for none (default: the table's name)")
	date := fs.String("date", "", "date to print instead of the input's date: line")
	allowMissing := fs.Bool("allow-missing", false, "exit 0 even if rows are missing")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	table, ok := tables[*tableName]
	if !ok {
		fmt.Fprintf(stderr, "ratios: no table %q (core, server)\n", *tableName)
		return 2
	}
	titled := false
	fs.Visit(func(f *flag.Flag) { titled = titled || f.Name == "title" })
	if !titled {
		*title = table.title
	}
	set, err := read(fs.Args(), stdin)
	if err != nil {
		fmt.Fprintln(stderr, "ratios:", err)
		return 2
	}
	missing, err := Render(stdout, set, table.rows, Options{Title: *title, Date: *date})
	if err != nil {
		fmt.Fprintln(stderr, "ratios:", err)
		return 2
	}
	if missing > 0 {
		fmt.Fprintf(stderr, "ratios: %d of %d rows missing (see the end of the table)\n", missing, len(table.rows))
		if !*allowMissing {
			return 1
		}
	}
	return 0
}

// tables are the row sets -table chooses from, with their default titles.
var tables = map[string]struct {
	rows  []Row
	title string
}{
	"core":   {Core, "Crypto core (keys/...)"},
	"server": {Server, "Server (vellumd)"},
}

// read parses the named files, or stdin if there are none or the name is "-".
func read(names []string, stdin io.Reader) (*Set, error) {
	set := newSet()
	if len(names) == 0 {
		names = []string{"-"}
	}
	for _, name := range names {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		} else {
			name = "stdin"
		}
		if err := set.Parse(r, name); err != nil {
			return nil, err
		}
	}
	if len(set.results) == 0 {
		return nil, errors.New("no benchmark results in the input")
	}
	return set, nil
}
