package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/list"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestGitLab(t *testing.T) {

	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			out := render(t, GitLab, r, testOptions)
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			// Schema 15.0.7 requires these four at the top level.
			for _, k := range []string{"version", "scan", "vulnerabilities", "dependency_files"} {
				if _, ok := doc[k]; !ok {
					t.Errorf("required field %s is missing", k)
				}
			}
			if doc["version"] != "15.0.7" {
				t.Errorf("version = %v, want 15.0.7", doc["version"])
			}
			if s, _ := doc["schema"].(string); s != gitlabSchemaURL || !bytes.Contains([]byte(s), []byte("/v15.0.7/")) {
				t.Errorf("schema = %q", s)
			}
			files, ok := doc["dependency_files"].([]any)
			if !ok {
				t.Fatalf("dependency_files is not an array: %v", doc["dependency_files"])
			}
			for _, x := range files {
				f, _ := x.(map[string]any)
				for _, k := range []string{"path", "package_manager"} {
					if s, _ := f[k].(string); s == "" {
						t.Errorf("dependency file lacks %s: %v", k, f)
					}
				}
				deps, ok := f["dependencies"].([]any)
				if !ok {
					t.Errorf("dependency file %v has no dependencies array", f["path"])
				}
				for _, y := range deps {
					dep, _ := y.(map[string]any)
					pkg, _ := dep["package"].(map[string]any)
					if n, _ := pkg["name"].(string); n == "" {
						t.Errorf("dependency without package name: %v", dep)
					}
					if _, ok := dep["version"].(string); !ok {
						t.Errorf("dependency without version: %v", dep)
					}
				}
			}
			vulns := checkGitLabScan(t, doc, "dependency_scanning")
			for _, v := range vulns {
				ids, _ := v["identifiers"].([]any)
				if len(ids) == 0 {
					t.Errorf("vulnerability %v has no identifiers", v["id"])
				}
				for _, y := range ids {
					ident, _ := y.(map[string]any)
					for _, k := range []string{"type", "name", "value"} {
						if s, _ := ident[k].(string); s == "" {
							t.Errorf("identifier lacks %s: %v", k, ident)
						}
					}
				}
				loc, _ := v["location"].(map[string]any)
				dep, _ := loc["dependency"].(map[string]any)
				pkg, _ := dep["package"].(map[string]any)
				if f, _ := loc["file"].(string); f == "" {
					t.Errorf("location without file: %v", loc)
				}
				if n, _ := pkg["name"].(string); n == "" {
					t.Errorf("dependency without package name: %v", dep)
				}
				if _, ok := dep["version"].(string); !ok {
					t.Errorf("dependency without version: %v", dep)
				}
				if n, _ := v["name"].(string); len(n) > gitlabMaxName {
					t.Errorf("name longer than %d", gitlabMaxName)
				}
			}
			switch name {
			case "fixture":
				// Six vulnerabilities, less the ignored one; the secret belongs
				// to another report type.
				if len(vulns) != 5 {
					t.Errorf("%d vulnerabilities, want 5", len(vulns))
				}
				if bytes.Contains(out, []byte("GHSA-35jh-r3h4-6jhm")) {
					t.Error("the ignored finding is in the GitLab report")
				}
				for _, id := range []string{"aws-access-key-id", "gitlab-pat"} {
					if bytes.Contains(out, []byte(id)) {
						t.Errorf("secret finding %s is in the dependency scanning report", id)
					}
				}
			case "empty":
				if len(files) != 0 {
					t.Errorf("dependency_files = %v, want []", files)
				}
			}
		})
	}
}

// TestGitLabDependencyFiles checks dependency_files for the fixture: one
// entry per manifest, in path order, with the package manager GitLab knows
// and every package with its version and, where known, whether it is direct.
func TestGitLabDependencyFiles(t *testing.T) {
	var rep gitlabReport[gitlabVulnerability]
	if err := json.Unmarshal(render(t, GitLab, fixture(), testOptions), &rep); err != nil {
		t.Fatal(err)
	}
	dep := func(name, version string, direct *bool) gitlabDependency {
		return gitlabDependency{Package: gitlabPackage{Name: name}, Version: version, Direct: direct}
	}
	yes, no := new(true), new(false)
	want := []gitlabDependencyFile{
		{Path: "Cargo.lock", PackageManager: "cargo", Dependencies: []gitlabDependency{
			dep("instant", "0.1.13", nil),
			dep("smallvec", "1.13.2", nil),
			dep("time", "0.1.45", nil),
		}},
		{Path: "go.mod", PackageManager: "go", Dependencies: []gitlabDependency{
			dep("github.com/aws/aws-sdk-go", "v1.44.0", yes),
			dep("golang.org/x/net", "v0.17.0", yes),
			dep("golang.org/x/text", "v0.14.0", no),
		}},
		{Path: "requirements.txt", PackageManager: "pip", Dependencies: []gitlabDependency{
			dep("Django", "4.2.0", yes),
			dep("PyYAML", "6.0.1", yes),
			dep("requests", ">=2.31,<3", yes),
		}},
		{Path: "services/web/package-lock.json", PackageManager: "npm", Dependencies: []gitlabDependency{
			dep("@babel/traverse", "7.22.5", no),
			dep("express", "4.19.2", yes),
			dep("lodash", "4.17.20", yes),
		}},
	}
	if diff := cmp.Diff(&want, rep.DependencyFiles); diff != "" {
		t.Errorf("dependency_files mismatch (-want +got):\n%s", diff)
	}
}

// TestGitLabDependencyFilesOrder checks that dependency_files does not depend
// on the order manifests and packages come in, leaves out manifests without
// packages, and writes a package listed twice once.
func TestGitLabDependencyFilesOrder(t *testing.T) {
	pkg := func(name, version string, rel inventory.Relation) inventory.Package {
		return inventory.Package{Ecosystem: inventory.NPM, Name: name, Version: version, Relation: rel}
	}
	a := []scan.Manifest{
		{Path: "b/package-lock.json", Extractor: "npm/package-lock", Packages: []inventory.Package{
			pkg("zod", "3.0.0", inventory.RelationTransitive),
			pkg("ansi", "1.0.0", inventory.RelationTransitive),
			pkg("zod", "3.0.0", inventory.RelationDirect),
			pkg("ansi", "0.9.0", inventory.RelationUnknown),
		}},
		{Path: "a/yarn.lock", Extractor: "npm/yarn-lock", Packages: []inventory.Package{pkg("left-pad", "1.3.0", inventory.RelationUnknown)}},
		{Path: "c/package-lock.json", Extractor: "npm/package-lock"},
		{Path: "d/new.lock", Extractor: "npm/new-lock", Packages: []inventory.Package{pkg("x", "1.0.0", inventory.RelationUnknown)}},
	}
	b := make([]scan.Manifest, len(a))
	for i := range a {
		m := a[len(a)-1-i]
		m.Packages = append([]inventory.Package(nil), m.Packages...)
		for j, k := 0, len(m.Packages)-1; j < k; j, k = j+1, k-1 {
			m.Packages[j], m.Packages[k] = m.Packages[k], m.Packages[j]
		}
		b[i] = m
	}
	got := gitlabDependencyFiles(a)
	if diff := cmp.Diff(got, gitlabDependencyFiles(b)); diff != "" {
		t.Errorf("dependency_files depends on input order (-a +b):\n%s", diff)
	}
	yes := new(true)
	want := []gitlabDependencyFile{
		{Path: "a/yarn.lock", PackageManager: "yarn", Dependencies: []gitlabDependency{
			{Package: gitlabPackage{Name: "left-pad"}, Version: "1.3.0"},
		}},
		{Path: "b/package-lock.json", PackageManager: "npm", Dependencies: []gitlabDependency{
			{Package: gitlabPackage{Name: "ansi"}, Version: "0.9.0"},
			{Package: gitlabPackage{Name: "ansi"}, Version: "1.0.0", Direct: new(false)},
			{Package: gitlabPackage{Name: "zod"}, Version: "3.0.0", Direct: yes},
		}},
		// An extractor GitLab has no name for writes its own.
		{Path: "d/new.lock", PackageManager: "npm/new-lock", Dependencies: []gitlabDependency{
			{Package: gitlabPackage{Name: "x"}, Version: "1.0.0"},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dependency_files mismatch (-want +got):\n%s", diff)
	}
}

// TestGitLabPackageManagers checks that every extractor airlock has maps to
// a package_manager value, so none falls back to its extractor name.
func TestGitLabPackageManagers(t *testing.T) {
	for _, x := range list.All() {
		if pm := gitlabPackageManagers[x.Name()]; pm == "" {
			t.Errorf("extractor %s has no GitLab package_manager", x.Name())
		}
	}
}

// TestGitLabLinks checks that links keep only the URLs every 15.0 patch of
// the schema accepts (^https?://.+), once each.
func TestGitLabLinks(t *testing.T) {
	got := gitlabLinks([]string{
		"https://example.com/a",
		"ftp://ftp.example.com/advisory.txt",
		"http://example.com/b",
		"https://example.com/a",
		"mailto:security@example.com",
		"https://",
	})
	want := []gitlabLink{{URL: "https://example.com/a"}, {URL: "http://example.com/b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("links mismatch (-want +got):\n%s", diff)
	}
}

func TestGitLabStableID(t *testing.T) {
	a := render(t, GitLab, fixture(), testOptions)
	r := fixture()
	findingByID(t, r, "GO-2024-2687").Location.StartLine = 40 // the go.mod line moved
	r.StartedAt = r.StartedAt.AddDate(0, 0, 1)
	b := render(t, GitLab, r, testOptions)
	var da, db gitlabReport[gitlabVulnerability]
	if err := json.Unmarshal(a, &da); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &db); err != nil {
		t.Fatal(err)
	}
	for i := range da.Vulnerabilities {
		if da.Vulnerabilities[i].ID != db.Vulnerabilities[i].ID {
			t.Errorf("vulnerability id changed between scans: %s, %s", da.Vulnerabilities[i].ID, db.Vulnerabilities[i].ID)
		}
	}
}

// TestGitLabSchemaFile validates the GitLab report against a copy of GitLab's
// dependency scanning schema when AIRLOCK_GITLAB_SCHEMA names one (schema
// 15.0.7: lib/gitlab/ci/parsers/security/validators/schemas/15.0.7/
// dependency-scanning-report-format.json in GitLab's source); GitLab
// publishes the schema only on its own site, so it is not vendored here.
func TestGitLabSchemaFile(t *testing.T) {
	s := gitlabSchema(t, "AIRLOCK_GITLAB_SCHEMA", "a dependency-scanning-report-format.json")
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			validate(t, s, render(t, GitLab, r, testOptions))
		})
	}
}

// What every GitLab report must look like: zone-less times, version 5
// UUIDs (derived from fingerprints), capitalised severities.
var (
	timeFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	uuid       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	severities = map[string]bool{"Critical": true, "High": true, "Medium": true, "Low": true, "Info": true, "Unknown": true}
)

// checkGitLabScan asserts what every GitLab security report of schema
// 15.0.7 requires of its scan object and vulnerabilities (tool fields, type,
// status, zone-less times, UUID ids, capitalised severities) and returns the
// vulnerabilities for the report-specific checks.
func checkGitLabScan(t *testing.T, doc map[string]any, scanType string) []map[string]any {
	t.Helper()
	sc, _ := doc["scan"].(map[string]any)
	for _, k := range []string{"analyzer", "scanner"} {
		tool, _ := sc[k].(map[string]any)
		vendor, _ := tool["vendor"].(map[string]any)
		for _, v := range []any{tool["id"], tool["name"], tool["version"], vendor["name"]} {
			if s, _ := v.(string); s == "" {
				t.Errorf("scan.%s lacks a required field: %v", k, tool)
			}
		}
	}
	if sc["type"] != scanType || (sc["status"] != "success" && sc["status"] != "failure") {
		t.Errorf("scan type %v status %v", sc["type"], sc["status"])
	}
	for _, k := range []string{"start_time", "end_time"} {
		if s, _ := sc[k].(string); !timeFormat.MatchString(s) {
			t.Errorf("scan.%s = %q, want yyyy-mm-ddThh:mm:ss without a zone", k, s)
		}
	}
	list, ok := doc["vulnerabilities"].([]any)
	if !ok {
		t.Fatalf("vulnerabilities is not an array: %v", doc["vulnerabilities"])
	}
	var out []map[string]any
	for _, x := range list {
		v, _ := x.(map[string]any)
		if id, _ := v["id"].(string); !uuid.MatchString(id) {
			t.Errorf("vulnerability id %q is not a version 5 UUID", id)
		}
		if s, _ := v["severity"].(string); !severities[s] {
			t.Errorf("severity %q is not one of the schema's capitalised values", s)
		}
		out = append(out, v)
	}
	return out
}

// gitlabSchema compiles the copy of a GitLab report schema that the
// environment variable env names, skipping the test when it is unset
// (GitLab's schemas are not vendored here).
func gitlabSchema(t *testing.T, env, what string) *jsonschema.Schema {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		t.Skipf("set %s to %s to validate against it", env, what)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	doc, err := jsonschema.UnmarshalJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(env+".json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(env + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
