package license

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
)

// TestCommonVariants: every text the first classifier loads exists in the
// classifier's assets (they list no directories, so the names are ours).
func TestCommonVariants(t *testing.T) {
	if _, err := commonClassifier(); err != nil {
		t.Fatal(err)
	}
}

func TestClassify(t *testing.T) {
	mit, err := os.ReadFile("testdata/MIT.txt")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Classify(mit)
	if err != nil || c.Expression != "MIT" || c.Confidence < 0.9 {
		t.Errorf("MIT text: %+v, %v", c, err)
	}
	if c, err := Classify([]byte("nothing to see here")); err != nil || c.Expression != "" {
		t.Errorf("no license: %+v, %v", c, err)
	}
	if _, err := Classify([]byte("MIT\x00\x01binary")); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v", err)
	}
	if _, err := Classify(make([]byte, MaxFile+1)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("huge: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"MIT":                 "MIT",
		"(MIT OR Apache-2.0)": "(MIT OR Apache-2.0)",
		"The Apache Software License, Version 2.0":   "Apache-2.0",
		"Apache License, Version 2.0 OR MIT License": "(Apache-2.0 OR MIT)",
		"GPL-2.0-only WITH Classpath-exception-2.0":  "GPL-2.0-only WITH Classpath-exception-2.0",
		"CDDL + GPLv2 with classpath exception":      "CDDL-1.1 OR GPL-2.0-only WITH Classpath-exception-2.0",
	} {
		if got, ok := Normalize(in); !ok || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"BSD", "Custom", "SEE LICENSE IN LICENSE.txt", "MIT OR Custom", ""} {
		if got, ok := Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want not ok", in, got)
		}
	}
}

func parsePolicy(t *testing.T, src string) (*Policy, error) {
	t.Helper()
	var doc struct {
		Licenses yaml.Node `yaml:"licenses"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return ParsePolicy(".airlock.yaml", &doc.Licenses)
}

func TestCheck(t *testing.T) {
	allow, err := parsePolicy(t, "licenses:\n  allow: [MIT, Apache-2.0, BSD-3-Clause, GPL-2.0-only WITH Classpath-exception-2.0]\n")
	if err != nil {
		t.Fatal(err)
	}
	deny, err := parsePolicy(t, "licenses:\n  deny: [GPL-3.0-only, AGPL-3.0-only]\n  severity: critical\n  unknown: medium\n")
	if err != nil {
		t.Fatal(err)
	}
	if deny.Severity != finding.Critical || deny.Unknown != finding.Medium || allow.Severity != finding.High || allow.Unknown != finding.Low {
		t.Errorf("severities: %+v %+v", allow, deny)
	}
	type c struct {
		p    *Policy
		expr string
	}
	for in, want := range map[c]Verdict{
		{allow, "MIT OR GPL-3.0-only"}:                       {Allowed: true},
		{allow, "Apache-2.0 AND GPL-3.0-only"}:               {Needs: []string{"GPL-3.0-only"}},
		{allow, "GPL-2.0-only WITH Classpath-exception-2.0"}: {Allowed: true},
		{allow, "GPL-2.0-only"}:                              {Needs: []string{"GPL-2.0-only"}},
		{allow, "MIT AND (Apache-2.0 OR GPL-3.0-only)"}:      {Allowed: true},
		{deny, "MIT OR GPL-3.0-only"}:                        {Allowed: true},
		{deny, "Apache-2.0 AND GPL-3.0-only"}:                {Needs: []string{"GPL-3.0-only"}},
		{deny, "AGPL-3.0-only"}:                              {Needs: []string{"AGPL-3.0-only"}},
		{deny, "ISC"}:                                        {Allowed: true},
	} {
		got, err := in.p.Check(in.expr)
		if err != nil {
			t.Errorf("%q: %v", in.expr, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", in.expr, diff)
		}
	}
	if _, err := allow.Check("MIT OR"); err == nil || !strings.Contains(err.Error(), `"MIT OR" is not an SPDX expression`) {
		t.Errorf("bad expression: %v", err)
	}
}

func TestPolicyErrors(t *testing.T) {
	for src, want := range map[string]string{
		"licenses:\n  allow: [MTI]\n":                              `.airlock.yaml:2: licenses.allow: "MTI" is not one SPDX license id`,
		"licenses:\n  allow: [MIT OR Apache-2.0]\n":                "is not one SPDX license id",
		"licenses:\n  severity: huge\n  deny: [MIT]\n":             `licenses.severity: "huge" is not a severity`,
		"licenses:\n  exceptions: [{package: x}]\n  deny: [MIT]\n": `licenses.exceptions[0]: fields "package" and "reason" are required`,
		"licenses:\n  severity: high\n":                            "give allow or deny",
		"licenses:\n  alow: [MIT]\n":                               "licenses.alow: unknown field",
		"licenses: [MIT]\n":                                        `field "licenses" must be a mapping`,
	} {
		if _, err := parsePolicy(t, src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}

func TestExempt(t *testing.T) {
	p, err := parsePolicy(t, "licenses:\n  deny: [WTFPL]\n  exceptions:\n    - {package: Left_Pad, ecosystem: npm, reason: vetted by legal}\n    - {package: requests, license: Apache-2.0, reason: ok}\n")
	if err != nil {
		t.Fatal(err)
	}
	npm := inventory.Package{Ecosystem: "npm", Name: "left-pad"}
	if _, ok := p.Exempt(npm, "WTFPL"); ok {
		t.Error("npm names are case- and punctuation-sensitive: Left_Pad is not left-pad")
	}
	py := inventory.Package{Ecosystem: "PyPI", Name: "Requests"}
	if e, ok := p.Exempt(py, "Apache-2.0"); !ok || e.Line != 5 {
		t.Errorf("requests: %+v %v", e, ok)
	}
	if _, ok := p.Exempt(py, "GPL-3.0-only"); ok {
		t.Error("an exception for one license covers another")
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"MIT", "(MIT OR Apache-2.0)", "Apache License, Version 2.0 OR MIT License", "GPL-2.0-only WITH Classpath-exception-2.0", "MIT AND (", "LicenseRef-x"} {
		f.Add(s)
	}
	p := &Policy{Allow: []string{"MIT"}, Deny: []string{"GPL-3.0-only"}}
	f.Fuzz(func(t *testing.T, s string) {
		if e, ok := Normalize(s); ok {
			if _, err := p.Check(e); err != nil {
				t.Errorf("Normalize(%q) = %q, which Check refuses: %v", s, e, err)
			}
		}
	})
}

func FuzzClassify(f *testing.F) {
	mit, _ := os.ReadFile("testdata/MIT.txt")
	f.Add(mit)
	f.Add([]byte("Apache License\nVersion 2.0"))
	f.Fuzz(func(t *testing.T, b []byte) { Classify(b) })
}
