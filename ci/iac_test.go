package ci

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/gitlabci"
	"github.com/airlock-sec/airlock/internal/iac/policies"
)

// TestOwnGitLabCIChecks: airlock's own GitLab CI policies find nothing
// in the template it ships (images pinned, no secrets, no curl | sh).
func TestOwnGitLabCIChecks(t *testing.T) {
	b, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	p := gitlabci.New()
	if !p.FileRequired(templateFile) {
		t.Fatalf("the gitlabci parser does not claim %s", templateFile)
	}
	docs, probs := p.Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: templateFile, Content: b}}})
	for _, pr := range probs {
		t.Errorf("%s %s:%d: %s", pr.Level, pr.Path, pr.Line, pr.Message)
	}
	if len(docs) != 1 {
		t.Fatalf("%d documents", len(docs))
	}
	set, err := policies.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, pol := range set.Policies {
		if pol.Input == "gitlabci" {
			n++
		}
	}
	if n < 8 {
		t.Fatalf("%d gitlabci policies", n)
	}
	rs, err := set.Eval(context.Background(), docs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Errorf("%s:%d %s %s: %s (%s)", r.Node.Path, r.Node.Start, r.Policy.ID, r.Node.Resource, r.Message, r.Actual)
	}
	// The default image is the release the chart installs.
	chart, err := os.ReadFile(filepath.Join("..", "deploy", "helm", "airlock", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^appVersion:\s*"?([^"\s]+)"?`).FindSubmatch(chart)
	if m == nil {
		t.Fatal("Chart.yaml has no appVersion")
	}
	vars := docs[0].Value.(map[string]any)["variables"].(map[string]any)
	img := vars["AIRLOCK_IMAGE"].(map[string]any)["value"]
	if want := "$CI_REGISTRY/security/airlock:" + string(m[1]); img != want {
		t.Errorf("AIRLOCK_IMAGE defaults to %v, want %s (the chart's appVersion)", img, want)
	}
	// The checks do read the template: its jobs are there.
	jobs := docs[0].Value.(map[string]any)["jobs"].(map[string]any)
	if len(jobs) != 3 {
		t.Errorf("jobs %v", jobs)
	}
}
