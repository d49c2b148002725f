package client

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/protocol"
)

// rtFunc is a fake transport: tests answer requests in-process, so they
// run the same natively and compiled to WebAssembly.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

const testBase = "https://vellum.test"

func newTestClient(t *testing.T, rt http.RoundTripper, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithHTTPClient(&http.Client{Transport: rt}), WithRetry(3, 0)}, opts...)
	return New(testBase, opts...)
}

// loginAs installs a session with an unlocked keyring without a server.
func loginAs(c *Client, accountID, email string, access string, expires time.Time) *account.Keyring {
	kr := account.NewKeyring()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = &session{
		tokens: protocol.SessionTokens{
			AccessToken: access, AccessExpiresAt: expires,
			RefreshToken: "refresh-" + access, RefreshExpiresAt: expires.Add(24 * time.Hour),
		},
		accountID: accountID, email: email, ak: account.NewAccountKey(), keyring: kr, public: kr.Public(),
	}
	return kr
}

func jsonResponse(status int, v any) *http.Response {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	return &http.Response{
		StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
}

func rawResponse(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body))}
}

// recorder keeps the requests a fake transport saw.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) add(q *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, q)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

const (
	testTenant  = "AAAAAAAAAAAAAAAAAAAAAQ" // 16 bytes: 0…01
	testAccount = "acct-alice"
)
