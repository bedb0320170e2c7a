package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// sharedOSV returns the path of a shared all.zip, skipping when the shared
// data is absent.
func sharedOSV(t testing.TB, eco string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", "osv", eco, "all.zip")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository): %v", p, err)
	}
	return p
}

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func record(id, modified, eco, name string, extra string) string {
	return `{"id":"` + id + `","modified":"` + modified + `",` + extra + `"affected":[{"package":{"ecosystem":"` + eco + `","name":"` + name + `"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`
}

func writeZip(t testing.TB, entries map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		body := entries[name]
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.db"), Options{})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "airlock db import") {
		t.Fatalf("want ErrNoData with advice, got %v", err)
	}
}

func TestImportSharedZips(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	want := map[string]int{"Go": 4291, "PyPI": 2661, "crates.io": 1206}
	var paths []string
	for eco := range want {
		paths = append(paths, sharedOSV(t, eco))
	}
	reports, err := db.Import(ctx, paths, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Status != StatusImported {
			t.Errorf("%s: status %s", r.Path, r.Status)
		}
		if n := want[r.Source.Ecosystem]; r.Source.Records != n {
			t.Errorf("%s: %d records, want %d (skipped %v)", r.Source.Ecosystem, r.Source.Records, n, r.Skipped)
		}
		if r.Source.Origin != "osv/"+r.Source.Ecosystem+"/all.zip" || r.Source.Kind != KindArchive || len(r.Source.SHA256) != 64 || r.Source.NewestModified.IsZero() {
			t.Errorf("bad provenance %+v", r.Source)
		}
		// The Go export leaves every modified at the zero time: the set
		// is as new as its import, not as old as its newest published
		// date (2022). The others are dated by their records.
		wantBy := map[string]string{"Go": "import", "PyPI": "modified", "crates.io": "modified"}[r.Source.Ecosystem]
		if r.Source.DatedBy != wantBy {
			t.Errorf("%s dated by %q, want %q", r.Source.Ecosystem, r.Source.DatedBy, wantBy)
		}
		if wantBy == "import" && !r.Source.NewestModified.Equal(r.Source.ImportedAt) {
			t.Errorf("%s: newest %s, want the import time %s", r.Source.Ecosystem, r.Source.NewestModified, r.Source.ImportedAt)
		}
		if wantBy == "modified" && r.Source.NewestModified.Year() < 2024 {
			t.Errorf("%s: newest %s", r.Source.Ecosystem, r.Source.NewestModified)
		}
	}
	sources, err := db.Sources(ctx)
	if err != nil || len(sources) != 3 {
		t.Fatalf("sources = %v, %v", sources, err)
	}

	// PEP 503: any spelling finds the record.
	for _, name := range []string{"Django", "django", "DJANGO"} {
		vs, err := db.Query(ctx, "PyPI", name)
		if err != nil || len(vs) < 50 {
			t.Fatalf("Query(PyPI, %s) = %d records, %v", name, len(vs), err)
		}
	}
	if vs, _ := db.Query(ctx, "PyPI", "Jinja2"); len(vs) == 0 {
		t.Error("no records for Jinja2")
	}
	if vs, _ := db.Query(ctx, "Go", "stdlib"); len(vs) < 100 {
		t.Errorf("stdlib: %d records", len(vs))
	}

	// Re-importing the same files is a no-op.
	again, err := db.Import(ctx, paths, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Status != StatusUnchanged {
			t.Errorf("re-import %s: status %s", r.Path, r.Status)
		}
	}
}

func TestImportReplacesEcosystem(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	old := writeZip(t, map[string]string{
		"A-1.json": record("A-1", "2024-01-01T00:00:00Z", "PyPI", "foo", ""),
		"A-2.json": record("A-2", "2024-01-02T00:00:00Z", "PyPI", "bar", ""),
	})
	if _, err := db.Import(ctx, []string{old}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	newer := writeZip(t, map[string]string{
		"A-1.json": record("A-1", "2024-03-01T00:00:00Z", "PyPI", "foo", ""),
	})
	reports, err := db.Import(ctx, []string{newer}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Replaced == nil || reports[0].Replaced.Records != 2 {
		t.Fatalf("replaced = %+v", reports[0].Replaced)
	}
	if vs, _ := db.Query(ctx, "PyPI", "bar"); len(vs) != 0 {
		t.Errorf("bar's record survived the replacement: %v", vs)
	}
	if vs, _ := db.Query(ctx, "PyPI", "foo"); len(vs) != 1 || !vs[0].Modified.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("foo = %+v", vs)
	}
	// Older data does not replace newer data without Force.
	older := writeZip(t, map[string]string{"A-9.json": record("A-9", "2023-01-01T00:00:00Z", "PyPI", "baz", "")})
	if _, err := db.Import(ctx, []string{older}, ImportOptions{}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("older import: %v", err)
	}
	if _, err := db.Import(ctx, []string{older}, ImportOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if vs, _ := db.Query(ctx, "PyPI", "baz"); len(vs) != 1 {
		t.Errorf("forced import missing")
	}
}

func TestImportAtomic(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	good := writeZip(t, map[string]string{"G-1.json": record("G-1", "2024-01-01T00:00:00Z", "crates.io", "smallvec", "")})
	if _, err := db.Import(ctx, []string{good}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// A second import whose later path fails changes nothing, including
	// the paths before it that succeeded.
	replacement := writeZip(t, map[string]string{"G-2.json": record("G-2", "2024-05-01T00:00:00Z", "crates.io", "time", "")})
	broken := filepath.Join(t.TempDir(), "broken.zip")
	os.WriteFile(broken, []byte("PK\x03\x04 truncated"), 0o644)
	_, err := db.Import(ctx, []string{replacement, broken}, ImportOptions{})
	var ie *ImportError
	if !errors.As(err, &ie) || ie.Path != broken {
		t.Fatalf("want ImportError naming %s, got %v", broken, err)
	}
	if vs, _ := db.Query(ctx, "crates.io", "smallvec"); len(vs) != 1 {
		t.Error("previous data lost after a failed import")
	}
	if vs, _ := db.Query(ctx, "crates.io", "time"); len(vs) != 0 {
		t.Error("partial write from a failed import")
	}
	// A cancelled import changes nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Import(cctx, []string{replacement}, ImportOptions{}); err == nil {
		t.Fatal("cancelled import succeeded")
	}
	if vs, _ := db.Query(ctx, "crates.io", "smallvec"); len(vs) != 1 {
		t.Error("previous data lost after a cancelled import")
	}
}

func TestImportHostileZip(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	var bomb bytes.Buffer
	bomb.WriteString(`{"id":"BOMB-1","modified":"2024-01-01T00:00:00Z","details":"`)
	bomb.Write(bytes.Repeat([]byte("A"), 8<<20))
	bomb.WriteString(`"}`)
	p := writeZip(t, map[string]string{
		"ok.json":             record("OK-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"../escape.json":      record("ESC-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"/abs.json":           record("ABS-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"a/../../up.json":     record("UP-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"bomb.json":           bomb.String(),
		"notjson.json":        "this is not json",
		"array.json":          `[1,2,3]`,
		"noid.json":           `{"modified":"2024-01-01T00:00:00Z"}`,
		"nomod.json":          `{"id":"X-1"}`,
		"schema2.json":        `{"id":"X-2","modified":"2024-01-01T00:00:00Z","schema_version":"2.0.0"}`,
		"badtime.json":        `{"id":"X-3","modified":"yesterday"}`,
		"wrongtype.json":      `{"id":"X-4","modified":"2024-01-01T00:00:00Z","affected":"all"}`,
		"README.md":           "hello",
		"withdrawn.json":      record("W-1", "2024-01-01T00:00:00Z", "Go", "example.com/w", `"withdrawn":"2024-02-01T00:00:00Z",`),
		"sub/duplicate.json":  record("OK-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"schema1_6.json":      record("S-16", "2024-01-01T00:00:00Z", "Go", "example.com/m", `"schema_version":"1.6.0",`),
		"ecosystem/sfx.json":  record("SFX-1", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
		"nested/dir/ok2.json": record("OK-2", "2024-01-01T00:00:00Z", "Go", "example.com/m", ""),
	})
	reports, err := db.Import(ctx, []string{p}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := reports[0]
	if r.Source.Records != 5 || r.Source.Withdrawn != 1 {
		t.Errorf("records=%d withdrawn=%d, want 5 and 1", r.Source.Records, r.Source.Withdrawn)
	}
	reasons := map[string]string{}
	for _, s := range r.Skipped {
		reasons[s.Entry] = s.Reason
	}
	for entry, want := range map[string]string{
		"../escape.json":     "escapes",
		"/abs.json":          "absolute",
		"a/../../up.json":    "escapes",
		"bomb.json":          "ratio",
		"notjson.json":       "not JSON",
		"array.json":         "not an OSV record",
		"noid.json":          `"id"`,
		"nomod.json":         `"modified"`,
		"schema2.json":       "schema_version",
		"badtime.json":       "bad time",
		"wrongtype.json":     "affected",
		"README.md":          "not a .json",
		"sub/duplicate.json": "duplicate",
	} {
		if !strings.Contains(reasons[entry], want) {
			t.Errorf("%s: reason %q, want it to mention %q", entry, reasons[entry], want)
		}
	}
	if len(r.Skipped) != 13 {
		t.Errorf("skipped %d entries: %+v", len(r.Skipped), r.Skipped)
	}
	if vs, _ := db.Query(ctx, "Go", "example.com/w"); len(vs) != 0 {
		t.Error("withdrawn record is queryable")
	}
}

func TestImportNothingUsable(t *testing.T) {
	db := openTemp(t)
	p := writeZip(t, map[string]string{"x.json": "{}"})
	_, err := db.Import(context.Background(), []string{p}, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "no OSV records") || !strings.Contains(err.Error(), p) {
		t.Fatalf("got %v", err)
	}
}

func TestImportDirectoryAndFile(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "R-1.json"), []byte(record("R-1", "2024-01-01T00:00:00Z", "crates.io", "Regex", "")), 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "R-2.json"), []byte(record("R-2", "2024-01-01T00:00:00Z", "crates.io", "time", "")), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	single := filepath.Join(t.TempDir(), "GO-1.json")
	os.WriteFile(single, []byte(record("GO-1", "2024-01-01T00:00:00Z", "Go", "golang.org/x/net", "")), 0o644)
	reports, err := db.Import(ctx, []string{dir, single}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Source.Records != 2 || reports[1].Source.Records != 1 {
		t.Fatalf("reports = %+v", reports)
	}
	if vs, _ := db.Query(ctx, "crates.io", "regex"); len(vs) != 1 {
		t.Error("crates.io names are case-insensitive")
	}
	if vs, _ := db.Query(ctx, "Go", "golang.org/x/net"); len(vs) != 1 {
		t.Error("single record not imported")
	}
}
