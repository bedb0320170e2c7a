package risk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/source"
)

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// stand-in documents, in each registry's documented format.
var docs = map[string]string{
	// npm: request 2.88.0 deprecated; old-lib last released 2019; big
	// at 1.x while 3.x is latest; fresh at 2.0.0 with 2.1.0 out 100 days.
	"/npm/request": `{"name":"request","dist-tags":{"latest":"2.88.2"},"versions":{
	  "2.88.0":{"deprecated":"request has been deprecated, see https://github.com/request/request/issues/3142","license":"Apache-2.0"},
	  "2.88.2":{"deprecated":"request has been deprecated, see https://github.com/request/request/issues/3142","license":"Apache-2.0"}},
	  "time":{"2.88.0":"2018-07-13T16:36:49.000Z","2.88.2":"2026-11-11T16:33:33.000Z"}}`,
	"/npm/old-lib": `{"name":"old-lib","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{}},"time":{"1.0.0":"2019-01-01T00:00:00Z"}}`,
	"/npm/big": `{"name":"big","dist-tags":{"latest":"3.0.0"},"versions":{"1.0.0":{},"2.0.0":{},"3.0.0":{},"4.0.0-beta.1":{}},
	  "time":{"1.0.0":"2025-01-01T00:00:00Z","2.0.0":"2025-06-01T00:00:00Z","3.0.0":"2026-11-01T00:00:00Z","4.0.0-beta.1":"2026-11-20T00:00:00Z"}}`,
	"/npm/fresh": `{"name":"fresh","dist-tags":{"latest":"2.1.0"},"versions":{"2.0.0":{},"2.1.0":{},"2.2.0-rc.1":{}},
	  "time":{"2.0.0":"2026-01-01T00:00:00Z","2.1.0":"2026-08-23T00:00:00Z","2.2.0-rc.1":"2026-11-01T00:00:00Z"}}`,
	"/npm/calver": `{"name":"calver","dist-tags":{"latest":"2026.1.0"},"versions":{"2019.1.0":{},"2026.1.0":{}},
	  "time":{"2019.1.0":"2019-01-01T00:00:00Z","2026.1.0":"2026-11-20T00:00:00Z"}}`,
	"/npm/recent": `{"name":"recent","dist-tags":{"latest":"1.1.0"},"versions":{"1.0.0":{},"1.1.0":{}},
	  "time":{"1.0.0":"2026-01-01T00:00:00Z","1.1.0":"2026-11-01T00:00:00Z"}}`,
	// PyPI: requests 2.32.0 yanked.
	"/simple/requests/": `{"meta":{"api-version":"1.1"},"name":"requests","files":[
	  {"filename":"requests-2.32.0.tar.gz","yanked":"conflicts with CVE-2024-35195 mitigation","upload-time":"2026-05-20T15:00:00Z"},
	  {"filename":"requests-2.32.3.tar.gz","upload-time":"2026-05-29T15:37:47Z"}]}`,
	// crates.io sparse index: no dates.
	"/crates/ti/me/time": `{"name":"time","vers":"0.2.22","yanked":true}
{"name":"time","vers":"0.3.36","yanked":false}`,
	// Go: v1.0.1 retracted, the module deprecated.
	"/go/example.com/old/@v/list":        "v1.0.0\nv1.0.1\nv1.1.0\n",
	"/go/example.com/old/@v/v1.1.0.info": `{"Version":"v1.1.0","Time":"2026-10-01T00:00:00Z"}`,
	"/go/example.com/old/@v/v1.1.0.mod":  "// Deprecated: use example.com/new.\nmodule example.com/old\n\nretract v1.0.1 // deletes data\nretract [v1.0.2-0.20200101000000-abcdefabcdef, v1.0.2-0.20201231000000-abcdefabcdef] // broken builds\n",
}

func standIn(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := docs[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func set(t *testing.T, mirrors map[string]string) *registry.Set {
	t.Helper()
	cfg := registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{}}
	for k, u := range mirrors {
		cfg.Mirrors[k] = registry.Mirror{URL: u}
	}
	s, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pkg(eco, name, version string, line int) inventory.Package {
	return inventory.Package{Ecosystem: eco, Name: name, Version: version, Location: inventory.Location{Path: "lock", Line: line}}
}

func analyze(t *testing.T, in *analyzer.Input) *analyzer.Output {
	t.Helper()
	in.Now = now
	in.Progress = func(analyzer.Progress) {}
	if in.Env == nil {
		in.Env = &analyzer.Env{}
	}
	out, err := New().Analyze(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// summary renders findings as "rule package@version severity".
func summary(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		s := f.ID + " " + string(f.Severity)
		if f.Package != nil {
			s = f.ID + " " + f.Package.Name + "@" + f.Package.Version + " " + string(f.Severity)
		} else {
			s += " " + f.Location.Path
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestMirrorSignals(t *testing.T) {
	srv := standIn(t)
	regs := set(t, map[string]string{"npm": srv.URL + "/npm", "pypi": srv.URL + "/simple", "crates": srv.URL + "/crates", "go": srv.URL + "/go"})
	in := &analyzer.Input{Env: &analyzer.Env{Registries: regs}, Manifests: []inventory.Manifest{{Path: "lock", Packages: []inventory.Package{
		pkg("npm", "request", "2.88.0", 1),
		pkg("npm", "old-lib", "1.0.0", 2),
		pkg("npm", "big", "1.0.0", 3),
		pkg("npm", "fresh", "2.0.0", 4),
		pkg("npm", "recent", "1.0.0", 5),
		pkg("npm", "calver", "2019.1.0", 9),
		pkg("PyPI", "requests", "2.32.0", 6),
		pkg("crates.io", "time", "0.2.22", 7),
		pkg("Go", "example.com/old", "v1.0.1", 8),
		pkg("Go", "stdlib", "1.22.5", 0),
		pkg("Go", "example.com/old", "v1.0.2-0.20200601000000-abcdefabcdef", 10),
	}}}}
	out := analyze(t, in)
	want := []string{
		"risk/deprecated example.com/old@v1.0.1 low",
		"risk/deprecated example.com/old@v1.0.2-0.20200601000000-abcdefabcdef low",
		"risk/deprecated request@2.88.0 low",
		"risk/majors-behind big@1.0.0 low",
		"risk/no-release old-lib@1.0.0 low",
		"risk/outdated fresh@2.0.0 info",
		"risk/outdated requests@2.32.0 info",
		"risk/retracted example.com/old@v1.0.1 medium",
		"risk/retracted example.com/old@v1.0.2-0.20200601000000-abcdefabcdef medium",
		"risk/yanked requests@2.32.0 medium",
		"risk/yanked time@0.2.22 medium",
	}
	// Not outdated: big 1.0.0 (the only 1.x), example.com/old (v1.1.0 is
	// 61 days old), recent (30 days).
	if diff := cmp.Diff(want, summary(out.Findings)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range out.Findings {
		if f.Evidence == "" || !strings.Contains(f.Evidence, srv.URL) {
			t.Errorf("%s %s: evidence %q does not name the mirror response", f.ID, f.Package.Name, f.Evidence)
		}
		if f.Fingerprint == "" {
			t.Errorf("%s: no fingerprint", f.ID)
		}
	}
	var notes []string
	for _, n := range out.Notices {
		notes = append(notes, n.Message)
	}
	all := strings.Join(notes, "\n")
	if !strings.Contains(all, "records no release dates for 1 package") || !strings.Contains(all, "no vulnerability data") || strings.Contains(all, "stdlib") {
		t.Errorf("notices:\n%s", all)
	}
}

func TestNoMirrorDeadMirror(t *testing.T) {
	in := &analyzer.Input{Manifests: []inventory.Manifest{{Path: "lock", Packages: []inventory.Package{pkg("npm", "request", "2.88.0", 1), pkg("PyPI", "x", "1.0", 2)}}}}
	out := analyze(t, in)
	if len(out.Findings) != 0 {
		t.Errorf("findings without a mirror: %v", summary(out.Findings))
	}
	msgs := notices(out)
	for _, want := range []string{"unknown for 1 npm package: no mirror configured for npm: give one with --registry npm=URL", "unknown for 1 PyPI package"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("notices lack %q:\n%s", want, msgs)
		}
	}
	// A dead mirror: the scan completes and says which signals are unknown.
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	in.Env = &analyzer.Env{Registries: set(t, map[string]string{"npm": u})}
	out = analyze(t, in)
	if msgs := notices(out); !strings.Contains(msgs, "registry signals are unknown for 1 npm package (request): the mirror did not answer") {
		t.Errorf("dead mirror notices:\n%s", msgs)
	}
}

func notices(out *analyzer.Output) string {
	var s []string
	for _, n := range out.Notices {
		s = append(s, string(n.Level)+": "+n.Message)
	}
	return strings.Join(s, "\n")
}

type malDB struct{}

func (malDB) Query(_ context.Context, eco, name string) ([]*osv.Vulnerability, error) {
	switch name {
	case "evil-pkg":
		return []*osv.Vulnerability{{ID: "MAL-2025-1", Summary: "Malicious code in evil-pkg (npm)",
			Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "evil-pkg"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}}}}}}}}, nil
	case "instant":
		return []*osv.Vulnerability{{ID: "RUSTSEC-2024-0384", Summary: "instant is unmaintained",
			Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "crates.io", Name: "instant"}, Ranges: []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}}}},
				DatabaseSpecific: []byte(`{"informational":"unmaintained"}`)}}}}, nil
	}
	return nil, nil
}

func (malDB) Names(_ context.Context, eco string) (map[string]bool, error) {
	return map[string]bool{"evil-pkg": true, "instant": true}, nil
}

// TestOfflineSignals: malicious packages and unmaintained crates from the
// imported data; VCS, URL and path sources; manifests without a lockfile.
func TestOfflineSignals(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"package.json":         `{"dependencies": {"a": "1"}}`,
		"tools/pyproject.toml": "[tool.black]\nline-length = 100\n",
		"svc/pyproject.toml":   "[project]\nname = \"svc\"\ndependencies = [\"requests\"]\n",
		"ws/Cargo.lock":        "",
		"ws/member/Cargo.toml": "[package]\nname = \"m\"\n\n[dependencies]\nserde = \"1\"\n",
		"mod/go.mod":           "module x\n\ngo 1.22\n",
		"gems/Gemfile":         "source 'https://rubygems.org'\ngem 'rails'\n",
	}
	var paths []string
	for p, body := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644)
		if New().FileRequired(p) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	tree, err := source.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	git := pkg("npm", "from-git", "1.0.0", 3)
	git.Source = &inventory.Source{Type: inventory.SourceGit, URL: "https://github.com/x/y.git", Commit: "abc123"}
	local := pkg("npm", "local", "1.0.0", 4)
	local.Source = &inventory.Source{Type: inventory.SourcePath, Path: "../local"}
	in := &analyzer.Input{Tree: tree, Files: paths, Env: &analyzer.Env{VulnDB: malDB{}}, Manifests: []inventory.Manifest{
		{Path: "lock", Packages: []inventory.Package{pkg("npm", "evil-pkg", "1.2.3", 1), pkg("crates.io", "instant", "0.1.13", 2), git, local}}}}
	out := analyze(t, in)
	want := []string{
		"MAL-2025-1 evil-pkg@1.2.3 critical",
		"RUSTSEC-2024-0384 instant@0.1.13 info",
		"risk/no-lockfile low gems/Gemfile",
		"risk/no-lockfile low package.json",
		"risk/no-lockfile low svc/pyproject.toml",
		"risk/path-source local@1.0.0 info",
		"risk/vcs-source from-git@1.0.0 low",
	}
	if diff := cmp.Diff(want, summary(out.Findings)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The malicious package fails any gate; the info findings never do.
	th, _ := finding.ParseThreshold("critical")
	anyT, _ := finding.ParseThreshold("any")
	for _, f := range out.Findings {
		if f.ID == "MAL-2025-1" && (!th.Fails(f) || f.Kind != finding.KindRisk) {
			t.Errorf("malicious finding does not fail --fail-on critical: %+v", f)
		}
		if f.Severity == finding.Info && anyT.Fails(f) {
			t.Errorf("%s (info) fails --fail-on any", f.ID)
		}
	}
}

func TestSettings(t *testing.T) {
	p, err := policy.Parse(".airlock.yaml", strings.NewReader("risk:\n  no_release_for: 1y\n  majors_behind: 3\n  outdated_after: 30d\n  severity:\n    deprecated: high\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.NoReleaseFor != Year || s.MajorsBehind != 3 || s.OutdatedAfter != 30*Day || s.Severity["deprecated"] != finding.High || s.Severity["yanked"] != finding.Medium {
		t.Errorf("settings %+v", s)
	}
	for src, want := range map[string]string{
		"risk:\n  no_release_for: soon\n":      `.airlock.yaml:2: risk.no_release_for: "soon" is not an age`,
		"risk:\n  severity:\n    typo: high\n": `unknown signal "typo"`,
		"risk:\n  majors_behind: 0\n":          "risk.majors_behind: 0 is below 1",
		"risk:\n  colour: red\n":               "risk.colour: unknown field",
	} {
		p, err := policy.Parse(".airlock.yaml", strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
