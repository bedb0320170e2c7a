package tunnel

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/source"
)

const (
	testKey   = "agent-key-dc1"
	testToken = "glpat-tunnel-test-token-0001"
)

// syncBuffer is a log both sides write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is a GitLab stand-in with one project, a hub behind an HTTP
// server, and the means to start agents.
type fixture struct {
	t       *testing.T
	gl      *gitlabtest.Server
	hub     *Hub
	server  *httptest.Server
	sha     string
	hubLogs *syncBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: testToken, Scopes: []string{"api"}})
	p := gl.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	f := &fixture{t: t, gl: gl, hubLogs: &syncBuffer{}}
	f.sha = gl.InitRepo(p, map[string]string{"requirements.txt": "django==3.2.0\n", "README.md": "app\n"})
	f.hub = f.newHub()
	f.server = httptest.NewServer(f.mux(f.hub))
	t.Cleanup(func() {
		f.hub.Close()
		f.server.Close()
	})
	return f
}

func (f *fixture) newHub() *Hub {
	h, err := NewHub(HubConfig{
		Authenticate: func(_ context.Context, key string) (string, error) {
			if key != testKey {
				return "", errors.New("unknown key")
			}
			return "dc1", nil
		},
		Version: "1.4.0", Wait: 5 * time.Second, PingInterval: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(f.hubLogs, nil)),
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *fixture) mux(h *Hub) http.Handler {
	m := http.NewServeMux()
	m.Handle("GET "+ConnectPath, h)
	return m
}

// client is a netx client allowed to reach one URL's host.
func client(t *testing.T, rawURL string, cfg netx.Config) *http.Client {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimPrefix(rawURL, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	cfg.Allow = []string{host}
	c, err := netx.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type runningAgent struct {
	a      *Agent
	audit  *syncBuffer
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// stop stops the agent and waits for it, once.
func (r *runningAgent) stop() {
	r.once.Do(func() {
		r.cancel()
		<-r.done
	})
}

// startAgent runs an agent against serverURL until the test ends.
func (f *fixture) startAgent(serverURL string, mod func(*AgentConfig)) *runningAgent {
	f.t.Helper()
	r := &runningAgent{audit: &syncBuffer{}, logs: &syncBuffer{}, done: make(chan error, 1)}
	c := AgentConfig{
		Server: serverURL, Key: testKey, GitLabURL: f.gl.URL, Version: "1.4.2",
		ServerClient: client(f.t, serverURL, netx.Config{}),
		GitLabClient: client(f.t, f.gl.URL, netx.Config{}),
		Audit:        r.audit, Logger: slog.New(slog.NewTextHandler(r.logs, nil)),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		PingInterval: 200 * time.Millisecond,
	}
	if mod != nil {
		mod(&c)
	}
	a, err := NewAgent(c)
	if err != nil {
		f.t.Fatal(err)
	}
	r.a = a
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- a.Run(ctx) }()
	f.t.Cleanup(r.stop)
	return r
}

// waitAgents waits until the hub's pool has n agents.
func waitAgents(t *testing.T, h *Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.Agents("dc1")) != n {
		if time.Now().After(deadline) {
			t.Fatalf("pool dc1 has %d agents, want %d", len(h.Agents("dc1")), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gitlabClient is the server's GitLab client routed through the pool.
func (f *fixture) gitlabClient(h *Hub, token string) *gitlab.Client {
	f.t.Helper()
	c, err := gitlab.New(gitlab.Config{BaseURL: f.gl.URL, Token: token, HTTPClient: &http.Client{Transport: h.Transport("dc1", f.gl.URL)}, Retries: -1})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// TestAPIThroughAgent: the server's GitLab calls go through the agent;
// the agent lists itself with its version, and audits each call without
// its credentials.
func TestAPIThroughAgent(t *testing.T) {
	f := newFixture(t)
	ra := f.startAgent(f.server.URL, nil)
	waitAgents(t, f.hub, 1)
	chk, err := f.gitlabClient(f.hub, testToken).Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if chk.Username != "airlock-bot" {
		t.Errorf("check %+v", chk)
	}
	agents := f.hub.Agents("dc1")
	if agents[0].Version != "1.4.2" || agents[0].Requests == 0 || agents[0].ConnectedAt.IsZero() {
		t.Errorf("agents %+v", agents)
	}
	audit := ra.audit.String()
	if !strings.Contains(audit, `"path":"/api/v4/version"`) || !strings.Contains(audit, `"outcome":"relayed"`) || strings.Contains(audit, testToken) {
		t.Errorf("audit log:\n%s", audit)
	}
	if ra.a.Served() == 0 {
		t.Error("agent served nothing")
	}
}

// TestCloneThroughAgent: git clones through the server's loopback relay
// and the agent, with the server's token and with the agent's own.
func TestCloneThroughAgent(t *testing.T) {
	f := newFixture(t)
	relay, err := f.hub.StartRelay()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	base, _ := gitlab.ParseInstanceURL(relay.URL)
	clone := func(auth []string) (*source.Workspace, error) {
		env, err := relay.GitEnv(auth)
		if err != nil {
			t.Fatal(err)
		}
		return source.Clone(context.Background(), source.CloneOptions{URL: relay.CloneURL("dc1", "team/app"), Depth: 1, Dir: t.TempDir(), Env: env})
	}
	t.Run("server token", func(t *testing.T) {
		ra := f.startAgent(f.server.URL, nil)
		waitAgents(t, f.hub, 1)
		ws, err := clone(gitlab.GitAuthEnv(base, testToken, gitlab.TokenPersonal))
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if b, err := os.ReadFile(filepath.Join(ws.Dir, "requirements.txt")); err != nil || string(b) != "django==3.2.0\n" || ws.SHA != f.sha {
			t.Errorf("clone: %q %v %s", b, err, ws.SHA)
		}
		if !strings.Contains(ra.audit.String(), `"path":"/team/app.git/git-upload-pack"`) {
			t.Errorf("audit:\n%s", ra.audit.String())
		}
		ra.stop()
		waitAgents(t, f.hub, 0)
	})
	t.Run("agent token", func(t *testing.T) {
		f.startAgent(f.server.URL, func(c *AgentConfig) { c.GitLabToken = testToken })
		waitAgents(t, f.hub, 1)
		ws, err := clone(nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.Close()
		// The API too: the server's placeholder is replaced.
		if _, err := f.gitlabClient(f.hub, "held-by-the-agent").Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	// Without the relay's secret, nothing passes.
	resp, err := http.Get(relay.CloneURL("dc1", "team/app") + "/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("relay without its secret: %s", resp.Status)
	}
}

// TestAllowlistRefuses: a call outside the allowlist never reaches
// GitLab; it is answered 403 by the agent and logged with its request id.
func TestAllowlistRefuses(t *testing.T) {
	f := newFixture(t)
	ra := f.startAgent(f.server.URL, nil)
	waitAgents(t, f.hub, 1)
	hc := &http.Client{Transport: f.hub.Transport("dc1", f.gl.URL)}
	before := len(f.gl.Requests())
	for _, c := range []struct{ method, path string }{
		{"DELETE", "/api/v4/projects/1"},
		{"POST", "/team/app.git/git-receive-pack"},
		{"GET", "/api/v4/projects/1/../../admin"},
		{"GET", "/admin"},
	} {
		req, _ := http.NewRequest(c.method, f.gl.URL+c.path, nil)
		req.URL.RawPath = c.path // keep the dots as sent
		req.Header.Set("PRIVATE-TOKEN", testToken)
		req.Header.Set(RequestIDHeader, "req-"+c.method)
		_, err := hc.Do(req)
		var re *RefusedError
		if !errors.As(err, &re) || re.Code != "refused_by_allowlist" || !strings.Contains(re.Message, "allowlist does not allow "+c.method) || re.Hint == "" {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		}
	}
	if n := len(f.gl.Requests()) - before; n != 0 {
		t.Errorf("%d refused calls reached GitLab", n)
	}
	if audit := ra.audit.String(); !strings.Contains(audit, `"request_id":"req-DELETE","method":"DELETE","path":"/api/v4/projects/1","status":403,"outcome":"refused"`) {
		t.Errorf("audit:\n%s", audit)
	}
}

// TestNoAgent: a call waits briefly for an agent of its pool, then fails
// saying which pool and since when.
func TestNoAgent(t *testing.T) {
	h, err := NewHub(HubConfig{Authenticate: func(context.Context, string) (string, error) { return "dc1", nil }, Wait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: h.Transport("dc9", "")}).Get("https://gitlab.example/api/v4/version")
	var na *NoAgentError
	if !errors.As(err, &na) || na.Pool != "dc9" || !strings.Contains(err.Error(), "no agent connected for pool dc9 since ") {
		t.Errorf("error %v", err)
	}
}

// TestRefusedKeyStopsAgent: an agent whose key is refused stops with the
// server's reason instead of retrying.
func TestRefusedKeyStopsAgent(t *testing.T) {
	f := newFixture(t)
	ra := f.startAgent(f.server.URL, func(c *AgentConfig) { c.Key = "wrong" })
	select {
	case err := <-ra.done:
		ra.done <- err // for the cleanup's stop
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "agent-keys") {
			t.Errorf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent with a refused key still running")
	}
}

// TestReconnectAfterServerRestart: the server goes away and comes back on
// the same address; the agent reconnects by itself and calls flow again.
func TestReconnectAfterServerRestart(t *testing.T) {
	f := newFixture(t)
	addr := f.server.Listener.Addr().String()
	ra := f.startAgent(f.server.URL, nil)
	waitAgents(t, f.hub, 1)
	f.hub.Close()
	f.server.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	hub := f.newHub()
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: f.mux(hub)}}
	srv.Start()
	defer srv.Close()
	defer hub.Close()
	waitAgents(t, hub, 1)
	if _, err := f.gitlabClient(hub, testToken).Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := ra.a.connected.Load(); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
	if !strings.Contains(ra.logs.String(), "retry_in") {
		t.Errorf("agent log:\n%s", ra.logs.String())
	}
}

// TestTwoAgentsOneKilled: calls are spread over two agents, and go on
// through the other when one stops.
func TestTwoAgentsOneKilled(t *testing.T) {
	f := newFixture(t)
	a1 := f.startAgent(f.server.URL, nil)
	a2 := f.startAgent(f.server.URL, nil)
	waitAgents(t, f.hub, 2)
	c := f.gitlabClient(f.hub, testToken)
	for range 4 {
		if _, err := c.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if a1.a.Served() == 0 || a2.a.Served() == 0 {
		t.Errorf("served %d and %d: want both used", a1.a.Served(), a2.a.Served())
	}
	a1.stop()
	for range 4 {
		if _, err := c.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// testCA is an internal CA made for one test, and a server certificate
// it signed for airlock.test.
func testCA(t *testing.T) (caPEM []byte, cert tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Corp Internal CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "airlock.test"}, DNSNames: []string{"airlock.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// connectProxy is a corporate HTTP proxy: CONNECT only, mapping every
// name it is asked for to one address, and counting tunnels.
type connectProxy struct {
	to      string
	tunnels atomic.Int64
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.tunnels.Add(1)
	conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		io.Copy(up, conn)
		up.Close()
	}()
	io.Copy(conn, up)
	conn.Close()
}

// TestProxyAndCA: the agent reaches a TLS server with an internal CA
// through a CONNECT proxy; without the CA it says what to supply.
func TestProxyAndCA(t *testing.T) {
	f := newFixture(t)
	caPEM, cert := testCA(t)
	hub := f.newHub()
	srv := httptest.NewUnstartedServer(f.mux(hub))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	defer hub.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	proxy := &connectProxy{to: srv.Listener.Addr().String()}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	serverURL := "https://airlock.test:" + port

	t.Run("untrusted", func(t *testing.T) {
		ra := f.startAgent(serverURL, func(c *AgentConfig) {
			c.ServerClient = client(t, serverURL, netx.Config{ProxyURL: ps.URL})
		})
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(ra.logs.String(), "internal CA") {
			if time.Now().After(deadline) {
				t.Fatalf("no CA hint in the agent's log:\n%s", ra.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		ra.stop()
	})
	t.Run("trusted", func(t *testing.T) {
		// As Helm values carry it: base64 of the PEM.
		b64 := []byte(base64.StdEncoding.EncodeToString(caPEM))
		f.startAgent(serverURL, func(c *AgentConfig) {
			c.ServerClient = client(t, serverURL, netx.Config{ProxyURL: ps.URL, CAPEM: b64})
		})
		waitAgents(t, hub, 1)
		if _, err := f.gitlabClient(hub, testToken).Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		if proxy.tunnels.Load() == 0 {
			t.Error("the proxy carried no tunnel")
		}
	})
}

// TestOutdatedAgentListed: an agent a minor version behind is accepted
// and listed as outdated; two behind is refused with how to upgrade.
func TestOutdatedAgentListed(t *testing.T) {
	f := newFixture(t)
	f.startAgent(f.server.URL, func(c *AgentConfig) { c.Version = "1.3.0" })
	waitAgents(t, f.hub, 1)
	if a := f.hub.Agents("dc1"); !a[0].Outdated {
		t.Errorf("agents %+v", a)
	}
	ra := f.startAgent(f.server.URL, func(c *AgentConfig) { c.Version = "1.1.0" })
	select {
	case err := <-ra.done:
		ra.done <- err
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "helm upgrade") {
			t.Errorf("error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an agent two minor versions behind is still running")
	}
}

// slowBody slows a response body down, so that a clone is still running
// when the test stops the agent.
type slowBody struct{ io.ReadCloser }

func (s slowBody) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return s.ReadCloser.Read(p[:min(len(p), 16<<10)])
}

type slowTransport struct{ http.RoundTripper }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.RoundTripper.RoundTrip(r)
	if err == nil {
		resp.Body = slowBody{resp.Body}
	}
	return resp, err
}

// TestAgentKilledMidClone: a clone whose agent goes away fails at once
// with an error, and a clone after the agent is back succeeds.
func TestAgentKilledMidClone(t *testing.T) {
	f := newFixture(t)
	p := f.gl.AddProject(gitlabtest.Project{Path: "team/big", Members: map[int]gitlabtest.AccessLevel{1: gitlabtest.Maintainer}})
	buf := make([]byte, 2<<20)
	rand.Read(buf)
	f.gl.InitRepo(p, map[string]string{"blob.bin": string(buf)})
	relay, err := f.hub.StartRelay()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	slow := func(c *AgentConfig) {
		c.GitLabToken = testToken
		gc := *c.GitLabClient
		gc.Transport = slowTransport{gc.Transport}
		c.GitLabClient = &gc
	}
	ra := f.startAgent(f.server.URL, slow)
	waitAgents(t, f.hub, 1)
	env, _ := relay.GitEnv(nil)
	clone := func() error {
		ws, err := source.Clone(context.Background(), source.CloneOptions{URL: relay.CloneURL("dc1", "team/big"), Depth: 1, Dir: t.TempDir(), Env: env})
		if err == nil {
			ws.Close()
		}
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- clone() }()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.ContainsFunc(f.gl.Requests(), func(r gitlabtest.RecordedRequest) bool { return strings.HasSuffix(r.Path, "/git-upload-pack") }) {
		if time.Now().After(deadline) {
			t.Fatal("the clone never reached git-upload-pack")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ra.stop()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the clone succeeded although its agent stopped midway")
		}
		t.Logf("clone error: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the clone hangs after its agent stopped")
	}
	f.startAgent(f.server.URL, func(c *AgentConfig) { c.GitLabToken = testToken })
	waitAgents(t, f.hub, 1)
	if err := clone(); err != nil {
		t.Fatalf("clone after the agent came back: %v", err)
	}
}

// TestAgentCannotReachGitLab: when the agent is connected but its leg to
// GitLab fails (nothing listens at its GitLab URL), the server's call
// fails with gitlab_unreachable, says it is the agent that cannot reach
// GitLab, carries a hint, and the agent audits the error.
func TestAgentCannotReachGitLab(t *testing.T) {
	f := newFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	ra := f.startAgent(f.server.URL, func(c *AgentConfig) {
		c.GitLabURL = dead
		c.GitLabClient = client(t, dead, netx.Config{})
	})
	waitAgents(t, f.hub, 1)
	hc := &http.Client{Transport: f.hub.Transport("dc1", dead)}
	req, _ := http.NewRequest("GET", dead+"/api/v4/version", nil)
	req.Header.Set(RequestIDHeader, "req-dead")
	_, err = hc.Do(req)
	var re *RefusedError
	if !errors.As(err, &re) || re.Code != "gitlab_unreachable" || !strings.Contains(re.Message, "the agent cannot reach GitLab") || re.Hint == "" {
		t.Fatalf("error %v (%+v), want gitlab_unreachable with a hint", err, re)
	}
	if audit := ra.audit.String(); !strings.Contains(audit, `"request_id":"req-dead"`) || !strings.Contains(audit, `"outcome":"error"`) {
		t.Errorf("audit:\n%s", audit)
	}
}

// TestGitLabLegTLSAndProxy: the agent's leg to GitLab has its own proxy
// and CA: GitLab served over TLS by a certificate of the site's internal
// CA, reached through a CONNECT proxy, works with the CA given to that
// leg (as base64, as Helm values carry it); without it the server's call
// fails with the agent's TLS refusal and a hint naming the internal CA.
func TestGitLabLegTLSAndProxy(t *testing.T) {
	f := newFixture(t)
	caPEM, cert := testCA(t)
	target, _ := url.Parse(f.gl.URL)
	tlsGitLab := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	tlsGitLab.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsGitLab.StartTLS()
	defer tlsGitLab.Close()
	_, port, _ := net.SplitHostPort(tlsGitLab.Listener.Addr().String())
	proxy := &connectProxy{to: tlsGitLab.Listener.Addr().String()}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	gitlabURL := "https://airlock.test:" + port
	call := func() error {
		c, err := gitlab.New(gitlab.Config{BaseURL: gitlabURL, Token: testToken, HTTPClient: &http.Client{Transport: f.hub.Transport("dc1", gitlabURL)}, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Check(context.Background())
		return err
	}

	t.Run("untrusted", func(t *testing.T) {
		ra := f.startAgent(f.server.URL, func(c *AgentConfig) {
			c.GitLabURL = gitlabURL
			c.GitLabClient = client(t, gitlabURL, netx.Config{ProxyURL: ps.URL})
		})
		waitAgents(t, f.hub, 1)
		err := call()
		if err == nil || !strings.Contains(errorHint(err), "internal CA") {
			t.Errorf("call without the CA: %v (hint %q)", err, errorHint(err))
		}
		ra.stop()
		waitAgents(t, f.hub, 0)
	})
	t.Run("trusted", func(t *testing.T) {
		b64 := []byte(base64.StdEncoding.EncodeToString(caPEM))
		f.startAgent(f.server.URL, func(c *AgentConfig) {
			c.GitLabURL = gitlabURL
			c.GitLabClient = client(t, gitlabURL, netx.Config{ProxyURL: ps.URL, CAPEM: b64})
		})
		waitAgents(t, f.hub, 1)
		before := proxy.tunnels.Load()
		if err := call(); err != nil {
			t.Fatalf("call through the agent's GitLab leg: %v", err)
		}
		if proxy.tunnels.Load() == before {
			t.Error("the GitLab leg did not go through its proxy")
		}
	})
}

// errorHint is the hint of a refusal the agent answered, if any.
func errorHint(err error) string {
	var re *RefusedError
	if errors.As(err, &re) {
		return re.Hint
	}
	return ""
}
