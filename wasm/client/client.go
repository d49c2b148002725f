package client

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/keys/account"
	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

// Client talks to one Vellum server as one account at a time. Its methods are
// safe for concurrent use.
type Client struct {
	base    string
	http    *http.Client
	devices DeviceStore
	pins    PinStore
	label   string

	progress func(Progress)
	now      func() time.Time

	chunkSize int
	retries   int
	backoff   time.Duration

	// refreshMu serializes token refreshes, so that many requests finding
	// an expired access token at once refresh it once.
	refreshMu sync.Mutex

	mu      sync.Mutex
	sess    *session
	pending *pendingLogin
	tenants map[string]*tenantState
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc (for instance
// one trusting a test certificate). The default is http.DefaultClient, which
// under GOOS=js uses the browser's Fetch API.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithDeviceStore sets where this device's identity is kept (IndexedDB in
// the browser). The default keeps it in memory, for the life of the process.
func WithDeviceStore(s DeviceStore) Option { return func(c *Client) { c.devices = s } }

// WithPinStore sets where tenant pins are kept. The default keeps them in
// memory.
func WithPinStore(s PinStore) Option { return func(c *Client) { c.pins = s } }

// WithProgress sets a callback told of upload and download progress. It is
// called from the goroutine doing the transfer and MUST NOT block for long.
func WithProgress(f func(Progress)) Option { return func(c *Client) { c.progress = f } }

// WithDeviceLabel sets the plain-text label the server shows for this device
// when it becomes a trusted device ("Firefox on a laptop"). The server reads
// it: it MUST NOT hold anything secret.
func WithDeviceLabel(label string) Option { return func(c *Client) { c.label = label } }

// WithChunkSize sets the largest ciphertext chunk an upload sends in one
// request, at most protocol.MaxChunk. The server's chunk size, if smaller,
// wins. The default is DefaultChunkSize.
func WithChunkSize(n int) Option {
	return func(c *Client) {
		if n > 0 && n <= protocol.MaxChunk {
			c.chunkSize = n
		}
	}
}

// WithRetry sets how many times a chunk that failed in transport is tried
// again after asking the server how much it holds, and the first pause
// between tries (doubled each time, at most 8 seconds). The default is
// DefaultRetries and DefaultBackoff.
func WithRetry(retries int, backoff time.Duration) Option {
	return func(c *Client) {
		if retries >= 0 {
			c.retries = retries
		}
		if backoff >= 0 {
			c.backoff = backoff
		}
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// Defaults of the options above.
const (
	DefaultChunkSize   = 1 << 20
	DefaultRetries     = 5
	DefaultBackoff     = 250 * time.Millisecond
	DefaultDeviceLabel = "Vellum client"
	maxBackoff         = 8 * time.Second
)

// New returns a client of the server at baseURL ("https://vellum.example"),
// the origin under which the API lives at /api/v1.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		http:      http.DefaultClient,
		devices:   NewMemoryDeviceStore(),
		pins:      NewMemoryPinStore(),
		label:     DefaultDeviceLabel,
		now:       time.Now,
		chunkSize: DefaultChunkSize,
		retries:   DefaultRetries,
		backoff:   DefaultBackoff,
		tenants:   make(map[string]*tenantState),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Progress reports a transfer. Done and Total count ciphertext bytes the
// server has acknowledged (upload) or plaintext bytes read (download).
type Progress struct {
	Op         string // "upload" or "download"
	DocumentID string
	Done       int64
	Total      int64
}

func (c *Client) report(p Progress) {
	if c.progress != nil {
		c.progress(p)
	}
}

// session is a logged-in account. keyring is nil while the account is
// logged in but not unlocked.
type session struct {
	tokens    protocol.SessionTokens
	accountID string
	email     string
	ak        *keys.SymmetricKey
	keyring   *account.Keyring
	public    account.PublicKeyring
	// bundle is kept while locked, for UnlockWithRecoveryCode.
	bundle *protocol.UnlockBundle
}

// tenantState is what the client knows about one tenant: its checked
// membership and the keys it has opened. mu serializes changes to it,
// because membership.State is not safe for concurrent use.
type tenantState struct {
	mu    sync.Mutex
	state *membership.State
	// ownerFingerprint is the genesis owner's verify-key fingerprint.
	ownerFingerprint string
	folderKeys       map[string]*folderKeys
	docKeys          map[string]*keys.Identity
	audit            *AuditHead
}

func (c *Client) tenant(id string) *tenantState {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenants[id]
	if t == nil {
		t = &tenantState{folderKeys: make(map[string]*folderKeys), docKeys: make(map[string]*keys.Identity)}
		c.tenants[id] = t
	}
	return t
}

// current returns the session, or an unauthenticated error.
func (c *Client) current() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return nil, ErrNotLoggedIn
	}
	return c.sess, nil
}

// unlocked returns the session with an open keyring.
func (c *Client) unlocked() (*session, error) {
	s, err := c.current()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.keyring == nil {
		return nil, ErrLocked
	}
	return s, nil
}

// AccountID returns the logged-in account's id, or "".
func (c *Client) AccountID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.accountID
}

// Email returns the logged-in account's e-mail address, or "".
func (c *Client) Email() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.email
}

// Unlocked reports whether the account's keyring is open.
func (c *Client) Unlocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil && c.sess.keyring != nil
}

// PublicKeyring returns the logged-in account's public keys.
func (c *Client) PublicKeyring() (account.PublicKeyring, error) {
	s, err := c.current()
	if err != nil {
		return account.PublicKeyring{}, err
	}
	return s.public, nil
}

// newID returns a fresh client-made id in its text form (SPEC
// §Identifiers).
func newID() string { return protocol.NewID().String() }
