package license

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
	"github.com/airlock-sec/airlock/internal/inventory"
	spdx "github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/source"
)

func mitText(t *testing.T) string {
	b, err := os.ReadFile("../../license/testdata/MIT.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tree writes files into a directory and opens it as the engine does,
// returning the files the analyzer wants.
func tree(t *testing.T, files map[string]string) (*source.Tree, []string) {
	t.Helper()
	dir := t.TempDir()
	var want []string
	for p, body := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if New(Config{}).FileRequired(p) {
			want = append(want, p)
		}
	}
	sort.Strings(want)
	tr, err := source.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, want
}

func pkg(eco, name, version, path string, line int) inventory.Package {
	return inventory.Package{Ecosystem: eco, Name: name, Version: version, Location: inventory.Location{Path: path, Line: line}}
}

func analyze(t *testing.T, c Config, in *analyzer.Input) *analyzer.Output {
	t.Helper()
	in.Now, in.Progress = time.Now(), func(analyzer.Progress) {}
	if in.Env == nil {
		in.Env = &analyzer.Env{}
	}
	out, err := New(c).Analyze(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rows(out *analyzer.Output) []string {
	var s []string
	for _, l := range out.Licenses {
		s = append(s, strings.Join([]string{l.Name, l.License, l.Source, l.Status}, " | "))
	}
	return s
}

// TestSources: each package's license from the best source at hand, the
// repository's own LICENSE classified.
func TestSources(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.EscapedPath() {
		case "/npm/from-mirror":
			w.Write([]byte(`{"name":"from-mirror","versions":{"1.0.0":{"license":"ISC"}}}`))
		case "/maven/org/x/lib/1.0/lib-1.0.pom":
			w.Write([]byte(`<project><licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses></project>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer mirror.Close()
	regs, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{
		"npm": {URL: mirror.URL + "/npm"}, "maven": {URL: mirror.URL + "/maven"}}})
	if err != nil {
		t.Fatal(err)
	}
	tr, files := tree(t, map[string]string{
		"LICENSE": mitText(t),
		"web/node_modules/installed/package.json":               `{"name":"installed","version":"2.0.0","license":"BSD-2-Clause"}`,
		"vendor/example.com/mod/LICENSE":                        mitText(t),
		"venv/lib/site-packages/Flask-3.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.0\nClassifier: License :: OSI Approved :: BSD License\nLicense-Expression: BSD-3-Clause\n\nbody",
	})
	locked := pkg("npm", "locked", "1.0.0", "web/package-lock.json", 3)
	locked.License = "(MIT OR Apache-2.0)"
	in := &analyzer.Input{Tree: tr, Files: files, Env: &analyzer.Env{Registries: regs}, Manifests: []inventory.Manifest{
		{Path: "web/package-lock.json", Packages: []inventory.Package{locked, pkg("npm", "installed", "2.0.0", "web/package-lock.json", 4), pkg("npm", "from-mirror", "1.0.0", "web/package-lock.json", 5), pkg("npm", "nowhere", "1.0.0", "web/package-lock.json", 6)}},
		{Path: "go.mod", Packages: []inventory.Package{pkg("Go", "example.com/mod", "v1.0.0", "go.mod", 3), pkg("Go", "stdlib", "1.22.5", "go.mod", 0)}},
		{Path: "requirements.txt", Packages: []inventory.Package{pkg("PyPI", "flask", "3.0.0", "requirements.txt", 1)}},
		{Path: "pom.xml", Packages: []inventory.Package{pkg("Maven", "org.x:lib", "1.0", "pom.xml", 9)}},
	}}
	out := analyze(t, Config{Always: true}, in)
	want := []string{
		"(this repository) | MIT | license-file | ",
		"locked | (MIT OR Apache-2.0) | lockfile | ",
		"installed | BSD-2-Clause | installed | ",
		"from-mirror | ISC | mirror | ",
		"nowhere |  | none | ",
		"example.com/mod | MIT | vendor | ",
		"stdlib | BSD-3-Clause | toolchain | ",
		"flask | BSD-3-Clause | installed | ",
		"org.x:lib | Apache-2.0 | mirror | ",
	}
	if diff := cmp.Diff(want, rows(out)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(out.Findings) != 0 {
		t.Errorf("findings without a policy: %+v", out.Findings)
	}
	if n := notices(out); !strings.Contains(n, "no license found for 1 npm package: the mirror did not say") {
		t.Errorf("notices:\n%s", n)
	}
	// Without a policy and not asked for, the analyzer does nothing.
	if out := analyze(t, Config{}, in); len(out.Licenses)+len(out.Findings) != 0 {
		t.Errorf("unasked: %v", rows(out))
	}
}

func notices(out *analyzer.Output) string {
	var s []string
	for _, n := range out.Notices {
		s = append(s, n.Message)
	}
	return strings.Join(s, "\n")
}

// TestPolicy: denied, unknown, unparsable and exempt packages under the
// repository's policy; the operator's policy wins over it.
func TestPolicy(t *testing.T) {
	pol, err := policy.Parse(".airlock.yaml", strings.NewReader(`licenses:
  allow: [MIT, Apache-2.0]
  unknown: medium
  exceptions:
    - {package: vetted, reason: "legal approved 2026-11"}
`))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name, lic string) inventory.Package {
		p := pkg("npm", name, "1.0.0", "package-lock.json", 2)
		p.License = lic
		return p
	}
	in := &analyzer.Input{Repo: &analyzer.RepoConfig{Policy: pol}, Manifests: []inventory.Manifest{{Path: "package-lock.json", Packages: []inventory.Package{
		mk("ok", "MIT OR GPL-3.0-only"), mk("gpl", "Apache-2.0 AND GPL-3.0-only"), mk("custom", "SEE LICENSE IN LICENSE.txt"),
		mk("none", ""), mk("vetted", "WTFPL"),
	}}}}
	out := analyze(t, Config{}, in)
	var got []string
	for _, f := range out.Findings {
		got = append(got, f.ID+" "+f.Package.Name+" "+string(f.Severity)+": "+f.Title)
	}
	sort.Strings(got)
	want := []string{
		"license/denied gpl high: gpl 1.0.0 is licensed Apache-2.0 AND GPL-3.0-only, which the policy does not allow (GPL-3.0-only)",
		`license/unknown custom medium: custom 1.0.0 declares the license "SEE LICENSE IN LICENSE.txt", which is not an SPDX expression`,
		"license/unknown none medium: none 1.0.0: no license found",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	status := map[string]string{}
	for _, l := range out.Licenses {
		status[l.Name] = l.Status
	}
	if diff := cmp.Diff(map[string]string{"ok": "allowed", "gpl": "denied", "custom": "unknown", "none": "unknown", "vetted": "exempt"}, status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	// The operator's policy replaces the repository's.
	op := &spdx.Policy{Source: "server.yaml", Deny: []string{"MIT"}, Severity: "critical", Unknown: "low"}
	out = analyze(t, Config{Policy: op}, in)
	for _, f := range out.Findings {
		if f.Package.Name == "ok" && (f.ID != "license/denied" || f.Severity != "critical" || !strings.Contains(f.Evidence, "policy server.yaml")) {
			t.Errorf("operator policy: %+v", f)
		}
		if f.Package.Name == "vetted" {
			t.Errorf("the repository's exception applied under the operator's policy: %+v", f)
		}
	}
	// A broken policy names the file and line.
	bad, _ := policy.Parse(".airlock.yaml", strings.NewReader("licenses:\n  allow: [Nope-1.0]\n"))
	in.Repo = &analyzer.RepoConfig{Policy: bad}
	if _, err := New(Config{}).Analyze(context.Background(), in); err == nil || !strings.Contains(err.Error(), ".airlock.yaml:2: licenses.allow") {
		t.Errorf("bad policy: %v", err)
	}
}

func TestMetadataLicense(t *testing.T) {
	for in, want := range map[string]string{
		"Name: x\nLicense-Expression: MIT\nLicense: BSD\n":                                "MIT",
		"Name: x\nLicense: Apache 2.0\n":                                                  "Apache 2.0",
		"Name: x\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n": "MIT License",
		"Name: x\n\nLicense: in the body\n":                                               "",
	} {
		if got := MetadataLicense([]byte(in)); got != want {
			t.Errorf("MetadataLicense(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzMetadataLicense(f *testing.F) {
	f.Add([]byte("Metadata-Version: 2.1\nName: Flask\nLicense-Expression: BSD-3-Clause\n\nbody"))
	f.Add([]byte("Classifier: License :: OSI Approved :: MIT License\nClassifier: License :: Other\n"))
	f.Fuzz(func(t *testing.T, b []byte) { MetadataLicense(b) })
}

// TestOffline: once the mirror has answered, the license table is made
// offline from the registry cache (the mirror gone), each such license's
// evidence saying it is a cached copy; classifying license files and
// parsing SPDX need no network (their data is compiled in).
func TestOffline(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.EscapedPath() {
		case "/npm/from-mirror":
			w.Write([]byte(`{"name":"from-mirror","versions":{"1.0.0":{"license":"ISC"}}}`))
		case "/maven/org/x/lib/1.0/lib-1.0.pom":
			w.Write([]byte(`<project><licenses><license><name>The Apache Software License, Version 2.0</name></license></licenses></project>`))
		default:
			http.NotFound(w, r)
		}
	}))
	cache := t.TempDir()
	open := func() *registry.Set {
		// A TTL of a nanosecond: every answer is revalidated with the
		// mirror, so the second scan really tries it.
		regs, err := registry.New(registry.Config{CacheDir: cache, CacheTTL: time.Nanosecond, Mirrors: map[string]registry.Mirror{
			"npm": {URL: mirror.URL + "/npm"}, "maven": {URL: mirror.URL + "/maven"}}})
		if err != nil {
			t.Fatal(err)
		}
		return regs
	}
	tr, files := tree(t, map[string]string{"LICENSE": mitText(t), "vendor/example.com/mod/LICENSE": mitText(t)})
	in := func() *analyzer.Input {
		return &analyzer.Input{Tree: tr, Files: files, Env: &analyzer.Env{Registries: open()}, Manifests: []inventory.Manifest{
			{Path: "package-lock.json", Packages: []inventory.Package{pkg("npm", "from-mirror", "1.0.0", "package-lock.json", 5)}},
			{Path: "pom.xml", Packages: []inventory.Package{pkg("Maven", "org.x:lib", "1.0", "pom.xml", 9)}},
			{Path: "go.mod", Packages: []inventory.Package{pkg("Go", "example.com/mod", "v1.0.0", "go.mod", 3)}},
		}}
	}
	want := []string{
		"(this repository) | MIT | license-file | ",
		"from-mirror | ISC | mirror | ",
		"org.x:lib | Apache-2.0 | mirror | ",
		"example.com/mod | MIT | vendor | ",
	}
	online := analyze(t, Config{Always: true}, in())
	if diff := cmp.Diff(want, rows(online)); diff != "" {
		t.Fatalf("online (-want +got):\n%s", diff)
	}
	mirror.Close()
	offline := analyze(t, Config{Always: true}, in())
	if diff := cmp.Diff(want, rows(offline)); diff != "" {
		t.Errorf("offline (-want +got):\n%s", diff)
	}
	for _, l := range offline.Licenses {
		if l.Source == "mirror" && !strings.Contains(l.Evidence, "cached copy: the mirror could not be reached") {
			t.Errorf("%s: evidence %q does not say it is a cached copy", l.Name, l.Evidence)
		}
	}
}
