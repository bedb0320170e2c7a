package gitlab

import (
	"context"
	"errors"
	"fmt"

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
	hooks, err := c.projectHooks(ctx, projectID)
	if err != nil {
		return 0, c.hookError(ctx, op, projectID, err)
	}
	var existing []*gl.ProjectHook
	for _, h := range hooks {
		if h.URL == spec.URL {
			existing = append(existing, h)
		}
	}
	if len(existing) > 0 {
		h, _, err := c.api.Projects.EditProjectHook(projectID, existing[0].ID, &gl.EditProjectHookOptions{
			URL:                   gl.Ptr(spec.URL),
			Token:                 gl.Ptr(spec.Token),
			PushEvents:            gl.Ptr(spec.PushEvents),
			MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
			EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
		}, gl.WithContext(ctx))
		switch {
		case err == nil:
			for _, dup := range existing[1:] {
				if err := c.DeleteProjectHook(ctx, projectID, dup.ID); err != nil {
					return 0, err
				}
			}
			return h.ID, nil
		case CodeOf(classify(op, err)) != CodeNotFound:
			return 0, c.hookError(ctx, op, projectID, err)
		}
		// Deleted since it was listed: create it again.
	}
	h, _, err := c.api.Projects.AddProjectHook(projectID, &gl.AddProjectHookOptions{
		URL:                   gl.Ptr(spec.URL),
		Token:                 gl.Ptr(spec.Token),
		PushEvents:            gl.Ptr(spec.PushEvents),
		MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
		EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
	}, gl.WithContext(ctx))
	if err != nil {
		return 0, c.hookError(ctx, op, projectID, err)
	}
	return h.ID, nil
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
	hooks, _, err := c.api.SystemHooks.ListHooks(gl.WithContext(ctx))
	if err != nil {
		return 0, systemHookError(op, err)
	}
	var existing []*gl.Hook
	for _, h := range hooks {
		if h.URL == spec.URL {
			existing = append(existing, h)
		}
	}
	if len(existing) > 0 {
		h, _, err := c.api.SystemHooks.EditHook(existing[0].ID, &gl.EditHookOptions{
			URL:                   gl.Ptr(spec.URL),
			Token:                 gl.Ptr(spec.Token),
			PushEvents:            gl.Ptr(spec.PushEvents),
			MergeRequestsEvents:   gl.Ptr(spec.MergeRequestsEvents),
			EnableSSLVerification: gl.Ptr(spec.EnableSSLVerification),
		}, gl.WithContext(ctx))
		switch {
		case err == nil:
			for _, dup := range existing[1:] {
				if err := c.DeleteSystemHook(ctx, dup.ID); err != nil {
					return 0, err
				}
			}
			return h.ID, nil
		case CodeOf(classify(op, err)) != CodeNotFound:
			return 0, systemHookError(op, err)
		}
	}
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
