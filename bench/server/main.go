// Command server measures a running vellumd over HTTPS on loopback, each
// figure next to a baseline measured in the same run, and prints the
// results as Go benchmark lines for bench/ratios -table server.
// bench/run-server.sh builds vellumd and runs it; see bench/README.md.
//
//	go run ./bench/server -vellumd PATH [-wrk wrk] [-rounds 2] [-duration 10s]
//	    [-threads 2] [-conns 64] [-ingest-mib 256] [-upload-mib 64] [-streams 4]
//
// Each round measures, in this order:
//
//   - BenchmarkBaselineDiskWriteSynced: the ingest's bytes written to a file
//     in vellumd's data directory in chunks of the upload chunk size, each
//     followed by fdatasync (an acknowledged chunk is durable, as the
//     server's is); BenchmarkBaselineDiskWriteOneSync: the same with one
//     fdatasync at the end, as dd conv=fdatasync does.
//   - BenchmarkIngestHTTP and BenchmarkIngestHTTPStreams: age ciphertext
//     (made once, in memory) uploaded through the real upload routes —
//     create, PUT chunks of the server's chunk size, commit with the
//     SHA-256 — by one stream, then by -streams at once, in MB/s of
//     ciphertext committed.
//   - BenchmarkAuthenticatedGetTLS: wrk against GET /api/v1/account with a
//     session token; BenchmarkBaselineHelloTLS: the same wrk against a
//     fasthttp hello-world with vellumd's TLS settings (httpd.TLSConfig) and
//     certificate, in this process. Both report req/s and p99-ms.
//
// vellumd runs as a child process with temporary directories, on
// 127.0.0.1 only, with -ip-rate lifted so that the per-IP limit is not what
// is measured. Everything it sends stays on loopback.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"vellum.dev/vellum/internal/vellumdproc"
	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/document"
	"vellum.dev/vellum/protocol"
	"vellum.dev/vellum/server/httpd"
	"vellum.dev/vellum/wasm/client"
)

type options struct {
	vellumd, wrk       string
	rounds             int
	duration           time.Duration
	threads, conns     int
	ingestMiB, fileMiB int
	streams            int
}

func main() {
	var o options
	flag.StringVar(&o.vellumd, "vellumd", "", "the vellumd binary to measure (required)")
	flag.StringVar(&o.wrk, "wrk", "wrk", "the wrk binary")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of every measurement; bench/ratios shows medians")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "wrk -d of each run")
	flag.IntVar(&o.threads, "threads", 2, "wrk -t")
	flag.IntVar(&o.conns, "conns", 64, "wrk -c")
	flag.IntVar(&o.ingestMiB, "ingest-mib", 256, "ciphertext uploaded per ingest measurement, in MiB")
	flag.IntVar(&o.fileMiB, "upload-mib", 64, "size of each uploaded document, in MiB")
	flag.IntVar(&o.streams, "streams", 4, "concurrent uploads of BenchmarkIngestHTTPStreams")
	flag.Parse()
	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/server:", err)
		os.Exit(1)
	}
}

func run(o *options) error {
	if o.vellumd == "" || o.rounds < 1 || o.ingestMiB < 1 || o.fileMiB < 1 || o.ingestMiB%o.fileMiB != 0 || o.streams < 1 {
		return errors.New("need -vellumd, -rounds ≥ 1, and -ingest-mib a multiple of -upload-mib")
	}
	if _, err := exec.LookPath(o.wrk); err != nil {
		return fmt.Errorf("%s not found (Debian: apt-get install -y wrk): %w", o.wrk, err)
	}
	dir, err := os.MkdirTemp("", "vellum-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	v, err := vellumdproc.Start(o.vellumd, vellumdproc.Options{
		Data: data, Secrets: filepath.Join(dir, "secrets"), Args: []string{"-ip-rate", "1000000"},
	})
	if err != nil {
		return err
	}
	defer v.Kill()
	ctx := context.Background()

	pem, err := os.ReadFile(filepath.Join(data, "tls", "localhost.crt"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, v.Addr)
		},
		MaxIdleConnsPerHost: 64,
	}
	bt := &bearerTap{next: tr}
	hc := &http.Client{Timeout: 5 * time.Minute, Transport: bt}

	// An account, a tenant and a folder, made by the real client.
	c := client.New(v.URL, client.WithHTTPClient(hc))
	const email = "bench@example.com"
	reg, err := c.Register(ctx, email, "correct horse battery staple")
	if err != nil {
		return fmt.Errorf("register: %w\n%s", err, v.Tail())
	}
	code, err := v.Code(email, time.Minute)
	if err != nil {
		return err
	}
	if _, err := reg.Finish(ctx, code); err != nil {
		return fmt.Errorf("registration: %w", err)
	}
	tenant, err := c.CreateTenant(ctx, "Bench Ltd")
	if err != nil {
		return err
	}
	folder, err := c.CreateFolder(ctx, tenant.ID, "", "Ingest")
	if err != nil {
		return err
	}
	api := &apiClient{hc: hc, base: v.URL + protocol.APIPrefix, bearer: bt.get(), tenant: tenant.ID, folder: folder.ID, c: c}
	var f protocol.Folder
	if err := api.json("GET", "/tenants/"+tenant.ID+"/folders/"+folder.ID, nil, &f); err != nil {
		return err
	}
	to, err := keys.ParseRecipient(f.Recipient)
	if err != nil {
		return err
	}
	doc, err := newCiphertext(o.fileMiB<<20, to, f.KeyVersion)
	if err != nil {
		return err
	}

	// A warm-up upload, not timed: connections, Pebble's first files, and
	// the server's chunk size, which the disk baseline then writes in.
	warm, chunk, err := api.uploadOne(doc)
	doc.chunk = chunk
	if err != nil {
		return fmt.Errorf("warm-up upload: %w\n%s", err, v.Tail())
	}
	if err := api.json("DELETE", "/tenants/"+tenant.ID+"/documents/"+warm, nil, nil); err != nil {
		return err
	}

	hello, err := startHello(data)
	if err != nil {
		return err
	}
	defer hello.Close()

	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("goos: %s\ngoarch: %s\npkg: vellum.dev/vellum/bench/server\n", runtime.GOOS, runtime.GOARCH)
	total := int64(o.ingestMiB) << 20
	n := o.ingestMiB / o.fileMiB
	mbps := func(bytes int64, d time.Duration) float64 { return float64(bytes) / d.Seconds() / 1e6 }
	for r := 1; r <= o.rounds; r++ {
		fmt.Fprintf(os.Stderr, "bench/server: round %d of %d\n", r, o.rounds)
		d, err := diskWrite(data, doc.ct, total, doc.chunk, true)
		if err != nil {
			return err
		}
		fmt.Printf("BenchmarkBaselineDiskWriteSynced-%d\t1\t%d ns/op\t%.2f MB/s\n", procs, d.Nanoseconds(), mbps(total, d))
		d, err = diskWrite(data, doc.ct, total, doc.chunk, false)
		if err != nil {
			return err
		}
		fmt.Printf("BenchmarkBaselineDiskWriteOneSync-%d\t1\t%d ns/op\t%.2f MB/s\n", procs, d.Nanoseconds(), mbps(total, d))

		for _, streams := range []int{1, o.streams} {
			d, ids, err := api.ingest(doc, n, streams)
			if err != nil {
				return fmt.Errorf("ingest: %w\n%s", err, v.Tail())
			}
			name := "BenchmarkIngestHTTP"
			if streams > 1 {
				name = "BenchmarkIngestHTTPStreams"
			}
			fmt.Printf("%s-%d\t1\t%d ns/op\t%.2f MB/s\n", name, procs, d.Nanoseconds(), mbps(int64(n)*int64(len(doc.ct)), d))
			for _, id := range ids { // not timed: keep the disk use bounded
				if err := api.json("DELETE", "/tenants/"+tenant.ID+"/documents/"+id, nil, nil); err != nil {
					return err
				}
			}
		}

		g, err := runWrk(o, "https://"+v.Addr+protocol.PathAccount, api.bearer)
		if err != nil {
			return fmt.Errorf("wrk against vellumd: %w\n%s", err, v.Tail())
		}
		g.print("BenchmarkAuthenticatedGetTLS", procs)
		h, err := runWrk(o, "https://"+hello.Addr().String()+"/", api.bearer)
		if err != nil {
			return fmt.Errorf("wrk against the hello-world: %w", err)
		}
		h.print("BenchmarkBaselineHelloTLS", procs)
	}
	if err := v.Stop(); err != nil {
		return fmt.Errorf("vellumd shutdown: %w\n%s", err, v.Tail())
	}
	return nil
}

// bearerTap remembers the session token the client sends.
type bearerTap struct {
	next http.RoundTripper
	mu   sync.Mutex
	auth string
}

func (b *bearerTap) RoundTrip(q *http.Request) (*http.Response, error) {
	if a := q.Header.Get("Authorization"); a != "" {
		b.mu.Lock()
		b.auth = a
		b.mu.Unlock()
	}
	return b.next.RoundTrip(q)
}

func (b *bearerTap) get() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.auth
}

// apiClient makes raw API calls with a session token.
type apiClient struct {
	hc             *http.Client
	base, bearer   string
	tenant, folder string
	// c signs the version statement of each upload, as the account.
	c *client.Client
}

func (a *apiClient) do(method, path, ct string, body io.Reader, size int64, out any) error {
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", a.bearer)
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxJSONBody))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (a *apiClient) json(method, path string, in, out any) error {
	if in == nil {
		return a.do(method, path, "", nil, 0, out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return a.do(method, path, "application/json", bytes.NewReader(b), int64(len(b)), out)
}

// ciphertext is one document as a client uploads it: an age file to a
// fresh document key, its metadata, and the key wrapped to the folder.
type ciphertext struct {
	ct, meta, wrap []byte
	sum            [32]byte
	keyVersion     uint32
	chunk          int // the server's upload chunk size, learnt from the warm-up upload
}

func newCiphertext(size int, to keys.Recipient, keyVersion uint32) (*ciphertext, error) {
	dk := document.NewKey()
	plain := make([]byte, size)
	rand.Read(plain)
	var buf bytes.Buffer
	w, err := document.Encrypt(&buf, dk.Recipient())
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	meta, err := document.SealMetadata(&document.Metadata{Name: "bench.bin", Type: "application/octet-stream", Size: int64(size), Created: time.Now()}, dk.Recipient())
	if err != nil {
		return nil, err
	}
	wrap, err := document.WrapKey(dk, to)
	if err != nil {
		return nil, err
	}
	c := &ciphertext{ct: buf.Bytes(), meta: meta, wrap: wrap, keyVersion: keyVersion}
	c.sum = sha256.Sum256(c.ct)
	return c, nil
}

// uploadOne sends doc as a new document through create, chunks of the
// server's chunk size and commit, and returns its id and that chunk size.
func (a *apiClient) uploadOne(doc *ciphertext) (string, int, error) {
	var id [16]byte
	rand.Read(id[:])
	did := base64.RawURLEncoding.EncodeToString(id[:])
	var up protocol.Upload
	if err := a.json("POST", "/tenants/"+a.tenant+"/uploads", &protocol.CreateUploadRequest{
		DocumentID: did, FolderID: a.folder, Size: int64(len(doc.ct)), Metadata: doc.meta, KeyWrap: doc.wrap, FolderKeyVersion: doc.keyVersion,
	}, &up); err != nil {
		return "", 0, err
	}
	chunk := up.ChunkSize
	if chunk <= 0 || chunk > protocol.MaxChunk {
		return "", 0, fmt.Errorf("chunk size %d", chunk)
	}
	for off := 0; off < len(doc.ct); off += chunk {
		end := min(off+chunk, len(doc.ct))
		if err := a.do("PUT", fmt.Sprintf("/tenants/%s/uploads/%s?offset=%d", a.tenant, up.UploadID, off), "application/octet-stream",
			bytes.NewReader(doc.ct[off:end]), int64(end-off), nil); err != nil {
			return "", 0, err
		}
	}
	st, err := a.c.VersionStatement(a.tenant, did, up.Version, int64(len(doc.ct)), doc.sum)
	if err != nil {
		return "", 0, err
	}
	var d protocol.Document
	if err := a.json("POST", "/tenants/"+a.tenant+"/uploads/"+up.UploadID+"/commit", &protocol.CommitUploadRequest{SHA256: doc.sum[:], Statement: st}, &d); err != nil {
		return "", 0, err
	}
	return d.DocumentID, chunk, nil
}

// ingest uploads n copies of doc, streams at a time, and returns the time
// from the first request to the last commit's reply.
func (a *apiClient) ingest(doc *ciphertext, n, streams int) (time.Duration, []string, error) {
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var (
		mu   sync.Mutex
		ids  []string
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				id, _, err := a.uploadOne(doc)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					ids = append(ids, id)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	return d, ids, errors.Join(errs...)
}

// diskWrite writes total bytes (buf over and over) to a new file in dir in
// writes of chunk bytes, with fdatasync after each (synced) or once at the
// end, and returns the time taken. The file is removed after.
func diskWrite(dir string, buf []byte, total int64, chunk int, synced bool) (time.Duration, error) {
	name := filepath.Join(dir, "disk-baseline.tmp")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer os.Remove(name)
	defer f.Close()
	start := time.Now()
	for written, off := int64(0), 0; written < total; {
		n := int(min(int64(chunk), total-written))
		if off+n > len(buf) {
			off = 0
		}
		if _, err := f.Write(buf[off : off+n]); err != nil {
			return 0, err
		}
		written, off = written+int64(n), off+n
		if synced {
			if err := syscall.Fdatasync(int(f.Fd())); err != nil {
				return 0, err
			}
		}
	}
	if !synced {
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// startHello serves "Hello, World!" with fasthttp over TLS with vellumd's
// settings and certificate on a loopback port.
func startHello(data string) (net.Listener, error) {
	cert, err := httpd.LoadCertificate("", "", filepath.Join(data, "tls"))
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", httpd.TLSConfig(cert))
	if err != nil {
		return nil, err
	}
	body := []byte("Hello, World!")
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBody(body)
	}}
	go srv.Serve(ln)
	return ln, nil
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	requests int64
	perSec   float64
	p99      time.Duration
}

func (r *wrkResult) print(name string, procs int) {
	fmt.Printf("%s-%d\t%d\t%.0f ns/op\t%.0f req/s\t%.3f p99-ms\n", name, procs, r.requests,
		1e9/r.perSec, r.perSec, float64(r.p99)/float64(time.Millisecond))
}

var (
	wrkRequestsRE = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkRateRE     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkP99RE      = regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+)(us|ms|s)\b`)
	wrkNon2xxRE   = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
)

// runWrk runs wrk against url with the authorization header and parses
// its report. Any non-2xx answer fails the run: the figure would measure
// refusals.
func runWrk(o *options, url, auth string) (*wrkResult, error) {
	secs := int(o.duration.Round(time.Second) / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), o.duration+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.wrk, "-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns),
		"-d", strconv.Itoa(max(secs, 1))+"s", "--timeout", "5s", "--latency", "-H", "Authorization: "+auth, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	text := string(out)
	if m := wrkNon2xxRE.FindStringSubmatch(text); m != nil {
		return nil, fmt.Errorf("%s answers that were not 2xx:\n%s", m[1], text)
	}
	if strings.Contains(text, "Socket errors") {
		fmt.Fprintf(os.Stderr, "bench/server: wrk reported socket errors:\n%s", text)
	}
	var r wrkResult
	m1, m2, m3 := wrkRequestsRE.FindStringSubmatch(text), wrkRateRE.FindStringSubmatch(text), wrkP99RE.FindStringSubmatch(text)
	if m1 == nil || m2 == nil || m3 == nil {
		return nil, fmt.Errorf("cannot read wrk's report:\n%s", text)
	}
	r.requests, _ = strconv.ParseInt(m1[1], 10, 64)
	r.perSec, _ = strconv.ParseFloat(m2[1], 64)
	v, _ := strconv.ParseFloat(m3[1], 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m3[2]]
	r.p99 = time.Duration(v * float64(unit))
	if r.requests <= 0 || r.perSec <= 0 {
		return nil, fmt.Errorf("wrk made no requests:\n%s", text)
	}
	return &r, nil
}
