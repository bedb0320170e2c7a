package fix

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// memSource is a vulnerability source in memory.
type memSource map[string][]*osv.Vulnerability // by ecosystem + "/" + name

func (m memSource) Query(_ context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	return m[eco+"/"+name], nil
}

func (m memSource) Names(_ context.Context, eco string) (map[string]bool, error) {
	out := map[string]bool{}
	for k := range m {
		if e, n, _ := strings.Cut(k, "/"); e == eco {
			out[n] = true
		}
	}
	return out, nil
}

// record is an advisory about one package with SEMVER ranges, each a list
// of introduced/fixed pairs ("" fixed: never).
func record(id, eco, name, sev string, ranges ...[2]string) *osv.Vulnerability {
	var evs []osv.Event
	for _, r := range ranges {
		evs = append(evs, osv.Event{Introduced: r[0]})
		if r[1] != "" {
			evs = append(evs, osv.Event{Fixed: r[1]})
		}
	}
	v := &osv.Vulnerability{ID: id, Summary: id + " summary", Affected: []osv.Affected{{
		Package: osv.Package{Ecosystem: eco, Name: name},
		Ranges:  []osv.Range{{Type: osv.RangeSemver, Events: evs}},
	}}}
	if sev != "" {
		v.DatabaseSpecific = json.RawMessage(`{"severity":"` + sev + `"}`)
	}
	return v
}

func (m memSource) add(vs ...*osv.Vulnerability) {
	for _, v := range vs {
		k := v.Affected[0].Package.Ecosystem + "/" + inventory.NormalizeName(v.Affected[0].Package.Ecosystem, v.Affected[0].Package.Name)
		m[k] = append(m[k], v)
	}
}

// npmMirror serves packuments listing the given versions.
func npmMirror(t testing.TB, pkgs map[string][]string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		name := strings.TrimPrefix(r.URL.EscapedPath(), "/")
		name = strings.ReplaceAll(name, "%2F", "/")
		vs, ok := pkgs[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		doc := map[string]any{"name": name, "dist-tags": map[string]string{"latest": vs[len(vs)-1]}}
		vers := map[string]any{}
		for _, v := range vs {
			vers[v] = map[string]any{"name": name, "version": v}
		}
		doc["versions"] = vers
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func registrySet(t testing.TB, key, url string) *registry.Set {
	t.Helper()
	s, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{key: {URL: url, From: "test"}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// scanFindings matches packages as the vuln analyzer does.
func scanFindings(t testing.TB, src vuln.Source, pkgs ...inventory.Package) []finding.Finding {
	t.Helper()
	m := vuln.NewMatcher(src)
	var out []finding.Finding
	for _, p := range pkgs {
		fs, err := m.Match(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fs...)
	}
	return out
}

func npmPkg(name, version string, rel inventory.Relation) inventory.Package {
	return inventory.Package{Ecosystem: inventory.NPM, Name: name, Version: version, Relation: rel,
		Location: inventory.Location{Path: "package-lock.json", Line: 10}}
}

type summary struct {
	Name, From, To, Status, Method, Suggestion string
}

func summarize(cs []Change) []summary {
	var out []summary
	for _, c := range cs {
		out = append(out, summary{c.Name, c.From, c.To, string(c.Status), string(c.Method), c.Suggestion})
	}
	return out
}

func TestPlan(t *testing.T) {
	src := memSource{}
	src.add(
		// Two advisories of one package: the fix is the lowest version
		// past both, within the major line.
		record("GHSA-a", inventory.NPM, "lodash", "HIGH", [2]string{"0", "4.17.12"}),
		record("GHSA-b", inventory.NPM, "lodash", "CRITICAL", [2]string{"4.0.0", "4.17.21"}, [2]string{"0", "3.10.2"}),
		// A fix range per major: 1.x fixed in 1.4.2, 2.x in 2.1.0; from
		// 1.4.0 the plan stays on 1.x.
		record("GHSA-c", inventory.NPM, "scoped", "MODERATE", [2]string{"1.0.0", "1.4.2"}, [2]string{"2.0.0", "2.1.0"}),
		// Fixed only in a later major.
		record("GHSA-d", inventory.NPM, "oldmajor", "LOW", [2]string{"0", "3.0.0"}),
		// No fix released.
		record("GHSA-e", inventory.NPM, "nofix", "HIGH", [2]string{"0", ""}),
		// Fixed in 5.0.1, which the mirror does not serve.
		record("GHSA-f", inventory.NPM, "unserved", "MODERATE", [2]string{"0", "5.0.1"}),
		// Transitive: fixed through npm overrides.
		record("GHSA-g", inventory.NPM, "deep", "HIGH", [2]string{"0", "1.2.0"}),
	)
	srv, n := npmMirror(t, map[string][]string{
		"lodash":   {"3.10.1", "4.17.11", "4.17.12", "4.17.15", "4.17.20", "4.17.21", "5.0.0-beta.1"},
		"scoped":   {"1.4.0", "1.4.1", "1.4.2", "1.4.3", "1.5.0", "2.0.0", "2.1.0"},
		"oldmajor": {"2.0.0", "2.9.9", "3.0.0", "3.1.0"},
		"nofix":    {"1.0.0", "1.1.0"},
		"unserved": {"5.0.0", "5.0.2-rc.1"},
		"deep":     {"1.0.0", "1.1.0", "1.2.0", "1.3.0"},
	})
	pkgs := []inventory.Package{
		npmPkg("lodash", "4.17.11", inventory.RelationDirect),
		npmPkg("scoped", "1.4.0", inventory.RelationDirect),
		npmPkg("oldmajor", "2.0.0", inventory.RelationDirect),
		npmPkg("nofix", "1.0.0", inventory.RelationDirect),
		npmPkg("unserved", "5.0.0", inventory.RelationDirect),
		npmPkg("deep", "1.0.0", inventory.RelationTransitive),
	}
	pkgs[5].Via = []inventory.Ref{{Name: "parent", Version: "2.0.0"}}
	findings := scanFindings(t, src, pkgs...)
	reg := registrySet(t, "npm", srv.URL)

	for _, tc := range []struct {
		strategy Strategy
		want     []summary
	}{
		{Minimal, []summary{
			{"lodash", "4.17.11", "4.17.21", "fix", "direct", ""},
			{"deep", "1.0.0", "1.2.0", "fix", "override", ""},
			{"nofix", "1.0.0", "", "no_fix_released", "", ""},
			{"scoped", "1.4.0", "1.4.2", "fix", "direct", ""},
			{"unserved", "5.0.0", "", "fix_not_on_mirror", "", ""},
			{"oldmajor", "2.0.0", "", "needs_major_upgrade", "", "3.0.0"},
		}},
		{PatchLatest, []summary{
			{"lodash", "4.17.11", "4.17.21", "fix", "direct", ""},
			{"deep", "1.0.0", "1.2.0", "fix", "override", ""},
			{"nofix", "1.0.0", "", "no_fix_released", "", ""},
			{"scoped", "1.4.0", "1.4.3", "fix", "direct", ""},
			{"unserved", "5.0.0", "", "fix_not_on_mirror", "", ""},
			{"oldmajor", "2.0.0", "", "needs_major_upgrade", "", "3.0.0"},
		}},
		{LatestInMajor, []summary{
			{"lodash", "4.17.11", "4.17.21", "fix", "direct", ""},
			{"deep", "1.0.0", "1.3.0", "fix", "override", ""},
			{"nofix", "1.0.0", "", "no_fix_released", "", ""},
			{"scoped", "1.4.0", "1.5.0", "fix", "direct", ""},
			{"unserved", "5.0.0", "", "fix_not_on_mirror", "", ""},
			{"oldmajor", "2.0.0", "", "needs_major_upgrade", "", "3.0.0"},
		}},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			p := &Planner{Registry: reg, Matcher: vuln.NewMatcher(src), Strategy: tc.strategy}
			got, err := p.Plan(context.Background(), findings)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			for _, c := range got {
				if c.Reason == "" || len(c.Vulnerabilities) == 0 {
					t.Errorf("%s: no reason or no vulnerabilities: %+v", c.Name, c)
				}
			}
			if got[0].Severity != finding.Critical || len(got[0].Vulnerabilities) != 2 {
				t.Errorf("lodash: severity %s, %d vulnerabilities; want critical, 2", got[0].Severity, len(got[0].Vulnerabilities))
			}
			if got[1].Override != "npm overrides" || got[1].Parent == nil || got[1].Parent.Name != "parent" {
				t.Errorf("deep: override %q parent %+v", got[1].Override, got[1].Parent)
			}
		})
	}
	if got := n.Load(); got != 7 {
		t.Errorf("%d registry requests for 6 packages planned three times, want 7 (one each, and one for the parent of the transitive one; the rest from the cache)", got)
	}

	plans := Group(mustPlan(t, reg, src, findings), PerPackage)
	if len(plans) != 3 {
		t.Fatalf("%d plans per package, want 3 (the fixable changes)", len(plans))
	}
	if plans[0].Title != "Upgrade lodash from 4.17.11 to 4.17.21" {
		t.Errorf("title %q", plans[0].Title)
	}
	if pp := Group(mustPlan(t, reg, src, findings), PerProject); len(pp) != 1 || len(pp[0].Changes) != 3 || pp[0].Key != "project" {
		t.Errorf("per project: %+v", pp)
	}
}

func mustPlan(t *testing.T, reg Registry, src vuln.Source, fs []finding.Finding) []Change {
	t.Helper()
	got, err := (&Planner{Registry: reg, Matcher: vuln.NewMatcher(src)}).Plan(context.Background(), fs)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPlanNoMirror: an ecosystem without a mirror is stated per package,
// with how to configure one.
func TestPlanNoMirror(t *testing.T) {
	src := memSource{}
	src.add(record("GHSA-a", inventory.NPM, "lodash", "HIGH", [2]string{"0", "4.17.12"}))
	fs := scanFindings(t, src, npmPkg("lodash", "4.17.11", inventory.RelationDirect))
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	got := mustPlan(t, reg, src, fs)
	if len(got) != 1 || got[0].Status != StatusNoMirror || !strings.Contains(got[0].Reason, "--registry npm=URL") {
		t.Fatalf("got %+v", got)
	}
}

func TestBump(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"1.2.3", "1.2.4", "patch"}, {"v0.17.0", "v0.38.0", "minor"}, {"2.0.0", "3.0.0", "major"}, {"4.17.11", "4.17.21", "patch"},
	} {
		c := Change{From: tc.from, To: tc.to}
		if got := c.Bump(); got != tc.want {
			t.Errorf("%s → %s: %s, want %s", tc.from, tc.to, got, tc.want)
		}
	}
	for _, tc := range []struct {
		eco, v string
		want   bool
	}{
		{inventory.PyPI, "2.0rc1", true}, {inventory.PyPI, "2.0.post1", false}, {inventory.PyPI, "2.0+local", false},
		{inventory.PyPI, "2.0.dev3", true}, {inventory.NPM, "5.0.0-beta.1", true}, {inventory.Maven, "2.17.0", false},
		{inventory.Maven, "6.0.0-M1", true},
	} {
		if got := prerelease(tc.eco, tc.v); got != tc.want {
			t.Errorf("prerelease(%s, %s) = %v", tc.eco, tc.v, got)
		}
	}
}
