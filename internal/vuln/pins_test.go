package vuln

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
	"github.com/airlock-sec/airlock/internal/vuln/vulntest"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

var update = flag.Bool("update", false, "rewrite testdata/pins.golden (only when a change of answers is intended)")

// sharedZip is the path of a shared all.zip, skipping the test when the
// shared data is absent.
func sharedZip(tb testing.TB, set, eco string) string {
	tb.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", set, eco, "all.zip")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", p)
	}
	return p
}

// rangesOnly is a Source whose records list no versions, so that ranges
// alone decide.
type rangesOnly struct{ Source }

func (r rangesOnly) Query(ctx context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	recs, err := r.Source.Query(ctx, eco, name)
	return withoutVersions(recs), err
}

// TestPinsAnswersUnchanged matches every version the shared Go, PyPI and
// crates.io records list, and every version their ranges name, against
// those records (and the GHSA sample, for ratings taken from aliases; the
// range boundaries also with versions[] dropped, so that ranges decide), and
// compares a digest of every finding, as reports write it, with the one
// recorded in testdata/pins.golden. Matching is tuned for speed; this
// keeps the tuning from changing any answer.
func TestPinsAnswersUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("matches about 50,000 pins; skipped with -short")
	}
	ctx := context.Background()
	zips := []string{
		sharedZip(t, "osv", "Go"), sharedZip(t, "osv", "PyPI"), sharedZip(t, "osv", "crates.io"),
		sharedZip(t, "osv-ghsa", "PyPI"), sharedZip(t, "osv-ghsa", "Go"),
	}
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "v.db"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, zips, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, eco := range []string{inventory.Go, inventory.PyPI, inventory.CratesIO} {
		zip := sharedZip(t, "osv", eco)
		listed, err := vulntest.ListedPins(zip, eco)
		if err != nil {
			t.Fatal(err)
		}
		events, err := vulntest.EventPins(zip, eco)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range []struct {
			name string
			pins []vulntest.Pin
			src  Source
		}{{"listed", listed, db}, {"events", events, db}, {"events, ranges only", events, rangesOnly{db}}} {
			pkgs := make([]inventory.Package, len(set.pins))
			for i, p := range set.pins {
				pkgs[i] = inventory.Package{Ecosystem: eco, Name: p.Name, Version: p.Version,
					Location: inventory.Location{Path: "requirements.txt", Line: i + 1}}
			}
			m := NewMatcher(set.src)
			if err := m.Prefetch(ctx, pkgs, runtime.GOMAXPROCS(0)); err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n := 0
			for _, p := range pkgs {
				fs, err := m.Match(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					b, err := json.Marshal(f)
					if err != nil {
						t.Fatal(err)
					}
					h.Write(b)
					h.Write([]byte{'\n'})
					n++
				}
			}
			fmt.Fprintf(&got, "%s %s: %d pins, %d findings, sha256 %s\n", eco, set.name, len(pkgs), n, hex.EncodeToString(h.Sum(nil)))
		}
	}
	golden := filepath.Join("testdata", "pins.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got.String()); d != "" {
		t.Errorf("findings changed (-want +got):\n%s", d)
	}
}
