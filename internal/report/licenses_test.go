package report

import (
	"bytes"
	"strings"
	"testing"

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
