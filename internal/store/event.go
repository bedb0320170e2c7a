package store

import (
	"context"
	"database/sql"
	"errors"
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
