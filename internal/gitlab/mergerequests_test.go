package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

const marker = "<!-- airlock:mr-report -->"

// mrFixture is a project with a merge request from "fix" to "main"; the
// token's user is a Developer, and the user of the token "glpat-reviewer"
// a Reporter.
type mrFixture struct {
	*fixture
	project *gitlabtest.Project
	mr      *gitlabtest.MergeRequest
	client  *Client
}

func newMRFixture(t *testing.T) *mrFixture {
	t.Helper()
	f := newFixture(t)
	reviewer := f.srv.AddUser(gitlabtest.User{Username: "reviewer"})
	f.srv.AddToken(gitlabtest.Token{UserID: reviewer.ID, Value: "glpat-reviewer", Scopes: []string{"api"}})
	p := f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Developer, reviewer.ID: gitlabtest.Reporter}})
	f.srv.InitRepo(p, map[string]string{"go.mod": "module example.com/app\n"})
	f.srv.Commit(p, "fix", map[string]string{"go.sum": ""}, "fix")
	mr := f.srv.OpenMR(p, "fix", "main", "Fix things")
	return &mrFixture{fixture: f, project: p, mr: mr, client: newClient(t, f.srv.URL, f.token)}
}

func TestMergeRequest(t *testing.T) {
	f := newMRFixture(t)
	got, err := f.client.MergeRequest(context.Background(), int64(f.project.ID), int64(f.mr.IID))
	if err != nil {
		t.Fatalf("MergeRequest: %v", err)
	}
	want := MergeRequest{
		ProjectID: int64(f.project.ID), IID: int64(f.mr.IID), Title: "Fix things", State: "opened",
		SourceBranch: "fix", TargetBranch: "main", SourceProjectID: int64(f.project.ID), SHA: f.mr.SHA,
		BaseSHA: got.BaseSHA, WebURL: f.srv.URL + "/team/app/-/merge_requests/" + fmt.Sprint(f.mr.IID),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MergeRequest (-want +got):\n%s", diff)
	}
	_, err = f.client.MergeRequest(context.Background(), int64(f.project.ID), 999)
	wantCode(t, err, CodeNotFound, "!999")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound) = false", err)
	}
}

func TestUpsertMRNote(t *testing.T) {
	ctx := context.Background()
	f := newMRFixture(t)
	pid, iid := int64(f.project.ID), int64(f.mr.IID)
	bodies := func() []string {
		var out []string
		for _, n := range f.srv.Notes(f.project, f.mr.IID) {
			if !n.System {
				out = append(out, n.Body)
			}
		}
		return out
	}

	id, err := f.client.UpsertMRNote(ctx, pid, iid, 0, marker+"\nfirst")
	if err != nil {
		t.Fatalf("UpsertMRNote (new): %v", err)
	}
	id2, err := f.client.UpsertMRNote(ctx, pid, iid, id, marker+"\nsecond")
	if err != nil {
		t.Fatalf("UpsertMRNote (update): %v", err)
	}
	if id2 != id {
		t.Errorf("updated note has ID %d, want %d", id2, id)
	}
	if diff := cmp.Diff([]string{marker + "\nsecond"}, bodies()); diff != "" {
		t.Errorf("notes after the update (-want +got):\n%s", diff)
	}

	// A note ID that no longer exists: posted again.
	id3, err := f.client.UpsertMRNote(ctx, pid, iid, 424242, marker+"\nthird")
	if err != nil {
		t.Fatalf("UpsertMRNote (deleted note): %v", err)
	}
	if id3 == id || id3 == 0 {
		t.Errorf("re-posted note has ID %d", id3)
	}
	if diff := cmp.Diff([]string{marker + "\nsecond", marker + "\nthird"}, bodies()); diff != "" {
		t.Errorf("notes after re-posting (-want +got):\n%s", diff)
	}

	// On a merge request that does not exist.
	_, err = f.client.UpsertMRNote(ctx, pid, 999, 0, "x")
	wantCode(t, err, CodeNotFound, "!999")
}

func TestFindNote(t *testing.T) {
	ctx := context.Background()
	f := newMRFixture(t)
	pid, iid := int64(f.project.ID), int64(f.mr.IID)

	if _, err := f.client.FindNote(ctx, pid, iid, marker); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FindNote on an MR without notes = %v, want ErrNotFound", err)
	}

	// Someone else quotes the marker first; ours comes after two pages of
	// chatter.
	reviewer := newClient(t, f.srv.URL, "glpat-reviewer")
	if _, err := reviewer.UpsertMRNote(ctx, pid, iid, 0, "why does the bot say "+marker+"?"); err != nil {
		t.Fatalf("reviewer's note: %v", err)
	}
	for i := range 230 {
		if _, _, err := f.client.api.Notes.CreateMergeRequestNote(pid, iid, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(fmt.Sprint("note ", i))}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := f.client.UpsertMRNote(ctx, pid, iid, 0, marker+"\nreport")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.client.FindNote(ctx, pid, iid, marker)
	if err != nil {
		t.Fatalf("FindNote: %v", err)
	}
	if got != want {
		t.Errorf("FindNote = %d, want %d", got, want)
	}
	pages := 0
	for _, r := range f.srv.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/notes") {
			pages++
		}
	}
	if pages != 1+3 {
		t.Errorf("%d note listings, want 1 (empty) + 3 pages", pages)
	}
}

func TestSetCommitStatus(t *testing.T) {
	ctx := context.Background()
	f := newMRFixture(t)
	pid := int64(f.project.ID)
	sha := f.mr.SHA
	long := strings.Repeat("é", 300)

	for _, s := range []Status{
		{State: StatusPending, Ref: "fix", Description: "scanning"},
		{State: StatusRunning, Ref: "fix", Description: "scanning"},
		{State: StatusRunning, Ref: "fix", Description: "still scanning"}, // 400 Cannot transition: fine
		{State: StatusFailed, Ref: "fix", TargetURL: "https://airlock.example.com/r/1", Description: long},
	} {
		if err := f.client.SetCommitStatus(ctx, pid, sha, s); err != nil {
			t.Fatalf("SetCommitStatus(%s): %v", s.State, err)
		}
	}
	refused := 0
	for _, r := range f.srv.Requests() {
		if r.Method == "POST" && strings.Contains(r.Path, "/statuses/") && r.Status == 400 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d statuses refused with 400, want 1 (running again)", refused)
	}
	statuses := f.srv.Statuses(f.project, sha)
	if len(statuses) == 0 {
		t.Fatal("no status")
	}
	last := statuses[len(statuses)-1]
	if last.Name != "airlock" || last.State != "failed" || last.Ref != "fix" || last.TargetURL != "https://airlock.example.com/r/1" {
		t.Errorf("status %+v, want airlock failed on fix with the report URL", last)
	}
	if n := len([]rune(last.Description)); n != maxStatusDescription || !strings.HasSuffix(last.Description, "…") {
		t.Errorf("description of %d characters, want %d ending in …", n, maxStatusDescription)
	}

	// A Reporter may not set statuses.
	err := newClient(t, f.srv.URL, "glpat-reviewer").SetCommitStatus(ctx, pid, sha, Status{State: StatusSuccess})
	wantCode(t, err, CodeForbidden, "needs the Developer role")
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven chars", 10, "eleven ch…"},
		{"ééééé", 3, "éé…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
