package fix

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// npmDepsMirror serves packuments whose versions declare dependencies
// (version → dependency → range), full and abbreviated alike.
func npmDepsMirror(t *testing.T, pkgs map[string]map[string]map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "%2F", "/")
		vs, ok := pkgs[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		vers := map[string]any{}
		for v, deps := range vs {
			vers[v] = map[string]any{"name": name, "version": v, "dependencies": deps}
		}
		json.NewEncoder(w).Encode(map[string]any{"name": name, "versions": vers})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPlanThroughParent: a transitive npm package is fixed by upgrading
// the direct dependency that pulls it in when one of its releases admits
// only fixed versions; otherwise through overrides, the reason saying why.
func TestPlanThroughParent(t *testing.T) {
	src := memSource{}
	src.add(
		record("GHSA-deep", inventory.NPM, "deep", "HIGH", [2]string{"0", "1.2.0"}),
		record("GHSA-stuck", inventory.NPM, "stuck", "HIGH", [2]string{"0", "1.2.0"}),
		record("GHSA-shared", inventory.NPM, "shared", "HIGH", [2]string{"0", "1.2.0"}),
		// parent 2.3.0 would do, but is itself vulnerable.
		record("GHSA-parent", inventory.NPM, "parent", "LOW", [2]string{"2.3.0", "2.4.0"}),
	)
	none := map[string]string{}
	srv := npmDepsMirror(t, map[string]map[string]map[string]string{
		"deep":   {"1.0.0": none, "1.1.0": none, "1.2.0": none, "1.3.0": none},
		"stuck":  {"1.0.0": none, "1.1.0": none, "1.2.0": none},
		"shared": {"1.0.0": none, "1.2.0": none},
		"parent": {
			"2.0.0": {"deep": "^1.0.0", "stuck": "1.x"},
			// Admits 1.1.0: npm could keep a vulnerable deep.
			"2.1.0": {"deep": "^1.1.0", "stuck": ">=1.0.0 <2"},
			"2.2.0": {"deep": "^1.2.0", "stuck": "~1.1.0"},
			"2.3.0": {"deep": "^1.2.0"},
			// Another major line: never chosen.
			"3.0.0": {"deep": "^1.2.0", "stuck": "^1.2.0"},
		},
	})
	pkgs := []inventory.Package{
		npmPkg("deep", "1.0.0", inventory.RelationTransitive),
		npmPkg("stuck", "1.0.0", inventory.RelationTransitive),
		npmPkg("shared", "1.0.0", inventory.RelationTransitive),
	}
	pkgs[0].Via = []inventory.Ref{{Name: "parent", Version: "2.0.0"}}
	pkgs[1].Via = []inventory.Ref{{Name: "parent", Version: "2.0.0"}}
	pkgs[2].Via = []inventory.Ref{{Name: "parent", Version: "2.0.0"}, {Name: "other", Version: "1.0.0"}}
	reg := registrySet(t, "npm", srv.URL)
	got := mustPlan(t, reg, src, scanFindings(t, src, pkgs...))
	by := map[string]Change{}
	for _, c := range got {
		by[c.Name] = c
	}
	d := by["deep"]
	if d.Method != MethodParent || d.Parent == nil || d.Parent.Name != "parent" || d.ParentTo != "2.2.0" || d.To != "1.2.0" || d.Override != "" {
		t.Errorf("deep: %s via %+v → %s (override %q), want parent 2.2.0", d.Method, d.Parent, d.ParentTo, d.Override)
	}
	if !strings.Contains(d.Reason, `parent 2.0.0 → 2.2.0, which depends on deep "^1.2.0"`) {
		t.Errorf("deep reason: %s", d.Reason)
	}
	if s := by["stuck"]; s.Method != MethodOverride || s.Override != "npm overrides" || !strings.Contains(s.Reason, "no later release of parent 2.0.0 in its major line on the mirror requires stuck 1.2.0 or later") {
		t.Errorf("stuck: %s %q: %s", s.Method, s.Override, s.Reason)
	}
	if s := by["shared"]; s.Method != MethodOverride || !strings.Contains(s.Reason, "2 direct dependencies pull shared in (parent, other)") {
		t.Errorf("shared: %s: %s", s.Method, s.Reason)
	}
	plans := Group(got, PerPackage)
	for _, p := range plans {
		if p.Changes[0].Name == "deep" && p.Title != "Upgrade parent to 2.2.0 (deep 1.0.0 → 1.2.0)" {
			t.Errorf("title %q", p.Title)
		}
	}
}

// TestPlanThroughGoParent: a Go module is fixed through the lowest
// release of the module that requires it whose go.mod on the proxy
// requires a fixed version.
func TestPlanThroughGoParent(t *testing.T) {
	src := memSource{}
	src.add(record("GO-2024-0001", inventory.Go, "example.com/child", "HIGH", [2]string{"0", "1.3.0"}))
	docs := map[string]string{
		"/example.com/child/@v/list":         "v1.2.0\nv1.3.0\nv1.4.0\n",
		"/example.com/child/@v/v1.4.0.info":  `{"Version":"v1.4.0","Time":"2024-03-04T05:06:07Z"}`,
		"/example.com/child/@v/v1.4.0.mod":   "module example.com/child\n",
		"/example.com/parent/@v/list":        "v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0\n",
		"/example.com/parent/@v/v1.3.0.info": `{"Version":"v1.3.0","Time":"2024-03-04T05:06:07Z"}`,
		"/example.com/parent/@v/v1.1.0.mod":  "module example.com/parent\n\nrequire example.com/child v1.2.0\n",
		"/example.com/parent/@v/v1.2.0.mod":  "module example.com/parent\n\nrequire (\n\texample.com/child v1.4.0\n\texample.com/other v0.1.0\n)\n",
		"/example.com/parent/@v/v1.3.0.mod":  "module example.com/parent\n\nrequire example.com/child v1.4.0\n",
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		body, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	pkg := inventory.Package{Ecosystem: inventory.Go, Name: "example.com/child", Version: "v1.2.0", Relation: inventory.RelationTransitive,
		Location: inventory.Location{Path: "go.mod", Line: 7}, Via: []inventory.Ref{{Name: "example.com/parent", Version: "v1.0.0"}}}
	reg := registrySet(t, "go", srv.URL)
	got, err := (&Planner{Registry: reg, Matcher: vuln.NewMatcher(src)}).Plan(context.Background(), scanFindings(t, src, pkg))
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{"example.com/child", "v1.2.0", "v1.3.0", "fix", "parent", ""}}
	if diff := cmp.Diff(want, summarize(got)); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	if got[0].ParentTo != "v1.2.0" || !strings.Contains(got[0].Reason, "requires example.com/child v1.4.0 (go.mod on the mirror)") {
		t.Errorf("parent %s: %s", got[0].ParentTo, got[0].Reason)
	}
	// Without edges in the scan, the parent is found from the go.mod's
	// direct requirements and their go.mod files on the proxy.
	docs["/example.com/parent/@v/v1.0.0.mod"] = "module example.com/parent\n\nrequire example.com/child v1.2.0\n"
	docs["/example.com/unrelated/@v/v1.0.0.mod"] = "module example.com/unrelated\n"
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n\nrequire (\n\texample.com/parent v1.0.0\n\texample.com/unrelated v1.0.0\n\texample.com/child v1.2.0 // indirect\n)\n"), 0o644)
	bare := pkg
	bare.Via = nil
	got, err = (&Planner{Registry: reg, Matcher: vuln.NewMatcher(src), Root: root}).Plan(context.Background(), scanFindings(t, src, bare))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Method != MethodParent || got[0].Parent == nil || got[0].Parent.Name != "example.com/parent" || got[0].ParentTo != "v1.2.0" {
		t.Errorf("parent from go.mod: %s %+v %s: %s", got[0].Method, got[0].Parent, got[0].ParentTo, got[0].Reason)
	}
	// Without the tree, the require of the module itself.
	got, err = (&Planner{Registry: reg, Matcher: vuln.NewMatcher(src)}).Plan(context.Background(), scanFindings(t, src, bare))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Method != MethodOverride || got[0].Override != "go.mod require" || !strings.Contains(got[0].Reason, "go.mod records no dependency edges") {
		t.Errorf("no tree: %s %q: %s", got[0].Method, got[0].Override, got[0].Reason)
	}

	// v1.3.0's go.mod is read once, for its retractions (the latest
	// release); its requirements are not: v1.2.0 already pulled in the fix.
	n := 0
	for _, p := range asked {
		if p == "/example.com/parent/@v/v1.3.0.mod" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("parent v1.3.0's go.mod read %d times, want 1: %v", n, asked)
	}
}

// TestNPMResolve: npm ranges as package.json writes them.
func TestNPMResolve(t *testing.T) {
	rp := &registry.Package{Versions: []registry.Version{{Version: "1.0.0"}, {Version: "1.1.0"}, {Version: "1.2.0"}, {Version: "1.2.1", Yanked: true}, {Version: "2.0.0-rc.1"}, {Version: "2.0.0"}}}
	for _, tc := range []struct{ rng, lo, hi string }{
		{"^1.1.0", "1.1.0", "1.2.0"}, {"~1.0.0", "1.0.0", "1.0.0"}, {"1.x || 2", "1.0.0", "2.0.0"}, {">=1.2.0 <3", "1.2.0", "2.0.0"},
		{"1.0.0 - 1.1.0", "1.0.0", "1.1.0"}, {"*", "1.0.0", "2.0.0"}, {"^3.0.0", "", ""}, {"github:user/repo", "", ""}, {"npm:other@1", "", ""},
	} {
		lo, hi := npmResolve(parseNPMReleases(rp), tc.rng)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("%q: %s..%s, want %s..%s", tc.rng, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestUpgrades: a parent named by several changes is upgraded once, to
// the highest version any of them needs; packages keep their order.
func TestUpgrades(t *testing.T) {
	par := &inventory.Ref{Name: "example.com/parent", Version: "v1.0.0"}
	cs := []Change{
		{Name: "example.com/a", To: "v1.2.0", Method: MethodParent, Parent: par, ParentTo: "v1.10.0"},
		{Name: "golang.org/x/net", To: "v0.56.0", Method: MethodDirect},
		{Name: "example.com/b", To: "v2.0.1", Method: MethodParent, Parent: par, ParentTo: "v1.9.0"},
	}
	want := []string{"example.com/parent@v1.10.0", "golang.org/x/net@v0.56.0"}
	if diff := cmp.Diff(want, upgrades(inventory.Go, cs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
