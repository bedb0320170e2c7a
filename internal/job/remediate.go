package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/gitlab"
)

// FixMRClient is what Remediate needs of GitLab; *gitlab.Client is one.
type FixMRClient interface {
	UpsertFixMR(ctx context.Context, projectID int64, m gitlab.FixMR) (gitlab.FixMRResult, error)
	CloseFixMR(ctx context.Context, projectID, iid int64, why string) error
	FixMRs(ctx context.Context, projectID int64, prefix, marker string) ([]gitlab.OpenFix, error)
}

// Limits on open airlock merge requests.
const (
	DefaultProjectFixMRs  = 5
	DefaultInstanceFixMRs = 50
)

// fixBranchPrefix is the prefix of every fix branch (fix.Plan.Branch).
const fixBranchPrefix = "airlock/fix/"

// RemediateOptions are the settings of one project's remediation.
type RemediateOptions struct {
	// Target is the branch the fixes are for (the default branch).
	Target string
	// Labels are put on new merge requests.
	Labels []string
	// ProjectLimit bounds the project's open airlock merge requests
	// (default 5); InstanceLimit the instance's (default 50), of which
	// InstanceOpen are open in other projects.
	ProjectLimit, InstanceLimit, InstanceOpen int
}

// RemediateResult says what Remediate did.
type RemediateResult struct {
	// MRs are the merge requests of the plans pushed or kept, by branch.
	MRs map[string]gitlab.FixMRResult
	// Closed are the merge requests closed as obsolete.
	Closed []gitlab.OpenFix
	// Deferred are the branches of plans left for later by the limits;
	// Taken those whose branch someone else pushed to.
	Deferred, Taken []string
}

// Remediate turns a project's approved, applied plans into merge requests
// and closes airlock's merge requests that no plan wants any more (the
// vulnerability is gone from the target branch, or the dependency): the
// most severe plans first, an open merge request updated in place, new
// ones only within the project's and the instance's limits.
func Remediate(ctx context.Context, c FixMRClient, projectID int64, plans []fix.Plan, o RemediateOptions) (RemediateResult, error) {
	res := RemediateResult{MRs: map[string]gitlab.FixMRResult{}}
	if o.ProjectLimit <= 0 {
		o.ProjectLimit = DefaultProjectFixMRs
	}
	if o.InstanceLimit <= 0 {
		o.InstanceLimit = DefaultInstanceFixMRs
	}
	var ready []fix.Plan
	for _, p := range plans {
		if p.Failed == "" && len(p.Edits) > 0 {
			ready = append(ready, p)
		}
	}
	slices.SortStableFunc(ready, func(a, b fix.Plan) int {
		return cmp.Or(cmp.Compare(severityOf(b), severityOf(a)), cmp.Compare(a.Key, b.Key))
	})
	existing, err := c.FixMRs(ctx, projectID, fixBranchPrefix, fix.Marker)
	if err != nil {
		return res, err
	}
	wanted := map[string]bool{}
	for _, p := range ready {
		wanted[p.Branch()] = true
	}
	open := map[string]bool{}
	for _, e := range existing {
		if wanted[e.Branch] {
			open[e.Branch] = true
			continue
		}
		why := fmt.Sprintf("%s\nClosed by airlock: %s is no longer needed — the vulnerability is not found on %s any more (fixed there, or the dependency removed).", fix.Marker, e.Title, o.Target)
		if err := c.CloseFixMR(ctx, projectID, e.IID, why); err != nil {
			return res, err
		}
		res.Closed = append(res.Closed, e)
	}
	count, opened := len(open), 0
	for _, p := range ready {
		branch := p.Branch()
		if !open[branch] && (count >= o.ProjectLimit || o.InstanceOpen+opened >= o.InstanceLimit) {
			res.Deferred = append(res.Deferred, branch)
			continue
		}
		m := gitlab.FixMR{Branch: branch, Target: o.Target, Title: p.Title, Description: p.Description(), Labels: o.Labels, Digest: p.Digest()}
		for _, e := range p.Edits {
			m.Files = append(m.Files, gitlab.FixFile{Path: e.Path, Content: e.New, New: e.Old == nil})
		}
		r, err := c.UpsertFixMR(ctx, projectID, m)
		if errors.Is(err, gitlab.ErrBranchTaken) {
			res.Taken = append(res.Taken, branch)
			continue
		}
		if err != nil {
			return res, err
		}
		res.MRs[branch] = r
		if r.Created {
			count++
			opened++
		}
	}
	return res, nil
}

// severityOf is a plan's highest severity rank.
func severityOf(p fix.Plan) int {
	r := 0
	for _, c := range p.Changes {
		r = max(r, c.Severity.Rank())
	}
	return r
}
