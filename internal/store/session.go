package store

import (
	"context"
	"database/sql"
	"time"
)

// Session is a web UI session: an API token exchanged for a cookie. Only
// the cookie's hash is stored; CSRF is the token every form of the
// session carries.
type Session struct {
	ID         int64     `json:"id"`
	TokenID    int64     `json:"token_id"`
	CSRF       string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	// Token is the API token the session was opened with.
	Token APIToken `json:"-"`
}

// CreateSession stores a session by the hash of its cookie.
func (q Queries) CreateSession(ctx context.Context, tokenID int64, hash, csrf string, now, expires time.Time) (Session, error) {
	id, err := q.insert(ctx, `INSERT INTO web_session (token_id, hash, csrf, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tokenID, hash, csrf, millis(now), millis(expires), millis(now))
	if err != nil {
		return Session{}, err
	}
	return Session{ID: id, TokenID: tokenID, CSRF: csrf, CreatedAt: fromMillis(millis(now)), ExpiresAt: fromMillis(millis(expires)), LastSeenAt: fromMillis(millis(now))}, nil
}

// SessionByHash finds a live session (not expired at now) by the hash of
// its cookie, with its token; an expired or unknown one is ErrNotFound.
func (q Queries) SessionByHash(ctx context.Context, hash string, now time.Time) (Session, error) {
	var s Session
	var created, expires, seen int64
	row := q.row(ctx, `SELECT s.id, s.token_id, s.csrf, s.created_at, s.expires_at, s.last_seen_at, t.id, t.name, t.role, t.hash, t.prefix, t.created_at, t.last_used_at
FROM web_session s JOIN api_token t ON t.id = s.token_id WHERE s.hash = ? AND s.expires_at > ?`, hash, millis(now))
	var tokCreated int64
	var tokUsed sql.NullInt64
	err := row.Scan(&s.ID, &s.TokenID, &s.CSRF, &created, &expires, &seen,
		&s.Token.ID, &s.Token.Name, &s.Token.Role, &s.Token.hash, &s.Token.Prefix, &tokCreated, &tokUsed)
	if err != nil {
		return Session{}, notFound(err, "session", "")
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMillis(created), fromMillis(expires), fromMillis(seen)
	s.Token.CreatedAt, s.Token.LastUsedAt = fromMillis(tokCreated), fromOptMillis(tokUsed)
	return s, nil
}

// TouchSession records a session's use and slides its expiry, at most
// once a minute.
func (q Queries) TouchSession(ctx context.Context, id int64, now, expires time.Time) error {
	_, err := q.exec(ctx, `UPDATE web_session SET last_seen_at = ?, expires_at = ? WHERE id = ? AND last_seen_at < ?`, millis(now), millis(expires), id, millis(now.Add(-time.Minute)))
	return err
}

// Sessions lists the live sessions, newest first.
func (q Queries) Sessions(ctx context.Context, now time.Time) ([]Session, error) {
	rows, err := q.query(ctx, `SELECT id, token_id, created_at, expires_at, last_seen_at FROM web_session WHERE expires_at > ? ORDER BY id DESC`, millis(now))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (Session, error) {
		var s Session
		var created, expires, seen int64
		err := r.Scan(&s.ID, &s.TokenID, &created, &expires, &seen)
		s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMillis(created), fromMillis(expires), fromMillis(seen)
		return s, err
	})
}

// DeleteSession revokes a session.
func (q Queries) DeleteSession(ctx context.Context, id int64) error {
	return deleted(q.exec(ctx, `DELETE FROM web_session WHERE id = ?`, id))("session", id)
}

// PurgeSessions deletes the sessions expired before now.
func (q Queries) PurgeSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM web_session WHERE expires_at <= ?`, millis(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
