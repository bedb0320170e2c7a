// Package netx builds every outbound HTTP client airlock uses. A client from
// NewClient trusts the system roots plus any internal CA the operator gives,
// goes through the configured HTTP(S) proxy except for NO_PROXY destinations,
// and refuses, before any connection is made, every destination that is not
// on its egress allowlist. Explain turns the errors such a client returns into
// hints that say what to do.
package netx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// Config describes one outbound client.
type Config struct {
	// CAPEM holds extra trusted CA certificates, as PEM text or as the base64
	// of PEM text. Empty means the system roots only.
	CAPEM []byte
	// ProxyURL is the HTTP(S) proxy used for both https and http
	// destinations ("http://user:password@proxy.corp:3128"); "" means none.
	// The environment is not consulted unless FromEnvironment is set.
	ProxyURL string
	// NoProxy lists destinations reached directly, with the usual NO_PROXY
	// semantics: a comma-separated list of host names (matching the name and
	// its subdomains), ".domain" suffixes, "*", host:port, IP addresses and
	// CIDR ranges. As everywhere in Go, localhost and loopback addresses are
	// always reached directly.
	NoProxy string
	// FromEnvironment takes the proxy settings from HTTPS_PROXY, HTTP_PROXY
	// and NO_PROXY (or their lower-case forms) instead of ProxyURL and NoProxy.
	FromEnvironment bool
	// Allow is the egress allowlist: the destinations, "host" (any port) or
	// "host:port", this client may contact. Empty refuses every destination.
	// The proxy itself is implicitly allowed; the allowlist is about where a
	// request is going, not how.
	Allow []string
	// Timeouts bounds the phases of a request; zero fields take defaults.
	Timeouts Timeouts
}

// Timeouts bounds each phase of a request separately. There is deliberately
// no bound on the whole request: a clone of a large repository may stream for
// a long time.
type Timeouts struct {
	// Dial bounds a TCP connection to the destination or the proxy (default 30s).
	Dial time.Duration
	// TLSHandshake bounds the TLS handshake (default 15s).
	TLSHandshake time.Duration
	// ResponseHeader bounds the wait for response headers once the request
	// is written (default 2m).
	ResponseHeader time.Duration
	// Idle closes pooled connections unused for this long, and is how long an
	// HTTP/2 connection may stay silent before it is probed with a ping
	// (default 90s).
	Idle time.Duration
}

const (
	defaultDial           = 30 * time.Second
	defaultTLSHandshake   = 15 * time.Second
	defaultResponseHeader = 2 * time.Minute
	defaultIdle           = 90 * time.Second
)

func (t Timeouts) withDefaults() Timeouts {
	if t.Dial <= 0 {
		t.Dial = defaultDial
	}
	if t.TLSHandshake <= 0 {
		t.TLSHandshake = defaultTLSHandshake
	}
	if t.ResponseHeader <= 0 {
		t.ResponseHeader = defaultResponseHeader
	}
	if t.Idle <= 0 {
		t.Idle = defaultIdle
	}
	return t
}

// ErrEgressDenied is matched (errors.Is) by the error of a request whose
// destination is not on the client's allowlist. The request fails before any
// connection is made; the *DeniedError carries the host.
var ErrEgressDenied = errors.New("netx: destination not on the egress allowlist")

// DeniedError reports a destination refused by the egress allowlist.
type DeniedError struct {
	// Host is the refused destination, as host:port.
	Host string
	// Offline says offline mode refused it: the destination is in no part
	// of the operator's configuration (see SetOffline).
	Offline bool
}

func (e *DeniedError) Error() string {
	if e.Offline {
		return fmt.Sprintf("netx: %s is not a configured destination, and airlock runs offline", e.Host)
	}
	return fmt.Sprintf("netx: %s is not an allowed destination", e.Host)
}

// Unwrap makes errors.Is(err, ErrEgressDenied) true.
func (e *DeniedError) Unwrap() error { return ErrEgressDenied }

// ProxyError reports a proxy that answered a CONNECT request with something
// other than 200.
type ProxyError struct {
	// Proxy is the proxy URL with any password redacted.
	Proxy string
	// Target is the host:port the tunnel was asked for.
	Target string
	// StatusCode and Status are the proxy's answer ("502 Bad Gateway").
	StatusCode int
	Status     string
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("netx: proxy %s answered CONNECT %s with %s", e.Proxy, e.Target, e.Status)
}

// DialError reports a failed TCP connection, saying whether the address
// was the proxy's or the destination's.
type DialError struct {
	// Addr is the host:port dialled.
	Addr string
	// Proxy is true when Addr is the proxy.
	Proxy bool
	// Timeout is the dial timeout in force.
	Timeout time.Duration
	Err     error
}

func (e *DialError) Error() string {
	what := "destination"
	if e.Proxy {
		what = "proxy"
	}
	return fmt.Sprintf("netx: connect to %s %s: %v", what, e.Addr, e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewClient returns a client configured by c. Its errors name the Config
// field at fault (ca_certificate, proxy_url, no_proxy, allow) and say what to
// give instead.
func NewClient(c Config) (*http.Client, error) {
	return newClient(c, nil)
}

// newClient is NewClient with the underlying dialer replaceable, so tests can
// give names under .test an address.
func newClient(c Config, base dialFunc) (*http.Client, error) {
	allow, err := parseAllow(c.Allow)
	if err != nil {
		return nil, err
	}
	proxyCfg, proxies, err := proxySettings(c)
	if err != nil {
		return nil, err
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if len(strings.TrimSpace(string(c.CAPEM))) > 0 {
		_, certs, err := ParseCA(c.CAPEM)
		if err != nil {
			return nil, err
		}
		for _, cert := range certs {
			roots.AddCert(cert)
		}
	}
	to := c.Timeouts.withDefaults()
	if base == nil {
		base = (&net.Dialer{Timeout: to.Dial, KeepAlive: 30 * time.Second}).DialContext
	}

	proxyFor := proxyCfg.ProxyFunc()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = func(req *http.Request) (*url.URL, error) {
		dest := hostPort(req.URL)
		if !allow.permits(dest) {
			observe(Dial{Network: "tcp", Addr: dest, Denied: true})
			return nil, &DeniedError{Host: dest}
		}
		if offlineDenies(dest) {
			observe(Dial{Network: "tcp", Addr: dest, Denied: true})
			return nil, &DeniedError{Host: dest, Offline: true}
		}
		return proxyFor(req.URL)
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		isProxy := proxies[strings.ToLower(addr)]
		if !isProxy && !allow.permits(addr) {
			observe(Dial{Network: network, Addr: addr, Denied: true})
			return nil, &DeniedError{Host: addr}
		}
		if !isProxy && offlineDenies(addr) {
			observe(Dial{Network: network, Addr: addr, Denied: true})
			return nil, &DeniedError{Host: addr, Offline: true}
		}
		observe(Dial{Network: network, Addr: addr, Proxy: isProxy})
		ctx, cancel := context.WithTimeout(ctx, to.Dial)
		defer cancel()
		conn, err := base(ctx, network, addr)
		if err != nil {
			return nil, &DialError{Addr: addr, Proxy: isProxy, Timeout: to.Dial, Err: err}
		}
		return conn, nil
	}
	t.OnProxyConnectResponse = func(_ context.Context, proxyURL *url.URL, req *http.Request, resp *http.Response) error {
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		target := req.Host
		if target == "" {
			target = req.URL.Opaque
		}
		return &ProxyError{Proxy: proxyURL.Redacted(), Target: target, StatusCode: resp.StatusCode, Status: resp.Status}
	}
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = 32
	t.TLSHandshakeTimeout = to.TLSHandshake
	t.ResponseHeaderTimeout = to.ResponseHeader
	t.IdleConnTimeout = to.Idle
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: to.Idle, PingTimeout: 15 * time.Second}
	return &http.Client{Transport: t}, nil
}

// proxySettings returns the proxy configuration and the set of proxy
// addresses (host:port, lower case) the dialer must let through.
func proxySettings(c Config) (*httpproxy.Config, map[string]bool, error) {
	var cfg *httpproxy.Config
	if c.FromEnvironment {
		if c.ProxyURL != "" || c.NoProxy != "" {
			return nil, nil, errors.New("proxy_url: give the proxy settings or take them from the environment, not both")
		}
		cfg = httpproxy.FromEnvironment()
	} else {
		cfg = &httpproxy.Config{HTTPProxy: c.ProxyURL, HTTPSProxy: c.ProxyURL, NoProxy: c.NoProxy}
	}
	httpsField, httpField := "proxy_url", "proxy_url"
	if c.FromEnvironment {
		httpsField, httpField = "HTTPS_PROXY", "HTTP_PROXY"
	}
	proxies := map[string]bool{}
	for _, p := range []struct{ field, value string }{
		{httpsField, cfg.HTTPSProxy},
		{httpField, cfg.HTTPProxy},
	} {
		if p.value == "" {
			continue
		}
		u, err := parseProxyURL(p.value)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p.field, err)
		}
		proxies[strings.ToLower(hostPort(u))] = true
	}
	return cfg, proxies, nil
}

func parseProxyURL(s string) (*url.URL, error) {
	raw := strings.TrimSpace(s)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL (give http://host:port)", redact(s))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not supported (give an http:// or https:// proxy)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host (give http://host:port)", u.Redacted())
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%q has a path; a proxy URL is scheme://host:port only", u.Redacted())
	}
	return u, nil
}

// redact hides the password of a string that may be a proxy URL but failed
// to parse as one.
func redact(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	start := strings.Index(s, "://")
	if start < 0 || start > at {
		start = 0
	} else {
		start += 3
	}
	return s[:start] + "xxxxx" + s[at:]
}

// hostPort returns u's host:port, with the scheme's default port when the
// URL names none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		default:
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// allowlist holds the permitted hosts: any port, or only the listed ports.
type allowlist map[string]map[string]bool

func parseAllow(entries []string) (allowlist, error) {
	a := allowlist{}
	for _, e := range entries {
		entry := strings.TrimSpace(e)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			return nil, fmt.Errorf("allow: %q: give a host or host:port, not a URL or path", e)
		}
		host, port := entry, ""
		if ip := net.ParseIP(strings.Trim(entry, "[]")); ip != nil {
			host = ip.String()
		} else if h, p, err := net.SplitHostPort(entry); err == nil {
			host, port = h, p
		} else if strings.Contains(entry, ":") {
			return nil, fmt.Errorf("allow: %q: give a host or host:port", e)
		}
		host = canonicalHost(host)
		if host == "" {
			return nil, fmt.Errorf("allow: %q: empty host", e)
		}
		ports, ok := a[host]
		if !ok {
			ports = map[string]bool{}
			a[host] = ports
		}
		if port == "" {
			ports["*"] = true
		} else {
			ports[port] = true
		}
	}
	return a, nil
}

func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return h
}

// permits reports whether host:port addr may be contacted.
func (a allowlist) permits(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ports := a[canonicalHost(host)]
	return ports["*"] || ports[port]
}
