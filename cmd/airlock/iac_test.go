package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// iacProject writes a small project with a Dockerfile.
func iacProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const badDockerfile = "FROM ubuntu:latest\nRUN curl -fsSL https://get.example.com | sh\nUSER root\n"

// TestIaCScan: misconfigurations through the binary in the table, JSON
// and SARIF formats, with file, lines, resource, attribute and expected
// value; exit 3 on findings.
func TestIaCScan(t *testing.T) {
	dir := iacProject(t, map[string]string{"svc/Dockerfile": badDockerfile})
	db := filepath.Join(t.TempDir(), "none.db")

	r := airlock(t, db, "scan", "--scanners", "iac", dir)
	if r.code != 3 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"svc/Dockerfile", "LINES", "RESOURCE", "DF002", "stage 0", "USER: root (expected a non-root user)", "misconfigurations (", "in 1 file."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}

	r = airlock(t, db, "scan", "--scanners", "iac", "--format", "json", dir)
	var rep struct {
		Findings []struct {
			ID       string
			Location struct {
				Path      string
				StartLine int `json:"start_line"`
			}
			IaC struct{ Input, Resource, Attribute, Expected, Actual string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", r.code, err, r.stdout)
	}
	found := false
	for _, f := range rep.Findings {
		if f.ID == "DF012" {
			found = true
			if f.Location.Path != "svc/Dockerfile" || f.Location.StartLine != 2 || f.IaC.Input != "dockerfile" || f.IaC.Attribute != "RUN" || f.IaC.Expected == "" {
				t.Errorf("DF012: %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("no DF012 in %s", r.stdout)
	}

	r = airlock(t, db, "scan", "--scanners", "iac", "--format", "sarif", dir)
	for _, want := range []string{`"ruleId": "DF010"`, `"resource": "stage 0"`, `"startLine": 1`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
}

// TestIaCPoliciesFlags: --iac-policies adds the user's Rego, with
// --iac-policies-only alone; bad policies and misuse are errors.
func TestIaCPoliciesFlags(t *testing.T) {
	dir := iacProject(t, map[string]string{"Dockerfile": badDockerfile})
	pol := iacProject(t, map[string]string{"acme/user.rego": `# METADATA
# title: Root user named
# custom:
#   id: ACME-1
#   severity: critical
package airlock.dockerfile.acme1

import data.lib.dockerfile

deny contains {"msg": "root named", "path": dockerfile.path({"stage": i, "index": j})} if {
	some i, j
	input.stages[i].commands[j].cmd == "user"
}
`})
	db := filepath.Join(t.TempDir(), "none.db")
	r := airlock(t, db, "scan", "--scanners", "iac", "--iac-policies", pol, "--iac-policies-only", "--format", "json", dir)
	if r.code != 3 || !strings.Contains(r.stdout, `"id": "ACME-1"`) || strings.Contains(r.stdout, `"id": "DF`) {
		t.Errorf("only the user's policies: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = airlock(t, db, "scan", "--scanners", "iac", "--iac-policies", pol, "--format", "json", dir)
	if !strings.Contains(r.stdout, `"id": "ACME-1"`) || !strings.Contains(r.stdout, `"id": "DF002"`) {
		t.Errorf("both: %s", r.stdout)
	}
	broken := iacProject(t, map[string]string{"x.rego": "package airlock.dockerfile.x\n\ndeny contains 1 if {\n"})
	r = airlock(t, db, "scan", "--scanners", "iac", "--iac-policies", broken, dir)
	if r.code != 1 || !strings.Contains(r.stderr, "x.rego:") {
		t.Errorf("broken policy: exit %d\n%s", r.code, r.stderr)
	}
	r = airlock(t, db, "scan", "--iac-policies-only", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "--iac-policies-only needs --iac-policies") {
		t.Errorf("misuse: exit %d\n%s", r.code, r.stderr)
	}
}

// TestIaCTerraformProject: a Terraform root with tfvars, auto.tfvars and
// a local module, through the binary: a finding inside the module points
// at the module's file and line with the module's address, and the
// remote module is named in a notice.
func TestIaCTerraformProject(t *testing.T) {
	dir := filepath.Join("..", "..", "internal", "iac", "terraform", "testdata", "project")
	r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "iac", "--format", "json", dir)
	var rep struct {
		Findings []struct {
			ID       string
			Location struct {
				Path      string
				StartLine int `json:"start_line"`
			}
			IaC struct{ Resource, Attribute, Actual string }
		}
		Notices []struct{ Level, Path, Message string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s", r.code, err, r.stderr)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.ID+" "+f.Location.Path+":"+itoa(f.Location.StartLine)+" "+f.IaC.Resource+" "+f.IaC.Attribute+"="+f.IaC.Actual] = true
	}
	for _, want := range []string{
		"AWS001 main.tf:15 aws_s3_bucket.data acl=public-read",
		"AWS004 main.tf:21 aws_s3_bucket_versioning.data versioning_configuration.status=Suspended",
		"AWS010 modules/net/main.tf:18 module.net.aws_security_group.ssh ingress.cidr_blocks=0.0.0.0/0",
		"AWS003 main.tf:13 aws_s3_bucket.data aws_s3_bucket_public_access_block=",
	} {
		if !got[want] {
			t.Errorf("no finding %q in %v", want, got)
		}
	}
	remote := false
	for _, n := range rep.Notices {
		remote = remote || n.Level == "info" && strings.Contains(n.Message, "terraform-aws-modules/vpc/aws")
	}
	if !remote || r.code != 3 {
		t.Errorf("exit %d, remote module notice %v: %+v", r.code, remote, rep.Notices)
	}
}

// TestIaCSuppression: .airlock.yaml ignores by id and path glob with a
// reason; a secret takes the inline airlock:ignore marker too.
func TestIaCSuppression(t *testing.T) {
	dir := iacProject(t, map[string]string{
		"svc/Dockerfile":   badDockerfile,
		"other/Dockerfile": badDockerfile,
		".airlock.yaml":    "version: 1\nignore:\n  - id: DF012\n    path: \"svc/**\"\n    reason: the installer is verified by the base image\n",
		"settings.py":      "# airlock:ignore aws-access-key-id rotated, kept as a fixture\nAWS_ACCESS_KEY_ID = '" + fakeAWSKeyID + "'\n",
	})
	rep, _ := scanJSON(t, "--scanners", "iac,secret", dir)
	ignored := map[string]string{}
	for _, f := range rep.Findings {
		if f.Ignored != nil {
			ignored[f.ID+" "+f.Location.Path] = f.Ignored.Reason
		}
	}
	want := map[string]string{
		"DF012 svc/Dockerfile":          "the installer is verified by the base image",
		"aws-access-key-id settings.py": "rotated, kept as a fixture",
	}
	for k, v := range want {
		if ignored[k] != v {
			t.Errorf("%s: ignored %q, want %q (all: %v)", k, ignored[k], v, ignored)
		}
	}
	if _, ok := ignored["DF012 other/Dockerfile"]; ok {
		t.Error("the path glob ignored other/Dockerfile")
	}
}
