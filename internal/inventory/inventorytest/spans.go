package inventorytest

import (
	"os"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// CheckSpans fails t for every package whose VersionSpan does not cover
// exactly its version in data, the file it was extracted from.
func CheckSpans(t testing.TB, data []byte, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		s := p.VersionSpan
		if s == nil {
			continue
		}
		if s.Start < 0 || s.End < s.Start || s.End > len(data) {
			t.Errorf("%s@%s: version span [%d,%d) outside the file (%d bytes)", p.Name, p.Version, s.Start, s.End, len(data))
			continue
		}
		if got := string(data[s.Start:s.End]); got != p.Version {
			t.Errorf("%s@%s: version span [%d,%d) holds %q", p.Name, p.Version, s.Start, s.End, got)
		}
	}
}

// checkFileSpans is CheckSpans for a file on disk.
func checkFileSpans(t testing.TB, file string, pkgs []inventory.Package) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	CheckSpans(t, data, pkgs)
}
