package gitlabtest

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: repositories need the git CLI")
	}
}

// send sends a JSON body.
func (f *fixture) send(t *testing.T, method, path, token, body string) response {
	t.Helper()
	return call(t, method, f.s.URL+path, token, strings.NewReader(body), "application/json")
}

// withBranches gives the private project a default branch and a feature
// branch; it returns the feature head.
func (f *fixture) withBranches(t *testing.T) string {
	t.Helper()
	f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n"})
	return f.s.Commit(f.private, "feature", map[string]string{"feature.go": "package backend\n"}, "add feature")
}

func TestMergeRequests(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	head := f.withBranches(t)
	const mrs = "/api/v4/projects/acme%2Fbackend/merge_requests"
	body := `{"source_branch":"feature","target_branch":"main","title":"Add feature","description":"why","remove_source_branch":true}`

	if r := f.send(t, http.MethodPost, mrs, tokReporter, body); r.status != http.StatusForbidden || string(r.body) != `{"message":"403 Forbidden"}` {
		t.Errorf("reporter opens an MR: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, mrs, tokRepoOnly, body); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "insufficient_scope") {
		t.Errorf("token without api opens an MR: %d %s", r.status, r.body)
	}
	r := f.send(t, http.MethodPost, mrs, tokDev, body)
	if r.status != http.StatusCreated {
		t.Fatalf("developer opens an MR: %d %s", r.status, r.body)
	}
	sameShape(t, "POST /merge_requests", recorded(t, "api/merge.json").(map[string]any), decode[map[string]any](t, r))
	got := decode[struct {
		IID                     int    `json:"iid"`
		ProjectID               int    `json:"project_id"`
		Title                   string `json:"title"`
		Description             string `json:"description"`
		State                   string `json:"state"`
		SHA                     string `json:"sha"`
		WebURL                  string `json:"web_url"`
		SourceBranch            string `json:"source_branch"`
		TargetBranch            string `json:"target_branch"`
		ForceRemoveSourceBranch bool   `json:"force_remove_source_branch"`
		Author                  struct {
			ID int `json:"id"`
		} `json:"author"`
	}](t, r)
	if got.IID != 1 || got.ProjectID != f.private.ID || got.Title != "Add feature" || got.Description != "why" ||
		got.State != "opened" || got.SHA != head || got.SourceBranch != "feature" || got.TargetBranch != "main" ||
		!got.ForceRemoveSourceBranch || got.Author.ID != f.dev.ID || got.WebURL != f.s.URL+"/acme/backend/-/merge_requests/1" {
		t.Errorf("created MR: %s", r.body)
	}

	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"duplicate", body, 409, `{"message":["Another open merge request already exists for this source branch: !1"]}`},
		{"missing source", `{"source_branch":"nope","target_branch":"main","title":"x"}`, 400, `{"message":{"source_branch":["does not exist"]}}`},
		{"missing target", `{"source_branch":"feature","target_branch":"nope","title":"x"}`, 400, `{"message":{"target_branch":["does not exist"]}}`},
		{"same branch", `{"source_branch":"main","target_branch":"main","title":"x"}`, 422, `{"message":["You can't use same project/branch for source and target"]}`},
		{"no title", `{"source_branch":"feature","target_branch":"main"}`, 400, `{"error":"title is missing"}`},
	} {
		if r := f.send(t, http.MethodPost, mrs, tokDev, tt.body); r.status != tt.status || string(r.body) != tt.want {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.want)
		}
	}

	// A form body, as the hooks endpoint accepts too.
	f.s.Commit(f.private, "other", map[string]string{"other.go": "package backend\n"}, "other")
	form := url.Values{"source_branch": {"other"}, "target_branch": {"main"}, "title": {"Draft: other"}}
	r = call(t, http.MethodPost, f.s.URL+mrs, tokMaintainer, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if r.status != http.StatusCreated || decode[map[string]any](t, r)["iid"] != 2.0 || decode[map[string]any](t, r)["draft"] != true {
		t.Fatalf("form body: %d %s", r.status, r.body)
	}

	r = f.get(t, mrs+"?state=opened&source_branch=feature", tokReporter)
	list := decode[[]map[string]any](t, r)
	if r.status != http.StatusOK || len(list) != 1 || list[0]["iid"] != 1.0 {
		t.Fatalf("list by source branch: %d %s", r.status, r.body)
	}
	sameShape(t, "GET /merge_requests[0]", recorded(t, "api/merges.json").([]any)[0].(map[string]any), list[0])
	if h := r.header; h.Get("X-Total") != "1" || h.Get("X-Page") != "1" || h.Get("X-Per-Page") != "20" || h.Get("Link") == "" {
		t.Errorf("pagination headers: %v", h)
	}
	r = f.get(t, mrs+"?per_page=1", tokReporter)
	if l := links(r.header.Get("Link")); r.header.Get("X-Total") != "2" || r.header.Get("X-Next-Page") != "2" || l["next"] == "" {
		t.Errorf("per_page=1: %v", r.header)
	}
	if ids := decode[[]map[string]any](t, r); len(ids) != 1 || ids[0]["iid"] != 2.0 {
		t.Errorf("newest first: %s", r.body)
	}
	if r := f.get(t, mrs+"?target_branch=nope", tokReporter); string(r.body) != "[]" {
		t.Errorf("target_branch filter: %s", r.body)
	}
	if r := f.get(t, mrs+"?state=bogus", tokReporter); r.status != http.StatusBadRequest {
		t.Errorf("state=bogus: %d", r.status)
	}
	if r := f.get(t, mrs, tokGuest); r.status != http.StatusForbidden {
		t.Errorf("guest lists MRs of a private project: %d", r.status)
	}

	r = f.get(t, mrs+"/1", tokReporter)
	if r.status != http.StatusOK || decode[map[string]any](t, r)["iid"] != 1.0 {
		t.Fatalf("get MR: %d %s", r.status, r.body)
	}
	sameShape(t, "GET /merge_requests/1", recorded(t, "api/merge.json").(map[string]any), decode[map[string]any](t, r))
	if r := f.get(t, mrs+"/99", tokReporter); r.status != http.StatusNotFound || string(r.body) != `{"message":"404 Not found"}` {
		t.Errorf("unknown MR: %d %s", r.status, r.body)
	}

	if r := f.send(t, http.MethodPut, mrs+"/1", tokReporter, `{"state_event":"close"}`); r.status != http.StatusForbidden {
		t.Errorf("reporter closes: %d", r.status)
	}
	if r := f.send(t, http.MethodPut, mrs+"/1", tokDev, `{"state_event":"merge"}`); r.status != http.StatusBadRequest {
		t.Errorf("state_event=merge: %d %s", r.status, r.body)
	}
	r = f.send(t, http.MethodPut, mrs+"/1", tokDev, `{"state_event":"close"}`)
	if r.status != http.StatusOK || decode[map[string]any](t, r)["state"] != "closed" || decode[map[string]any](t, r)["closed_by"] == nil {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	if r := f.get(t, mrs+"?state=opened&source_branch=feature", tokDev); string(r.body) != "[]" {
		t.Errorf("closed MR listed as opened: %s", r.body)
	}
	// Closed, it no longer blocks a new MR from the same branch.
	if r := f.send(t, http.MethodPost, mrs, tokDev, body); r.status != http.StatusCreated {
		t.Errorf("new MR after closing: %d %s", r.status, r.body)
	}
	r = f.send(t, http.MethodPut, mrs+"/1", tokDev, `{"state_event":"reopen","title":"Add feature again"}`)
	if r.status != http.StatusOK || decode[map[string]any](t, r)["state"] != "opened" || decode[map[string]any](t, r)["title"] != "Add feature again" {
		t.Errorf("reopen: %d %s", r.status, r.body)
	}
	all := f.s.MergeRequests(f.private)
	if len(all) != 3 || all[0].State != MROpened || all[0].Title != "Add feature again" {
		t.Errorf("MergeRequests: %+v", all)
	}
}

func TestOpenMRFailsOnMissingBranch(t *testing.T) {
	// OpenMR reports a refused MR through t.Fatalf; a recorder catches it.
	rec := &fatalRecorder{TB: t}
	s := New(rec)
	p := s.AddProject(Project{Path: "g/p"})
	func() {
		defer func() { recover() }()
		s.OpenMR(p, "nope", "main", "x")
	}()
	if !strings.Contains(rec.msg, "source_branch") {
		t.Errorf("OpenMR without branches: %q", rec.msg)
	}
}

// fatalRecorder records Fatalf instead of ending the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(r.msg)
}

func (r *fatalRecorder) Helper() {}

func TestMergeRequestNotes(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	f.withBranches(t)
	mr := f.s.OpenMR(f.private, "feature", "main", "Add feature")
	f.s.AddToken(Token{Value: "glpat-read-api", UserID: f.reporter.ID, Scopes: []string{ScopeReadAPI}})
	notes := fmt.Sprintf("/api/v4/projects/%d/merge_requests/%d/notes", f.private.ID, mr.IID)

	if r := f.send(t, http.MethodPost, notes, tokGuest, `{"body":"hi"}`); r.status != http.StatusForbidden {
		t.Errorf("guest comments: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, notes, "glpat-read-api", `{"body":"hi"}`); r.status != http.StatusForbidden || !strings.Contains(string(r.body), `"scope":"api"`) {
		t.Errorf("read_api token comments: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, notes, tokReporter, `{}`); r.status != http.StatusBadRequest || string(r.body) != `{"error":"body is missing"}` {
		t.Errorf("no body: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, notes, tokReporter, `{"body":" "}`); r.status != http.StatusBadRequest || string(r.body) != `{"error":"body is empty"}` {
		t.Errorf("blank body: %d %s", r.status, r.body)
	}
	r := f.send(t, http.MethodPost, notes, tokReporter, `{"body":"airlock: 2 findings"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("reporter comments: %d %s", r.status, r.body)
	}
	sameShape(t, "POST /notes", recorded(t, "api/merge_note.json").(map[string]any), decode[map[string]any](t, r))
	note := decode[struct {
		ID           int    `json:"id"`
		Body         string `json:"body"`
		NoteableType string `json:"noteable_type"`
		NoteableIID  int    `json:"noteable_iid"`
		Author       struct {
			ID int `json:"id"`
		} `json:"author"`
	}](t, r)
	if note.Body != "airlock: 2 findings" || note.NoteableType != "MergeRequest" || note.NoteableIID != mr.IID || note.Author.ID != f.reporter.ID {
		t.Errorf("note: %s", r.body)
	}
	f.send(t, http.MethodPost, notes, tokDev, `{"body":"second"}`)

	r = f.get(t, notes+"?sort=asc", "glpat-read-api")
	list := decode[[]map[string]any](t, r)
	if r.status != http.StatusOK || len(list) != 2 || list[0]["body"] != "airlock: 2 findings" || r.header.Get("X-Total") != "2" {
		t.Fatalf("list notes: %d %v %s", r.status, r.header, r.body)
	}
	sameShape(t, "GET /notes[0]", recorded(t, "api/merge_notes.json").([]any)[0].(map[string]any), list[0])

	edit := fmt.Sprintf("%s/%d", notes, note.ID)
	if r := f.send(t, http.MethodPut, edit, tokDev, `{"body":"hijack"}`); r.status != http.StatusForbidden {
		t.Errorf("another user edits: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPut, edit, tokReporter, `{}`); r.status != http.StatusBadRequest {
		t.Errorf("edit without body: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPut, edit, tokReporter, `{"body":"airlock: 0 findings"}`); r.status != http.StatusOK || decode[map[string]any](t, r)["body"] != "airlock: 0 findings" {
		t.Errorf("author edits: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPut, notes+"/999", tokReporter, `{"body":"x"}`); r.status != http.StatusNotFound {
		t.Errorf("unknown note: %d", r.status)
	}
	got := f.s.Notes(f.private, mr.IID)
	var bodies []string
	for _, n := range got {
		bodies = append(bodies, n.Body)
	}
	if diff := cmp.Diff([]string{"airlock: 0 findings", "second"}, bodies); diff != "" {
		t.Errorf("Notes (-want +got):\n%s", diff)
	}
	if r := f.get(t, fmt.Sprintf("/api/v4/projects/%d/merge_requests/%d", f.private.ID, mr.IID), tokDev); decode[map[string]any](t, r)["user_notes_count"] != 2.0 {
		t.Errorf("user_notes_count: %s", r.body)
	}
}

func TestCommitStatuses(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	sha := f.s.InitRepo(f.private, map[string]string{"go.mod": "module example.com/backend\n"})
	post := "/api/v4/projects/acme%2Fbackend/statuses/" + sha

	if r := f.send(t, http.MethodPost, post, tokReporter, `{"state":"pending"}`); r.status != http.StatusForbidden {
		t.Errorf("reporter posts a status: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, "/api/v4/projects/acme%2Fbackend/statuses/"+strings.Repeat("ab", 20), tokDev, `{"state":"pending"}`); r.status != http.StatusNotFound || string(r.body) != `{"message":"404 Commit Not Found"}` {
		t.Errorf("unknown sha: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, post, tokDev, `{"state":"done"}`); r.status != http.StatusBadRequest {
		t.Errorf("state=done: %d %s", r.status, r.body)
	}
	r := f.send(t, http.MethodPost, post, tokDev, `{"state":"pending","name":"airlock","target_url":"https://airlock.example.com/scans/1","description":"scanning"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("pending: %d %s", r.status, r.body)
	}
	sameShape(t, "POST /statuses", recorded(t, "api/status.json").(map[string]any), decode[map[string]any](t, r))
	st := decode[map[string]any](t, r)
	if st["status"] != "pending" || st["name"] != "airlock" || st["ref"] != "main" || st["sha"] != sha || st["description"] != "scanning" {
		t.Errorf("pending status: %s", r.body)
	}
	steps := []struct {
		state  string
		status int
		body   string
	}{
		{"pending", 400, `{"message":"Cannot transition status via :enqueue from :pending (Reason(s): Status cannot transition via \"enqueue\")"}`},
		{"running", 201, ""},
		{"running", 400, `{"message":"Cannot transition status via :run from :running (Reason(s): Status cannot transition via \"run\")"}`},
		{"pending", 400, `{"message":"Cannot transition status via :enqueue from :running (Reason(s): Status cannot transition via \"enqueue\")"}`},
		{"success", 201, ""},
		{"running", 201, ""}, // a new status after a finished one
		{"failed", 201, ""},
		{"success", 201, ""}, // new again
	}
	for i, step := range steps {
		r := f.send(t, http.MethodPost, post, tokDev, `{"state":"`+step.state+`","name":"airlock"}`)
		if r.status != step.status || (step.body != "" && string(r.body) != step.body) {
			t.Errorf("step %d %s: %d %s, want %d %s", i, step.state, r.status, r.body, step.status, step.body)
		}
	}
	got := f.s.Statuses(f.private, sha)
	var states []string
	for _, s := range got {
		states = append(states, s.State)
	}
	if diff := cmp.Diff([]string{"success", "failed", "success"}, states); diff != "" {
		t.Errorf("Statuses (-want +got):\n%s", diff)
	}
	if got[0].StartedAt.IsZero() || got[0].FinishedAt.IsZero() || got[0].TargetURL != "https://airlock.example.com/scans/1" {
		t.Errorf("first status: %+v", got[0])
	}
	f.send(t, http.MethodPost, post, tokDev, `{"state":"success"}`) // name "default"

	list := "/api/v4/projects/acme%2Fbackend/repository/commits/" + sha + "/statuses"
	r = f.get(t, list, tokReporter)
	rows := decode[[]map[string]any](t, r)
	if r.status != http.StatusOK || len(rows) != 2 || rows[0]["name"] != "default" || r.header.Get("X-Total") != "2" {
		t.Fatalf("latest statuses: %d %v %s", r.status, r.header, r.body)
	}
	sameShape(t, "GET /statuses[0]", recorded(t, "api/statuses.json").([]any)[0].(map[string]any), rows[0])
	if r := f.get(t, list+"?all=true&name=airlock", tokReporter); len(decode[[]any](t, r)) != 3 {
		t.Errorf("all=true&name=airlock: %s", r.body)
	}
	if r := f.get(t, list+"?ref=other", tokReporter); string(r.body) != "[]" {
		t.Errorf("ref=other: %s", r.body)
	}
}

func TestStatusTransitions(t *testing.T) {
	for _, tt := range []struct{ from, to, want string }{
		{"created", "pending", "pending"},
		{"created", "running", "running"},
		{"created", "success", "success"},
		{"created", "failed", "failed"},
		{"created", "canceled", "canceled"},
		{"pending", "running", "running"},
		{"pending", "canceled", "canceled"},
		{"running", "success", "success"},
		{"running", "failed", "failed"},
		{"pending", "pending", ""},
		{"running", "running", ""},
		{"running", "pending", ""},
	} {
		if got, msg := transition(tt.from, tt.to); got != tt.want || (tt.want == "") != (msg != "") {
			t.Errorf("%s → %s: %q %q, want %q", tt.from, tt.to, got, msg, tt.want)
		}
	}
}
