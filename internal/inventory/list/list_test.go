package list

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
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
