// Package tunnel is the agent <-> server protocol of airlock's on-prem
// agent. The agent dials out: a WebSocket to the server's ConnectPath
// (github.com/coder/websocket, whose handshake is a standard HTTP request,
// so the agent's proxy and CA settings apply), authenticated by its agent
// key. Over that one connection runs HTTP/2 (golang.org/x/net/http2), the
// server as the client and the agent as the server: each GitLab call the
// server makes is one HTTP/2 stream, many at once, bodies streamed both
// ways under HTTP/2 flow control, idle connections probed with HTTP/2
// pings. The agent checks every call against its Allowlist, sends it only
// to its configured GitLab, adds the GitLab token itself when it holds
// one, and writes an audit line per call.
package tunnel

import (
	"context"
	"net"
	"sync"
	"time"
)

// ConnectPath is the server's WebSocket endpoint for agents.
const ConnectPath = "/api/v1/agent/connect"

// Headers of the WebSocket handshake and of relayed requests.
const (
	// VersionHeader carries the agent's version in the handshake.
	VersionHeader = "Airlock-Agent-Version"
	// RequestIDHeader names a relayed call in both sides' logs.
	RequestIDHeader = "X-Request-Id"
	// RefusedHeader marks an answer the agent gave itself (refused by its
	// allowlist, GitLab unreachable) rather than GitLab's.
	RefusedHeader = "Airlock-Agent-Error"
)

// Ping timing: middleboxes drop connections silent for a minute or so.
const (
	defaultPingInterval = 25 * time.Second
	defaultPingTimeout  = 15 * time.Second
)

// Window sizes: a clone streams at the rate of one stream's window per
// round trip, so the windows are MiBs, not HTTP/2's 64 KiB default.
const (
	streamWindow = 4 << 20
	connWindow   = 64 << 20
)

// doneConn reports when its connection fails or closes: the HTTP/2 side
// reads continuously, so a read error is the connection's end.
type doneConn struct {
	net.Conn
	once sync.Once
	done chan struct{}
}

func newDoneConn(c net.Conn) *doneConn { return &doneConn{Conn: c, done: make(chan struct{})} }

func (c *doneConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.once.Do(func() { close(c.done) })
	}
	return n, err
}

func (c *doneConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
