package fix_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/vuln"
	"github.com/airlock-sec/airlock/internal/vulndb"
)

// The public Go module proxy and npm registry are reachable from the
// project's machines and stand in for a site's mirrors here.
const (
	goProxy     = "https://proxy.golang.org"
	npmRegistry = "https://registry.npmjs.org/"
)

func sharedDB(t *testing.T, zips ...string) *vulndb.DB {
	t.Helper()
	var paths []string
	for _, z := range zips {
		p := filepath.Join("..", "..", "..", "shared", "data", z, "all.zip")
		if _, err := os.Stat(p); err != nil {
			t.Skipf("shared OSV data not found at %s (it lives in ../shared beside the repository)", p)
		}
		paths = append(paths, p)
	}
	ctx := context.Background()
	db, err := vulndb.Open(ctx, filepath.Join(t.TempDir(), "v.db"), vulndb.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Import(ctx, paths, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

func reachable(t *testing.T, u string) {
	t.Helper()
	if testing.Short() {
		t.Skip("uses " + u + "; skipped with -short")
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Head(u)
	if err != nil {
		t.Skipf("%s not reachable from this machine: %v", u, err)
	}
	resp.Body.Close()
}

// fixture copies testdata/name to a temporary directory ("x.go.txt"
// becomes "x.go").
func fixture(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", name)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(e.Name(), ".txt")), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func scanTree(t *testing.T, db *vulndb.DB, dir string) []finding.Finding {
	t.Helper()
	opts, err := scan.Assemble(scan.Assembly{Names: []string{"vuln"}, Env: analyzer.Env{VulnDB: db}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

func about(fs []finding.Finding, name string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Package != nil && f.Package.Name == name && f.Kind == finding.KindVulnerability {
			out = append(out, f)
		}
	}
	return out
}

// plan scans dir, plans with the mirror and applies the plan of the named
// package; it returns the change and the plan applied (not written).
func plan(t *testing.T, db *vulndb.DB, dir, key, mirror, name string) (*fix.Applier, fix.Change, fix.Plan) {
	t.Helper()
	ctx := context.Background()
	fs := scanTree(t, db, dir)
	if len(about(fs, name)) == 0 {
		t.Fatalf("the fixture has no %s finding to fix", name)
	}
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{key: {URL: mirror, From: "test"}}})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := (&fix.Planner{Registry: reg, Matcher: vuln.NewMatcher(db)}).Plan(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	var c fix.Change
	for _, x := range changes {
		if x.Name == name {
			c = x
		}
	}
	if c.Status != fix.StatusFix {
		t.Fatalf("%s: status %s (%s), want fix", name, c.Status, c.Reason)
	}
	a := &fix.Applier{Root: dir, Mirror: reg.Mirror, Registry: reg, Env: os.Environ(), Timeout: 3 * time.Minute}
	for _, p := range fix.Group(changes, fix.PerPackage) {
		if p.Changes[0].Name != name {
			continue
		}
		if err := a.Apply(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if p.Failed != "" {
			t.Fatalf("apply failed: %s\n%s", p.Failed, p.ToolOutput)
		}
		return a, c, p
	}
	t.Fatalf("no plan for %s", name)
	return nil, c, fix.Plan{}
}

// TestGoXNet: golang.org/x/net v0.17.0 is planned to the lowest v0
// release that no Go advisory affects, go.mod and go.sum are regenerated
// by the go command against the proxy, the module still builds from them
// alone, and a new scan finds no x/net advisory.
func TestGoXNet(t *testing.T) {
	reachable(t, goProxy+"/golang.org/x/net/@v/list")
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	db := sharedDB(t, "osv/Go")
	dir := fixture(t, "gomod-xnet")
	const name = "golang.org/x/net"
	a, c, p := plan(t, db, dir, "go", goProxy, name)

	// The target is the lowest clean release: the release before it on
	// the proxy is still affected.
	m := vuln.NewMatcher(db)
	matches := func(v string) int {
		fs, err := m.Match(context.Background(), inventory.Package{Ecosystem: inventory.Go, Name: name, Version: v})
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	if !strings.HasPrefix(c.To, "v0.") || matches(c.To) != 0 {
		t.Fatalf("target %s: not v0, or still affected", c.To)
	}
	list, err := exec.Command("go", "list", "-m", "-versions", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	vs := strings.Fields(string(list))[1:]
	for i, v := range vs {
		if v == c.To && i > 0 && matches(vs[i-1]) == 0 {
			t.Errorf("%s is not the lowest fixed release: %s is not affected either", c.To, vs[i-1])
		}
	}
	if c.Method != fix.MethodDirect || len(c.Vulnerabilities) < 3 {
		t.Errorf("method %s, %d vulnerabilities", c.Method, len(c.Vulnerabilities))
	}
	for _, want := range []string{"-require golang.org/x/net v0.17.0", "golang.org/x/net " + c.To, "+++ b/go.sum", "+golang.org/x/net " + c.To + " h1:"} {
		if !strings.Contains(p.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, p.Diff)
		}
	}
	if !strings.Contains(p.ToolOutput, "go mod verify") {
		t.Errorf("tool output: %s", p.ToolOutput)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.Contains(string(b), c.To) {
		t.Fatal("Apply wrote to the tree")
	}
	if err := a.Write(&p); err != nil {
		t.Fatal(err)
	}
	if got := about(scanTree(t, db, dir), name); len(got) != 0 {
		t.Errorf("after the fix: %d x/net findings, first %s", len(got), got[0].ID)
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("go build with the new go.mod and go.sum alone: %v\n%s", err, out)
	}
	// A second write of the same plan is refused: the files changed.
	if err := a.Write(&p); err == nil {
		t.Error("a stale plan was written again")
	}
}

// TestNPM: lodash 4.17.11, direct and pulled in by async, is planned to
// 4.17.20 (the lowest release past both GHSA advisories); npm rewrites
// package.json and package-lock.json (the transitive one through
// "overrides"); a new scan finds no lodash advisory.
func TestNPM(t *testing.T) {
	reachable(t, npmRegistry+"lodash")
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	db := sharedDB(t, "osv-ghsa/npm")
	for _, tc := range []struct {
		fixture string
		method  fix.Method
		want    []string
	}{
		{"npm-direct", fix.MethodDirect, []string{`-    "lodash": "4.17.11"`, `+    "lodash": "4.17.20"`, `-      "version": "4.17.11"`, `+      "version": "4.17.20"`}},
		{"npm-transitive", fix.MethodOverride, []string{`+  "overrides": {`, `+    "lodash": "4.17.20"`, `+      "version": "4.17.20"`}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			dir := fixture(t, tc.fixture)
			a, c, p := plan(t, db, dir, "npm", npmRegistry, "lodash")
			if c.To != "4.17.20" || c.Method != tc.method {
				t.Fatalf("lodash → %s by %s, want 4.17.20 by %s", c.To, c.Method, tc.method)
			}
			// async's later 2.x releases were read from the registry: none
			// admits only fixed lodash releases (2.6.4 asks ^4.17.14).
			if tc.method == fix.MethodOverride && !strings.Contains(c.Reason, "no later release of async 2.6.1 in its major line on the mirror requires lodash 4.17.20 or later") {
				t.Errorf("reason: %s", c.Reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.Diff, w) {
					t.Errorf("diff lacks %q:\n%s", w, p.Diff)
				}
			}
			if err := a.Write(&p); err != nil {
				t.Fatal(err)
			}
			if got := about(scanTree(t, db, dir), "lodash"); len(got) != 0 {
				t.Errorf("after the fix: %d lodash findings", len(got))
			}
		})
	}
}

// TestGoParent: golang.org/x/net v0.17.0, required only indirectly,
// through golang.org/x/crypto v0.14.0, is fixed by raising x/crypto to
// the lowest release whose go.mod on the proxy requires a fixed x/net (go
// get of x/crypto; minimal version selection raises x/net), and a new
// scan finds no x/net advisory.
func TestGoParent(t *testing.T) {
	reachable(t, goProxy+"/golang.org/x/crypto/@v/list")
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	db := sharedDB(t, "osv/Go")
	dir := fixture(t, "gomod-parent")
	const name = "golang.org/x/net"
	ctx := context.Background()
	fs := scanTree(t, db, dir)
	if len(about(fs, name)) == 0 {
		t.Fatal("the fixture has no x/net finding to fix")
	}
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{"go": {URL: goProxy, From: "test"}}})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := (&fix.Planner{Registry: reg, Matcher: vuln.NewMatcher(db), Root: dir}).Plan(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	var c fix.Change
	for _, x := range changes {
		if x.Name == name {
			c = x
		}
	}
	if c.Status != fix.StatusFix || c.Method != fix.MethodParent || c.Parent == nil || c.Parent.Name != "golang.org/x/crypto" || c.ParentTo == "" {
		t.Fatalf("x/net: %s by %s via %+v → %s: %s", c.Status, c.Method, c.Parent, c.ParentTo, c.Reason)
	}
	t.Logf("x/net %s → %s through x/crypto %s → %s (%d registry requests)", c.From, c.To, c.Parent.Version, c.ParentTo, reg.Stats().Requests)
	a := &fix.Applier{Root: dir, Mirror: reg.Mirror, Registry: reg, Env: os.Environ(), Timeout: 3 * time.Minute}
	for _, p := range fix.Group(changes, fix.PerPackage) {
		if p.Changes[0].Name != name {
			continue
		}
		if p.Title != "Upgrade golang.org/x/crypto to "+c.ParentTo+" (golang.org/x/net v0.17.0 → "+c.To+")" {
			t.Errorf("title %q", p.Title)
		}
		if err := a.Apply(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if p.Failed != "" {
			t.Fatalf("apply failed: %s\n%s", p.Failed, p.ToolOutput)
		}
		if !strings.Contains(p.ToolOutput, "$ go get golang.org/x/crypto@"+c.ParentTo) || !strings.Contains(p.Diff, "+require golang.org/x/crypto "+c.ParentTo) && !strings.Contains(p.Diff, "golang.org/x/crypto "+c.ParentTo) {
			t.Errorf("output:\n%s\ndiff:\n%s", p.ToolOutput, p.Diff)
		}
		if err := a.Write(&p); err != nil {
			t.Fatal(err)
		}
		if got := about(scanTree(t, db, dir), name); len(got) != 0 {
			t.Errorf("after the fix: %d x/net findings, first %s", len(got), got[0].ID)
		}
		return
	}
	t.Fatal("no plan for x/net")
}
