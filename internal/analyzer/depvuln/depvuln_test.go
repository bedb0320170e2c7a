package depvuln

import (
	"context"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

type oneRecord struct{}

func (oneRecord) Query(_ context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	if name != "demo" {
		return nil, nil
	}
	return []*osv.Vulnerability{{ID: "PYSEC-0000-1", Affected: []osv.Affected{{
		Package: osv.Package{Ecosystem: "PyPI", Name: "demo"},
		Ranges:  []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "2.0"}}}},
	}}}}, nil
}

func (oneRecord) Names(context.Context, string) (map[string]bool, error) {
	return map[string]bool{"demo": true}, nil
}

// TestLocalPackagesNotMatched: a package from a local path is not a
// registry release: it is not matched and not called unpinned, and a
// notice says so; the same name from the registry is matched.
func TestLocalPackagesNotMatched(t *testing.T) {
	pkg := func(src *inventory.Source) inventory.Package {
		return inventory.Package{Ecosystem: "PyPI", Name: "demo", Version: "1.0", Source: src, Location: inventory.Location{Path: "requirements.txt", Line: 1}}
	}
	run := func(p inventory.Package) *analyzer.Output {
		in := &analyzer.Input{Env: &analyzer.Env{VulnDB: oneRecord{}}, Progress: func(analyzer.Progress) {},
			Manifests: []inventory.Manifest{{Path: "requirements.txt", Packages: []inventory.Package{p}}}}
		out, err := New().Analyze(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := run(pkg(nil)); len(out.Findings) != 1 {
		t.Fatalf("registry package: %d findings, want 1", len(out.Findings))
	}
	out := run(pkg(&inventory.Source{Type: inventory.SourcePath, Path: "./demo"}))
	if len(out.Findings) != 0 {
		t.Errorf("local package matched: %+v", out.Findings)
	}
	var msgs []string
	for _, n := range out.Notices {
		msgs = append(msgs, n.Message)
	}
	if all := strings.Join(msgs, "\n"); !strings.Contains(all, "1 local package (a path source) not matched") || strings.Contains(all, "not pinned") {
		t.Errorf("notices:\n%s", all)
	}
}
