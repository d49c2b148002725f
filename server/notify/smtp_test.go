package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"vellum.dev/vellum/server/notify"
)

// A real SMTP server (github.com/emersion/go-smtp) on loopback receives
// what the sender sends.

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
}

type backend struct {
	user, pass string
	mu         sync.Mutex
	msgs       []received
	authTries  int
}

func (b *backend) count() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.msgs) }
func (b *backend) tries() int { b.mu.Lock(); defer b.mu.Unlock(); return b.authTries }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{be: b, conn: c}, nil
}

type session struct {
	be     *backend
	conn   *smtp.Conn
	authed bool
	cur    received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		s.be.mu.Lock()
		s.be.authTries++
		s.be.mu.Unlock()
		if user != s.be.user || pass != s.be.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.be.mu.Lock()
	s.be.msgs = append(s.be.msgs, s.cur)
	s.be.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// testCert makes a self-signed certificate for 127.0.0.1 and a client
// config that trusts it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// startServer runs a go-smtp server on loopback; implicit wraps the
// listener in TLS, tlsCfg nil turns STARTTLS off.
func startServer(t *testing.T, be *backend, tlsCfg *tls.Config, implicit bool) string {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = tlsCfg
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		l = tls.NewListener(l, tlsCfg)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

const (
	testUser  = "vellum"
	testPass  = "s3cret-password-xyz"
	secretPIN = "PIN 482913"
)

var notice = notify.Notice{
	Kind: notify.KindEmail, To: "signer@example.com", Subject: "Your Vellum code — ünïcode",
	Body: "Hello,\n" + secretPIN + "\n.a line starting with a dot\n" + strings.Repeat("long line ", 20) + "\nbye",
}

func checkDelivered(t *testing.T, be *backend, wantTLS bool) {
	t.Helper()
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.msgs) != 1 {
		t.Fatalf("server received %d messages", len(be.msgs))
	}
	m := be.msgs[0]
	if m.from != "vellum@example.org" || len(m.to) != 1 || m.to[0] != notice.To || m.tls != wantTLS {
		t.Fatalf("envelope %q → %v, TLS %v", m.from, m.to, m.tls)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(m.data)))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != notice.Subject {
		t.Fatalf("subject %q, %v", subj, err)
	}
	if msg.Header.Get("To") != notice.To || msg.Header.Get("Date") == "" || msg.Header.Get("Message-Id") == "" {
		t.Fatalf("headers %v", msg.Header)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(notice.Body, "\n", "\r\n") + "\r\n"; string(body) != want {
		t.Fatalf("body %q\nwant %q", body, want)
	}
	for _, line := range strings.Split(string(m.data), "\r\n") {
		if len(line) > 78 {
			t.Fatalf("line of %d characters on the wire", len(line))
		}
	}
}

func TestSMTPStartTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	be := &backend{user: testUser, pass: testPass}
	addr := startServer(t, be, serverTLS, false)
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, Security: notify.StartTLS, TLSConfig: clientTLS,
		Username: testUser, Password: testPass, From: "vellum@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, be, true)
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	be := &backend{user: testUser, pass: testPass}
	addr := startServer(t, be, serverTLS, true)
	s, err := notify.NewSMTP(notify.SMTPConfig{Addr: addr, Security: notify.ImplicitTLS, TLSConfig: clientTLS,
		Username: testUser, Password: testPass, From: "vellum@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), notice); err != nil {
		t.Fatal(err)
	}
	checkDelivered(t, be, true)
}

func TestSMTPFailures(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	noSecrets := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, notify.ErrDelivery) {
			t.Fatalf("error %v, want ErrDelivery", err)
		}
		if s := err.Error(); strings.Contains(s, testPass) || strings.Contains(s, "482913") {
			t.Fatalf("error leaks a secret: %s", s)
		}
	}
	t.Run("wrong password", func(t *testing.T) {
		be := &backend{user: testUser, pass: "the-right-one"}
		addr := startServer(t, be, serverTLS, false)
		s, _ := notify.NewSMTP(notify.SMTPConfig{Addr: addr, TLSConfig: clientTLS, Username: testUser, Password: testPass, From: "vellum@example.org"})
		noSecrets(t, s.Send(context.Background(), notice))
		if be.count() != 0 {
			t.Fatal("delivered without authentication")
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		be := &backend{user: testUser, pass: testPass}
		addr := startServer(t, be, serverTLS, false)
		s, _ := notify.NewSMTP(notify.SMTPConfig{Addr: addr, Username: testUser, Password: testPass, From: "vellum@example.org"})
		noSecrets(t, s.Send(context.Background(), notice))
		if be.tries() != 0 {
			t.Fatal("credentials sent to an unverified server")
		}
	})
	t.Run("no STARTTLS offered", func(t *testing.T) {
		be := &backend{user: testUser, pass: testPass}
		addr := startServer(t, be, nil, false)
		s, _ := notify.NewSMTP(notify.SMTPConfig{Addr: addr, TLSConfig: clientTLS, Username: testUser, Password: testPass, From: "vellum@example.org"})
		noSecrets(t, s.Send(context.Background(), notice))
		if be.tries() != 0 || be.count() != 0 {
			t.Fatal("sent without TLS")
		}
	})
	t.Run("server never answers", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close() // hold it open, say nothing
			}
		}()
		s, _ := notify.NewSMTP(notify.SMTPConfig{Addr: l.Addr().String(), TLSConfig: clientTLS, From: "vellum@example.org"})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err = s.Send(ctx, notice)
		noSecrets(t, err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v does not say the deadline passed", err)
		}
	})
	t.Run("refused configurations and notices", func(t *testing.T) {
		if _, err := notify.NewSMTP(notify.SMTPConfig{Addr: "127.0.0.1:25", Security: notify.Plaintext, Username: "u", Password: "p", From: "a@b.c"}); err == nil {
			t.Fatal("credentials over plaintext accepted")
		}
		if _, err := notify.NewSMTP(notify.SMTPConfig{Addr: "127.0.0.1:25", From: "Vellum <a@b.c>"}); err == nil {
			t.Fatal("display name in From accepted")
		}
		s, _ := notify.NewSMTP(notify.SMTPConfig{Addr: "127.0.0.1:1", From: "a@b.c"})
		for _, n := range []notify.Notice{
			{Kind: notify.KindEmail, To: "a@b.c\r\nBcc: x@y.z", Body: "x"},
			{Kind: notify.KindEmail, To: "a@b.c", Subject: "hi\nBcc: x@y.z", Body: "x"},
			{Kind: notify.KindEmail, To: "Eve <a@b.c>", Body: "x"},
			{Kind: notify.KindEmail, To: "a@b.c"},
		} {
			if err := s.Send(context.Background(), n); !errors.Is(err, notify.ErrBadNotice) {
				t.Fatalf("Send(%q) = %v, want ErrBadNotice", n.To, err)
			}
		}
		if err := s.Send(context.Background(), notify.Notice{Kind: notify.KindSMS, To: "+15551234567", Body: "x"}); !errors.Is(err, notify.ErrUnsupportedKind) {
			t.Fatalf("SMS through SMTP: %v", err)
		}
	})
}
