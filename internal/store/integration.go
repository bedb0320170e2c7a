package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// Selection says which of an integration's projects are scanned.
type Selection string

// The selection modes.
const (
	// SelectAll selects the projects that exist when it is set.
	SelectAll Selection = "all"
	// SelectAllFuture also selects projects discovered later.
	SelectAllFuture Selection = "all_future"
	// SelectList selects the projects named in SelectedIDs.
	SelectList Selection = "list"
)

// Valid reports whether s is a known mode.
func (s Selection) Valid() bool {
	return s == SelectAll || s == SelectAllFuture || s == SelectList
}

// Integration is one connected GitLab instance. Its token and webhook
// secret are stored sealed (see internal/keyring) and never leave the
// server.
type Integration struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	URL           string `json:"url"`
	TokenKind     string `json:"token_kind"`
	TokenSealed   []byte `json:"-"`
	WebhookSealed []byte `json:"-"`
	CAPEM         string `json:"ca_pem,omitempty"`
	ProxyURL      string `json:"proxy_url,omitempty"`
	NoProxy       string `json:"no_proxy,omitempty"`
	ViaAgent      bool   `json:"via_agent"`
	AgentPool     string `json:"agent_pool"`
	// AgentHookURL is where GitLab reaches the agents' webhook relay
	// (airlock agent --listen), for a GitLab that cannot reach the server.
	AgentHookURL    string          `json:"agent_webhook_url,omitempty"`
	Selection       Selection       `json:"selection"`
	SelectedIDs     []int64         `json:"selected_project_ids"`
	SystemHookID    *int64          `json:"system_hook_id,omitempty"`
	Check           json.RawMessage `json:"last_check,omitempty"`
	CheckedAt       *time.Time      `json:"checked_at,omitempty"`
	DiscoveryStatus string          `json:"discovery_status,omitempty"`
	DiscoveryError  string          `json:"discovery_error,omitempty"`
	DiscoveredAt    *time.Time      `json:"discovered_at,omitempty"`
	// HooksStatus is the webhook phase that follows a discovery:
	// HooksPending, HooksOK, HooksPartial (HookFailures says where and
	// why) or HooksDisabled (no public URL to call).
	HooksStatus  string        `json:"hooks_status,omitempty"`
	HookFailures []HookFailure `json:"hook_failures,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// The states of an integration's webhook phase.
const (
	HooksPending  = "pending"
	HooksOK       = "ok"
	HooksPartial  = "partial"
	HooksDisabled = "disabled"
)

// HookFailure is a selected project whose webhook is not installed, or a
// webhook that could not be removed.
type HookFailure struct {
	GitLabID int64  `json:"gitlab_project_id"`
	Path     string `json:"path_with_namespace,omitempty"`
	HookID   *int64 `json:"hook_id,omitempty"`
	Status   string `json:"status"`
	Error    string `json:"error"`
}

const integrationColumns = `id, name, url, token_kind, token_sealed, webhook_secret_sealed, ca_pem, proxy_url, no_proxy, via_agent, agent_pool, agent_hook_url, selection, selected_ids, system_hook_id, check_json, checked_at, discovery_status, discovery_error, discovered_at, created_at, updated_at, hooks_status, hook_failures`

func scanIntegration(r interface{ Scan(...any) error }) (Integration, error) {
	var in Integration
	var ids, check, failures string
	var hook, checked, discovered sql.NullInt64
	var created, updated int64
	err := r.Scan(&in.ID, &in.Name, &in.URL, &in.TokenKind, &in.TokenSealed, &in.WebhookSealed, &in.CAPEM, &in.ProxyURL, &in.NoProxy, &in.ViaAgent, &in.AgentPool, &in.AgentHookURL, &in.Selection, &ids, &hook, &check, &checked, &in.DiscoveryStatus, &in.DiscoveryError, &discovered, &created, &updated, &in.HooksStatus, &failures)
	if err != nil {
		return in, err
	}
	if failures != "" && failures != "[]" {
		if err := json.Unmarshal([]byte(failures), &in.HookFailures); err != nil {
			return in, err
		}
	}
	in.SelectedIDs = []int64{}
	if err := json.Unmarshal([]byte(ids), &in.SelectedIDs); err != nil {
		return in, err
	}
	if hook.Valid {
		in.SystemHookID = &hook.Int64
	}
	if check != "" && check != "{}" {
		in.Check = json.RawMessage(check)
	}
	in.CheckedAt, in.DiscoveredAt = fromOptMillis(checked), fromOptMillis(discovered)
	in.CreatedAt, in.UpdatedAt = fromMillis(created), fromMillis(updated)
	return in, nil
}

func idsJSON(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func checkJSON(c json.RawMessage) string {
	if len(c) == 0 {
		return "{}"
	}
	return string(c)
}

// CreateIntegration stores a new integration and sets its ID and times.
func (q Queries) CreateIntegration(ctx context.Context, in *Integration, now time.Time) error {
	in.CreatedAt, in.UpdatedAt = fromMillis(millis(now)), fromMillis(millis(now))
	if in.SelectedIDs == nil {
		in.SelectedIDs = []int64{}
	}
	id, err := q.insert(ctx, `INSERT INTO integration (name, url, token_kind, token_sealed, webhook_secret_sealed, ca_pem, proxy_url, no_proxy, via_agent, agent_pool, agent_hook_url, selection, selected_ids, check_json, checked_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.Name, in.URL, in.TokenKind, in.TokenSealed, in.WebhookSealed, in.CAPEM, in.ProxyURL, in.NoProxy, in.ViaAgent, in.AgentPool, in.AgentHookURL, string(in.Selection), idsJSON(in.SelectedIDs), checkJSON(in.Check), optMillis(in.CheckedAt), millis(now), millis(now))
	in.ID = id
	return err
}

// UpdateIntegration writes every field of in except its ID and creation
// time.
func (q Queries) UpdateIntegration(ctx context.Context, in *Integration, now time.Time) error {
	in.UpdatedAt = fromMillis(millis(now))
	var hook any
	if in.SystemHookID != nil {
		hook = *in.SystemHookID
	}
	res, err := q.exec(ctx, `UPDATE integration SET name = ?, url = ?, token_kind = ?, token_sealed = ?, webhook_secret_sealed = ?, ca_pem = ?, proxy_url = ?, no_proxy = ?, via_agent = ?, agent_pool = ?, agent_hook_url = ?, selection = ?, selected_ids = ?, system_hook_id = ?, check_json = ?, checked_at = ?, discovery_status = ?, discovery_error = ?, discovered_at = ?, updated_at = ? WHERE id = ?`,
		in.Name, in.URL, in.TokenKind, in.TokenSealed, in.WebhookSealed, in.CAPEM, in.ProxyURL, in.NoProxy, in.ViaAgent, in.AgentPool, in.AgentHookURL, string(in.Selection), idsJSON(in.SelectedIDs), hook, checkJSON(in.Check), optMillis(in.CheckedAt), in.DiscoveryStatus, in.DiscoveryError, optMillis(in.DiscoveredAt), millis(now), in.ID)
	return deleted(res, err)("integration", in.ID)
}

// SetIntegrationCheck records a test of the integration, changing no
// other column: a job holding an older copy of the row cannot undo it,
// nor it the job's changes.
func (q Queries) SetIntegrationCheck(ctx context.Context, id int64, check json.RawMessage, checkedAt, now time.Time) error {
	return deleted(q.exec(ctx, `UPDATE integration SET check_json = ?, checked_at = ?, updated_at = ? WHERE id = ?`, checkJSON(check), millis(checkedAt), millis(now), id))("integration", id)
}

// SetDiscovery records the outcome of a discovery, changing no other
// column (see SetIntegrationCheck); discoveredAt nil keeps the stored one.
func (q Queries) SetDiscovery(ctx context.Context, id int64, status, errText string, discoveredAt *time.Time, now time.Time) error {
	return deleted(q.exec(ctx, `UPDATE integration SET discovery_status = ?, discovery_error = ?, discovered_at = COALESCE(?, discovered_at), updated_at = ? WHERE id = ?`, status, errText, optMillis(discoveredAt), millis(now), id))("integration", id)
}

// SetHooksStatus records the outcome of the webhook phase.
func (q Queries) SetHooksStatus(ctx context.Context, id int64, status string, failures []HookFailure) error {
	if failures == nil {
		failures = []HookFailure{}
	}
	b, err := json.Marshal(failures)
	if err != nil {
		return err
	}
	return deleted(q.exec(ctx, `UPDATE integration SET hooks_status = ?, hook_failures = ? WHERE id = ?`, status, string(b), id))("integration", id)
}

// Integration loads one integration.
func (q Queries) Integration(ctx context.Context, id int64) (Integration, error) {
	in, err := scanIntegration(q.row(ctx, `SELECT `+integrationColumns+` FROM integration WHERE id = ?`, id))
	return in, notFound(err, "integration", id)
}

// Integrations lists every integration.
func (q Queries) Integrations(ctx context.Context) ([]Integration, error) {
	rows, err := q.query(ctx, `SELECT `+integrationColumns+` FROM integration ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanIntegration)
}

// DeleteIntegration removes an integration and, by cascade, its projects,
// deliveries, scans, findings and triage.
func (q Queries) DeleteIntegration(ctx context.Context, id int64) error {
	return deleted(q.exec(ctx, `DELETE FROM integration WHERE id = ?`, id))("integration", id)
}

// OAuthGrant reads an integration's OAuth grant (JSON of
// integration.OAuthGrant); empty for a token integration.
func (q Queries) OAuthGrant(ctx context.Context, id int64) (string, error) {
	var g string
	err := q.row(ctx, `SELECT oauth FROM integration WHERE id = ?`, id).Scan(&g)
	return g, notFound(err, "integration", id)
}

// SetOAuthGrant stores an integration's OAuth grant.
func (q Queries) SetOAuthGrant(ctx context.Context, id int64, grant string) error {
	return deleted(q.exec(ctx, `UPDATE integration SET oauth = ? WHERE id = ?`, grant, id))("integration", id)
}

// SwapOAuthGrant stores grant only if the stored one is still old, and
// says whether it did: a refresh that took a while must not put back a
// grant replaced meanwhile (a Re-authorize).
func (q Queries) SwapOAuthGrant(ctx context.Context, id int64, old, grant string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE integration SET oauth = ? WHERE id = ? AND oauth = ?`, grant, id, old)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
