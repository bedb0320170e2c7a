package gitlab

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
)

// fixture is a stand-in with one user and one token with every scope
// airlock asks for.
type fixture struct {
	srv   *gitlabtest.Server
	user  *gitlabtest.User
	token string
}

const testToken = "glpat-test-0123456789abcdef"

func newFixture(t testing.TB, opts ...gitlabtest.Option) *fixture {
	t.Helper()
	srv := gitlabtest.New(t, opts...)
	user := srv.AddUser(gitlabtest.User{Username: "airlock-bot"})
	srv.AddToken(gitlabtest.Token{UserID: user.ID, Value: testToken, Scopes: []string{"api", "read_repository", "write_repository"}})
	return &fixture{srv: srv, user: user, token: testToken}
}

// httpClient returns a netx client allowed to reach the hosts of urls.
func httpClient(t testing.TB, nc netx.Config, urls ...string) *http.Client {
	t.Helper()
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		nc.Allow = append(nc.Allow, u.Hostname())
	}
	hc, err := netx.NewClient(nc)
	if err != nil {
		t.Fatalf("netx.NewClient: %v", err)
	}
	return hc
}

// newClient returns a client for baseURL; edit may change the Config.
func newClient(t testing.TB, baseURL, token string, edit ...func(*Config)) *Client {
	t.Helper()
	c := Config{BaseURL: baseURL, Token: token, HTTPClient: httpClient(t, netx.Config{}, baseURL)}
	for _, e := range edit {
		e(&c)
	}
	cl, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cl
}

// front serves handle's answers where it gives one and passes the other
// requests on to target, like a reverse proxy in front of GitLab.
func front(t testing.TB, target string, handle func(w http.ResponseWriter, r *http.Request) bool) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if handle != nil && handle(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// wantCode fails unless err is an *Error with code, whose text has every
// one of parts and never the token.
func wantCode(t testing.TB, err error, code Code, parts ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want code %s", code)
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code %s, want %s; error: %v", e.Code, code, err)
	}
	t.Logf("%s: %v", code, err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
	noToken(t, err)
	return e
}

// noToken fails if err's text, or any error in its chain, shows a test
// token.
func noToken(t testing.TB, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, tok := range []string{testToken, testOAuthToken} {
			if strings.Contains(e.Error(), tok) {
				t.Errorf("error %q shows the token", e)
			}
		}
	}
}

const testOAuthToken = "oauth-access-token-0123456789"

func days(n int) *time.Time {
	t := time.Now().UTC().AddDate(0, 0, n)
	return &t
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
