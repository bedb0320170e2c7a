package list

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"testing/iotest"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
)

// TestAllListed fails when a package below internal/inventory implements
// an extractor that All does not return.
func TestAllListed(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, x := range All() {
		listed[filepath.Base(reflect.TypeOf(x).Elem().PkgPath())] = true
		if names[x.Name()] {
			t.Errorf("two extractors are named %q", x.Name())
		}
		names[x.Name()] = true
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		// Packages that are not extractors: this registry, the test
		// harness and the TOML helpers.
		if !d.IsDir() || d.Name() == "list" || d.Name() == "inventorytest" || d.Name() == "tomlfile" {
			continue
		}
		if !listed[d.Name()] {
			t.Errorf("extractor package %s is not listed in list.All", d.Name())
		}
	}
}

// TestReadErrorNamesFileOnce checks item 19 of the issue ("cargo/Cargo.lock:
// cargo/Cargo.lock:5:"): a read error from the file system, which names the
// file itself, is reported with the file named once.
func TestReadErrorNamesFileOnce(t *testing.T) {
	for _, x := range All() {
		t.Run(x.Name(), func(t *testing.T) {
			name := fileFor(t, x)
			in := &inventory.Input{Path: name, Reader: iotest.ErrReader(&fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR}), Root: fstest.MapFS{}}
			_, err := x.Extract(context.Background(), in)
			if err == nil {
				t.Fatal("no error")
			}
			if n := strings.Count(err.Error(), path.Base(name)); n != 1 {
				t.Errorf("error %q names %s %d times, want once", err, name, n)
			}
		})
	}
}

// fileFor returns a path that x reads.
func fileFor(t *testing.T, x inventory.Extractor) string {
	for _, p := range []string{"dir/requirements.txt", "dir/package-lock.json", "dir/npm-shrinkwrap.json", "dir/yarn.lock", "dir/pnpm-lock.yaml",
		"dir/poetry.lock", "dir/Pipfile.lock", "dir/uv.lock", "dir/Cargo.lock", "dir/pom.xml", "dir/gradle.lockfile",
		"dir/Gemfile.lock", "dir/composer.lock", "dir/packages.lock.json", "dir/go.mod"} {
		if x.FileRequired(p) {
			return p
		}
	}
	t.Fatalf("no known file name for %s", x.Name())
	return ""
}

// TestOptionsReachGoMod: the Go options given to New, or by WithGoDefault
// where no option was given, reach the go.mod extractor.
func TestOptionsReachGoMod(t *testing.T) {
	goOpts := func(xs []inventory.Extractor) []gomod.Options {
		var out []gomod.Options
		for _, x := range xs {
			if g, ok := x.(*gomod.Extractor); ok {
				out = append(out, g.Options())
			}
		}
		return out
	}
	site := gomod.Options{GoVersion: "1.22.5"}
	if got := goOpts(New(Options{Go: site})); len(got) != 1 || got[0] != site {
		t.Errorf("New: go.mod options %+v, want %+v", got, site)
	}
	if got := goOpts(All()); len(got) != 1 || got[0] != (gomod.Options{}) {
		t.Errorf("All: go.mod options %+v, want the defaults", got)
	}
	all := All()
	if got := goOpts(WithGoDefault(all, site)); len(got) != 1 || got[0] != site {
		t.Errorf("WithGoDefault over defaults: %+v, want %+v", got, site)
	}
	if got := goOpts(all); got[0] != (gomod.Options{}) {
		t.Error("WithGoDefault changed its argument")
	}
	flag := gomod.Options{GoDirective: true}
	if got := goOpts(WithGoDefault(New(Options{Go: flag}), site)); len(got) != 1 || got[0] != flag {
		t.Errorf("WithGoDefault over a flag's options: %+v, want the flag's %+v", got, flag)
	}
}
