package store

import (
	"context"
	"database/sql"
	"time"
)

// AgentKey is a stored agent key: only its hash is kept. An agent that
// presents the key joins its pool.
type AgentKey struct {
	ID         int64      `json:"id"`
	Pool       string     `json:"pool"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

const agentKeyColumns = `id, pool, prefix, created_at, last_used_at`

func scanAgentKey(r interface{ Scan(...any) error }) (AgentKey, error) {
	var k AgentKey
	var created int64
	var used sql.NullInt64
	err := r.Scan(&k.ID, &k.Pool, &k.Prefix, &created, &used)
	k.CreatedAt, k.LastUsedAt = fromMillis(created), fromOptMillis(used)
	return k, err
}

// CreateAgentKey stores an agent key of a pool by the hash of its secret.
func (q Queries) CreateAgentKey(ctx context.Context, pool, hash, prefix string, now time.Time) (AgentKey, error) {
	id, err := q.insert(ctx, `INSERT INTO agent_key (pool, hash, prefix, created_at) VALUES (?, ?, ?, ?)`, pool, hash, prefix, millis(now))
	if err != nil {
		return AgentKey{}, err
	}
	return AgentKey{ID: id, Pool: pool, Prefix: prefix, CreatedAt: fromMillis(millis(now))}, nil
}

// AgentKeyByHash finds an agent key by the hash of its secret and
// records its use.
func (q Queries) AgentKeyByHash(ctx context.Context, hash string, now time.Time) (AgentKey, error) {
	k, err := scanAgentKey(q.row(ctx, `SELECT `+agentKeyColumns+` FROM agent_key WHERE hash = ?`, hash))
	if err != nil {
		return k, notFound(err, "agent key", "")
	}
	_, err = q.exec(ctx, `UPDATE agent_key SET last_used_at = ? WHERE id = ?`, millis(now), k.ID)
	return k, err
}

// AgentKeys lists the agent keys.
func (q Queries) AgentKeys(ctx context.Context) ([]AgentKey, error) {
	rows, err := q.query(ctx, `SELECT `+agentKeyColumns+` FROM agent_key ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAgentKey)
}

// DeleteAgentKey revokes an agent key.
func (q Queries) DeleteAgentKey(ctx context.Context, id int64) error {
	return deleted(q.exec(ctx, `DELETE FROM agent_key WHERE id = ?`, id))("agent key", id)
}
