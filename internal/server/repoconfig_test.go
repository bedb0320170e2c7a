package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestServerUsesRepositoryGitleaksConfig: the server scans with the
// repository's own .gitleaks.toml (a rule of the company's token format)
// and .gitleaksignore, as airlock scan does.
func TestServerUsesRepositoryGitleaksConfig(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{
		".gitleaks.toml":  "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"corp-service-token\"\ndescription = \"Corp service token\"\nregex = '''corp_svc_[0-9a-f]{32}'''\nkeywords = [\"corp_svc_\"]\n",
		"deploy/env.sh":   "export SVC_TOKEN=corp_svc_4f9a1c7e2b8d3065a9e1f47c2d8b6a30\n",
		"deploy/old.sh":   "export OLD_TOKEN=corp_svc_0a1b2c3d4e5f60718293a4b5c6d7e8f9\n",
		".gitleaksignore": "deploy/old.sh:corp-service-token:1\n",
	})
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, 201, nil)
	var pr store.Project
	eventually(t, 20*time.Second, "discovery", func() bool {
		var ps list[store.Project]
		h.admin("GET", "/api/v1/projects", nil, 200, &ps)
		if len(ps.Items) == 1 {
			pr = ps.Items[0]
		}
		return len(ps.Items) == 1
	})
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)
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
