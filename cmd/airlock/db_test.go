package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/registry"
)

// airlockEnv runs the binary with extra environment (no AIRLOCK_DB unless
// env sets it) and, when cred is set, as another user.
func airlockEnv(t *testing.T, bin string, env []string, cred *syscall.Credential, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AIRLOCK_DB=", "NO_COLOR=1", "AIRLOCK_DB_MAX_AGE=")
	// No package mirror from the machine's own settings: the risk and
	// license analyzers fetch only where a test says.
	cmd.Env = append(cmd.Env, "GOPROXY=", "GOENV=off", "npm_config_registry=", "NPM_CONFIG_REGISTRY=", "PIP_INDEX_URL=",
		"NPM_CONFIG_USERCONFIG="+filepath.Join(os.TempDir(), "airlock-test-no-npmrc"), "AIRLOCK_USER_CONFIG="+filepath.Join(os.TempDir(), "airlock-test-no-config.yaml"))
	for _, k := range registry.Keys() {
		cmd.Env = append(cmd.Env, registry.EnvVar(k)+"=")
	}
	cmd.Env = append(cmd.Env, env...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, so.String(), se.String()}
}

// sharedZip returns the path of a shared all.zip under data (osv,
// osv-ghsa), skipping when the shared data is absent.
func sharedZip(t *testing.T, set, eco string) string {
	t.Helper()
	p := filepath.Join(osvDir, "..", set, eco, "all.zip")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not found at %s (it lives in ../shared beside the repository)", p)
	}
	return p
}

// zipEntries reads every entry of a zip, by name, in archive order.
func zipEntries(t *testing.T, p string) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		out[f.Name] = b
	}
	return names, out
}

// writeZipFile writes entries (name → content) as a zip at p.
func writeZipFile(t *testing.T, p string, entries map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(entries[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newerRecord is an OSV record modified in 2030.
func newerRecord(t *testing.T, b []byte) []byte {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["modified"] = "2030-01-01T00:00:00Z"
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type dbStatus struct {
	Sources []struct {
		Origin, Ecosystem, Path string
		DatedBy                 string    `json:"dated_by"`
		Records                 int       `json:"records"`
		NewestModified          time.Time `json:"newest_modified"`
		ImportedAt              time.Time `json:"imported_at"`
	}
	Distinct int `json:"distinct_records"`
	Stale    []string
}

func (s dbStatus) records() map[string]int {
	out := map[string]int{}
	for _, src := range s.Sources {
		out[src.Origin] = src.Records
	}
	return out
}

func status(t *testing.T, db string) dbStatus {
	t.Helper()
	r := airlock(t, db, "db", "status", "--format", "json")
	if r.code != 0 {
		t.Fatalf("db status: exit %d\n%s", r.code, r.stderr)
	}
	var st dbStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("db status: %v\n%s", err, r.stdout)
	}
	return st
}

// The Go data leaves every modified at the zero time; db status used to
// date it by its newest published date (2022) and call it stale.
func TestDBStatusGoDatedByImport(t *testing.T) {
	goZip := sharedZip(t, "osv", "Go")
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", goZip); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	st := status(t, db)
	if len(st.Sources) != 1 || st.Sources[0].DatedBy != "import" || !st.Sources[0].NewestModified.Equal(st.Sources[0].ImportedAt) || len(st.Stale) != 0 {
		t.Errorf("Go source %+v, stale %v: want dated by its import, not stale", st.Sources, st.Stale)
	}
	r := airlock(t, db, "db", "status", "--max-age", "7d")
	if r.code != 0 || strings.Contains(r.stdout, "stale") || !strings.Contains(r.stdout, "dated by its import") {
		t.Errorf("db status (exit %d):\n%s", r.code, r.stdout)
	}
	// The scan's staleness notice uses the same date.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire golang.org/x/net v0.0.1\n"), 0o644)
	if r := airlock(t, db, "scan", "--max-age", "7d", "--fail-on", "none", dir); r.code != 0 || strings.Contains(r.stdout, "vulnerability data is") {
		t.Errorf("scan: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// One newer PyPI record imported on its own used to replace all 2,661
// PyPI records.
func TestDBImportSingleRecordKeepsSet(t *testing.T) {
	pypi := sharedZip(t, "osv", "PyPI")
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", pypi); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	names, entries := zipEntries(t, pypi)
	one := filepath.Join(t.TempDir(), "one.json")
	os.WriteFile(one, newerRecord(t, entries[names[0]]), 0o644)
	r := airlock(t, db, "db", "import", one)
	if r.code != 0 || !strings.Contains(r.stdout, "imported 1 PyPI records (0 withdrawn) as PyPI/one.json") {
		t.Fatalf("import one.json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	st := status(t, db)
	if got := st.records(); got["osv/PyPI/all.zip"] != 2661 || got["PyPI/one.json"] != 1 || st.Distinct != 2661 {
		t.Errorf("sources %v, %d distinct; want the 2661 PyPI records kept beside the one", got, st.Distinct)
	}
}

// A copy of PyPI/all.zip whose entries are mostly garbage, or that holds
// far fewer records, does not replace the set unless --force.
func TestDBImportShrinkingArchive(t *testing.T) {
	pypi := sharedZip(t, "osv", "PyPI")
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", pypi); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	names, entries := zipEntries(t, pypi)
	media := t.TempDir()
	damaged := filepath.Join(media, "osv", "PyPI", "all.zip")
	garbage := map[string][]byte{}
	for i, n := range names {
		garbage[n] = []byte("\x00garbage")
		if i < 3 {
			// Newer than the set: the age check alone lets it through.
			garbage[n] = newerRecord(t, entries[n])
		}
	}
	writeZipFile(t, damaged, garbage)
	r := airlock(t, db, "db", "import", damaged)
	if r.code != exitError || !strings.Contains(r.stderr, damaged) || !strings.Contains(r.stderr, "holds 3 records (2658 entries skipped)") ||
		!strings.Contains(r.stderr, "holds 2661") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("damaged copy: exit %d\n%s", r.code, r.stderr)
	}

	partial := filepath.Join(media, "later", "osv", "PyPI", "all.zip")
	some := map[string][]byte{}
	for _, n := range names[:1000] {
		some[n] = entries[n]
	}
	writeZipFile(t, partial, some)
	r = airlock(t, db, "db", "import", partial)
	if r.code != exitError || !strings.Contains(r.stderr, "holds 1000 records (0 entries skipped)") || !strings.Contains(r.stderr, "holds 2661") {
		t.Errorf("partial copy: exit %d\n%s", r.code, r.stderr)
	}
	if got := status(t, db).records(); got["osv/PyPI/all.zip"] != 2661 || len(got) != 1 {
		t.Fatalf("after refusals: %v", got)
	}
	r = airlock(t, db, "db", "import", "--force", partial)
	if r.code != 0 || !strings.Contains(r.stdout, "replaced the 2661 records of osv/PyPI/all.zip") {
		t.Errorf("--force: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := status(t, db).records(); got["osv/PyPI/all.zip"] != 1000 || len(got) != 1 {
		t.Errorf("after --force: %v", got)
	}
}

// The GHSA sample beside the PYSEC set used to be refused as "older than
// the PyPI data already imported"; each source is now replaced only by a
// copy of itself.
func TestDBImportGHSABesidePYSEC(t *testing.T) {
	pypi := sharedZip(t, "osv", "PyPI")
	ghsa := sharedZip(t, "osv-ghsa", "PyPI")
	db := filepath.Join(t.TempDir(), "v.db")
	r := airlock(t, db, "db", "import", pypi, ghsa)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	if got := status(t, db).records(); got["osv/PyPI/all.zip"] != 2661 || got["osv-ghsa/PyPI/all.zip"] != 22 || len(got) != 2 {
		t.Fatalf("sources %v", got)
	}
	tbl := airlock(t, db, "db", "status")
	for _, want := range []string{"osv/PyPI/all.zip", "osv-ghsa/PyPI/all.zip", "ORIGIN"} {
		if !strings.Contains(tbl.stdout, want) {
			t.Errorf("db status lacks %q:\n%s", want, tbl.stdout)
		}
	}
	// The GHSA sample imported alone, then the PYSEC set: the same.
	db2 := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db2, "db", "import", ghsa); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	if r := airlock(t, db2, "db", "import", pypi); r.code != 0 {
		t.Fatalf("PYSEC after GHSA: exit %d\n%s", r.code, r.stderr)
	}

	// A newer copy of the GHSA sample replaces the GHSA records only.
	names, entries := zipEntries(t, ghsa)
	newer := map[string][]byte{}
	for _, n := range names[:12] {
		newer[n] = newerRecord(t, entries[n])
	}
	copyPath := filepath.Join(t.TempDir(), "osv-ghsa", "PyPI", "all.zip")
	writeZipFile(t, copyPath, newer)
	r = airlock(t, db, "db", "import", copyPath)
	if r.code != 0 || !strings.Contains(r.stdout, "replaced the 22 records of osv-ghsa/PyPI/all.zip") {
		t.Fatalf("newer GHSA copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := status(t, db).records(); got["osv/PyPI/all.zip"] != 2661 || got["osv-ghsa/PyPI/all.zip"] != 12 {
		t.Errorf("after the newer GHSA copy: %v", got)
	}

	// Scanning with both: each vulnerability once.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("django==3.2.0\n"), 0o644)
	r = airlock(t, db, "scan", "--format", "json", dir)
	if r.code != exitFindings {
		t.Fatalf("scan: exit %d\n%s", r.code, r.stderr)
	}
	var rep struct{ Findings []struct{ ID string } }
	json.Unmarshal([]byte(r.stdout), &rep)
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if seen[f.ID] {
			t.Errorf("%s reported twice", f.ID)
		}
		seen[f.ID] = true
	}
	if len(rep.Findings) < 10 {
		t.Errorf("%d findings for django 3.2.0", len(rep.Findings))
	}
}

// A database the scan cannot write (a read-only directory, a 0444 file)
// is scanned, and nothing is written beside it. Tests run as root, which
// ignores file modes, so the scan then runs as nobody.
func TestScanReadOnlyDatabase(t *testing.T) {
	pypi := sharedZip(t, "osv", "PyPI")
	// Directories nobody can enter: the binary, the database, the tree.
	root, err := os.MkdirTemp("", "airlock-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(root)
	})
	os.Chmod(root, 0o755)
	bin := filepath.Join(root, "airlock")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, b, 0o755)
	dbDir := filepath.Join(root, "data")
	os.Mkdir(dbDir, 0o755)
	db := filepath.Join(dbDir, "vulndb.sqlite")
	if r := airlock(t, db, "db", "import", pypi); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	tree := filepath.Join(root, "tree")
	os.Mkdir(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "requirements.txt"), []byte("django==3.2.0\n"), 0o644)
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dbDir, 0o555); err != nil {
		t.Fatal(err)
	}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	env := []string{"AIRLOCK_DB=" + db, "HOME=" + root}
	r := airlockEnv(t, bin, env, cred, "scan", "--scanners", "vuln", "--format", "json", tree)
	if r.code != exitFindings || !strings.Contains(r.stdout, "PYSEC-") {
		t.Errorf("scan of a read-only database: exit %d\n%s", r.code, r.stderr)
	}
	r = airlockEnv(t, bin, env, cred, "db", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "osv/PyPI/all.zip") {
		t.Errorf("db status of a read-only database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	entries, _ := os.ReadDir(dbDir)
	if len(entries) != 1 {
		t.Errorf("files beside the database: %v", entries)
	}
	// Importing into it fails with the reason, not a panic.
	r = airlockEnv(t, bin, env, cred, "db", "import", pypi)
	if os.Getuid() == 0 && r.code != exitError {
		t.Errorf("import into a read-only database: exit %d\n%s", r.code, r.stderr)
	}
}

// A database named with --db or AIRLOCK_DB that does not exist is an
// error naming it; only the default path may be missing (a warning).
func TestScanNamedDatabaseMissing(t *testing.T) {
	tree := t.TempDir()
	os.WriteFile(filepath.Join(tree, "requirements.txt"), []byte("django==3.2.0\n"), 0o644)
	missing := filepath.Join(t.TempDir(), "nonexistent", "vulndb.sqlite")
	home := t.TempDir()
	base := []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "data")}
	for name, c := range map[string]struct {
		env  []string
		args []string
	}{
		"--db":       {base, []string{"scan", "--db", missing, tree}},
		"AIRLOCK_DB": {append(base, "AIRLOCK_DB="+missing), []string{"scan", tree}},
	} {
		r := airlockEnv(t, binary, c.env, nil, c.args...)
		if r.code != exitError || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "airlock db import") {
			t.Errorf("%s: exit %d, stderr %q; want %d naming %s", name, r.code, r.stderr, exitError, missing)
		}
	}
	// An empty named database is as useless.
	empty := filepath.Join(t.TempDir(), "empty.db")
	os.WriteFile(empty, nil, 0o644)
	if r := airlockEnv(t, binary, base, nil, "scan", "--db", empty, tree); r.code != exitError || !strings.Contains(r.stderr, empty) {
		t.Errorf("empty --db: exit %d, stderr %q", r.code, r.stderr)
	}
	// The default path, missing: the scan runs what it can and says why
	// dependencies were skipped.
	r := airlockEnv(t, binary, base, nil, "scan", tree)
	def := filepath.Join(home, "data", "airlock", "vulndb.sqlite")
	if r.code != 0 || !strings.Contains(r.stdout, "dependency scanning skipped") || !strings.Contains(r.stdout, def) {
		t.Errorf("default path: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(def); err == nil {
		t.Errorf("the scan created %s", def)
	}
}
