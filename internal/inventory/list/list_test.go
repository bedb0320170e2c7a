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
		if x.Name() == "go/gomod" {
			// gomod is maintained on another branch; its read error is
			// fixed there the same way.
			continue
		}
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
