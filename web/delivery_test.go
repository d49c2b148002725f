//go:build !js

package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vellum.dev/vellum/server/notify"
)

// delivery is the outside world a real deployment sends notices to: an
// HTTP SMS gateway and an SMTP server, both on loopback, each keeping what
// it received. vellumd reaches them through its real senders
// (notify.SMSGateway, notify.SMTP), so a test reads a signer's PIN from the
// gateway's captured requests and a link from a delivered e-mail, as the
// signer would.
type delivery struct {
	t *testing.T

	mu   sync.Mutex
	sms  []smsMessage
	mail []mailMessage
	more chan struct{} // closed and replaced when anything arrives
}

type smsMessage struct{ From, To, Text string }

type mailMessage struct {
	To      []string
	Subject string
	Body    string
}

const smsToken = "gateway-test-token-5d1c"

// startDelivery starts the SMS gateway and the SMTP server and returns the
// notifier vellumd uses to reach them.
func startDelivery(t *testing.T) (*delivery, notify.Sender) {
	t.Helper()
	d := &delivery{t: t, more: make(chan struct{})}

	gw := httptest.NewServer(http.HandlerFunc(d.serveSMS))
	t.Cleanup(gw.Close)
	sms, err := notify.NewSMSGateway(notify.SMSConfig{URL: gw.URL + "/send", BearerToken: smsToken, From: "Vellum"})
	if err != nil {
		t.Fatal(err)
	}

	srv := smtp.NewServer(mailBackend{d})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	// A local relay without TLS: notify.SMTP sends no credentials over it
	// (its own tests cover STARTTLS and implicit TLS).
	email, err := notify.NewSMTP(notify.SMTPConfig{Addr: l.Addr().String(), Security: notify.Plaintext, From: "noreply@vellum.example"})
	if err != nil {
		t.Fatal(err)
	}
	return d, &notify.Mux{Email: email, SMS: sms}
}

func (d *delivery) serveSMS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+smsToken {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var m smsMessage
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || m.To == "" || m.Text == "" {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	d.add(func() { d.sms = append(d.sms, m) })
	w.WriteHeader(http.StatusAccepted)
}

func (d *delivery) add(f func()) {
	d.mu.Lock()
	f()
	close(d.more)
	d.more = make(chan struct{})
	d.mu.Unlock()
}

// waitFor calls find under the lock until it reports true, for 30 s.
func (d *delivery) waitFor(what string, find func() bool) {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		d.mu.Lock()
		ok, more := find(), d.more
		d.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-more:
		case <-deadline:
			d.t.Fatalf("nothing delivered: %s", what)
		}
	}
}

var pinRE = regexp.MustCompile(`\b([0-9]{6})\b`)

// pin returns the PIN in the newest SMS to phone among those after the
// first `after` messages, waiting for it.
func (d *delivery) pin(phone string, after int) string {
	d.t.Helper()
	var pin string
	d.waitFor("an SMS with a PIN to "+phone, func() bool {
		for i := len(d.sms) - 1; i >= min(after, len(d.sms)); i-- {
			if m := d.sms[i]; m.To == phone {
				if p := pinRE.FindStringSubmatch(m.Text); p != nil {
					pin = p[1]
					return true
				}
			}
		}
		return false
	})
	return pin
}

// smsCount is how many SMS the gateway took so far.
func (d *delivery) smsCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sms)
}

// smsTexts returns every SMS text, for checks that a secret went nowhere
// else.
func (d *delivery) smsTexts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, m := range d.sms {
		out = append(out, m.Text)
	}
	return out
}

// mails returns every e-mail delivered so far.
func (d *delivery) mails() []mailMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]mailMessage(nil), d.mail...)
}

// link waits for an e-mail to `to` whose subject contains subject and
// returns the first https link in its body.
func (d *delivery) link(to, subject string) string {
	d.t.Helper()
	var link string
	d.waitFor("an e-mail "+subject+" to "+to, func() bool {
		for _, m := range d.mail {
			if !strings.Contains(m.Subject, subject) || !containsString(m.To, to) {
				continue
			}
			for _, f := range strings.Fields(m.Body) {
				if strings.HasPrefix(f, "https://") {
					link = f
					return true
				}
			}
		}
		return false
	})
	return link
}

// received reports whether an e-mail to `to` whose subject contains
// subject was delivered.
func (d *delivery) received(to, subject string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.mail {
		if strings.Contains(m.Subject, subject) && containsString(m.To, to) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mailBackend is the go-smtp server's side: each message is parsed as a
// reader would see it (decoded subject and quoted-printable body).
type mailBackend struct{ d *delivery }

func (b mailBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailSession{d: b.d}, nil
}

type mailSession struct {
	d  *delivery
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, body); err != nil {
		return err
	}
	m := mailMessage{To: append([]string(nil), s.to...), Subject: subject, Body: buf.String()}
	s.d.add(func() { s.d.mail = append(s.d.mail, m) })
	return nil
}
