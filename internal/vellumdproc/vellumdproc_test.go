//go:build !js

package vellumdproc

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const canned = `starting
vellumd is serving at https://127.0.0.1:43210
!!! CONSOLE NOTICE SENDER: notices are PRINTED HERE and NOT DELIVERED. !!!
--- verify_email to new@example.com (NOT DELIVERED) ---
Subject: Your Vellum code
Your code is 12345678.
--- end of notice ---
--- a notice to none@example.com (NOT DELIVERED) ---
nothing here
--- end of notice ---
vellumd is serving at https://127.0.0.1:1
--- half a notice to cut@example.com (NOT DELIVERED) ---
Your code is 87654321.
last line`

// TestRead: the port, the tail and the notices from stderr.
func TestRead(t *testing.T) {
	p := newProc(Options{TailLines: 3})
	port := make(chan string, 1)
	p.read(strings.NewReader(canned), port)
	if got := <-port; got != "43210" {
		t.Errorf("port %q, want 43210", got)
	}
	if got, want := p.Tail(), "--- half a notice to cut@example.com (NOT DELIVERED) ---\nYour code is 87654321.\nlast line"; got != want {
		t.Errorf("tail %q, want %q", got, want)
	}
	if code, err := p.Code("new@example.com", time.Second); code != "12345678" || err != nil {
		t.Errorf("code %q, %v; want 12345678", code, err)
	}
	// The notice was taken: the next call waits for another.
	if _, err := p.Code("new@example.com", 10*time.Millisecond); err == nil || !strings.Contains(err.Error(), "no notice to new@example.com within") {
		t.Errorf("a second code: %v", err)
	}
	if _, err := p.Code("none@example.com", time.Second); err == nil || !strings.Contains(err.Error(), "no code in the notice") {
		t.Errorf("a notice without a code: %v", err)
	}
	if _, err := p.Code("cut@example.com", 10*time.Millisecond); err == nil {
		t.Error("a code from an unfinished notice")
	}
}

// fake writes a shell script that behaves as vellumd does on stderr.
func fake(t *testing.T, script string) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin := filepath.Join(t.TempDir(), "vellumd")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestStartStopKill runs a fake vellumd: its flags and environment, the
// port, a notice while it runs, an ordered stop and a kill.
func TestStartStopKill(t *testing.T) {
	t.Setenv("VELLUM_SMTP", "smtp://nowhere")
	// The trap comes first: Start returns on the "serving" line, and Stop
	// may follow at once, before any line after it has run.
	bin := fake(t, `trap 'echo bye >&2; exit 0' TERM
echo "args: $*" >&2
echo "smtp: ${VELLUM_SMTP:-unset}" >&2
echo "vellumd is serving at https://127.0.0.1:5555" >&2
printf -- '--- code to a@example.com (NOT DELIVERED) ---\n987654\n--- end of notice ---\n' >&2
while :; do sleep 0.05; done
`)
	p, err := Start(bin, Options{Data: "/d", Secrets: "/s", Args: []string{"-ip-rate", "7"}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if p.URL != "https://localhost:5555" || p.Addr != "127.0.0.1:5555" {
		t.Errorf("URL %q, Addr %q", p.URL, p.Addr)
	}
	if code, err := p.Code("a@example.com", 30*time.Second); code != "987654" || err != nil {
		t.Errorf("code %q, %v", code, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.Tail())
	}
	tail := p.Tail()
	for _, want := range []string{
		"args: -addr 127.0.0.1:0 -data /d -secrets /s -origin https://localhost -ip-rate 7",
		"smtp: unset",
		"bye",
	} {
		if !strings.Contains(tail, want) {
			t.Errorf("no %q in\n%s", want, tail)
		}
	}
	if _, err := p.Code("b@example.com", 30*time.Second); err == nil || !strings.Contains(err.Error(), "exited before") {
		t.Errorf("a code after the exit: %v", err)
	}

	p, err = Start(bin, Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Kill()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("kill: %v", err)
	}
	if p.Kill() != err || p.Stop() != err || p.Err() != err {
		t.Error("Kill, Stop and Err after the exit do not all return the exit")
	}
}

// TestStartFails: a child that exits, or stays silent, fails Start.
func TestStartFails(t *testing.T) {
	p, err := Start(fake(t, "echo no disk >&2; exit 3\n"), Options{})
	if p != nil || err == nil || !strings.Contains(err.Error(), "exited before serving: exit status 3\nno disk") {
		t.Errorf("an exit: %v", err)
	}
	p, err = Start(fake(t, "echo thinking >&2; exec sleep 60\n"), Options{Timeout: 200 * time.Millisecond})
	if p != nil || err == nil || !strings.Contains(err.Error(), "did not say where it serves\nthinking") {
		t.Errorf("silence: %v", err)
	}
}
