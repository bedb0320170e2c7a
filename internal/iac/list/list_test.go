package list

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// notParsers are the packages below internal/iac that are not parsers.
var notParsers = map[string]bool{"list": true, "policies": true, "iactest": true}

// TestAllListed fails when a package below internal/iac implements a
// parser that All does not return, or two parsers share a name.
func TestAllListed(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, p := range All() {
		listed[filepath.Base(reflect.TypeOf(p).Elem().PkgPath())] = true
		if names[p.Name()] {
			t.Errorf("two parsers are named %q", p.Name())
		}
		names[p.Name()] = true
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || notParsers[d.Name()] || d.Name() == "testdata" {
			continue
		}
		n++
		if !listed[d.Name()] {
			t.Errorf("internal/iac/%s is not listed in All", d.Name())
		}
	}
	if n == 0 {
		t.Fatal("no parser packages found")
	}
}
