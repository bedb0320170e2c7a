package netx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
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
	return p != nil && !(*p)(addr) && !candidate(addr)
}

// candidates are destinations an operator is configuring right now (the
// GitLab instance of an integration being tested before it is saved),
// with how many requests hold each.
var candidates = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// PermitCandidate lets offline mode reach the host of rawURL (an http(s)
// URL) until the returned function is called: Test Connection and the
// OAuth code exchange of an integration that is not saved yet, which an
// administrator's request names. Once saved, the integration's instance
// is a configured destination like the others.
func PermitCandidate(rawURL string) (release func(), err error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return func() {}, fmt.Errorf("netx: %q is not a URL with a host", redact(rawURL))
	}
	dest := strings.ToLower(hostPort(u))
	candidates.Lock()
	candidates.n[dest]++
	candidates.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			candidates.Lock()
			if candidates.n[dest]--; candidates.n[dest] <= 0 {
				delete(candidates.n, dest)
			}
			candidates.Unlock()
		})
	}, nil
}

// configGen counts changes to the configured destinations.
var configGen atomic.Int64

// ConfigChanged says the configured destinations changed (an integration
// was created or its URL edited): offline mode's permit function reads
// them again at its next miss instead of waiting for its own interval.
func ConfigChanged() { configGen.Add(1) }

// ConfigGeneration is the count of ConfigChanged calls.
func ConfigGeneration() int64 { return configGen.Load() }

func candidate(addr string) bool {
	candidates.Lock()
	defer candidates.Unlock()
	return candidates.n[strings.ToLower(addr)] > 0
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
