package store

import (
	"context"
	"time"
)

// AuditEntry records who changed what.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

// Audit appends an entry to the audit log.
func (q Queries) Audit(ctx context.Context, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := q.exec(ctx, `INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`, millis(e.At), e.Actor, e.Action, e.Target, e.Detail)
	return err
}

// AuditLog lists the newest entries first, at most limit, before the
// entry with ID before (0: from the newest).
func (q Queries) AuditLog(ctx context.Context, limit int, before int64) ([]AuditEntry, error) {
	rows, err := q.query(ctx, `SELECT id, at, actor, action, target, detail FROM audit WHERE id < ? OR ? = 0 ORDER BY id DESC LIMIT ?`, before, before, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (AuditEntry, error) {
		var e AuditEntry
		var at int64
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.At = fromMillis(at)
		return e, err
	})
}
