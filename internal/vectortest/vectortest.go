// Package vectortest loads and writes the test vectors kept in
// protocol/testdata. Every format has a folder there holding one JSON file
// per vector; the same files run natively and under GOOS=js GOARCH=wasm
// (they are embedded in protocol.Vectors).
//
// A test that loads vectors fails if none load: a vector folder emptied by
// mistake must not turn into a green run.
package vectortest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"vellum.dev/vellum/protocol"
)

// Update, when set by `go test -update`, makes tests rewrite their vector
// files from what the code produces now instead of comparing against them.
// Only generators of deterministic vectors honour it; it never runs under
// wasm, which cannot write the source tree.
var Update = flag.Bool("update", false, "rewrite protocol/testdata vectors")

// Hex is a byte string written as lower-case hex in vector files, so that
// golden bytes can be read and annotated by a person.
type Hex []byte

func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = d
	return nil
}

// Case is one vector file: its name (the file name without .json) and its
// decoded contents.
type Case[T any] struct {
	Name string
	V    T
}

// Load decodes every testdata/<format>/*.json vector into T, strictly
// (unknown fields are an error), and fails the test if none load.
func Load[T any](t testing.TB, format string) []Case[T] {
	t.Helper()
	dir := path.Join("testdata", format)
	entries, err := fs.ReadDir(protocol.Vectors, dir)
	if err != nil {
		t.Fatalf("vectors %s: %v", format, err)
	}
	var cases []Case[T]
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := fs.ReadFile(protocol.Vectors, path.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("vector %s/%s: %v", format, e.Name(), err)
		}
		var v T
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("vector %s/%s: %v", format, e.Name(), err)
		}
		cases = append(cases, Case[T]{Name: strings.TrimSuffix(e.Name(), ".json"), V: v})
	}
	if len(cases) == 0 {
		t.Fatalf("no vectors loaded from protocol/%s", dir)
	}
	return cases
}

// Seeds returns the raw bytes of one []byte-like field of every vector, for
// seeding a fuzzer. It fails the test if it finds none.
func Seeds[T any](t testing.TB, format string, field func(T) []byte) [][]byte {
	t.Helper()
	var seeds [][]byte
	for _, c := range Load[T](t, format) {
		if b := field(c.V); len(b) > 0 {
			seeds = append(seeds, b)
		}
	}
	if len(seeds) == 0 {
		t.Fatalf("no fuzz seeds in protocol/testdata/%s", format)
	}
	return seeds
}

// Write stores v as testdata/<format>/<name>.json in the source tree. Call it
// only when *Update is set.
func Write(t testing.TB, format, name string, v any) {
	t.Helper()
	if runtime.GOOS == "js" {
		t.Fatal("vectors cannot be written under wasm")
	}
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the source tree")
	}
	dir := filepath.Join(filepath.Dir(self), "..", "..", "protocol", "testdata", format)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "wrote vector %s/%s\n", format, name)
}

// WantError checks err against the error a vector names, looked up in
// sentinels (the empty name means no error), and that err matches no other
// sentinel of the table: the errors of a package are distinct, or a caller
// could not say which thing went wrong. An unknown name fails the test.
func WantError(t testing.TB, what string, err error, name string, sentinels map[string]error) {
	t.Helper()
	want, ok := sentinels[name]
	if !ok && name != "" {
		t.Fatalf("vector names unknown error %q", name)
	}
	if want == nil {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
	for other, s := range sentinels {
		if s != nil && s != want && errors.Is(err, s) {
			t.Errorf("%s: error %v also matches %q", what, err, other)
		}
	}
}

// CheckGenerated checks a stored vector against what its package's generator
// makes now (gen, by vector name): a stored vector without a generator, or
// one that differs from it, fails the test.
func CheckGenerated[T any](t testing.TB, gen map[string]T, name string, stored T) {
	t.Helper()
	g, ok := gen[name]
	if !ok {
		t.Errorf("stored vector has no generator")
	} else if !reflect.DeepEqual(g, stored) {
		t.Errorf("generator and stored vector differ:\n got %+v\nwant %+v", g, stored)
	}
}
