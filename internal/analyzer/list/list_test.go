package list

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestAllListed fails when a package below internal/analyzer implements
// an analyzer that All does not return, or two analyzers share a name.
func TestAllListed(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, a := range All(Config{}) {
		listed[filepath.Base(reflect.TypeOf(a).Elem().PkgPath())] = true
		if names[a.Name()] {
			t.Errorf("two analyzers are named %q", a.Name())
		}
		names[a.Name()] = true
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "list" {
			continue
		}
		n++
		if !listed[d.Name()] {
			t.Errorf("internal/analyzer/%s is not listed in All", d.Name())
		}
	}
	if n == 0 {
		t.Fatal("no analyzer packages found")
	}
	if got := Names(); len(got) != len(names) || got[0] != "vuln" || got[1] != "secret" {
		t.Errorf("Names() = %v", got)
	}
}
