package store

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
`,
	// 2: the on-prem agent: agent keys by pool, and the pool an
	// integration routes through.
	`
CREATE TABLE agent_key (
	id {{id}},
	pool TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT
);
ALTER TABLE integration ADD COLUMN agent_pool TEXT NOT NULL DEFAULT '';
`,
	// 3: the agents' webhook relay address of an integration.
	`
ALTER TABLE integration ADD COLUMN agent_hook_url TEXT NOT NULL DEFAULT '';
`,
}
