package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// mirror is a registry stand-in serving fixed documents by path, with
// ETags, and counting the requests it answers.
type mirror struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]string
	requests atomic.Int32
	accepts  []string
}

func newMirror(t *testing.T, docs map[string]string) *mirror {
	t.Helper()
	m := &mirror{docs: docs}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		m.mu.Lock()
		body, ok := m.docs[r.URL.EscapedPath()]
		m.accepts = append(m.accepts, r.Header.Get("Accept"))
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := `"` + etagOf(body) + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write([]byte(body))
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *mirror) set(path, body string) {
	m.mu.Lock()
	m.docs[path] = body
	m.mu.Unlock()
}

func etagOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newSet(t *testing.T, cfg Config) *Set {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func client(t *testing.T, key, u string, cfg Config) (Client, *Set) {
	t.Helper()
	cfg.Mirrors = map[string]Mirror{key: {URL: u, From: "test"}}
	s := newSet(t, cfg)
	c, err := s.Client(Ecosystem(key))
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func versions(p *Package) []string {
	var out []string
	for _, v := range p.Versions {
		out = append(out, v.Version)
	}
	return out
}

func TestPyPI(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/simple/requests/":          testdata(t, "pypi-simple.json"),
		"/pypi/requests/2.32.3/json": testdata(t, "pypi-json.json"),
	})
	c, _ := client(t, "pypi", m.URL+"/simple", Config{})
	p, err := c.Package(context.Background(), "Requests")
	if err != nil {
		t.Fatal(err)
	}
	if m.accepts[0] != simpleAccept {
		t.Errorf("Accept %q, want %q", m.accepts[0], simpleAccept)
	}
	v, _ := p.Find("2.32.0")
	if !v.Yanked || v.YankedReason != "Yanked due to conflicts with CVE-2024-35195 mitigation" {
		t.Errorf("2.32.0: %+v, want yanked with its reason", v)
	}
	if v, _ := p.Find("2.32.3"); v.Yanked || v.Published.Format(time.DateOnly) != "2024-05-29" {
		t.Errorf("2.32.3: %+v", v)
	}
	if v, _ := p.Find("2.19.0"); v.Published.Format(time.RFC3339) != "2018-06-12T14:46:00Z" {
		t.Errorf("2.19.0 published %v, want its first upload", v.Published)
	}
	l, err := c.(Licenser).License(context.Background(), "requests", "2.32.3")
	if err != nil || l.Declared != "Apache-2.0" {
		t.Errorf("License = %+v, %v", l, err)
	}
	if _, err := c.(Licenser).License(context.Background(), "requests", "1.0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("License of a version the mirror lacks: %v, want ErrNotFound", err)
	}
}

func TestMaven(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/repo/org/apache/logging/log4j/log4j-core/maven-metadata.xml":           testdata(t, "maven-metadata.xml"),
		"/repo/org/apache/logging/log4j/log4j-core/2.14.1/log4j-core-2.14.1.pom": testdata(t, "maven-pom-child.xml"),
		"/repo/org/apache/logging/log4j/log4j/2.14.1/log4j-2.14.1.pom":           testdata(t, "maven-pom-parent.xml"),
	})
	c, _ := client(t, "maven", m.URL+"/repo/", Config{})
	p, err := c.Package(context.Background(), "org.apache.logging.log4j:log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	if p.Latest != "2.24.3" || len(p.Versions) != 4 {
		t.Errorf("latest %q, versions %v", p.Latest, versions(p))
	}
	if v, _ := p.Find("2.24.3"); v.Published.Format(time.DateOnly) != "2024-12-13" {
		t.Errorf("release date %v, want lastUpdated", v.Published)
	}
	l, err := c.(Licenser).License(context.Background(), "org.apache.logging.log4j:log4j-core", "2.14.1")
	if err != nil || l.Declared != "Apache License, Version 2.0" || !strings.HasSuffix(l.URL, "log4j-2.14.1.pom") {
		t.Errorf("License from the parent POM = %+v, %v", l, err)
	}
	if _, err := c.Package(context.Background(), "no-colon"); err == nil {
		t.Error("a name without groupId is accepted")
	}
}

func TestCrates(t *testing.T) {
	m := newMirror(t, map[string]string{"/ti/me/time": testdata(t, "crates-index"), "/3/s/syn": `{"name":"syn","vers":"1.0.0","yanked":false}`})
	c, _ := client(t, "crates", m.URL, Config{})
	p, err := c.Package(context.Background(), "time")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Find("0.2.22"); !v.Yanked {
		t.Errorf("0.2.22 not yanked: %+v", p.Versions)
	}
	if p.Latest != "0.3.36" {
		t.Errorf("latest %q, want 0.3.36 (not the prerelease)", p.Latest)
	}
	if _, err := c.Package(context.Background(), "syn"); err != nil {
		t.Error(err)
	}
	for name, want := range map[string]string{"a": "1/a", "ab": "2/ab", "abc": "3/a/abc", "Serde": "se/rd/serde"} {
		if got, _ := IndexPath(name); got != want {
			t.Errorf("IndexPath(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestRubyGems(t *testing.T) {
	m := newMirror(t, map[string]string{"/api/v1/versions/rails.json": testdata(t, "rubygems-versions.json")})
	c, _ := client(t, "rubygems", m.URL, Config{})
	p, err := c.Package(context.Background(), "rails")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"8.0.1", "8.0.0.rc1", "5.2.3"}, versions(p)); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if p.Latest != "8.0.1" || p.Versions[0].License != "MIT" {
		t.Errorf("latest %q, license %q", p.Latest, p.Versions[0].License)
	}
}

func TestPackagist(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/p2/monolog/monolog.json":         testdata(t, "packagist-p2.json"),
		"/p2/swiftmailer/swiftmailer.json": testdata(t, "packagist-abandoned.json"),
	})
	c, _ := client(t, "packagist", m.URL, Config{})
	p, err := c.Package(context.Background(), "monolog/monolog")
	if err != nil {
		t.Fatal(err)
	}
	// Minified: 2.10.0 inherits MIT from 3.8.1; 1.27.1 gives its own.
	got := map[string]string{}
	for _, v := range p.Versions {
		got[v.Version] = v.License
	}
	if diff := cmp.Diff(map[string]string{"3.8.1": "MIT", "2.10.0": "MIT", "1.27.1": "(MIT OR GPL-2.0-only)"}, got); diff != "" {
		t.Errorf("licenses (-want +got):\n%s", diff)
	}
	a, err := c.Package(context.Background(), "swiftmailer/swiftmailer")
	if err != nil || a.Deprecated != "abandoned; use symfony/mailer instead" {
		t.Errorf("abandoned package: %+v, %v", a, err)
	}
}

func TestGoProxyStandIn(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/example.com/old/@v/list":        testdata(t, "go-list.txt"),
		"/example.com/old/@v/v1.2.0.info": `{"Version":"v1.2.0","Time":"2021-03-04T05:06:07Z"}`,
		"/example.com/old/@v/v1.2.0.mod":  testdata(t, "go-retract.mod"),
	})
	c, _ := client(t, "go", m.URL, Config{})
	p, err := c.Package(context.Background(), "example.com/old")
	if err != nil {
		t.Fatal(err)
	}
	if p.Latest != "v1.2.0" || p.Deprecated != "use example.com/new instead." {
		t.Errorf("latest %q deprecated %q", p.Latest, p.Deprecated)
	}
	yanked := map[string]string{}
	for _, v := range p.Versions {
		if v.Yanked {
			yanked[v.Version] = v.YankedReason
		}
	}
	want := map[string]string{"v1.0.1": "Published with a bug that deletes data.", "v1.1.0": "retracted by the module's author", "v1.1.2": "retracted by the module's author"}
	if diff := cmp.Diff(want, yanked); diff != "" {
		t.Errorf("retracted (-want +got):\n%s", diff)
	}
}

// TestGoRequires: a version's requirements come from its .mod, cached
// apart from the deprecation and retractions read from the same URL.
func TestGoRequires(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/example.com/old/@v/list":        "v1.2.0\n",
		"/example.com/old/@v/v1.2.0.info": `{"Version":"v1.2.0","Time":"2021-03-04T05:06:07Z"}`,
		"/example.com/old/@v/v1.2.0.mod":  "module example.com/old\n\nrequire (\n\tgolang.org/x/net v0.23.0\n\texample.com/!upper v1.0.0 // indirect\n)\n",
	})
	c, _ := client(t, "go", m.URL, Config{})
	ctx := context.Background()
	if _, err := c.Package(ctx, "example.com/old"); err != nil {
		t.Fatal(err)
	}
	reqs, err := c.(*GoProxy).Requires(ctx, "example.com/old", "v1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	want := []Requirement{{"golang.org/x/net", "v0.23.0"}, {"example.com/!upper", "v1.0.0"}}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("requires (-want +got):\n%s", diff)
	}
	if _, err := c.(*GoProxy).Requires(ctx, "example.com/old", "v9.9.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing version: %v, want ErrNotFound", err)
	}
}

// TestCacheRevalidation: a fresh copy is served without a request; a
// stale one is revalidated with If-None-Match (304 keeps the copy); a dead
// mirror leaves the stale copy marked as such.
func TestCacheRevalidation(t *testing.T) {
	m := newMirror(t, map[string]string{"/api/v1/versions/rails.json": testdata(t, "rubygems-versions.json")})
	c, s := client(t, "rubygems", m.URL, Config{CacheTTL: time.Hour})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := c.Package(ctx, "rails"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Package(ctx, "rails"); err != nil {
		t.Fatal(err)
	}
	if got := m.requests.Load(); got != 1 {
		t.Fatalf("%d requests, want 1 (the second from the cache)", got)
	}
	now = now.Add(2 * time.Hour)
	if _, err := c.Package(ctx, "rails"); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Requests != 2 || st.NotModified != 1 || st.CacheHits != 1 {
		t.Fatalf("stats %+v, want 2 requests, one answered 304, one cache hit", st)
	}
	m.set("/api/v1/versions/rails.json", `[{"number":"9.0.0","created_at":"2026-01-01T00:00:00Z","licenses":["MIT"]}]`)
	now = now.Add(2 * time.Hour)
	p, err := c.Package(ctx, "rails")
	if err != nil || p.Latest != "9.0.0" {
		t.Fatalf("changed document: %+v, %v", p, err)
	}
	m.Close()
	now = now.Add(2 * time.Hour)
	p, err = c.Package(ctx, "rails")
	if err != nil || !p.Stale || p.Latest != "9.0.0" {
		t.Fatalf("dead mirror: %+v, %v; want the cached copy, stale", p, err)
	}
}

func TestFailures(t *testing.T) {
	ctx := context.Background()
	big := strings.Repeat("x", 2<<10)
	var other *httptest.Server
	other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
	defer other.Close()
	stall := make(chan struct{})
	defer close(stall)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/versions/big.json":
			w.Write([]byte(big))
		case "/api/v1/versions/redirect.json":
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound)
		case "/api/v1/versions/bad.json":
			w.Write([]byte(`{"not":"a list"}`))
		case "/api/v1/versions/slow.json":
			w.Write([]byte("["))
			w.(http.Flusher).Flush()
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		case "/api/v1/versions/error.json":
			http.Error(w, "boom", http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := client(t, "rubygems", srv.URL, Config{MaxResponse: 1 << 10})
	// Only the stalling response gets a short idle timeout: under load the
	// others may take longer than that to answer.
	slow, _ := client(t, "rubygems", srv.URL, Config{IdleTimeout: 200 * time.Millisecond})
	for name, want := range map[string]string{
		"big":      "more than the 1024",
		"redirect": "off its host",
		"bad":      "malformed response",
		"slow":     "stalled for 200ms",
		"error":    "502",
		"missing":  ErrNotFound.Error(),
	} {
		cl := c
		if name == "slow" {
			cl = slow
		}
		_, err := cl.Package(ctx, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, want)
		}
	}
	// A dead mirror: connection refused.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, _ = client(t, "rubygems", "http://"+addr, Config{})
	if _, err := c.Package(ctx, "rails"); err == nil {
		t.Error("a dead mirror gave no error")
	}
}

// TestInFlightBound: no more requests run at once than MaxInFlight.
func TestInFlightBound(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		w.Write([]byte(`[{"number":"1.0.0","created_at":"2020-01-01T00:00:00Z"}]`))
	}))
	defer srv.Close()
	c, _ := client(t, "rubygems", srv.URL, Config{MaxInFlight: 3})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Package(context.Background(), "gem"+string(rune('a'+i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 {
		t.Errorf("peak %d requests in flight, want at most 3", p)
	}
}

func TestNoMirror(t *testing.T) {
	s := newSet(t, Config{})
	_, err := s.Client("npm")
	if !errors.Is(err, ErrNoMirror) || !strings.Contains(err.Error(), "--registry npm=URL") {
		t.Errorf("err = %v", err)
	}
}

func TestNPMStandIn(t *testing.T) {
	m := newMirror(t, map[string]string{"/request": testdata(t, "npm-deprecated.json"), "/@scope%2Fpkg": `{"name":"@scope/pkg","versions":{}}`})
	c, _ := client(t, "npm", m.URL, Config{})
	p, err := c.Package(context.Background(), "request")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := p.Find("2.88.2")
	if !strings.Contains(v.Deprecated, "request has been deprecated") || v.License != "(MIT OR Apache-2.0)" || v.Published.Year() != 2020 {
		t.Errorf("2.88.2: %+v", v)
	}
	if _, err := c.Package(context.Background(), "@scope/pkg"); err != nil {
		t.Errorf("scoped name: %v", err)
	}
}

// TestBreaker: a mirror that stops answering costs three idle timeouts,
// not one per package; it is asked again after a pause.
func TestBreaker(t *testing.T) {
	var hits atomic.Int32
	answer := atomic.Bool{}
	stall := make(chan struct{})
	defer close(stall)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if answer.Load() {
			w.Write([]byte(`[{"number":"1.0.0","created_at":"2020-01-01T00:00:00Z"}]`))
			return
		}
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c, s := client(t, "rubygems", srv.URL, Config{IdleTimeout: 100 * time.Millisecond})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	var last error
	for i := range 10 {
		_, last = c.Package(context.Background(), fmt.Sprintf("gem%d", i))
		if last == nil {
			t.Fatal("a stalled mirror answered")
		}
	}
	if n := hits.Load(); n != breakerFailures {
		t.Errorf("%d requests reached the stalled mirror, want %d", n, breakerFailures)
	}
	if !strings.Contains(last.Error(), "taken for down after 3 requests without an answer") {
		t.Errorf("last error: %v", last)
	}
	answer.Store(true)
	now = now.Add(breakerPause + time.Second)
	if _, err := c.Package(context.Background(), "gem0"); err != nil {
		t.Errorf("after the pause: %v", err)
	}
}

// TestSessions: within one session the analyzers share an answer; each
// scan's session starts without them (a server keeps none), and reads
// the disk cache instead.
func TestSessions(t *testing.T) {
	m := newMirror(t, map[string]string{"/api/v1/versions/rails.json": testdata(t, "rubygems-versions.json")})
	_, s := client(t, "rubygems", m.URL, Config{})
	ref := Ref{Ecosystem: "RubyGems", Name: "rails"}
	a := s.Session()
	for range 3 {
		if r := a.Package(context.Background(), ref); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if st := s.Stats(); st.Requests != 1 || st.CacheHits != 0 {
		t.Fatalf("one session: %+v, want one request and no cache reads", st)
	}
	if r := s.Session().Package(context.Background(), ref); r.Err != nil {
		t.Fatal(r.Err)
	}
	if st := s.Stats(); st.Requests != 1 || st.CacheHits != 1 {
		t.Errorf("a second session: %+v, want its answer from the disk cache", st)
	}
}

// TestNPMDependencies: each version's dependencies come from the
// abbreviated packument, asked for by its media type and cached apart
// from the full packument of the same URL.
func TestNPMDependencies(t *testing.T) {
	m := newMirror(t, map[string]string{"/parent": testdata(t, "npm-corgi-parent.json")})
	c, _ := client(t, "npm", m.URL, Config{})
	ctx := context.Background()
	deps, err := c.(*NPM).Dependencies(ctx, "parent")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{"2.0.0": {"deep": "^1.0.0"}, "2.1.0": {"deep": "^1.2.0", "other": "~3.1.0"}, "2.2.0": {}}
	if diff := cmp.Diff(want, deps); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(m.accepts[0], "application/vnd.npm.install-v1+json") {
		t.Errorf("Accept %q, want the abbreviated packument", m.accepts[0])
	}
	if _, err := c.Package(ctx, "parent"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.(*NPM).Dependencies(ctx, "parent"); err != nil {
		t.Fatal(err)
	}
	if n := m.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (one per reading, the second Dependencies from the cache)", n)
	}
	if _, err := ParseDependencies([]byte(`{"name":"x","versions":{"1.0.0":{"dependencies":{"y":1}}}}`)); err == nil || !strings.Contains(err.Error(), `dependencies["y"]`) {
		t.Errorf("a range that is not a string: %v", err)
	}
	if _, err := c.(*NPM).Dependencies(ctx, "absent"); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent package: %v, want ErrNotFound", err)
	}
}

// TestPyPIHashes: a version's sha256 hashes from the PEP 691 page, one
// per file, files without one skipped; a version without files is
// ErrNotFound; a malformed digest is a clear error.
func TestPyPIHashes(t *testing.T) {
	m := newMirror(t, map[string]string{
		"/simple/jinja2/": testdata(t, "pypi-simple-hashes.json"),
		"/simple/bad/":    `{"meta":{"api-version":"1.0"},"name":"bad","files":[{"filename":"bad-1.0.tar.gz","hashes":{"sha256":"zz"}}]}`,
	})
	c, _ := client(t, "pypi", m.URL+"/simple", Config{})
	ctx := context.Background()
	hs, err := c.(*PyPI).Hashes(ctx, "Jinja2", "3.1.4")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d", "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"}
	if diff := cmp.Diff(want, hs); diff != "" {
		t.Errorf("hashes (-want +got):\n%s", diff)
	}
	if m.accepts[0] != simpleAccept {
		t.Errorf("Accept %q", m.accepts[0])
	}
	if _, err := c.(*PyPI).Hashes(ctx, "jinja2", "9.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent version: %v", err)
	}
	if _, err := c.(*PyPI).Hashes(ctx, "bad", "1.0"); err == nil || !strings.Contains(err.Error(), `files[0].hashes.sha256: "zz"`) {
		t.Errorf("malformed digest: %v", err)
	}
}
