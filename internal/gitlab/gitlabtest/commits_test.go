package gitlabtest

import (
	"net/http"
	"strings"
	"testing"
)

// TestCommitsAPI: the commits API creates a branch and its commit in one
// call in the real repository, and answers GitLab's errors.
func TestCommitsAPI(t *testing.T) {
	needGit(t)
	f := newFixture(t)
	f.withBranches(t)
	const commits = "/api/v4/projects/acme%2Fbackend/repository/commits"
	body := `{"branch":"airlock/fix/go-x","start_branch":"main","commit_message":"Upgrade x\n\nAirlock-Plan: 1","actions":[` +
		`{"action":"update","file_path":"go.mod","content":"module example.com/backend\n\nrequire x v1.0.1\n"},` +
		`{"action":"create","file_path":"go.sum","content":"eA==","encoding":"base64"}]}`

	if r := f.send(t, http.MethodPost, commits, tokReporter, body); r.status != http.StatusForbidden {
		t.Errorf("reporter commits: %d %s", r.status, r.body)
	}
	r := f.send(t, http.MethodPost, commits, tokDev, body)
	if r.status != http.StatusCreated {
		t.Fatalf("developer commits: %d %s", r.status, r.body)
	}
	got := decode[commitJSON](t, r)
	sameShape(t, "POST /repository/commits", recorded(t, "api/commit.json").(map[string]any), decode[map[string]any](t, r))
	head, ok := f.s.branchHead(f.private, "airlock/fix/go-x")
	main, _ := f.s.branchHead(f.private, "main")
	if !ok || head != got.ID || len(got.ParentIDs) != 1 || got.ParentIDs[0] != main || got.Title != "Upgrade x" {
		t.Fatalf("branch head %s, commit %+v, main %s", head, got, main)
	}
	dir := "--git-dir=" + f.s.repoPath(f.private)
	for path, want := range map[string]string{"go.mod": "module example.com/backend\n\nrequire x v1.0.1\n", "go.sum": "x"} {
		if out, err := f.s.git(nil, dir, "show", head+":"+path); err != nil || out != strings.TrimSpace(want) {
			t.Errorf("%s on the branch: %q %v", path, out, err)
		}
	}

	for _, tc := range []struct {
		name, token, body string
		status            int
		msg               string
	}{
		{"existing branch, other start", tokDev, body, 400, "A branch called 'airlock/fix/go-x' already exists"},
		{"new branch without a start", tokDev, `{"branch":"b2","commit_message":"m","actions":[{"action":"create","file_path":"a","content":"a"}]}`, 400, "You can only create or edit files when you are on a branch"},
		{"create an existing file", tokDev, `{"branch":"b2","start_branch":"main","commit_message":"m","actions":[{"action":"create","file_path":"go.mod","content":"a"}]}`, 400, "A file with this name already exists"},
		{"update a missing file", tokDev, `{"branch":"b2","start_branch":"main","commit_message":"m","actions":[{"action":"update","file_path":"nope","content":"a"}]}`, 400, "A file with this name doesn't exist"},
		{"stale last_commit_id", tokDev, `{"branch":"airlock/fix/go-x","commit_message":"m","actions":[{"action":"update","file_path":"go.mod","content":"a","last_commit_id":"0123"}]}`, 400, "The file has changed since you started editing it"},
		{"protected default branch", tokDev, `{"branch":"main","commit_message":"m","actions":[{"action":"update","file_path":"go.mod","content":"a"}]}`, 403, "You are not allowed to push into this branch"},
		{"missing fields", tokDev, `{"branch":"b3"}`, 400, "commit_message is missing, actions is missing"},
	} {
		if r := f.send(t, http.MethodPost, commits, tc.token, tc.body); r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, r.status, r.body, tc.status, tc.msg)
		}
	}
	if h, _ := f.s.branchHead(f.private, "airlock/fix/go-x"); h != head {
		t.Error("a refused commit moved the branch")
	}

	// On top of the branch itself; the maintainer may write main.
	r = f.send(t, http.MethodPost, commits, tokDev, `{"branch":"airlock/fix/go-x","commit_message":"again","actions":[{"action":"delete","file_path":"go.sum"}]}`)
	if r.status != http.StatusCreated || decode[commitJSON](t, r).ParentIDs[0] != head {
		t.Errorf("commit on the branch: %d %s", r.status, r.body)
	}
	// force rewrites the branch from the start.
	r = f.send(t, http.MethodPost, commits, tokDev, `{"branch":"airlock/fix/go-x","start_branch":"main","force":true,"commit_message":"anew","actions":[{"action":"create","file_path":"go.sum","content":"y"}]}`)
	if r.status != http.StatusCreated || decode[commitJSON](t, r).ParentIDs[0] != main {
		t.Errorf("forced commit: %d %s", r.status, r.body)
	}
	if r := f.send(t, http.MethodPost, commits, tokMaintainer, `{"branch":"main","commit_message":"m","actions":[{"action":"update","file_path":"go.mod","content":"module x\n"}]}`); r.status != http.StatusCreated {
		t.Errorf("maintainer commits to main: %d %s", r.status, r.body)
	}
}
