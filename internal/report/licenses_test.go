package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// TestLicensesFormulaInjection: a package's declared license cannot be a
// spreadsheet formula in the CSV legal review opens.
func TestLicensesFormulaInjection(t *testing.T) {
	r := &scan.Result{Licenses: []scan.PackageLicense{{Ecosystem: "npm", Name: "@scope/pkg", Declared: `=HYPERLINK("http://x.example","MIT")`, Source: "lockfile", Path: "package-lock.json", Evidence: `@SUM(1+1)`}}}
	var buf bytes.Buffer
	if err := Write(&buf, Licenses, r, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.Contains(lines[1], `"'=HYPERLINK(""http://x.example"",""MIT"")"`) || !strings.Contains(lines[1], ",'@SUM(1+1),") || !strings.Contains(lines[1], ",@scope/pkg,") {
		t.Errorf("row %q: formula not neutralised", lines[1])
	}
}

// TestGitLabMalicious: a malicious package is in GitLab's dependency
// scanning report, other risk findings are not.
func TestGitLabMalicious(t *testing.T) {
	r := fixture()
	var pkg inventory.Package
	for _, f := range r.Findings {
		if f.Package != nil && f.Package.Ecosystem == inventory.NPM {
			pkg = *f.Package
		}
	}
	r.Findings = append(r.Findings, finding.Finding{Kind: finding.KindRisk, ID: "MAL-2025-1", Severity: finding.Critical, SeveritySource: "malicious",
		Title: "malicious: Malicious code in evil (npm)", Package: &pkg, Location: finding.Location{Path: pkg.Location.Path}, Fingerprint: "f00"})
	out := string(render(t, GitLab, r, testOptions))
	if !strings.Contains(out, `"MAL-2025-1"`) || !strings.Contains(out, "https://osv.dev/vulnerability/MAL-2025-1") {
		t.Errorf("the malicious package is not in the GitLab report")
	}
	if strings.Contains(out, "RUSTSEC-2024-0384") {
		t.Errorf("an informational risk finding is in the GitLab report")
	}
}
