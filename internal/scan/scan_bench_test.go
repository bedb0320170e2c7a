package scan

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// sharedDB imports the three shared all.zip files into a database once per
// test binary run.
func sharedDB(tb testing.TB) *vulndb.DB {
	tb.Helper()
	var paths []string
	for _, eco := range []string{"Go", "PyPI", "crates.io"} {
		p := filepath.Join("..", "..", "..", "shared", "data", "osv", eco, "all.zip")
		if _, err := os.Stat(p); err != nil {
			tb.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", p)
		}
		paths = append(paths, p)
	}
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(tb.TempDir(), "v.db"), vulndb.Options{Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, paths, vulndb.ImportOptions{}); err != nil {
		tb.Fatal(err)
	}
	return db
}

// BenchmarkScanRepo40 is a full scan (walk, extract, match, policy) of the
// ~40-package sample repository against the three shared data sets.
func BenchmarkScanRepo40(b *testing.B) {
	db := sharedDB(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(ctx, filepath.Join("..", "..", "testdata", "repo40"), Options{Extractors: list.All(), DB: db}); err != nil {
			b.Fatal(err)
		}
	}
}
