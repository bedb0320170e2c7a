package job

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
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
	now := r.now()
	refreshed, refreshErr := false, ""
	if in.TokenKind == string(gitlab.TokenOAuth) {
		var err error
		if in, refreshed, refreshErr, err = r.refreshOAuth(ctx, in); err != nil {
			return err
		}
	}
	due := in.CheckedAt == nil || (r.c.HealthInterval >= 0 && now.Sub(*in.CheckedAt) >= r.c.HealthInterval)
	if !due && !refreshed && refreshErr == "" {
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
			Hint: "re-authorize: connect the instance again with its OAuth application (the current token stops working when it expires)"}}, res.Warnings...)
	}
	in.Check, _ = json.Marshal(res)
	in.CheckedAt = &now
	return r.c.Store.UpdateIntegration(ctx, &in, now)
}

// refreshOAuth refreshes the integration's access token when it expires
// soon. A refusal is recorded in the grant and returned as text; only
// storage failures are errors.
func (r *Runner) refreshOAuth(ctx context.Context, in store.Integration) (store.Integration, bool, string, error) {
	raw, err := r.c.Store.OAuthGrant(ctx, in.ID)
	if err != nil || raw == "" {
		return in, false, "", err
	}
	var g integration.OAuthGrant
	if err := json.Unmarshal([]byte(raw), &g); err != nil {
		return in, false, "", err
	}
	now := r.now()
	if g.ExpiresAt.Sub(now) > oauthRefreshAhead {
		return in, false, g.RefreshError, nil
	}
	secret, err := r.c.Keyring.Open(g.SecretSealed, integration.AAD(in.ID, integration.FieldOAuthSecret))
	if err != nil {
		return in, false, "", err
	}
	refresh, err := r.c.Keyring.Open(g.RefreshSealed, integration.AAD(in.ID, integration.FieldOAuthRefresh))
	if err != nil {
		return in, false, "", err
	}
	conn, err := integration.Open(r.c.Keyring, in)
	if err != nil {
		return in, false, "", err
	}
	hc, err := integration.OAuthHTTPClient(conn)
	if err != nil {
		return in, false, "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	tok, err := integration.RefreshOAuth(cctx, hc, in.URL, g.ClientID, string(secret), string(refresh), g.RedirectURI)
	cancel()
	if err != nil {
		var oe *integration.OAuthError
		if !errors.As(err, &oe) {
			// The network: the next tick tries again.
			return in, false, err.Error(), nil
		}
		g.RefreshError = err.Error()
		b, _ := json.Marshal(g)
		return in, false, g.RefreshError, r.c.Store.SetOAuthGrant(ctx, in.ID, string(b))
	}
	if in.TokenSealed, err = r.c.Keyring.Seal([]byte(tok.AccessToken), integration.AAD(in.ID, integration.FieldToken)); err != nil {
		return in, false, "", err
	}
	if g.RefreshSealed, err = r.c.Keyring.Seal([]byte(tok.RefreshToken), integration.AAD(in.ID, integration.FieldOAuthRefresh)); err != nil {
		return in, false, "", err
	}
	g.ExpiresAt, g.RefreshError = now.Add(time.Duration(tok.ExpiresIn)*time.Second), ""
	b, _ := json.Marshal(g)
	err = r.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.UpdateIntegration(ctx, &in, now); err != nil {
			return err
		}
		return t.SetOAuthGrant(ctx, in.ID, string(b))
	})
	if err == nil {
		r.log.InfoContext(ctx, "OAuth token refreshed", "integration_id", in.ID, "expires_at", g.ExpiresAt)
	}
	return in, err == nil, "", err
}
