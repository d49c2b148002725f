//go:build js && wasm

package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestWorkerAllowsEveryFunction: web/static/worker.js passes the page only
// the functions its APP_OPS names, so every account function this bridge
// registers must be listed there (a missing one fails in the page with
// bad_argument), and nothing else: a name without a function is a stale
// entry that would reach an undefined property.
func TestWorkerAllowsEveryFunction(t *testing.T) {
	src, err := os.ReadFile("../../web/static/worker.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)const APP_OPS = new Set\(\[(.*?)\]\);`).FindSubmatch(src)
	if block == nil {
		t.Fatal("worker.js: no APP_OPS set")
	}
	var allowed []string
	for _, m := range regexp.MustCompile(`"([A-Za-z]+)"`).FindAllSubmatch(block[1], -1) {
		allowed = append(allowed, string(m[1]))
	}
	var registered []string
	newApp().register(func(name string, _ func(args argv) (runner, error)) { registered = append(registered, name) })
	if len(registered) < 10 {
		t.Fatalf("only %d functions registered", len(registered))
	}
	slices.Sort(allowed)
	slices.Sort(registered)
	for _, n := range registered {
		if _, ok := slices.BinarySearch(allowed, n); !ok {
			t.Errorf("%s is registered but not in worker.js's APP_OPS: the page cannot call it", n)
		}
	}
	for _, n := range allowed {
		if _, ok := slices.BinarySearch(registered, n); !ok {
			t.Errorf("worker.js's APP_OPS names %s, which the bridge does not register", n)
		}
	}
	if t.Failed() {
		t.Logf("registered: %s", strings.Join(registered, ", "))
	}
}
