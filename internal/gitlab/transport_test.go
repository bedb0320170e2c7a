package gitlab

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
)

// tlsFront serves the stand-in over HTTPS with httptest's own certificate,
// which no system trusts.
func tlsFront(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(u))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func TestCheckTLS(t *testing.T) {
	f := newFixture(t)
	f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Maintainer}})
	ts := tlsFront(t, f.srv.URL)

	// Without the CA: refused, and told to supply it.
	_, err := newClient(t, ts.URL, f.token).Check(context.Background())
	wantCode(t, err, CodeTLSUnknownCA, "supply your internal CA certificate")

	// With it: the connection works.
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	c := newClient(t, ts.URL, f.token, func(c *Config) {
		c.HTTPClient = httpClient(t, netx.Config{CAPEM: caPEM}, ts.URL)
	})
	got, err := c.Check(context.Background())
	if err != nil {
		t.Fatalf("Check with the CA: %v", err)
	}
	if got.Username != "airlock-bot" {
		t.Errorf("Username = %q", got.Username)
	}

	// Plain HTTP on an https:// URL.
	_, err = newClient(t, "https://"+f.srv.URL[len("http://"):], f.token).Check(context.Background())
	wantCode(t, err, CodeTLS, "did not answer with TLS")
}

// badGatewayProxy is a proxy that cannot reach anything: it answers
// CONNECT, and any proxied request, with 502 Bad Gateway, as a corporate
// proxy does for an internal host it cannot resolve.
func badGatewayProxy(t *testing.T) (proxyURL string, requests *int) {
	t.Helper()
	n := 0
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body><h1>502 Bad Gateway</h1>ERR_DNS_FAIL</body></html>"))
	}))
	t.Cleanup(s.Close)
	return s.URL, &n
}

func TestCheckProxyBadGateway(t *testing.T) {
	proxy, _ := badGatewayProxy(t)
	hc := httpClient(t, netx.Config{ProxyURL: proxy}, "https://gitlab.corp.invalid")
	c := newClient(t, "https://gitlab.corp.invalid", testToken, func(c *Config) { c.HTTPClient = hc })
	_, err := c.Check(context.Background())
	wantCode(t, err, CodeProxyBadGateway, "502 Bad Gateway", "NO_PROXY", "gitlab.corp.invalid")

	// The same over plain HTTP: the proxy's 502 is an answer, not a failed
	// tunnel.
	proxy, n := badGatewayProxy(t)
	hc = httpClient(t, netx.Config{ProxyURL: proxy}, "http://gitlab.corp.invalid")
	c = newClient(t, "http://gitlab.corp.invalid", testToken, func(c *Config) { c.HTTPClient, c.Retries = hc, 1 })
	_, err = c.Check(context.Background())
	wantCode(t, err, CodeProxyBadGateway, "502 Bad Gateway", "NO_PROXY")
	if *n != 2 {
		t.Errorf("the proxy saw %d requests, want 2 (one retry)", *n)
	}
}

func TestCheckNotGitLab(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		code    Code
		parts   []string
	}{
		{
			name: "HTML page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<!doctype html><title>Intranet</title>"))
			},
			code:  CodeNotGitLab,
			parts: []string{"HTML page", "instance root"},
		},
		{
			name:    "404",
			handler: http.NotFound,
			code:    CodeNotGitLab,
			parts:   []string{"/api/v4/version (404)", "instance root"},
		},
		{
			name: "JSON without a version",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"status":"ok"}`))
			},
			code:  CodeNotGitLab,
			parts: []string{"without a GitLab version"},
		},
		{
			name: "plain text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte("hello"))
			},
			code:  CodeNotGitLab,
			parts: []string{"not JSON"},
		},
		{
			name: "redirect to sign-in",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/users/sign_in", http.StatusFound)
			},
			code:  CodeRedirected,
			parts: []string{"302", "/users/sign_in"},
		},
		{
			name: "401 from something else",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="intranet"`)
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
			},
			code:  CodeUnauthorized,
			parts: []string{"not GitLab's", "instance root"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := httptest.NewServer(tt.handler)
			t.Cleanup(s.Close)
			_, err := newClient(t, s.URL, testToken).Check(context.Background())
			wantCode(t, err, tt.code, tt.parts...)
		})
	}
}

func TestCheckUnreachable(t *testing.T) {
	ctx := context.Background()

	// DNS: .invalid never resolves.
	_, err := newClient(t, "https://gitlab.airlock.invalid", testToken).Check(ctx)
	wantCode(t, err, CodeDNS, "cannot resolve gitlab.airlock.invalid")

	// Nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	// (A refused connection is retried, as GitLab may be restarting; once is
	// enough here.)
	_, err = newClient(t, "http://"+addr, testToken, func(c *Config) { c.Retries = 1 }).Check(ctx)
	wantCode(t, err, CodeUnreachable, "refused the connection")

	// Not on the egress allowlist.
	f := newFixture(t)
	c := newClient(t, f.srv.URL, f.token, func(c *Config) { c.HTTPClient = httpClient(t, netx.Config{}, "http://gitlab.example.com") })
	_, err = c.Check(ctx)
	wantCode(t, err, CodeEgressDenied, "not an allowed destination")

	// A server that accepts and never answers.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(hang.Close)
	hc := httpClient(t, netx.Config{Timeouts: netx.Timeouts{ResponseHeader: 200 * time.Millisecond}}, hang.URL)
	_, err = newClient(t, hang.URL, testToken, func(c *Config) { c.HTTPClient = hc }).Check(ctx)
	wantCode(t, err, CodeTimeout, "sent no answer in time")
}

func TestNewRefuses(t *testing.T) {
	hc := httpClient(t, netx.Config{})
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad URL", Config{BaseURL: "https://gitlab.example.com/group/project", Token: "t", HTTPClient: hc}, "instance root"},
		{"no token", Config{BaseURL: "https://gitlab.example.com", HTTPClient: hc}, "no access token"},
		{"no HTTP client", Config{BaseURL: "https://gitlab.example.com", Token: "t"}, "netx.NewClient"},
		{"bad kind", Config{BaseURL: "https://gitlab.example.com", Token: "t", TokenKind: "job", HTTPClient: hc}, `"oauth"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
