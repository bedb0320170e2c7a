package main

// Regression tests for the accuracy and safety issue's scan-level items:
// unread input fails the scan, the size bound, what the walk reads, and
// the command line's messages.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tinyDB is a vulnerability database holding one PyPI record, enough for
// dependency scanning to run.
func tinyDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rec := filepath.Join(dir, "PYSEC-0000-1.json")
	os.WriteFile(rec, []byte(`{"id":"PYSEC-0000-1","modified":"2026-11-01T00:00:00Z","published":"2026-11-01T00:00:00Z","summary":"flaw in demo",
		"affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`), 0o644)
	db := filepath.Join(dir, "v.db")
	if r := airlock(t, db, "db", "import", rec); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return db
}

type noticeJSON struct {
	Level, Path, Message string
	Line                 int
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestUnreadInputFailsTheScan: a manifest line that cannot be parsed is an
// error notice naming file and line, in every report, and the scan exits 1
// even with --fail-on none and with findings; --allow-parse-errors judges
// by what was read.
func TestUnreadInputFailsTheScan(t *testing.T) {
	db := tinyDB(t)
	dir := writeTree(t, map[string]string{
		"requirements.txt": "demo==1.0\nlimnoria==2013-01-21T20:33:09+0100\n",
	})
	out := filepath.Join(t.TempDir(), "report.json")
	r := airlock(t, db, "scan", "--scanners", "vuln", "--format", "json", "--output", out, dir)
	if r.code != exitError {
		t.Fatalf("exit %d, want 1 (unread input wins over findings)\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "requirements.txt:2:") || !strings.Contains(r.stderr, "incomplete") {
		t.Errorf("stderr does not name the line or say the scan is incomplete:\n%s", r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the report was not written: %v", err)
	}
	var rep struct{ Notices []noticeJSON }
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range rep.Notices {
		if n.Level == "error" && n.Path == "requirements.txt" && n.Line == 2 && !strings.Contains(n.Message, "requirements.txt") {
			found = true
		}
	}
	if !found {
		t.Errorf("no error notice at requirements.txt line 2 (message without the repeated name): %+v", rep.Notices)
	}

	if r := airlock(t, db, "scan", "--scanners", "vuln", "--fail-on", "none", dir); r.code != exitError {
		t.Errorf("--fail-on none: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := airlock(t, db, "scan", "--scanners", "vuln", "--fail-on", "none", "--allow-parse-errors", dir); r.code != 0 {
		t.Errorf("--allow-parse-errors --fail-on none: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = airlock(t, db, "scan", "--scanners", "vuln", "--format", "sarif", dir)
	if r.code != exitError {
		t.Errorf("sarif: exit %d", r.code)
	}
	var sarif struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        bool `json:"executionSuccessful"`
				ToolExecutionNotifications []struct {
					Level     string
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string }
							Region           struct{ StartLine int }
						}
					}
				} `json:"toolExecutionNotifications"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil {
		t.Fatal(err)
	}
	inv := sarif.Runs[0].Invocations[0]
	ok := false
	for _, n := range inv.ToolExecutionNotifications {
		if n.Level == "error" && len(n.Locations) == 1 && n.Locations[0].PhysicalLocation.ArtifactLocation.URI == "requirements.txt" && n.Locations[0].PhysicalLocation.Region.StartLine == 2 {
			ok = true
		}
	}
	if inv.ExecutionSuccessful || !ok {
		t.Errorf("SARIF invocation: executionSuccessful %v, notifications %+v", inv.ExecutionSuccessful, inv.ToolExecutionNotifications)
	}
}

// TestMaxFileSize: a manifest over --max-file-size is not read, and that
// makes the scan incomplete.
func TestMaxFileSize(t *testing.T) {
	db := tinyDB(t)
	dir := writeTree(t, map[string]string{"requirements.txt": strings.Repeat("# padding\n", 200) + "demo==1.0\n"})
	r := airlock(t, db, "scan", "--scanners", "vuln", "--max-file-size", "1KiB", "--format", "json", dir)
	if r.code != exitError || !strings.Contains(r.stdout, "over the limit of 1024 bytes") || !strings.Contains(r.stderr, "requirements.txt: not read") {
		t.Errorf("1KiB: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := airlock(t, db, "scan", "--scanners", "vuln", "--max-file-size", "64MiB", dir); r.code != exitFindings {
		t.Errorf("64MiB: exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := airlock(t, db, "scan", "--max-file-size", "lots", dir); r.code != exitUsage || !strings.Contains(r.stderr, "max-file-size") {
		t.Errorf("bad size: exit %d\n%s", r.code, r.stderr)
	}
}

// TestNonUTF8Directory: a manifest below a directory whose name is not
// UTF-8 is read like any other.
func TestNonUTF8Directory(t *testing.T) {
	db := tinyDB(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "caf\xe9")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Skipf("the file system refuses a Latin-1 name: %v", err)
	}
	os.WriteFile(filepath.Join(sub, "requirements.txt"), []byte("demo==1.0\n"), 0o644)
	r := airlock(t, db, "scan", "--scanners", "vuln", "--format", "json", dir)
	if r.code != exitFindings || !strings.Contains(r.stdout, "PYSEC-0000-1") {
		t.Errorf("exit %d, want 3 with the finding\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestFIFOsAreNotRead: a FIFO where .airlock.yaml or a manifest would be
// neither hangs the scan nor passes for a file.
func TestFIFOsAreNotRead(t *testing.T) {
	db := tinyDB(t)
	dir := writeTree(t, map[string]string{"requirements.txt": "demo==1.0\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, ".airlock.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	syscall.Mkfifo(filepath.Join(sub, "requirements.txt"), 0o644)
	r := airlock(t, db, "scan", "--scanners", "vuln,secret", dir)
	if r.code != exitError || !strings.Contains(r.stderr, ".airlock.yaml") || !strings.Contains(r.stderr, "not a regular file") {
		t.Errorf("FIFO .airlock.yaml: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Scanning the FIFO by name is refused too, without waiting for a writer.
	r = airlock(t, db, "scan", "--scanners", "vuln", "--format", "json", filepath.Join(sub, "requirements.txt"))
	if r.code != exitError || !strings.Contains(r.stdout+r.stderr, "not a regular file") {
		t.Errorf("FIFO manifest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestRepositoryPolicyStaysInTree: an .airlock.yaml that links out of the
// scanned tree is not followed.
func TestRepositoryPolicyStaysInTree(t *testing.T) {
	db := tinyDB(t)
	outside := filepath.Join(t.TempDir(), "host-secrets.yaml")
	os.WriteFile(outside, []byte("db_password: hunter2\n"), 0o600)
	dir := writeTree(t, map[string]string{"requirements.txt": "demo==1.0\n"})
	if err := os.Symlink(outside, filepath.Join(dir, ".airlock.yaml")); err != nil {
		t.Fatal(err)
	}
	r := airlock(t, db, "scan", "--scanners", "vuln", dir)
	if r.code != exitError || strings.Contains(r.stderr, "db_password") || !strings.Contains(r.stderr, ".airlock.yaml") {
		t.Errorf("exit %d, stderr %q: want 1, naming .airlock.yaml and not the outside file's keys", r.code, r.stderr)
	}
}

// TestPolicyErrorsSpeakYAML: mistakes in .airlock.yaml name the file and
// the line, and no Go type names.
func TestPolicyErrorsSpeakYAML(t *testing.T) {
	db := tinyDB(t)
	for body, want := range map[string]string{
		"ignore: 5\n":                           ".airlock.yaml: line 1: found a number where a list of ignores is expected",
		"ignore:\n  - 5\n":                      ".airlock.yaml: line 2: found a number where an ignore (a mapping with id and reason) is expected",
		"ignore:\n  - id: [1]\n    reason: x\n": ".airlock.yaml: line 2: found a list where a string is expected",
		"ignore:\n  - id: \"x\n":                ".airlock.yaml: line 2:",
	} {
		dir := writeTree(t, map[string]string{"requirements.txt": "demo==1.0\n", ".airlock.yaml": body})
		r := airlock(t, db, "scan", dir)
		if r.code != exitError || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "policy.") {
			t.Errorf("%q: exit %d, stderr %q; want %q", body, r.code, r.stderr, want)
		}
	}
}

// TestHelpAndFlagErrors: every command has help; a wrong flag is reported
// once.
func TestHelpAndFlagErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	if r := airlock(t, db, "db", "--help"); r.code != 0 || !strings.Contains(r.stdout, "airlock db import") {
		t.Errorf("db --help: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, cmd := range []string{"serve", "worker"} {
		if r := airlock(t, db, cmd, "-h"); r.code != 0 || !strings.Contains(r.stderr, "Usage: airlock "+cmd+" [flags]") || !strings.Contains(r.stderr, "-database-url") {
			t.Errorf("%s -h: exit %d\n%s", cmd, r.code, r.stderr)
		}
	}
	if r := airlock(t, db, "serve", "--max-bundle-upload", "0"); r.code != exitUsage || !strings.Contains(r.stderr, "max_bundle_upload (--max-bundle-upload, AIRLOCK_MAX_BUNDLE_UPLOAD) is 0: it must be a positive number of bytes") {
		t.Errorf("serve --max-bundle-upload 0: exit %d\n%s", r.code, r.stderr)
	}
	r := airlock(t, db, "scan", "--bogus")
	if r.code != exitUsage || strings.Count(r.stderr, "bogus") != 1 || strings.Contains(r.stderr, "Usage:") {
		t.Errorf("scan --bogus: exit %d, stderr %q: want one message", r.code, r.stderr)
	}
}
