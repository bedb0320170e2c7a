package source

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		".gitignore":                  "build/\n*.log\n",
		"go.mod":                      "module x\n",
		"a.log":                       "",
		"build/out.txt":               "",
		"sub/requirements.txt":        "",
		"sub/.gitignore":              "local.txt\n",
		"sub/local.txt":               "",
		"node_modules/x/package.json": "{}",
		"caf\xe9/Cargo.lock":          "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("x"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "linked"))
	os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "linked.txt"))
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	files, errs, err := tree.Walk(context.Background(), WalkOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("Walk: %v %v", err, errs)
	}
	want := []string{".gitignore", "caf\xe9/Cargo.lock", "go.mod", "sub/.gitignore", "sub/requirements.txt"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	files, _, _ = tree.Walk(context.Background(), WalkOptions{NoIgnore: true})
	if len(files) != 8 {
		t.Errorf("NoIgnore: %d files, want 8: %q", len(files), files)
	}
}

// TestWalkHostileGitignore: a .gitignore that is a FIFO or a link out of
// the tree is not read (and the walk does not wait on it): a warning, and
// everything is listed.
func TestWalkHostileGitignore(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.log"), nil, 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, ".gitignore"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	outside := filepath.Join(t.TempDir(), "ignore")
	os.WriteFile(outside, []byte("*\n"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "sub", ".gitignore"))
	os.WriteFile(filepath.Join(dir, "sub", "b.txt"), nil, 0o644)
	tree, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	files, errs, err := tree.Walk(context.Background(), WalkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.log", "sub/b.txt"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(errs) != 2 || !errs[0].Warning || !errs[1].Warning || errs[0].Path != ".gitignore" || errs[1].Path != "sub/.gitignore" {
		t.Errorf("errors %v: want warnings for both .gitignore files", errs)
	}
}

// TestTreeStaysInside: paths with "..", absolute paths and links out of
// the tree do not open; a FIFO is refused at once.
func TestTreeStaysInside(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "host.txt")
	os.WriteFile(outside, []byte("host"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "out"))
	os.WriteFile(filepath.Join(dir, "in.txt"), []byte("in"), 0o644)
	os.Symlink("in.txt", filepath.Join(dir, "alias"))
	syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644)
	tree, err := OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	for _, name := range []string{"../host.txt", "/etc/hostname", "out", "fifo", "", "a//b", "./in.txt"} {
		if _, err := tree.ReadFile(name, 0); err == nil {
			t.Errorf("ReadFile(%q) succeeded", name)
		}
	}
	if b, err := tree.ReadFile("alias", 0); err != nil || string(b) != "in" {
		t.Errorf("a link inside the tree: %q, %v", b, err)
	}
	if _, err := tree.ReadFile("in.txt", 1); err == nil {
		t.Error("ReadFile over the limit succeeded")
	}
}
