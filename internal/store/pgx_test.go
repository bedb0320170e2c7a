package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestInPgxTx: the webhook receiver's pgx transaction records a batch as
// Queries.RecordEvents does (new keys get ids, a key twice in the batch
// and a key stored before are not new), commits it, and leaves nothing
// behind when fn fails, when a statement fails or when its context ends;
// the connection it borrowed serves the store afterwards. On SQLite it
// refuses with ErrNotPostgres.
func TestInPgxTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if s.Dialect() != store.Postgres {
			called := false
			err := s.InPgxTx(ctx, func(store.PgxTx) error { called = true; return nil })
			if !errors.Is(err, store.ErrNotPostgres) || called {
				t.Fatalf("InPgxTx on %s: %v (fn called: %v), want ErrNotPostgres", s.Dialect(), err, called)
			}
			return
		}
		// One connection: every step below reuses the one the previous
		// step returned.
		s.DB().SetMaxOpenConns(1)
		in := newIntegration(t, s.Queries)
		ev := func(key string) *store.WebhookEvent {
			return &store.WebhookEvent{IntegrationID: in.ID, DeliveryKey: key, Event: "Push Hook", ReceivedAt: t0, Payload: `{"k":"` + key + `"}`}
		}
		old := ev("old")
		if ok, err := s.RecordEvent(ctx, old); !ok || err != nil {
			t.Fatalf("RecordEvent: %v %v", ok, err)
		}
		batch := []*store.WebhookEvent{ev("a"), ev("b"), ev("a"), ev("old"), ev("c")}
		var fresh []bool
		err := s.InPgxTx(ctx, func(tx store.PgxTx) error {
			var err error
			fresh, err = tx.RecordEvents(ctx, batch)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{true, true, false, false, true}; fmt.Sprint(fresh) != fmt.Sprint(want) {
			t.Fatalf("fresh %v, want %v", fresh, want)
		}
		for _, i := range []int{0, 1, 4} {
			got, err := s.Event(ctx, batch[i].ID)
			if err != nil || got.DeliveryKey != batch[i].DeliveryKey || got.Payload != batch[i].Payload || !got.ReceivedAt.Equal(t0) {
				t.Fatalf("event %d (id %d): %+v, %v", i, batch[i].ID, got, err)
			}
		}
		if batch[2].ID != 0 || batch[3].ID != 0 {
			t.Fatalf("duplicates got ids %d and %d", batch[2].ID, batch[3].ID)
		}
		count := func() int {
			t.Helper()
			var n int
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM webhook_event`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}

		// fn fails after its insert: rolled back.
		boom := errors.New("boom")
		err = s.InPgxTx(ctx, func(tx store.PgxTx) error {
			if _, err := tx.RecordEvents(ctx, []*store.WebhookEvent{ev("d")}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("fn's error: %v", err)
		}
		// A statement fails (the transaction is aborted in PostgreSQL).
		err = s.InPgxTx(ctx, func(tx store.PgxTx) error {
			if _, err := tx.RecordEvents(ctx, []*store.WebhookEvent{ev("e")}); err != nil {
				return err
			}
			_, err := tx.Pgx().Exec(ctx, `SELECT no_such_column FROM webhook_event`)
			return err
		})
		if err == nil {
			t.Fatal("a failing statement committed")
		}
		// The context ends before the commit.
		cctx, cancel := context.WithCancel(ctx)
		err = s.InPgxTx(cctx, func(tx store.PgxTx) error {
			if _, err := tx.RecordEvents(cctx, []*store.WebhookEvent{ev("f")}); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if err == nil {
			t.Fatal("a cancelled transaction committed")
		}
		if n := count(); n != 4 {
			t.Fatalf("%d rows after three failed transactions, want 4", n)
		}
		// The connection serves both interfaces again.
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		err = s.InPgxTx(ctx, func(tx store.PgxTx) error {
			fresh, err = tx.RecordEvents(ctx, []*store.WebhookEvent{ev("d"), ev("e"), ev("f")})
			return err
		})
		if err != nil || fmt.Sprint(fresh) != "[true true true]" {
			t.Fatalf("after the failures: %v %v", fresh, err)
		}
		if n := count(); n != 7 {
			t.Fatalf("%d rows, want 7", n)
		}
	})
}
