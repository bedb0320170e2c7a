package tunnel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"
)

// HubConfig configures the server side.
type HubConfig struct {
	// Authenticate maps an agent key to its pool; an error refuses the
	// agent (401).
	Authenticate func(ctx context.Context, key string) (pool string, err error)
	// Version is the server's; agents more than one minor version apart
	// are refused with how to upgrade. Empty accepts every version.
	Version string
	Logger  *slog.Logger
	// Wait is how long a call waits for an agent of its pool (10 s).
	Wait time.Duration
	// PingInterval and PingTimeout probe each agent (25 s, 15 s).
	PingInterval, PingTimeout time.Duration
	Now                       func() time.Time
}

// Hub holds the connected agents by pool and routes calls through them.
type Hub struct {
	c       HubConfig
	started time.Time
	mu      sync.Mutex
	pools   map[string]*pool
	closed  bool
	nextID  atomic.Int64
}

type pool struct {
	agents []*agentConn
	next   int
	// left is when the last agent left; zero while one is connected.
	left time.Time
	// joined is closed, and replaced, when an agent joins.
	joined chan struct{}
}

type agentConn struct {
	info     AgentInfo
	cc       *http2.ClientConn
	conn     *doneConn
	lastPing atomic.Int64
	served   atomic.Int64
}

// AgentInfo describes a connected agent.
type AgentInfo struct {
	ID          string     `json:"id"`
	Pool        string     `json:"pool"`
	Version     string     `json:"version"`
	RemoteAddr  string     `json:"remote_address"`
	ConnectedAt time.Time  `json:"connected_since"`
	LastPingAt  *time.Time `json:"last_ping,omitempty"`
	Requests    int64      `json:"requests_served"`
	// Outdated says the agent is a minor version behind the server.
	Outdated bool `json:"outdated,omitempty"`
}

// NewHub builds the server side.
func NewHub(c HubConfig) (*Hub, error) {
	if c.Authenticate == nil {
		return nil, errors.New("tunnel: HubConfig.Authenticate is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Wait <= 0 {
		c.Wait = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = defaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = defaultPingTimeout
	}
	return &Hub{c: c, started: c.Now(), pools: map[string]*pool{}}, nil
}

func (h *Hub) poolLocked(name string) *pool {
	p := h.pools[name]
	if p == nil {
		p = &pool{left: h.started, joined: make(chan struct{})}
		h.pools[name] = p
	}
	return p
}

// ServeHTTP is the agents' WebSocket endpoint (ConnectPath). It returns
// when the agent leaves.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" {
		refuse(w, http.StatusUnauthorized, "unauthenticated", "no agent key", "start the agent with --key (or AIRLOCK_AGENT_KEY)")
		return
	}
	poolName, err := h.c.Authenticate(r.Context(), key)
	if err != nil {
		refuse(w, http.StatusUnauthorized, "unauthenticated", "the agent key is not valid: "+err.Error(), "create a key with POST /api/v1/agent-keys and give it to the agent")
		return
	}
	version := r.Header.Get(VersionHeader)
	outdated, err := checkVersion(h.c.Version, version)
	if err != nil {
		refuse(w, http.StatusUpgradeRequired, "agent_version", err.Error(), "upgrade the agent to the server's version: helm upgrade <release> deploy/helm/airlock --reuse-values --set image.tag="+h.c.Version)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	conn := newDoneConn(websocket.NetConn(ctx, ws, websocket.MessageBinary))
	defer conn.Close()
	tr := &http2.Transport{AllowHTTP: true, DisableCompression: true, ReadIdleTimeout: h.c.PingInterval, PingTimeout: h.c.PingTimeout}
	cc, err := tr.NewClientConn(conn)
	if err != nil {
		h.c.Logger.Warn("agent connection failed", "pool", poolName, "error", err.Error())
		return
	}
	defer cc.Close()
	a := &agentConn{cc: cc, conn: conn, info: AgentInfo{
		ID: strconv.FormatInt(h.nextID.Add(1), 10), Pool: poolName, Version: version,
		RemoteAddr: r.RemoteAddr, ConnectedAt: h.c.Now().UTC(), Outdated: outdated,
	}}
	if !h.add(a) {
		return
	}
	defer h.remove(a)
	h.c.Logger.Info("agent connected", "pool", poolName, "agent", a.info.ID, "version", version, "remote_address", r.RemoteAddr)
	if outdated {
		h.c.Logger.Warn("agent is outdated", "pool", poolName, "agent", a.info.ID, "version", version, "server_version", h.c.Version,
			"hint", "helm upgrade <release> deploy/helm/airlock --reuse-values --set image.tag="+h.c.Version)
	}
	t := time.NewTicker(h.c.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-conn.done:
			h.c.Logger.Info("agent disconnected", "pool", poolName, "agent", a.info.ID)
			return
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, h.c.PingTimeout)
			err := cc.Ping(pctx)
			pcancel()
			if err != nil {
				h.c.Logger.Warn("agent did not answer a ping", "pool", poolName, "agent", a.info.ID, "error", err.Error())
				return
			}
			a.lastPing.Store(h.c.Now().UnixMilli())
		}
	}
}

func refuse(w http.ResponseWriter, status int, code, msg, hint string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg, "hint": hint})
}

// checkVersion accepts an agent at most one minor version from the
// server; outdated is true when it is one behind. Versions that are not
// MAJOR.MINOR[.PATCH] (development builds) are accepted.
func checkVersion(server, agent string) (outdated bool, err error) {
	smaj, smin, ok1 := majorMinor(server)
	amaj, amin, ok2 := majorMinor(agent)
	if !ok1 || !ok2 {
		return false, nil
	}
	if smaj != amaj || amin < smin-1 || amin > smin+1 {
		return false, fmt.Errorf("agent version %s is too far from the server's %s: agents one minor version apart are accepted", agent, server)
	}
	return amin < smin, nil
}

func majorMinor(v string) (int, int, bool) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	maj, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	return maj, mi, err1 == nil && err2 == nil
}

func (h *Hub) add(a *agentConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	p := h.poolLocked(a.info.Pool)
	p.agents = append(p.agents, a)
	p.left = time.Time{}
	close(p.joined)
	p.joined = make(chan struct{})
	return true
}

func (h *Hub) remove(a *agentConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.poolLocked(a.info.Pool)
	for i, b := range p.agents {
		if b == a {
			p.agents = append(p.agents[:i], p.agents[i+1:]...)
			break
		}
	}
	if len(p.agents) == 0 {
		p.left = h.c.Now()
	}
}

// Close disconnects every agent; they reconnect to the next server.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	var all []*agentConn
	for _, p := range h.pools {
		all = append(all, p.agents...)
	}
	h.mu.Unlock()
	for _, a := range all {
		a.conn.Close()
	}
}

// Pools names the pools with an agent connected now, sorted.
func (h *Hub) Pools() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for name, p := range h.pools {
		if len(p.agents) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Agents lists the agents connected in a pool.
func (h *Hub) Agents(poolName string) []AgentInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []AgentInfo{}
	if p := h.pools[poolName]; p != nil {
		for _, a := range p.agents {
			info := a.info
			if ms := a.lastPing.Load(); ms != 0 {
				t := time.UnixMilli(ms).UTC()
				info.LastPingAt = &t
			}
			info.Requests = a.served.Load()
			out = append(out, info)
		}
	}
	return out
}

// NoAgentError is a call that found no agent of its pool connected.
type NoAgentError struct {
	Pool  string
	Since time.Time
}

func (e *NoAgentError) Error() string {
	return fmt.Sprintf("no agent connected for pool %s since %s: start 'airlock agent' with a key of that pool in the network that reaches GitLab", e.Pool, e.Since.UTC().Format(time.RFC3339))
}

// RefusedError is an answer the agent gave itself instead of relaying
// the call: refused by its allowlist, or GitLab unreachable from it.
type RefusedError struct {
	Code, Message, Hint string
}

func (e *RefusedError) Error() string { return "agent: " + e.Message }

func refusedError(code string, resp *http.Response) error {
	defer resp.Body.Close()
	e := &RefusedError{Code: code}
	var body struct{ Message, Hint string }
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		e.Message, e.Hint = body.Message, body.Hint
	}
	if e.Message == "" {
		e.Message = "the agent answered " + resp.Status + " (" + code + ")"
	}
	return e
}

// pick returns an agent of the pool other than those tried, waiting up
// to the hub's Wait for one to connect.
func (h *Hub) pick(ctx context.Context, poolName string, tried map[*agentConn]bool) (*agentConn, error) {
	timer := time.NewTimer(h.c.Wait)
	defer timer.Stop()
	for {
		h.mu.Lock()
		p := h.poolLocked(poolName)
		for range p.agents {
			a := p.agents[p.next%len(p.agents)]
			p.next++
			if !tried[a] {
				h.mu.Unlock()
				return a, nil
			}
		}
		joined, left := p.joined, p.left
		h.mu.Unlock()
		select {
		case <-joined:
		case <-timer.C:
			return nil, &NoAgentError{Pool: poolName, Since: left}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Transport routes requests through the pool's agents: each call goes to
// the next agent in turn; a call that could not start on an agent that
// dropped is retried on another. Paths reach the agent relative to the
// GitLab root: gitlabURL's path (GitLab served under a prefix) is taken
// off, and the agent puts its own GitLab URL's back.
func (h *Hub) Transport(poolName, gitlabURL string) http.RoundTripper {
	prefix := ""
	if u, err := url.Parse(gitlabURL); err == nil {
		prefix = strings.TrimRight(u.Path, "/")
	}
	return poolTransport{h: h, pool: poolName, prefix: prefix}
}

type poolTransport struct {
	h      *Hub
	pool   string
	prefix string
}

func (t poolTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if req.Header.Get(RequestIDHeader) == "" {
		req.Header.Set(RequestIDHeader, newID())
	}
	if t.prefix != "" {
		u := *req.URL
		u.Path = strings.TrimPrefix(u.Path, t.prefix)
		if u.RawPath != "" {
			u.RawPath = strings.TrimPrefix(u.RawPath, t.prefix)
		}
		req.URL = &u
	}
	tried := map[*agentConn]bool{}
	for {
		a, err := t.h.pick(req.Context(), t.pool, tried)
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
		tried[a] = true
		resp, err := a.cc.RoundTrip(req)
		if err == nil {
			a.served.Add(1)
			if code := resp.Header.Get(RefusedHeader); code != "" {
				return nil, refusedError(code, resp)
			}
			return resp, nil
		}
		// Another agent may take a call that never reached this one
		// (its connection was closed), if the body can be sent again.
		if !a.cc.State().Closed || req.Body != nil && req.GetBody == nil {
			return nil, err
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}
