//go:build !js

package document_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"vellum.dev/vellum/keys/document"
)

// buildAge builds the stock age tool from the pinned module into a temporary
// folder, so the test proves compatibility with exactly the age in go.mod.
func buildAge(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the age tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "age")
	cmd := exec.Command(goTool, "build", "-o", bin, "filippo.io/age/cmd/age")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build filippo.io/age/cmd/age: %v\n%s", err, out)
	}
	return bin
}

func writeSecret(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(p, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func ageDecrypt(t *testing.T, age, keyFile string, file []byte) []byte {
	t.Helper()
	cmd := exec.Command(age, "-d", "-i", keyFile)
	cmd.Stdin = bytes.NewReader(file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("age -d: %v\n%s", err, stderr.Bytes())
	}
	return out
}

// TestStockAge: what this package writes, the stock age tool opens given the
// identity (and the other way round), byte for byte.
func TestStockAge(t *testing.T) {
	age := buildAge(t)
	doc, folder := document.NewKey(), document.NewKey()
	docKey, folderKey := writeSecret(t, doc.MarshalSecret()), writeSecret(t, folder.MarshalSecret())

	t.Run("content", func(t *testing.T) {
		pt := randomBytes(3*full + 12345)
		if got := ageDecrypt(t, age, docKey, encrypt(t, doc.Recipient(), pt)); !bytes.Equal(got, pt) {
			t.Fatal("age -d gave different bytes")
		}
	})
	t.Run("empty", func(t *testing.T) {
		if got := ageDecrypt(t, age, docKey, encrypt(t, doc.Recipient(), nil)); len(got) != 0 {
			t.Fatalf("age -d gave %d bytes", len(got))
		}
	})
	t.Run("metadata", func(t *testing.T) {
		m := &document.Metadata{Name: "a.pdf", Type: "application/pdf", Size: 7, Created: time.Unix(1795219200, 0)}
		sealed, err := document.SealMetadata(m, doc.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.Marshal()
		if got := ageDecrypt(t, age, docKey, sealed); !bytes.Equal(got, want) {
			t.Fatalf("age -d gave %x, want the CBOR record %x", got, want)
		}
	})
	t.Run("key-wrap", func(t *testing.T) {
		w, err := document.WrapKey(doc, folder.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if got := ageDecrypt(t, age, folderKey, w); !bytes.Equal(got, doc.MarshalSecret()) {
			t.Fatal("age -d of the wrapped key is not the document identity")
		}
	})
	t.Run("from-age", func(t *testing.T) {
		pt := randomBytes(2*full + 1)
		cmd := exec.Command(age, "-r", doc.Recipient().String())
		cmd.Stdin = bytes.NewReader(pt)
		file, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decrypt(file, doc)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Decrypt of a file from age -r: %v", err)
		}
	})
}
