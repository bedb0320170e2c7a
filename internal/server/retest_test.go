package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestRetestOnGitLabFailure: a job's GitLab call that fails for an auth or
// network reason re-tests the integration at once (the periodic re-test is
// 15 minutes away), so the hub shows Disconnected with the failure, what
// to do and when it last worked.
func TestRetestOnGitLabFailure(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			for _, c := range []struct {
				name  string
				fault gitlabtest.Fault
				code  string
			}{
				{"token refused", gitlabtest.Fault{Status: http.StatusUnauthorized}, "unauthorized"},
				{"connection closed", gitlabtest.Fault{Drop: true}, "unreachable"},
			} {
				t.Run(c.name, func(t *testing.T) { retestOnFailure(t, d, c.fault, c.code) })
			}
		})
	}
}

func retestOnFailure(t *testing.T, d store.Dialect, fault gitlabtest.Fault, code string) {
	h := newHarness(t, d, options{work: true})
	_, tok, p := gitlabSetup(h.gl, gitlabtest.Maintainer)
	h.gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "name": "corp"}, http.StatusCreated, &in)
	type statusView struct {
		integrationView
		CheckedAt *time.Time `json:"checked_at"`
		Status    string     `json:"status"`
		Hint      string     `json:"status_hint"`
	}
	var v statusView
	path := fmt.Sprintf("/api/v1/integrations/%d", in.ID)
	eventually(t, 20*time.Second, "discovery", func() bool {
		h.admin("GET", path, nil, 200, &v)
		return v.Discovery == "ok"
	})
	if v.Status != "Connected" || v.CheckedAt == nil {
		t.Fatalf("before the failure: %+v", v)
	}
	tested := *v.CheckedAt

	// GitLab starts refusing the token (or dropping connections); the
	// next discovery fails, and the re-test follows it.
	h.gl.InjectFaults(func(*http.Request) gitlabtest.Fault { return fault })
	h.admin("POST", path+"/discover", nil, http.StatusAccepted, nil)
	eventually(t, 60*time.Second, "the re-test after the failed discovery", func() bool {
		h.admin("GET", path, nil, 200, &v)
		return v.Status == "Disconnected"
	})
	if v.CheckedAt == nil || !v.CheckedAt.After(tested) || v.Check.OK || v.Check.Error == nil || v.Check.Error.Code != code || v.Hint == "" {
		t.Fatalf("after the re-test: %+v (error %+v)", v, v.Check.Error)
	}
	if v.Check.LastOKAt == nil || !v.Check.LastOKAt.Equal(tested) {
		t.Fatalf("last worked at %v, want the previous test's %v", v.Check.LastOKAt, tested)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	_, hub := b.get("/integrations")
	if !strings.Contains(hub, `data-status="Disconnected"`) || !strings.Contains(hub, "Last worked: "+tested.UTC().Format("2006-01-02 15:04 UTC")) {
		t.Fatalf("the hub card does not show Disconnected and when it last worked:\n%s", hub)
	}
	// River retries the failed discovery, which fails again: the
	// re-tests are unique per minute (windows aligned to the minute, so
	// at most two in the test's time).
	retests := strings.Count(h.logs.String(), "integration re-test queued")
	if retests < 1 || retests > 2 {
		t.Fatalf("%d re-tests queued, want 1 (2 across a minute boundary)", retests)
	}
}

// TestRetestOnServerCall: a GitLab call the server makes itself (here a
// manual scan's check that the branch exists, and a selection's lookup
// of a project) queues the integration's re-test when it fails for a
// network reason, once per minute, as a job's would; a missing branch,
// or a new token GitLab refuses when rotating, does not.
func TestRetestOnServerCall(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) {
			h := newHarness(t, d, options{})
			_, tok, glp := gitlabSetup(h.gl, gitlabtest.Maintainer)
			h.gl.InitRepo(glp, map[string]string{"README.md": "# payments\n"})
			var in integrationView
			h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "name": "corp"}, http.StatusCreated, &in)
			p := store.Project{IntegrationID: in.ID, GitLabID: int64(glp.ID), Path: "platform/payments", DefaultBranch: "main", AccessLevel: 40, Selected: true, Visible: true}
			if _, err := h.store.UpsertProject(t.Context(), &p, time.Now()); err != nil {
				t.Fatal(err)
			}
			retests := func() int {
				return h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'integration_retest'`)
			}
			scans := fmt.Sprintf("/api/v1/projects/%d/scans", p.ID)
			h.admin("POST", scans, map[string]string{"branch": "nope"}, http.StatusUnprocessableEntity, nil)
			h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/token", in.ID), map[string]string{"token": "glpat-not-the-right-token-000"}, http.StatusUnprocessableEntity, nil)
			if n := retests(); n != 0 {
				t.Fatalf("%d re-tests after a missing branch and a refused new token", n)
			}
			h.gl.InjectFaults(func(*http.Request) gitlabtest.Fault { return gitlabtest.Fault{Drop: true} })
			body := h.admin("POST", scans, map[string]string{}, http.StatusBadGateway, nil)
			if !strings.Contains(string(body), "could not check the branch") {
				t.Errorf("scan request: %s", body)
			}
			if n := retests(); n != 1 {
				t.Fatalf("%d re-tests after the branch check failed, want 1", n)
			}
			arg := `json_extract(args, '$.integration_id')`
			if d == store.Postgres {
				arg = `(args->>'integration_id')::bigint`
			}
			if n := h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'integration_retest' AND `+arg+` = %d`, in.ID); n != 1 {
				t.Errorf("the re-test is not integration %d's", in.ID)
			}
			// Unique per integration and minute: a second failure, of the
			// selection's project lookup, queues no second re-test.
			h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/selection", in.ID), map[string]any{"selection": "list", "gitlab_project_ids": []int64{424242}}, http.StatusBadGateway, nil)
			if n := retests(); n != 1 {
				t.Errorf("%d re-tests after two failures in a minute, want 1", n)
			}
		})
	}
}
