package vulndb

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/osv"
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

// zipAt writes a zip at dir/rel (rel slash-separated) and returns its path.
func zipAt(t testing.TB, dir, rel string, entries map[string]string) string {
	t.Helper()
	src := writeZip(t, entries)
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ids(vs []*osv.Vulnerability) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID+"@"+v.Modified.Format(time.DateOnly))
	}
	return strings.Join(out, " ")
}

func TestOrigin(t *testing.T) {
	for _, c := range []struct {
		path, eco, want string
	}{
		{"/media/usb/osv/PyPI/all.zip", "PyPI", "osv/PyPI/all.zip"},
		{"/media/usb/osv-ghsa/PyPI/all.zip", "PyPI", "osv-ghsa/PyPI/all.zip"},
		{"/mnt/osv/pypi/all.zip", "PyPI", "osv/pypi/all.zip"},
		{"/PyPI/all.zip", "PyPI", "PyPI/all.zip"},
		{"/tmp/x/all.zip", "Go", "Go/all.zip"},
		{"/tmp/one.json", "PyPI", "PyPI/one.json"},
		{"/data/vulns", "mixed", "mixed/vulns"},
	} {
		if got := Origin(filepath.FromSlash(c.path), KindArchive, c.eco); got != c.want {
			t.Errorf("Origin(%s, %s) = %q, want %q", c.path, c.eco, got, c.want)
		}
	}
}

// Two archives of one ecosystem from different origins coexist; a record
// both hold is returned once, the newest copy; a new copy of one origin
// replaces only that origin's records.
func TestSourcesCoexist(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	pysec := zipAt(t, media, "osv/PyPI/all.zip", map[string]string{
		"P-1.json": record("P-1", "2024-01-01T00:00:00Z", "PyPI", "django", ""),
		"P-2.json": record("P-2", "2024-01-02T00:00:00Z", "PyPI", "django", ""),
		"S-1.json": record("S-1", "2024-01-01T00:00:00Z", "PyPI", "django", ""),
	})
	ghsa := zipAt(t, media, "osv-ghsa/PyPI/all.zip", map[string]string{
		"G-1.json": record("G-1", "2024-02-01T00:00:00Z", "PyPI", "Django", ""),
		"S-1.json": record("S-1", "2024-06-01T00:00:00Z", "PyPI", "django", ""),
	})
	if _, err := db.Import(ctx, []string{pysec, ghsa}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	srcs, err := db.Sources(ctx)
	if err != nil || len(srcs) != 2 || srcs[0].Origin != "osv-ghsa/PyPI/all.zip" || srcs[1].Origin != "osv/PyPI/all.zip" {
		t.Fatalf("sources = %+v, %v", srcs, err)
	}
	vs, err := db.Query(ctx, "PyPI", "django")
	if got, want := ids(vs), "G-1@2024-02-01 P-1@2024-01-01 P-2@2024-01-02 S-1@2024-06-01"; err != nil || got != want {
		t.Fatalf("Query = %q, %v; want %q", got, err, want)
	}
	if n, err := db.Distinct(ctx); err != nil || n != 4 {
		t.Errorf("Distinct = %d, %v", n, err)
	}

	// A newer copy of the PYSEC set replaces its own records only.
	os.Remove(pysec)
	zipAt(t, media, "osv/PyPI/all.zip", map[string]string{
		"P-1.json": record("P-1", "2024-03-01T00:00:00Z", "PyPI", "django", ""),
		"P-3.json": record("P-3", "2024-03-01T00:00:00Z", "PyPI", "django", ""),
	})
	reports, err := db.Import(ctx, []string{pysec}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Replaced == nil || reports[0].Replaced.Origin != "osv/PyPI/all.zip" || reports[0].Replaced.Records != 3 {
		t.Fatalf("replaced = %+v", reports[0].Replaced)
	}
	vs, _ = db.Query(ctx, "PyPI", "django")
	if got, want := ids(vs), "G-1@2024-02-01 P-1@2024-03-01 P-3@2024-03-01 S-1@2024-06-01"; got != want {
		t.Fatalf("after re-import Query = %q, want %q", got, want)
	}
	// Only the record texts no source lists any more are gone.
	var blobs int
	db.sql.QueryRow(`SELECT COUNT(*) FROM blob`).Scan(&blobs)
	if blobs != 4 {
		t.Errorf("%d record texts stored, want 4", blobs)
	}
}

// A record identical in two sources is stored once.
func TestIdenticalRecordStoredOnce(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	r := record("S-1", "2024-01-01T00:00:00Z", "PyPI", "django", "")
	a := zipAt(t, media, "a/PyPI/all.zip", map[string]string{"S-1.json": r, "A-1.json": record("A-1", "2024-01-01T00:00:00Z", "PyPI", "x", "")})
	b := zipAt(t, media, "b/PyPI/all.zip", map[string]string{"S-1.json": r})
	if _, err := db.Import(ctx, []string{a, b}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var blobs, affected int
	db.sql.QueryRow(`SELECT COUNT(*) FROM blob`).Scan(&blobs)
	db.sql.QueryRow(`SELECT COUNT(*) FROM affected`).Scan(&affected)
	if blobs != 2 || affected != 2 {
		t.Errorf("%d texts and %d index rows, want 2 and 2", blobs, affected)
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); len(vs) != 1 {
		t.Errorf("Query = %s", ids(vs))
	}
}

// A newer copy that is withdrawn, or no longer names the package, hides
// the older copies of its id.
func TestNewestCopyDecides(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	old := zipAt(t, media, "osv/PyPI/all.zip", map[string]string{
		"W-1.json": record("W-1", "2024-01-01T00:00:00Z", "PyPI", "django", ""),
		"M-1.json": record("M-1", "2024-01-01T00:00:00Z", "PyPI", "django", ""),
	})
	newer := zipAt(t, media, "ghsa/PyPI/all.zip", map[string]string{
		"W-1.json": record("W-1", "2024-05-01T00:00:00Z", "PyPI", "django", `"withdrawn":"2024-05-01T00:00:00Z",`),
		"M-1.json": record("M-1", "2024-05-01T00:00:00Z", "PyPI", "flask", ""),
	})
	if _, err := db.Import(ctx, []string{old, newer}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); len(vs) != 0 {
		t.Errorf("django = %s, want nothing", ids(vs))
	}
	if vs, _ := db.Query(ctx, "PyPI", "flask"); ids(vs) != "M-1@2024-05-01" {
		t.Errorf("flask = %s", ids(vs))
	}
}

// A single record or a directory merges: it never removes a full set.
func TestPartialSourcesMerge(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	full := zipAt(t, media, "osv/PyPI/all.zip", map[string]string{
		"P-1.json": record("P-1", "2024-01-01T00:00:00Z", "PyPI", "django", ""),
		"P-2.json": record("P-2", "2024-01-01T00:00:00Z", "PyPI", "flask", ""),
	})
	if _, err := db.Import(ctx, []string{full}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(t.TempDir(), "one.json")
	os.WriteFile(one, []byte(record("P-1", "2025-01-01T00:00:00Z", "PyPI", "django", "")), 0o644)
	reports, err := db.Import(ctx, []string{one}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := reports[0]; r.Replaced != nil || r.Source.Origin != "PyPI/one.json" || r.Source.Kind != KindRecord {
		t.Fatalf("report = %+v", r)
	}
	if vs, _ := db.Query(ctx, "PyPI", "flask"); len(vs) != 1 {
		t.Error("a single record wiped the PyPI set")
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); ids(vs) != "P-1@2025-01-01" {
		t.Errorf("django = %s", ids(vs))
	}
	// The same origin again, another record: merged, nothing removed.
	os.WriteFile(one, []byte(record("P-9", "2025-02-01T00:00:00Z", "PyPI", "celery", "")), 0o644)
	reports, err = db.Import(ctx, []string{one}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := reports[0]; r.Merged == nil || r.Source.Records != 2 || !r.Source.NewestModified.Equal(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("report = %+v (merged %+v)", r.Source, r.Merged)
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); ids(vs) != "P-1@2025-01-01" {
		t.Errorf("merge lost the earlier record: django = %s", ids(vs))
	}
	// A directory merges the same way.
	dir := filepath.Join(t.TempDir(), "local")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "L-1.json"), []byte(record("L-1", "2025-01-01T00:00:00Z", "PyPI", "flask", "")), 0o644)
	if _, err := db.Import(ctx, []string{dir}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if vs, _ := db.Query(ctx, "PyPI", "flask"); ids(vs) != "L-1@2025-01-01 P-2@2024-01-01" {
		t.Errorf("flask = %s", ids(vs))
	}
	srcs, _ := db.Sources(ctx)
	if len(srcs) != 3 {
		t.Errorf("sources = %+v", srcs)
	}
}

// A new copy of an archive with fewer than half the records is refused
// without Force, naming both counts.
func TestShrinkingArchiveRefused(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	entries := map[string]string{}
	for i := range 10 {
		id := fmt.Sprintf("P-%d", i)
		entries[id+".json"] = record(id, "2024-01-01T00:00:00Z", "PyPI", "django", "")
	}
	full := zipAt(t, media, "osv/PyPI/all.zip", entries)
	if _, err := db.Import(ctx, []string{full}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// A mostly damaged copy: one good record, the rest garbage.
	garbage := map[string]string{"P-0.json": record("P-0", "2024-06-01T00:00:00Z", "PyPI", "django", "")}
	for i := 1; i < 10; i++ {
		garbage[fmt.Sprintf("P-%d.json", i)] = "\x00\x01garbage"
	}
	os.Remove(full)
	zipAt(t, media, "osv/PyPI/all.zip", garbage)
	_, err := db.Import(ctx, []string{full}, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "holds 1 records (9 entries skipped)") || !strings.Contains(err.Error(), "holds 10") || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), full) {
		t.Fatalf("damaged copy: %v", err)
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); len(vs) != 10 {
		t.Fatalf("refused import changed the data: %d records", len(vs))
	}
	if _, err := db.Import(ctx, []string{full}, ImportOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if vs, _ := db.Query(ctx, "PyPI", "django"); len(vs) != 1 {
		t.Fatalf("forced import: %d records", len(vs))
	}
}

// The age of a set whose records carry no modified time is its import
// time, not its newest published date.
func TestNewestWithoutModified(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := writeZip(t, map[string]string{
		"GO-1.json": record("GO-1", "0001-01-01T00:00:00Z", "Go", "example.com/a", `"published":"2022-12-14T18:06:02Z",`),
		"GO-2.json": record("GO-2", "0001-01-01T00:00:00Z", "Go", "example.com/b", ""),
	})
	reports, err := db.Import(ctx, []string{p}, ImportOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if s := reports[0].Source; !s.NewestModified.Equal(now) || s.DatedBy != "import" {
		t.Errorf("newest %s by %q, want the import time", s.NewestModified, s.DatedBy)
	}
	// With a modified time, the newest of modified and published.
	p = writeZip(t, map[string]string{
		"A-1.json": record("A-1", "2024-01-01T00:00:00Z", "PyPI", "a", `"published":"2024-03-01T00:00:00Z",`),
		"A-2.json": record("A-2", "2024-02-01T00:00:00Z", "PyPI", "b", ""),
		"A-3.json": record("A-3", "0001-01-01T00:00:00Z", "PyPI", "c", ""),
	})
	reports, err = db.Import(ctx, []string{p}, ImportOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if s := reports[0].Source; !s.NewestModified.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) || s.DatedBy != "published" {
		t.Errorf("newest %s by %q, want 2024-03-01 by published", s.NewestModified, s.DatedBy)
	}
}

// A read-only open reads without writing anything beside the file (no
// journal, -wal or -shm), refuses imports, and refuses a file of an older
// layout with advice rather than rebuilding it.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v.db")
	rw, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	p := writeZip(t, map[string]string{"A-1.json": record("A-1", "2024-01-01T00:00:00Z", "PyPI", "django", "")})
	if _, err := rw.Import(ctx, []string{p}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if vs, err := ro.Query(ctx, "PyPI", "django"); err != nil || len(vs) != 1 {
		t.Fatalf("Query = %d, %v", len(vs), err)
	}
	if _, err := ro.Sources(ctx); err != nil {
		t.Fatal(err)
	}
	// Checked while the connection is still open: a WAL database makes
	// its -wal and -shm files on the first read.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("read-only open wrote beside the database: %v", names)
	}
	if _, err := ro.Import(ctx, []string{p}, ImportOptions{}); err == nil {
		t.Error("import through a read-only handle")
	}

	if _, err := Open(ctx, filepath.Join(dir, "none.db"), Options{ReadOnly: true, Create: true}); !errors.Is(err, ErrNoData) {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	rw, err = Open(ctx, old, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	rw.sql.Exec("PRAGMA user_version = 2")
	rw.Close()
	if _, err := Open(ctx, old, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "older than this airlock's") || !strings.Contains(err.Error(), "airlock db import") {
		t.Errorf("read-only open of an old layout: %v", err)
	}
}

// The shared PYSEC set and the GHSA sample for PyPI coexist.
func TestSharedGHSABesidePYSEC(t *testing.T) {
	ctx := context.Background()
	pysec := sharedOSV(t, "PyPI")
	ghsa := filepath.Join("..", "..", "..", "shared", "data", "osv-ghsa", "PyPI", "all.zip")
	if _, err := os.Stat(ghsa); err != nil {
		t.Skipf("shared GHSA sample not found at %s: %v", ghsa, err)
	}
	db := openTemp(t)
	if _, err := db.Import(ctx, []string{pysec, ghsa}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	srcs, _ := db.Sources(ctx)
	got := map[string]int{}
	for _, s := range srcs {
		got[s.Origin] = s.Records
	}
	if got["osv/PyPI/all.zip"] != 2661 || got["osv-ghsa/PyPI/all.zip"] != 22 || len(got) != 2 {
		t.Fatalf("sources = %v", got)
	}
	vs, err := db.Query(ctx, "PyPI", "django")
	if err != nil {
		t.Fatal(err)
	}
	prefixes := map[string]int{}
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v.ID] {
			t.Errorf("%s returned twice", v.ID)
		}
		seen[v.ID] = true
		prefix, _, _ := strings.Cut(v.ID, "-")
		prefixes[prefix]++
	}
	if prefixes["PYSEC"] < 50 || prefixes["GHSA"] < 10 {
		t.Errorf("django records by prefix: %v", prefixes)
	}
}

// TestImportOrigin: copies carried in under dated folders replace each
// other when the operator names their origin.
func TestImportOrigin(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	media := t.TempDir()
	nov := zipAt(t, media, "2026-11/PyPI/all.zip", map[string]string{
		"P-1.json": record("P-1", "2026-11-01T00:00:00Z", "PyPI", "django", ""),
		"P-2.json": record("P-2", "2026-11-01T00:00:00Z", "PyPI", "django", ""),
	})
	dec := zipAt(t, media, "2026-12/PyPI/all.zip", map[string]string{
		"P-1.json": record("P-1", "2026-12-01T00:00:00Z", "PyPI", "django", ""),
		"P-3.json": record("P-3", "2026-12-01T00:00:00Z", "PyPI", "django", ""),
	})
	if _, err := db.Import(ctx, []string{nov}, ImportOptions{Origin: "site/PyPI"}); err != nil {
		t.Fatal(err)
	}
	reports, err := db.Import(ctx, []string{dec}, ImportOptions{Origin: "site/PyPI"})
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Replaced == nil || reports[0].Replaced.Origin != "site/PyPI" {
		t.Fatalf("replaced = %+v", reports[0].Replaced)
	}
	srcs, _ := db.Sources(ctx)
	if len(srcs) != 1 || srcs[0].Origin != "site/PyPI" || srcs[0].Records != 2 {
		t.Errorf("sources = %+v", srcs)
	}
	vs, _ := db.Query(ctx, "PyPI", "django")
	if got := ids(vs); got != "P-1@2026-12-01 P-3@2026-12-01" {
		t.Errorf("Query = %q: November's P-2 should be gone", got)
	}
	if _, err := db.Import(ctx, []string{nov, dec}, ImportOptions{Origin: "x"}); err == nil {
		t.Error("an origin for two paths was accepted")
	}
}
