package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// iacFixture is a result with misconfigurations: one in a module, one
// with an end line, one ignored, and a vulnerability that the SAST report
// leaves out.
func iacFixture() *scan.Result {
	r := emptyResult()
	r.Findings = []finding.Finding{
		{Kind: finding.KindIaC, ID: "AWS010", Severity: finding.Critical, Title: "Security group opens an admin port to the internet",
			Description: "module.net.aws_security_group.ssh: port 22 is open to 0.0.0.0/0.\n\nAn ingress rule allows SSH (22) or RDP (3389) from 0.0.0.0/0 or ::/0.",
			Location:    finding.Location{Path: "modules/net/main.tf", StartLine: 18},
			References:  []string{"https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/security_group"},
			IaC: &finding.IaC{Input: "terraform", Resource: "module.net.aws_security_group.ssh", Attribute: "ingress.cidr_blocks", Expected: "no admin port open to the internet", Actual: "0.0.0.0/0",
				Remediation: "Allow the admin ports only from known networks.", Benchmarks: []string{"CIS AWS 5.2", "CIS AWS 5.3"}},
			Fingerprint: "aaaa0000aaaa0000aaaa0000aaaa0000"},
		{Kind: finding.KindIaC, ID: "DF009", Severity: finding.Low, Title: "No HEALTHCHECK",
			Description: "The final stage has no HEALTHCHECK.\n\nThe image does not say how to check that its service is healthy.",
			Location:    finding.Location{Path: "Dockerfile", StartLine: 4, EndLine: 6},
			IaC:         &finding.IaC{Input: "dockerfile", Resource: "stage 1", Attribute: "HEALTHCHECK", Expected: "HEALTHCHECK CMD ..."},
			Fingerprint: "bbbb0000bbbb0000bbbb0000bbbb0000"},
		{Kind: finding.KindIaC, ID: "DF010", Severity: finding.Medium, Title: "Base image uses the latest tag",
			Location: finding.Location{Path: "Dockerfile", StartLine: 4}, IaC: &finding.IaC{Input: "dockerfile"},
			Ignored:     &finding.Ignore{Reason: "pinned by the build", Source: "Dockerfile:3"},
			Fingerprint: "cccc0000cccc0000cccc0000cccc0000"},
		{Kind: finding.KindVulnerability, ID: "GO-2024-0001", Severity: finding.High, Title: "a vulnerability",
			Location: finding.Location{Path: "go.mod", StartLine: 3}, Fingerprint: "dddd0000dddd0000dddd0000dddd0000"},
	}
	return r
}

// sastSchema compiles the vendored SAST report schema 15.0.7.
func sastSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", "sast-report-format-15.0.7.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	doc, err := jsonschema.UnmarshalJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sast-report-format.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sast-report-format.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGitLabSAST: the report validates against GitLab's schema 15.0.7,
// holds the unignored misconfigurations only, with the policy as primary
// identifier, the CIS controls beside it, the lines, and a scan of type
// sast; an incomplete scan is a failure.
func TestGitLabSAST(t *testing.T) {
	s := sastSchema(t)
	incomplete := iacFixture()
	incomplete.Notices = []scan.Notice{{Level: scan.NoticeError, Path: "main.tf", Line: 2, Message: "not read as Terraform"}}
	for name, r := range map[string]*scan.Result{"iac": iacFixture(), "empty": emptyResult(), "mixed": fixture(), "incomplete": incomplete} {
		t.Run(name, func(t *testing.T) {
			out := render(t, GitLabSAST, r, testOptions)
			validate(t, s, out)
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			vulns := checkGitLabScan(t, doc, "sast")
			if name == "incomplete" && doc["scan"].(map[string]any)["status"] != "failure" {
				t.Error("an incomplete scan is not a failure")
			}
			if name != "iac" && name != "incomplete" {
				if len(vulns) != 0 {
					t.Errorf("%d vulnerabilities, want none", len(vulns))
				}
				return
			}
			if len(vulns) != 2 {
				t.Fatalf("%d vulnerabilities, want the 2 unignored misconfigurations", len(vulns))
			}
			v := vulns[0]
			ids := v["identifiers"].([]any)
			if first := ids[0].(map[string]any); first["type"] != "airlock_iac_policy" || first["value"] != "AWS010" || len(ids) != 3 {
				t.Errorf("identifiers = %v", ids)
			}
			loc := v["location"].(map[string]any)
			if loc["file"] != "modules/net/main.tf" || loc["start_line"] != 18.0 || loc["end_line"] != 18.0 {
				t.Errorf("location = %v", loc)
			}
			for _, want := range []string{"module.net.aws_security_group.ssh", "ingress.cidr_blocks", "0.0.0.0/0", "known networks"} {
				if !strings.Contains(v["description"].(string)+v["solution"].(string), want) {
					t.Errorf("description and solution lack %q: %v", want, v)
				}
			}
			if loc := vulns[1]["location"].(map[string]any); loc["start_line"] != 4.0 || loc["end_line"] != 6.0 {
				t.Errorf("lines = %v", loc)
			}
		})
	}
	golden(t, "gitlab-sast-iac.golden", render(t, GitLabSAST, iacFixture(), testOptions))
}

// TestIaCInEveryFormat: the table, JSON and SARIF show a misconfiguration
// with its resource, attribute and expected value.
func TestIaCInEveryFormat(t *testing.T) {
	for f, wants := range map[Format][]string{
		Table: {"modules/net/main.tf", "AWS010", "module.net.aws_security_group.ssh", "ingress.cidr_blocks: 0.0.0.0/0 (expected no admin port open to the internet)", "2 misconfigurations (1 critical, 1 low) in 2 files."},
		JSON:  {`"resource": "module.net.aws_security_group.ssh"`, `"expected": "no admin port open to the internet"`, `"benchmarks": [`},
		SARIF: {`"resource": "module.net.aws_security_group.ssh"`, `"attribute": "ingress.cidr_blocks"`, `"startLine": 18`, "port 22 is open to 0.0.0.0/0 (AWS010) in module.net.aws_security_group.ssh"},
	} {
		out := string(render(t, f, iacFixture(), testOptions))
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", f, w, out)
			}
		}
	}
	validate(t, compileSchema(t, sarifSchema, "sarif-schema-2.1.0.json"), render(t, SARIF, iacFixture(), testOptions))
}
