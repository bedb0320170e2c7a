package gitlab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

// TestUpsertFixMR: the branch and its commit come from one commits API
// call, the merge request is opened once, a re-run changes nothing, a new
// plan rewrites airlock's own commit and updates the merge request, a
// branch someone else pushed to is left alone, and an obsolete merge
// request is closed with a note.
func TestUpsertFixMR(t *testing.T) {
	ctx := context.Background()
	f := newMRFixture(t)
	pid := int64(f.project.ID)
	m := FixMR{
		Branch: "airlock/fix/go-golang.org-x-net", Target: "main", Title: "Upgrade golang.org/x/net",
		Description: "<!-- airlock:fix -->\nfirst", Digest: "d1", Labels: []string{"security", "dependencies"},
		Files: []FixFile{{Path: "go.mod", Content: []byte("module example.com/app\n\nrequire golang.org/x/net v0.38.0\n")}, {Path: "go.sum", Content: []byte("sum\n"), New: true}},
	}
	res, err := f.client.UpsertFixMR(ctx, pid, m)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || !res.Created || res.IID == 0 || !strings.Contains(res.WebURL, "/merge_requests/") {
		t.Fatalf("first run: %+v", res)
	}
	open := func() []gitlabtest.MergeRequest {
		var out []gitlabtest.MergeRequest
		for _, mr := range f.srv.MergeRequests(f.project) {
			if mr.SourceBranch == m.Branch && mr.State == gitlabtest.MROpened {
				out = append(out, mr)
			}
		}
		return out
	}
	if mrs := open(); len(mrs) != 1 || mrs[0].Description != m.Description || mrs[0].TargetBranch != "main" {
		t.Fatalf("merge requests: %+v", mrs)
	}
	if mrs := open(); !slices.Equal(mrs[0].Labels, m.Labels) {
		t.Errorf("labels %v, want the configured %v", mrs[0].Labels, m.Labels)
	}
	head, _ := f.client.BranchHead(ctx, pid, m.Branch)
	fixes, err := f.client.FixMRs(ctx, pid, "airlock/fix/", "<!-- airlock:fix -->")
	if err != nil || len(fixes) != 1 || fixes[0].Branch != m.Branch || fixes[0].IID != res.IID {
		t.Fatalf("FixMRs: %+v %v (the merge request from fix is not airlock's)", fixes, err)
	}

	res, err = f.client.UpsertFixMR(ctx, pid, m)
	if err != nil || res.Pushed || res.Created || res.Updated {
		t.Fatalf("re-run: %+v %v", res, err)
	}
	if h, _ := f.client.BranchHead(ctx, pid, m.Branch); h != head {
		t.Error("a re-run pushed")
	}

	m.Digest, m.Description = "d2", "<!-- airlock:fix -->\nsecond"
	res, err = f.client.UpsertFixMR(ctx, pid, m)
	if err != nil || !res.Pushed || res.Created || !res.Updated {
		t.Fatalf("new plan: %+v %v", res, err)
	}
	if mrs := open(); len(mrs) != 1 || mrs[0].Description != m.Description {
		t.Fatalf("after the new plan: %+v", mrs)
	}

	// Someone pushes to the branch: airlock leaves it alone.
	f.srv.Commit(f.project, m.Branch, map[string]string{"NOTES": "mine\n"}, "a person's commit")
	m.Digest = "d3"
	if _, err := f.client.UpsertFixMR(ctx, pid, m); !errors.Is(err, ErrBranchTaken) {
		t.Fatalf("branch taken: %v", err)
	}

	if err := f.client.CloseFixMR(ctx, pid, res.IID, "<!-- airlock:fix -->\nClosed: golang.org/x/net is no longer vulnerable on main."); err != nil {
		t.Fatal(err)
	}
	if len(open()) != 0 {
		t.Error("the merge request is still open")
	}
	var notes []string
	for _, n := range f.srv.Notes(f.project, int(res.IID)) {
		if !n.System {
			notes = append(notes, n.Body)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "no longer vulnerable") {
		t.Errorf("notes %q", notes)
	}
}
