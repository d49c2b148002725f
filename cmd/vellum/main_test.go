package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"vellum.dev/vellum/internal/sealtest"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/seal"
	"vellum.dev/vellum/keys/seallog"
	"vellum.dev/vellum/protocol"
)

// fixture is sealtest's real seal, with the CLI's way to run on it.
type fixture struct{ *sealtest.Fixture }

func newFixture(t testing.TB) *fixture { return &fixture{sealtest.NewFixture(t)} }

// logSeal appends s to the fixture's log and returns its .seal file and proof.
func (f *fixture) logSeal(t testing.TB, s *seal.Seal) ([]byte, []byte) {
	return sealtest.LogSeal(t, f.Log, s)
}

// editProof returns the fixture's proof as edit changes it.
func (f *fixture) editProof(t testing.TB, edit func(*seallog.Proof)) []byte {
	return sealtest.EditProof(t, f.Proof, edit)
}

var (
	packed  = sealtest.Pack
	marshal = sealtest.Marshal
)

type result struct {
	code           int
	stdout, stderr string
}

func (f *fixture) run(t *testing.T, doc, sealFile []byte, environ map[string]string, hc *http.Client, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	dn, sn := filepath.Join(dir, "deed.txt"), filepath.Join(dir, "deed.txt.seal")
	if err := os.WriteFile(dn, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sn, sealFile, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }, http: hc}
	code := run(append(append([]string{"verify"}, args...), dn, sn), e)
	return result{code, out.String(), errb.String()}
}

func (f *fixture) withKey() []string { return []string{"-log-key", f.Key.VerifierKey()} }

func TestVerifyValid(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.Doc, f.File, nil, nil, f.withKey()...)
	if r.code != exitValid {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Document  SHA-256 " + hexOf(f.Digest[:]) + "  matches the seal",
		"1. Carol Chen <carol@example.com>, member acct-carol",
		"signed 2026-09-21T14:13:20Z, attested by the server: session",
		"2. Dora Díaz <dora@example.org>, external",
		"attested by the server: pin-verified",
		"key " + f.Seal.Signers[1].Key.String(),
		"Log       key log.vellum.test/seals",
		"leaf 6 in a tree of 7",
		"inclusion proof OK",
		"Result    VALID",
		"Log key   from -log-key",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FAIL") {
		t.Errorf("a FAIL line in a valid report:\n%s", r.stdout)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestVerifyFailures: each tampering the issue lists fails with exit
// status 1 and a FAIL line naming exactly why.
func TestVerifyFailures(t *testing.T) {
	f := newFixture(t)
	other, _ := seallog.GenerateKey("log.vellum.test/seals")
	otherLog, _ := seallog.NewLog(&seallog.MemStorage{}, other)
	for range 7 {
		otherLog.Append(seallog.NewLeaf([32]byte{9}, [32]byte{9}))
	}
	otherCP, _ := otherLog.Checkpoint()

	oneByte := bytes.Clone(f.Doc)
	oneByte[1000] ^= 0x20

	removed := *f.Seal
	removed.Signatures = removed.Signatures[:1]
	relogged, _ := f.logSeal(t, &removed) // even logged as it is, a signature is missing

	swapped := *f.Seal
	swapped.Signers = append([]seal.Signer(nil), f.Seal.Signers...)
	swapped.Signers[1].Name, swapped.Signers[1].Email = "Mallory Moss", "mallory@example.net"

	mallory := keys.NewSigningKey()
	replaced := *f.Seal
	replaced.Signers = append([]seal.Signer(nil), f.Seal.Signers...)
	replaced.Signers[1] = seal.Signer{Kind: seal.SignerExternal, Name: "Mallory Moss", Email: "mallory@example.net", Key: mallory.Public()}

	cases := []struct {
		name  string
		doc   []byte
		file  []byte
		args  []string
		kinds []string // FAIL lines expected, as "kind" or "kind (signer n)"
	}{
		{"one byte of the file changed", oneByte, f.File, nil, []string{"hash-mismatch"}},
		{"a signature removed", f.Doc, packed(t, marshal(t, &removed), f.Proof), nil, []string{"missing-signature (signer 2)", "wrong-leaf"}},
		{"a signature removed, the seal logged as it is", f.Doc, relogged, nil, []string{"missing-signature (signer 2)"}},
		{"a signer swapped for another identity", f.Doc, packed(t, marshal(t, &swapped), f.Proof), nil, []string{"signer-mismatch (signer 2)", "wrong-leaf"}},
		{"a signer replaced by another key", f.Doc, packed(t, marshal(t, &replaced), f.Proof), nil, []string{"missing-signature (signer 2)", "signer-mismatch", "wrong-leaf"}},
		{"the checkpoint of another log key", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) { p.Checkpoint = otherCP })), nil, []string{"log-key-mismatch"}},
		{"pinned another log key", f.Doc, f.File, []string{"-log-key", other.VerifierKey()}, []string{"log-key-mismatch"}},
		{"a truncated proof", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) { p.Hashes = p.Hashes[:len(p.Hashes)-1] })), nil, []string{"proof-length"}},
		{"an altered checkpoint", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) {
			p.Checkpoint = bytes.Replace(p.Checkpoint, []byte("\n7\n"), []byte("\n8\n"), 1)
		})), nil, []string{"checkpoint-signature"}},
		{"the proof of another seal", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) {
			p.Extra = seallog.NewLeaf([32]byte{1}, [32]byte{2}).Marshal()
		})), nil, []string{"wrong-leaf"}},
		{"a leaf index outside the tree", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) { p.Index = 7 })), nil, []string{"index-out-of-range"}},
		{"an altered proof hash", f.Doc, packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) { p.Hashes[0][0] ^= 1 })), nil, []string{"root-mismatch"}},
		{"not a .seal file", f.Doc, []byte("-----BEGIN SEAL-----"), nil, []string{"malformed"}},
		{"a .seal file over the limit", f.Doc, make([]byte, protocol.MaxSeal+1), nil, []string{"too-large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if args == nil {
				args = f.withKey()
			}
			r := f.run(t, c.doc, c.file, nil, nil, args...)
			if testing.Verbose() {
				t.Log("\n" + r.stdout)
			}
			if r.code != exitInvalid {
				t.Errorf("exit %d, want %d\n%s%s", r.code, exitInvalid, r.stdout, r.stderr)
			}
			var got []string
			for _, line := range strings.Split(r.stdout, "\n") {
				if rest, ok := strings.CutPrefix(line, "FAIL "); ok {
					kind, _, _ := strings.Cut(rest, ":")
					got = append(got, kind)
				}
			}
			if strings.Join(got, ", ") != strings.Join(c.kinds, ", ") {
				t.Errorf("FAIL lines %q, want %q\n%s", got, c.kinds, r.stdout)
			}
			if !strings.Contains(r.stdout, "Result    INVALID") {
				t.Errorf("no verdict:\n%s", r.stdout)
			}
		})
	}
}

// TestVerifyMessages: the FAIL lines say what the failure means.
func TestVerifyMessages(t *testing.T) {
	f := newFixture(t)
	oneByte := bytes.Clone(f.Doc)
	oneByte[0] ^= 1
	r := f.run(t, oneByte, f.File, nil, nil, f.withKey()...)
	if !strings.Contains(r.stdout, "FAIL hash-mismatch: the file is not the document that was sealed") ||
		!strings.Contains(r.stdout, "DOES NOT MATCH the seal's "+hexOf(f.Digest[:])) {
		t.Errorf("report:\n%s", r.stdout)
	}
	truncated := packed(t, marshal(t, f.Seal), f.editProof(t, func(p *seallog.Proof) { p.Hashes = p.Hashes[:1] }))
	r = f.run(t, f.Doc, truncated, nil, nil, f.withKey()...)
	if !strings.Contains(r.stdout, "FAIL proof-length: the log proof has the wrong number of hashes (truncated)") ||
		!strings.Contains(r.stdout, "inclusion proof NOT verified") {
		t.Errorf("report:\n%s", r.stdout)
	}
}

// TestVerifyLogKeySources: -log-key, then $VELLUM_LOG_KEY, then the pinned
// key; none at all is a failure of its own kind.
func TestVerifyLogKeySources(t *testing.T) {
	f := newFixture(t)
	other, _ := seallog.GenerateKey("log.vellum.test/seals")
	envKey := map[string]string{LogKeyEnv: f.Key.VerifierKey()}

	if r := f.run(t, f.Doc, f.File, envKey, nil); r.code != exitValid || !strings.Contains(r.stdout, "Log key   from $VELLUM_LOG_KEY") {
		t.Errorf("key from the environment: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := f.run(t, f.Doc, f.File, envKey, nil, "-log-key", other.VerifierKey()); r.code != exitInvalid {
		t.Errorf("the flag does not win over the environment: %d", r.code)
	}
	pinnedLogKey = f.Key.VerifierKey()
	r := f.run(t, f.Doc, f.File, nil, nil)
	pinnedLogKey = ""
	if r.code != exitValid || !strings.Contains(r.stdout, "from the key pinned in this binary") {
		t.Errorf("pinned key: %d\n%s", r.code, r.stdout)
	}
	r = f.run(t, f.Doc, f.File, nil, nil)
	if r.code != exitInvalid || !strings.Contains(r.stdout, "FAIL no-log-key") || !strings.Contains(r.stdout, "key (none pinned)") {
		t.Errorf("no key: %d\n%s", r.code, r.stdout)
	}
	for _, bad := range []string{"log.vellum.test/seals", "PRIVATE+KEY+" + f.Key.Origin(), f.Key.VerifierKey() + "x"} {
		if r := f.run(t, f.Doc, f.File, nil, nil, "-log-key", bad); r.code != exitError || !strings.Contains(r.stderr, "not a signed-note") {
			t.Errorf("bad key %q: %d %s", bad, r.code, r.stderr)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	for _, args := range [][]string{nil, {"verify"}, {"verify", "one"}, {"verify", "a", "b", "c"}, {"frobnicate"},
		{"verify", "-online", "http://vellum.example.com", "a", "b"}, {"verify", "/nonexistent/a", "/nonexistent/b"}, {"log-key"}} {
		if code := run(args, e); code != exitError {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	out.Reset()
	if code := run([]string{"version"}, e); code != exitValid || !strings.HasPrefix(out.String(), "vellum ") || !strings.Contains(out.String(), "pinned log key: none") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

// TestLogKeyCommand: the public key of vellumd's seal-log.key file.
func TestLogKeyCommand(t *testing.T) {
	k, _ := seallog.GenerateKey("vellum.example.com/seals")
	name := filepath.Join(t.TempDir(), "seal-log.key")
	os.WriteFile(name, append(k.MarshalSecret(), '\n'), 0o600)
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run([]string{"log-key", name}, e); code != exitValid || out.String() != k.VerifierKey()+"\n" {
		t.Errorf("log-key: %d %q %q", code, out.String(), errb.String())
	}
	os.WriteFile(name, []byte(k.VerifierKey()), 0o600)
	out.Reset()
	if code := run([]string{"log-key", name}, e); code != exitError || out.Len() != 0 {
		t.Errorf("a public key given as the secret: %d", code)
	}
}

// fakeLog serves the public log routes of l over a fake transport.
func fakeLog(l func() *seallog.Log) *http.Client {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/log/checkpoint", func(w http.ResponseWriter, r *http.Request) {
		cp, _ := l().Checkpoint()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"checkpoint":` + strconv.Quote(string(cp)) + `}`))
	})
	mux.HandleFunc("GET /api/v1/log/consistency", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		b, err := l().ConsistencyProof(from, to)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		p, _ := seallog.ParseConsistencyProof(b)
		var hs []string
		for _, h := range p {
			hs = append(hs, strconv.Quote(toB64(h[:])))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"from":` + strconv.FormatInt(from, 10) + `,"to":` + strconv.FormatInt(to, 10) + `,"hashes":[` + strings.Join(hs, ",") + `]}`))
	})
	return &http.Client{Transport: rt(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type rt func(*http.Request) (*http.Response, error)

func (f rt) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func toB64(b []byte) string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []byte
	for i := 0; i < len(b); i += 3 {
		var n uint32
		k := min(3, len(b)-i)
		for j := range 3 {
			n <<= 8
			if j < k {
				n |= uint32(b[i+j])
			}
		}
		for j := range 4 {
			if j <= k {
				out = append(out, a[(n>>(18-6*j))&63])
			} else {
				out = append(out, '=')
			}
		}
	}
	return string(out)
}

// TestVerifyOnline: -online checks the seal's checkpoint against the
// server's newest.
func TestVerifyOnline(t *testing.T) {
	f := newFixture(t)
	cur := f.Log
	hc := fakeLog(func() *seallog.Log { return cur })
	for range 10 {
		cur.Append(seallog.NewLeaf([32]byte{7}, [32]byte{7}))
	}
	online := append(f.withKey(), "-online", "https://vellum.example.com")
	r := f.run(t, f.Doc, f.File, nil, hc, online...)
	if r.code != exitValid || !strings.Contains(r.stdout, "Online    https://vellum.example.com: newest checkpoint, a tree of 17, is consistent with the seal's") {
		t.Fatalf("online: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	fork, _ := seallog.NewLog(&seallog.MemStorage{}, f.Key)
	for range 20 {
		fork.Append(seallog.NewLeaf([32]byte{8}, [32]byte{8}))
	}
	cur = fork
	r = f.run(t, f.Doc, f.File, nil, hc, online...)
	if r.code != exitInvalid || !strings.Contains(r.stdout, "FAIL not-consistent") {
		t.Errorf("fork: %d\n%s", r.code, r.stdout)
	}

	down := &http.Client{Transport: rt(func(*http.Request) (*http.Response, error) { return nil, errors.New("no route to host") })}
	r = f.run(t, f.Doc, f.File, nil, down, online...)
	if r.code != exitError || !strings.Contains(r.stderr, "could not be made") || !strings.Contains(r.stdout, "Result    VALID") {
		t.Errorf("unreachable: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
