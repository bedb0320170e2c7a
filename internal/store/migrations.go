package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// migrations are applied in order, each once, each in its own transaction.
// Never edit one that has shipped: append a new one. {{id}} and {{blob}}
// stand for each engine's identity key and byte types; times are Unix
// milliseconds (BIGINT) on both engines.
var migrations = []string{
	// 1: the platform's first schema.
	`
CREATE TABLE api_token (
	id {{id}},
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT
);

CREATE TABLE integration (
	id {{id}},
	name TEXT NOT NULL,
	url TEXT NOT NULL,
	token_kind TEXT NOT NULL,
	token_sealed {{blob}} NOT NULL,
	webhook_secret_sealed {{blob}} NOT NULL,
	ca_pem TEXT NOT NULL DEFAULT '',
	proxy_url TEXT NOT NULL DEFAULT '',
	no_proxy TEXT NOT NULL DEFAULT '',
	via_agent BOOLEAN NOT NULL DEFAULT FALSE,
	selection TEXT NOT NULL,
	selected_ids TEXT NOT NULL DEFAULT '[]',
	system_hook_id BIGINT,
	check_json TEXT NOT NULL DEFAULT '{}',
	checked_at BIGINT,
	discovery_status TEXT NOT NULL DEFAULT '',
	discovery_error TEXT NOT NULL DEFAULT '',
	discovered_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE TABLE project (
	id {{id}},
	integration_id BIGINT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
	gitlab_id BIGINT NOT NULL,
	path TEXT NOT NULL,
	web_url TEXT NOT NULL,
	http_url TEXT NOT NULL,
	default_branch TEXT NOT NULL DEFAULT '',
	access_level INTEGER NOT NULL,
	empty_repo BOOLEAN NOT NULL DEFAULT FALSE,
	selected BOOLEAN NOT NULL DEFAULT FALSE,
	visible BOOLEAN NOT NULL DEFAULT TRUE,
	hook_id BIGINT,
	hook_status TEXT NOT NULL DEFAULT '',
	hook_error TEXT NOT NULL DEFAULT '',
	discovered_at BIGINT NOT NULL,
	seen_at BIGINT NOT NULL,
	UNIQUE (integration_id, gitlab_id)
);

CREATE TABLE webhook_event (
	id {{id}},
	integration_id BIGINT NOT NULL REFERENCES integration(id) ON DELETE CASCADE,
	delivery_key TEXT NOT NULL,
	event TEXT NOT NULL,
	received_at BIGINT NOT NULL,
	payload TEXT NOT NULL,
	outcome TEXT NOT NULL DEFAULT '',
	UNIQUE (integration_id, delivery_key)
);

CREATE TABLE scan (
	id {{id}},
	project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	trigger TEXT NOT NULL,
	branch TEXT NOT NULL,
	sha TEXT NOT NULL DEFAULT '',
	mr_iid BIGINT,
	target_branch TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	error TEXT NOT NULL DEFAULT '',
	findings_total INTEGER NOT NULL DEFAULT 0,
	findings_new INTEGER NOT NULL DEFAULT 0,
	findings_fixed INTEGER NOT NULL DEFAULT 0,
	introduced TEXT NOT NULL DEFAULT '[]',
	notices TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL,
	started_at BIGINT,
	finished_at BIGINT
);
CREATE INDEX scan_by_project ON scan (project_id, branch, id);

CREATE TABLE finding (
	id {{id}},
	project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	branch TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	kind TEXT NOT NULL,
	rule_id TEXT NOT NULL,
	severity TEXT NOT NULL,
	title TEXT NOT NULL,
	package TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL DEFAULT '',
	line INTEGER NOT NULL DEFAULT 0,
	data TEXT NOT NULL,
	state TEXT NOT NULL,
	first_scan_id BIGINT NOT NULL,
	last_scan_id BIGINT NOT NULL,
	fixed_scan_id BIGINT,
	first_seen_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	fixed_at BIGINT,
	UNIQUE (project_id, branch, fingerprint)
);
CREATE INDEX finding_by_state ON finding (project_id, branch, state);

CREATE TABLE dismissal (
	project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	fingerprint TEXT NOT NULL,
	reason TEXT NOT NULL,
	actor TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, fingerprint)
);

CREATE TABLE mr_note (
	project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	mr_iid BIGINT NOT NULL,
	note_id BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, mr_iid)
);

CREATE TABLE audit (
	id {{id}},
	at BIGINT NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
`, // 2: leases (one holder at a time of a named piece of work, such as a
	// merge request's scan and note), and the worker and heartbeat of a
	// running scan, so that a dead worker's scan is taken over promptly.
	`
CREATE TABLE lease (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	worker_id TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);

ALTER TABLE scan ADD COLUMN worker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE scan ADD COLUMN heartbeat_at BIGINT;
CREATE INDEX scan_by_status ON scan (status, heartbeat_at);
CREATE INDEX scan_by_mr ON scan (project_id, mr_iid, sha);
`,
	// 3: the webhook phase of discovery, apart from the listing.
	`
ALTER TABLE integration ADD COLUMN hooks_status TEXT NOT NULL DEFAULT '';
ALTER TABLE integration ADD COLUMN hook_failures TEXT NOT NULL DEFAULT '[]';
`,
	// 4: ids are never reused. PostgreSQL's identity columns never were;
	// SQLite's INTEGER PRIMARY KEY takes max(id)+1, so deleting the newest
	// integration gave its id to the next one. Its tables are rebuilt with
	// AUTOINCREMENT (sqliteAutoincrement).
	``,
	// 5: one live scan per merge request head: two deliveries of one push
	// (or a delivery and a superseded scan's catch-up) race to queue it.
	// Older duplicates are marked superseded first.
	`
UPDATE scan SET status = 'superseded', error = 'superseded: a duplicate scan of the same commit'
WHERE mr_iid IS NOT NULL AND sha <> '' AND status NOT IN ('superseded', 'failed')
AND id NOT IN (SELECT MAX(id) FROM scan WHERE mr_iid IS NOT NULL AND sha <> '' AND status NOT IN ('superseded', 'failed') GROUP BY project_id, mr_iid, sha);
CREATE UNIQUE INDEX IF NOT EXISTS scan_one_per_head ON scan (project_id, mr_iid, sha) WHERE ` + liveHeadScan + `;
`,
	// 6: signed data bundles uploaded to the server, kept for the worker
	// processes, which apply those they lack before they scan.
	`
CREATE TABLE IF NOT EXISTS data_bundle (
	id TEXT PRIMARY KEY,
	signer TEXT NOT NULL,
	source TEXT NOT NULL,
	created BIGINT NOT NULL,
	base TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{blob}} NOT NULL,
	imported_at BIGINT NOT NULL
);
`,
	// 7: the on-prem agent: agent keys by pool, and the pool an
	// integration routes through (the column is added by addAgentPool,
	// which a replay of the migration finds already there).
	`
CREATE TABLE IF NOT EXISTS agent_key (
	id {{id}},
	pool TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT
);
`,
	// 8: one live scan per pushed commit: a push delivered twice under
	// two keys is scanned once.
	`
UPDATE scan SET status = 'superseded', error = 'superseded: a duplicate scan of the same commit'
WHERE mr_iid IS NULL AND trigger = 'push' AND sha <> '' AND status NOT IN ('superseded', 'failed')
AND id NOT IN (SELECT MAX(id) FROM scan WHERE mr_iid IS NULL AND trigger = 'push' AND sha <> '' AND status NOT IN ('superseded', 'failed') GROUP BY project_id, branch, sha);
CREATE UNIQUE INDEX IF NOT EXISTS scan_one_per_push ON scan (project_id, branch, sha) WHERE ` + livePushScan + `;
`,
	// 9: remediation plans (fix.Plan), one per project and plan key, with
	// their approval and merge request.
	`
CREATE TABLE IF NOT EXISTS fix_plan (
	id {{id}},
	project_id BIGINT NOT NULL REFERENCES project(id) ON DELETE CASCADE,
	plan_key TEXT NOT NULL,
	branch TEXT NOT NULL,
	title TEXT NOT NULL,
	severity TEXT NOT NULL,
	bump TEXT NOT NULL,
	state TEXT NOT NULL,
	digest TEXT NOT NULL,
	data TEXT NOT NULL,
	edits TEXT NOT NULL,
	mr_iid BIGINT,
	mr_url TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	opened_at BIGINT,
	merged_at BIGINT,
	verified_at BIGINT,
	closed_at BIGINT,
	UNIQUE (project_id, plan_key)
);
CREATE INDEX IF NOT EXISTS fix_plan_by_state ON fix_plan (state, project_id);
CREATE INDEX IF NOT EXISTS fix_plan_by_branch ON fix_plan (project_id, branch);
`,
	// 10: the agents' webhook relay address of an integration (added by
	// addAgentHookURL, which a replay finds already there).
	`
`,
	// 11: web UI sessions: an API token exchanged at /login for a cookie;
	// only the cookie's hash is kept, with its CSRF token and expiry.
	`
CREATE TABLE IF NOT EXISTS web_session (
	id {{id}},
	token_id BIGINT NOT NULL REFERENCES api_token(id) ON DELETE CASCADE,
	hash TEXT NOT NULL UNIQUE,
	csrf TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_session_by_token ON web_session (token_id);
`,
	// 12: the OAuth grant of an integration connected through a GitLab
	// OAuth application (added by addOAuth, which a replay finds there).
	`
`,
}

// livePushScan is the predicate of the index scan_one_per_push: one live
// scan of each pushed commit of a branch.
const livePushScan = `mr_iid IS NULL AND trigger = 'push' AND sha <> '' AND status <> 'superseded' AND status <> 'failed'`

// liveHeadScan is the predicate of the index scan_one_per_head, repeated
// in the conflict target that uses it.
const liveHeadScan = `mr_iid IS NOT NULL AND sha <> '' AND status <> 'superseded' AND status <> 'failed'`

// goMigrations run after the SQL of their version, in its transaction.
// fkOff asks for SQLite's foreign keys to be off around the transaction
// (tables are rebuilt); they are checked before it commits.
var goMigrations = map[int]struct {
	run   func(ctx context.Context, t *Tx) error
	fkOff bool
}{
	4:  {run: sqliteAutoincrement, fkOff: true},
	7:  {run: addAgentPool},
	10: {run: addAgentHookURL},
	12: {run: addOAuth},
}

// idTables are the tables with an {{id}} key.
var idTables = []string{"api_token", "integration", "project", "webhook_event", "scan", "finding", "audit"}

// sqliteAutoincrement rebuilds each table with an id key as AUTOINCREMENT:
// a new table from the old one's own definition, its rows, its indexes.
func sqliteAutoincrement(ctx context.Context, t *Tx) error {
	if t.dialect != SQLite {
		return nil
	}
	for _, table := range idTables {
		var def string
		if err := t.row(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&def); err != nil {
			return fmt.Errorf("table %s: %w", table, err)
		}
		if strings.Contains(def, "AUTOINCREMENT") {
			continue
		}
		const key = "id INTEGER PRIMARY KEY"
		if !strings.Contains(def, key) {
			return fmt.Errorf("table %s: no %q in %s", table, key, def)
		}
		rows, err := t.query(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table)
		if err != nil {
			return err
		}
		indexes, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
			var s string
			return s, r.Scan(&s)
		})
		if err != nil {
			return err
		}
		def = strings.Replace(def, key, key+" AUTOINCREMENT", 1)
		// A table renamed once is stored as CREATE TABLE "name".
		head := regexp.MustCompile(`^CREATE TABLE\s+("` + table + `"|` + table + `)`)
		if !head.MatchString(def) {
			return fmt.Errorf("table %s: unexpected definition %s", table, def)
		}
		def = head.ReplaceAllString(def, "CREATE TABLE "+table+"_rebuilt")
		stmts := []string{def, `INSERT INTO ` + table + `_rebuilt SELECT * FROM ` + table, `DROP TABLE ` + table, `ALTER TABLE ` + table + `_rebuilt RENAME TO ` + table}
		for _, st := range append(stmts, indexes...) {
			if _, err := t.exec(ctx, st); err != nil {
				return fmt.Errorf("table %s: %w\n%s", table, err, st)
			}
		}
	}
	return nil
}

// addAgentPool adds integration.agent_pool unless it is there.
func addAgentPool(ctx context.Context, t *Tx) error { return addColumn(ctx, t, "agent_pool") }

// addAgentHookURL adds integration.agent_hook_url unless it is there.
func addAgentHookURL(ctx context.Context, t *Tx) error { return addColumn(ctx, t, "agent_hook_url") }

// addOAuth adds integration.oauth unless it is there.
func addOAuth(ctx context.Context, t *Tx) error { return addColumn(ctx, t, "oauth") }

// addColumn adds a TEXT column to integration unless it is there.
func addColumn(ctx context.Context, t *Tx, column string) error {
	var n int
	q := `SELECT COUNT(*) FROM pragma_table_info('integration') WHERE name = ?`
	if t.dialect == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'integration' AND column_name = ?`
	}
	if err := t.row(ctx, q, column).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := t.exec(ctx, `ALTER TABLE integration ADD COLUMN `+column+` TEXT NOT NULL DEFAULT ''`)
	return err
}
