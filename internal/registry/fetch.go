package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-sec/airlock/internal/netx"
)

// ErrNotFound is matched by the error of a request for something the
// mirror does not have (404, 410).
var ErrNotFound = errors.New("not found on the mirror")

// errTooLarge marks a response over the size bound: an answer, not a
// mirror that is down.
var errTooLarge = errors.New("too large")

// ErrNoMirror is matched by the error of Set.Client for an ecosystem
// without a configured mirror.
var ErrNoMirror = errors.New("no mirror configured")

// Response is one document from a mirror, as its parser kept it.
type Response struct {
	// Body is the parser's trimmed form of the response.
	Body []byte
	// URL is the address it came from.
	URL string
	// Fetched is when the mirror last sent or confirmed it.
	Fetched time.Time
	// Stale is set when the mirror could not be reached and an older
	// cached copy was used; Err says why.
	Stale bool
	Err   error
}

// Stats counts a Set's traffic.
type Stats struct {
	// Requests are the HTTP requests sent (revalidations included);
	// NotModified those answered 304; CacheHits the documents served
	// from the cache without asking the mirror.
	Requests, NotModified, CacheHits int64
}

// fetcher gets documents from one mirror through the Set's cache.
type fetcher struct {
	key    string
	base   *url.URL
	client *http.Client
	mirror Mirror
	set    *Set

	// The breaker: after breakerFailures requests in a row that got no
	// answer, the mirror is taken for down for breakerPause, and requests
	// fail at once (or use the cache) instead of each waiting for the idle
	// timeout: a slow mirror must not make a scan of 1,000 packages wait
	// an hour.
	mu        sync.Mutex
	failures  int
	downUntil time.Time
	downErr   error
}

const (
	breakerFailures = 3
	breakerPause    = time.Minute
)

// down returns the error to fail with while the mirror is taken for down.
func (f *fetcher) down() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.set.now().Before(f.downUntil) {
		return fmt.Errorf("the %s mirror is taken for down after %d requests without an answer (the last: %w)", f.key, breakerFailures, f.downErr)
	}
	return nil
}

// record notes whether a request got an answer.
func (f *fetcher) record(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.failures = 0
		return
	}
	f.failures++
	if f.failures >= breakerFailures {
		f.downUntil, f.downErr = f.set.now().Add(breakerPause), err
	}
}

// cacheMeta is the first line of a cache file.
type cacheMeta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Fetched      time.Time `json:"fetched"`
	Missing      bool      `json:"missing,omitempty"`
}

// cacheFormat names the form of cached bodies; a new form starts a new
// cache rather than misreading the old one.
const cacheFormat = "3"

// trimFunc parses a response body and returns what the cache keeps; an
// error is a malformed response, which is never cached.
type trimFunc func(body []byte) ([]byte, error)

// resolve returns the absolute URL of a path below the mirror's base.
func (f *fetcher) resolve(rel string) string {
	return strings.TrimSuffix(f.base.String(), "/") + "/" + strings.TrimPrefix(rel, "/")
}

// get returns the document at rel, from the cache while it is fresh,
// else from the mirror (revalidating a cached copy).
func (f *fetcher) get(ctx context.Context, rel, accept string, trim trimFunc) (*Response, error) {
	return f.getURL(ctx, f.resolve(rel), accept, trim)
}

// getAs is get for a second reading of a document: variant names the
// trim, so that each reading has its own cache entry.
func (f *fetcher) getAs(ctx context.Context, rel, accept, variant string, trim trimFunc) (*Response, error) {
	return f.getCached(ctx, f.resolve(rel), accept, "\x00"+variant, trim)
}

// getURL is get for an absolute URL on the mirror's host.
func (f *fetcher) getURL(ctx context.Context, u, accept string, trim trimFunc) (*Response, error) {
	return f.getCached(ctx, u, accept, "", trim)
}

// getCached is getURL with a cache entry named by the URL, accept and
// variant.
func (f *fetcher) getCached(ctx context.Context, u, accept, variant string, trim trimFunc) (*Response, error) {
	cfile := f.set.cachePath(f.key, cacheFormat+"\x00"+u+"\x00"+accept+variant)
	meta, body, cached := readCache(cfile)
	now := f.set.now()
	if cached && now.Sub(meta.Fetched) < f.set.cfg.CacheTTL {
		f.set.stats.CacheHits.Add(1)
		if meta.Missing {
			return nil, fmt.Errorf("%s: %w", u, ErrNotFound)
		}
		return &Response{Body: body, URL: u, Fetched: meta.Fetched}, nil
	}
	raw, status, hdr, err := f.fetch(ctx, u, accept, meta, cached)
	if ctx.Err() == nil {
		switch {
		case err != nil && !errors.Is(err, errTooLarge):
			f.record(err)
		case err == nil && status >= 500:
			f.record(fmt.Errorf("%s: %d %s", u, status, http.StatusText(status)))
		default:
			f.record(nil)
		}
	}
	if err != nil {
		if cached && !meta.Missing && ctx.Err() == nil {
			return &Response{Body: body, URL: u, Fetched: meta.Fetched, Stale: true, Err: err}, nil
		}
		return nil, err
	}
	switch {
	case status == http.StatusNotModified && cached:
		f.set.stats.NotModified.Add(1)
		meta.Fetched = now
		writeCache(cfile, meta, body)
		if meta.Missing {
			return nil, fmt.Errorf("%s: %w", u, ErrNotFound)
		}
		return &Response{Body: body, URL: u, Fetched: now}, nil
	case status == http.StatusNotFound || status == http.StatusGone:
		writeCache(cfile, cacheMeta{URL: u, Fetched: now, Missing: true}, nil)
		return nil, fmt.Errorf("%s: %w", u, ErrNotFound)
	case status != http.StatusOK:
		return nil, fmt.Errorf("%s: the mirror answered %d %s", u, status, http.StatusText(status))
	}
	kept, err := trim(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: malformed response: %w", u, err)
	}
	writeCache(cfile, cacheMeta{URL: u, ETag: hdr.Get("ETag"), LastModified: hdr.Get("Last-Modified"), Fetched: now}, kept)
	return &Response{Body: kept, URL: u, Fetched: now}, nil
}

// fetch sends one request, within the Set's bound on requests in flight,
// and reads the body within the bounds of size and idle time.
func (f *fetcher) fetch(ctx context.Context, u, accept string, meta cacheMeta, cached bool) ([]byte, int, http.Header, error) {
	if err := f.down(); err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", u, err)
	}
	select {
	case f.set.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, nil, ctx.Err()
	}
	defer func() { <-f.set.sem }()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("registry: %w", err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("User-Agent", "airlock")
	if cached {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	switch {
	case f.mirror.Token != "":
		req.Header.Set("Authorization", "Bearer "+f.mirror.Token)
	case f.mirror.Username != "" || f.mirror.Password != "":
		req.SetBasicAuth(f.mirror.Username, f.mirror.Password)
	}
	f.set.stats.Requests.Add(1)
	idle := f.set.cfg.IdleTimeout
	timer := time.AfterFunc(idle, cancel)
	defer timer.Stop()
	resp, err := f.client.Do(req)
	if err != nil {
		if !timer.Stop() && ctx.Err() == nil {
			return nil, 0, nil, fmt.Errorf("%s: no answer for %s", u, idle)
		}
		if hint, ok := netx.Explain(err); ok {
			return nil, 0, nil, fmt.Errorf("%s: %w (%s)", u, err, hint)
		}
		return nil, 0, nil, fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, resp.Header, nil
	}
	limit := f.set.cfg.MaxResponse
	if resp.ContentLength > limit {
		return nil, 0, nil, fmt.Errorf("%s: the response is %d bytes, more than the %d allowed (registries.max_response): %w", u, resp.ContentLength, limit, errTooLarge)
	}
	var buf bytes.Buffer
	chunk := make([]byte, 64<<10)
	for {
		timer.Reset(idle)
		n, err := resp.Body.Read(chunk)
		buf.Write(chunk[:n])
		if int64(buf.Len()) > limit {
			return nil, 0, nil, fmt.Errorf("%s: the response is more than the %d bytes allowed (registries.max_response): %w", u, limit, errTooLarge)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if rctx.Err() != nil && ctx.Err() == nil {
				return nil, 0, nil, fmt.Errorf("%s: the response stalled for %s", u, idle)
			}
			return nil, 0, nil, fmt.Errorf("%s: %w", u, err)
		}
	}
	return buf.Bytes(), resp.StatusCode, resp.Header, nil
}

// cachePath names the cache file of a request.
func (s *Set) cachePath(key, id string) string {
	if s.cfg.CacheDir == "" {
		return ""
	}
	h := sha256.Sum256([]byte(id))
	name := hex.EncodeToString(h[:])
	return filepath.Join(s.cfg.CacheDir, key, name[:2], name[2:])
}

// readCache reads a cache file: a line of metadata, then the body.
func readCache(file string) (cacheMeta, []byte, bool) {
	var m cacheMeta
	if file == "" {
		return m, nil, false
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return m, nil, false
	}
	line, body, ok := bytes.Cut(b, []byte{'\n'})
	if !ok || json.Unmarshal(line, &m) != nil || m.Fetched.IsZero() {
		return m, nil, false
	}
	return m, body, true
}

// writeCache replaces a cache file atomically; a cache that cannot be
// written costs requests, never a result.
func writeCache(file string, m cacheMeta, body []byte) {
	if file == "" {
		return
	}
	line, err := json.Marshal(m)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp*")
	if err != nil {
		return
	}
	_, err = tmp.Write(append(append(line, '\n'), body...))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
	}
}

// counters are Stats kept atomically.
type counters struct {
	Requests, NotModified, CacheHits atomic.Int64
}
