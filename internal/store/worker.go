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
	if len(deadWorkers) == 0 {
		return 0, nil
	}
	// River's own notion of now, in its own column format.
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
	query := `UPDATE river_job SET state = 'available', scheduled_at = ` + at + ` WHERE state = 'running' AND ` + last + ` IN (` + strings.Join(in, ", ") + `)`
	if len(except) > 0 {
		ex := make([]string, len(except))
		for i, k := range except {
			ex[i] = "?"
			args = append(args, k)
		}
		query += ` AND kind NOT IN (` + strings.Join(ex, ", ") + `)`
	}
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("requeue jobs of dead workers: %w", err)
	}
	return res.RowsAffected()
}
