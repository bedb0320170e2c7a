package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestPostgresJobsWakeWorkers: on PostgreSQL a job inserted by another
// client (the API side) is picked up through LISTEN/NOTIFY, not at the
// next poll: with a poll interval of an hour it still runs.
func TestPostgresJobsWakeWorkers(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.Postgres)
	kr, err := keyring.Open(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := job.Config{Store: st, Keyring: kr, WorkDir: t.TempDir(), PollInterval: time.Hour}
	worker := start(t, cfg)
	inserter, err := job.NewClient(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	// Let the worker's first fetch pass, so that only a notification can
	// wake it.
	time.Sleep(500 * time.Millisecond)
	err = st.InTx(ctx, func(tx *store.Tx) error {
		_, err := inserter.InsertTx(ctx, tx.SQL(), job.NotifyArgs{ScanID: 424242}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to be worked", func() bool {
		var state string
		st.DB().QueryRow(`SELECT state FROM river_job WHERE kind = 'notify'`).Scan(&state)
		return state == "completed"
	})
	_ = worker
}
