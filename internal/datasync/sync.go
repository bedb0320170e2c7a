// Package datasync fetches vulnerability data from a site's own internal
// HTTP location — signed bundles or OSV all.zip files that someone placed
// there — and imports it exactly as a file carried in on media would be:
// a bundle is verified against the trusted keys first, an archive goes
// through the same validation as 'airlock db import'. Requests are
// conditional (ETag, Last-Modified), so an unchanged file is neither
// downloaded nor imported again.
package datasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// MaxFileSize bounds one download.
const MaxFileSize = 4 << 30

// Options configure a sync.
type Options struct {
	// Keys verify bundles; nil refuses them.
	Keys *bundle.Keyring
	// CAPEM, ProxyURL and NoProxy reach the location (see netx.Config); with
	// FromEnvironment the proxy comes from HTTPS_PROXY/NO_PROXY instead.
	CAPEM           []byte
	ProxyURL        string
	NoProxy         string
	FromEnvironment bool
	// IdleTimeout aborts a download that receives nothing for this long
	// (default 1 minute); there is no bound on the whole download.
	IdleTimeout time.Duration
	// AllowDowngrade applies an older bundle (see bundle.ApplyOptions).
	AllowDowngrade bool
	// StateFile keeps the validators of the last fetch of each URL; empty:
	// beside the database (DB.sync.json).
	StateFile string
	// Applied, when set, is told of every bundle the sync applied or found
	// already applied, with its downloaded file, before the file is
	// removed: the server keeps it there for its workers. An error fails
	// the URL's sync (the bundle stays applied).
	Applied func(ctx context.Context, b *bundle.Bundle, file string) error
}

// Status says what a sync did with one URL.
type Status string

// Statuses.
const (
	Imported  Status = "imported"
	Unchanged Status = "unchanged"
)

// Result is what a sync did with one URL.
type Result struct {
	URL    string `json:"url"`
	Status Status `json:"status"`
	// Bundle is the imported bundle's id, for a bundle.
	Bundle  string              `json:"bundle,omitempty"`
	Reports []vulndb.FileReport `json:"reports,omitempty"`
	Bytes   int64               `json:"bytes"`
}

type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Host returns the host of a location a sync can fetch: an http(s) URL
// with a host; ok is false for anything else.
func Host(raw string) (host string, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	return u.Host, true
}

// newClient is a client that reaches the hosts of urls only, and follows
// a redirect only to one of them.
func newClient(urls []string, o Options) (*http.Client, error) {
	var hosts []string
	for _, raw := range urls {
		host, ok := Host(raw)
		if !ok {
			return nil, fmt.Errorf("sync: %q is not an http(s) URL", raw)
		}
		hosts = append(hosts, host)
	}
	client, err := netx.NewClient(netx.Config{CAPEM: o.CAPEM, ProxyURL: o.ProxyURL, NoProxy: o.NoProxy, FromEnvironment: o.FromEnvironment, Allow: hosts})
	if err != nil {
		return nil, err
	}
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		for _, h := range hosts {
			if strings.EqualFold(req.URL.Host, h) {
				return nil
			}
		}
		return fmt.Errorf("redirect to %s, which is not a host given to sync", req.URL.Host)
	}
	return client, nil
}

// Download fetches each URL into dir as Sync does (the last segments of
// the URL's path kept, so an OSV archive gets the origin a carried-in copy
// would; at most MaxFileSize; aborted when nothing arrives for the idle
// timeout) and returns the local paths, in order: 'airlock db bundle' on a
// connected machine packs them.
func Download(ctx context.Context, urls []string, dir string, o Options) ([]string, error) {
	client, err := newClient(urls, o)
	if err != nil {
		return nil, err
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Minute
	}
	var out []string
	for i, raw := range urls {
		local, _, err := func() (string, int64, error) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			resp, err := fetch(ctx, client, raw, validators{})
			if err != nil {
				return "", 0, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return "", 0, fmt.Errorf("the server answered %s", resp.Status)
			}
			// Each URL in a directory of its own: two all.zip of one
			// ecosystem from different places must not collide.
			return save(ctx, cancel, resp, filepath.Join(dir, strconv.Itoa(i)), o.IdleTimeout)
		}()
		if err != nil {
			return out, fmt.Errorf("download %s: %w", raw, err)
		}
		out = append(out, local)
	}
	return out, nil
}

// fetch GETs raw, conditionally when prev holds validators; a transport
// failure says what to do about it where netx knows.
func fetch(ctx context.Context, client *http.Client, raw string, prev validators) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		if hint, ok := netx.Explain(err); ok {
			return nil, fmt.Errorf("%v (%s)", err, hint)
		}
		return nil, err
	}
	return resp, nil
}

// save writes a response's body under work, at the last segments of the
// URL's path, bounded in size and aborted when idle.
func save(ctx context.Context, cancel context.CancelFunc, resp *http.Response, work string, idle time.Duration) (string, int64, error) {
	if resp.ContentLength > MaxFileSize {
		return "", 0, fmt.Errorf("%d bytes, over the %d-byte limit", resp.ContentLength, int64(MaxFileSize))
	}
	// The file keeps the last segments of the URL's path, so that an
	// archive gets the origin a carried-in copy would
	// (https://mirror/osv/PyPI/all.zip -> osv/PyPI/all.zip).
	segs := strings.Split(strings.Trim(path.Clean(resp.Request.URL.Path), "/"), "/")
	if len(segs) > 3 {
		segs = segs[len(segs)-3:]
	}
	if len(segs) == 2 {
		// ECOSYSTEM/all.zip at the root, as OSV's own bucket lays them
		// out: named osv/ECOSYSTEM/all.zip, as the carried-in copy would
		// be, not after the temporary directory (a new origin each time).
		segs = append([]string{"osv"}, segs...)
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", 0, errors.New("the URL has no file name")
		}
	}
	local := filepath.Join(append([]string{work}, segs...)...)
	if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
		return "", 0, err
	}
	f, err := os.Create(local)
	if err != nil {
		return "", 0, err
	}
	n, err := copyIdle(ctx, cancel, f, resp.Body, idle)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return "", n, fmt.Errorf("download: %v", err)
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		return "", n, fmt.Errorf("download cut short: %d of %d bytes", n, resp.ContentLength)
	}
	return local, n, nil
}

// Sync fetches every URL and imports what changed. URLs are handled one by
// one; the first failure stops the sync, with what came before imported.
func Sync(ctx context.Context, db *vulndb.DB, urls []string, o Options) ([]Result, error) {
	if len(urls) == 0 {
		return nil, errors.New("sync: no URL given")
	}
	client, err := newClient(urls, o)
	if err != nil {
		return nil, err
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = time.Minute
	}
	stateFile := o.StateFile
	if stateFile == "" {
		stateFile = db.Path() + ".sync.json"
	}
	state := map[string]validators{}
	if b, err := os.ReadFile(stateFile); err == nil {
		if err := json.Unmarshal(b, &state); err != nil {
			return nil, fmt.Errorf("sync: state file %s: %v (remove it to fetch everything again)", stateFile, err)
		}
	}
	var out []Result
	for _, raw := range urls {
		r, v, err := syncOne(ctx, client, db, raw, state[raw], o)
		if err != nil {
			return out, err
		}
		state[raw] = v
		out = append(out, *r)
		b, _ := json.MarshalIndent(state, "", "  ")
		if err := os.WriteFile(stateFile, b, 0o600); err != nil {
			return out, fmt.Errorf("sync: state file: %w", err)
		}
	}
	return out, nil
}

func syncOne(ctx context.Context, client *http.Client, db *vulndb.DB, raw string, prev validators, o Options) (*Result, validators, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("sync %s: %s", raw, fmt.Sprintf(format, a...))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := fetch(ctx, client, raw, prev)
	if err != nil {
		return nil, prev, fail("%v", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return &Result{URL: raw, Status: Unchanged}, prev, nil
	case resp.StatusCode != http.StatusOK:
		return nil, prev, fail("the server answered %s", resp.Status)
	}
	next := validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}

	work, err := os.MkdirTemp(filepath.Dir(db.Path()), ".airlock-sync-*")
	if err != nil {
		return nil, prev, fail("%v", err)
	}
	defer os.RemoveAll(work)
	local, n, err := save(ctx, cancel, resp, work, o.IdleTimeout)
	if err != nil {
		return nil, prev, fail("%v", err)
	}
	res := &Result{URL: raw, Status: Imported, Bytes: n}
	if bundle.IsBundle(local) {
		if o.Keys == nil {
			return nil, prev, fail("a signed bundle, and no trusted keys were given")
		}
		b, err := bundle.Open(local, o.Keys)
		if err != nil {
			return nil, prev, fail("%v", err)
		}
		defer b.Close()
		res.Bundle = b.ID
		res.Reports, err = bundle.Apply(ctx, db, b, bundle.ApplyOptions{AllowDowngrade: o.AllowDowngrade})
		if errors.Is(err, vulndb.ErrBundleApplied) {
			res.Status, err = Unchanged, nil
		}
		if err != nil {
			return nil, prev, fail("%v", err)
		}
		if o.Applied != nil {
			if err := o.Applied(ctx, b, local); err != nil {
				return nil, prev, fail("%v", err)
			}
		}
		return res, next, nil
	}
	res.Reports, err = db.Import(ctx, []string{local}, vulndb.ImportOptions{})
	if err != nil {
		return nil, prev, fail("%v", err)
	}
	for i := range res.Reports {
		res.Reports[i].Path = raw
		if res.Reports[i].Status == vulndb.StatusUnchanged {
			res.Status = Unchanged
		}
	}
	return res, next, nil
}

// copyIdle copies at most MaxFileSize bytes, cancelling the download when
// nothing arrives for idle.
func copyIdle(ctx context.Context, cancel context.CancelFunc, w io.Writer, r io.Reader, idle time.Duration) (int64, error) {
	t := time.AfterFunc(idle, cancel)
	defer t.Stop()
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			t.Reset(idle)
			n += int64(k)
			if n > MaxFileSize {
				return n, fmt.Errorf("over the %d-byte limit", int64(MaxFileSize))
			}
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return n, fmt.Errorf("nothing received for %s", idle)
			}
			return n, err
		}
	}
}
