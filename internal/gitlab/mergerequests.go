package gitlab

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// MergeRequest is what airlock needs of a merge request to scan it and
// report on it.
type MergeRequest struct {
	ProjectID       int64 // the target project
	IID             int64
	Title           string
	State           string // opened, closed, locked, merged
	SourceBranch    string
	TargetBranch    string
	SourceProjectID int64 // differs from ProjectID for a fork
	SHA             string
	BaseSHA         string // the merge base, empty until GitLab computed it
	WebURL          string
}

// MergeRequest fetches merge request iid of the project.
func (c *Client) MergeRequest(ctx context.Context, projectID, iid int64) (MergeRequest, error) {
	op := fmt.Sprintf("read merge request !%d of project %d", iid, projectID)
	mr, _, err := c.api.MergeRequests.GetMergeRequest(projectID, iid, nil, gl.WithContext(ctx))
	if err != nil {
		return MergeRequest{}, classify(op, err)
	}
	return MergeRequest{
		ProjectID:       mr.ProjectID,
		IID:             mr.IID,
		Title:           mr.Title,
		State:           mr.State,
		SourceBranch:    mr.SourceBranch,
		TargetBranch:    mr.TargetBranch,
		SourceProjectID: mr.SourceProjectID,
		SHA:             mr.SHA,
		BaseSHA:         mr.DiffRefs.BaseSha,
		WebURL:          mr.WebURL,
	}, nil
}

// UpsertMRNote keeps one note of airlock's on the merge request: it updates
// note noteID when noteID > 0, or creates the note when noteID is 0 or the
// note has been deleted, and returns the note's ID. Put a hidden marker in
// body (see FindNote) so that a lost ID can be found again.
func (c *Client) UpsertMRNote(ctx context.Context, projectID, iid, noteID int64, body string) (int64, error) {
	if noteID > 0 {
		op := fmt.Sprintf("update note %d on merge request !%d of project %d", noteID, iid, projectID)
		n, _, err := c.api.Notes.UpdateMergeRequestNote(projectID, iid, noteID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
		if err == nil {
			return n.ID, nil
		}
		if e := classify(op, err); CodeOf(e) != CodeNotFound {
			return 0, e
		}
		// Deleted by someone: post it again.
	}
	op := fmt.Sprintf("add a note to merge request !%d of project %d", iid, projectID)
	n, _, err := c.api.Notes.CreateMergeRequestNote(projectID, iid, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx))
	if err != nil {
		return 0, classify(op, err)
	}
	return n.ID, nil
}

// FindNote returns the ID of the oldest note on the merge request that the
// token's user wrote and whose body contains marker (such as
// "<!-- airlock:mr-report -->"), paging through all the notes. Notes by
// others are skipped even if they quote the marker: airlock could not
// update them. It returns an error matching ErrNotFound when there is none.
func (c *Client) FindNote(ctx context.Context, projectID, iid int64, marker string) (int64, error) {
	op := fmt.Sprintf("find airlock's note on merge request !%d of project %d", iid, projectID)
	me, err := c.self(ctx)
	if err != nil {
		return 0, err
	}
	opt := &gl.ListMergeRequestNotesOptions{
		ListOptions: gl.ListOptions{PerPage: 100},
		OrderBy:     gl.Ptr("created_at"),
		Sort:        gl.Ptr("asc"),
	}
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	for {
		notes, resp, err := c.api.Notes.ListMergeRequestNotes(projectID, iid, opt, opts...)
		if err != nil {
			return 0, classify(op, err)
		}
		for _, n := range notes {
			if !n.System && n.Author.ID == me && strings.Contains(n.Body, marker) {
				return n.ID, nil
			}
		}
		next, ok := gl.WithNext(resp)
		if !ok || len(notes) == 0 {
			return 0, fmt.Errorf("gitlab: %s: no note contains %q: %w", op, marker, ErrNotFound)
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
}

// StatusState is a commit status state.
type StatusState string

// Commit status states.
const (
	StatusPending  StatusState = "pending"
	StatusRunning  StatusState = "running"
	StatusSuccess  StatusState = "success"
	StatusFailed   StatusState = "failed"
	StatusCanceled StatusState = "canceled"
)

// Status is a commit status airlock sets.
type Status struct {
	State StatusState
	// Name is the status's name in GitLab's pipeline widget (default
	// "airlock").
	Name string
	// Ref is the branch the commit belongs to; optional.
	Ref string
	// TargetURL links to airlock's report; optional.
	TargetURL string
	// Description is a one-line summary; cut to 255 characters.
	Description string
}

// maxStatusDescription is GitLab's limit on a commit status description.
const maxStatusDescription = 255

// SetCommitStatus sets a commit status on sha. GitLab refuses a transition
// to the state the status is already in (400 "Cannot transition status via
// :run from :running"); that counts as success.
func (c *Client) SetCommitStatus(ctx context.Context, projectID int64, sha string, s Status) error {
	op := fmt.Sprintf("set the %s commit status on %s in project %d", s.State, shortSHA(sha), projectID)
	name := s.Name
	if name == "" {
		name = "airlock"
	}
	opt := &gl.SetCommitStatusOptions{
		State: gl.BuildStateValue(s.State),
		Name:  gl.Ptr(name),
	}
	if s.Ref != "" {
		opt.Ref = gl.Ptr(s.Ref)
	}
	if s.TargetURL != "" {
		opt.TargetURL = gl.Ptr(s.TargetURL)
	}
	if s.Description != "" {
		opt.Description = gl.Ptr(truncate(s.Description, maxStatusDescription))
	}
	_, _, err := c.api.Commits.SetCommitStatus(projectID, sha, opt, gl.WithContext(ctx))
	if err == nil {
		return nil
	}
	e := classify(op, err).(*Error)
	switch {
	case e.Code == CodeBadRequest && strings.Contains(e.Message, "Cannot transition status"):
		return nil
	case e.Code == CodeForbidden:
		e.Message = fmt.Sprintf("setting commit statuses on project %d needs the Developer role", projectID)
		e.Hint = "give the token's user the Developer role (or higher) on the project"
	}
	return e
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// BranchHead is the commit at the head of a branch of the project.
// CodeNotFound when the branch does not exist (an empty repository has
// none); CodeForbidden when the token's user may not read the code.
func (c *Client) BranchHead(ctx context.Context, projectID int64, branch string) (string, error) {
	op := fmt.Sprintf("read branch %s of project %d", branch, projectID)
	b, _, err := c.api.Branches.GetBranch(projectID, branch, gl.WithContext(ctx))
	if err != nil {
		return "", classify(op, err)
	}
	if b.Commit == nil {
		return "", nil
	}
	return b.Commit.ID, nil
}
