package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

type hooksView struct {
	ID           int64               `json:"id"`
	WebhookURL   string              `json:"webhook_url"`
	Discovery    string              `json:"discovery_status"`
	HooksStatus  string              `json:"hooks_status"`
	HookFailures []store.HookFailure `json:"hook_failures"`
}

// TestHooksOncePerProject: a selection change and three discoveries
// requested at once leave exactly one airlock hook per maintained
// project; the hook phase is reported apart from discovery (partial, with
// the project that needs Maintainer); a Guest project is never scanned;
// and deleting the integration removes every hook to this airlock,
// tracked or not, and lists those GitLab refused.
func TestHooksOncePerProject(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { hooksOncePerProject(t, d) })
	}
}

func hooksOncePerProject(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{work: true})
	gl := h.gl
	u, tok, first := gitlabSetup(gl, gitlabtest.Maintainer)
	maintained := []*gitlabtest.Project{first}
	for i := range 3 {
		maintained = append(maintained, gl.AddProject(gitlabtest.Project{Path: fmt.Sprintf("platform/svc%d", i), Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}}))
	}
	developed := gl.AddProject(gitlabtest.Project{Path: "platform/ledger", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Developer}})
	guest := gl.AddProject(gitlabtest.Project{Path: "platform/guest", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Guest}})
	for _, p := range append(maintained, developed, guest) {
		gl.InitRepo(p, map[string]string{"README.md": "hi\n"})
	}
	// A project with no commits: GitLab reports empty_repo.
	empty := gl.AddProject(gitlabtest.Project{Path: "platform/empty", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})

	var in hooksView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "all"}, http.StatusCreated, &in)
	h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/selection", in.ID), map[string]any{"selection": "all_future"}, 200, nil)
	for range 3 {
		h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/discover", in.ID), nil, http.StatusAccepted, nil)
	}
	eventually(t, 60*time.Second, "every discovery to finish", func() bool {
		var n int
		h.store.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'discover' AND state <> 'completed'`).Scan(&n)
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 200, &in)
		return n == 0 && in.HooksStatus != store.HooksPending && in.HooksStatus != ""
	})
	for _, p := range maintained {
		if hs := gl.Hooks(p); len(hs) != 1 || hs[0].URL != in.WebhookURL {
			t.Errorf("%s has %d hooks, want one to %s: %+v", p.Path, len(hs), in.WebhookURL, hs)
		}
	}
	if in.Discovery != "ok" || in.HooksStatus != store.HooksPartial || len(in.HookFailures) != 1 || in.HookFailures[0].Path != developed.Path || in.HookFailures[0].Status != store.HookNeedsMaintainer {
		t.Errorf("integration after discovery: discovery %q, hooks %q, failures %+v; want ok, partial, the Developer project", in.Discovery, in.HooksStatus, in.HookFailures)
	}
	var ps list[store.Project]
	h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
	for _, p := range ps.Items {
		if p.Path != guest.Path {
			continue
		}
		if p.HookStatus != store.HookNoAccess || !strings.Contains(p.HookError, "Reporter") {
			t.Errorf("Guest project: hook_status %q (%s), want no_access naming Reporter", p.HookStatus, p.HookError)
		}
		if ss := latestScans(h, p.ID, "main"); len(ss) != 0 {
			t.Errorf("Guest project scanned: %+v", ss)
		}
		var e struct{ Error struct{ Code string } }
		h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", p.ID), nil, http.StatusUnprocessableEntity, &e)
		if e.Error.Code != "no_access" {
			t.Errorf("manual scan of the Guest project: %+v, want no_access", e)
		}
	}
	// Neither the schedule nor an event scans the Guest project (a system
	// hook or a hook installed by hand may still deliver its pushes).
	due, err := h.store.Due(context.Background(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var duePaths []string
	for _, p := range due {
		duePaths = append(duePaths, p.Path)
	}
	if slices.Contains(duePaths, guest.Path) || slices.Contains(duePaths, empty.Path) || !slices.Contains(duePaths, developed.Path) {
		t.Errorf("projects due for a scheduled scan: %v; want the Developer project, not the Guest nor the empty one", duePaths)
	}
	secret := hookSecret(t, h, in.ID)
	push := fmt.Sprintf(`{"object_kind":"push","project_id":%d,"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","project":{"id":%d}}`, guest.ID, guest.ID)
	if c := postDelivery(t, in.WebhookURL, string(secret), "guest-push", []byte(push)); c != http.StatusAccepted {
		t.Fatalf("push delivery for the Guest project: %d", c)
	}
	eventually(t, 30*time.Second, "the Guest project's push to be ignored", func() bool {
		var outcome string
		h.store.DB().QueryRow(`SELECT outcome FROM webhook_event WHERE delivery_key = 'guest-push'`).Scan(&outcome)
		return strings.Contains(outcome, "below Reporter")
	})
	emptySeen := false
	for _, p := range ps.Items {
		if p.Path != empty.Path {
			continue
		}
		emptySeen = true
		var e struct {
			Error struct{ Code, Message string }
		}
		h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", p.ID), nil, http.StatusUnprocessableEntity, &e)
		if e.Error.Code != "empty_repository" || !strings.Contains(e.Error.Message, empty.Path) {
			t.Errorf("manual scan of the empty repository: %+v, want empty_repository naming it", e)
		}
		if ss := latestScans(h, p.ID, "main"); len(ss) != 0 {
			t.Errorf("empty repository scanned: %+v", ss)
		}
		// Its first push, before any discovery: GitLab is asked again,
		// and Scan now is accepted.
		gl.InitRepo(empty, map[string]string{"README.md": "# first\n"})
		var sc store.Scan
		h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", p.ID), nil, http.StatusAccepted, &sc)
		if sc.Branch != "main" || sc.SHA == "" {
			t.Errorf("scan after the first push: %+v", sc)
		}
		if pr, err := h.store.Project(t.Context(), p.ID); err != nil || pr.EmptyRepo || pr.DefaultBranch != "main" {
			t.Errorf("project after the first push: %+v (%v)", pr, err)
		}
	}
	if !emptySeen {
		t.Errorf("the empty project was not discovered")
	}

	// Manual scans that cannot succeed are refused before they are queued.
	for _, p := range ps.Items {
		if p.Path != first.Path {
			continue
		}
		var e struct {
			Error struct{ Code, Field string }
		}
		h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", p.ID), map[string]string{"branch": "no-such-branch"}, http.StatusUnprocessableEntity, &e)
		if e.Error.Code != "unknown_branch" || e.Error.Field != "branch" {
			t.Errorf("scan of an unknown branch: %+v", e)
		}
		var sc store.Scan
		h.admin("POST", fmt.Sprintf("/api/v1/projects/%d/scans", p.ID), nil, http.StatusAccepted, &sc)
		if len(sc.SHA) != 40 {
			t.Errorf("a manual scan is not pinned to the branch's head: %+v", sc)
		}
	}

	// A requested discovery checks the hooks recorded as registered too:
	// one deleted in GitLab by hand is added again, a duplicate (left by
	// an older airlock) is removed.
	for _, hk := range gl.Hooks(maintained[0]) {
		req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/api/v4/projects/%d/hooks/%d", gl.URL, maintained[0].ID, hk.ID), nil)
		req.Header.Set("PRIVATE-TOKEN", tok.Value)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("delete the hook in GitLab: %v %v", resp, err)
		}
	}
	gl.AddHook(maintained[1], gitlabtest.Hook{URL: in.WebhookURL, PushEvents: true, MergeRequestsEvents: true})
	h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/discover", in.ID), nil, http.StatusAccepted, nil)
	eventually(t, 20*time.Second, "the verifying discovery", func() bool {
		return h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'discover' AND state <> 'completed'`) == 0
	})
	for _, p := range maintained[:2] {
		if hs := gl.Hooks(p); len(hs) != 1 || hs[0].URL != in.WebhookURL {
			t.Errorf("%s after a requested discovery: hooks %+v, want exactly one to %s", p.Path, hs, in.WebhookURL)
		}
	}

	// A hook left behind (a crash between GitLab's answer and the
	// database), another service's hook, and a project whose hooks GitLab
	// refuses to delete.
	stray := gl.AddHook(maintained[1], gitlabtest.Hook{URL: in.WebhookURL, PushEvents: true})
	gl.AddHook(maintained[2], gitlabtest.Hook{URL: "https://ci.example.com/hook", PushEvents: true})
	refused := maintained[3]
	gl.InjectFaults(func(r *http.Request) gitlabtest.Fault {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, fmt.Sprintf("/api/v4/projects/%d/hooks/", refused.ID)) {
			return gitlabtest.Fault{Status: http.StatusForbidden}
		}
		return gitlabtest.Fault{}
	})
	var del struct {
		Status  string              `json:"status"`
		Removed int                 `json:"hooks_removed"`
		Left    []store.HookFailure `json:"hooks_not_removed"`
	}
	h.admin("DELETE", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, http.StatusAccepted, &del)
	// The maintained projects' hooks (the stray one too) but the refused
	// one, and the empty project's.
	if del.Removed != len(maintained)+1 || len(del.Left) != 1 || del.Left[0].Path != refused.Path || !strings.Contains(del.Status, "could not be removed") {
		t.Errorf("delete answered %+v: want %d removed (the stray one and the empty project's too) and %s listed as not removed", del, len(maintained)+1, refused.Path)
	}
	for _, p := range maintained[:3] {
		for _, hk := range gl.Hooks(p) {
			if hk.URL == in.WebhookURL {
				t.Errorf("%s keeps airlock hook %d (stray %d)", p.Path, hk.ID, stray.ID)
			}
		}
	}
	if hs := gl.Hooks(maintained[2]); len(hs) != 1 || hs[0].URL != "https://ci.example.com/hook" {
		t.Errorf("another service's hook was touched: %+v", hs)
	}
}

// TestNoAccessWithoutPublicURL: without a public URL no webhook is
// installed, but a selected project the token cannot clone (below
// Reporter) is still marked no_access and never scanned.
func TestNoAccessWithoutPublicURL(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true, noPublicURL: true})
	gl := h.gl
	u, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})
	guest := gl.AddProject(gitlabtest.Project{Path: "platform/secret-sauce", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Guest}})
	gl.InitRepo(guest, map[string]string{"README.md": "# guest\n"})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	var ps list[store.Project]
	eventually(t, 20*time.Second, "discovery (its hook phase too) and the onboarding scan", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
		return len(ps.Items) == 2 && h.count(`SELECT COUNT(*) FROM scan WHERE status = 'succeeded'`) == 1 &&
			h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'discover' AND state <> 'completed'`) == 0
	})
	h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
	for _, pr := range ps.Items {
		switch pr.Path {
		case guest.Path:
			if pr.HookStatus != store.HookNoAccess || !strings.Contains(pr.HookError, "Reporter") {
				t.Errorf("Guest project: hook_status %q (%s), want no_access", pr.HookStatus, pr.HookError)
			}
			if ss := latestScans(h, pr.ID, "main"); len(ss) != 0 {
				t.Errorf("Guest project scanned: %+v", ss)
			}
		default:
			if pr.HookStatus == store.HookNoAccess {
				t.Errorf("%s marked no_access", pr.Path)
			}
		}
	}
	if hooks := gl.Hooks(p); len(hooks) != 0 {
		t.Errorf("hooks without a public URL: %+v", hooks)
	}
	// Given Reporter, the next discovery clears no_access.
	gl.SetMember(guest, u.ID, gitlabtest.Reporter)
	h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/discover", in.ID), nil, http.StatusAccepted, nil)
	eventually(t, 20*time.Second, "no_access cleared", func() bool {
		var now list[store.Project] // fresh: hook_status is left out when empty
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &now)
		for _, pr := range now.Items {
			if pr.Path == guest.Path {
				return pr.HookStatus != store.HookNoAccess
			}
		}
		return false
	})
}
