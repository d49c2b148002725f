//go:build !js

package protocol_test

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"vellum.dev/vellum/internal/vectortest"
	"vellum.dev/vellum/protocol"
)

const specFile = "spec/10-encodings-and-api.md"

// TestSpecTables keeps the generated tables of the spec equal to the source.
// With -update it rewrites them. It reads the source tree, so it does not
// run under wasm.
func TestSpecTables(t *testing.T) {
	spec, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	out := string(spec)
	for _, s := range []struct {
		name string
		gen  func(*testing.T) string
	}{
		{"labels", labelsTable}, {"limits", limitsTable}, {"codes", codesTable}, {"routes", routesTable},
	} {
		re := regexp.MustCompile(`(?s)(<!-- BEGIN GENERATED: ` + s.name + ` -->\n).*?(<!-- END GENERATED: ` + s.name + ` -->)`)
		if !re.MatchString(out) {
			t.Fatalf("%s: no markers for %s", specFile, s.name)
		}
		table := s.gen(t)
		out = re.ReplaceAllLiteralString(out, "<!-- BEGIN GENERATED: "+s.name+" -->\n"+table+"<!-- END GENERATED: "+s.name+" -->")
	}
	if out == string(spec) {
		return
	}
	if *vectortest.Update {
		if err := os.WriteFile(specFile, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: generated tables are stale; run go test ./protocol -run SpecTables -update", specFile)
}

// glob lists the source files of a kind, tests left out: every helper's
// labels_<area>.go and limits_<area>.go belong in the tables.
func glob(t *testing.T, pattern string) []string {
	names, err := filepath.Glob(pattern)
	if err != nil || len(names) == 0 {
		t.Fatalf("no %s: %v", pattern, err)
	}
	var out []string
	for _, n := range names {
		if !strings.HasSuffix(n, "_test.go") {
			out = append(out, n)
		}
	}
	return out
}

func parse(t *testing.T, files ...string) (*token.FileSet, []*ast.File) {
	fset := token.NewFileSet()
	var fs []*ast.File
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	return fset, fs
}

// constDocs returns each constant of the files with its comment (the doc
// comment, else the line comment, else the previous constant's in a group).
func constDocs(fs []*ast.File) (names []string, docs map[string]string) {
	docs = map[string]string{}
	for _, f := range fs {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			prev := strings.Join(strings.Fields(g.Doc.Text()), " ")
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				doc := strings.Join(strings.Fields(vs.Doc.Text()), " ")
				if doc == "" {
					doc = strings.Join(strings.Fields(vs.Comment.Text()), " ")
				}
				if doc == "" {
					doc = prev
				}
				prev = doc
				for _, n := range vs.Names {
					names = append(names, n.Name)
					docs[n.Name] = doc
				}
			}
		}
	}
	return names, docs
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func labelsTable(t *testing.T) string {
	_, fs := parse(t, glob(t, "labels*.go")...)
	_, docs := constDocs(fs)
	var b strings.Builder
	b.WriteString("| constant | label | use |\n|---|---|---|\n")
	for _, f := range fs {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("label %s is not a literal", id.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", id.Name, v, cell(docs[id.Name]))
			}
			return false
		})
	}
	return b.String()
}

func human(v int64) string {
	for _, u := range []struct {
		n    int64
		unit string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if v >= u.n && v%u.n == 0 {
			return fmt.Sprintf("%d (%d %s)", v, v/u.n, u.unit)
		}
	}
	return strconv.FormatInt(v, 10)
}

func limitsTable(t *testing.T) string {
	fset, fs := parse(t, append(glob(t, "limits*.go"), "api_limits.go")...)
	info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{}).Check("protocol", fset, fs, info); err != nil {
		t.Fatal(err)
	}
	names, docs := constDocs(fs)
	values := map[string]int64{}
	for id, obj := range info.Defs {
		if c, ok := obj.(*types.Const); ok {
			v, _ := constant.Int64Val(c.Val())
			values[id.Name] = v
		}
	}
	var b strings.Builder
	b.WriteString("| limit | value | meaning |\n|---|---|---|\n")
	for _, n := range names {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, human(values[n]), cell(docs[n]))
	}
	return b.String()
}

func codesTable(t *testing.T) string {
	_, fs := parse(t, "errors.go")
	_, docs := constDocs(fs)
	var b strings.Builder
	b.WriteString("| code | HTTP status | meaning |\n|---|---|---|\n")
	for _, f := range fs {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || vs.Type == nil || fmt.Sprint(vs.Type) != "Code" {
				return true
			}
			lit := vs.Values[0].(*ast.BasicLit)
			v, _ := strconv.Unquote(lit.Value)
			fmt.Fprintf(&b, "| `%s` | %d | %s |\n", v, protocol.Code(v).HTTPStatus(), cell(docs[vs.Names[0].Name]))
			return false
		})
	}
	return b.String()
}

func routesTable(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| method | path | auth | request | response | query |\n|---|---|---|---|---|---|\n")
	body := func(kind protocol.Body, typ string) string {
		switch kind {
		case protocol.BodyJSON:
			return "`" + typ + "`"
		case protocol.BodyBinary:
			return "binary"
		}
		return "—"
	}
	for _, r := range protocol.Routes {
		path := strings.TrimPrefix(r.Path, protocol.APIPrefix)
		q := "—"
		if len(r.Query) > 0 {
			q = strings.Join(r.Query, ", ")
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", r.Method, path, r.Auth, body(r.Body, r.RequestType()), body(r.Reply, r.ResponseType()), q)
	}
	b.WriteString("\nPaths are relative to `/api/v1`. A response of — is `204 No Content`.\n")
	return b.String()
}
