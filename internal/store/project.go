package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Hook registration states of a project.
const (
	HookRegistered      = "registered"
	HookNeedsMaintainer = "needs_maintainer"
	HookFailed          = "failed"
	// HookNoAccess is a project the token's user has below Reporter on:
	// it cannot be cloned, so it is never scanned.
	HookNoAccess = "no_access"
)

// ReporterAccess is the least role that can clone a project.
const ReporterAccess = 20

// Project is a GitLab project an integration can see.
type Project struct {
	ID            int64     `json:"id"`
	IntegrationID int64     `json:"integration_id"`
	GitLabID      int64     `json:"gitlab_id"`
	Path          string    `json:"path_with_namespace"`
	WebURL        string    `json:"web_url"`
	HTTPURL       string    `json:"http_url_to_repo"`
	DefaultBranch string    `json:"default_branch"`
	AccessLevel   int       `json:"access_level"`
	EmptyRepo     bool      `json:"empty_repo"`
	Selected      bool      `json:"selected"`
	Visible       bool      `json:"visible"`
	HookID        *int64    `json:"hook_id,omitempty"`
	HookStatus    string    `json:"hook_status,omitempty"`
	HookError     string    `json:"hook_error,omitempty"`
	DiscoveredAt  time.Time `json:"discovered_at"`
	SeenAt        time.Time `json:"seen_at"`
}

const projectColumns = `id, integration_id, gitlab_id, path, web_url, http_url, default_branch, access_level, empty_repo, selected, visible, hook_id, hook_status, hook_error, discovered_at, seen_at`

func scanProject(r interface{ Scan(...any) error }) (Project, error) {
	var p Project
	var hook sql.NullInt64
	var discovered, seen int64
	err := r.Scan(&p.ID, &p.IntegrationID, &p.GitLabID, &p.Path, &p.WebURL, &p.HTTPURL, &p.DefaultBranch, &p.AccessLevel, &p.EmptyRepo, &p.Selected, &p.Visible, &hook, &p.HookStatus, &p.HookError, &discovered, &seen)
	if hook.Valid {
		p.HookID = &hook.Int64
	}
	p.DiscoveredAt, p.SeenAt = fromMillis(discovered), fromMillis(seen)
	return p, err
}

// UpsertProject records a discovered project: a new row, or the existing
// one refreshed (path, URLs, default branch, role) and marked visible. It
// reports whether the project is new; a new project's Selected is taken
// from p.
func (q Queries) UpsertProject(ctx context.Context, p *Project, now time.Time) (created bool, err error) {
	var id int64
	var selected bool
	err = q.row(ctx, `SELECT id, selected FROM project WHERE integration_id = ? AND gitlab_id = ?`, p.IntegrationID, p.GitLabID).Scan(&id, &selected)
	switch {
	case err == sql.ErrNoRows:
		p.DiscoveredAt, p.SeenAt, p.Visible = fromMillis(millis(now)), fromMillis(millis(now)), true
		p.ID, err = q.insert(ctx, `INSERT INTO project (integration_id, gitlab_id, path, web_url, http_url, default_branch, access_level, empty_repo, selected, visible, discovered_at, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?)`,
			p.IntegrationID, p.GitLabID, p.Path, p.WebURL, p.HTTPURL, p.DefaultBranch, p.AccessLevel, p.EmptyRepo, p.Selected, millis(now), millis(now))
		return err == nil, err
	case err != nil:
		return false, err
	}
	p.ID, p.Selected = id, selected
	_, err = q.exec(ctx, `UPDATE project SET path = ?, web_url = ?, http_url = ?, default_branch = ?, access_level = ?, empty_repo = ?, visible = TRUE, seen_at = ? WHERE id = ?`,
		p.Path, p.WebURL, p.HTTPURL, p.DefaultBranch, p.AccessLevel, p.EmptyRepo, millis(now), id)
	return false, err
}

// HideUnseen marks the integration's projects not seen since since as no
// longer visible to its token (removed, or membership lost). Their history
// stays; they are no longer scanned.
func (q Queries) HideUnseen(ctx context.Context, integrationID int64, since time.Time) (int64, error) {
	res, err := q.exec(ctx, `UPDATE project SET visible = FALSE WHERE integration_id = ? AND seen_at < ? AND visible`, integrationID, millis(since))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Project loads one project.
func (q Queries) Project(ctx context.Context, id int64) (Project, error) {
	p, err := scanProject(q.row(ctx, `SELECT `+projectColumns+` FROM project WHERE id = ?`, id))
	return p, notFound(err, "project", id)
}

// ProjectByGitLabID finds an integration's project by GitLab's ID.
func (q Queries) ProjectByGitLabID(ctx context.Context, integrationID, gitlabID int64) (Project, error) {
	p, err := scanProject(q.row(ctx, `SELECT `+projectColumns+` FROM project WHERE integration_id = ? AND gitlab_id = ?`, integrationID, gitlabID))
	return p, notFound(err, "GitLab project", gitlabID)
}

// ProjectFilter narrows a project listing. Zero fields do not filter.
type ProjectFilter struct {
	IntegrationID int64
	Selected      *bool
	Visible       *bool
	Search        string
	AfterID       int64
	Limit         int
}

// Projects lists projects by ID, a page at a time (Limit 0 means all).
func (q Queries) Projects(ctx context.Context, f ProjectFilter) ([]Project, error) {
	var where []string
	var args []any
	if f.IntegrationID != 0 {
		where, args = append(where, "integration_id = ?"), append(args, f.IntegrationID)
	}
	if f.Selected != nil {
		where, args = append(where, "selected = ?"), append(args, *f.Selected)
	}
	if f.Visible != nil {
		where, args = append(where, "visible = ?"), append(args, *f.Visible)
	}
	if f.Search != "" {
		where, args = append(where, "LOWER(path) LIKE ?"), append(args, "%"+strings.ToLower(f.Search)+"%")
	}
	if f.AfterID != 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	query := `SELECT ` + projectColumns + ` FROM project`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

// SetSelected selects or deselects one project.
func (q Queries) SetSelected(ctx context.Context, projectID int64, selected bool) error {
	return deleted(q.exec(ctx, `UPDATE project SET selected = ? WHERE id = ?`, selected, projectID))("project", projectID)
}

// SetHook records the outcome of registering a project's webhook.
func (q Queries) SetHook(ctx context.Context, projectID int64, hookID *int64, status, message string) error {
	var hook any
	if hookID != nil {
		hook = *hookID
	}
	return deleted(q.exec(ctx, `UPDATE project SET hook_id = ?, hook_status = ?, hook_error = ? WHERE id = ?`, hook, status, message, projectID))("project", projectID)
}

// Unscanned lists an integration's selected, visible projects that have
// never had a scan: those discovery queues a first scan for.
func (q Queries) Unscanned(ctx context.Context, integrationID int64) ([]Project, error) {
	rows, err := q.query(ctx, `SELECT `+projectColumns+` FROM project p WHERE integration_id = ? AND selected AND visible AND NOT empty_repo AND access_level >= 20 AND NOT EXISTS (SELECT 1 FROM scan s WHERE s.project_id = p.id) ORDER BY id`, integrationID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

// Due lists selected, visible projects whose default branch has had no
// scan queued since since: the scheduled scans.
func (q Queries) Due(ctx context.Context, since time.Time, limit int) ([]Project, error) {
	rows, err := q.query(ctx, `SELECT `+projectColumns+` FROM project p WHERE selected AND visible AND NOT empty_repo AND access_level >= 20 AND NOT EXISTS (SELECT 1 FROM scan s WHERE s.project_id = p.id AND s.branch = p.default_branch AND s.mr_iid IS NULL AND s.created_at >= ?) ORDER BY id LIMIT ?`, millis(since), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}
