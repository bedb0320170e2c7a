package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrNotPostgres is returned by InPgxTx on SQLite.
var ErrNotPostgres = errors.New("store: a pgx transaction needs PostgreSQL")

// PgxTx is a PostgreSQL transaction on pgx's own interface, on one of the
// store's connections. River's pgx driver (riverpgxv5) inserts jobs in it
// with native array parameters, where its database/sql driver passes
// lib/pq arrays that are turned into text and parsed again on every
// insert: the webhook receiver's group commit uses it.
type PgxTx struct {
	tx      pgx.Tx
	queries Queries
}

// Pgx is the transaction, for River's riverpgxv5 driver.
func (t PgxTx) Pgx() pgx.Tx { return t.tx }

// RecordEvents is Queries.RecordEvents in this transaction.
func (t PgxTx) RecordEvents(ctx context.Context, es []*WebhookEvent) ([]bool, error) {
	query, args := recordEventsQuery(es)
	rows, err := t.tx.Query(ctx, t.queries.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return freshEvents(rows, es)
}

// InPgxTx runs fn in a pgx transaction, committing when it returns nil,
// on PostgreSQL only (ErrNotPostgres otherwise). The connection is one of
// the store's pool, held by fn until it returns: fn must use only t.
func (s *Store) InPgxTx(ctx context.Context, fn func(t PgxTx) error) error {
	if s.dialect != Postgres {
		return ErrNotPostgres
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// Returned to the pool after Raw: database/sql discards it if pgx
	// left it closed or inside a transaction.
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: PostgreSQL connection is a %T, not pgx's", dc)
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("store: begin: %w", err)
		}
		if err := fn(PgxTx{tx: tx, queries: s.Queries}); err != nil {
			tx.Rollback(ctx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
		return nil
	})
}
