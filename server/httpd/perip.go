package httpd

import (
	"net"
	"sync"
)

// perIPListener caps concurrent connections from one IP address. It replaces
// fasthttp's MaxConnsPerIP, whose connection wrapper clears its net.Conn in
// Close while a reader may still use it (a data race at shutdown, seen with
// -race on fasthttp v1.74.0). Connections over the cap are closed at once.
type perIPListener struct {
	net.Listener
	max int

	mu    sync.Mutex
	count map[string]int
}

func newPerIPListener(ln net.Listener, max int) *perIPListener {
	return &perIPListener{Listener: ln, max: max, count: make(map[string]int)}
}

func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		if l.count[ip] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.count[ip]++
		l.mu.Unlock()
		return &perIPConn{Conn: c, ip: ip, l: l}, nil
	}
}

func (l *perIPListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[ip]--; l.count[ip] <= 0 {
		delete(l.count, ip)
	}
}

// open reports how many connections ip holds now (for tests).
func (l *perIPListener) open(ip string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count[ip]
}

type perIPConn struct {
	net.Conn
	ip   string
	l    *perIPListener
	once sync.Once
}

func (c *perIPConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

func remoteIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
