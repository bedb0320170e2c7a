package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/store"
)

// Polling. An integration routed via agent without an address where the
// agent receives GitLab's webhooks (agent_webhook_url empty) gets no
// events: GitLab cannot reach the server. Every ChangePollInterval the
// server asks GitLab, through the agent, for each selected project's
// default-branch head and open merge requests, and queues what a webhook
// would have: a scan of a new default-branch commit (trigger push) and of
// a new merge request head (trigger merge_request, with its note).

// PollArgs is one round of polling.
type PollArgs struct{}

// Kind is River's name for the job.
func (PollArgs) Kind() string { return "poll" }

// InsertOpts: a failed round is not retried, the next one comes.
func (PollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	r *Runner
}

// Timeout: a round must end before the next is due.
func (w *pollWorker) Timeout(*river.Job[PollArgs]) time.Duration {
	return max(w.r.c.ChangePollInterval, time.Minute)
}

func (w *pollWorker) Work(ctx context.Context, _ *river.Job[PollArgs]) error {
	_, err := w.r.Poll(ctx)
	return err
}

// Polled reports whether the server polls the integration: it is routed
// via agent and GitLab's webhooks have no address to reach.
func Polled(in store.Integration) bool {
	return in.ViaAgent && in.AgentHookURL == "" && in.DiscoveryStatus != "deleting"
}

// Poll does one round over every polled integration and returns how many
// scans it queued. An integration or project that cannot be read is
// logged and skipped; the errors are returned together.
func (r *Runner) Poll(ctx context.Context) (int, error) {
	ins, err := r.c.Store.Integrations(ctx)
	if err != nil {
		return 0, err
	}
	queued := 0
	var errs []error
	for _, in := range ins {
		if !Polled(in) {
			continue
		}
		n, err := r.pollIntegration(ctx, in)
		queued += n
		if err != nil {
			r.log.WarnContext(ctx, "poll of an integration incomplete", "integration_id", in.ID, "error", err.Error())
			r.retestOnFailure(ctx, in.ID, err)
			errs = append(errs, fmt.Errorf("integration %d: %w", in.ID, err))
		}
	}
	return queued, errors.Join(errs...)
}

func (r *Runner) pollIntegration(ctx context.Context, in store.Integration) (int, error) {
	gl, _, err := r.gitlab(in)
	if err != nil {
		return 0, err
	}
	selected := true
	ps, err := r.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID, Selected: &selected})
	if err != nil {
		return 0, err
	}
	queued := 0
	var errs []error
	for _, p := range ps {
		if !p.Visible || p.AccessLevel < store.ReporterAccess {
			continue
		}
		reqs, err := pollProject(ctx, gl, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Path, err))
		}
		if len(reqs) == 0 {
			continue
		}
		err = r.c.Store.InTx(ctx, func(t *store.Tx) error {
			for _, req := range reqs {
				seen, err := r.seen(ctx, t, p, req)
				if err != nil {
					return err
				}
				if seen {
					continue
				}
				outcome, err := r.onScan(ctx, t, in.ID, req)
				if err != nil {
					return err
				}
				r.log.InfoContext(ctx, "poll found a change", "project", p.Path, "branch", req.Branch, "sha", short(req.SHA), "outcome", outcome)
				queued++
			}
			return nil
		})
		if err != nil {
			return queued, err
		}
	}
	return queued, errors.Join(errs...)
}

// pollProject asks GitLab for what a webhook would have said: the default
// branch's head and the heads of open merge requests from the project
// itself (forks are not scanned, as with webhooks).
func pollProject(ctx context.Context, gl *gitlab.Client, p store.Project) ([]Request, error) {
	var reqs []Request
	var errs []error
	if p.DefaultBranch != "" {
		sha, err := gl.BranchHead(ctx, p.GitLabID, p.DefaultBranch)
		switch {
		case errors.Is(err, gitlab.ErrNotFound):
			// Empty, or the branch is gone until discovery sees the new one.
		case err != nil:
			errs = append(errs, err)
		case sha != "":
			reqs = append(reqs, Request{Action: ActionScan, GitLabProjectID: p.GitLabID, Trigger: store.TriggerPush, Branch: p.DefaultBranch, SHA: sha, DefaultBranch: p.DefaultBranch})
		}
	}
	mrs, err := gl.OpenMergeRequests(ctx, p.GitLabID)
	if err != nil {
		errs = append(errs, err)
	}
	for _, mr := range mrs {
		if mr.SHA == "" || (mr.SourceProjectID != 0 && mr.SourceProjectID != p.GitLabID) {
			continue
		}
		reqs = append(reqs, Request{Action: ActionScan, GitLabProjectID: p.GitLabID, Trigger: store.TriggerMergeRequest, Branch: mr.SourceBranch, SHA: mr.SHA, MRIID: mr.IID, TargetBranch: mr.TargetBranch})
	}
	return reqs, errors.Join(errs...)
}

// seen reports whether the commit a poll found was scanned already, or is
// being scanned: unlike a webhook delivery, a poll finds the same head
// again every round, so a failed scan is not queued again either (a new
// commit is).
func (r *Runner) seen(ctx context.Context, t *store.Tx, p store.Project, req Request) (bool, error) {
	if req.MRIID == 0 {
		return t.BranchSeen(ctx, p.ID, req.Branch, req.SHA)
	}
	_, err := t.MergeRequestScan(ctx, p.ID, req.MRIID, req.SHA)
	if gone(err) {
		return false, nil
	}
	return err == nil, err
}
