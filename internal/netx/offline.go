package netx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
)

// Offline mode is a second, process-wide layer over each client's own
// allowlist: while it is on, a connection by any client built here goes
// only to a destination the permit function accepts — the GitLab
// instances, mirrors and data locations in the operator's configuration —
// whatever that client's own allowlist says. A refusal is a *DeniedError
// (Offline set) and is reported to the Observe function like any other.
// Git subprocesses are checked with CheckOffline before they start.

var offline atomic.Pointer[func(hostport string) bool]

// SetOffline turns offline mode on with permit deciding each destination
// ("host:port"), or off with nil.
func SetOffline(permit func(hostport string) bool) {
	if permit == nil {
		offline.Store(nil)
		return
	}
	offline.Store(&permit)
}

// IsOffline reports whether offline mode is on.
func IsOffline() bool { return offline.Load() != nil }

// offlineDenies reports whether offline mode refuses addr.
func offlineDenies(addr string) bool {
	p := offline.Load()
	return p != nil && !(*p)(addr)
}

// CheckOffline returns a *DeniedError when offline mode refuses the
// destination of rawURL (an http(s) URL, as git is given); nil otherwise.
// A refusal is reported to the Observe function.
func CheckOffline(rawURL string) error {
	if !IsOffline() {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("netx: %q is not a URL with a host", redact(rawURL))
	}
	dest := hostPort(u)
	if offlineDenies(dest) {
		observe(Dial{Network: "tcp", Addr: dest, Denied: true})
		return &DeniedError{Host: dest, Offline: true}
	}
	return nil
}

// Hosts is a set of destinations for SetOffline: "host" (any port),
// "host:port", or URLs (their host and port). It is safe for concurrent
// use once built.
type Hosts struct {
	allow allowlist
}

// NewHosts builds a set from host names, host:port pairs and URLs; an
// entry that is none of these is an error naming it.
func NewHosts(entries ...string) (*Hosts, error) {
	var plain []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "://") {
			u, err := url.Parse(e)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("offline destinations: %q is not a URL with a host", redact(e))
			}
			plain = append(plain, u.Host)
			continue
		}
		plain = append(plain, e)
	}
	a, err := parseAllow(plain)
	if err != nil {
		return nil, fmt.Errorf("offline destinations: %w", err)
	}
	return &Hosts{allow: a}, nil
}

// Permits reports whether the set holds addr ("host:port" or "host").
func (h *Hosts) Permits(addr string) bool {
	if h == nil {
		return false
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "0") // a bare host: only an any-port entry admits it
	}
	return h.allow.permits(addr)
}
