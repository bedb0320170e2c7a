package store

import (
	"context"
	"database/sql"
	"time"
)

// Role is what an API token may do.
type Role string

// The roles: admins change things, viewers read.
const (
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleViewer }

// APIToken is a stored API token: only its hash is kept.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	hash       string
}

// CreateToken stores a token by the hash of its secret.
func (q Queries) CreateToken(ctx context.Context, name string, role Role, hash, prefix string, now time.Time) (APIToken, error) {
	id, err := q.insert(ctx, `INSERT INTO api_token (name, role, hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)`, name, string(role), hash, prefix, millis(now))
	if err != nil {
		return APIToken{}, err
	}
	return APIToken{ID: id, Name: name, Role: role, Prefix: prefix, CreatedAt: fromMillis(millis(now)), hash: hash}, nil
}

const tokenColumns = `id, name, role, hash, prefix, created_at, last_used_at`

func scanToken(r interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var created int64
	var used sql.NullInt64
	err := r.Scan(&t.ID, &t.Name, &t.Role, &t.hash, &t.Prefix, &created, &used)
	t.CreatedAt, t.LastUsedAt = fromMillis(created), fromOptMillis(used)
	return t, err
}

// TokenByHash finds a token by the hash of its secret.
func (q Queries) TokenByHash(ctx context.Context, hash string) (APIToken, error) {
	t, err := scanToken(q.row(ctx, `SELECT `+tokenColumns+` FROM api_token WHERE hash = ?`, hash))
	return t, notFound(err, "token", "")
}

// TouchToken records that a token was used, at most once a minute.
func (q Queries) TouchToken(ctx context.Context, id int64, now time.Time) error {
	_, err := q.exec(ctx, `UPDATE api_token SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, millis(now), id, millis(now.Add(-time.Minute)))
	return err
}

// Tokens lists the tokens.
func (q Queries) Tokens(ctx context.Context) ([]APIToken, error) {
	rows, err := q.query(ctx, `SELECT `+tokenColumns+` FROM api_token ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanToken)
}

// CountTokens counts tokens, by role when role is not empty.
func (q Queries) CountTokens(ctx context.Context, role Role) (int, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM api_token WHERE role = ? OR ? = ''`, string(role), string(role)).Scan(&n)
	return n, err
}

// DeleteToken removes a token.
func (q Queries) DeleteToken(ctx context.Context, id int64) error {
	return deleted(q.exec(ctx, `DELETE FROM api_token WHERE id = ?`, id))("token", id)
}

// collect reads every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// deleted turns a DELETE's result into ErrNotFound when no row went.
func deleted(res sql.Result, err error) func(what string, id any) error {
	return func(what string, id any) error {
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(sql.ErrNoRows, what, id)
		}
		return nil
	}
}
