package scan

import (
	"context"
	"github.com/airlock-sec/airlock/internal/analyzer"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/vuln/vulntest"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// BenchmarkScanPyPIPins is a full scan of requirements files pinning the
// versions the shared PyPI records list (bench/pypipins writes the same
// files for bench/pins.sh), against a database of those records imported
// once: "files" is 8 for the set (the first eight versions of every
// package, 4,668 pins) and 0 for every listed version (35,289 pins in
// 1,132 files).
func BenchmarkScanPyPIPins(b *testing.B) {
	zip := filepath.Join("..", "..", "..", "shared", "data", "osv", "PyPI", "all.zip")
	if _, err := os.Stat(zip); err != nil {
		b.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", zip)
	}
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(b.TempDir(), "v.db"), vulndb.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, []string{zip}, vulndb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	pins, err := vulntest.ListedPins(zip, "PyPI")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		files int
	}{{"files=8", 8}, {"files=all", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			_, n, err := vulntest.WriteRequirements(dir, pins, bc.files)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var res *Result
			for b.Loop() {
				if res, err = Run(ctx, dir, Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: db}}); err != nil {
					b.Fatal(err)
				}
			}
			got := 0
			for _, m := range res.Manifests {
				got += len(m.Packages)
			}
			if got != n {
				b.Fatalf("scanned %d packages, wrote %d pins", got, n)
			}
			b.ReportMetric(float64(n), "pins")
			b.ReportMetric(float64(len(res.Findings)), "findings")
		})
	}
}
