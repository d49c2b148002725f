// Package notify sends Vellum's notices — device codes, signer PINs,
// approvals — through one small interface (DESIGN.md §4), with an SMTP
// sender for e-mail, an HTTP SMS gateway sender, and a console sender for
// local runs that says loudly that it delivers nothing.
//
// A notice's body may hold a secret (a PIN, a device code): no sender puts
// a body or a credential in an error or a log line, except the console
// sender, whose whole point is to print notices on a developer's terminal.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"
)

// Kind is how a notice travels.
type Kind uint8

const (
	KindEmail Kind = 1
	KindSMS   Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindEmail:
		return "e-mail"
	case KindSMS:
		return "SMS"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Notice is one message to one recipient. To is an e-mail address (bare,
// no display name) or a phone number in E.164 form (+ and 8 to 15 digits).
// Subject is for e-mail only.
type Notice struct {
	Kind    Kind
	To      string
	Subject string
	Body    string
}

// Sender sends notices. Send MUST NOT return before the notice is handed to
// the next hop (the SMTP server, the SMS gateway) or has failed, MUST honor
// ctx's deadline and cancellation, and MUST NOT put the notice's body or any
// credential in the error it returns.
type Sender interface {
	Send(ctx context.Context, n Notice) error
}

var (
	// ErrBadNotice: the notice is malformed (a bad address, a header
	// injection attempt, an empty body).
	ErrBadNotice = errors.New("notify: malformed notice")
	// ErrUnsupportedKind: the sender does not carry this kind of notice.
	ErrUnsupportedKind = errors.New("notify: unsupported notice kind")
	// ErrDelivery: the next hop refused the notice or could not be reached.
	ErrDelivery = errors.New("notify: delivery failed")
)

// Limits on a notice, so a notice can never become a large message.
const (
	maxSubject = 256
	maxBody    = 16 << 10
	maxSMSBody = 640
)

// Check validates a notice: a well-formed recipient for its kind, no line
// breaks in the recipient or subject (header injection), valid UTF-8, and
// a non-empty body within its limit.
func (n *Notice) Check() error {
	if n.Body == "" || !utf8.ValidString(n.Body) || !utf8.ValidString(n.Subject) {
		return fmt.Errorf("notify: empty or invalid body or subject: %w", ErrBadNotice)
	}
	if strings.ContainsAny(n.To, "\r\n") || strings.ContainsAny(n.Subject, "\r\n") {
		return fmt.Errorf("notify: line break in a header field: %w", ErrBadNotice)
	}
	if len(n.Subject) > maxSubject {
		return fmt.Errorf("notify: subject of %d bytes: %w", len(n.Subject), ErrBadNotice)
	}
	switch n.Kind {
	case KindEmail:
		if len(n.Body) > maxBody {
			return fmt.Errorf("notify: body of %d bytes: %w", len(n.Body), ErrBadNotice)
		}
		a, err := mail.ParseAddress(n.To)
		if err != nil || a.Name != "" || a.Address != n.To {
			return fmt.Errorf("notify: recipient is not a bare e-mail address: %w", ErrBadNotice)
		}
	case KindSMS:
		if len(n.Body) > maxSMSBody {
			return fmt.Errorf("notify: SMS body of %d bytes: %w", len(n.Body), ErrBadNotice)
		}
		if !isE164(n.To) {
			return fmt.Errorf("notify: recipient is not an E.164 phone number: %w", ErrBadNotice)
		}
	default:
		return fmt.Errorf("notify: %v: %w", n.Kind, ErrUnsupportedKind)
	}
	return nil
}

func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Mux routes a notice to the sender of its kind.
type Mux struct {
	Email Sender
	SMS   Sender
}

// Send implements Sender.
func (m *Mux) Send(ctx context.Context, n Notice) error {
	var s Sender
	switch n.Kind {
	case KindEmail:
		s = m.Email
	case KindSMS:
		s = m.SMS
	}
	if s == nil {
		return fmt.Errorf("notify: no sender for %v: %w", n.Kind, ErrUnsupportedKind)
	}
	return s.Send(ctx, n)
}

// Recorder is a Sender that keeps every notice it is given, then passes it
// to Next (if any). Browser tests use it to read the PIN a signer was sent
// by SMS. It is safe for concurrent use.
type Recorder struct {
	Next Sender

	mu      sync.Mutex
	notices []Notice
	changed chan struct{}
}

// Send records n, then forwards it to Next.
func (r *Recorder) Send(ctx context.Context, n Notice) error {
	if err := n.Check(); err != nil {
		return err
	}
	r.mu.Lock()
	r.notices = append(r.notices, n)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	r.mu.Unlock()
	if r.Next != nil {
		return r.Next.Send(ctx, n)
	}
	return nil
}

// Notices returns a copy of every notice recorded, oldest first.
func (r *Recorder) Notices() []Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notice(nil), r.notices...)
}

// Last returns the newest notice sent to to.
func (r *Recorder) Last(to string) (Notice, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.notices) - 1; i >= 0; i-- {
		if r.notices[i].To == to {
			return r.notices[i], true
		}
	}
	return Notice{}, false
}

// Wait returns the first recorded notice that match accepts, waiting for
// one to arrive until ctx is done.
func (r *Recorder) Wait(ctx context.Context, match func(Notice) bool) (Notice, error) {
	for {
		r.mu.Lock()
		for _, n := range r.notices {
			if match(n) {
				r.mu.Unlock()
				return n, nil
			}
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Notice{}, ctx.Err()
		}
	}
}
