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
	// Two scan jobs the local dead worker was running. One's scan was
	// running: the scan is queued again with a new job, and the old job
	// ends as cancelled instead of staying running until River's
	// rescuer. The other died between fetching its job and claiming its
	// scan (no scan row here): that job is made available again, since
	// nothing else would run its scan.
	in := store.Integration{Name: "gl", URL: "https://gitlab.example.com", TokenKind: "personal", TokenSealed: []byte{}, WebhookSealed: []byte{}, Selection: store.SelectAll}
	var orphan store.Scan
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateIntegration(ctx, &in, time.Now()); err != nil {
			return err
		}
		pr := store.Project{IntegrationID: in.ID, GitLabID: 1, Path: "platform/payments", DefaultBranch: "main", AccessLevel: 40, Selected: true}
		if _, err := tx.UpsertProject(ctx, &pr, time.Now()); err != nil {
			return err
		}
		orphan = store.Scan{ProjectID: pr.ID, Trigger: store.TriggerManual, Branch: "main"}
		return job.QueueScan(ctx, inserter, tx, &orphan, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE scan SET status = 'running', worker_id = 'local-dead' WHERE id = ` + itoa(orphan.ID)); err != nil {
		t.Fatal(err)
	}
	var orphanJob int64
	if err := st.DB().QueryRow(`SELECT id FROM river_job WHERE kind = 'scan'`).Scan(&orphanJob); err != nil {
		t.Fatal(err)
	}
	unclaimed, err := inserter.Insert(ctx, job.ScanArgs{ScanID: 999999}, nil)
	if err != nil {
		t.Fatal(err)
	}
	by := `ARRAY['local-dead']`
	if d == store.SQLite {
		by = `jsonb('["local-dead"]')`
	}
	for _, id := range []int64{orphanJob, unclaimed.Job.ID} {
		if _, err := st.DB().Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = ` + now(d) + `, attempted_by = ` + by + ` WHERE id = ` + itoa(id)); err != nil {
			t.Fatal(err)
		}
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
	if s := state(orphanJob); s != "cancelled" {
		t.Errorf("the dead worker's job of a running scan is %q; want it cancelled (its scan has a new job)", s)
	}
	var newJobs int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'scan' AND id NOT IN (` + itoa(orphanJob) + `, ` + itoa(unclaimed.Job.ID) + `)`).Scan(&newJobs); err != nil || newJobs != 1 {
		t.Errorf("%d new scan jobs (%v), want the orphaned scan's one", newJobs, err)
	}
	waitFor(t, "the unclaimed scan's job to run again", func() bool {
		s := state(unclaimed.Job.ID)
		return s != "running" && s != "cancelled"
	})
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
