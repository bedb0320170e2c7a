package list

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

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
