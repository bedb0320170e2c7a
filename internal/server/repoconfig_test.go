package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/store"
)

// TestServerUsesRepositoryGitleaksConfig: the server scans with the
// repository's own .gitleaks.toml (a rule of the company's token format)
// and .gitleaksignore, as airlock scan does.
func TestServerUsesRepositoryGitleaksConfig(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	_, pr := onboard(t, h, map[string]string{
		".gitleaks.toml":  "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"corp-service-token\"\ndescription = \"Corp service token\"\nregex = '''corp_svc_[0-9a-f]{32}'''\nkeywords = [\"corp_svc_\"]\n",
		"deploy/env.sh":   "export SVC_TOKEN=corp_svc_4f9a1c7e2b8d3065a9e1f47c2d8b6a30\n",
		"deploy/old.sh":   "export OLD_TOKEN=corp_svc_0a1b2c3d4e5f60718293a4b5c6d7e8f9\n",
		".gitleaksignore": "deploy/old.sh:corp-service-token:1\n",
	})
	var fs list[store.Finding]
	h.admin("GET", fmt.Sprintf("/api/v1/findings?project_id=%d&branch=main&state=open", pr.ID), nil, 200, &fs)
	var got []string
	for _, f := range fs.Items {
		ignored := strings.Contains(string(f.Data), `"ignored"`) && strings.Contains(string(f.Data), ".gitleaksignore")
		got = append(got, fmt.Sprintf("%s %s ignored=%v", f.RuleID, f.Path, ignored))
	}
	sort.Strings(got)
	want := "corp-service-token deploy/env.sh ignored=false; corp-service-token deploy/old.sh ignored=true"
	if strings.Join(got, "; ") != want {
		t.Errorf("findings %q, want %q: the repository's rule finds both tokens, and its .gitleaksignore marks old.sh's", strings.Join(got, "; "), want)
	}
}
