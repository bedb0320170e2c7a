package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// HookSpec is a webhook airlock wants GitLab to call.
type HookSpec struct {
	// URL is where GitLab delivers events; airlock recognises its own hook
	// by it.
	URL string
	// Token is the secret GitLab sends in X-Gitlab-Token. GitLab never
	// returns it, so it is sent on every update.
	Token string
	// PushEvents and MergeRequestsEvents choose the events delivered.
	PushEvents          bool
	MergeRequestsEvents bool
	// EnableSSLVerification makes GitLab verify airlock's certificate.
	EnableSSLVerification bool
}

// EnsureProjectHook makes the project have exactly one webhook to spec.URL,
// configured as spec says: it updates the existing one (deleting any
// duplicates) or creates it, and returns its ID. Webhooks need the
// Maintainer role: below it the error (CodeForbidden) names the project and
// the user's role.
func (c *Client) EnsureProjectHook(ctx context.Context, projectID int64, spec HookSpec) (int64, error) {
	op := fmt.Sprintf("install the webhook on project %d", projectID)
	fail := func(err error) error { return c.hookError(ctx, op, projectID, err) }
	return ensureHook(spec.URL, hookOps{
		list: func() ([]hookRef, error) {
			hooks, err := c.projectHooks(ctx, projectID)
			if err != nil {
				return nil, fail(err)
			}
			refs := make([]hookRef, 0, len(hooks))
			for _, h := range hooks {
				refs = append(refs, hookRef{h.ID, h.URL})
			}
			return refs, nil
		},
		edit: func(id int64) (int64, error) {
			h, _, err := c.api.Projects.EditProjectHook(projectID, id, &gl.EditProjectHookOptions{
				URL:                   gl.Ptr(spec.URL),
				Token:                 gl.Ptr(spec.Token),
				PushEvents:            gl.Ptr(spec.PushEvents),
				MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
				EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
			}, gl.WithContext(ctx))
			if err != nil {
				return 0, fail(err)
			}
			return h.ID, nil
		},
		add: func() (int64, error) {
			h, _, err := c.api.Projects.AddProjectHook(projectID, &gl.AddProjectHookOptions{
				URL:                   gl.Ptr(spec.URL),
				Token:                 gl.Ptr(spec.Token),
				PushEvents:            gl.Ptr(spec.PushEvents),
				MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
				EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
			}, gl.WithContext(ctx))
			if err != nil {
				return 0, fail(err)
			}
			return h.ID, nil
		},
		del: func(id int64) error { return c.DeleteProjectHook(ctx, projectID, id) },
	})
}

// hookRef is a hook as ensureHook needs it.
type hookRef struct {
	id  int64
	url string
}

// hookOps are the API calls on one kind of hook; they return classified
// errors.
type hookOps struct {
	list func() ([]hookRef, error)
	edit func(id int64) (int64, error)
	add  func() (int64, error)
	del  func(id int64) error // a hook already gone is not an error
}

// ensureHook updates the first hook to url and deletes the others, or
// creates the hook. When the update finds nothing — the hook vanished
// meanwhile, or this GitLab cannot update that kind of hook (PUT answers 404
// or 405) — it replaces the hooks to url with a new one.
func ensureHook(url string, ops hookOps) (int64, error) {
	hooks, err := ops.list()
	if err != nil {
		return 0, err
	}
	var ours []int64
	for _, h := range hooks {
		if h.url == url {
			ours = append(ours, h.id)
		}
	}
	if len(ours) > 0 {
		id, err := ops.edit(ours[0])
		if err == nil {
			for _, dup := range ours[1:] {
				if err := ops.del(dup); err != nil {
					return 0, err
				}
			}
			return id, nil
		}
		if e, ok := errors.AsType[*Error](err); !ok || (e.Status != http.StatusNotFound && e.Status != http.StatusMethodNotAllowed) {
			return 0, err
		}
		for _, id := range ours {
			if err := ops.del(id); err != nil {
				return 0, err
			}
		}
	}
	return ops.add()
}

// projectHooks lists all the project's hooks, page by page.
func (c *Client) projectHooks(ctx context.Context, projectID int64) ([]*gl.ProjectHook, error) {
	opt := &gl.ListProjectHooksOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	var all []*gl.ProjectHook
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	for {
		hooks, resp, err := c.api.Projects.ListProjectHooks(projectID, opt, opts...)
		if err != nil {
			return nil, err
		}
		all = append(all, hooks...)
		next, ok := gl.WithNext(resp)
		if !ok || len(hooks) == 0 {
			return all, nil
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
}

// DeleteProjectHook deletes a project webhook. A hook that is already gone
// is not an error.
func (c *Client) DeleteProjectHook(ctx context.Context, projectID, hookID int64) error {
	op := fmt.Sprintf("delete webhook %d of project %d", hookID, projectID)
	_, err := c.api.Projects.DeleteProjectHook(projectID, hookID, gl.WithContext(ctx))
	if err == nil {
		return nil
	}
	if CodeOf(classify(op, err)) == CodeNotFound {
		// Either the hook is gone or so is the project (or the user's access
		// to it): there is no hook of ours left to delete either way.
		return nil
	}
	return c.hookError(ctx, op, projectID, err)
}

// hookError classifies err and, for a 403 that is about the role rather
// than the token's scope, says that webhooks need Maintainer and what the
// user has on the project.
func (c *Client) hookError(ctx context.Context, op string, projectID int64, err error) error {
	e := classify(op, err).(*Error)
	if e.Code != CodeForbidden {
		if e.Code == CodeNotFound {
			e.Message = fmt.Sprintf("project %d does not exist or is not visible to the token's user", projectID)
		}
		return e
	}
	project, role := fmt.Sprintf("project %d", projectID), ""
	if p, _, perr := c.api.Projects.GetProject(projectID, nil, gl.WithContext(ctx)); perr == nil {
		project = p.PathWithNamespace
		role = toProject(p).AccessLevel.String()
	}
	e.Op = fmt.Sprintf("%s (%s)", e.Op, project)
	e.Message = "managing webhooks on " + project + " needs the Maintainer role"
	if role != "" {
		e.Message += "; the token's user has " + role
	}
	e.Hint = "give the token's user the Maintainer role on " + project + " (or its group), or install the webhook yourself"
	return e
}

// EnsureSystemHook makes the instance have exactly one system hook to
// spec.URL, configured as spec says, and returns its ID. System hooks also
// deliver project_create events, so new projects are scanned at once.
// They need an instance administrator's token (CodeForbidden otherwise).
func (c *Client) EnsureSystemHook(ctx context.Context, spec HookSpec) (int64, error) {
	const op = "install the system hook"
	return ensureHook(spec.URL, hookOps{
		list: func() ([]hookRef, error) {
			hooks, _, err := c.api.SystemHooks.ListHooks(gl.WithContext(ctx))
			if err != nil {
				return nil, systemHookError(op, err)
			}
			refs := make([]hookRef, 0, len(hooks))
			for _, h := range hooks {
				refs = append(refs, hookRef{h.ID, h.URL})
			}
			return refs, nil
		},
		edit: func(id int64) (int64, error) {
			h, _, err := c.api.SystemHooks.EditHook(id, &gl.EditHookOptions{
				URL:                   gl.Ptr(spec.URL),
				Token:                 gl.Ptr(spec.Token),
				PushEvents:            gl.Ptr(spec.PushEvents),
				MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
				EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
			}, gl.WithContext(ctx))
			if err != nil {
				return 0, systemHookError(op, err)
			}
			return h.ID, nil
		},
		add: func() (int64, error) {
			h, _, err := c.api.SystemHooks.AddHook(&gl.AddHookOptions{
				URL:                   gl.Ptr(spec.URL),
				Token:                 gl.Ptr(spec.Token),
				PushEvents:            gl.Ptr(spec.PushEvents),
				MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
				EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
			}, gl.WithContext(ctx))
			if err != nil {
				return 0, systemHookError(op, err)
			}
			return h.ID, nil
		},
		del: func(id int64) error { return c.DeleteSystemHook(ctx, id) },
	})
}

// DeleteSystemHook deletes a system hook. A hook that is already gone is
// not an error.
func (c *Client) DeleteSystemHook(ctx context.Context, hookID int64) error {
	op := fmt.Sprintf("delete system hook %d", hookID)
	_, err := c.api.SystemHooks.DeleteHook(hookID, gl.WithContext(ctx))
	if err == nil || errors.Is(classify(op, err), ErrNotFound) {
		return nil
	}
	return systemHookError(op, err)
}

func systemHookError(op string, err error) error {
	e := classify(op, err).(*Error)
	if e.Code == CodeForbidden {
		e.Message = "system hooks need an instance administrator"
		e.Hint = "use a token of an administrator, or install project webhooks instead"
	}
	return e
}

// DeleteProjectHooksTo deletes every webhook of the project that calls
// one of urls, whoever installed it, and returns the IDs of those that
// went. A project that is
// gone is not an error; below Maintainer the error is CodeForbidden.
func (c *Client) DeleteProjectHooksTo(ctx context.Context, projectID int64, urls ...string) ([]int64, error) {
	op := fmt.Sprintf("list the webhooks of project %d", projectID)
	hooks, err := c.projectHooks(ctx, projectID)
	if err != nil {
		if CodeOf(classify(op, err)) == CodeNotFound {
			return nil, nil
		}
		return nil, c.hookError(ctx, op, projectID, err)
	}
	var gone []int64
	for _, h := range hooks {
		if !slices.Contains(urls, h.URL) {
			continue
		}
		if err := c.DeleteProjectHook(ctx, projectID, h.ID); err != nil {
			return gone, err
		}
		gone = append(gone, h.ID)
	}
	return gone, nil
}

// DeleteSystemHooksTo deletes every system hook that calls one of urls
// and returns the IDs of those that went.
func (c *Client) DeleteSystemHooksTo(ctx context.Context, urls ...string) ([]int64, error) {
	hooks, _, err := c.api.SystemHooks.ListHooks(gl.WithContext(ctx))
	if err != nil {
		return nil, systemHookError("list the system hooks", err)
	}
	var gone []int64
	for _, h := range hooks {
		if !slices.Contains(urls, h.URL) {
			continue
		}
		if err := c.DeleteSystemHook(ctx, h.ID); err != nil {
			return gone, err
		}
		gone = append(gone, h.ID)
	}
	return gone, nil
}
