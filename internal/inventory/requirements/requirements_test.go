package requirements

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/inventorytest"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"requirements.txt", true},
		{"app/requirements.txt", true},
		{"requirements-dev.txt", true},
		{"requirements_test.txt", true},
		{"Requirements.TXT", true},
		{"dev-requirements.txt", true},
		{"test_requirements.txt", true},
		{"requirements/base.txt", true},
		{"src/requirements/prod.txt", true},
		{"requirements.in", false},
		{"requirements.txt.bak", false},
		{"constraints.txt", false},
		{"notes.txt", false},
		{"myrequirements.txt", false},
		{"requirements/README.md", false},
		{"Pipfile.lock", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.txt")
}

// TestIncludeInSubdirectory checks that locations are relative to the scan
// root, not to the including file, and that errors are ParseErrors.
func TestIncludeInSubdirectory(t *testing.T) {
	root := fstest.MapFS{
		"svc/requirements.txt":      {Data: []byte("-r requirements/base.txt\nflask==3.0.0\n")},
		"svc/requirements/base.txt": {Data: []byte("\n-c ../constraints.txt\nrequests\n")},
		"svc/constraints.txt":       {Data: []byte("requests==2.31.0\n")},
		"bad/requirements.txt":      {Data: []byte("ok==1\n-r missing.txt\n")},
	}
	x := New()
	got, err := x.Extract(context.Background(), &inventory.Input{
		Path:   "svc/requirements.txt",
		Reader: strings.NewReader(string(root["svc/requirements.txt"].Data)),
		Root:   root,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{
		{Ecosystem: inventory.PyPI, Name: "requests", Version: "2.31.0", Relation: inventory.RelationDirect,
			Location: inventory.Location{Path: "svc/requirements/base.txt", Line: 3}},
		{Ecosystem: inventory.PyPI, Name: "flask", Version: "3.0.0", Relation: inventory.RelationDirect,
			Location: inventory.Location{Path: "svc/requirements.txt", Line: 2}, VersionSpan: &inventory.Span{Start: 32, End: 37}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if !cmp.Equal(got[i], want[i]) {
			t.Errorf("package %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	_, err = x.Extract(context.Background(), &inventory.Input{
		Path:   "bad/requirements.txt",
		Reader: strings.NewReader(string(root["bad/requirements.txt"].Data)),
		Root:   root,
	})
	var pe *inventory.ParseError
	if !errors.As(err, &pe) || pe.Path != "bad/requirements.txt" || pe.Line != 2 {
		t.Errorf("missing include: got %v, want a ParseError at bad/requirements.txt:2", err)
	}
}

func TestNilRoot(t *testing.T) {
	x := New()
	got, err := x.Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader("a==1\n")})
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = x.Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader("-r b.txt\n")})
	var pe *inventory.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("include without a file system: got %v, want a ParseError", err)
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "requirements.txt", "testdata/*.txt")
}

// TestSymlinkInclude checks that an include reached through a symbolic link
// is read when the link stays inside the tree and refused when it leaves
// it, while the including file's other lines are still read.
func TestSymlinkInclude(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("leaked==1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("symbolic links not supported: %v", err)
		}
	}
	write("app/requirements.txt", "-r abs.txt\n-r rel.txt\n-r linkdir/secret.txt\n-r inside.txt\nkept==1.0\n")
	write("shared/base.txt", "base==2.0\n")
	link(filepath.Join(outside, "secret.txt"), "app/abs.txt")
	link("../../"+filepath.Base(outside)+"/secret.txt", "app/rel.txt")
	link(outside, "app/linkdir")
	link("../shared/base.txt", "app/inside.txt")

	got, err := New().Extract(context.Background(), &inventory.Input{
		Path:   "app/requirements.txt",
		Reader: strings.NewReader("-r abs.txt\n-r rel.txt\n-r linkdir/secret.txt\n-r inside.txt\nkept==1.0\n"),
		Root:   os.DirFS(dir),
	})
	var ps inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v, want Problems", err)
	}
	var lines []int
	for _, p := range ps {
		lines = append(lines, p.Line)
		if p.Warning || !errors.Is(p, inventory.ErrOutsideTree) {
			t.Errorf("problem %v: want an error wrapping ErrOutsideTree", p)
		}
	}
	if diff := cmp.Diff([]int{1, 2, 3}, lines); diff != "" {
		t.Errorf("problem lines (-want +got):\n%s", diff)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name+"@"+p.Location.Path)
	}
	if diff := cmp.Diff([]string{"base@app/inside.txt", "kept@app/requirements.txt"}, names); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

// TestSymlinkIncludeMapFS checks the same through fstest.MapFS links.
func TestSymlinkIncludeMapFS(t *testing.T) {
	root := fstest.MapFS{
		"requirements.txt": {Data: []byte("-r up.txt\nkept==1.0\n")},
		"up.txt":           {Data: []byte("../x.txt"), Mode: fs.ModeSymlink},
	}
	got, err := New().Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader("-r up.txt\nkept==1.0\n"), Root: root})
	if !errors.Is(err, inventory.ErrOutsideTree) || len(got) != 1 {
		t.Fatalf("got %v, %v; want kept and an error about the tree", got, err)
	}
}

// TestMarkers checks item 11 of the issue: one name under two markers is two
// packages; under the same marker, one.
func TestMarkers(t *testing.T) {
	in := "numpy==1.21.0; sys_platform == \"linux\"\nnumpy==1.19.5; sys_platform == \"win32\"\nnumpy==1.21.0;sys_platform==\"linux\"\n"
	got, err := New().Extract(context.Background(), &inventory.Input{Path: "requirements.txt", Reader: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, p := range got {
		vs = append(vs, p.Version)
	}
	if diff := cmp.Diff([]string{"1.21.0", "1.19.5"}, vs); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}
