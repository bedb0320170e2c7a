package gitlab

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

const hookURL = "https://airlock.example.com/hooks/gitlab"

// hook is what the tests check of a stand-in's project hook.
type hook struct {
	ID                    int
	URL, Token            string
	PushEvents            bool
	MergeRequestsEvents   bool
	EnableSSLVerification bool
}

func hooksOf(srv *gitlabtest.Server, p *gitlabtest.Project) []hook {
	var out []hook
	for _, h := range srv.Hooks(p) {
		out = append(out, hook{h.ID, h.URL, h.Token, h.PushEvents, h.MergeRequestsEvents, h.EnableSSLVerification})
	}
	return out
}

func TestEnsureProjectHook(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Maintainer}})
	c := newClient(t, f.srv.URL, f.token)
	pid := int64(p.ID)

	// Created.
	id, err := c.EnsureProjectHook(ctx, pid, HookSpec{URL: hookURL, Token: "s3cret", PushEvents: true, MergeRequestsEvents: true, EnableSSLVerification: true})
	if err != nil {
		t.Fatalf("EnsureProjectHook: %v", err)
	}
	want := []hook{{ID: int(id), URL: hookURL, Token: "s3cret", PushEvents: true, MergeRequestsEvents: true, EnableSSLVerification: true}}
	if diff := cmp.Diff(want, hooksOf(f.srv, p)); diff != "" {
		t.Fatalf("hooks after creation (-want +got):\n%s", diff)
	}

	// Updated in place: new secret, no push events, no TLS verification.
	id2, err := c.EnsureProjectHook(ctx, pid, HookSpec{URL: hookURL, Token: "rotated", MergeRequestsEvents: true})
	if err != nil {
		t.Fatalf("EnsureProjectHook again: %v", err)
	}
	if id2 != id {
		t.Errorf("hook ID %d after the update, want %d", id2, id)
	}
	want = []hook{{ID: int(id), URL: hookURL, Token: "rotated", MergeRequestsEvents: true}}
	if diff := cmp.Diff(want, hooksOf(f.srv, p)); diff != "" {
		t.Fatalf("hooks after the update (-want +got):\n%s", diff)
	}

	// A duplicate of ours goes; someone else's hook stays.
	for _, u := range []string{hookURL, "https://ci.example.com/hook"} {
		if _, _, err := c.api.Projects.AddProjectHook(pid, &gl.AddProjectHookOptions{URL: gl.Ptr(u)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.EnsureProjectHook(ctx, pid, HookSpec{URL: hookURL, Token: "rotated", MergeRequestsEvents: true}); err != nil {
		t.Fatalf("EnsureProjectHook with a duplicate: %v", err)
	}
	var urls []string
	for _, h := range f.srv.Hooks(p) {
		urls = append(urls, h.URL)
	}
	if diff := cmp.Diff([]string{hookURL, "https://ci.example.com/hook"}, urls); diff != "" {
		t.Errorf("hook URLs (-want +got):\n%s", diff)
	}

	// Deleted, and deleting again is fine.
	for range 2 {
		if err := c.DeleteProjectHook(ctx, pid, id); err != nil {
			t.Fatalf("DeleteProjectHook: %v", err)
		}
	}
	if hooks := f.srv.Hooks(p); len(hooks) != 1 || hooks[0].URL == hookURL {
		t.Errorf("hooks after deletion: %+v", hooks)
	}
}

func TestProjectHookErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dev := f.srv.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Developer}})
	hidden := f.srv.AddProject(gitlabtest.Project{Path: "secret/app"})
	c := newClient(t, f.srv.URL, f.token)
	spec := HookSpec{URL: hookURL, Token: "s", PushEvents: true}

	_, err := c.EnsureProjectHook(ctx, int64(dev.ID), spec)
	wantCode(t, err, CodeForbidden, "team/app", "needs the Maintainer role", "has Developer")
	err = c.DeleteProjectHook(ctx, int64(dev.ID), 1)
	wantCode(t, err, CodeForbidden, "team/app", "Maintainer")

	_, err = c.EnsureProjectHook(ctx, int64(hidden.ID), spec)
	wantCode(t, err, CodeNotFound, "does not exist or is not visible")

	// A token without the api scope is told so, not told about roles.
	f.srv.AddToken(gitlabtest.Token{UserID: f.user.ID, Value: "glpat-read", Scopes: []string{"read_api"}})
	maint := f.srv.AddProject(gitlabtest.Project{Path: "team/lib", Members: map[int]gitlabtest.AccessLevel{f.user.ID: gitlabtest.Maintainer}})
	_, err = newClient(t, f.srv.URL, "glpat-read").EnsureProjectHook(ctx, int64(maint.ID), spec)
	wantCode(t, err, CodeInsufficientScope, "api")
}

func TestEnsureSystemHook(t *testing.T) {
	ctx := context.Background()
	srv := gitlabtest.New(t)
	admin := srv.AddUser(gitlabtest.User{Username: "root", Admin: true})
	srv.AddToken(gitlabtest.Token{UserID: admin.ID, Value: testToken, Scopes: []string{"api"}})
	c := newClient(t, srv.URL, testToken)

	if _, err := c.EnsureSystemHook(ctx, HookSpec{URL: hookURL, Token: "s1", PushEvents: true, EnableSSLVerification: true}); err != nil {
		t.Fatalf("EnsureSystemHook: %v", err)
	}
	id, err := c.EnsureSystemHook(ctx, HookSpec{URL: hookURL, Token: "s2", MergeRequestsEvents: true})
	if err != nil {
		t.Fatalf("EnsureSystemHook again: %v", err)
	}
	hooks := srv.SystemHooks()
	if len(hooks) != 1 {
		t.Fatalf("%d system hooks, want 1: %+v", len(hooks), hooks)
	}
	h := hooks[0]
	if int64(h.ID) != id || h.URL != hookURL || h.Token != "s2" || h.PushEvents || !h.MergeRequestsEvents || h.EnableSSLVerification {
		t.Errorf("system hook %+v, want ID %d, token s2, merge request events only", h, id)
	}
	for range 2 {
		if err := c.DeleteSystemHook(ctx, id); err != nil {
			t.Fatalf("DeleteSystemHook: %v", err)
		}
	}
	if hooks := srv.SystemHooks(); len(hooks) != 0 {
		t.Errorf("system hooks after deletion: %+v", hooks)
	}

	// Not an administrator.
	user := srv.AddUser(gitlabtest.User{Username: "alice"})
	srv.AddToken(gitlabtest.Token{UserID: user.ID, Value: "glpat-alice", Scopes: []string{"api"}})
	_, err = newClient(t, srv.URL, "glpat-alice").EnsureSystemHook(ctx, HookSpec{URL: hookURL})
	wantCode(t, err, CodeForbidden, "instance administrator")
}
