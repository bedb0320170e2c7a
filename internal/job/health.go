package job

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// HealthArgs is the periodic re-test of every integration, with the
// refresh of OAuth tokens before they expire.
type HealthArgs struct{}

// Kind is River's name for the job.
func (HealthArgs) Kind() string { return "integration_health" }

type healthWorker struct {
	river.WorkerDefaults[HealthArgs]
	r *Runner
}

func (w *healthWorker) Work(ctx context.Context, _ *river.Job[HealthArgs]) error {
	return w.r.Health(ctx)
}

// oauthRefreshAhead is how long before its expiry an OAuth access token
// is refreshed: several health ticks, so that one failed refresh is
// retried before the token stops working.
const oauthRefreshAhead = 30 * time.Minute

// WarnOAuthRefresh is the check warning of an integration whose OAuth
// token could not be refreshed.
const WarnOAuthRefresh = "oauth_refresh_failed"

// healthPeriod is how often the health job runs: the re-test interval,
// but at least every 5 minutes for OAuth refreshes.
func healthPeriod(c Config) time.Duration {
	if c.HealthInterval < 0 {
		return 5 * time.Minute
	}
	return min(c.HealthInterval, 5*time.Minute)
}

// Health refreshes OAuth tokens that expire within oauthRefreshAhead and
// re-tests every integration last tested HealthInterval ago or more (and
// any whose refresh was attempted), storing the result: the hub's
// Connected / Degraded / Disconnected follows it.
func (r *Runner) Health(ctx context.Context) error {
	ins, err := r.c.Store.Integrations(ctx)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if in.DiscoveryStatus == "deleting" {
			continue
		}
		if err := r.health(ctx, in); err != nil && !gone(err) {
			r.log.WarnContext(ctx, "integration health", "integration_id", in.ID, "error", err.Error())
		}
	}
	return nil
}

func (r *Runner) health(ctx context.Context, in store.Integration) error {
	return r.test(ctx, in, false)
}

// test refreshes the integration's OAuth token when it expires soon and
// re-tests it when force is set, the test is due or a refresh was
// attempted.
func (r *Runner) test(ctx context.Context, in store.Integration, force bool) error {
	now := r.now()
	refreshed, refreshErr := false, ""
	if in.TokenKind == string(gitlab.TokenOAuth) {
		var err error
		if in, refreshed, refreshErr, err = r.refreshOAuth(ctx, in); err != nil {
			return err
		}
	}
	due := in.CheckedAt == nil || (r.c.HealthInterval >= 0 && now.Sub(*in.CheckedAt) >= r.c.HealthInterval)
	if !force && !due && !refreshed && refreshErr == "" {
		return nil
	}
	gl, _, err := r.gitlab(in)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, cerr := gl.Check(cctx)
	cancel()
	res := integration.NewCheckResult(c, cerr)
	if refreshErr != "" {
		// First: it is the one to act on.
		res.Warnings = append([]integration.CheckMessage{{Code: WarnOAuthRefresh, Message: "the OAuth token could not be refreshed: " + refreshErr,
			Hint: ReauthorizeHint + " (the current token stops working when it expires)"}}, res.Warnings...)
	}
	integration.Record(&in, res, now)
	// Only the test's columns: a discovery running meanwhile with an
	// older copy of the row neither loses nor undoes this result.
	return r.c.Store.SetIntegrationCheck(ctx, in.ID, in.Check, now, now)
}

// ReauthorizeHint is what to do when an OAuth integration's grant no
// longer works.
const ReauthorizeHint = "re-authorize: press Re-authorize in GitLab on the integration's page"

// refreshOAuth refreshes the integration's access token when it expires
// soon. A refusal is recorded in the grant and returned as text; only
// storage failures are errors.
func (r *Runner) refreshOAuth(ctx context.Context, in store.Integration) (store.Integration, bool, string, error) {
	raw, g, err := integration.ReadGrant(ctx, r.c.Store, in.ID)
	if err != nil || raw == "" {
		return in, false, "", err
	}
	now := r.now()
	if g.ExpiresAt.Sub(now) > oauthRefreshAhead {
		return in, false, g.RefreshError, nil
	}
	secret, refresh, err := g.Open(r.c.Keyring, in.ID)
	if err != nil {
		return in, false, "", err
	}
	conn, err := integration.Open(r.c.Keyring, in)
	if err != nil {
		return in, false, "", err
	}
	hc, err := integration.OAuthHTTPClient(conn, r.agents())
	if err != nil {
		return in, false, "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	tok, err := integration.RefreshOAuth(cctx, hc, in.URL, g.ClientID, secret, refresh, g.RedirectURI)
	cancel()
	if err != nil {
		var oe *integration.OAuthError
		if !errors.As(err, &oe) {
			// The network: the next tick tries again.
			return in, false, err.Error(), nil
		}
		g.RefreshError = err.Error()
		b, _ := json.Marshal(g)
		swapped, err := r.c.Store.SwapOAuthGrant(ctx, in.ID, raw, string(b))
		if err != nil || !swapped {
			// Replaced meanwhile (re-authorized): the new grant stands.
			return in, false, "", err
		}
		return in, false, g.RefreshError, nil
	}
	if in.TokenSealed, err = r.c.Keyring.Seal([]byte(tok.AccessToken), integration.AAD(in.ID, integration.FieldToken)); err != nil {
		return in, false, "", err
	}
	if g.RefreshSealed, err = r.c.Keyring.Seal([]byte(tok.RefreshToken), integration.AAD(in.ID, integration.FieldOAuthRefresh)); err != nil {
		return in, false, "", err
	}
	g.ExpiresAt, g.RefreshError = now.Add(time.Duration(tok.ExpiresIn)*time.Second), ""
	b, _ := json.Marshal(g)
	swapped := false
	err = r.c.Store.InTx(ctx, func(t *store.Tx) error {
		// Only over the grant this refresh started from: a grant
		// replaced meanwhile (re-authorized) and its token stand.
		var err error
		if swapped, err = t.SwapOAuthGrant(ctx, in.ID, raw, string(b)); err != nil || !swapped {
			return err
		}
		return t.UpdateIntegration(ctx, &in, now)
	})
	if err == nil && !swapped {
		r.log.InfoContext(ctx, "OAuth refresh dropped: the grant was replaced meanwhile", "integration_id", in.ID)
		cur, cerr := r.c.Store.Integration(ctx, in.ID)
		if cerr != nil {
			return in, false, "", cerr
		}
		return cur, false, "", nil
	}
	if err == nil {
		r.log.InfoContext(ctx, "OAuth token refreshed", "integration_id", in.ID, "expires_at", g.ExpiresAt)
	}
	return in, err == nil, "", err
}

// RetestArgs re-tests one integration at once, because a GitLab call of a
// job failed for an auth, TLS or network reason (ConnectionFailure): the
// hub shows the failure without waiting for the periodic re-test.
type RetestArgs struct {
	IntegrationID int64 `json:"integration_id"`
}

// Kind is River's name for the job.
func (RetestArgs) Kind() string { return "integration_retest" }

// retestDebounce is the least time between two re-tests of one
// integration that failures ask for: a discovery that fails on every
// project, or a hundred queued scans, re-test it once.
const retestDebounce = time.Minute

// InsertOpts makes the re-tests of an integration unique per
// retestDebounce window.
func (RetestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: retestDebounce}}
}

type retestWorker struct {
	river.WorkerDefaults[RetestArgs]
	r *Runner
}

func (w *retestWorker) Work(ctx context.Context, j *river.Job[RetestArgs]) error {
	in, err := w.r.c.Store.Integration(ctx, j.Args.IntegrationID)
	if gone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.DiscoveryStatus == "deleting" {
		return nil
	}
	err = w.r.test(ctx, in, true)
	if gone(err) {
		return nil
	}
	return err
}

// ConnectionFailure reports whether err, from a GitLab call or a clone,
// says that GitLab cannot be used at all right now, rather than that one
// request or project failed: the token is refused, TLS fails, the
// network, proxy or agent is down. These failures queue an
// integration_retest.
func ConnectionFailure(err error) bool {
	if err == nil {
		return false
	}
	switch gitlab.CodeOf(err) {
	case gitlab.CodeUnauthorized, gitlab.CodeTokenRevoked, gitlab.CodeTokenExpired, gitlab.CodeInsufficientScope,
		gitlab.CodeTLS, gitlab.CodeTLSUnknownCA,
		gitlab.CodeUnreachable, gitlab.CodeDNS, gitlab.CodeTimeout, gitlab.CodeProxy, gitlab.CodeProxyBadGateway, gitlab.CodeEgressDenied,
		integration.CodeAgentNotConnected:
		return true
	}
	if _, ok := errors.AsType[*tunnel.NoAgentError](err); ok {
		return true
	}
	// A clone: git's failures (source.Clone classifies its stderr).
	for _, e := range []error{source.ErrAuthentication, source.ErrCertificate, source.ErrUnreachable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retestOnFailure queues a re-test of the integration when err is a
// connection failure (ConnectionFailure). It never fails the caller: a
// re-test that cannot be queued waits for the periodic one.
func (r *Runner) retestOnFailure(ctx context.Context, integrationID int64, err error) {
	// A canceled or timed-out job's failures are its own, not GitLab's.
	if !ConnectionFailure(err) || r.client == nil || ctx.Err() != nil {
		return
	}
	QueueRetest(context.WithoutCancel(ctx), r.log, integrationID, err, func(ctx context.Context, args river.JobArgs) (*rivertype.JobInsertResult, error) {
		return r.client.Insert(ctx, args, nil)
	})
}

// QueueRetest queues the re-test of an integration after err, a
// connection failure, through insert (River's Insert, or an InsertTx in
// a transaction of the caller's). Re-tests are unique per integration and
// minute; the outcome is logged and never fails the caller.
func QueueRetest(ctx context.Context, log *slog.Logger, integrationID int64, err error, insert func(context.Context, river.JobArgs) (*rivertype.JobInsertResult, error)) {
	res, ierr := insert(ctx, RetestArgs{IntegrationID: integrationID})
	if ierr != nil {
		log.WarnContext(ctx, "integration re-test not queued", "integration_id", integrationID, "error", ierr.Error())
		return
	}
	if !res.UniqueSkippedAsDuplicate {
		log.InfoContext(ctx, "integration re-test queued after a failed GitLab call", "integration_id", integrationID, "code", integration.ErrorMessage(err).Code)
	}
}
