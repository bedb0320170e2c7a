package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// WebhookEvent is one delivery received from GitLab.
type WebhookEvent struct {
	ID            int64     `json:"id"`
	IntegrationID int64     `json:"integration_id"`
	DeliveryKey   string    `json:"delivery_key"`
	Event         string    `json:"event"`
	ReceivedAt    time.Time `json:"received_at"`
	Payload       string    `json:"-"`
	Outcome       string    `json:"outcome,omitempty"`
}

// RecordEvent stores a delivery unless one with the same key was stored
// already (GitLab retries deliveries with the same Idempotency-Key). It
// reports whether the event is new.
func (q Queries) RecordEvent(ctx context.Context, e *WebhookEvent) (bool, error) {
	err := q.row(ctx, `INSERT INTO webhook_event (integration_id, delivery_key, event, received_at, payload, outcome) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, delivery_key) DO NOTHING RETURNING id`,
		e.IntegrationID, e.DeliveryKey, e.Event, millis(e.ReceivedAt), e.Payload, e.Outcome).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// RecordEvents stores deliveries as RecordEvent does, many in one
// statement (the webhook receiver's group commit), and reports for each
// whether it is new. A key twice in es is stored once, for the first.
func (q Queries) RecordEvents(ctx context.Context, es []*WebhookEvent) ([]bool, error) {
	query, args := recordEventsQuery(es)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return freshEvents(rows, es)
}

// recordEventsQuery is RecordEvents' statement, with ? placeholders, and
// its arguments.
func recordEventsQuery(es []*WebhookEvent) (string, []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO webhook_event (integration_id, delivery_key, event, received_at, payload, outcome) VALUES `)
	args := make([]any, 0, 6*len(es))
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, e.IntegrationID, e.DeliveryKey, e.Event, millis(e.ReceivedAt), e.Payload, e.Outcome)
	}
	b.WriteString(` ON CONFLICT (integration_id, delivery_key) DO NOTHING RETURNING id, integration_id, delivery_key`)
	return b.String(), args
}

// eventRows is what both database/sql's and pgx's rows offer.
type eventRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// freshEvents reads the ids RecordEvents' statement returned into es
// and reports which of es are new.
func freshEvents(rows eventRows, es []*WebhookEvent) ([]bool, error) {
	type key struct {
		integration int64
		delivery    string
	}
	ids := map[key]int64{}
	for rows.Next() {
		var id int64
		var k key
		if err := rows.Scan(&id, &k.integration, &k.delivery); err != nil {
			return nil, err
		}
		ids[k] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fresh := make([]bool, len(es))
	for i, e := range es {
		k := key{e.IntegrationID, e.DeliveryKey}
		if id, ok := ids[k]; ok {
			e.ID, fresh[i] = id, true
			delete(ids, k) // a second copy in es is a duplicate
		}
	}
	return fresh, nil
}

// SetEventOutcome records what a delivery caused.
func (q Queries) SetEventOutcome(ctx context.Context, id int64, outcome string) error {
	_, err := q.exec(ctx, `UPDATE webhook_event SET outcome = ? WHERE id = ?`, outcome, id)
	return err
}

// Event loads one delivery.
func (q Queries) Event(ctx context.Context, id int64) (WebhookEvent, error) {
	var e WebhookEvent
	var at int64
	err := q.row(ctx, `SELECT id, integration_id, delivery_key, event, received_at, payload, outcome FROM webhook_event WHERE id = ?`, id).Scan(&e.ID, &e.IntegrationID, &e.DeliveryKey, &e.Event, &at, &e.Payload, &e.Outcome)
	e.ReceivedAt = fromMillis(at)
	return e, notFound(err, "webhook event", id)
}

// Events lists an integration's newest deliveries first.
func (q Queries) Events(ctx context.Context, integrationID int64, limit int) ([]WebhookEvent, error) {
	rows, err := q.query(ctx, `SELECT id, integration_id, delivery_key, event, received_at, payload, outcome FROM webhook_event WHERE integration_id = ? ORDER BY id DESC LIMIT ?`, integrationID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (WebhookEvent, error) {
		var e WebhookEvent
		var at int64
		err := r.Scan(&e.ID, &e.IntegrationID, &e.DeliveryKey, &e.Event, &at, &e.Payload, &e.Outcome)
		e.ReceivedAt = fromMillis(at)
		return e, err
	})
}

// PruneEvents deletes deliveries received before before; they are kept
// for de-duplication and diagnosis, not forever.
func (q Queries) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM webhook_event WHERE received_at < ?`, millis(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
