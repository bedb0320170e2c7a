package job

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
)

type discoverWorker struct {
	river.WorkerDefaults[DiscoverArgs]
	r *Runner
}

// Timeout allows for listing and hooking thousands of projects.
func (w *discoverWorker) Timeout(*river.Job[DiscoverArgs]) time.Duration { return 30 * time.Minute }

func (w *discoverWorker) Work(ctx context.Context, j *river.Job[DiscoverArgs]) error {
	err := w.r.Discover(ctx, j.Args.IntegrationID, j.Args.Verify)
	if gone(err) {
		return nil
	}
	if _, ok := errors.AsType[errBusy](err); ok {
		// Another discovery (or the purge) of the integration runs: this
		// one follows it, so that the newest selection is applied.
		return river.JobSnooze(w.r.c.Heartbeat / 5)
	}
	return err
}

// Discover lists the integration's projects, records them, applies the
// selection, installs or removes webhooks and queues a first scan of
// every newly selected project.
func (r *Runner) Discover(ctx context.Context, integrationID int64, verify bool) (err error) {
	// One discovery of an integration at a time: two would both find a
	// project without airlock's hook and both add one.
	release, err := r.lease(ctx, discoveryLease(integrationID), "discover")
	if err != nil {
		return err
	}
	defer release()
	in, err := r.c.Store.Integration(ctx, integrationID)
	if err != nil {
		return err
	}
	if in.DiscoveryStatus == "deleting" {
		return nil
	}
	defer func() { r.retestOnFailure(ctx, in.ID, err) }()
	gl, _, err := r.gitlab(in)
	if err != nil {
		return r.discoveryFailed(ctx, in, err)
	}
	start := r.now()
	var found []gitlab.Project
	if err := gl.Projects(ctx, func(p gitlab.Project) error { found = append(found, p); return nil }); err != nil {
		return r.discoveryFailed(ctx, in, err)
	}
	if len(found) == 0 {
		check := integration.StoredCheck(in)
		return r.discoveryFailed(ctx, in, gitlab.NoProjectsError(check.Username))
	}
	first := in.DiscoveredAt == nil
	selectedIDs := map[int64]bool{}
	for _, id := range in.SelectedIDs {
		selectedIDs[id] = true
	}
	var added int
	err = r.c.Store.InTx(ctx, func(t *store.Tx) error {
		for _, gp := range found {
			p := store.Project{IntegrationID: in.ID, GitLabID: gp.ID, Path: gp.PathWithNamespace, WebURL: gp.WebURL, HTTPURL: gp.HTTPURLToRepo, DefaultBranch: gp.DefaultBranch, AccessLevel: int(gp.AccessLevel), EmptyRepo: gp.EmptyRepo}
			switch in.Selection {
			case store.SelectAll:
				p.Selected = first
			case store.SelectAllFuture:
				p.Selected = true
			case store.SelectList:
				p.Selected = selectedIDs[gp.ID]
			}
			created, err := t.UpsertProject(ctx, &p, start)
			if err != nil {
				return err
			}
			if created {
				added++
			}
		}
		if _, err := t.HideUnseen(ctx, in.ID, start); err != nil {
			return err
		}
		unscanned, err := t.Unscanned(ctx, in.ID)
		if err != nil {
			return err
		}
		for _, p := range unscanned {
			if err := r.queueScan(ctx, t, p, store.TriggerOnboard, p.DefaultBranch, ""); err != nil {
				return err
			}
		}
		now := r.now()
		in.DiscoveredAt, in.DiscoveryStatus, in.DiscoveryError = &now, "ok", ""
		if err := t.SetDiscovery(ctx, in.ID, in.DiscoveryStatus, in.DiscoveryError, in.DiscoveredAt, now); err != nil {
			return err
		}
		hooks := store.HooksPending
		if r.c.HookURL == "" {
			hooks = store.HooksDisabled
		}
		return t.SetHooksStatus(ctx, in.ID, hooks, nil)
	})
	if err != nil {
		return err
	}
	r.log.InfoContext(ctx, "discovery finished", "integration_id", in.ID, "projects", len(found), "new", added)
	return r.reconcileHooks(ctx, in, gl, verify)
}

func (r *Runner) discoveryFailed(ctx context.Context, in store.Integration, cause error) error {
	msg := integration.ErrorMessage(cause)
	in.DiscoveryStatus, in.DiscoveryError = "failed", msg.Message
	if msg.Hint != "" {
		in.DiscoveryError += " " + msg.Hint
	}
	if msg.Code == string(gitlab.CodeNoProjects) {
		in.DiscoveryStatus = "no_projects"
	}
	if err := r.c.Store.SetDiscovery(ctx, in.ID, in.DiscoveryStatus, in.DiscoveryError, nil, r.now()); err != nil {
		return err
	}
	r.log.WarnContext(ctx, "discovery failed", "integration_id", in.ID, "code", msg.Code, "error", msg.Message)
	if msg.Code == string(gitlab.CodeNoProjects) {
		return nil
	}
	return fmt.Errorf("discover integration %d: %w", in.ID, cause)
}

// HookURL is the webhook address of an integration.
func HookURL(base string, integrationID int64) string {
	return base + "/" + strconv.FormatInt(integrationID, 10)
}

// hookBase is where GitLab calls for the integration, without its ID:
// the agents' relay for an integration through a pool that has one
// (GitLab cannot reach the server), else the server's own endpoint
// (serverBase, empty without a public URL).
func hookBase(in store.Integration, serverBase string) string {
	if in.ViaAgent && in.AgentHookURL != "" {
		return strings.TrimRight(in.AgentHookURL, "/") + "/webhooks/gitlab"
	}
	return serverBase
}

// hookURLs are every address an integration's hooks may call: the one
// discovery installs now, and the server's own when that is the agents'
// relay (hooks installed before the relay's address was set).
func hookURLs(in store.Integration, serverBase string) []string {
	var out []string
	if b := hookBase(in, serverBase); b != "" {
		out = append(out, HookURL(b, in.ID))
	}
	if serverBase != "" && in.ViaAgent && in.AgentHookURL != "" {
		out = append(out, HookURL(serverBase, in.ID))
	}
	return out
}

// noAccessMessage says why a project below Reporter is not scanned.
func noAccessMessage(p store.Project) string {
	return fmt.Sprintf("the token's user has %s on %s: cloning needs at least Reporter, so the project is not scanned", gitlab.AccessLevel(p.AccessLevel), p.Path)
}

// reconcileHooks installs webhooks on selected projects that lack one and
// removes them from projects no longer selected; with "all and future"
// and an administrator's token, it installs a system hook so that new
// projects are known at once.
func (r *Runner) reconcileHooks(ctx context.Context, in store.Integration, gl *gitlab.Client, verify bool) error {
	// Through an agent pool with a relay, GitLab cannot reach the
	// server: it calls the relay, which passes each delivery on.
	base := hookBase(in, r.c.HookURL)
	if base == "" {
		// No webhook without an address GitLab can call; a project the
		// token cannot clone is still said to be out of reach.
		projects, err := r.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
		if err != nil {
			return err
		}
		for _, p := range projects {
			noAccess := p.Selected && p.Visible && p.AccessLevel < store.ReporterAccess
			switch {
			case noAccess && p.HookStatus != store.HookNoAccess:
				if err := r.c.Store.SetHook(ctx, p.ID, p.HookID, store.HookNoAccess, noAccessMessage(p)); err != nil {
					return err
				}
			case !noAccess && p.HookStatus == store.HookNoAccess:
				// Given Reporter since, or deselected: no longer out of
				// reach.
				if err := r.c.Store.SetHook(ctx, p.ID, p.HookID, "", ""); err != nil {
					return err
				}
			}
		}
		return nil
	}
	secret, err := r.c.Keyring.Open(in.WebhookSealed, integration.AAD(in.ID, integration.FieldWebhook))
	if err != nil {
		return fmt.Errorf("integration %d: webhook secret: %w", in.ID, err)
	}
	spec := gitlab.HookSpec{URL: HookURL(base, in.ID), Token: string(secret), PushEvents: true, MergeRequestsEvents: true, EnableSSLVerification: true}
	projects, err := r.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
	if err != nil {
		return err
	}
	// Eight calls to GitLab at a time; their outcomes are written in
	// batches, not a transaction each.
	work := make(chan store.Project)
	results := make(chan hookResult)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				results <- r.reconcileHook(ctx, gl, p, spec)
			}
		}()
	}
	go func() {
		defer close(work)
		for _, p := range projects {
			want := p.Selected && p.Visible
			if want == (p.HookStatus == store.HookRegistered) && (want || p.HookID == nil) && !(verify && want) {
				continue
			}
			select {
			case work <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var firstErr error
	var batch []hookResult
	var failures []store.HookFailure
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := r.c.Store.InTx(ctx, func(t *store.Tx) error {
			for _, h := range batch {
				if err := t.SetHook(ctx, h.projectID, h.hookID, h.status, h.message); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for h := range results {
		if h.err != nil && firstErr == nil {
			firstErr = h.err
		}
		if h.record {
			batch = append(batch, h)
		}
		if h.failure != nil {
			failures = append(failures, *h.failure)
		}
		if len(batch) >= 200 {
			if err := flush(); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	if err := flush(); err != nil && firstErr == nil {
		firstErr = err
	}
	// The projects that kept a failure from an earlier discovery and were
	// not retried count too.
	tried := map[int64]bool{}
	for _, f := range failures {
		tried[f.GitLabID] = true
	}
	for _, p := range projects {
		if p.Selected && p.Visible && !tried[p.GitLabID] && (p.HookStatus == store.HookFailed || p.HookStatus == store.HookNeedsMaintainer) {
			failures = append(failures, store.HookFailure{GitLabID: p.GitLabID, Path: p.Path, Status: p.HookStatus, Error: p.HookError})
		}
	}
	slices.SortFunc(failures, func(a, b store.HookFailure) int { return cmp.Compare(a.GitLabID, b.GitLabID) })
	status := store.HooksOK
	if len(failures) > 0 {
		status = store.HooksPartial
	}
	if err := r.c.Store.SetHooksStatus(context.WithoutCancel(ctx), in.ID, status, failures); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return firstErr
	}
	if in.Selection == store.SelectAllFuture && integration.StoredCheck(in).Admin && in.SystemHookID == nil {
		sys := gitlab.HookSpec{URL: spec.URL, Token: spec.Token, EnableSSLVerification: true}
		id, err := gl.EnsureSystemHook(ctx, sys)
		if err != nil {
			r.log.WarnContext(ctx, "system hook not installed; new projects are found by periodic discovery", "integration_id", in.ID, "error", integration.ErrorMessage(err).Message)
			return nil
		}
		return r.c.Store.InTx(ctx, func(t *store.Tx) error {
			cur, err := t.Integration(ctx, in.ID)
			if err != nil {
				return err
			}
			cur.SystemHookID = &id
			return t.UpdateIntegration(ctx, &cur, r.now())
		})
	}
	return nil
}

// hookResult is the outcome of reconciling one project's webhook: what
// to record (when record is set) and an error worth a retry.
type hookResult struct {
	projectID int64
	hookID    *int64
	status    string
	message   string
	record    bool
	err       error
	// failure is set when a selected project is left without its hook.
	failure *store.HookFailure
}

func (r *Runner) reconcileHook(ctx context.Context, gl *gitlab.Client, p store.Project, spec gitlab.HookSpec) (res hookResult) {
	res = hookResult{projectID: p.ID, record: true}
	defer func() {
		if p.Selected && p.Visible && (res.status == store.HookFailed || res.status == store.HookNeedsMaintainer) {
			res.failure = &store.HookFailure{GitLabID: p.GitLabID, Path: p.Path, Status: res.status, Error: res.message}
		}
	}()
	if !(p.Selected && p.Visible) {
		if p.Visible && (p.HookID != nil || p.AccessLevel >= int(gitlab.Maintainer)) {
			// Every hook to this airlock goes, tracked or not (one left
			// by a crashed or duplicated discovery).
			if _, err := gl.DeleteProjectHooksTo(ctx, p.GitLabID, spec.URL); err != nil && gitlab.CodeOf(err) != gitlab.CodeForbidden {
				return hookResult{err: err}
			}
		}
		return res
	}
	if p.AccessLevel < store.ReporterAccess {
		res.status, res.message = store.HookNoAccess, noAccessMessage(p)
		return res
	}
	if p.AccessLevel < int(gitlab.Maintainer) {
		res.status, res.message = store.HookNeedsMaintainer, fmt.Sprintf("webhooks need the Maintainer role; the token's user has %s on %s: push and merge request events will not arrive, the project is scanned on schedule", gitlab.AccessLevel(p.AccessLevel), p.Path)
		return res
	}
	id, err := gl.EnsureProjectHook(ctx, p.GitLabID, spec)
	if err != nil {
		msg := integration.ErrorMessage(err)
		res.status, res.message = store.HookFailed, msg.Message
		if msg.Code == string(gitlab.CodeForbidden) {
			res.status = store.HookNeedsMaintainer
		}
		if res.status == store.HookFailed && !slices.Contains([]string{string(gitlab.CodeNotFound), string(gitlab.CodeBadRequest)}, msg.Code) {
			res.err = err
		}
		return res
	}
	res.hookID, res.status = &id, store.HookRegistered
	return res
}

// queueScan creates a scan row and its job in t.
func (r *Runner) queueScan(ctx context.Context, t *store.Tx, p store.Project, trigger, branch, sha string) error {
	return QueueScan(ctx, r.client, t, &store.Scan{ProjectID: p.ID, Trigger: trigger, Branch: branch, SHA: sha}, r.now())
}

// Inserter is the part of River's client that enqueues in a transaction.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// JobRetry makes a scheduled job available now.
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// QueueScan creates the scan row s and its job in t. A merge request or
// push scan of a commit that already has a live scan is not created:
// store.ErrConflict, and the transaction stays usable.
func QueueScan(ctx context.Context, c Inserter, t *store.Tx, s *store.Scan, now time.Time) error {
	created, err := t.CreateScanOnce(ctx, s, now)
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("a scan of commit %s of %s exists: %w", s.SHA, s.Branch, store.ErrConflict)
	}
	_, err = c.InsertTx(ctx, t.SQL(), ScanArgs{ScanID: s.ID}, nil)
	return err
}
