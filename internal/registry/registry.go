// Package registry holds the clients for package registries — in practice
// a site's internal mirrors (Athens, Artifactory, Nexus, Verdaccio,
// devpi) — that the license and risk analyzers and remediation read
// package metadata from: the Go module proxy protocol, the npm registry,
// the PyPI simple API (PEP 691) and JSON API, the Maven repository layout,
// the crates.io sparse index, RubyGems and Packagist (Composer v2).
//
// Where each mirror is comes only from the operator (flags, environment,
// the server's or the user's configuration file, the native tools'
// explicit settings), never from a scanned repository, and never from a
// tool's built-in default. Every client goes through internal/netx (CA,
// proxy, an egress allowlist of the mirror's host alone), an on-disk cache
// revalidated with ETag / If-Modified-Since, a bound on requests in
// flight, on response size and on idle reads; a redirect off the mirror's
// host is refused.
package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/airlock-sec/airlock/internal/netx"
)

// Package is what a mirror says about a package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	// Versions are the versions the mirror lists, in its order.
	Versions []Version `json:"versions"`
	// Latest is the version the registry calls latest (npm's dist-tag,
	// Maven's release, the Go proxy's @latest); empty when it names none.
	Latest string `json:"latest,omitempty"`
	// Deprecated is a package-wide deprecation (Go's "// Deprecated:"
	// comment in the latest go.mod, Packagist's abandoned).
	Deprecated string `json:"deprecated,omitempty"`
	// Retract are the retract directives of a Go module's latest go.mod:
	// they also cover versions the proxy does not list (pseudo-versions).
	Retract []Retraction `json:"retract,omitempty"`
	// URL is the response the facts come from; Fetched when the mirror
	// sent or confirmed it; Stale when the mirror could not be reached and
	// a cached copy was used.
	URL     string    `json:"url"`
	Fetched time.Time `json:"fetched"`
	Stale   bool      `json:"stale,omitempty"`
}

// Version is one release of a package.
type Version struct {
	Version string `json:"version"`
	// Published is the release date, when the registry records one.
	Published time.Time `json:"published,omitzero"`
	// Yanked is set for a yanked (PyPI, crates.io) or retracted (Go)
	// version, with the reason when one is given.
	Yanked       bool   `json:"yanked,omitempty"`
	YankedReason string `json:"yanked_reason,omitempty"`
	// Deprecated is npm's per-version deprecation message.
	Deprecated string `json:"deprecated,omitempty"`
	// License is the declared license (SPDX expression or the
	// registry's text), when the registry records it per version.
	License string `json:"license,omitempty"`
	// Integrity is npm's dist.integrity (SRI).
	Integrity string `json:"integrity,omitempty"`
	// Checksum is the crates.io index's cksum: the SHA-256 of the .crate
	// file, in hex, as Cargo.lock records it.
	Checksum string `json:"checksum,omitempty"`
	// Prerelease is set where the registry says (RubyGems), else from the
	// version syntax by the caller.
	Prerelease bool `json:"prerelease,omitempty"`
}

// Find returns the version v, if listed.
func (p *Package) Find(v string) (Version, bool) {
	for _, x := range p.Versions {
		if x.Version == v {
			return x, true
		}
	}
	return Version{}, false
}

// License is a license found for one version of a package.
type License struct {
	// Declared is the license as the metadata declares it (an SPDX
	// expression, or names as a POM writes them, joined with " OR ").
	Declared string
	// Files are license files by name (a Go module zip's LICENSE, COPYING).
	Files map[string][]byte
	// URL is the response it came from.
	URL string
	// Stale is set when the mirror could not be reached and a cached copy
	// answered (an offline scan reads licenses from the cache).
	Stale bool
}

// Client reads a package's metadata from one ecosystem's mirror.
type Client interface {
	// Ecosystem is the OSV name of the client's ecosystem.
	Ecosystem() string
	// Package returns what the mirror has about the package; an error
	// matching ErrNotFound when it has nothing.
	Package(ctx context.Context, name string) (*Package, error)
}

// Licenser is a Client that finds licenses in per-version documents (a
// Maven POM and its parents, a Go module zip) rather than in Package.
type Licenser interface {
	License(ctx context.Context, name, version string) (*License, error)
}

// Set is the clients of every configured mirror, sharing a cache and a
// bound on requests in flight. Safe for concurrent use.
type Set struct {
	cfg     Config
	sem     chan struct{}
	clients map[string]Client
	stats   *counters
	now     func() time.Time
	// memo shares answers between the analyzers of a scan; Session gives
	// each scan its own, so a long-lived server keeps none.
	memo *memoTable
}

type memoTable struct {
	mu sync.Mutex
	m  map[Ref]*memo
}

// Session returns a view of the Set for one scan: the same clients,
// cache, bounds and counters, with its own table of answers shared by
// the scan's analyzers (dropped with the view). Nil for a nil Set.
func (s *Set) Session() *Set {
	if s == nil {
		return nil
	}
	c := *s
	c.memo = &memoTable{m: map[Ref]*memo{}}
	return &c
}

// New builds the clients of cfg's mirrors. A mirror's CA file is read
// here; a bad one is an error naming the ecosystem.
func New(cfg Config) (*Set, error) {
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.CacheDir == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(dir, "airlock", "registry")
		}
	}
	s := &Set{cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), clients: map[string]Client{}, now: time.Now,
		stats: &counters{}, memo: &memoTable{m: map[Ref]*memo{}}}
	for key, m := range cfg.Mirrors {
		if _, ok := keys[key]; !ok {
			return nil, fmt.Errorf("registry: unknown ecosystem %q", key)
		}
		f, err := s.fetcher(key, m)
		if err != nil {
			return nil, err
		}
		s.clients[key] = newClient(key, f)
	}
	return s, nil
}

func newClient(key string, f *fetcher) Client {
	switch key {
	case "go":
		return &GoProxy{f: f}
	case "npm":
		return &NPM{f: f}
	case "pypi":
		return &PyPI{f: f}
	case "maven":
		return &Maven{f: f}
	case "crates":
		return &Crates{f: f}
	case "rubygems":
		return &RubyGems{f: f}
	default:
		return &Packagist{f: f}
	}
}

// fetcher builds the HTTP side of one mirror.
func (s *Set) fetcher(key string, m Mirror) (*fetcher, error) {
	if err := checkURL(m.URL); err != nil {
		return nil, fmt.Errorf("registry %s (%s): %w", key, m.From, err)
	}
	base, _ := url.Parse(m.URL)
	nc := netx.Config{ProxyURL: m.Proxy, NoProxy: m.NoProxy, Allow: []string{base.Host},
		Timeouts: netx.Timeouts{ResponseHeader: s.cfg.IdleTimeout}}
	if base.Port() == "" {
		nc.Allow = []string{base.Hostname()}
	}
	if m.CAFile != "" {
		b, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("registry %s: ca_file: %w", key, err)
		}
		nc.CAPEM = b
	}
	hc, err := netx.NewClient(nc)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", key, err)
	}
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !strings.EqualFold(req.URL.Host, base.Host) {
			return fmt.Errorf("the mirror redirected to %s, off its host %s: refused", req.URL.Host, base.Host)
		}
		if len(via) >= 5 {
			return fmt.Errorf("more than 5 redirects")
		}
		return nil
	}
	return &fetcher{key: key, base: base, client: &c, mirror: m, set: s}, nil
}

// Client returns the client of an ecosystem (OSV spelling); an error
// matching ErrNoMirror, saying how to configure one, when there is none.
func (s *Set) Client(ecosystem string) (Client, error) {
	key := KeyOf(ecosystem)
	if key == "" {
		return nil, fmt.Errorf("%w: airlock has no client for %s registries", ErrNoMirror, ecosystem)
	}
	if s != nil {
		if c, ok := s.clients[key]; ok {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w for %s: give one with --registry %s=URL, %s or registries.mirrors.%s in the configuration file",
		ErrNoMirror, ecosystem, key, EnvVar(key), key)
}

// Mirror returns the mirror configured for an ecosystem.
func (s *Set) Mirror(ecosystem string) (Mirror, bool) {
	if s == nil {
		return Mirror{}, false
	}
	m, ok := s.cfg.Mirrors[KeyOf(ecosystem)]
	return m, ok
}

// Stats returns the traffic so far.
func (s *Set) Stats() Stats {
	return Stats{Requests: s.stats.Requests.Load(), NotModified: s.stats.NotModified.Load(), CacheHits: s.stats.CacheHits.Load()}
}
