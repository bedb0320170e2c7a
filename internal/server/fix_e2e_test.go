package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/store"
)

// TestRemediation end to end, with the GitLab stand-in and the real Go
// module proxy as the mirror: the onboarding scan of a repository pinning
// golang.org/x/net v0.17.0 proposes a plan; approving it through the API
// (audited) opens one merge request whose branch, checked out, builds
// with go build ./... from its go.mod and go.sum alone; the next scan
// opens no duplicate; merged in GitLab, the plan is merged (webhook) and
// then verified by the scan of main the merge's push causes. (Closing an
// obsolete merge request is tested in internal/job.)
func TestRemediation(t *testing.T) {
	if testing.Short() {
		t.Skip("uses proxy.golang.org; skipped with -short")
	}
	const proxy = "https://proxy.golang.org"
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Head(proxy + "/golang.org/x/net/@v/list"); err != nil {
		t.Skipf("%s not reachable: %v", proxy, err)
	} else {
		resp.Body.Close()
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	zip := filepath.Join("..", "..", "..", "shared", "data", "osv", "Go", "all.zip")
	if _, err := os.Stat(zip); err != nil {
		t.Skipf("shared OSV data absent (%v)", err)
	}
	reg, err := registry.New(registry.Config{CacheDir: t.TempDir(), Mirrors: map[string]registry.Mirror{"go": {URL: proxy}}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store.SQLite, options{work: true, vulns: importedVulnDB(t, zip), fix: &job.FixConfig{Registry: reg}})
	files := map[string]string{}
	dir := filepath.Join("..", "fix", "testdata", "gomod-xnet")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		files[strings.TrimSuffix(e.Name(), ".txt")] = string(b)
	}
	p, pr := onboard(t, h, files)

	type planRow struct {
		ID     int64  `json:"id"`
		State  string `json:"state"`
		Title  string `json:"title"`
		Branch string `json:"branch"`
		MRIID  int64  `json:"mr_iid"`
	}
	var plans struct {
		Items  []planRow           `json:"items"`
		Counts store.FixPlanCounts `json:"counts"`
	}
	list := func() {
		h.admin("GET", fmt.Sprintf("/api/v1/fix-plans?project_id=%d", pr.ID), nil, 200, &plans)
	}
	list()
	if len(plans.Items) != 1 || plans.Items[0].State != "proposed" || !strings.Contains(plans.Items[0].Title, "golang.org/x/net from v0.17.0") {
		t.Fatalf("plans after onboarding: %+v", plans)
	}
	if len(h.gl.MergeRequests(p)) != 0 {
		t.Fatal("a merge request was opened before approval")
	}
	h.admin("POST", fmt.Sprintf("/api/v1/fix-plans/%d/approve", plans.Items[0].ID), map[string]string{"reason": "security fix, patch line"}, 200, nil)
	eventually(t, 60*time.Second, "the merge request", func() bool {
		list()
		return plans.Items[0].State == "open" && plans.Items[0].MRIID > 0
	})
	mrs := h.gl.MergeRequests(p)
	if len(mrs) != 1 || mrs[0].SourceBranch != "airlock/fix/go-golang.org-x-net" || !strings.Contains(mrs[0].Description, "<!-- airlock:fix -->") {
		t.Fatalf("merge requests: %+v", mrs)
	}

	// The branch builds from its go.mod and go.sum alone.
	base, _ := url.Parse(h.gl.URL)
	const tok = "glpat-integration-token-AbC123xyz" // gitlabSetup's
	ws, err := source.Clone(context.Background(), source.CloneOptions{URL: h.gl.URL + "/" + p.Path + ".git", Ref: mrs[0].SourceBranch, Depth: 1, Dir: t.TempDir(),
		Env: gitlab.GitAuthEnv(base, tok, gitlab.TokenPersonal)})
	if err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = ws.Dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOTOOLCHAIN=local", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build on the fix branch: %v\n%s", err, out)
	}

	// The next scan proposes nothing new and opens no duplicate.
	h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", pr.ID), map[string]string{}, 202, nil)
	eventually(t, 60*time.Second, "a second default-branch scan", func() bool {
		n := 0
		for _, sc := range latestScans(h, pr.ID, "main") {
			if sc.Status == store.ScanSucceeded {
				n++
			}
		}
		return n >= 2
	})
	list()
	if len(plans.Items) != 1 || plans.Items[0].State != "open" || len(h.gl.MergeRequests(p)) != 1 {
		t.Fatalf("after a re-scan: %+v, %d merge requests", plans, len(h.gl.MergeRequests(p)))
	}

	// A person merges it: the Merge Request Hook moves the plan to merged,
	// and the scan of main that the push causes finds x/net fixed:
	// verified.
	r := h.glCall(t, "PUT", fmt.Sprintf("/api/v4/projects/%d/merge_requests/%d/merge", p.ID, mrs[0].IID), tok)
	if r != http.StatusOK {
		t.Fatalf("merge: %d", r)
	}
	eventually(t, 60*time.Second, "the plan verified", func() bool {
		list()
		return plans.Items[0].State == "verified"
	})
	if plans.Counts.ByState["verified"] != 1 || plans.Counts.MeanTimeToFix <= 0 {
		t.Errorf("counts: %+v", plans.Counts)
	}
}

// glCall sends an API request to the GitLab stand-in as the token's
// user and returns the status.
func (h *harness) glCall(t *testing.T, method, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, h.gl.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("PRIVATE-TOKEN", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
