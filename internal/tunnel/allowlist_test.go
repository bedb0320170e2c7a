package tunnel

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist("default", DefaultAllowlist)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/api/v4/version", true},
		{"HEAD", "/api/v4/version", true},
		{"GET", "/api/v4/projects/team%2Fapp", true},
		{"GET", "/api/v4/projects/team/app", false},
		{"POST", "/api/v4/projects/7/statuses/0123abc", true},
		{"DELETE", "/api/v4/projects/7", false},
		{"PUT", "/api/v4/projects/7/merge_requests/3/notes/9", true},
		{"GET", "/group/sub/app.git/info/refs", true},
		{"POST", "/group/sub/app.git/git-upload-pack", true},
		{"POST", "/group/sub/app.git/git-receive-pack", false},
		{"GET", "/info/refs", false},
		{"GET", "/api/v4/projects/7/../../admin", false},
		{"GET", "/api/v4/projects/%2e%2e/x", false},
		{"GET", "/api/v4//version", false},
		{"GET", "api/v4/version", false},
	} {
		if got := a.Allows(c.method, c.path); got != c.want {
			t.Errorf("Allows(%s %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

func TestParseAllowlistErrors(t *testing.T) {
	for text, want := range map[string]string{
		"GET api/v4":     "a.txt:1: pattern",
		"\nFETCH /x":     "a.txt:2: method",
		"GET /a*b":       "whole segments",
		"GET /a/../b":    ".. segment",
		"GET /a?x=1":     "without a query",
		"GET":            "want METHOD",
		"# only comment": "no rules",
	} {
		if _, err := ParseAllowlist("a.txt", text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

func FuzzParseAllowlist(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.allowlist")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(string(b), "GET", "/api/v4/version")
	}
	f.Fuzz(func(t *testing.T, text, method, path string) {
		a, err := ParseAllowlist("fuzz.allowlist", text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.allowlist") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if a.Allows(method, path) && (strings.Contains(path, "/../") || strings.HasSuffix(path, "/..") || !strings.HasPrefix(path, "/")) {
			t.Fatalf("allowed %s %q", method, path)
		}
	})
}

// TestAgentDependencies: the agent's side of the tunnel keeps the
// platform's server-only packages (store, River, the server) out of its
// import graph.
func TestAgentDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/store", "/internal/server", "/internal/job", "github.com/riverqueue/", "modernc.org/sqlite", "github.com/jackc/pgx"} {
			if strings.Contains(dep, banned) {
				t.Errorf("internal/tunnel depends on %s", dep)
			}
		}
	}
}

// TestCheckVersion: agents one minor version apart are accepted (one
// behind is outdated); further apart, refused; development builds pass.
func TestCheckVersion(t *testing.T) {
	for _, c := range []struct {
		server, agent string
		outdated, ok  bool
	}{
		{"1.4.0", "1.4.2", false, true},
		{"1.4.0", "v1.3.9", true, true},
		{"1.4.0", "1.5.0", false, true},
		{"1.4.0", "1.2.0", false, false},
		{"1.4.0", "2.4.0", false, false},
		{"1.4.0", "devel", false, true},
		{"", "1.0.0", false, true},
	} {
		outdated, err := checkVersion(c.server, c.agent)
		if outdated != c.outdated || (err == nil) != c.ok {
			t.Errorf("checkVersion(%q, %q) = %v, %v", c.server, c.agent, outdated, err)
		}
	}
}
