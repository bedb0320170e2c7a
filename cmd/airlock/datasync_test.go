package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/datasync"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// location is the site's internal HTTP location: files by path, served
// with an ETag so that conditional requests work.
type location struct {
	mu    sync.Mutex
	files map[string][]byte
	gets  int
}

func (l *location) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	b, ok := l.files[r.URL.Path]
	l.gets++
	l.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", `"`+bundleDigest(b)+`"`)
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(b)))
}

func bundleDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// TestServerDataSync: the scheduled sync of serve fetches a signed bundle
// from the site's location, applies it, keeps it for the workers (which
// catch up from the platform database) and records the round for GET
// /api/v1/data and the audit log; an unchanged file is not downloaded
// again; a failing round keeps the data in use and says why.
func TestServerDataSync(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { serverDataSync(t, d) })
	}
}

func serverDataSync(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	st := storetest.Open(t, d)
	dir := t.TempDir()
	pol := iacProject(t, map[string]string{"img.rego": siteIaCPolicy})
	bf, kr := signedBundle(t, dir, "site-mirror", "../../testdata/osv-sample/PyPI/all.zip", pol)
	raw, err := os.ReadFile(bf)
	if err != nil {
		t.Fatal(err)
	}
	loc := &location{files: map[string][]byte{"/airlock/data.bundle": raw}}
	hs := httptest.NewServer(loc)
	defer hs.Close()
	url := hs.URL + "/airlock/data.bundle"

	embedded, err := secret.NewDetector(secret.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServerData(ctx, st, filepath.Join(dir, "server", "vulndb.sqlite"), kr, embedded, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dataSyncConfig{URLs: []string{url}}
	o, err := c.options(kr)
	if err != nil || o == nil {
		t.Fatalf("options: %v %v", o, err)
	}

	srv.syncOnce(ctx, c.URLs, *o)
	status, err := srv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := status.Sync; s == nil || s.LastError != "" || s.LastSuccess.IsZero() || len(s.Results) != 1 || s.Results[0].Status != string(datasync.Imported) || s.Results[0].Bundle == "" {
		t.Fatalf("sync status after the first round: %+v", status.Sync)
	}
	if len(status.Bundles) != 1 || status.Bundles[0].Source != "site-mirror" || len(status.Sources) != 1 {
		t.Fatalf("data after the sync: %+v", status)
	}
	if cur := srv.Current(); cur.VulnDB == nil || len(cur.Sources) != 1 || cur.IaCPolicies == nil || cur.IaCPolicies.Policies[0].ID != "SITE-IMG-1" {
		t.Fatalf("scans do not see the synced data (vulnerabilities and IaC policies): %+v", cur)
	}
	kept, err := st.DataBundles(ctx)
	if err != nil || len(kept) != 1 || kept[0].ID != status.Bundles[0].ID {
		t.Fatalf("bundle kept for the workers: %+v %v", kept, err)
	}
	audit, err := st.AuditLog(ctx, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit {
		if e.Action == "data.import" && e.Actor == "system:data_sync" && strings.Contains(e.Detail, url) {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit entry for the synced import: %+v", audit)
	}

	// A worker with its own database catches up from the kept bundle.
	worker, err := newServerData(ctx, st, filepath.Join(dir, "worker", "vulndb.sqlite"), kr, embedded, log)
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	if cur := worker.Current(); cur.Err != nil || cur.VulnDB == nil || len(cur.Sources) != 1 || cur.IaCPolicies == nil {
		t.Fatalf("the worker's data: %+v", cur)
	}

	// The next round: the location answers 304, nothing is downloaded.
	srv.syncOnce(ctx, c.URLs, *o)
	status, _ = srv.Status(ctx)
	if s := status.Sync; s.LastError != "" || s.Results[0].Status != string(datasync.Unchanged) || s.Results[0].Bytes != 0 {
		t.Fatalf("second round: %+v", s)
	}

	// A tampered file at the location: the round fails with the reason,
	// and the data in use stays.
	bad := append([]byte{}, raw...)
	bad[len(bad)/2] ^= 0xff
	loc.mu.Lock()
	loc.files["/airlock/data.bundle"] = bad
	loc.mu.Unlock()
	before := status.Sync.LastSuccess
	srv.syncOnce(ctx, c.URLs, *o)
	status, _ = srv.Status(ctx)
	if s := status.Sync; s.LastError == "" || !strings.Contains(s.LastError, url) || !s.LastSuccess.Equal(before) {
		t.Fatalf("a tampered bundle: %+v", s)
	}
	if len(status.Sources) != 1 || srv.Current().VulnDB == nil {
		t.Fatalf("the data in use changed after a failed round: %+v", status)
	}
}

// TestDataSyncConfig: the data_sync section from a file and the
// environment, and its errors.
func TestDataSyncConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "airlock.yaml")
	writeFiles(t, dir, map[string]string{"airlock.yaml": "data_sync:\n  urls: [https://mirror.example/airlock/data.bundle]\n  interval: 2h\n"})
	c, err := loadServerConfig([]string{"--config", cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.DataSync.URLs) != 1 || c.DataSync.Interval != 2*time.Hour {
		t.Fatalf("data_sync from the file: %+v", c.DataSync)
	}
	t.Setenv("AIRLOCK_DATA_SYNC_URLS", "https://a.example/x.bundle, https://b.example/osv/PyPI/all.zip")
	t.Setenv("AIRLOCK_DATA_SYNC_INTERVAL", "30m")
	if c, err = loadServerConfig([]string{"--config", cfg}); err != nil {
		t.Fatal(err)
	}
	if len(c.DataSync.URLs) != 2 || c.DataSync.URLs[1] != "https://b.example/osv/PyPI/all.zip" || c.DataSync.Interval != 30*time.Minute {
		t.Fatalf("data_sync from the environment: %+v", c.DataSync)
	}
	for _, tc := range []struct {
		c    dataSyncConfig
		want string
	}{
		{dataSyncConfig{URLs: []string{"ftp://x/y"}}, "data_sync.urls[0]"},
		{dataSyncConfig{URLs: []string{"https://x/y"}, Interval: time.Second}, "data_sync.interval 1s"},
		{dataSyncConfig{URLs: []string{"https://x/y"}, CACertificate: filepath.Join(dir, "missing.pem")}, "data_sync.ca_certificate"},
	} {
		if _, err := tc.c.options(nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.c, err, tc.want)
		}
	}
	t.Setenv("AIRLOCK_DATA_SYNC_INTERVAL", "often")
	if _, err := loadServerConfig(nil); err == nil || !strings.Contains(err.Error(), "AIRLOCK_DATA_SYNC_INTERVAL") {
		t.Errorf("a bad interval: %v", err)
	}
}

// TestServeDataSync: 'airlock serve' with AIRLOCK_DATA_SYNC_URLS fetches
// the bundle at start and reports the sync in GET /api/v1/data.
func TestServeDataSync(t *testing.T) {
	dir := t.TempDir()
	bf, _ := signedBundle(t, dir, "site-mirror", "../../testdata/osv-sample/PyPI/all.zip")
	raw, err := os.ReadFile(bf)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(&location{files: map[string][]byte{"/data.bundle": raw}})
	defer hs.Close()
	tok := "alk_datasync_test_0123456789abcdef"
	s := startServe(t, filepath.Join(dir, "data"), "AIRLOCK_ADMIN_TOKEN="+tok, "AIRLOCK_TRUSTED_KEYS="+filepath.Join(dir, "k.pub"),
		"AIRLOCK_DATA_SYNC_URLS="+hs.URL+"/data.bundle", "AIRLOCK_DATA_SYNC_INTERVAL=1h")
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+s.addr+"/api/v1/data", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `"last_success"`) && strings.Contains(string(body), `"source":"site-mirror"`) {
			if !strings.Contains(string(body), `"interval":"1h0m0s"`) {
				t.Errorf("sync interval not reported: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync did not import the bundle: %s\n%s", body, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(s.log(), "data sync scheduled") || !strings.Contains(s.log(), "data sync imported new data") {
		t.Errorf("log lacks the sync lines:\n%s", s.log())
	}
	s.stop(t)
}
