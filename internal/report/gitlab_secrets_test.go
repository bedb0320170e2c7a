package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/google/go-cmp/cmp"
)

// TestGitLabSecrets checks the fields schema 15.0.7 requires of a secret
// detection report, and that it holds the unignored secrets only.
func TestGitLabSecrets(t *testing.T) {

	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			out := render(t, GitLabSecrets, r, testOptions)
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			// Schema 15.0.7 requires these three at the top level, and no
			// dependency_files.
			for _, k := range []string{"version", "scan", "vulnerabilities"} {
				if _, ok := doc[k]; !ok {
					t.Errorf("required field %s is missing", k)
				}
			}
			if _, ok := doc["dependency_files"]; ok {
				t.Error("a secret detection report has dependency_files")
			}
			if doc["version"] != "15.0.7" {
				t.Errorf("version = %v, want 15.0.7", doc["version"])
			}
			if s, _ := doc["schema"].(string); !strings.Contains(s, "/v15.0.7/dist/secret-detection-report-format.json") {
				t.Errorf("schema = %q", s)
			}
			vulns := checkGitLabScan(t, doc, "secret_detection")
			for _, v := range vulns {
				ids, _ := v["identifiers"].([]any)
				if len(ids) != 1 {
					t.Errorf("vulnerability %v has %d identifiers, want 1", v["id"], len(ids))
				}
				for _, y := range ids {
					ident, _ := y.(map[string]any)
					if ident["type"] != "gitleaks_rule_id" {
						t.Errorf("identifier type %v, want gitleaks_rule_id", ident["type"])
					}
					for _, k := range []string{"type", "name", "value"} {
						if s, _ := ident[k].(string); s == "" {
							t.Errorf("identifier lacks %s: %v", k, ident)
						}
					}
				}
				loc, _ := v["location"].(map[string]any)
				commit, ok := loc["commit"].(map[string]any)
				if !ok {
					t.Errorf("location without commit: %v", loc)
				}
				if s, _ := commit["sha"].(string); s == "" {
					t.Errorf("commit without sha: %v", commit)
				}
				if f, _ := loc["file"].(string); f == "" {
					t.Errorf("location without file: %v", loc)
				}
				if _, ok := loc["dependency"]; ok {
					t.Errorf("secret location has a dependency: %v", loc)
				}
				if n, _ := v["name"].(string); len(n) > gitlabMaxName {
					t.Errorf("name longer than %d", gitlabMaxName)
				}
			}
			switch name {
			case "fixture":
				if len(vulns) != 2 {
					t.Errorf("%d vulnerabilities, want the 2 secrets", len(vulns))
				}
				for _, id := range []string{"GHSA-67hx-6x53-jw92", "GO-2024-2687"} {
					if bytes.Contains(out, []byte(id)) {
						t.Errorf("vulnerability %s is in the secret detection report", id)
					}
				}
			case "empty":
				if len(vulns) != 0 {
					t.Errorf("vulnerabilities = %v, want []", vulns)
				}
			}
		})
	}
}

// TestGitLabSecretsLocation checks the location and commit of a secret in
// the working tree, one in git history and one known only by its commit.
func TestGitLabSecretsLocation(t *testing.T) {
	r := fixture()
	r.Findings = append(r.Findings, finding.Finding{
		Kind: finding.KindSecret, ID: "private-key", Severity: finding.Critical, Title: "Private key",
		Location:    finding.Location{Path: "certs/old.key", StartLine: 1, EndLine: 27, Commit: "c0ffee0123456789c0ffee0123456789c0ffee01"},
		Evidence:    "-----BEGIN RSA PRIVATE KEY-----MIIE****",
		Fingerprint: "0123456789abcdef0123456789abcdef",
	})
	var rep gitlabReport[gitlabSecretVulnerability]
	if err := json.Unmarshal(render(t, GitLabSecrets, r, testOptions), &rep); err != nil {
		t.Fatal(err)
	}
	want := []gitlabSecretLocation{
		{File: "deploy/config.env", StartLine: 3, EndLine: 3, Commit: gitlabCommit{SHA: "0000000"}},
		{File: "scripts/release.sh", StartLine: 14, EndLine: 14, Commit: gitlabCommit{
			SHA: "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", Author: "Dana Developer", Date: "2024-05-02T14:03:11Z",
		}},
		{File: "certs/old.key", StartLine: 1, EndLine: 27, Commit: gitlabCommit{SHA: "c0ffee0123456789c0ffee0123456789c0ffee01"}},
	}
	var got []gitlabSecretLocation
	for _, v := range rep.Vulnerabilities {
		got = append(got, v.Location)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	v := rep.Vulnerabilities[1]
	if v.RawSourceCodeExtract != r.Findings[1].Evidence {
		t.Errorf("raw_source_code_extract = %q, want the redacted evidence %q", v.RawSourceCodeExtract, r.Findings[1].Evidence)
	}
	for _, want := range []string{"first added in commit 3f2a9c1 on 2024-05-02", "last added in commit 9b1e7d4 on 2024-11-19", "3 commits"} {
		if !strings.Contains(v.Description, want) {
			t.Errorf("description %q lacks %q", v.Description, want)
		}
	}
	if !strings.Contains(v.Solution, "git history") {
		t.Errorf("solution of a history finding does not mention history: %q", v.Solution)
	}
	ident := gitlabIdentifier{Type: "gitleaks_rule_id", Name: "Gitleaks rule ID gitlab-pat", Value: "gitlab-pat"}
	if diff := cmp.Diff([]gitlabIdentifier{ident}, v.Identifiers); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
}

// TestGitLabSecretsIgnored checks that ignored secrets are left out.
func TestGitLabSecretsIgnored(t *testing.T) {
	r := fixture()
	findingByID(t, r, "aws-access-key-id").Ignored = &finding.Ignore{Reason: "a test key"}
	var rep gitlabReport[gitlabSecretVulnerability]
	if err := json.Unmarshal(render(t, GitLabSecrets, r, testOptions), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Vulnerabilities) != 1 || rep.Vulnerabilities[0].Identifiers[0].Value != "gitlab-pat" {
		t.Errorf("vulnerabilities = %+v, want only gitlab-pat", rep.Vulnerabilities)
	}
}

// TestGitLabSecretsStableID checks that a secret keeps its id when its line
// moves, its evidence changes or the scan runs again, and that the id is not
// the one the dependency scanning report would give the same fingerprint.
func TestGitLabSecretsStableID(t *testing.T) {
	ids := func(r *scan.Result) []string {
		var rep gitlabReport[gitlabSecretVulnerability]
		if err := json.Unmarshal(render(t, GitLabSecrets, r, testOptions), &rep); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range rep.Vulnerabilities {
			out = append(out, v.ID)
		}
		return out
	}
	a := ids(fixture())
	r := fixture()
	f := findingByID(t, r, "aws-access-key-id")
	f.Location.StartLine = 12
	f.Evidence = "export AWS_ACCESS_KEY_ID=AKIA****"
	r.StartedAt = r.StartedAt.AddDate(0, 0, 1)
	if diff := cmp.Diff(a, ids(r)); diff != "" {
		t.Errorf("ids changed between scans (-before +after):\n%s", diff)
	}
	if a[0] == a[1] {
		t.Error("two secrets share an id")
	}
	if a[0] != stableUUID("gitlab-secret", fixture().Findings[0].Fingerprint) {
		t.Error("id is not derived from the fingerprint")
	}
	if a[0] == stableUUID("gitlab-vulnerability", fixture().Findings[0].Fingerprint) {
		t.Error("secret ids share the dependency scanning namespace")
	}
}

// TestGitLabSecretsSchemaFile validates the secret detection report against
// a copy of GitLab's schema when AIRLOCK_GITLAB_SECRET_SCHEMA names one
// (schema 15.0.7: lib/gitlab/ci/parsers/security/validators/schemas/15.0.7/
// secret-detection-report-format.json in GitLab's source); like the
// dependency scanning schema, it is not vendored here.
func TestGitLabSecretsSchemaFile(t *testing.T) {
	s := gitlabSchema(t, "AIRLOCK_GITLAB_SECRET_SCHEMA", "a secret-detection-report-format.json")
	withCommitOnly := fixture()
	withCommitOnly.Findings = append(withCommitOnly.Findings, finding.Finding{
		Kind: finding.KindSecret, ID: "private-key", Severity: finding.Critical, Title: "Private key",
		Location:    finding.Location{Path: "certs/old.key", Commit: "c0ffee0123456789c0ffee0123456789c0ffee01"},
		Fingerprint: "0123456789abcdef0123456789abcdef",
	})
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult(), "commit only": withCommitOnly} {
		t.Run(name, func(t *testing.T) {
			validate(t, s, render(t, GitLabSecrets, r, testOptions))
		})
	}
}

// TestNoRawSecrets checks that no format writes any part of a secret beyond
// what its redacted evidence keeps (the first four characters), and that the
// formats that show secrets do show the redacted evidence.
func TestNoRawSecrets(t *testing.T) {
	const window = 5 // one character more than redaction keeps
	shows := map[Format]bool{Table: true, JSON: true, SARIF: true, GitLabSecrets: true, JSONL: true}
	r := fixture()
	var evidence []string
	for _, f := range r.Findings {
		if f.Kind == finding.KindSecret {
			evidence = append(evidence, f.Evidence)
		}
	}
	colour := testOptions
	colour.Color = true
	for _, f := range Formats() {
		for _, o := range []Options{testOptions, colour} {
			out := string(render(t, f, r, o))
			for _, raw := range fixtureRawSecrets {
				for i := 0; i+window <= len(raw); i++ {
					if part := raw[i : i+window]; strings.Contains(out, part) {
						t.Errorf("%s writes %q, part of a raw secret", f, part)
					}
				}
			}
			for _, ev := range evidence {
				// JSON formats escape the evidence's quotes.
				quoted, _ := json.Marshal(ev)
				has := strings.Contains(out, ev) || strings.Contains(out, strings.Trim(string(quoted), `"`))
				if has != shows[f] {
					t.Errorf("%s: evidence %q written: %v, want %v", f, ev, has, shows[f])
				}
			}
		}
	}
}
