package tunnel

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RelayHeader carries the relay's secret: only the server's own git
// processes, which are given it, may use the relay.
const RelayHeader = "Airlock-Relay"

// Relay is a loopback HTTP endpoint through which the server's git
// processes reach a pool's GitLab: git takes a URL, not a RoundTripper.
// http://127.0.0.1:PORT/POOL/group/project.git is the project's clone
// URL through the pool's agents.
type Relay struct {
	// URL is the relay's base URL.
	URL    string
	hub    *Hub
	secret string
	srv    *http.Server
}

// StartRelay listens on a loopback port until Close.
func (h *Hub) StartRelay() (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tunnel: relay: %w", err)
	}
	r := &Relay{URL: "http://" + ln.Addr().String(), hub: h, secret: newID() + newID()}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 30 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// Close stops the relay.
func (r *Relay) Close() error { return r.srv.Close() }

// CloneURL is a project's clone URL through the pool's agents.
func (r *Relay) CloneURL(pool, projectPath string) string {
	return r.URL + "/" + url.PathEscape(pool) + "/" + strings.Trim(projectPath, "/") + ".git"
}

// GitEnv is the environment that lets git use the relay: the relay's
// secret as an http.extraHeader for the relay's URL, after the entries
// of auth (GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n, GIT_CONFIG_VALUE_n, as
// gitlab.GitAuthEnv gives them for the relay's URL), renumbered.
func (r *Relay) GitEnv(auth []string) ([]string, error) {
	vals := map[string]string{}
	n := 0
	for _, e := range auth {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			return nil, errors.New("tunnel: relay: git environment entry without =")
		}
		if k == "GIT_CONFIG_COUNT" {
			var err error
			if n, err = strconv.Atoi(v); err != nil {
				return nil, errors.New("tunnel: relay: GIT_CONFIG_COUNT is not a number")
			}
			continue
		}
		vals[k] = v
	}
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, vals[fmt.Sprintf("GIT_CONFIG_KEY_%d", i)]),
			fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, vals[fmt.Sprintf("GIT_CONFIG_VALUE_%d", i)]))
	}
	out = append(out, fmt.Sprintf("GIT_CONFIG_KEY_%d=http.%s/.extraHeader", n, r.URL),
		fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s: %s", n, RelayHeader, r.secret),
		fmt.Sprintf("GIT_CONFIG_COUNT=%d", n+1))
	return out, nil
}

// ServeHTTP relays one git request to the pool its path names.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if subtle.ConstantTimeCompare([]byte(req.Header.Get(RelayHeader)), []byte(r.secret)) != 1 {
		http.Error(w, "not the server's git", http.StatusForbidden)
		return
	}
	rest := strings.TrimPrefix(req.URL.EscapedPath(), "/")
	poolEsc, p, ok := strings.Cut(rest, "/")
	pool, err := url.PathUnescape(poolEsc)
	if !ok || err != nil || pool == "" {
		http.Error(w, "no pool in the path", http.StatusNotFound)
		return
	}
	out := req.Clone(req.Context())
	out.RequestURI = ""
	out.URL = &url.URL{Scheme: "https", Host: "gitlab", Path: "/" + p, RawQuery: req.URL.RawQuery}
	if u, err := url.Parse("https://gitlab/" + p); err == nil {
		out.URL.Path, out.URL.RawPath = u.Path, u.RawPath
	}
	out.Host = ""
	out.Header.Del(RelayHeader)
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
	if req.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := r.hub.Transport(pool, "").RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	copyFlushing(w, resp.Body)
}
