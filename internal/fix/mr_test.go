package fix

import (
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
)

func TestBranch(t *testing.T) {
	for _, tc := range []struct {
		eco, name, manifest, want string
	}{
		{inventory.Go, "golang.org/x/net", "go.mod", "airlock/fix/go-golang.org-x-net"},
		{inventory.NPM, "@babel/core", "web/package-lock.json", "airlock/fix/npm-babel-core-web"},
		{inventory.Maven, "org.apache.logging.log4j:log4j-core", "pom.xml", "airlock/fix/maven-org.apache.logging.log4j-log4j-core"},
		{inventory.CratesIO, "time", "sub/../x/Cargo.lock", "airlock/fix/crates-time-x"},
	} {
		p := Plan{Key: "k", Changes: []Change{{Ecosystem: tc.eco, Name: tc.name, Manifest: tc.manifest}}}
		if got := p.Branch(); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.eco, tc.name, got, tc.want)
		}
	}
	if got := (&Plan{Key: "project"}).Branch(); got != "airlock/fix/project" {
		t.Errorf("project: %s", got)
	}
}

func TestDescription(t *testing.T) {
	p := Plan{Changes: []Change{{Name: "lodash", Manifest: "package-lock.json", From: "4.17.11", To: "4.17.20", Method: MethodOverride, Override: "npm overrides",
		Reason:          "4.17.20 is the lowest release; pinned through npm overrides because no later release of async 2.6.1 in its major line on the mirror requires lodash 4.17.20 or later",
		Vulnerabilities: []Vulnerability{{ID: "GHSA-jf85-cpcp-j695", Aliases: []string{"CVE-2019-10744"}, Severity: finding.Critical, Summary: "Prototype | pollution"}}}},
		Manual: []string{"requirements.txt:4: pin by hand"}, ToolOutput: "$ npm install\n```\nadded 1 package\n"}
	d := p.Description()
	for _, want := range []string{Marker, "| `lodash` | `package-lock.json` | 4.17.11 | 4.17.20 | npm overrides |",
		"| GHSA-jf85-cpcp-j695 | CVE-2019-10744 | critical | Prototype \\| pollution |", "- requirements.txt:4: pin by hand",
		"### Why these versions\n\n- `lodash`: 4.17.20 is the lowest release; pinned through npm overrides because no later release of async 2.6.1",
		"````\n$ npm install\n```\nadded 1 package\n````"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	a := Plan{Edits: []Edit{{Path: "go.mod", New: []byte("x")}}}
	b := Plan{Edits: []Edit{{Path: "go.mod", New: []byte("y")}}}
	if a.Digest() == b.Digest() || a.Digest() != (&Plan{Edits: []Edit{{Path: "go.mod", New: []byte("x")}}}).Digest() {
		t.Error("digest does not follow the edits")
	}
}
