package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of the risk and license analyzers through the binary, with a
// stand-in npm mirror (and the real npm registry where it is reachable).

// isolated is an environment without the machine's own mirrors or caches:
// no GOPROXY, npm or pip settings, an empty home and cache.
func isolated(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	return append([]string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"GOPROXY=", "GOENV=off", "npm_config_registry=", "NPM_CONFIG_REGISTRY=", "PIP_INDEX_URL=", "AIRLOCK_USER_CONFIG=", "CI=1",
		"AIRLOCK_REGISTRY_NPM=", "AIRLOCK_REGISTRY_GO=", "AIRLOCK_REGISTRY_PYPI="}, extra...)
}

const requestLock = `{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
"":{"name":"app","version":"1.0.0","dependencies":{"request":"^2.88.0"}},
"node_modules/request":{"version":"2.88.0","resolved":"https://registry.npmjs.org/request/-/request-2.88.0.tgz","integrity":"sha512-x"}
}}
`

type reportJSON struct {
	Findings []struct {
		Kind, ID, Severity, Title, Evidence string
		SeveritySource                      string `json:"severity_source"`
	}
	Notices  []struct{ Level, Message string }
	Licenses []struct {
		Name, License, Source, Status string
	}
}

func parseReport(t *testing.T, r result) reportJSON {
	t.Helper()
	var rep reportJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s%s", err, r.stdout, r.stderr)
	}
	return rep
}

func npmStandIn(t *testing.T) (*httptest.Server, *int) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if r.URL.Path != "/request" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"name":"request","dist-tags":{"latest":"2.88.2"},"versions":{
		  "2.88.0":{"license":"Apache-2.0","deprecated":"request has been deprecated, see https://github.com/request/request/issues/3142"},
		  "2.88.2":{"license":"Apache-2.0","deprecated":"request has been deprecated, see https://github.com/request/request/issues/3142"}},
		  "time":{"2.88.0":"2018-07-13T16:36:49.000Z","2.88.2":"2020-02-11T16:33:33.000Z"}}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestRiskFromMirror: --registry and AIRLOCK_REGISTRY_NPM point the risk
// analyzer at the mirror; its findings name the response, count toward
// --fail-on by severity, and a second run is served from the cache.
func TestRiskFromMirror(t *testing.T) {
	srv, requests := npmStandIn(t)
	dir := writeTree(t, map[string]string{"package-lock.json": requestLock})
	env := isolated(t)
	r := airlockEnv(t, binary, env, nil, "scan", "--scanners", "risk", "--format", "json", "--registry", "npm="+srv.URL, dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (a low finding fails --fail-on any)\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r)
	got := map[string]string{}
	for _, f := range rep.Findings {
		got[f.ID] = f.Severity + " " + f.Evidence
	}
	if ev := got["risk/deprecated"]; !strings.HasPrefix(ev, "low mirror "+srv.URL+"/request") {
		t.Errorf("deprecated: %q\n%s", ev, r.stdout)
	}
	if ev := got["risk/no-release"]; !strings.HasPrefix(ev, "low ") {
		t.Errorf("no-release: %q", ev)
	}
	if got["risk/outdated"] == "" {
		t.Errorf("outdated missing: %v", got)
	}
	// Only info findings fail nothing; low ones fail --fail-on low, not medium.
	r = airlockEnv(t, binary, env, nil, "scan", "--scanners", "risk", "--fail-on", "medium", dir)
	if r.code != 0 {
		t.Errorf("--fail-on medium: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if *requests != 1 {
		t.Errorf("%d requests to the mirror, want 1 (the second run from the cache)", *requests)
	}
	// So does the user's configuration file.
	writeFiles(t, filepath.Join(env[0][len("HOME="):], ".config", "airlock"), map[string]string{"config.yaml": "registries:\n  mirrors:\n    npm: {url: \"" + srv.URL + "\"}\n"})
	r = airlockEnv(t, binary, env, nil, "scan", "--scanners", "risk", "--format", "json", dir)
	if !strings.Contains(r.stdout, "risk/deprecated") {
		t.Errorf("~/.config/airlock/config.yaml: no deprecated finding\n%s%s", r.stdout, r.stderr)
	}
	// The environment names the mirror as well.
	r = airlockEnv(t, binary, append(env, "AIRLOCK_REGISTRY_NPM="+srv.URL), nil, "scan", "--scanners", "risk", "--format", "json", dir)
	if !strings.Contains(r.stdout, "risk/deprecated") {
		t.Errorf("AIRLOCK_REGISTRY_NPM: no deprecated finding\n%s%s", r.stdout, r.stderr)
	}
}

// TestRiskUnknownSignals: without a mirror, or with a dead one, the scan
// completes and says which signals are unknown; it never passes silently.
func TestRiskUnknownSignals(t *testing.T) {
	dir := writeTree(t, map[string]string{"package-lock.json": requestLock})
	env := isolated(t)
	r := airlockEnv(t, binary, env, nil, "scan", "--scanners", "risk", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "signals are unknown for 1 npm package: no mirror configured for npm") {
		t.Errorf("no mirror: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := srv.URL
	srv.Close()
	r = airlockEnv(t, binary, env, nil, "scan", "--scanners", "risk", "--registry", "npm="+dead, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "registry signals are unknown for 1 npm package (request): the mirror did not answer") {
		t.Errorf("dead mirror: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range []string{"npm", "cobol=https://x", "npm=ftp://x"} {
		if r := airlockEnv(t, binary, env, nil, "scan", "--registry", bad, dir); r.code != 2 {
			t.Errorf("--registry %s: exit %d, want 2\n%s", bad, r.code, r.stderr)
		}
	}
}

// TestRiskMalicious: OSV MAL- records imported with 'airlock db import'
// are matched by default and fail the gate as critical.
func TestRiskMalicious(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", sharedZip(t, "osv-malicious", "npm")); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := writeTree(t, map[string]string{"package-lock.json": `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
"":{"name":"app","version":"1.0.0","dependencies":{"cloudsplaining":"*"}},
"node_modules/cloudsplaining":{"version":"7.5.0","resolved":"https://registry.npmjs.org/cloudsplaining/-/cloudsplaining-7.5.0.tgz"}}}`})
	r := airlockEnv(t, binary, isolated(t, "AIRLOCK_DB="+db), nil, "scan", "--format", "json", "--fail-on", "critical", dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r)
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != "risk" || rep.Findings[0].ID != "MAL-2023-1137" || rep.Findings[0].Severity != "critical" ||
		rep.Findings[0].SeveritySource != "malicious" || !strings.Contains(rep.Findings[0].Evidence, "MAL-2023-1137") {
		t.Errorf("findings %+v, want MAL-2023-1137 as a critical risk finding", rep.Findings)
	}
}

// TestRiskMaliciousPyPI: the real PyPI malicious-package set: a pinned
// requirement of a package published as malicious is a critical risk
// finding naming its MAL- record; a clean pin is not.
func TestRiskMaliciousPyPI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	if r := airlock(t, db, "db", "import", sharedZip(t, "osv-malicious", "PyPI")); r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := writeTree(t, map[string]string{"requirements.txt": "exodusdecoderss==1.4.3\nrequests==2.31.0\n"})
	r := airlockEnv(t, binary, isolated(t, "AIRLOCK_DB="+db), nil, "scan", "--format", "json", "--fail-on", "critical", dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r)
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != "risk" || rep.Findings[0].ID != "MAL-2024-10026" || rep.Findings[0].Severity != "critical" {
		t.Errorf("findings %+v, want MAL-2024-10026 as the one critical risk finding", rep.Findings)
	}
}

// TestLicenseCLI: --format licenses lists every package; a policy in
// .airlock.yaml fails the gate on a denied license; CycloneDX carries
// the licenses.
func TestLicenseCLI(t *testing.T) {
	lock := `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
"":{"name":"app","version":"1.0.0"},
"node_modules/a":{"version":"1.0.0","license":"MIT"},
"node_modules/b":{"version":"2.0.0","license":"(MIT OR GPL-3.0-only)"},
"node_modules/c":{"version":"3.0.0","license":"Apache-2.0 AND GPL-3.0-only"}}}`
	dir := writeTree(t, map[string]string{"package-lock.json": lock})
	env := isolated(t)
	r := airlockEnv(t, binary, env, nil, "scan", "--format", "licenses", dir)
	want := "ecosystem,name,version,license,declared,source,confidence,status,manifest,evidence,purl\n" +
		"npm,a,1.0.0,MIT,,lockfile,1.00,,package-lock.json,package-lock.json:3,pkg:npm/a@1.0.0\n" +
		"npm,b,2.0.0,(MIT OR GPL-3.0-only),,lockfile,1.00,,package-lock.json,package-lock.json:4,pkg:npm/b@2.0.0\n" +
		"npm,c,3.0.0,Apache-2.0 AND GPL-3.0-only,,lockfile,1.00,,package-lock.json,package-lock.json:5,pkg:npm/c@3.0.0\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d (want 0: no policy, nothing fails)\n%s\nwant\n%s%s", r.code, r.stdout, want, r.stderr)
	}
	r = airlockEnv(t, binary, env, nil, "scan", "--format", "cyclonedx", dir)
	if !strings.Contains(r.stdout, `"expression": "Apache-2.0 AND GPL-3.0-only"`) {
		t.Errorf("CycloneDX lacks the licenses:\n%s", r.stdout)
	}
	writeFiles(t, dir, map[string]string{".airlock.yaml": "licenses:\n  allow: [MIT, Apache-2.0]\n"})
	r = airlockEnv(t, binary, env, nil, "scan", "--format", "json", dir)
	if r.code != 3 {
		t.Fatalf("with a policy: exit %d, want 3\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := parseReport(t, r)
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.ID+" "+f.Severity+" "+f.Title)
	}
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "license/denied high c 3.0.0") {
		t.Errorf("findings %q, want c denied", ids)
	}
	writeFiles(t, dir, map[string]string{".airlock.yaml": "licenses:\n  allow: [MTI]\n"})
	if r := airlockEnv(t, binary, env, nil, "scan", dir); r.code != 1 || !strings.Contains(r.stderr, `.airlock.yaml:2: licenses.allow: "MTI" is not one SPDX license id`) {
		t.Errorf("bad policy: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRiskRealNPM: the real npm registry standing in for a site's mirror.
func TestRiskRealNPM(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	dir := writeTree(t, map[string]string{"package-lock.json": `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
"":{"name":"app","version":"1.0.0"},
"node_modules/express":{"version":"3.21.2"}}}`})
	r := airlockEnv(t, binary, isolated(t), nil, "scan", "--scanners", "risk,license", "--format", "json", "--registry", "npm=https://registry.npmjs.org", dir)
	if strings.Contains(r.stdout, "the mirror did not answer") {
		t.Skipf("registry.npmjs.org is not reachable from here:\n%s", r.stdout)
	}
	rep := parseReport(t, r)
	found := false
	for _, f := range rep.Findings {
		found = found || f.ID == "risk/majors-behind" && strings.Contains(f.Evidence, "https://registry.npmjs.org/express")
	}
	if !found || len(rep.Licenses) != 1 || rep.Licenses[0].License != "MIT" || rep.Licenses[0].Source != "mirror" {
		t.Errorf("exit %d: want express 3 two majors behind, licensed MIT from the mirror\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestLicenseRealGoProxy: a Go module's license comes from the LICENSE
// file of its zip on the Go module proxy (standing in for the site's
// mirror), classified by the license analyzer: github.com/google/uuid is
// BSD-3-Clause.
func TestLicenseRealGoProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("network test")
	}
	dir := writeTree(t, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
		"go.sum": "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\ngithub.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=\n",
	})
	r := airlockEnv(t, binary, isolated(t), nil, "scan", "--scanners", "license", "--format", "json", "--registry", "go=https://proxy.golang.org", dir)
	if strings.Contains(r.stdout, "the mirror did not answer") {
		t.Skipf("proxy.golang.org is not reachable from here:\n%s", r.stdout)
	}
	rep := parseReport(t, r)
	var got []string
	for _, l := range rep.Licenses {
		got = append(got, l.Name+" "+l.License+" "+l.Source)
		if strings.Contains(l.Name, "github.com/google/uuid") && l.License == "BSD-3-Clause" && l.Source == "mirror" {
			return
		}
	}
	t.Errorf("exit %d: want github.com/google/uuid BSD-3-Clause from the mirror, got %v\n%s%s", r.code, got, r.stdout, r.stderr)
}
