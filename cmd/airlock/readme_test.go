package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeRunCommand runs the README's run command as written, on the
// clone alone: import the sample OSV data, scan the sample repository.
func TestReadmeRunCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`go build -o airlock ./cmd/airlock && ./airlock db import ([^&\n]+) && ./airlock scan (\S+)`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("the README has no run command of the expected form")
	}
	var zips []string
	for _, pattern := range strings.Fields(m[1]) {
		got, err := filepath.Glob(filepath.Join("..", "..", pattern))
		if err != nil || len(got) == 0 {
			t.Fatalf("%s matches nothing in the clone", pattern)
		}
		zips = append(zips, got...)
	}
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, append([]string{"db", "import"}, zips...)...); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := airlock(t, db, "scan", filepath.Join("..", "..", m[2]))
	if r.code != exitFindings || !strings.Contains(r.stdout, "django@3.2.0") || !regexp.MustCompile(`\d+ vulnerabilities \(\d+ critical`).MatchString(r.stdout) {
		t.Errorf("scan: exit %d, want 3 with rated findings\n%s%s", r.code, r.stdout, r.stderr)
	}
}
