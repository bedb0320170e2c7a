package source

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGitignore(t *testing.T) {
	var g gitignore
	g.add("", []byte("# comment\n\n*.log\nbuild/\n/dist\n!keep.log\ndocs/**/gen\n\\#hash\ntrailing   \n"))
	g.add("sub", []byte("local.txt\n/anchored\n**/deep/x\n"))
	for _, c := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"a.log", false, true},
		{"x/y/a.log", false, true},
		{"keep.log", false, false},
		{"build", true, true},
		{"x/build", true, true},
		{"build", false, false}, // directory-only pattern
		{"dist", true, true},
		{"x/dist", true, false}, // anchored to the root
		{"docs/gen", true, true},
		{"docs/a/b/gen", true, true},
		{"#hash", false, true},
		{"trailing", false, true},
		{"sub/local.txt", false, true},
		{"local.txt", false, false}, // rules of sub/ apply below sub only
		{"sub/anchored", false, true},
		{"sub/x/anchored", false, false},
		{"sub/a/deep/x", false, true},
		{"go.mod", false, false},
	} {
		if got := g.ignored(c.path, c.dir); got != c.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}

func FuzzGitignore(f *testing.F) {
	files, _ := filepath.Glob("testdata/gitignore/*")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b, "a/b/c.txt")
	}
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		var g gitignore
		g.add("", data)
		g.add("a", data)
		g.ignored(p, false)
		g.ignored(p, true)
	})
}
