package notify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

const consoleBanner = "!!! CONSOLE NOTICE SENDER: notices are PRINTED HERE and NOT DELIVERED. For local runs only; configure SMTP and an SMS gateway for anything else. !!!"

// Console is a Sender for local runs: it prints each notice, body included,
// to its writer, framed by a banner that says nothing was delivered. It
// MUST NOT be used where real people expect their notices.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole returns a Console printing to w, and prints the banner once
// right away so that whoever starts the server sees it.
func NewConsole(w io.Writer) *Console {
	fmt.Fprintln(w, consoleBanner)
	return &Console{w: w}
}

// Send implements Sender.
func (c *Console) Send(ctx context.Context, n Notice) error {
	if err := n.Check(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n--- %v to %s (NOT DELIVERED) ---\n", consoleBanner, n.Kind, n.To)
	if n.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n", n.Subject)
	}
	fmt.Fprintf(&b, "%s\n--- end of notice ---\n", n.Body)
	_, err := io.WriteString(c.w, b.String())
	return err
}
