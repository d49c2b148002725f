//go:build !js

package link_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/link"
)

// TestStockAge: a link wrap opens with the stock age tool (and its batchpass
// plugin, which reads the passphrase from the environment) given the
// fragment and the PIN typed one after the other, and the tool refuses it
// with the PIN off by one.
func TestStockAge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the age tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	for _, pkg := range []string{"filippo.io/age/cmd/age", "filippo.io/age/cmd/age-plugin-batchpass"} {
		cmd := exec.Command(goTool, "build", "-o", dir, pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	key := keys.NewIdentity()
	c, err := link.Create("https://vellum.example.com", "env1", "sgn1", key)
	if err != nil {
		t.Fatal(err)
	}
	run := func(passphrase string) ([]byte, error) {
		cmd := exec.Command(filepath.Join(dir, "age"), "-d", "-j", "batchpass")
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "AGE_PASSPHRASE="+passphrase)
		cmd.Stdin = bytes.NewReader(c.Wrapped)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Logf("age: %s", stderr.Bytes())
		}
		return out, err
	}
	out, err := run(c.Link.Secret.Fragment() + c.PIN.Digits())
	if err != nil {
		t.Fatalf("age -d -j batchpass: %v", err)
	}
	if !bytes.Equal(out, key.MarshalSecret()) {
		t.Fatal("age gave another payload than the document key")
	}
	d := []byte(c.PIN.Digits())
	d[0] = '0' + (d[0]-'0'+1)%10
	if _, err := run(c.Link.Secret.Fragment() + string(d)); err == nil {
		t.Fatal("age opened the wrap with a wrong PIN")
	}
}
