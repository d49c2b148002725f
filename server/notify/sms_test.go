package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/server/notify"
)

type capture struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (c *capture) handler(status int, reply string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, r)
		c.body = append(c.body, b)
		c.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}
}

var sms = notify.Notice{Kind: notify.KindSMS, To: "+15551234567", Body: "Your Vellum signing PIN is 482913"}

func TestSMSGateway(t *testing.T) {
	var c capture
	srv := httptest.NewServer(c.handler(202, `{"id":"m1"}`))
	defer srv.Close()
	g, err := notify.NewSMSGateway(notify.SMSConfig{URL: srv.URL + "/v1/messages", BearerToken: "tok-123", From: "Vellum"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Send(context.Background(), sms); err != nil {
		t.Fatal(err)
	}
	if len(c.reqs) != 1 {
		t.Fatalf("%d requests", len(c.reqs))
	}
	r := c.reqs[0]
	if r.Method != "POST" || r.URL.Path != "/v1/messages" || r.Header.Get("Authorization") != "Bearer tok-123" ||
		r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %v", r.Method, r.URL.Path, r.Header)
	}
	var got map[string]string
	dec := json.NewDecoder(bytes.NewReader(c.body[0]))
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["to"] != sms.To || got["text"] != sms.Body || got["from"] != "Vellum" || len(got) != 3 {
		t.Fatalf("body %v", got)
	}

	// Basic auth instead of a bearer token.
	g, _ = notify.NewSMSGateway(notify.SMSConfig{URL: srv.URL, Username: "acct", Password: "pw-789"})
	if err := g.Send(context.Background(), sms); err != nil {
		t.Fatal(err)
	}
	if u, p, ok := c.reqs[1].BasicAuth(); !ok || u != "acct" || p != "pw-789" {
		t.Fatal("basic auth not sent")
	}
}

func TestSMSGatewayErrorsHoldNoSecrets(t *testing.T) {
	leaks := func(t *testing.T, err error, secrets ...string) {
		t.Helper()
		if !errors.Is(err, notify.ErrDelivery) {
			t.Fatalf("error %v, want ErrDelivery", err)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Fatalf("error %q holds %q", err, s)
			}
		}
	}
	var c capture
	// A gateway that fails and echoes the request in its error body.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(500)
		w.Write(b)
	}))
	defer echo.Close()
	g, _ := notify.NewSMSGateway(notify.SMSConfig{URL: echo.URL + "/send?api_key=KEY-456", BearerToken: "tok-123"})
	err := g.Send(context.Background(), sms)
	leaks(t, err, "482913", "tok-123", "KEY-456")
	if !strings.Contains(err.Error(), "500") {
		t.Fatalf("error %q does not say the status", err)
	}

	// An unreachable gateway: the URL with its key is not quoted.
	dead := httptest.NewServer(c.handler(200, ""))
	url := dead.URL
	dead.Close()
	g, _ = notify.NewSMSGateway(notify.SMSConfig{URL: url + "/send?api_key=KEY-456", Username: "u", Password: "pw-789"})
	leaks(t, g.Send(context.Background(), sms), "482913", "KEY-456", "pw-789")

	// A gateway slower than the timeout.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	g, _ = notify.NewSMSGateway(notify.SMSConfig{URL: slow.URL, Timeout: 100 * time.Millisecond})
	err = g.Send(context.Background(), sms)
	leaks(t, err, "482913")
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("timeout error %v", err)
	}
}

func TestSMSGatewayRefuses(t *testing.T) {
	for _, u := range []string{"http://sms.example.com/send", "ftp://127.0.0.1/", "::"} {
		if _, err := notify.NewSMSGateway(notify.SMSConfig{URL: u}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if _, err := notify.NewSMSGateway(notify.SMSConfig{URL: "https://sms.example.com/send"}); err != nil {
		t.Fatal(err)
	}
	g, _ := notify.NewSMSGateway(notify.SMSConfig{URL: "http://127.0.0.1:1/"})
	for _, n := range []notify.Notice{
		{Kind: notify.KindSMS, To: "5551234567", Body: "x"},
		{Kind: notify.KindSMS, To: "+1555abc4567", Body: "x"},
		{Kind: notify.KindSMS, To: "+15551234567", Body: strings.Repeat("x", 641)},
	} {
		if err := g.Send(context.Background(), n); !errors.Is(err, notify.ErrBadNotice) {
			t.Fatalf("Send(%q) = %v, want ErrBadNotice", n.To, err)
		}
	}
	if err := g.Send(context.Background(), notice); !errors.Is(err, notify.ErrUnsupportedKind) {
		t.Fatalf("e-mail through the SMS gateway: %v", err)
	}
}

func TestConsoleAndRecorder(t *testing.T) {
	var out bytes.Buffer
	con := notify.NewConsole(&out)
	if !strings.Contains(out.String(), "CONSOLE NOTICE SENDER") || !strings.Contains(out.String(), "NOT DELIVERED") {
		t.Fatalf("no banner at start: %q", out.String())
	}
	rec := &notify.Recorder{Next: con}
	mux := &notify.Mux{Email: rec, SMS: rec}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan notify.Notice)
	go func() {
		n, err := rec.Wait(ctx, func(n notify.Notice) bool { return n.Kind == notify.KindSMS && n.To == sms.To })
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	if err := mux.Send(ctx, notice); err != nil {
		t.Fatal(err)
	}
	if err := mux.Send(ctx, sms); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n.Body != sms.Body {
		t.Fatalf("Wait returned %+v", n)
	}
	if last, ok := rec.Last(sms.To); !ok || last.Body != sms.Body || len(rec.Notices()) != 2 {
		t.Fatal("recorder lost a notice")
	}
	if strings.Count(out.String(), "NOT DELIVERED") < 3 || !strings.Contains(out.String(), "482913") {
		t.Fatalf("console output %q", out.String())
	}
	if err := (&notify.Mux{}).Send(ctx, sms); !errors.Is(err, notify.ErrUnsupportedKind) {
		t.Fatalf("empty mux: %v", err)
	}
	short, stop := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer stop()
	if _, err := rec.Wait(short, func(notify.Notice) bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait without a match: %v", err)
	}
}
