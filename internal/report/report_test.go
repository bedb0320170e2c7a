package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
		"line 3",
		"5 vulnerabilities (1 critical, 1 high, 2 medium, 1 unknown) in 5 packages across 4 manifests; 11 packages scanned in 4 manifests.",
		"1 other finding (1 secret).",
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
}

func TestTableClean(t *testing.T) {
	r := fixture()
	r.Findings = nil
	r.Notices = nil
	got := string(render(t, Table, r, testOptions))
	if want := "No known vulnerabilities found in 11 packages.\n"; got != want {
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
	if got, want := len(run.Tool.Driver.Rules), 7; got != want {
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
		}
	}
	for _, rule := range run.Tool.Driver.Rules {
		want := map[string]string{"GHSA-67hx-6x53-jw92": "9.6", "PYSEC-2023-100": "7.5", "GO-2024-2687": ""}
		if w, ok := want[rule.ID]; ok && rule.Properties.SecuritySeverity != w {
			t.Errorf("rule %s: security-severity %q, want %q", rule.ID, rule.Properties.SecuritySeverity, w)
		}
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
	var bom cdxBOM
	if err := json.Unmarshal(render(t, CycloneDX, fixture(), testOptions), &bom); err != nil {
		t.Fatal(err)
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
	if len(bom.Components) != 11 {
		t.Errorf("%d components, want 11", len(bom.Components))
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
	babel := fixture().Findings[0].Package.PURL()
	if c := byRef[babel]; c.Group != "@babel" || c.Name != "traverse" {
		t.Errorf("npm scoped component: group %q name %q", c.Group, c.Name)
	}
	if c := byRef["pkg:golang/golang.org/x/net@v0.17.0"]; c.Group != "" || c.Name != "golang.org/x/net" {
		t.Errorf("Go component: group %q name %q", c.Group, c.Name)
	}
}

func TestTableEmpty(t *testing.T) {
	got := string(render(t, Table, emptyResult(), testOptions))
	if want := "No known vulnerabilities found in 0 packages.\n"; got != want {
		t.Errorf("empty table = %q, want %q", got, want)
	}
}
