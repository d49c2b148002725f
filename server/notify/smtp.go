package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security is how an SMTP connection is protected.
type Security uint8

const (
	// StartTLS connects in the clear and upgrades with STARTTLS before
	// anything else is sent; a server that does not offer it is refused.
	// The usual choice on port 587.
	StartTLS Security = iota
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS
	// Plaintext sends in the clear, for a local relay only (a development
	// mail catcher). Credentials are never sent over it.
	Plaintext
)

// SMTPConfig configures an SMTP sender.
type SMTPConfig struct {
	// Addr is the server's host:port.
	Addr     string
	Security Security
	// TLSConfig verifies the server; nil means the system roots, the host
	// of Addr as the server name, and TLS 1.2 at least.
	TLSConfig *tls.Config
	// Username and Password, if Username is set, authenticate with AUTH
	// PLAIN, only over TLS.
	Username, Password string
	// From is the sender address, in the envelope and the From header.
	From string
	// HelloName is the name given in EHLO; empty means "localhost".
	HelloName string
	// Timeout bounds one whole Send; zero means 30 seconds.
	Timeout time.Duration
	// Now is the clock for the Date header; nil means time.Now.
	Now func() time.Time
}

// SMTP sends e-mail notices to an SMTP submission server. Each Send is one
// connection. It is safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	host string
}

// NewSMTP checks cfg and returns an SMTP sender.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("notify: SMTP address: %w", err)
	}
	if a, err := mail.ParseAddress(cfg.From); err != nil || a.Name != "" || a.Address != cfg.From {
		return nil, errors.New("notify: SMTP From is not a bare e-mail address")
	}
	if cfg.Security > Plaintext {
		return nil, errors.New("notify: unknown SMTP security mode")
	}
	if cfg.Security == Plaintext && cfg.Username != "" {
		return nil, errors.New("notify: refusing to send SMTP credentials without TLS")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
		if cfg.TLSConfig.ServerName == "" {
			cfg.TLSConfig.ServerName = host
		}
	}
	return &SMTP{cfg: cfg, host: host}, nil
}

// Send implements Sender for KindEmail notices.
func (s *SMTP) Send(ctx context.Context, n Notice) error {
	if err := n.Check(); err != nil {
		return err
	}
	if n.Kind != KindEmail {
		return fmt.Errorf("notify: SMTP sends e-mail, not %v: %w", n.Kind, ErrUnsupportedKind)
	}
	msg, err := s.message(n)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	var conn net.Conn
	d := &net.Dialer{}
	if s.cfg.Security == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.cfg.TLSConfig}).DialContext(ctx, "tcp", s.cfg.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("notify: connecting to the SMTP server: %w: %v", ErrDelivery, err)
	}
	// Cancellation closes the connection, which unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	var c *smtp.Client
	if s.cfg.Security == StartTLS {
		// Greets, says EHLO, and upgrades before anything else is sent; a
		// server without STARTTLS is refused here.
		c, err = smtp.NewClientStartTLS(conn, s.cfg.TLSConfig)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return fmt.Errorf("notify: SMTP STARTTLS: %w: %w", ErrDelivery, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = time.Until(deadline)
	c.SubmissionTimeout = time.Until(deadline)
	if err := s.exchange(c, n.To, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("notify: SMTP: %w: %w", ErrDelivery, ctx.Err())
		}
		return err
	}
	return nil
}

func (s *SMTP) exchange(c *smtp.Client, to string, msg []byte) error {
	fail := func(stage string, err error) error {
		// SMTP replies are the server's words; they never hold our body
		// or our password, which the server never echoes.
		return fmt.Errorf("notify: SMTP %s: %w: %v", stage, ErrDelivery, err)
	}
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fail("greeting", err)
	}
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fail("authentication", err)
		}
	}
	if err := c.Mail(s.cfg.From, nil); err != nil {
		return fail("MAIL FROM", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return fail("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return fail("DATA", err)
	}
	// The message was accepted at the end of DATA; a failed QUIT does not
	// undo that.
	c.Quit()
	return nil
}

// message renders a plain-text UTF-8 message with CRLF line ends: the
// subject as an RFC 2047 word, the body quoted-printable (so no line is too
// long and no bare CR or LF reaches the wire).
func (s *SMTP) message(n Notice) ([]byte, error) {
	var id [12]byte
	rand.Read(id[:])
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", s.cfg.From)
	h("To", n.To)
	h("Subject", mime.QEncoding.Encode("utf-8", n.Subject))
	h("Date", s.cfg.Now().Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domainOf(s.cfg.From)+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(n.Body, "\r\n", "\n"), "\r", "\n")
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}
