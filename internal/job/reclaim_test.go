package job_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestReclaimDeadWorkersJobs leaves River jobs other than scans "running"
// under workers that are gone, as a kill -9 leaves them: one whose
// workspace lock on this host is free, one on another host whose lease
// expired long ago. Workers starting on the database run both at once
// instead of after River's rescuer (2 × scan timeout + 10 min), and leave
// alone the job of a worker whose lease is fresh.
func TestReclaimDeadWorkersJobs(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { reclaimDeadWorkersJobs(t, d) })
	}
}

func reclaimDeadWorkersJobs(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	st := storetest.Open(t, d)
	work := t.TempDir()
	// Rescuing after an hour: a job run within the test was reclaimed,
	// not rescued.
	cfg := job.Config{Store: st, WorkDir: work, PollInterval: 50 * time.Millisecond, ScanTimeout: 25 * time.Minute}
	inserter, err := job.NewClient(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	// Discoveries of integrations that no longer exist: they complete as
	// soon as a worker runs them.
	owners := map[string]int64{"local-dead": 0, "remote-dead": 0, "remote-alive": 0}
	i := int64(900)
	for w := range owners {
		i++
		res, err := inserter.Insert(ctx, job.DiscoverArgs{IntegrationID: i}, nil)
		if err != nil {
			t.Fatal(err)
		}
		owners[w] = res.Job.ID
		by := `ARRAY['` + w + `']`
		if d == store.SQLite {
			by = `jsonb('["` + w + `"]')`
		}
		if _, err := st.DB().Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ` + now(d) + `, attempted_by = ` + by + ` WHERE id = ` + itoa(res.Job.ID)); err != nil {
			t.Fatal(err)
		}
	}
	// A scan job the local dead worker was running: its scan is queued
	// again with a new job (here there is no scan row to queue), and the
	// old job ends instead of staying running until River's rescuer.
	scanJob, err := inserter.Insert(ctx, job.ScanArgs{ScanID: 999999}, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := `ARRAY['local-dead']`
	if d == store.SQLite {
		by = `jsonb('["local-dead"]')`
	}
	if _, err := st.DB().Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ` + now(d) + `, attempted_by = ` + by + ` WHERE id = ` + itoa(scanJob.Job.ID)); err != nil {
		t.Fatal(err)
	}
	// The local worker's lock is free: it died.
	if err := os.WriteFile(filepath.Join(work, "w-local-dead.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The remote workers are known by their leases only.
	if ok, err := st.AcquireLease(ctx, "merge_request:1:1", "remote-dead/notify:1/00", "remote-dead", time.Minute, time.Now().Add(-time.Hour)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := st.AcquireLease(ctx, "merge_request:1:2", "remote-alive/notify:2/00", "remote-alive", time.Hour, time.Now()); err != nil || !ok {
		t.Fatal(ok, err)
	}

	start(t, cfg)
	state := func(id int64) string {
		var s string
		if err := st.DB().QueryRow(`SELECT state FROM river_job WHERE id = ` + itoa(id)).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	began := time.Now()
	waitFor(t, "the dead workers' jobs to complete", func() bool {
		return state(owners["local-dead"]) == "completed" && state(owners["remote-dead"]) == "completed"
	})
	t.Logf("dead workers' jobs completed %v after the start", time.Since(began).Round(time.Millisecond))
	if s := state(scanJob.Job.ID); s != "cancelled" {
		t.Errorf("the dead worker's scan job is %q; want it cancelled (its scan has a new job)", s)
	}
	if s := state(owners["remote-alive"]); s != "running" {
		t.Errorf("the job of a worker whose lease is fresh is %q; want it left running", s)
	}
	var leases int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM lease WHERE worker_id = 'remote-dead'`).Scan(&leases); err != nil {
		t.Fatal(err)
	}
	if leases != 0 {
		t.Errorf("the dead remote worker still holds %d leases", leases)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
