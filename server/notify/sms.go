package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// SMSConfig configures an HTTP SMS gateway sender. The gateway receives a
// POST of the JSON object {"from": From, "to": "+15551234567", "text":
// body} and MUST answer 2xx once it has taken the message.
type SMSConfig struct {
	// URL is the gateway endpoint. It MUST be https, except on a loopback
	// host (a local gateway or a test).
	URL string
	// BearerToken, if set, is sent as "Authorization: Bearer …";
	// otherwise Username and Password, if set, as HTTP basic auth.
	BearerToken        string
	Username, Password string
	// From is the sender ID or number shown to the recipient.
	From string
	// Timeout bounds one whole Send; zero means 10 seconds.
	Timeout time.Duration
	// Client is the HTTP client; nil means a fresh one.
	Client *http.Client
}

// SMSGateway sends SMS notices through an HTTP gateway. It is safe for
// concurrent use.
type SMSGateway struct {
	cfg SMSConfig
	url *url.URL
}

// NewSMSGateway checks cfg and returns a sender.
func NewSMSGateway(cfg SMSConfig) (*SMSGateway, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, errors.New("notify: SMS gateway URL does not parse")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil, errors.New("notify: SMS gateway URL must be https")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	return &SMSGateway{cfg: cfg, url: u}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type smsRequest struct {
	From string `json:"from,omitempty"`
	To   string `json:"to"`
	Text string `json:"text"`
}

// Send implements Sender for KindSMS notices.
func (g *SMSGateway) Send(ctx context.Context, n Notice) error {
	if err := n.Check(); err != nil {
		return err
	}
	if n.Kind != KindSMS {
		return fmt.Errorf("notify: the SMS gateway sends SMS, not %v: %w", n.Kind, ErrUnsupportedKind)
	}
	body, err := json.Marshal(smsRequest{From: g.cfg.From, To: n.To, Text: n.Body})
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: building the SMS request: %w", ErrDelivery)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case g.cfg.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+g.cfg.BearerToken)
	case g.cfg.Username != "":
		req.SetBasicAuth(g.cfg.Username, g.cfg.Password)
	}
	resp, err := g.cfg.Client.Do(req)
	if err != nil {
		// A *url.Error quotes the whole URL, which may carry an API key
		// in its query: report only the host and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("notify: SMS gateway %s: %w: %v", g.url.Host, ErrDelivery, err)
	}
	defer resp.Body.Close()
	// Drain a little so the connection can be reused; never quote it: a
	// gateway may echo the request, PIN included.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify: SMS gateway %s answered %d: %w", g.url.Host, resp.StatusCode, ErrDelivery)
	}
	return nil
}
