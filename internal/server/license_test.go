package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestSiteLicensePolicy: the site's license policy (serve's licenses:)
// applies to server scans and replaces the repository's own: a package
// whose lockfile declares GPL-3.0-only is a high license/denied finding
// although the repository's .airlock.yaml allows it; an allowed license
// is no finding.
func TestSiteLicensePolicy(t *testing.T) {
	var doc struct {
		Licenses yaml.Node `yaml:"licenses"`
	}
	if err := yaml.Unmarshal([]byte("licenses:\n  deny: [GPL-3.0-only]\n"), &doc); err != nil {
		t.Fatal(err)
	}
	pol, err := license.ParsePolicy("airlock.yaml", &doc.Licenses)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store.SQLite, options{work: true, licenses: pol})
	lock := `{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"copyleft-lib": "1.2.3", "permissive-lib": "2.0.0"}},
    "node_modules/copyleft-lib": {"version": "1.2.3", "resolved": "https://registry.npmjs.org/copyleft-lib/-/copyleft-lib-1.2.3.tgz", "license": "GPL-3.0-only"},
    "node_modules/permissive-lib": {"version": "2.0.0", "resolved": "https://registry.npmjs.org/permissive-lib/-/permissive-lib-2.0.0.tgz", "license": "MIT"}
  }
}
`
	_, pr := onboard(t, h, map[string]string{
		"package-lock.json": lock,
		".airlock.yaml":     "licenses:\n  allow: [GPL-3.0-only, MIT]\n",
	})
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)
	var fs list[store.Finding]
	eventually(t, 20*time.Second, "the license findings", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&kind=license", pr.ID), nil, 200, &fs)
		return len(fs.Items) > 0
	})
	var denied []store.Finding
	for _, f := range fs.Items {
		if f.RuleID == "license/denied" {
			denied = append(denied, f)
		}
	}
	if len(denied) != 1 || denied[0].Severity != "high" || denied[0].Package == "" || !strings.Contains(denied[0].Package, "copyleft-lib") {
		t.Fatalf("license/denied findings %+v (all: %+v), want copyleft-lib at high", denied, fs.Items)
	}
	for _, f := range fs.Items {
		if strings.Contains(f.Package, "permissive-lib") {
			t.Errorf("the MIT package has a finding: %+v", f)
		}
	}
	// The findings filters by package and rule (the API's and the page's).
	for q, want := range map[string]int{
		"package=copyleft-lib&rule_id=license/denied":         1,
		"package=copyleft-lib%401.2.3&rule_id=license/denied": 1,
		"package=permissive-lib&rule_id=license/denied":       0,
		"package=copyleft-lib&rule_id=license/unknown":        0,
	} {
		var got list[store.Finding]
		h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&%s", pr.ID, q), nil, 200, &got)
		if len(got.Items) != want {
			t.Errorf("findings?%s: %d, want %d", q, len(got.Items), want)
		}
	}
}
