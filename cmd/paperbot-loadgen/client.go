package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// getter sends GET requests to one of the run's targets (by index) and
// returns the response status once the whole body is read. One getter serves
// one worker: implementations need not be safe for concurrent use.
type getter interface {
	get(ctx context.Context, target int) (status int, err error)
	// connect opens the getter's connection ahead of its first request,
	// so that dialing is not measured; a getter that cannot (net/http's
	// pool dials on demand) returns nil and connects on first use.
	connect(ctx context.Context) error
	close()
}

// netHTTPClients returns a constructor of net/http getters sharing one
// transport with a connection per worker.
func netHTTPClients(urls []string, conc int) func() getter {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conc,
			MaxIdleConnsPerHost: conc,
			MaxConnsPerHost:     conc,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	return func() getter { return &netHTTPClient{client: client, urls: urls} }
}

type netHTTPClient struct {
	client *http.Client
	urls   []string
}

func (c *netHTTPClient) get(ctx context.Context, target int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.urls[target], nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

func (c *netHTTPClient) connect(context.Context) error { return nil }

func (c *netHTTPClient) close() {}

// rawTarget is one request, written out once before the run.
type rawTarget struct {
	addr string // host:port to dial
	req  []byte // the whole request, headers and blank line
}

// rawTargets prepares the requests of urls for rawClient. All must be plain
// http:// URLs.
func rawTargets(urls []string) ([]rawTarget, error) {
	out := make([]rawTarget, len(urls))
	for i, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("raw client: %q is not an http:// URL", s)
		}
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
		out[i] = rawTarget{
			addr: addr,
			req:  []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: paperbot-loadgen\r\n\r\n"),
		}
	}
	return out, nil
}

// rawClient is a minimal HTTP/1.1 client over one keep-alive connection:
// it writes a prepared request, reads the status line and the headers,
// and discards a body of Content-Length bytes. It understands what a Go
// net/http server sends for a buffered response (Content-Length, or a
// chunked body, and Connection: close) and treats anything else as an error,
// so a malformed answer is counted rather than hidden.
type rawClient struct {
	targets []rawTarget
	timeout time.Duration
	conn    net.Conn
	addr    string
	r       *bufio.Reader
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// connect dials the first target's address (a run's targets share one).
func (c *rawClient) connect(ctx context.Context) error {
	return c.dial(ctx, c.targets[0].addr)
}

// dial makes c's connection one to addr.
func (c *rawClient) dial(ctx context.Context, addr string) error {
	if c.conn != nil && c.addr != addr {
		c.close()
	}
	if c.conn != nil {
		return nil
	}
	d := net.Dialer{Timeout: c.timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c.conn, c.addr = conn, addr
	if c.r == nil {
		c.r = bufio.NewReaderSize(conn, 32<<10)
	} else {
		c.r.Reset(conn)
	}
	return nil
}

func (c *rawClient) get(ctx context.Context, target int) (int, error) {
	t := c.targets[target]
	if err := c.dial(ctx, t.addr); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(c.timeout)
	runEnd, bounded := ctx.Deadline()
	if bounded && runEnd.Before(deadline) {
		deadline = runEnd
	}
	if err := c.conn.SetDeadline(deadline); err != nil {
		c.close()
		return 0, err
	}
	status, keep, err := c.roundTrip(t.req)
	if err != nil || !keep {
		c.close()
	}
	if err != nil && bounded && !time.Now().Before(runEnd) {
		// The run's end cut this request short: the connection's timer can
		// fire a moment before the context's, so say so as the context would.
		return 0, context.DeadlineExceeded
	}
	return status, err
}

func (c *rawClient) roundTrip(req []byte) (status int, keepAlive bool, err error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.line()
	if err != nil {
		return 0, false, fmt.Errorf("status line: %w", err)
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	keepAlive = line[7] == '1' // HTTP/1.1 keeps the connection by default
	length, chunked := -1, false
	for {
		h, err := c.line()
		if err != nil {
			return status, false, fmt.Errorf("headers: %w", err)
		}
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return status, false, fmt.Errorf("bad header %q", h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 {
				return status, false, fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case asciiEqualFold(name, "Transfer-Encoding"):
			if !asciiEqualFold(value, "chunked") {
				return status, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case asciiEqualFold(name, "Connection"):
			if asciiEqualFold(value, "close") {
				keepAlive = false
			}
		}
	}
	switch {
	case chunked:
		err = c.discardChunked()
	case length >= 0:
		_, err = c.r.Discard(length)
	case status == http.StatusNoContent || status == http.StatusNotModified:
	default:
		// A body delimited by the end of the connection.
		_, err = io.Copy(io.Discard, c.r)
		keepAlive = false
	}
	if err != nil {
		return status, false, fmt.Errorf("body: %w", err)
	}
	return status, keepAlive, nil
}

// line reads one CRLF-terminated line without its line end.
func (c *rawClient) line() ([]byte, error) {
	l, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("line too long")
		}
		return nil, err
	}
	return bytes.TrimRight(l, "\r\n"), nil
}

func (c *rawClient) discardChunked() error {
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(l, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad chunk size %q", l)
		}
		if n == 0 {
			// Trailers, then the blank line.
			for {
				t, err := c.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if _, err := c.r.Discard(int(n)); err != nil {
			return err
		}
		if l, err := c.line(); err != nil || len(l) != 0 {
			return fmt.Errorf("chunk not followed by CRLF")
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
