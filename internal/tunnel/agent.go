package tunnel

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"

	"github.com/airlock-sec/airlock/internal/netx"
)

// AgentConfig configures an agent.
type AgentConfig struct {
	// Server is the airlock server's base URL (https://airlock.corp, or
	// http:// on any port behind a TLS-terminating proxy).
	Server string
	// Key is the agent key the server issued (POST /api/v1/agent-keys).
	Key string
	// GitLabURL is the only GitLab the agent talks to.
	GitLabURL string
	// GitLabToken, when set, is added by the agent to every call, so that
	// the server need not hold it. Empty relays the server's credentials.
	GitLabToken string
	// ServerClient is the leg to the server (proxy, CA); GitLabClient the
	// leg to GitLab. Both come from internal/netx.
	ServerClient *http.Client
	GitLabClient *http.Client
	// Allowlist is what the agent relays; nil means the default.
	Allowlist Allowlist
	// Version is reported to the server.
	Version string
	// Logger receives the agent's own events (connected, disconnected).
	Logger *slog.Logger
	// Audit receives one JSON line per relayed or refused call.
	Audit io.Writer
	// PingInterval and PingTimeout probe an idle connection (25 s, 15 s).
	PingInterval, PingTimeout time.Duration
	// MinBackoff and MaxBackoff bound the jittered wait between
	// reconnection attempts (1 s, 60 s).
	MinBackoff, MaxBackoff time.Duration
}

// ErrRefused is matched by the error of an agent the server will not
// accept (unknown or revoked key, version too far apart): retrying does
// not help, so Run returns it.
var ErrRefused = errors.New("tunnel: the server refused the agent")

// Agent relays the server's GitLab calls from inside the network.
type Agent struct {
	c       AgentConfig
	gitlab  *url.URL
	connect string
	auditMu sync.Mutex
	served  atomic.Int64
	// connected counts the sessions established, for tests and logs.
	connected atomic.Int64
}

// NewAgent checks the configuration.
func NewAgent(c AgentConfig) (*Agent, error) {
	su, err := url.Parse(c.Server)
	if err != nil || (su.Scheme != "https" && su.Scheme != "http") || su.Host == "" {
		return nil, fmt.Errorf("server: %q is not an http(s) URL: give https://airlock.example", c.Server)
	}
	gu, err := url.Parse(c.GitLabURL)
	if err != nil || (gu.Scheme != "https" && gu.Scheme != "http") || gu.Host == "" {
		return nil, fmt.Errorf("gitlab-url: %q is not an http(s) URL: give https://gitlab.example", c.GitLabURL)
	}
	if c.Key == "" {
		return nil, errors.New("key: give the agent key the server issued (POST /api/v1/agent-keys)")
	}
	if c.ServerClient == nil || c.GitLabClient == nil {
		return nil, errors.New("tunnel: ServerClient and GitLabClient are required")
	}
	if c.Allowlist == nil {
		if c.Allowlist, err = ParseAllowlist("default allowlist", DefaultAllowlist); err != nil {
			return nil, err
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Audit == nil {
		c.Audit = io.Discard
	}
	if c.PingInterval <= 0 {
		c.PingInterval = defaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(60*time.Second, c.MinBackoff)
	}
	// GitLab's redirects go back to the server as they are: the agent
	// follows none, so it never reaches another host.
	gl := *c.GitLabClient
	gl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.GitLabClient = &gl
	gu.Path = strings.TrimRight(gu.Path, "/")
	return &Agent{c: c, gitlab: gu, connect: strings.TrimRight(c.Server, "/") + ConnectPath}, nil
}

// Run keeps the agent connected until ctx ends: it dials the server,
// serves its calls, and when the connection drops dials again after a
// jittered, exponentially growing wait. It returns nil when ctx ends and
// an error wrapping ErrRefused when the server refuses the agent.
func (a *Agent) Run(ctx context.Context) error {
	backoff := a.c.MinBackoff
	for {
		start := time.Now()
		err := a.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			return err
		}
		// A session that lasted resets the wait: the next failure is a
		// new incident, not the same one.
		if time.Since(start) > a.c.MaxBackoff {
			backoff = a.c.MinBackoff
		}
		wait := backoff/2 + mrand.N(backoff/2+1)
		msg := "disconnected from the server"
		if err != nil {
			msg = "cannot reach the server"
		}
		attrs := []any{"server", a.c.Server, "retry_in", wait.Round(time.Millisecond).String()}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
			if hint, ok := netx.Explain(err); ok {
				attrs = append(attrs, "hint", hint)
			}
		}
		a.c.Logger.Warn(msg, attrs...)
		if !sleep(ctx, wait) {
			return nil
		}
		backoff = min(backoff*2, a.c.MaxBackoff)
	}
}

// session is one connection: dial, then serve until it drops. The error
// is nil when an established connection ended.
func (a *Agent) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+a.c.Key)
	h.Set(VersionHeader, a.c.Version)
	ws, resp, err := websocket.Dial(dctx, a.connect, &websocket.DialOptions{HTTPClient: a.c.ServerClient, HTTPHeader: h})
	cancel()
	if err != nil {
		if resp != nil {
			return handshakeError(resp, err)
		}
		return err
	}
	ws.SetReadLimit(-1)
	n := a.connected.Add(1)
	a.c.Logger.Info("connected to the server", "server", a.c.Server, "session", n)
	conn := newDoneConn(websocket.NetConn(ctx, ws, websocket.MessageBinary))
	defer conn.Close()
	srv := &http2.Server{
		MaxConcurrentStreams:         1000,
		MaxUploadBufferPerConnection: connWindow,
		MaxUploadBufferPerStream:     streamWindow,
		ReadIdleTimeout:              a.c.PingInterval,
		PingTimeout:                  a.c.PingTimeout,
	}
	srv.ServeConn(conn, &http2.ServeConnOpts{Context: ctx, Handler: a})
	return nil
}

// handshakeError explains a refused WebSocket upgrade.
func handshakeError(resp *http.Response, err error) error {
	var body struct{ Message, Hint string }
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	json.Unmarshal(b, &body)
	msg := body.Message
	if msg == "" {
		msg = strings.TrimSpace(string(b))
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusUpgradeRequired:
		if body.Hint != "" {
			msg += ": " + body.Hint
		}
		return fmt.Errorf("%w: %s %s", ErrRefused, resp.Status, msg)
	case http.StatusOK, http.StatusMovedPermanently, http.StatusFound, http.StatusPermanentRedirect, http.StatusTemporaryRedirect:
		return fmt.Errorf("the WebSocket upgrade was answered with %s: a proxy on the way strips the Upgrade header, or the server URL is wrong (%s): %w", resp.Status, resp.Header.Get("Location"), err)
	}
	return fmt.Errorf("the WebSocket upgrade was answered with %s %s: %w", resp.Status, msg, err)
}

// Served counts the calls relayed since the agent started.
func (a *Agent) Served() int64 { return a.served.Load() }

// gitPath reports whether a path is git smart HTTP.
func gitPath(p string) bool {
	return strings.HasSuffix(p, "/info/refs") || strings.HasSuffix(p, "/git-upload-pack") || strings.HasSuffix(p, "/git-receive-pack")
}

// hopHeaders are a connection's own, never relayed.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// ServeHTTP relays one of the server's calls to GitLab, if the allowlist
// allows it.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(RequestIDHeader)
	if id == "" {
		id = newID()
	}
	path := r.URL.EscapedPath()
	rec := auditRecord{RequestID: id, Method: r.Method, Path: path}
	defer func() {
		rec.Time = start.UTC().Format(time.RFC3339Nano)
		rec.DurationMS = time.Since(start).Milliseconds()
		a.audit(rec)
	}()
	if !a.c.Allowlist.Allows(r.Method, path) {
		rec.Outcome, rec.Status = "refused", http.StatusForbidden
		agentError(w, http.StatusForbidden, "refused_by_allowlist",
			fmt.Sprintf("the agent's allowlist does not allow %s %s (request %s)", r.Method, path, id),
			"add the call to the agent's --allowlist if airlock needs it")
		return
	}
	target := *a.gitlab
	target.Path, target.RawPath = a.gitlab.Path+r.URL.Path, a.gitlab.Path+path
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), r.Body)
	if err != nil {
		rec.Outcome, rec.Status = "error", http.StatusBadRequest
		agentError(w, http.StatusBadRequest, "bad_request", err.Error(), "")
		return
	}
	if r.ContentLength == 0 {
		out.Body = nil
	}
	out.ContentLength = r.ContentLength
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
	if a.c.GitLabToken != "" {
		out.Header.Del("Authorization")
		out.Header.Del("Private-Token")
		if gitPath(r.URL.Path) {
			out.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("airlock:"+a.c.GitLabToken)))
		} else {
			out.Header.Set("Private-Token", a.c.GitLabToken)
		}
	}
	resp, err := a.c.GitLabClient.Do(out)
	if err != nil {
		rec.Outcome, rec.Status = "error", http.StatusBadGateway
		hint, _ := netx.Explain(err)
		agentError(w, http.StatusBadGateway, "gitlab_unreachable", "the agent cannot reach GitLab: "+err.Error(), hint)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, k := range hopHeaders {
		w.Header().Del(k)
	}
	w.WriteHeader(resp.StatusCode)
	rec.Outcome, rec.Status = "relayed", resp.StatusCode
	rec.Bytes = copyFlushing(w, resp.Body)
	a.served.Add(1)
}

// copyFlushing streams a body, flushing each piece as it arrives: a
// clone's pack is passed on as GitLab sends it, never held.
func copyFlushing(w http.ResponseWriter, r io.Reader) int64 {
	rc := http.NewResponseController(w)
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n
			}
			n += int64(k)
			rc.Flush()
		}
		if err != nil {
			return n
		}
	}
}

// agentError answers a call the agent did not relay.
func agentError(w http.ResponseWriter, status int, code, msg, hint string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(RefusedHeader, code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg, "hint": hint})
}

// auditRecord is one line of the agent's audit log: never a body, a
// query string or a credential.
type auditRecord struct {
	Time       string `json:"time"`
	RequestID  string `json:"request_id"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Status     int    `json:"status"`
	Outcome    string `json:"outcome"`
	Bytes      int64  `json:"bytes"`
	DurationMS int64  `json:"duration_ms"`
}

func (a *Agent) audit(r auditRecord) {
	b, _ := json.Marshal(r)
	a.auditMu.Lock()
	defer a.auditMu.Unlock()
	a.c.Audit.Write(append(b, '\n'))
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
