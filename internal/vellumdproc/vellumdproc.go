//go:build !js

// Package vellumdproc runs the real vellumd binary as a child process, for
// the crash test of cmd/vellumd and the server benchmark of bench/server.
//
// The child serves on a free port of 127.0.0.1 with the origin
// https://localhost, its data and secrets in the given directories, and
// none of the VELLUM_* settings of the environment. Its stderr is read
// line by line: the line "vellumd is serving at https://127.0.0.1:PORT"
// gives the port, the last lines are kept for failure messages (Tail), and
// the console notices it prints instead of sending e-mail ("--- … to ADDR
// (NOT DELIVERED) ---" up to "--- end of notice ---") are kept per
// recipient, so that Code can read the code of one. Every wait has a
// deadline: a child that does not start or stop fails rather than hangs.
package vellumdproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options says how to run vellumd.
type Options struct {
	Data, Secrets string        // its -data and -secrets directories
	Args          []string      // further flags, after -addr, -data, -secrets and -origin
	TailLines     int           // the last lines of stderr Tail returns; 0 means 100
	Timeout       time.Duration // how long Start waits for the port, and Stop and Kill for the exit; 0 means a minute
}

// Proc is one run of vellumd.
type Proc struct {
	URL  string // https://localhost:PORT, the origin it serves
	Addr string // 127.0.0.1:PORT, where to dial it

	cmd     *exec.Cmd
	timeout time.Duration
	keep    int
	done    chan struct{} // closed when the process has exited and err is set

	mu      sync.Mutex
	cond    *sync.Cond
	lines   []string          // the last keep lines of stderr
	notices map[string]string // recipient → body of the newest console notice
	ended   bool
	err     error // what exec.Cmd.Wait returned
}

var (
	servingRE = regexp.MustCompile(`vellumd is serving at https://127\.0\.0\.1:(\d+)`)
	noticeRE  = regexp.MustCompile(`^--- .* to (\S+) \(NOT DELIVERED\) ---$`)
	codeRE    = regexp.MustCompile(`\b(\d{6,10})\b`)
)

func newProc(o Options) *Proc {
	p := &Proc{timeout: o.Timeout, keep: o.TailLines, done: make(chan struct{}), notices: map[string]string{}}
	if p.timeout <= 0 {
		p.timeout = time.Minute
	}
	if p.keep <= 0 {
		p.keep = 100
	}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Start runs bin and returns once it says where it serves. If it exits
// first, or does not say so within the timeout (it is then killed), the
// error carries the tail of its stderr.
func Start(bin string, o Options) (*Proc, error) {
	p := newProc(o)
	args := append([]string{"-addr", "127.0.0.1:0", "-data", o.Data, "-secrets", o.Secrets,
		"-origin", "https://localhost"}, o.Args...)
	p.cmd = exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VELLUM_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	port := make(chan string, 1)
	go func() {
		p.read(stderr, port)
		err := p.cmd.Wait()
		p.mu.Lock()
		p.ended, p.err = true, err
		p.cond.Broadcast()
		p.mu.Unlock()
		close(p.done)
	}()
	select {
	case pt := <-port:
		p.Addr, p.URL = "127.0.0.1:"+pt, "https://localhost:"+pt
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("vellumd exited before serving: %v\n%s", p.Err(), p.Tail())
	case <-time.After(p.timeout):
		p.Kill()
		return nil, fmt.Errorf("vellumd did not say where it serves\n%s", p.Tail())
	}
}

// read takes in the lines of r: the first port announced goes to port,
// the last lines to the tail, whole notices to their recipient.
func (p *Proc) read(r io.Reader, port chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var to string
	var body []string
	for sc.Scan() {
		line := sc.Text()
		if m := servingRE.FindStringSubmatch(line); m != nil && port != nil {
			port <- m[1]
			port = nil
		}
		p.mu.Lock()
		p.lines = append(p.lines, line)
		if len(p.lines) > p.keep {
			p.lines = p.lines[len(p.lines)-p.keep:]
		}
		switch m := noticeRE.FindStringSubmatch(line); {
		case m != nil:
			to, body = m[1], nil
		case to != "" && line == "--- end of notice ---":
			p.notices[to] = strings.Join(body, "\n")
			to = ""
			p.cond.Broadcast()
		case to != "":
			body = append(body, line)
		}
		p.mu.Unlock()
	}
}

// Tail returns the last lines vellumd wrote to stderr.
func (p *Proc) Tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Code waits up to timeout for a console notice to addr, takes it (a
// later call waits for the next one) and returns the 6 to 10 digit code in
// it.
func (p *Proc) Code(addr string, timeout time.Duration) (string, error) {
	timedOut := false
	t := time.AfterFunc(timeout, func() {
		p.mu.Lock()
		timedOut = true
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer t.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.notices[addr] == "" && !p.ended && !timedOut {
		p.cond.Wait()
	}
	body, ok := p.notices[addr]
	delete(p.notices, addr)
	switch m := codeRE.FindStringSubmatch(body); {
	case m != nil:
		return m[1], nil
	case ok:
		return "", fmt.Errorf("no code in the notice to %s", addr)
	case p.ended:
		return "", fmt.Errorf("vellumd exited before a notice to %s", addr)
	default:
		return "", fmt.Errorf("no notice to %s within %v", addr, timeout)
	}
}

// Done is closed when the process has exited; Err then says how.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err returns what waiting for the process returned (nil for exit status
// 0, an *exec.ExitError otherwise), once Done is closed; nil before.
func (p *Proc) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// wait waits up to the timeout for the exit.
func (p *Proc) wait() bool {
	select {
	case <-p.done:
		return true
	case <-time.After(p.timeout):
		return false
	}
}

// Stop shuts vellumd down in order (SIGTERM) and returns how it exited,
// as Err does. If it has not exited within the timeout, it is killed and
// Stop says so. After an exit, Stop only returns Err.
func (p *Proc) Stop() error {
	select {
	case <-p.done:
		return p.Err()
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if !p.wait() {
		p.Kill()
		return fmt.Errorf("vellumd did not exit within %v of SIGTERM", p.timeout)
	}
	return p.Err()
}

// Kill ends vellumd with SIGKILL if it still runs, waits up to the timeout
// for the exit and returns how it exited, as Err does.
func (p *Proc) Kill() error {
	select {
	case <-p.done:
		return p.Err()
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	if !p.wait() {
		return errors.New("vellumd did not exit after SIGKILL")
	}
	return p.Err()
}
