package gitlab

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

// TestProjects lists 250 memberships over three keyset pages and leaves out
// archived projects and projects the user is not a member of.
func TestProjects(t *testing.T) {
	f := newFixture(t)
	other := f.srv.AddUser(gitlabtest.User{Username: "someone"})
	roles := []gitlabtest.AccessLevel{gitlabtest.Guest, gitlabtest.Reporter, gitlabtest.Developer, gitlabtest.Maintainer, gitlabtest.Owner}
	var want []Project
	for i := range 262 {
		p := gitlabtest.Project{
			Path:    fmt.Sprintf("group%d/sub/app%03d", i%3, i),
			Members: map[int]gitlabtest.AccessLevel{other.ID: gitlabtest.Owner},
		}
		switch {
		case i%50 == 7:
			p.Archived = true
			p.Members[f.user.ID] = gitlabtest.Developer
		case i%50 == 9:
			p.Visibility = gitlabtest.Public // visible, but not a membership
		default:
			p.Members[f.user.ID] = roles[i%len(roles)]
		}
		added := f.srv.AddProject(p)
		if p.Archived || p.Members[f.user.ID] == gitlabtest.NoAccess {
			continue
		}
		want = append(want, Project{
			ID:                int64(added.ID),
			PathWithNamespace: added.Path,
			Name:              fmt.Sprintf("app%03d", i),
			WebURL:            f.srv.URL + "/" + added.Path,
			HTTPURLToRepo:     f.srv.URL + "/" + added.Path + ".git",
			DefaultBranch:     "main",
			AccessLevel:       AccessLevel(p.Members[f.user.ID]),
			EmptyRepo:         true, // no repository was initialised
		})
	}
	if len(want) != 250 {
		t.Fatalf("fixture has %d memberships, want 250", len(want))
	}

	c := newClient(t, f.srv.URL, f.token)
	var got []Project
	if err := c.Projects(context.Background(), func(p Project) error { got = append(got, p); return nil }); err != nil {
		t.Fatalf("Projects: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Projects (-want +got):\n%s", diff)
	}

	// Three pages, the second and third asked for with the cursor of
	// GitLab's Link header.
	reqs := f.srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		q := r.Query
		for k, v := range map[string]string{"membership": "true", "archived": "false", "pagination": "keyset", "order_by": "id", "sort": "asc", "per_page": "100"} {
			if q.Get(k) != v {
				t.Errorf("request %d: %s=%q, want %q", i, k, q.Get(k), v)
			}
		}
		wantAfter := ""
		if i > 0 {
			wantAfter = fmt.Sprint(got[i*100-1].ID)
		}
		if q.Get("id_after") != wantAfter {
			t.Errorf("request %d: id_after=%q, want %q", i, q.Get("id_after"), wantAfter)
		}
	}
}

func TestProjectsStops(t *testing.T) {
	f := newFixture(t)
	for i := range 150 {
		f.srv.AddProject(gitlabtest.Project{Path: fmt.Sprintf("g/p%d", i), Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Developer}})
	}
	c := newClient(t, f.srv.URL, f.token)
	stop := errors.New("enough")
	n := 0
	err := c.Projects(context.Background(), func(Project) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 || len(f.srv.Requests()) != 1 {
		t.Errorf("Projects = %v after %d projects and %d requests; want the callback's error after 5 and 1", err, n, len(f.srv.Requests()))
	}

	// Errors are classified.
	revoked := f.srv.AddToken(gitlabtest.Token{UserID: f.user.ID, Value: "glpat-revoked", Scopes: []string{"api"}, Revoked: true})
	err = newClient(t, f.srv.URL, revoked.Value).Projects(context.Background(), func(Project) error { return nil })
	wantCode(t, err, CodeTokenRevoked, "list projects (page 1)")
}

func TestProjectsNone(t *testing.T) {
	f := newFixture(t)
	f.srv.AddProject(gitlabtest.Project{Path: "open/source", Visibility: gitlabtest.Public})
	n := 0
	if err := newClient(t, f.srv.URL, f.token).Projects(context.Background(), func(Project) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("Projects = %v with %d projects, want none and no error", err, n)
	}
	wantCode(t, NoProjectsError("airlock-bot"), CodeNoProjects, "(airlock-bot) is not a member of any project", "Developer", "Maintainer")
}

// TestToProject: the role is the higher of the project and group
// memberships.
func TestToProject(t *testing.T) {
	access := func(project, group int) *gl.Permissions {
		p := &gl.Permissions{}
		if project > 0 {
			p.ProjectAccess = &gl.ProjectAccess{AccessLevel: gl.AccessLevelValue(project)}
		}
		if group > 0 {
			p.GroupAccess = &gl.GroupAccess{AccessLevel: gl.AccessLevelValue(group)}
		}
		return p
	}
	tests := []struct {
		perm *gl.Permissions
		want AccessLevel
	}{
		{nil, NoAccess},
		{access(0, 0), NoAccess},
		{access(30, 0), Developer},
		{access(0, 40), Maintainer},
		{access(20, 50), Owner},
		{access(40, 30), Maintainer},
	}
	for _, tt := range tests {
		if got := toProject(&gl.Project{Permissions: tt.perm}).AccessLevel; got != tt.want {
			t.Errorf("access %+v: %s, want %s", tt.perm, got, tt.want)
		}
	}
	if got := AccessLevel(45).String(); got != "access level 45" {
		t.Errorf("AccessLevel(45) = %q", got)
	}
}

// BenchmarkProjects lists 5,000 projects through the stand-in.
func BenchmarkProjects(b *testing.B) {
	f := newFixture(b)
	for i := range 5000 {
		f.srv.AddProject(gitlabtest.Project{Path: fmt.Sprintf("group%d/app%d", i%40, i), Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Developer}})
	}
	c := newClient(b, f.srv.URL, f.token)
	ctx := context.Background()
	for b.Loop() {
		n := 0
		if err := c.Projects(ctx, func(Project) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 5000 {
			b.Fatalf("%d projects", n)
		}
	}
}
