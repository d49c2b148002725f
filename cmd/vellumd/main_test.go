package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vellum.dev/vellum/keys/seallog"
)

// start runs vellumd on loopback with temporary directories and returns
// its URL, an HTTPS client trusting its certificate, and a stop function
// that waits for the ordered shutdown.
func start(t *testing.T, dir string) (string, *http.Client, func() error) {
	t.Helper()
	c, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-secrets", filepath.Join(dir, "secrets")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- serve(ctx, c, logger, ready) }()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("vellumd did not start: %v", err)
	}
	pem, err := os.ReadFile(filepath.Join(dir, "data", "tls", "localhost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	url = strings.Replace(url, "127.0.0.1", "localhost", 1)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return url, client, func() error { cancel(); return <-done }
}

func TestServeAndShutDown(t *testing.T) {
	dir := t.TempDir()
	url, client, stop := start(t, dir)
	resp, err := client.Get(url + "/api/v1/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "localhost/seals") && !strings.Contains(string(body), "/seals") {
		t.Fatalf("checkpoint: %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP without frame-ancestors 'none'")
	}
	// Pages are served beside the API.
	resp, err = client.Get(url + "/worker.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("static page: %d", resp.StatusCode)
	}
	// The seal log's public key is published beside its private key and
	// served by the API, the same text; it verifies the log's checkpoints.
	resp, err = client.Get(url + "/api/v1/log/key")
	if err != nil {
		t.Fatal(err)
	}
	var published struct{ Key string }
	err = json.NewDecoder(resp.Body).Decode(&published)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "secrets", "seal-log.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if string(pub) != published.Key+"\n" || !strings.Contains(published.Key, "/seals+") {
		t.Fatalf("seal-log.pub %q, the API publishes %q", pub, published.Key)
	}
	if _, err := seallog.NewVerifier(published.Key); err != nil {
		t.Fatalf("published key: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "secrets", "seal-log.pub")); fi.Mode().Perm() != 0o644 {
		t.Errorf("seal-log.pub has mode %v, want 0644: it is public", fi.Mode().Perm())
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// Secrets are 0600 files outside the database directory.
	for _, name := range []string{"opaque-server.key", "session.keyset", "seal-log.key", "state.key"} {
		fi, err := os.Stat(filepath.Join(dir, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", name, fi.Mode().Perm())
		}
	}
	key, _ := os.ReadFile(filepath.Join(dir, "secrets", "opaque-server.key"))
	// A second run keeps the same keys and the same database.
	_, _, stop = start(t, dir)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "secrets", "opaque-server.key"))
	if string(key) != string(again) {
		t.Error("the OPAQUE server key changed across restarts")
	}
	// A secret others can read is refused.
	os.Chmod(filepath.Join(dir, "secrets", "state.key"), 0o644)
	c, _ := parseFlags([]string{"-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"), "-secrets", filepath.Join(dir, "secrets")})
	if err := serve(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable secret: %v", err)
	}
}

func TestSecretsOutsideDatabase(t *testing.T) {
	dir := t.TempDir()
	c, err := parseFlags([]string{"-data", dir, "-secrets", filepath.Join(dir, "db", "keys")})
	if err != nil {
		t.Fatal(err)
	}
	if err := serve(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); err == nil {
		t.Fatal("secrets inside the database directory were accepted")
	}
	c, err = parseFlags([]string{"-data", "/srv/vellum/data"})
	if err != nil {
		t.Fatal(err)
	}
	if c.secrets != "/srv/vellum/secrets" {
		t.Fatalf("default secrets directory %s", c.secrets)
	}
}

// TestInit: -init makes the secrets, prints the seal log's verifier key
// (what make build pins in the clients) and keeps it: a second -init and
// the server that then starts on the same secrets have the same key.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-init", "-data", filepath.Join(dir, "data"), "-secrets", filepath.Join(dir, "secrets")}
	c, err := parseFlags(args)
	if err != nil || !c.init {
		t.Fatalf("parseFlags(%q) = %+v, %v", args, c, err)
	}
	var first, second strings.Builder
	if err := initSecrets(c, &first); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSuffix(first.String(), "\n")
	if _, err := seallog.NewVerifier(key); err != nil || strings.Count(first.String(), "\n") != 1 {
		t.Fatalf("-init printed %q: %v", first.String(), err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "secrets", "seal-log.pub"))
	if err != nil || string(pub) != first.String() {
		t.Fatalf("seal-log.pub %q, -init printed %q (%v)", pub, first.String(), err)
	}
	for _, f := range []string{"opaque-server.key", "session.keyset", "seal-log.key", "state.key"} {
		if fi, err := os.Stat(filepath.Join(dir, "secrets", f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("secret %s after -init: %v %v", f, fi, err)
		}
	}
	if err := initSecrets(c, &second); err != nil || second.String() != first.String() {
		t.Fatalf("a second -init printed %q, the first %q (%v)", second.String(), first.String(), err)
	}
	// Secrets inside the database directory are refused here too.
	bad, _ := parseFlags([]string{"-init", "-data", dir, "-secrets", filepath.Join(dir, "db", "keys")})
	if err := initSecrets(bad, io.Discard); err == nil {
		t.Fatal("-init accepted secrets inside the database directory")
	}
}
