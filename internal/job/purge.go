package job

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
)

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	r *Runner
}

// Timeout allows for removing thousands of hooks.
func (w *purgeWorker) Timeout(*river.Job[PurgeArgs]) time.Duration { return 30 * time.Minute }

func (w *purgeWorker) Work(ctx context.Context, j *river.Job[PurgeArgs]) error {
	err := w.r.Purge(ctx, j.Args.IntegrationID, j.Attempt >= j.MaxAttempts)
	if gone(err) {
		return nil
	}
	return err
}

// Purge removes a deleted integration's webhooks from GitLab, then the
// integration and everything recorded under it. When GitLab cannot be
// reached the removal is retried; on the last attempt the rows go anyway
// and the hooks left behind are logged (GitLab disables hooks that keep
// failing).
func (r *Runner) Purge(ctx context.Context, integrationID int64, last bool) error {
	in, err := r.c.Store.Integration(ctx, integrationID)
	if err != nil {
		return err
	}
	gl, _, err := r.gitlab(in)
	if err == nil {
		err = r.removeHooks(ctx, gl, in)
	}
	if err != nil && !last {
		return err
	}
	if err != nil {
		r.log.WarnContext(ctx, "webhooks left on GitLab after deleting the integration", "integration_id", in.ID, "error", integration.ErrorMessage(err).Message)
	}
	if err := r.c.Store.DeleteIntegration(ctx, in.ID); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "integration purged", "integration_id", in.ID)
	return nil
}

func (r *Runner) removeHooks(ctx context.Context, gl *gitlab.Client, in store.Integration) error {
	projects, err := r.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
	if err != nil {
		return err
	}
	for _, p := range projects {
		if p.HookID == nil {
			continue
		}
		if err := gl.DeleteProjectHook(ctx, p.GitLabID, *p.HookID); err != nil && gitlab.CodeOf(err) != gitlab.CodeForbidden {
			return err
		}
		if err := r.c.Store.SetHook(ctx, p.ID, nil, "", ""); err != nil {
			return err
		}
	}
	if in.SystemHookID != nil {
		if err := gl.DeleteSystemHook(ctx, *in.SystemHookID); err != nil && gitlab.CodeOf(err) != gitlab.CodeForbidden {
			return err
		}
	}
	return nil
}
