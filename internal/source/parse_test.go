package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata: the logs from freshly built repositories, and the golden results")

// logFixtures build the repositories whose `git log` output testdata keeps.
var logFixtures = map[string]func(t *testing.T) *gitRepo{
	"secret-deleted": func(t *testing.T) *gitRepo {
		r := newGitRepo(t)
		r.write("config/app.env", "name=demo\nport=8080\n")
		r.commit("config")
		r.write("config/app.env", "name=demo\n"+secretLine+"port=8080\n")
		r.commit("add token")
		r.write("config/app.env", "name=demo\nport=8080\n")
		r.commit("remove token")
		r.remove("config/app.env")
		r.commit("remove config")
		return r
	},
	"paths": func(t *testing.T) *gitRepo {
		r := newGitRepo(t)
		for i, p := range []string{"with space/file name.txt", "ünïcødé/日本語.txt", "tab\there.txt", "quote\"d.txt", "back\\slash.txt", "new\nline.txt", "b/x.txt"} {
			r.write(p, strings.Repeat("x", i+1)+"\n")
		}
		r.commit("odd names")
		r.write("with space/file name.txt", "x\ny\n")
		r.commit("edit")
		return r
	},
	"special": func(t *testing.T) *gitRepo {
		r := newGitRepo(t)
		r.write("logo.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		r.write("readme.txt", "hello\nno newline")
		if err := os.Symlink("readme.txt", filepath.Join(r.dir, "link")); err != nil {
			t.Fatal(err)
		}
		r.commit("binary, text and link")
		r.git("update-index", "--add", "--cacheinfo", "160000,"+r.git("rev-parse", "HEAD")+",vendor/lib")
		r.git("commit", "-q", "-m", "submodule")
		r.n++
		r.write("readme.txt", "hello\n++ b/fake\n@@ -1 +1 @@\n")
		r.commit("header-like lines")
		r.write("notes.txt", "1\n2\n3\n4\n5\n6\n")
		r.commit("notes")
		r.write("notes.txt", "1\nTWO\n3\n4\n5\n6\n6a\n6b\n")
		r.commit("edits")
		return r
	},
	"branches": func(t *testing.T) *gitRepo {
		r, _, _, _, _, _ := branchRepo(t)
		r.git("mv", "feature.txt", "moved.txt")
		r.commit("rename")
		return r
	},
}

// TestLogFixtures parses the saved logs and compares the result with the
// golden files. With -update, it first rebuilds the logs with the local git.
func TestLogFixtures(t *testing.T) {
	if *update {
		for name, build := range logFixtures {
			r := build(t)
			revs := r.git("rev-list", "--all")
			cmd := exec.Command("git", logArgs()...)
			cmd.Dir = r.dir
			cmd.Env = gitEnv(r.dir)
			cmd.Stdin = strings.NewReader(revs + "\n")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: git log: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join("testdata", name+".log"), out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	logs, err := filepath.Glob(filepath.Join("testdata", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no testdata/*.log (%v)", err)
	}
	for _, log := range logs {
		t.Run(filepath.Base(log), func(t *testing.T) {
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			got := parseResult(t, data)
			golden := strings.TrimSuffix(log, ".log") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("parse of %s (-want +got):\n%s", log, diff)
			}
		})
	}
}

// parseResult parses a log and renders its hunks and stats as JSON.
func parseResult(t *testing.T, log []byte) []byte {
	t.Helper()
	var hs []hunk
	p := newParser(collect(&hs))
	if err := p.parse(bufio.NewReader(bytes.NewReader(log))); err != nil {
		t.Fatalf("parse: %v", err)
	}
	out, err := json.MarshalIndent(struct {
		Stats Stats
		Hunks []hunk
	}{p.stats, hs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func TestParseMalformed(t *testing.T) {
	const commit = "\x00commit\x00abc\x00A\x00a@x\x002024-01-01T00:00:00Z\n"
	const file = "diff --git a/f b/f\n--- a/f\n+++ b/f\n"
	tests := map[string]string{
		"bad date":             "\x00commit\x00abc\x00A\x00a@x\x00yesterday\n",
		"few fields":           "\x00commit\x00abc\x00A\n",
		"hunk without a file":  commit + "diff --git a/f b/f\n@@ -0,0 +1 @@\n+x\n",
		"line zero":            commit + file + "@@ -0,0 +0,2 @@\n+x\n+y\n",
		"bad header":           commit + file + "@@ -1,x +1 @@\n",
		"combined header":      commit + file + "@@@ -1 -1 +1 @@@\n",
		"too many added":       commit + file + "@@ -0,0 +1 @@\n+x\n+y\n",
		"short hunk":           commit + file + "@@ -0,0 +1,3 @@\n+x\ndiff --git a/g b/g\n",
		"truncated":            commit + file + "@@ -0,0 +1,3 @@\n+x\n",
		"unterminated quote":   commit + "diff --git a/f b/f\n+++ \"b/f\n",
		"bad escape":           commit + "diff --git a/f b/f\n+++ \"b/\\q\"\n",
		"no b/ prefix":         commit + "diff --git a/f b/f\n+++ f\n",
		"huge count":           commit + file + "@@ -0,0 +1,1234567890 @@\n",
		"removed beyond count": commit + file + "@@ -1 +0,0 @@\n-x\n-y\n",
	}
	for name, log := range tests {
		t.Run(name, func(t *testing.T) {
			p := newParser(func(Hunk) error { return nil })
			if err := p.parse(bufio.NewReader(strings.NewReader(log))); err == nil {
				t.Errorf("no error for %q", log)
			}
		})
	}
}

func TestUnquote(t *testing.T) {
	tests := map[string]string{
		`"b/a\tb"`:                "b/a\tb",
		`"b/\"q\" \\ \a\b\f\v\r"`: "b/\"q\" \\ \a\b\f\v\r",
		`"b/\303\274.txt"`:        "b/ü.txt",
		`"b/new\nline"`:           "b/new\nline",
		`"b/\001"`:                "b/\x01",
	}
	for in, want := range tests {
		got, err := unquote([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("unquote(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"`, `"abc`, `"a\"`, `"a\9"`, `"\40"`, `"a"b"`} {
		if _, err := unquote([]byte(bad)); err == nil {
			t.Errorf("unquote(%s): no error", bad)
		}
	}
}

// FuzzParseLog feeds arbitrary logs to the parser: it never panics, never
// reports a hunk that starts before line 1, and every hunk's content is
// whole lines within the size bound.
func FuzzParseLog(f *testing.F) {
	logs, _ := filepath.Glob(filepath.Join("testdata", "*.log"))
	for _, log := range logs {
		data, err := os.ReadFile(log)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\x00commit\x00c\x00A\x00a@x\x002024-01-01T00:00:00Z\ndiff --git a/f b/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n\\ No newline at end of file\n+y"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var total int64
		p := newParser(func(h Hunk) error {
			if h.StartLine < 1 {
				t.Fatalf("hunk at line %d", h.StartLine)
			}
			if len(h.Content) == 0 || h.Content[len(h.Content)-1] != '\n' {
				t.Fatalf("hunk content %q is not whole lines", h.Content)
			}
			if h.Path == "" || h.Commit == "" {
				t.Fatalf("hunk without a path or commit: %+v", h)
			}
			total += int64(len(h.Content))
			return nil
		})
		_ = p.parse(bufio.NewReaderSize(bytes.NewReader(data), 16))
		if p.stats.AddedBytes != total {
			t.Fatalf("AddedBytes %d, hunks hold %d", p.stats.AddedBytes, total)
		}
	})
}
