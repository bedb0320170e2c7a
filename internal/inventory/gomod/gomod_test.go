package gomod

import (
	"bytes"
	"context"
	"errors"
	"strconv"
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
	got, err := NewWithOptions(Options{GoDirective: true}).Extract(context.Background(), &inventory.Input{Path: "svc/go.mod", Reader: bytes.NewReader(mod), Root: root})
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Package{
		{Ecosystem: inventory.Go, Name: "stdlib", Version: "1.14.0", Relation: inventory.RelationDirect, Location: inventory.Location{Path: "svc/go.mod", Line: 3}},
		{Ecosystem: inventory.Go, Name: "github.com/pkg/errors", Version: "v0.9.1", Relation: inventory.RelationDirect, Location: inventory.Location{Path: "svc/go.mod", Line: 5}, VersionSpan: &inventory.Span{Start: 63, End: 69}},
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

// TestStdlibVersion: the standard library is checked at the toolchain that
// builds the module, never silently at the go directive's minimum.
func TestStdlibVersion(t *testing.T) {
	const (
		goOnly    = "module example.com/a\n\ngo 1.21\n"
		withTool  = "module example.com/a\n\ngo 1.21\n\ntoolchain go1.22.3\n"
		newGo     = "module example.com/a\n\ngo 1.24.1\n"
		noGoLine  = "module example.com/a\n"
		notCheckd = "standard library not checked"
	)
	stdlibOf := func(pkgs []inventory.Package) string {
		for _, p := range pkgs {
			if p.Name == "stdlib" {
				return p.Version + "@" + strconv.Itoa(p.Location.Line)
			}
		}
		return ""
	}
	for _, tt := range []struct {
		name, mod string
		opts      Options
		want      string // version@line, "" for none
		warning   bool
	}{
		{"go directive alone", goOnly, Options{}, "", true},
		{"no go directive", noGoLine, Options{}, "", true},
		{"toolchain directive", withTool, Options{}, "1.22.3@5", false},
		{"go directive when asked", goOnly, Options{GoDirective: true}, "1.21.0@3", false},
		{"toolchain directive beats the go directive", withTool, Options{GoDirective: true}, "1.22.3@5", false},
		{"site toolchain", goOnly, Options{GoVersion: "1.23.4"}, "1.23.4@3", false},
		{"site toolchain without a go directive", noGoLine, Options{GoVersion: "1.23.4"}, "1.23.4@0", false},
		{"site toolchain newer than the toolchain directive", withTool, Options{GoVersion: "1.23.4"}, "1.23.4@5", false},
		{"toolchain directive newer than the site's", withTool, Options{GoVersion: "1.21.5"}, "1.22.3@5", false},
		{"go directive newer than the site's", newGo, Options{GoVersion: "1.23.4"}, "1.24.1@3", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := NewWithOptions(tt.opts).Extract(context.Background(), &inventory.Input{Path: "go.mod", Reader: strings.NewReader(tt.mod)})
			if got := stdlibOf(pkgs); got != tt.want {
				t.Errorf("stdlib = %q, want %q", got, tt.want)
			}
			var ps inventory.Problems
			switch {
			case !tt.warning && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.warning && (!errors.As(err, &ps) || len(ps) != 1 || !ps[0].Warning || !strings.Contains(ps[0].Error(), notCheckd) || !strings.Contains(ps[0].Error(), "--go-version")):
				t.Errorf("want one warning saying the standard library was not checked and how to check it, got %v", err)
			}
		})
	}
}

func TestParseGoVersion(t *testing.T) {
	for in, want := range map[string]Options{
		"":             {},
		"1.22.5":       {GoVersion: "1.22.5"},
		"go1.22.5":     {GoVersion: "1.22.5"},
		" 1.22 ":       {GoVersion: "1.22.0"},
		"go1.23rc1":    {GoVersion: "1.23.0-rc.1"},
		"go-directive": {GoDirective: true},
	} {
		got, err := ParseGoVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseGoVersion(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"latest", "v1.22.5", "1", "1.x", "go"} {
		if _, err := ParseGoVersion(in); err == nil || !strings.Contains(err.Error(), "go-directive") {
			t.Errorf("ParseGoVersion(%q): error %v, want one saying what to give", in, err)
		}
	}
}

func FuzzExtract(f *testing.F) {
	inventorytest.Fuzz(f, New(), "go.mod", "testdata/*.mod")
}
