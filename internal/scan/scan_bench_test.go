package scan

import (
	"context"
	"fmt"
	"github.com/airlock-sec/airlock/internal/analyzer"
	"os"
	"path/filepath"
	"strings"
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
		if _, err := Run(ctx, filepath.Join("..", "..", "testdata", "repo40"), Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: db}}); err != nil {
			b.Fatal(err)
		}
	}
}

// writeLockfile10k writes a lockfileVersion 3 package-lock.json with n
// packages (a tenth scoped, a tenth nested, a third dev) into dir, and a
// directory of n/10 npm OSV records naming every tenth package, so that
// matching has real work to do.
func writeLockfile10k(tb testing.TB, dir string, n int) (osvDir string) {
	tb.Helper()
	var b strings.Builder
	b.WriteString("{\n  \"name\": \"bench\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"bench\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "        \"pkg-%d\": \"^1.0.0\"", i)
		if i < 49 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("      }\n    }")
	name := func(i int) string {
		if i%10 == 3 {
			return fmt.Sprintf("@scope%d/pkg-%d", i%7, i)
		}
		return fmt.Sprintf("pkg-%d", i)
	}
	for i := 0; i < n; i++ {
		p := "node_modules/" + name(i)
		if i%10 == 5 {
			p = "node_modules/" + name(i-1) + "/node_modules/" + name(i)
		}
		fmt.Fprintf(&b, ",\n    %q: {\n      \"version\": \"%d.%d.%d\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/x.tgz\",\n      \"integrity\": \"sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"", p, 1+i%3, i%20, i%7, name(i))
		if i%3 == 0 {
			b.WriteString(",\n      \"dev\": true")
		}
		b.WriteString("\n    }")
	}
	b.WriteString("\n  }\n}\n")
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	osvDir = filepath.Join(tb.TempDir(), "npm-osv")
	if err := os.MkdirAll(osvDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		rec := fmt.Sprintf(`{"id":"GHSA-bench-%04d","modified":"2026-01-01T00:00:00Z","summary":"synthetic advisory %d","affected":[{"package":{"ecosystem":"npm","name":%q},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.10.0"},{"introduced":"2.0.0"},{"fixed":"2.15.0"}]}]}],"database_specific":{"severity":"HIGH"}}`, i, i, name(i))
		if err := os.WriteFile(filepath.Join(osvDir, fmt.Sprintf("GHSA-bench-%04d.json", i)), []byte(rec), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return osvDir
}

// BenchmarkScanLockfile10k is extract + match of a generated
// package-lock.json with 10,000 packages, against the shared data plus
// 1,000 synthetic npm advisories.
func BenchmarkScanLockfile10k(b *testing.B) {
	db := sharedDB(b)
	dir := b.TempDir()
	osvDir := writeLockfile10k(b, dir, 10000)
	ctx := context.Background()
	if _, err := db.Import(ctx, []string{osvDir}, vulndb.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, "package-lock.json"))
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var res *Result
	for b.Loop() {
		var err error
		if res, err = Run(ctx, dir, Options{Extractors: list.All(), Analyzers: vulnOnly, Env: analyzer.Env{VulnDB: db}}); err != nil {
			b.Fatal(err)
		}
	}
	if n := len(res.Manifests[0].Packages); n != 10000 {
		b.Fatalf("extracted %d packages", n)
	}
	b.ReportMetric(float64(len(res.Findings)), "findings")
}
