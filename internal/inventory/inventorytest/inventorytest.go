// Package inventorytest holds the shared test harness of the extractors:
// golden files under testdata/ (rewritten with -update) and fuzz targets
// seeded from the same files.
package inventorytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Golden extracts every file matching pattern (a filepath.Glob pattern
// relative to the test's directory, for example "testdata/*.json") with x
// and compares the packages, or the error text, with the file's ".golden"
// twin. The file is handed to the extractor under its base name, inside a
// file system rooted at its directory, so includes resolve.
func Golden(t *testing.T, x inventory.Extractor, pattern string) {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := Extract(t, x, file)
			if err := inventory.CheckSpans(os.DirFS(filepath.Dir(file)), r.Packages); err != nil {
				t.Error(err)
			}
			compare(t, file+".golden", Render(r))
		})
	}
	if n == 0 {
		t.Fatalf("no files match %s", pattern)
	}
}

// GoldenTree is Golden for files that read others of their tree (parent
// POMs, includes in other directories): each file matching pattern (a
// path.Match pattern relative to root, such as "*/pom.xml") is handed over
// under its path relative to root, inside the file system rooted at root,
// and compared with its ".golden" twin.
func GoldenTree(t *testing.T, x inventory.Extractor, root, pattern string) {
	t.Helper()
	files, err := fs.Glob(os.DirFS(root), pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %s in %s", pattern, root)
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pkgs, err := x.Extract(context.Background(), &inventory.Input{Path: name, Reader: f, Root: os.DirFS(root)})
			if err := inventory.CheckSpans(os.DirFS(root), pkgs); err != nil {
				t.Error(err)
			}
			compare(t, filepath.Join(root, filepath.FromSlash(name))+".golden", Render(Result{pkgs, err}))
		})
	}
}

func compare(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

// Result is what Extract returns: packages or an error.
type Result struct {
	Packages []inventory.Package
	Err      error
}

// Extract runs x over one file on disk, handing it over under its base name.
func Extract(t testing.TB, x inventory.Extractor, file string) Result {
	t.Helper()
	dir := filepath.Dir(file)
	name := filepath.Base(file)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pkgs, err := x.Extract(context.Background(), &inventory.Input{Path: name, Reader: f, Root: os.DirFS(dir)})
	return Result{Packages: pkgs, Err: err}
}

// Render is the golden form of a result: indented JSON of the packages, or
// "error: " and the message. A partial result (inventory.Problems) is the
// packages followed by one "error: " or "warning: " line per problem.
func Render(r Result) []byte {
	var ps inventory.Problems
	if r.Err != nil && !errors.As(r.Err, &ps) {
		return []byte("error: " + r.Err.Error() + "\n")
	}
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.Packages); err != nil {
		panic(err)
	}
	for _, p := range ps {
		level := "error"
		if p.Warning {
			level = "warning"
		}
		fmt.Fprintf(&b, "%s: %s\n", level, p.Error())
	}
	return b.Bytes()
}

// Fuzz seeds f with every file matching pattern and checks that x never
// panics, that every error is a *inventory.ParseError naming the file, and
// that every package has a name, an ecosystem and a non-negative line, and
// a version span, if any, that holds its version.
// name is the path the input is handed over as (it must satisfy
// x.FileRequired).
func Fuzz(f *testing.F, x inventory.Extractor, name, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, ".golden") {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	if !x.FileRequired(name) {
		f.Fatalf("%s does not want %s", x.Name(), name)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root := fstest.MapFS{name: &fstest.MapFile{Data: data}}
		pkgs, err := x.Extract(context.Background(), &inventory.Input{Path: name, Reader: bytes.NewReader(data), Root: root})
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file %s: %v", name, err)
			}
			var ps inventory.Problems
			if !errors.As(err, &ps) {
				return
			}
			if len(ps) == 0 {
				t.Fatal("empty Problems returned as an error")
			}
			for _, p := range ps {
				if p.Path == "" || p.Err == nil {
					t.Fatalf("problem without a file or an error: %+v", p)
				}
			}
		}
		if err := inventory.CheckSpans(root, pkgs); err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Ecosystem == "" || p.Location.Line < 0 || p.Location.Path == "" {
				t.Fatalf("malformed package %+v", p)
			}
		}
	})
}
