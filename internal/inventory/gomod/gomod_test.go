package gomod

import (
	"bytes"
	"context"
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
		{"go.mod", true},
		{"cmd/tool/go.mod", true},
		{"vendor/modules.txt", true},
		{"sub/vendor/modules.txt", true},
		{"modules.txt", false},
		{"docs/modules.txt", false},
		{"go.sum", false},
		{"go.work", false},
		{"go.mod.bak", false},
		{"xgo.mod", false},
	}
	x := New()
	for _, tt := range tests {
		if got := x.FileRequired(tt.path); got != tt.want {
			t.Errorf("FileRequired(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	inventorytest.Golden(t, New(), "testdata/*.mod")
	inventorytest.Golden(t, New(), "testdata/*/go.mod")
	inventorytest.Golden(t, New(), "testdata/vendor/modules.txt")
}

// A vendor/modules.txt under a directory with a go.mod adds nothing.
func TestModulesTxtBesideGoMod(t *testing.T) {
	txt := []byte("# github.com/pkg/errors v0.9.1\n## explicit\ngithub.com/pkg/errors\n")
	root := fstest.MapFS{
		"app/go.mod":             {Data: []byte("module example.com/app\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\n")},
		"app/vendor/modules.txt": {Data: txt},
		"lib/vendor/modules.txt": {Data: txt},
	}
	for _, tt := range []struct {
		path string
		want []inventory.Package
	}{
		{"app/vendor/modules.txt", nil},
		{"lib/vendor/modules.txt", []inventory.Package{{
			Ecosystem: inventory.Go,
			Name:      "github.com/pkg/errors",
			Version:   "v0.9.1",
			Location:  inventory.Location{Path: "lib/vendor/modules.txt", Line: 1},
		}}},
	} {
		got, err := New().Extract(context.Background(), &inventory.Input{Path: tt.path, Reader: bytes.NewReader(txt), Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.path, diff)
		}
	}
}

// The go.sum of a pre-1.17 module is found beside the go.mod, not at the root.
func TestGoSumBesideGoMod(t *testing.T) {
	mod := []byte("module example.com/old\n\ngo 1.14\n\nrequire github.com/pkg/errors v0.9.1\n")
	root := fstest.MapFS{
		"svc/go.mod": {Data: mod},
		"svc/go.sum": {Data: []byte("github.com/pkg/errors v0.9.1 h1:x=\ngolang.org/x/text v0.3.0 h1:y=\ngolang.org/x/text v0.3.8 h1:z=\ngolang.org/x/text v0.3.2 h1:w=\n")},
		"go.sum":     {Data: []byte("garbage\n")},
	}
	got, err := New().Extract(context.Background(), &inventory.Input{Path: "svc/go.mod", Reader: bytes.NewReader(mod), Root: root})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{
		{Ecosystem: inventory.Go, Name: "stdlib", Version: "1.14.0", Relation: inventory.RelationDirect, Location: inventory.Location{Path: "svc/go.mod", Line: 3}},
		{Ecosystem: inventory.Go, Name: "github.com/pkg/errors", Version: "v0.9.1", Relation: inventory.RelationDirect, Location: inventory.Location{Path: "svc/go.mod", Line: 5}},
		{Ecosystem: inventory.Go, Name: "golang.org/x/text", Version: "v0.3.8", Relation: inventory.RelationTransitive, Location: inventory.Location{Path: "svc/go.sum", Line: 3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestVulndbVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.21":     "1.21.0",
		"1.20":     "1.20.0",
		"1.21.3":   "1.21.3",
		"1.22rc1":  "1.22.0-rc.1",
		"1.9beta2": "1.9.0-beta.2",
		"1":        "",
		"v1.21":    "",
		"":         "",
	} {
		if got := vulndbVersion(in); got != want {
			t.Errorf("vulndbVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "go.mod", "testdata/*.mod")
}
