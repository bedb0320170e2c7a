package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Liveness of workers seen from the shared database: a worker that stopped
// renewing what it holds is dead, and River jobs it was running are put
// back in the queue without waiting for River's rescuer (which waits
// longer than the longest scan may run).

// StaleWorkers returns the workers that run a scan whose heartbeat is older
// than staleBefore or hold a lease that expired before now: they stopped
// beating, so they are dead (or hung past their own deadlines).
func (q Queries) StaleWorkers(ctx context.Context, staleBefore, now time.Time) ([]string, error) {
	rows, err := q.query(ctx, `SELECT worker_id FROM scan WHERE status = ? AND worker_id <> '' AND heartbeat_at < ?
UNION SELECT worker_id FROM lease WHERE worker_id <> '' AND expires_at < ?`, ScanRunning, millis(staleBefore), millis(now))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// RequeueWorkerJobs makes the River jobs that the dead workers were running
// available again at once, except those of the kinds in except (whose work
// the caller queues again itself), and returns how many it requeued. A job
// counts as the worker's when the worker made its latest attempt.
func (q Queries) RequeueWorkerJobs(ctx context.Context, deadWorkers []string, except []string) (int64, error) {
	return q.workerJobs(ctx, deadWorkers, except, false, "state = 'available', scheduled_at = %s")
}

// CancelWorkerJobs ends, as cancelled, the River jobs of the kinds given
// that the dead workers were running: the caller has queued their work
// again with new jobs, and the old ones would otherwise stay running
// until River's rescuer, long after. It returns how many it ended.
func (q Queries) CancelWorkerJobs(ctx context.Context, deadWorkers []string, kinds []string) (int64, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	return q.workerJobs(ctx, deadWorkers, kinds, true, "state = 'cancelled', finalized_at = %s")
}

// workerJobs updates the running River jobs whose latest attempt is one
// of the dead workers', of the kinds given (only, or all but them); set
// holds one %s for River's notion of now in its own column format.
func (q Queries) workerJobs(ctx context.Context, deadWorkers, kinds []string, only bool, set string) (int64, error) {
	if len(deadWorkers) == 0 {
		return 0, nil
	}
	var last, at string
	switch q.dialect {
	case Postgres:
		last, at = `attempted_by[array_length(attempted_by, 1)]`, `now()`
	case SQLite:
		last, at = `json_extract(attempted_by, '$[#-1]')`, `datetime('now', 'subsec')`
	default:
		return 0, fmt.Errorf("store: unknown dialect %q", q.dialect)
	}
	var args []any
	in := make([]string, len(deadWorkers))
	for i, w := range deadWorkers {
		in[i] = "?"
		args = append(args, w)
	}
	query := `UPDATE river_job SET ` + fmt.Sprintf(set, at) + ` WHERE state = 'running' AND ` + last + ` IN (` + strings.Join(in, ", ") + `)`
	if len(kinds) > 0 {
		ks := make([]string, len(kinds))
		for i, k := range kinds {
			ks[i] = "?"
			args = append(args, k)
		}
		op := "NOT IN"
		if only {
			op = "IN"
		}
		query += ` AND kind ` + op + ` (` + strings.Join(ks, ", ") + `)`
	}
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("update the jobs of dead workers: %w", err)
	}
	return res.RowsAffected()
}
