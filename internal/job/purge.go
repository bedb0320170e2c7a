package job

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/keyring"
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
// and the hooks left behind are logged and audited (GitLab disables hooks
// that keep failing).
func (r *Runner) Purge(ctx context.Context, integrationID int64, last bool) error {
	// Not while a discovery installs hooks.
	release, err := r.lease(ctx, discoveryLease(integrationID), "purge")
	if err != nil {
		return err
	}
	defer release()
	in, err := r.c.Store.Integration(ctx, integrationID)
	if err != nil {
		return err
	}
	res, err := RemoveHooks(ctx, HookDeps{Store: r.c.Store, Keyring: r.c.Keyring, HookBase: r.c.HookURL, Logger: r.log, Agents: r.agents()}, in)
	if err == nil && len(res.Left) > 0 {
		err = fmt.Errorf("%d webhooks not removed, the first on %s: %s", len(res.Left), res.Left[0].Path, res.Left[0].Error)
	}
	if err != nil && !last {
		return err
	}
	if err != nil {
		r.log.WarnContext(ctx, "webhooks left on GitLab after deleting the integration", "integration_id", in.ID, "left", len(res.Left), "error", integration.ErrorMessage(err).Message)
		if aerr := r.c.Store.Audit(ctx, store.AuditEntry{At: r.now(), Actor: "airlock", Action: "integration.hooks_left", Target: fmt.Sprintf("integration:%d", in.ID), Detail: leftSummary(res.Left)}); aerr != nil {
			return aerr
		}
	}
	if err := r.c.Store.DeleteIntegration(ctx, in.ID); err != nil {
		return err
	}
	r.log.InfoContext(ctx, "integration purged", "integration_id", in.ID, "hooks_removed", res.Removed)
	return nil
}

func leftSummary(left []store.HookFailure) string {
	var b strings.Builder
	for i, f := range left {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%d): %s", f.Path, f.GitLabID, f.Error)
	}
	return b.String()
}

// HookDeps is what removing an integration's hooks needs; the API's
// delete and the purge job share it.
type HookDeps struct {
	Store   *store.Store
	Keyring *keyring.Keyring
	// HookBase is the webhook endpoint without the integration ID; empty
	// when airlock has no public URL (only hooks it tracks are removed).
	HookBase string
	Logger   *slog.Logger
	// Agents route an integration marked "route via agent"; nil when this
	// process has none.
	Agents integration.Agents
}

// HookRemoval is what removing an integration's webhooks achieved.
type HookRemoval struct {
	Removed int `json:"hooks_removed"`
	// Left are the hooks that could not be removed, with why.
	Left []store.HookFailure `json:"hooks_not_removed"`
}

// RemoveHooks removes from GitLab every webhook that calls this airlock
// for the integration, tracked or not: on each project that has a hook
// recorded or that the token maintains, and the system hook. GitLab's
// refusals are listed in Left; the error is for what stops the whole
// removal (the token cannot be opened, the database).
func RemoveHooks(ctx context.Context, d HookDeps, in store.Integration) (HookRemoval, error) {
	res := HookRemoval{Left: []store.HookFailure{}}
	conn, err := integration.Open(d.Keyring, in)
	if err != nil {
		return res, err
	}
	gl, err := integration.NewClient(conn, d.Logger, d.Agents)
	if err != nil {
		return res, err
	}
	projects, err := d.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
	if err != nil {
		return res, err
	}
	urls := hookURLs(in, d.HookBase)
	type outcome struct {
		p       store.Project
		removed int
		err     error
	}
	work := make(chan store.Project)
	out := make(chan outcome)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for p := range work {
				o := outcome{p: p}
				var gone []int64
				if len(urls) > 0 {
					gone, o.err = gl.DeleteProjectHooksTo(ctx, p.GitLabID, urls...)
					o.removed = len(gone)
				}
				// The hook airlock recorded is removed by its ID too when
				// it calls none of today's addresses (installed under an
				// earlier public URL, or without one).
				if o.err == nil && p.HookID != nil && !slices.Contains(gone, *p.HookID) {
					if o.err = gl.DeleteProjectHook(ctx, p.GitLabID, *p.HookID); o.err == nil {
						o.removed++
					}
				}
				out <- o
			}
		})
	}
	go func() {
		defer close(work)
		for _, p := range projects {
			if !p.Visible || (p.HookID == nil && p.AccessLevel < int(gitlab.Maintainer)) {
				continue
			}
			select {
			case work <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	for o := range out {
		res.Removed += o.removed
		switch {
		case o.err != nil:
			msg := integration.ErrorMessage(o.err)
			res.Left = append(res.Left, store.HookFailure{GitLabID: o.p.GitLabID, Path: o.p.Path, HookID: o.p.HookID, Status: store.HookFailed, Error: strings.TrimSpace(msg.Message + " " + msg.Hint)})
		case o.p.HookID != nil:
			if err := d.Store.SetHook(context.WithoutCancel(ctx), o.p.ID, nil, "", ""); err != nil {
				return res, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if in.SystemHookID != nil || (len(urls) > 0 && integration.StoredCheck(in).Admin) {
		var gone []int64
		var err error
		if len(urls) > 0 {
			gone, err = gl.DeleteSystemHooksTo(ctx, urls...)
		}
		if err == nil && in.SystemHookID != nil && !slices.Contains(gone, *in.SystemHookID) {
			if err = gl.DeleteSystemHook(ctx, *in.SystemHookID); err == nil {
				gone = append(gone, *in.SystemHookID)
			}
		}
		res.Removed += len(gone)
		if err != nil && gitlab.CodeOf(err) != gitlab.CodeForbidden {
			msg := integration.ErrorMessage(err)
			res.Left = append(res.Left, store.HookFailure{HookID: in.SystemHookID, Status: store.HookFailed, Error: "system hook: " + strings.TrimSpace(msg.Message+" "+msg.Hint)})
		}
	}
	slices.SortFunc(res.Left, func(a, b store.HookFailure) int { return cmp.Compare(a.GitLabID, b.GitLabID) })
	return res, nil
}
