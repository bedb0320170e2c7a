package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	binary string // the airlock binary built for these tests
	osvDir = filepath.Join("..", "..", "..", "shared", "data", "osv")
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "airlock-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "airlock")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building airlock: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// airlock runs the binary with a database path and no colour.
func airlock(t *testing.T, db string, args ...string) result {
	t.Helper()
	return airlockEnv(t, binary, []string{"AIRLOCK_DB=" + db}, nil, args...)
}

// importedDB returns a database with the three shared all.zip files.
func importedDB(t *testing.T) string {
	t.Helper()
	var zips []string
	for _, eco := range []string{"Go", "PyPI", "crates.io"} {
		p := filepath.Join(osvDir, eco, "all.zip")
		if _, err := os.Stat(p); err != nil {
			t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", p)
		}
		zips = append(zips, p)
	}
	db := filepath.Join(t.TempDir(), "v.db")
	r := airlock(t, db, append([]string{"db", "import"}, zips...)...)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"imported 4291 Go records", "imported 2661 PyPI records", "imported 1206 crates.io records", "database "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.stdout)
		}
	}
	return db
}

func TestUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"scan", "--format", "xml"},
		{"scan", "--fail-on", "severe"},
		{"scan", "--scanners", "vuln,magic"},
		{"scan", "a", "b"},
		{"db"},
		{"db", "import"},
		{"db", "status", "--max-age", "soon"},
	} {
		if r := airlock(t, db, args...); r.code != exitUsage || r.stderr == "" {
			t.Errorf("airlock %v: exit %d, stderr %q; want %d and a message", args, r.code, r.stderr, exitUsage)
		}
	}
	if r := airlock(t, db, "scan", "-h"); r.code != 0 || !strings.Contains(r.stderr, "-fail-on string") {
		t.Errorf("scan -h: exit %d\n%s", r.code, r.stderr)
	}
}

func TestScanWithoutDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	// Asked for dependency scanning: an error that says what to do.
	r := airlock(t, db, "scan", "--scanners", "vuln", "../../testdata/repo40")
	if r.code != exitError || !strings.Contains(r.stderr, "airlock db import") {
		t.Errorf("--scanners vuln: exit %d, stderr %q", r.code, r.stderr)
	}
	// Asked for nothing in particular, but the database was named
	// (AIRLOCK_DB): an error too. Only the default path may be missing
	// (TestScanNamedDatabaseMissing).
	r = airlock(t, db, "scan", "../../testdata/repo40")
	if r.code != exitError || !strings.Contains(r.stderr, db) || !strings.Contains(r.stderr, "airlock db import") {
		t.Errorf("default scanners: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestImportBadFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	bad := filepath.Join(t.TempDir(), "all.zip")
	os.WriteFile(bad, []byte("PK\x03\x04garbage"), 0o644)
	r := airlock(t, db, "db", "import", bad)
	if r.code != exitError || !strings.Contains(r.stderr, bad) || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestScanRepo40(t *testing.T) {
	db := importedDB(t)

	// db status
	r := airlock(t, db, "db", "status")
	for _, want := range []string{"Go", "4291", "PyPI", "crates.io", "stale"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("db status lacks %q (exit %d):\n%s", want, r.code, r.stdout)
		}
	}
	// Re-import is a no-op.
	if r := airlock(t, db, "db", "import", filepath.Join(osvDir, "Go", "all.zip")); r.code != 0 || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("re-import: exit %d\n%s", r.code, r.stdout)
	}

	// Table, flags after the path.
	r = airlock(t, db, "scan", "../../testdata/repo40", "--max-age", "7d")
	if r.code != exitFindings {
		t.Fatalf("scan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"api/go.mod", "ml/requirements.txt", "engine/Cargo.lock", "GO-2022-0969", "1 ignored", "celery", "days old"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q", want)
		}
	}

	// JSON to a file: findings from every ecosystem, the ignore applied.
	out := filepath.Join(t.TempDir(), "report.json")
	r = airlock(t, db, "scan", "--format", "json", "--output", out, "../../testdata/repo40")
	if r.code != exitFindings || r.stdout != "" {
		t.Fatalf("json scan: exit %d stdout %q", r.code, r.stdout)
	}
	var rep struct {
		Findings []struct {
			ID      string
			Aliases []string
			Package struct{ Ecosystem, Name string }
			Ignored *struct{ Reason string }
		}
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	ecos := map[string]int{}
	ignored := 0
	for _, f := range rep.Findings {
		ecos[f.Package.Ecosystem]++
		if f.Ignored != nil {
			ignored++
			if f.Package.Name != "github.com/gin-gonic/gin" {
				t.Errorf("ignore applied to %s", f.Package.Name)
			}
		}
	}
	if ecos["Go"] == 0 || ecos["PyPI"] == 0 || ecos["crates.io"] == 0 || ignored != 1 {
		t.Errorf("findings by ecosystem %v, ignored %d", ecos, ignored)
	}

	// --fail-on: none never fails; critical fails (the PyPI data rates
	// some findings critical).
	if r := airlock(t, db, "scan", "--fail-on", "none", "../../testdata/repo40"); r.code != 0 {
		t.Errorf("--fail-on none: exit %d", r.code)
	}
	if r := airlock(t, db, "scan", "--fail-on", "critical", "../../testdata/repo40"); r.code != exitFindings {
		t.Errorf("--fail-on critical: exit %d", r.code)
	}

	// One manifest.
	if r := airlock(t, db, "scan", "--format", "json", "../../testdata/repo40/engine/Cargo.lock"); r.code != exitFindings || !strings.Contains(r.stdout, "RUSTSEC-") {
		t.Errorf("single file: exit %d", r.code)
	}

	// Every format writes.
	for _, f := range []string{"table", "json", "sarif", "gitlab", "gitlab-secrets", "cyclonedx"} {
		if r := airlock(t, db, "scan", "--format", f, "--fail-on", "none", "../../testdata/repo40"); r.code != 0 || len(r.stdout) < 100 {
			t.Errorf("--format %s: exit %d, %d bytes", f, r.code, len(r.stdout))
		}
	}
}

func TestScanCleanAndExpiredIgnore(t *testing.T) {
	db := importedDB(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("django==5.1.1\nrequests==2.32.3\n"), 0o644)
	r := airlock(t, db, "scan", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "No known vulnerabilities") {
		t.Errorf("clean scan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("gratient==0.5.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".airlock.yaml"), []byte("ignore:\n  - id: PYSEC-2024-1\n    reason: vendored fork\n    expires: 2020-01-01\n"), 0o644)
	r = airlock(t, db, "scan", dir)
	if r.code != exitFindings || !strings.Contains(r.stdout, "expired on 2020-01-01") || !strings.Contains(r.stdout, "PYSEC-2024-1") {
		t.Errorf("expired ignore: exit %d\n%s", r.code, r.stdout)
	}
	os.WriteFile(filepath.Join(dir, ".airlock.yaml"), []byte("ignore:\n  - id: PYSEC-2024-1\n"), 0o644)
	if r := airlock(t, db, "scan", dir); r.code != exitError || !strings.Contains(r.stderr, `.airlock.yaml:2: ignore[0]: field "reason" is required`) {
		t.Errorf("bad policy: exit %d, stderr %q", r.code, r.stderr)
	}
}
