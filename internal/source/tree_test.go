package source

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestTreeSub(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b", "f.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	sub, err := tree.Sub("a/b")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if b, err := fs.ReadFile(sub, "f.txt"); err != nil || string(b) != "hi" {
		t.Errorf("sub f.txt: %q, %v", b, err)
	}
	if _, err := sub.Open("../b/f.txt"); err == nil {
		t.Error("sub opened a path with ..")
	}
	for _, bad := range []string{"../a", "a/../a", "/a", "a/b/f.txt/"} {
		if s, err := tree.Sub(bad); err == nil {
			s.Close()
			t.Errorf("Sub(%q) succeeded", bad)
		}
	}
}
