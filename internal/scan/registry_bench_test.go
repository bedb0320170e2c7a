package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/analyzer/license"
	"github.com/airlock-sec/airlock/internal/analyzer/risk"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/registry"
)

// npmStandIn serves a packument for every package of the lockfile, shaped
// like the real ones: most with a few dozen versions, every tenth with
// 500 and every hundredth with 3,000 (as @types/node or typescript), each
// version with a license, an integrity hash and a release time.
func npmStandIn(tb testing.TB, lockfile string) *httptest.Server {
	tb.Helper()
	b, err := os.ReadFile(lockfile)
	if err != nil {
		tb.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		tb.Fatal(err)
	}
	docs := map[string][]byte{}
	i := 0
	for k := range lock.Packages {
		name, ok := strings.CutPrefix(k, "node_modules/")
		if !ok {
			continue
		}
		i++
		n := 30
		switch {
		case i%100 == 0:
			n = 3000
		case i%10 == 0:
			n = 500
		}
		type ver struct {
			License string `json:"license"`
			Dist    struct {
				Integrity string `json:"integrity"`
			} `json:"dist"`
		}
		vs, times := map[string]ver{}, map[string]string{}
		t0 := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
		last := ""
		for j := 0; j < n; j++ {
			v := fmt.Sprintf("%d.%d.%d", j/100, (j/10)%10, j%10)
			var x ver
			x.License = "MIT"
			x.Dist.Integrity = "sha512-" + strings.Repeat("A", 86) + "=="
			vs[v], times[v], last = x, t0.Add(time.Duration(j)*24*time.Hour).Format(time.RFC3339), v
		}
		doc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": last}, "versions": vs, "time": times})
		docs["/"+url.PathEscape(name)] = doc
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := docs[r.URL.EscapedPath()]; ok {
			w.Write(d)
			return
		}
		http.NotFound(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// BenchmarkRiskLicenseWarm is the risk and license analyzers over the
// 1,000 most downloaded npm packages (bench/npm1000) against a warm cache
// of a stand-in mirror: the cold run fills the cache, then each iteration
// is a scan with a new client set, as a new airlock scan would have.
func BenchmarkRiskLicenseWarm(b *testing.B) {
	dir := filepath.Join("..", "..", "bench", "npm1000")
	srv := npmStandIn(b, filepath.Join(dir, "package-lock.json"))
	cache := b.TempDir()
	scanOnce := func() *Result {
		regs, err := registry.New(registry.Config{CacheDir: cache, Mirrors: map[string]registry.Mirror{"npm": {URL: srv.URL}}})
		if err != nil {
			b.Fatal(err)
		}
		res, err := Run(context.Background(), dir, Options{Extractors: list.New(list.Options{}),
			Analyzers: []analyzer.Analyzer{risk.New(), license.New(license.Config{Always: true})}, Env: analyzer.Env{Registries: regs}})
		if err != nil {
			b.Fatal(err)
		}
		if st := regs.Stats(); st.Requests+st.CacheHits != 1000 {
			b.Fatalf("stats %+v, want 1,000 packages asked for", st)
		}
		return res
	}
	if res := scanOnce(); len(res.Licenses) != 1000 {
		b.Fatalf("%d licenses, want 1,000", len(res.Licenses))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		scanOnce()
	}
}
