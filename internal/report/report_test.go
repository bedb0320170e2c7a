package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestGolden(t *testing.T) {
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			golden(t, string(f)+".golden", render(t, f, fixture(), testOptions))
		})
	}
	t.Run("table-color", func(t *testing.T) {
		o := testOptions
		o.Color = true
		golden(t, "table-color.golden", render(t, Table, fixture(), o))
	})
}

func TestDeterministic(t *testing.T) {
	for _, f := range Formats() {
		a := render(t, f, fixture(), testOptions)
		b := render(t, f, fixture(), testOptions)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two writes of the same result differ", f)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "html", fixture(), testOptions)
	if err == nil {
		t.Fatal("Write(html) succeeded, want an error")
	}
	for _, f := range Formats() {
		if !strings.Contains(err.Error(), string(f)) {
			t.Errorf("error %q does not list format %q", err, f)
		}
	}
	if err := Write(&bytes.Buffer{}, JSON, nil, testOptions); err == nil {
		t.Error("Write(nil result) succeeded, want an error")
	}
}

func TestTable(t *testing.T) {
	plain := string(render(t, Table, fixture(), testOptions))
	colored := string(render(t, Table, fixture(), Options{Color: true}))

	if strings.Contains(plain, "\x1b[") {
		t.Error("table without colour contains escape sequences")
	}
	for _, want := range []string{
		ansiBoldRed + "CRITICAL" + ansiReset,
		ansiBoldRed + "HIGH" + ansiReset,
		ansiYellow + "MEDIUM" + ansiReset,
		ansiDim + "UNKNOWN" + ansiReset,
	} {
		if !strings.Contains(colored, want) {
			t.Errorf("coloured table lacks %q", want)
		}
	}
	if stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(colored, ""); stripped != plain {
		t.Errorf("coloured table differs from the plain one beyond colours:\n%s", cmp.Diff(plain, stripped))
	}

	for i, line := range strings.Split(plain, "\n") {
		if strings.TrimRight(line, " \t") != line {
			t.Errorf("line %d ends in white space: %q", i+1, line)
		}
	}
	for _, want := range []string{
		"GHSA-67hx-6x53-jw92 (CVE-2023-45133)",
		"@babel/traverse@7.22.5",
		"no fix",
		"5 vulnerabilities (1 critical, 1 high, 2 medium, 1 unknown) in 5 packages across 4 manifests; 12 packages scanned in 4 manifests.",
		"\n2 secrets in 2 files (1 from git history).\n",
		"deploy/config.env\n  SEVERITY  RULE               LOCATION                         TITLE\n",
		"  CRITICAL  aws-access-key-id  deploy/config.env:3              AWS access key ID\n" +
			"            AWS_ACCESS_KEY_ID=AKIA****\n",
		"  CRITICAL  gitlab-pat         scripts/release.sh:14 @ 3f2a9c1  GitLab personal",
		"            git push \"https://oauth2:glpa****@gitlab.example.com/shop/shop.git\" HEAD:main\n",
		"1 ignored finding not listed.",
		"warning: vulnerability data for PyPI",
		"error: services/api/poetry.lock: line 12",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	if strings.Contains(plain, "GHSA-35jh-r3h4-6jhm") {
		t.Error("table lists an ignored finding")
	}
	// Secrets are not "other findings"; the one risk finding is.
	if !strings.Contains(plain, "\n1 other finding (1 risk).\n") {
		t.Error("secrets are counted as other findings, or the risk finding is not")
	}
	// The secrets follow the vulnerabilities, which keep their layout.
	if i, j := strings.Index(plain, "services/web/package-lock.json\n"), strings.Index(plain, "deploy/config.env\n"); i < 0 || j < i {
		t.Error("the secrets do not follow the vulnerabilities")
	}
}

// TestTableSecretEscapes checks that text from a scanned file cannot drive
// the terminal: control and bidirectional characters in a secret's evidence
// and path are shown escaped.
func TestTableSecretEscapes(t *testing.T) {
	r := emptyResult()
	r.Findings = []finding.Finding{{
		Kind: finding.KindSecret, ID: "generic-password", Severity: finding.High, Title: "Password",
		Location:    finding.Location{Path: "a\x1b[2Jb.env", StartLine: 1},
		Evidence:    "PASSWORD=\x1b]0;pwned\x07hunt**** \u202egnp.exe",
		Fingerprint: "f",
	}}
	for _, o := range []Options{testOptions, {Color: true}} {
		out := string(render(t, Table, r, o))
		if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x1b]") || strings.ContainsRune(out, '\u202e') || strings.ContainsRune(out, '\a') {
			t.Errorf("table passes control characters through:\n%q", out)
		}
		for _, want := range []string{`a\x1b[2Jb.env:1`, `PASSWORD=\x1b]0;pwned\x07hunt**** \u202egnp.exe`} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %s:\n%s", want, out)
			}
		}
	}
}

// TestTableSecretsOnly checks the summary of a scan that found secrets and
// no manifests.
func TestTableSecretsOnly(t *testing.T) {
	r := emptyResult()
	for _, f := range fixture().Findings {
		if f.Kind == finding.KindSecret {
			r.Findings = append(r.Findings, f)
		}
	}
	r.Findings[0].Ignored = &finding.Ignore{Reason: "test key"}
	got := string(render(t, Table, r, testOptions))
	want := "scripts/release.sh\n" +
		"  SEVERITY  RULE        LOCATION                         TITLE\n" +
		"  CRITICAL  gitlab-pat  scripts/release.sh:14 @ 3f2a9c1  GitLab personal, project, group or impersonation access token\n" +
		"            git push \"https://oauth2:glpa****@gitlab.example.com/shop/shop.git\" HEAD:main\n" +
		"\n" +
		"No dependency manifests or lockfiles were scanned.\n" +
		"1 secret in 1 file (1 from git history).\n" +
		"1 ignored finding not listed.\n"
	if got != want {
		t.Errorf("table:\n%s", cmp.Diff(want, got))
	}
}

func TestTableClean(t *testing.T) {
	r := fixture()
	r.Findings = nil
	r.Notices = nil
	got := string(render(t, Table, r, testOptions))
	if want := "No known vulnerabilities found in 12 packages.\n"; got != want {
		t.Errorf("clean table = %q, want %q", got, want)
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"cut this title at a word boundary please", 20, "cut this title at a…"},
		{"averyveryverylongwordwithoutspaces", 10, "averyvery…"},
	} {
		if got := truncate(tc.in, tc.max); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if n := len([]rune(truncate(tc.in, tc.max))); n > tc.max {
			t.Errorf("truncate(%q, %d) has %d runes", tc.in, tc.max, n)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			out := render(t, JSON, r, testOptions)
			var got scan.Result
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*r, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
			var head struct {
				SchemaVersion string            `json:"schema_version"`
				Tool          map[string]string `json:"tool"`
				Manifests     []any             `json:"manifests"`
				Findings      []any             `json:"findings"`
				Database      []any             `json:"database"`
			}
			if err := json.Unmarshal(out, &head); err != nil {
				t.Fatal(err)
			}
			if head.SchemaVersion != JSONSchemaVersion || head.Tool["name"] != "airlock" || head.Tool["version"] != "1.2.3" {
				t.Errorf("header = %q %v", head.SchemaVersion, head.Tool)
			}
			if head.Manifests == nil || head.Findings == nil || head.Database == nil {
				t.Errorf("lists written as null:\n%s", out)
			}
			if name == "fixture" && !bytes.Contains(out, []byte(`"history": {`)) {
				t.Error("the history of a secret found in git history is not written")
			}
		})
	}
}

// schemaDir is where the shared official schemas are, relative to this
// package: /work/shared/data/schemas from /work/main/internal/report.
var schemaDir = filepath.Join("..", "..", "..", "shared", "data", "schemas")

// compileSchema compiles the schema with the given id from files in
// schemaDir, registering each file under its own id so relative references
// between them resolve.
func compileSchema(t *testing.T, id string, files ...string) *jsonschema.Schema {
	t.Helper()
	if _, err := os.Stat(schemaDir); err != nil {
		t.Skipf("official schemas not found at %s (the shared data directory is absent): %v", schemaDir, err)
	}
	c := jsonschema.NewCompiler()
	for _, name := range files {
		fh, err := os.Open(filepath.Join(schemaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, _ := doc.(map[string]any)
		url, _ := m["$id"].(string)
		if url == "" {
			url, _ = m["id"].(string) // draft-04
		}
		if url == "" {
			t.Fatalf("%s has no id", name)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile %s: %v", id, err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("document does not match the schema: %v", err)
	}
}

func TestSARIFSchema(t *testing.T) {
	s := compileSchema(t, sarifSchema, "sarif-schema-2.1.0.json")
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			validate(t, s, render(t, SARIF, r, testOptions))
		})
	}
	t.Run("no version", func(t *testing.T) {
		validate(t, s, render(t, SARIF, fixture(), Options{}))
	})
}

func TestSARIF(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, SARIF, fixture(), testOptions), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if got, want := len(run.Tool.Driver.Rules), 9; got != want {
		t.Errorf("%d rules, want %d", got, want)
	}
	for _, res := range run.Results {
		if rule := run.Tool.Driver.Rules[res.RuleIndex]; rule.ID != res.RuleID {
			t.Errorf("result %s points at rule %s", res.RuleID, rule.ID)
		}
		if res.PartialFingerprints[sarifFingerprintKey] == "" {
			t.Errorf("result %s has no fingerprint", res.RuleID)
		}
		switch res.RuleID {
		case "GHSA-35jh-r3h4-6jhm":
			want := []sarifSuppression{{Kind: "external", Justification: "template() is never called with user input"}}
			if diff := cmp.Diff(want, res.Suppressions); diff != "" {
				t.Errorf("suppressions (-want +got):\n%s", diff)
			}
		case "GHSA-67hx-6x53-jw92":
			if res.Level != "error" || res.Locations[0].PhysicalLocation.Region != nil {
				t.Errorf("critical lockfile finding: level %s, region %v", res.Level, res.Locations[0].PhysicalLocation.Region)
			}
		case "GO-2024-2687":
			if res.Level != "warning" || res.Locations[0].PhysicalLocation.Region.StartLine != 5 {
				t.Errorf("go.mod finding: level %s, region %v", res.Level, res.Locations[0].PhysicalLocation.Region)
			}
			if want := "golang.org/x/net v0.17.0 is affected by GO-2024-2687 (CVE-2023-45288): HTTP/2 CONTINUATION flood in net/http. Upgrade to version 0.23.0."; res.Message.Text != want {
				t.Errorf("message = %q, want %q", res.Message.Text, want)
			}
		case "GO-2022-0646":
			if res.Level != "note" {
				t.Errorf("unknown severity: level %s, want note", res.Level)
			}
		case "aws-access-key-id":
			if want := "AWS access key ID (aws-access-key-id): AWS_ACCESS_KEY_ID=AKIA****"; res.Message.Text != want {
				t.Errorf("message = %q, want %q", res.Message.Text, want)
			}
			if reg := res.Locations[0].PhysicalLocation.Region; res.Level != "error" || reg == nil || reg.StartLine != 3 {
				t.Errorf("working-tree secret: level %s, region %v", res.Level, reg)
			}
			if res.Properties != nil {
				t.Errorf("working-tree secret has properties %+v", res.Properties)
			}
		case "gitlab-pat":
			if want := `GitLab personal, project, group or impersonation access token (gitlab-pat) in git history since commit 3f2a9c1 on 2024-05-02: git push "https://oauth2:glpa****@gitlab.example.com/shop/shop.git" HEAD:main`; res.Message.Text != want {
				t.Errorf("message = %q, want %q", res.Message.Text, want)
			}
			want := &sarifResultProps{
				FirstCommit: &sarifCommit{SHA: "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", Date: "2024-05-02T14:03:11Z"},
				LastCommit:  &sarifCommit{SHA: "9b1e7d40c2a6f8e3b5d7c9a1e3f5b7d9c1a3e5f7", Date: "2024-11-19T08:45:00Z"},
				Commits:     3,
			}
			if diff := cmp.Diff(want, res.Properties); diff != "" {
				t.Errorf("history properties (-want +got):\n%s", diff)
			}
		}
	}
	for _, rule := range run.Tool.Driver.Rules {
		want := map[string]string{"GHSA-67hx-6x53-jw92": "9.6", "PYSEC-2023-100": "7.5", "GO-2024-2687": ""}
		if w, ok := want[rule.ID]; ok && rule.Properties.SecuritySeverity != w {
			t.Errorf("rule %s: security-severity %q, want %q", rule.ID, rule.Properties.SecuritySeverity, w)
		}
	}
}

// TestSARIFSecretRegion checks that a secret spanning lines (a private key)
// gets a region with both lines, and its rule the secret tags.
func TestSARIFSecretRegion(t *testing.T) {
	r := emptyResult()
	r.Findings = []finding.Finding{{
		Kind: finding.KindSecret, ID: "private-key", Severity: finding.Critical, Title: "Private key",
		Location:    finding.Location{Path: "certs/server.key", StartLine: 1, EndLine: 27},
		Evidence:    "-----BEGIN RSA PRIVATE KEY-----MIIE****",
		Fingerprint: "0123456789abcdef0123456789abcdef",
	}}
	var log sarifLog
	if err := json.Unmarshal(render(t, SARIF, r, testOptions), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	res := run.Results[0]
	if diff := cmp.Diff(&sarifRegion{StartLine: 1, EndLine: 27}, res.Locations[0].PhysicalLocation.Region); diff != "" {
		t.Errorf("region (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{sarifFingerprintKey: "0123456789abcdef0123456789abcdef"}, res.PartialFingerprints); diff != "" {
		t.Errorf("partialFingerprints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"security", "secret"}, run.Tool.Driver.Rules[0].Properties.Tags); diff != "" {
		t.Errorf("rule tags (-want +got):\n%s", diff)
	}
}

func TestCycloneDXSchema(t *testing.T) {
	s := compileSchema(t, cdxSchema, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": emptyResult()} {
		t.Run(name, func(t *testing.T) {
			validate(t, s, render(t, CycloneDX, r, testOptions))
		})
	}
}

func TestCycloneDX(t *testing.T) {
	out := render(t, CycloneDX, fixture(), testOptions)
	var bom cdxBOM
	if err := json.Unmarshal(out, &bom); err != nil {
		t.Fatal(err)
	}
	// Secrets are not vulnerabilities of a component.
	for _, id := range []string{"aws-access-key-id", "gitlab-pat", "deploy/config.env", "scripts/release.sh"} {
		if bytes.Contains(out, []byte(id)) {
			t.Errorf("the SBOM names secret finding data %q", id)
		}
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serial number %q is not a version 5 UUID URN", bom.SerialNumber)
	}
	other := fixture()
	other.FinishedAt = other.FinishedAt.Add(1)
	var bom2 cdxBOM
	if err := json.Unmarshal(render(t, CycloneDX, other, testOptions), &bom2); err != nil {
		t.Fatal(err)
	}
	if bom.SerialNumber == bom2.SerialNumber {
		t.Error("serial number does not change with the finish time")
	}

	refs := map[string]bool{}
	for _, c := range bom.Components {
		if refs[c.BOMRef] {
			t.Errorf("duplicate bom-ref %s", c.BOMRef)
		}
		refs[c.BOMRef] = true
	}
	if len(bom.Components) != 12 {
		t.Errorf("%d components, want 12", len(bom.Components))
	}
	// Informational advisories are in the SBOM as they are in every other
	// format, with their rating and marked as risk.
	var risk *cdxVulnerability
	for i := range bom.Vulnerabilities {
		if bom.Vulnerabilities[i].ID == "RUSTSEC-2024-0384" {
			risk = &bom.Vulnerabilities[i]
		}
	}
	if risk == nil {
		t.Fatal("the risk finding RUSTSEC-2024-0384 is not in the SBOM")
	}
	wantRisk := cdxVulnerability{
		BOMRef: "RUSTSEC-2024-0384", ID: "RUSTSEC-2024-0384",
		Source:      &cdxSource{Name: "RustSec Advisory Database", URL: "https://rustsec.org/advisories/RUSTSEC-2024-0384.html"},
		Ratings:     []cdxRating{{Severity: "info", Method: "other"}},
		Description: "unmaintained: `instant` is unmaintained",
		Advisories:  []cdxAdvisory{{URL: "https://rustsec.org/advisories/RUSTSEC-2024-0384.html"}},
		Published:   "2024-09-01T00:00:00Z",
		Affects:     []cdxAffect{{Ref: "pkg:cargo/instant@0.1.13"}},
		Properties:  []cdxProperty{{Name: cdxKindProperty, Value: "risk"}},
	}
	if diff := cmp.Diff(wantRisk, *risk); diff != "" {
		t.Errorf("risk vulnerability (-want +got):\n%s", diff)
	}
	for _, v := range bom.Vulnerabilities {
		for _, a := range v.Affects {
			if !refs[a.Ref] {
				t.Errorf("%s affects %s, which is not a component", v.ID, a.Ref)
			}
		}
	}
	byRef := map[string]cdxComponent{}
	for _, c := range bom.Components {
		byRef[c.BOMRef] = c
	}
	babel := findingByID(t, fixture(), "GHSA-67hx-6x53-jw92").Package.PURL()
	if c := byRef[babel]; c.Group != "@babel" || c.Name != "traverse" {
		t.Errorf("npm scoped component: group %q name %q", c.Group, c.Name)
	}
	if c := byRef["pkg:golang/golang.org/x/net@v0.17.0"]; c.Group != "" || c.Name != "golang.org/x/net" {
		t.Errorf("Go component: group %q name %q", c.Group, c.Name)
	}
}

func TestTableEmpty(t *testing.T) {
	got := string(render(t, Table, emptyResult(), testOptions))
	if want := "No dependency manifests or lockfiles were scanned.\n"; got != want {
		t.Errorf("empty table = %q, want %q", got, want)
	}
}
