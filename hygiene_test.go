// Package airlock_test holds the repository's hygiene checks: vet, gofmt
// and a tidy go.mod, so that CI fails on them like on any other test.
package airlock_test

import (
	"os/exec"
	"strings"
	"testing"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestVet(t *testing.T) {
	if testing.Short() {
		t.Skip("vet is slow; skipped with -short")
	}
	run(t, "go", "vet", "./...")
}

func TestGofmt(t *testing.T) {
	if out := run(t, "gofmt", "-l", "."); strings.TrimSpace(out) != "" {
		t.Errorf("gofmt would change:\n%s", out)
	}
}

func TestModTidy(t *testing.T) {
	run(t, "go", "mod", "tidy", "-diff")
}
