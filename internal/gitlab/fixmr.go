package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// ErrBranchTaken is matched by the error of UpsertFixMR when the fix
// branch's head is a commit airlock did not make: someone pushed to it, and
// airlock never overwrites their work.
var ErrBranchTaken = errors.New("the branch has commits airlock did not make")

// PlanTrailer starts the commit message trailer that marks airlock's fix
// commits, followed by the plan's digest.
const PlanTrailer = "Airlock-Plan: "

// FixFile is one file a fix commit writes.
type FixFile struct {
	Path    string
	Content []byte
	// New is set for a file the target branch does not have yet.
	New bool
}

// FixMR is a merge request that applies a remediation plan.
type FixMR struct {
	// Branch is the source branch (airlock/fix/<ecosystem>-<package>);
	// Target the branch the fix is for (the default branch).
	Branch, Target string
	Title          string
	// Description is the merge request's text; it should hold a hidden
	// marker so later runs can tell the merge request is airlock's.
	Description string
	Files       []FixFile
	Labels      []string
	// Digest identifies the plan's content: a branch whose head commit
	// carries it already holds this fix and is not pushed to again.
	Digest string
}

// FixMRResult says what UpsertFixMR did.
type FixMRResult struct {
	IID    int64
	WebURL string
	// Pushed is set when a commit was made; Created when the merge
	// request was opened, Updated when an open one was edited.
	Pushed, Created, Updated bool
}

// UpsertFixMR makes the fix's branch and merge request exist, quietly: the
// branch is created from Target with the commit in one commits API call
// (start_branch); a branch whose head is airlock's commit for the same
// digest is left alone, one for an older digest is rewritten from Target
// (airlock's own commit only), and one whose head someone else made is
// never touched (ErrBranchTaken). An open merge request for the branch is
// updated, never duplicated (GitLab's 409 for a duplicate is handled by
// finding the existing one).
func (c *Client) UpsertFixMR(ctx context.Context, projectID int64, m FixMR) (FixMRResult, error) {
	var res FixMRResult
	op := fmt.Sprintf("push the fix branch %s of project %d", m.Branch, projectID)
	b, _, err := c.api.Branches.GetBranch(projectID, m.Branch, gl.WithContext(ctx))
	exists := err == nil
	if err != nil {
		if e := classify(op, err); CodeOf(e) != CodeNotFound {
			return res, e
		}
	}
	trailer := PlanTrailer + m.Digest
	switch {
	case exists && b.Commit != nil && !strings.Contains(b.Commit.Message, PlanTrailer):
		return res, fmt.Errorf("gitlab: %s: its head %s is by %s: %w", op, shortSHA(b.Commit.ID), b.Commit.AuthorName, ErrBranchTaken)
	case exists && b.Commit != nil && strings.Contains(b.Commit.Message, trailer):
		// Already this fix.
	default:
		opt := &gl.CreateCommitOptions{
			Branch:        gl.Ptr(m.Branch),
			StartBranch:   gl.Ptr(m.Target),
			CommitMessage: gl.Ptr(m.Title + "\n\n" + trailer + "\n"),
		}
		if exists {
			// airlock's own older commit: made again from the target.
			opt.Force = gl.Ptr(true)
		}
		for _, f := range m.Files {
			action := gl.FileUpdate
			if f.New {
				action = gl.FileCreate
			}
			opt.Actions = append(opt.Actions, &gl.CommitActionOptions{Action: gl.Ptr(action), FilePath: gl.Ptr(f.Path), Content: gl.Ptr(string(f.Content))})
		}
		if _, _, err := c.api.Commits.CreateCommit(projectID, opt, gl.WithContext(ctx)); err != nil {
			return res, classify(op, err)
		}
		res.Pushed = true
	}
	for attempt := 0; attempt < 2; attempt++ {
		mr, err := c.openMR(ctx, projectID, m.Branch)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return res, err
		}
		if err == nil {
			res.IID, res.WebURL = mr.IID, mr.WebURL
			if mr.Title != m.Title || mr.Description != m.Description {
				uop := fmt.Sprintf("update merge request !%d of project %d", mr.IID, projectID)
				_, _, err := c.api.MergeRequests.UpdateMergeRequest(projectID, mr.IID, &gl.UpdateMergeRequestOptions{
					Title: gl.Ptr(m.Title), Description: gl.Ptr(m.Description)}, gl.WithContext(ctx))
				if err != nil {
					return res, classify(uop, err)
				}
				res.Updated = true
			}
			return res, nil
		}
		cop := fmt.Sprintf("open a merge request from %s in project %d", m.Branch, projectID)
		opt := &gl.CreateMergeRequestOptions{
			Title: gl.Ptr(m.Title), Description: gl.Ptr(m.Description),
			SourceBranch: gl.Ptr(m.Branch), TargetBranch: gl.Ptr(m.Target), RemoveSourceBranch: gl.Ptr(true),
		}
		if len(m.Labels) > 0 {
			l := gl.LabelOptions(m.Labels)
			opt.Labels = &l
		}
		created, _, err := c.api.MergeRequests.CreateMergeRequest(projectID, opt, gl.WithContext(ctx))
		if err == nil {
			res.IID, res.WebURL, res.Created = created.IID, created.WebURL, true
			return res, nil
		}
		if e := classify(cop, err); CodeOf(e) != CodeConflict {
			return res, e
		}
		// Opened meanwhile by another run: update that one.
	}
	return res, fmt.Errorf("gitlab: open a merge request from %s in project %d: GitLab reports one open but lists none", m.Branch, projectID)
}

// openMR is the open merge request from branch, ErrNotFound when none.
func (c *Client) openMR(ctx context.Context, projectID int64, branch string) (*gl.BasicMergeRequest, error) {
	op := fmt.Sprintf("find the open merge request from %s in project %d", branch, projectID)
	mrs, _, err := c.api.MergeRequests.ListProjectMergeRequests(projectID, &gl.ListProjectMergeRequestsOptions{
		SourceBranch: gl.Ptr(branch), State: gl.Ptr("opened")}, gl.WithContext(ctx))
	if err != nil {
		return nil, classify(op, err)
	}
	for _, mr := range mrs {
		if mr.SourceBranch == branch && mr.State == "opened" {
			return mr, nil
		}
	}
	return nil, fmt.Errorf("gitlab: %s: %w", op, ErrNotFound)
}

// CloseFixMR closes an obsolete fix merge request with a note saying why.
func (c *Client) CloseFixMR(ctx context.Context, projectID, iid int64, why string) error {
	if _, err := c.UpsertMRNote(ctx, projectID, iid, 0, why); err != nil {
		return err
	}
	op := fmt.Sprintf("close merge request !%d of project %d", iid, projectID)
	_, _, err := c.api.MergeRequests.UpdateMergeRequest(projectID, iid, &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx))
	if err != nil {
		return classify(op, err)
	}
	return nil
}

// OpenFix is an open merge request airlock made for a plan.
type OpenFix struct {
	IID    int64
	Branch string
	Title  string
	WebURL string
}

// FixMRs lists the project's open merge requests that airlock made for
// plans: source branch under prefix, written by the token's user, with
// marker in the description.
func (c *Client) FixMRs(ctx context.Context, projectID int64, prefix, marker string) ([]OpenFix, error) {
	op := fmt.Sprintf("list airlock's merge requests in project %d", projectID)
	me, err := c.self(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gl.ListProjectMergeRequestsOptions{State: gl.Ptr("opened"), ListOptions: gl.ListOptions{PerPage: 100}}
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	var out []OpenFix
	for {
		mrs, resp, err := c.api.MergeRequests.ListProjectMergeRequests(projectID, opt, opts...)
		if err != nil {
			return nil, classify(op, err)
		}
		for _, mr := range mrs {
			if mr.State == "opened" && strings.HasPrefix(mr.SourceBranch, prefix) && mr.Author != nil && mr.Author.ID == me && strings.Contains(mr.Description, marker) {
				out = append(out, OpenFix{IID: mr.IID, Branch: mr.SourceBranch, Title: mr.Title, WebURL: mr.WebURL})
			}
		}
		next, ok := gl.WithNext(resp)
		if !ok || len(mrs) == 0 {
			return out, nil
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
}
