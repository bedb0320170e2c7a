package datasync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

type files struct {
	m         map[string][]byte
	downloads atomic.Int64
}

// ServeHTTP serves files with an ETag and answers If-None-Match, as a web
// server in front of a directory does.
func (f *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, ok := f.m[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.downloads.Add(1)
	w.Write(b)
}

func setup(t *testing.T) (*vulndb.DB, *bundle.Keyring, string, string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := bundle.GenerateKey(filepath.Join(dir, "k")); err != nil {
		t.Fatal(err)
	}
	key, _ := bundle.LoadPrivateKey(filepath.Join(dir, "k.key"))
	kr, err := bundle.LoadKeyring(filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	bf := filepath.Join(dir, "b.bundle")
	if _, _, err := bundle.Build(context.Background(), bf, []string{"../../testdata/osv-sample/Go/all.zip"}, bundle.BuildOptions{Key: key, Source: "t"}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(context.Background(), filepath.Join(dir, "v.db"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, kr, bf, dir
}

func TestSync(t *testing.T) {
	db, kr, bf, _ := setup(t)
	bb, _ := os.ReadFile(bf)
	zip, _ := os.ReadFile("../../testdata/osv-sample/PyPI/all.zip")
	fs := &files{m: map[string][]byte{"/data/latest.bundle": bb, "/osv/PyPI/all.zip": zip}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	urls := []string{srv.URL + "/data/latest.bundle", srv.URL + "/osv/PyPI/all.zip"}
	ctx := context.Background()

	res, err := Sync(ctx, db, urls, Options{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Status != Imported || res[0].Bundle == "" || res[1].Status != Imported {
		t.Fatalf("first sync %+v", res)
	}
	srcs, _ := db.Sources(ctx)
	origins := map[string]bool{}
	for _, s := range srcs {
		origins[s.Origin] = true
	}
	if !origins["osv/PyPI/all.zip"] || !origins["osv-sample/Go/all.zip"] {
		t.Errorf("origins %v: want the archive under the origin its URL names and the bundle's member", origins)
	}
	// Nothing changed: conditional requests, nothing downloaded.
	before := fs.downloads.Load()
	res, err = Sync(ctx, db, urls, Options{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != Unchanged || res[1].Status != Unchanged || fs.downloads.Load() != before {
		t.Errorf("second sync %+v, %d downloads: want unchanged and none", res, fs.downloads.Load()-before)
	}
	// A tampered bundle is refused, the data intact.
	bad := append([]byte{}, bb...)
	bad[len(bad)/2] ^= 0xff
	fs.m["/data/latest.bundle"] = bad
	if _, err := Sync(ctx, db, urls[:1], Options{Keys: kr}); err == nil || !strings.Contains(err.Error(), urls[0]) {
		t.Errorf("tampered bundle: %v, want an error naming the URL", err)
	}
	// A bundle without trusted keys is refused.
	if _, err := Sync(ctx, db, urls[:1], Options{StateFile: filepath.Join(t.TempDir(), "s.json")}); err == nil || !strings.Contains(err.Error(), "trusted keys") {
		t.Errorf("no keys: %v", err)
	}
	after, _ := db.Sources(ctx)
	if len(after) != len(srcs) {
		t.Errorf("sources changed after refusals: %+v", after)
	}
}

func TestSyncFailures(t *testing.T) {
	db, kr, _, _ := setup(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/elsewhere":
			http.Redirect(w, r, other.URL+"/x.zip", http.StatusFound)
		case "/stall/all.zip":
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("PK"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	for _, c := range []struct{ path, want string }{
		{"/broken", "500"},
		{"/elsewhere", "not a host given to sync"},
		{"/stall/all.zip", "nothing received for"},
	} {
		_, err := Sync(context.Background(), db, []string{srv.URL + c.path}, Options{Keys: kr, IdleTimeout: 300 * time.Millisecond, StateFile: filepath.Join(t.TempDir(), "s.json")})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), srv.URL+c.path) {
			t.Errorf("%s: %v, want an error naming the URL and saying %q", c.path, err, c.want)
		}
	}
	if _, err := Sync(context.Background(), db, []string{"ftp://x/y"}, Options{}); err == nil {
		t.Error("an ftp URL was accepted")
	}
}
