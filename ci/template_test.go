// Package ci holds the tests of the GitLab CI template
// (airlock.gitlab-ci.yml): its structure against the rules GitLab
// documents for .gitlab-ci.yml (CI/CD YAML syntax reference), and each
// job's script run in a shell, as a runner's shell executor would, against
// a fixture repository with the built binary; the reports it writes are
// checked against the schemas this repository vendors and the shared
// official ones where present.
package ci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const templateFile = "airlock.gitlab-ci.yml"

// GitLab's CI/CD YAML syntax reference (doc/ci/yaml/index.md) and the
// JSON schema GitLab's pipeline editor checks with: the keywords of a job,
// of artifacts, of artifacts:reports (deprecated types left out), of
// cache, of a rule, and the names that cannot be jobs.
var (
	jobKeywords = set("after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
		"dast_configuration", "dependencies", "environment", "extends", "hooks", "identity", "id_tokens",
		"image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release",
		"resource_group", "retry", "rules", "run", "script", "secrets", "services", "stage", "start_in", "tags",
		"timeout", "trigger", "variables", "when")
	artifactKeywords = set("paths", "exclude", "expire_in", "expose_as", "name", "access", "reports", "untracked", "when")
	reportTypes      = set("accessibility", "annotations", "browser_performance", "coverage_report", "codequality",
		"container_scanning", "cyclonedx", "dast", "dependency_scanning", "dotenv", "junit", "license_scanning",
		"load_performance", "metrics", "requirements", "repository_xray", "sast", "secret_detection", "terraform")
	cacheKeywords   = set("key", "paths", "policy", "when", "untracked", "unprotect", "fallback_keys")
	ruleKeywords    = set("if", "changes", "exists", "when", "allow_failure", "variables", "needs", "interruptible")
	ruleWhen        = set("on_success", "on_failure", "always", "never", "manual", "delayed")
	artifactWhen    = set("on_success", "on_failure", "always")
	imageKeywords   = set("name", "entrypoint", "docker", "pull_policy", "kubernetes")
	variableFields  = set("value", "description", "options", "expand")
	reservedNames   = set("image", "services", "stages", "types", "before_script", "after_script", "variables", "cache", "include", "true", "false", "nil", "pages:deploy", "default", "workflow", "spec")
	defaultStages   = set(".pre", "build", "test", "deploy", ".post")
	pipelineGlobals = set("stages", "default", "workflow", "include", "image", "services", "cache", "before_script", "after_script")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// template is the parsed file: its global variables in file order and its
// jobs with extends resolved.
type template struct {
	varNames []string
	vars     map[string]map[string]any
	jobs     map[string]map[string]any // visible jobs, extends merged
}

func load(t *testing.T) template {
	t.Helper()
	b, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", templateFile, err)
	}
	var doc map[string]any
	if err := root.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", templateFile, err)
	}
	tpl := template{vars: map[string]map[string]any{}, jobs: map[string]map[string]any{}}
	// Global variables, in file order (later ones may refer to earlier).
	top := root.Content[0]
	for i := 0; i < len(top.Content); i += 2 {
		if top.Content[i].Value != "variables" {
			continue
		}
		vs := top.Content[i+1]
		for j := 0; j < len(vs.Content); j += 2 {
			name := vs.Content[j].Value
			var v any
			if err := vs.Content[j+1].Decode(&v); err != nil {
				t.Fatal(err)
			}
			m, ok := v.(map[string]any)
			if !ok {
				t.Errorf("variables.%s: give it a value and a description (the template's variables are documented)", name)
				continue
			}
			for k := range m {
				if !variableFields[k] {
					t.Errorf("variables.%s.%s: not a variable keyword (value, description, options, expand)", name, k)
				}
			}
			if _, ok := m["value"].(string); !ok {
				t.Errorf("variables.%s.value: a string, got %T", name, m["value"])
			}
			if d, _ := m["description"].(string); d == "" {
				t.Errorf("variables.%s: no description", name)
			}
			tpl.varNames = append(tpl.varNames, name)
			tpl.vars[name] = m
		}
	}
	raw := map[string]map[string]any{}
	for name, v := range doc {
		if name == "variables" {
			continue
		}
		if pipelineGlobals[name] {
			t.Errorf("%s: an included template must not set the pipeline's %s (it would override the including project's)", templateFile, name)
			continue
		}
		if reservedNames[name] || len(name) > 255 || name == "" {
			t.Errorf("%q cannot be a job name", name)
			continue
		}
		job, ok := v.(map[string]any)
		if !ok {
			t.Errorf("job %s: a mapping, got %T", name, v)
			continue
		}
		for k := range job {
			if !jobKeywords[k] {
				t.Errorf("job %s: %q is not a job keyword", name, k)
			}
		}
		raw[name] = job
	}
	for name := range raw {
		if strings.HasPrefix(name, ".") {
			continue
		}
		tpl.jobs[name] = resolve(t, raw, name, nil)
	}
	return tpl
}

// resolve merges a job over what it extends, as GitLab does: hashes merge
// deeply, anything else is replaced.
func resolve(t *testing.T, raw map[string]map[string]any, name string, seen []string) map[string]any {
	t.Helper()
	if slices.Contains(seen, name) {
		t.Fatalf("extends loop: %v", append(seen, name))
	}
	job, ok := raw[name]
	if !ok {
		t.Fatalf("%s extends %s, which the template does not define", seen[len(seen)-1], name)
	}
	var bases []string
	switch e := job["extends"].(type) {
	case nil:
	case string:
		bases = []string{e}
	case []any:
		for _, b := range e {
			bases = append(bases, fmt.Sprint(b))
		}
	default:
		t.Fatalf("job %s: extends is a %T", name, e)
	}
	out := map[string]any{}
	for _, b := range bases {
		out = merge(out, resolve(t, raw, b, append(seen, name)))
	}
	own := maps.Clone(job)
	delete(own, "extends")
	return merge(out, own)
}

func merge(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	for k, v := range b {
		am, aok := out[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			out[k] = merge(am, bm)
		} else {
			out[k] = v
		}
	}
	return out
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, s := range v {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	return nil
}

// TestTemplateStructure checks the jobs against GitLab's rules and
// airlock's: the three report types and the SBOM, each written by the
// job's own 'airlock scan --format'.
func TestTemplateStructure(t *testing.T) {
	tpl := load(t)
	formats := map[string]string{"dependency_scanning": "gitlab", "secret_detection": "gitlab-secrets", "sast": "gitlab-sast", "cyclonedx": "cyclonedx"}
	reported := map[string]bool{}
	for name, job := range tpl.jobs {
		where := "job " + name
		stage, _ := job["stage"].(string)
		if !defaultStages[stage] {
			t.Errorf("%s: stage %q is not one of GitLab's default stages (the template defines none)", where, stage)
		}
		img, ok := job["image"].(map[string]any)
		if !ok {
			t.Errorf("%s: no image mapping", where)
		}
		for k := range img {
			if !imageKeywords[k] {
				t.Errorf("%s: image.%s is not an image keyword", where, k)
			}
		}
		if img["name"] != "$AIRLOCK_IMAGE" || !slices.Equal(strs(img["entrypoint"]), []string{""}) {
			t.Errorf("%s: image must be $AIRLOCK_IMAGE with the entrypoint cleared (the image's is airlock itself): %v", where, img)
		}
		script := strs(job["script"])
		if len(script) == 0 {
			t.Errorf("%s: no script", where)
		}
		rules, _ := job["rules"].([]any)
		if len(rules) == 0 {
			t.Errorf("%s: no rules (AIRLOCK_SCANNERS and AIRLOCK_DISABLED choose the jobs)", where)
		}
		for i, r := range rules {
			rm, _ := r.(map[string]any)
			for k := range rm {
				if !ruleKeywords[k] {
					t.Errorf("%s: rules[%d].%s is not a rule keyword", where, i, k)
				}
			}
			if w, ok := rm["when"].(string); ok && !ruleWhen[w] {
				t.Errorf("%s: rules[%d].when %q", where, i, w)
			}
		}
		if c, ok := job["cache"].(map[string]any); ok {
			for k := range c {
				if !cacheKeywords[k] {
					t.Errorf("%s: cache.%s is not a cache keyword", where, k)
				}
			}
		}
		art, _ := job["artifacts"].(map[string]any)
		for k := range art {
			if !artifactKeywords[k] {
				t.Errorf("%s: artifacts.%s is not an artifacts keyword", where, k)
			}
		}
		if art["when"] != "always" {
			t.Errorf("%s: artifacts.when is %v; reports must be uploaded also when the job fails on --fail-on", where, art["when"])
		}
		reports, _ := art["reports"].(map[string]any)
		if len(reports) == 0 {
			t.Errorf("%s: no artifacts:reports", where)
		}
		for typ, file := range reports {
			if !reportTypes[typ] {
				t.Errorf("%s: artifacts:reports:%s is not a GitLab report type", where, typ)
				continue
			}
			f, ok := file.(string)
			format := formats[typ]
			if !ok || format == "" {
				t.Errorf("%s: artifacts:reports:%s = %v", where, typ, file)
				continue
			}
			writes := regexp.MustCompile(`airlock scan .*--format ` + regexp.QuoteMeta(format) + ` .*--output ` + regexp.QuoteMeta(f) + ` `)
			if !slices.ContainsFunc(script, writes.MatchString) {
				t.Errorf("%s: no script line writes %s with --format %s", where, f, format)
			}
			if !slices.Contains(strs(art["paths"]), f) {
				t.Errorf("%s: %s is not in artifacts:paths too (for download from the job page)", where, f)
			}
			reported[typ] = true
		}
	}
	for typ := range formats {
		if !reported[typ] {
			t.Errorf("no job uploads a %s report", typ)
		}
	}
	// Every variable is documented in docs/deploy.md.
	doc, err := os.ReadFile(filepath.Join("..", "docs", "deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range tpl.varNames {
		if !bytes.Contains(doc, []byte("`"+v+"`")) {
			t.Errorf("variable %s is not in docs/deploy.md", v)
		}
	}
}

// ruleExpr is the forms of rules:if the template uses.
var ruleExpr = regexp.MustCompile(`^\$(\w+) (==|=~) (?:"([^"]*)"|/(.*)/)$`)

// included evaluates the job's rules as GitLab does: the first rule whose
// if matches (or that has none) decides; no match leaves the job out.
func included(t *testing.T, job map[string]any, env map[string]string) bool {
	t.Helper()
	rules, _ := job["rules"].([]any)
	for _, r := range rules {
		rm := r.(map[string]any)
		if cond, ok := rm["if"].(string); ok {
			m := ruleExpr.FindStringSubmatch(cond)
			if m == nil {
				t.Fatalf("rules:if %q: not a form this test evaluates", cond)
			}
			v := env[m[1]]
			var match bool
			if m[2] == "==" {
				match = v == m[3]
			} else {
				match = regexp.MustCompile(m[4]).MatchString(v)
			}
			if !match {
				continue
			}
		}
		return rm["when"] != "never"
	}
	return false
}

// expand replaces $VAR and ${VAR} as GitLab expands variables' values.
func expand(s string, env map[string]string) string {
	return os.Expand(s, func(k string) string { return env[k] })
}

// fixture is a repository with a vulnerable Go module (the one the OSV
// sample was cut for), a leaked key and a Terraform misconfiguration.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join("..", "testdata", "repo40", "api", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":         string(gomod),
		"deploy.sh":      "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n",
		"infra/sg.tf":    "resource \"aws_security_group\" \"ssh\" {\n  description = \"ssh\"\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n}\n",
		".gitlab-ci.yml": "include:\n  - local: airlock.gitlab-ci.yml\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "fixture"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func buildAirlock(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "airlock"), "../cmd/airlock").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// jobRun is one job's run: its exit status and output.
type jobRun struct {
	code int
	out  string
}

// runJob runs before_script and script as the shell executor does (one
// shell, stopping at the first failing command) in a fresh copy of the
// fixture, with GitLab's predefined variables, the template's variables
// and then the site's (CI/CD variables win over the file's).
func runJob(t *testing.T, tpl template, name, bin, src string, site map[string]string) (jobRun, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "project")
	if out, err := exec.Command("cp", "-a", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	env := map[string]string{
		"PATH": bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME": t.TempDir(),
		"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": dir, "CI_JOB_NAME": name, "CI_JOB_STAGE": "test",
		"CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main",
		"CI_REGISTRY": "gitlab.corp.example:5050", "CI_SERVER_URL": "https://gitlab.corp.example",
	}
	for _, v := range tpl.varNames {
		if _, ok := site[v]; !ok {
			env[v] = expand(tpl.vars[v]["value"].(string), env)
		}
	}
	for k, v := range site {
		env[k] = v
	}
	job := tpl.jobs[name]
	if !included(t, job, env) {
		return jobRun{code: -1}, dir
	}
	lines := append(strs(job["before_script"]), strs(job["script"])...)
	cmd := exec.Command("sh", "-e", "-c", strings.Join(lines, "\n"))
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return jobRun{code: code, out: string(out)}, dir
}

func readJSON(t *testing.T, path string) (map[string]any, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the job wrote no report: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return m, b
}

// compile compiles a JSON schema from files, each registered under its
// own $id (or draft-04 id).
func compile(t *testing.T, files ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	var first string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		if id == "" {
			id, _ = m["id"].(string)
		}
		if id == "" {
			id = filepath.Base(f)
		}
		if first == "" {
			first = id
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(first)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, what string, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not match its schema: %v", what, err)
	}
}

// securityReport checks what GitLab's report schemas 15.0.x require of
// every security report (no copy of the dependency scanning and secret
// detection schemas is vendored here; internal/report's tests check the
// formats against them when given).
func securityReport(t *testing.T, what string, m map[string]any, scanType string) []map[string]any {
	t.Helper()
	if m["version"] != "15.0.7" {
		t.Errorf("%s: version %v, want 15.0.7", what, m["version"])
	}
	sc, _ := m["scan"].(map[string]any)
	if sc["type"] != scanType || sc["status"] != "success" {
		t.Errorf("%s: scan type %v status %v", what, sc["type"], sc["status"])
	}
	var vulns []map[string]any
	for _, v := range m["vulnerabilities"].([]any) {
		vm := v.(map[string]any)
		for _, k := range []string{"id", "identifiers", "location"} {
			if vm[k] == nil {
				t.Errorf("%s: a vulnerability lacks %s: %v", what, k, vm)
			}
		}
		vulns = append(vulns, vm)
	}
	return vulns
}

func identifiers(vulns []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, v := range vulns {
		for _, id := range v["identifiers"].([]any) {
			out[fmt.Sprint(id.(map[string]any)["value"])] = true
		}
	}
	return out
}

// TestTemplateJobs runs every job against the fixture with the site's
// carried-in data (the OSV sample as AIRLOCK_DATA_FILES) and checks the
// reports; then the job selection, --fail-on and a missing data set.
func TestTemplateJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the airlock binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tpl := load(t)
	bin := buildAirlock(t)
	src := fixture(t)
	osv, err := filepath.Abs(filepath.Join("..", "testdata", "osv-sample"))
	if err != nil {
		t.Fatal(err)
	}
	site := map[string]string{"AIRLOCK_DATA_FILES": filepath.Join(osv, "Go", "all.zip") + " " + filepath.Join(osv, "ghsa", "Go", "all.zip")}
	if len(tpl.jobs) != 3 {
		t.Fatalf("%d jobs, want dependency scanning, secret detection and IaC", len(tpl.jobs))
	}

	t.Run("dependency_scanning", func(t *testing.T) {
		r, dir := runJob(t, tpl, "airlock-dependency-scanning", bin, src, site)
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.out)
		}
		m, _ := readJSON(t, filepath.Join(dir, "gl-dependency-scanning-report.json"))
		ids := identifiers(securityReport(t, "dependency scanning report", m, "dependency_scanning"))
		if !ids["GO-2021-0052"] || !ids["CVE-2020-28483"] {
			t.Errorf("the report lacks gin's GO-2021-0052 (CVE-2020-28483): %d identifiers", len(ids))
		}
		if files, _ := m["dependency_files"].([]any); len(files) != 1 {
			t.Errorf("dependency_files: %v, want go.mod", m["dependency_files"])
		}
		cdx, b := readJSON(t, filepath.Join(dir, "gl-sbom-airlock.cdx.json"))
		if cdx["bomFormat"] != "CycloneDX" || cdx["specVersion"] != "1.6" {
			t.Errorf("SBOM: bomFormat %v specVersion %v", cdx["bomFormat"], cdx["specVersion"])
		}
		if vs, _ := cdx["vulnerabilities"].([]any); len(vs) == 0 {
			t.Error("the SBOM has no vulnerabilities")
		}
		schemas := filepath.Join("..", "..", "shared", "data", "schemas")
		if _, err := os.Stat(filepath.Join(schemas, "bom-1.6.schema.json")); err == nil {
			validate(t, compile(t, filepath.Join(schemas, "bom-1.6.schema.json"), filepath.Join(schemas, "spdx.schema.json"), filepath.Join(schemas, "jsf-0.82.schema.json")), "the SBOM", b)
		} else {
			t.Logf("CycloneDX schema not found in %s: the SBOM is not validated against it", schemas)
		}
		// The cache path holds the database the job imported into.
		if _, err := os.Stat(filepath.Join(dir, ".airlock", "vulndb.sqlite")); err != nil {
			t.Errorf("the database is not under the cached .airlock/: %v", err)
		}
	})

	t.Run("secret_detection", func(t *testing.T) {
		r, dir := runJob(t, tpl, "airlock-secret-detection", bin, src, site)
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.out)
		}
		m, b := readJSON(t, filepath.Join(dir, "gl-secret-detection-report.json"))
		if ids := identifiers(securityReport(t, "secret detection report", m, "secret_detection")); !ids["aws-access-key-id"] {
			t.Errorf("the report lacks the AWS key: %v", ids)
		}
		if bytes.Contains(b, []byte("AKIAXIJN2JZPW6W5AJX7")) {
			t.Error("the report contains the secret itself")
		}
	})

	t.Run("sast", func(t *testing.T) {
		r, dir := runJob(t, tpl, "airlock-iac-sast", bin, src, site)
		if r.code != 0 {
			t.Fatalf("exit %d:\n%s", r.code, r.out)
		}
		m, b := readJSON(t, filepath.Join(dir, "gl-sast-report.json"))
		validate(t, compile(t, filepath.Join("..", "internal", "report", "testdata", "sast-report-format-15.0.7.json")), "the SAST report", b)
		if ids := identifiers(securityReport(t, "SAST report", m, "sast")); !ids["AWS010"] {
			t.Errorf("the report lacks AWS010 (SSH open to the internet): %v", ids)
		}
	})

	t.Run("selection", func(t *testing.T) {
		env := map[string]string{"AIRLOCK_SCANNERS": "secret", "AIRLOCK_DISABLED": "false"}
		for name, want := range map[string]bool{"airlock-dependency-scanning": false, "airlock-secret-detection": true, "airlock-iac-sast": false} {
			if got := included(t, tpl.jobs[name], env); got != want {
				t.Errorf("AIRLOCK_SCANNERS=secret: %s runs = %v", name, got)
			}
		}
		env = map[string]string{"AIRLOCK_SCANNERS": "vuln secret iac", "AIRLOCK_DISABLED": "true"}
		for name := range tpl.jobs {
			if included(t, tpl.jobs[name], env) {
				t.Errorf("AIRLOCK_DISABLED=true: %s still runs", name)
			}
		}
		r, _ := runJob(t, tpl, "airlock-iac-sast", bin, src, map[string]string{"AIRLOCK_SCANNERS": "vuln,secret"})
		if r.code != -1 {
			t.Errorf("AIRLOCK_SCANNERS=vuln,secret: the IaC job ran")
		}
	})

	t.Run("fail_on", func(t *testing.T) {
		s := maps.Clone(site)
		s["AIRLOCK_FAIL_ON"] = "high"
		r, dir := runJob(t, tpl, "airlock-dependency-scanning", bin, src, s)
		if r.code != 3 {
			t.Errorf("AIRLOCK_FAIL_ON=high with high findings: exit %d, want 3\n%s", r.code, r.out)
		}
		if _, err := os.Stat(filepath.Join(dir, "gl-dependency-scanning-report.json")); err != nil {
			t.Errorf("no report after a --fail-on failure: %v", err)
		}
	})

	// airlock's own scan of the template: no secret (a token pasted into
	// a variable's default) and no IaC finding.
	t.Run("scanned_by_airlock", func(t *testing.T) {
		dir := t.TempDir()
		b, err := os.ReadFile(templateFile)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, templateFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(bin, "airlock"), "scan", "--scanners", "secret,iac", "--fail-on", "any", dir)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "secret detection read 1 files") {
			t.Errorf("airlock scan of the template: %v\n%s", err, out)
		}
	})

	t.Run("no_data", func(t *testing.T) {
		r, _ := runJob(t, tpl, "airlock-dependency-scanning", bin, src, map[string]string{})
		if r.code == 0 || !strings.Contains(r.out, "airlock db import") {
			t.Errorf("without data: exit %d, want a failure that says how to import:\n%s", r.code, r.out)
		}
	})
}
