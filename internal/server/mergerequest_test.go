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

// TestMergeRequestHeadWins: a merge request is opened and a second commit
// pushed to it at once; GitLab delivers both events together, in order or
// newest first. Whatever the order and timing, the merge request ends with
// exactly one note, describing its head, a final commit status on the
// head, and no commit status left running.
func TestMergeRequestHeadWins(t *testing.T) {
	for _, d := range storetest.Engines() {
		for _, reverse := range []bool{false, true} {
			name := string(d) + "/concurrent"
			if reverse {
				name = string(d) + "/newest-first"
			}
			t.Run(name, func(t *testing.T) { mergeRequestHeadWins(t, d, reverse) })
		}
	}
}

func mergeRequestHeadWins(t *testing.T, d store.Dialect, reverse bool) {
	// On PostgreSQL the jobs run in a worker apart from the server, the
	// set-up where the duplicate notes were seen.
	h := newHarness(t, d, options{work: true, worker: d == store.Postgres})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	pr := waitHooked(t, h, in.ID)
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)

	release := gl.HoldDeliveries()
	gl.Commit(p, "feature", map[string]string{"deploy/env.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"}, "deploy env")
	mr := gl.OpenMR(p, "feature", "main", "Deploy")
	head := gl.Commit(p, "feature", map[string]string{"ci/release.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "release script")
	release(reverse)

	eventually(t, 60*time.Second, "every merge request scan to finish and the head's status", func() bool {
		ss := latestScans(h, pr.ID, "feature")
		for _, s := range ss {
			if !s.Finished() {
				return false
			}
		}
		st := gl.Statuses(p, head)
		return len(ss) > 0 && len(st) > 0 && (st[len(st)-1].State == "failed" || st[len(st)-1].State == "success")
	})
	notes := gl.Notes(p, mr.IID)
	if len(notes) != 1 {
		t.Fatalf("%d notes on the merge request, want exactly one", len(notes))
	}
	if !strings.Contains(notes[0].Body, head[:8]) || !strings.Contains(notes[0].Body, "gitlab") {
		t.Fatalf("the note does not describe the head %s:\n%s", head[:8], notes[0].Body)
	}
	st := gl.Statuses(p, head)
	if st[len(st)-1].State != "failed" {
		t.Errorf("head status %+v, want failed (it introduces a GitLab token)", st[len(st)-1])
	}
	// The note and the status link to the web UI's scan page: a browser
	// without a session is sent to sign in, then sees the scan.
	link := st[len(st)-1].TargetURL
	if !strings.HasPrefix(link, h.url+"/scans/") || !strings.Contains(notes[0].Body, "("+link+")") {
		t.Errorf("status links to %q; the note:\n%s", link, notes[0].Body)
	}
	b := newBrowser(t, h.url)
	path := strings.TrimPrefix(link, h.url)
	if resp, _ := b.get(path); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("scan page without a session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.signIn(adminToken)
	resp, page := b.get(path)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(page, head) || !strings.Contains(page, "merge request !") {
		t.Errorf("scan page %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	var headScans int
	for _, s := range latestScans(h, pr.ID, "feature") {
		if s.SHA == head && s.Status == store.ScanSucceeded {
			headScans++
		}
		if s.SHA != head && s.Status == store.ScanSucceeded {
			// Finished before the head was known: fine, but its status
			// must not have been left running, and the note is the head's.
			t.Logf("scan %d of %s finished before the push", s.ID, s.SHA[:8])
		}
		if st := gl.Statuses(p, s.SHA); len(st) > 0 && st[len(st)-1].State == "running" {
			t.Errorf("commit %s left with a running airlock status", s.SHA[:8])
		}
	}
	if headScans != 1 {
		t.Errorf("%d successful scans of the head, want 1", headScans)
	}
}

// waitHooked waits for discovery to register the integration's one
// project's webhook, and returns the project.
func waitHooked(t *testing.T, h *harness, integrationID int64) store.Project {
	t.Helper()
	var pr store.Project
	eventually(t, 20*time.Second, "discovery and hook", func() bool {
		var ps list[store.Project]
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", integrationID), nil, 200, &ps)
		if len(ps.Items) == 1 && ps.Items[0].HookStatus == store.HookRegistered {
			pr = ps.Items[0]
			return true
		}
		return false
	})
	return pr
}
