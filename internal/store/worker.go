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
	cond, args := "", []any{}
	if len(except) > 0 {
		cond = ` AND kind NOT IN (` + placeholders(len(except)) + `)`
		for _, k := range except {
			args = append(args, k)
		}
	}
	return q.workerJobs(ctx, deadWorkers, cond, args, "state = 'available', scheduled_at = %s")
}

// CancelWorkerJobs ends, as cancelled, the running River jobs of kind
// that the dead workers were running and whose argument field (a JSON
// number: scan_id) is one of ids: the caller has queued their work again
// with new jobs, and the old ones would otherwise stay running until
// River's rescuer, long after. It returns how many it ended.
func (q Queries) CancelWorkerJobs(ctx context.Context, deadWorkers []string, kind, field string, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var arg string
	switch q.dialect {
	case Postgres:
		arg = `(args->>'` + field + `')::bigint`
	default:
		arg = `json_extract(args, '$.` + field + `')`
	}
	args := []any{kind}
	for _, id := range ids {
		args = append(args, id)
	}
	return q.workerJobs(ctx, deadWorkers, ` AND kind = ? AND `+arg+` IN (`+placeholders(len(ids))+`)`, args, "state = 'cancelled', finalized_at = %s")
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// workerJobs updates the running River jobs whose latest attempt is one
// of the dead workers' and that match cond (with its args); set holds one
// %s for River's notion of now in its own column format.
func (q Queries) workerJobs(ctx context.Context, deadWorkers []string, cond string, condArgs []any, set string) (int64, error) {
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
	for _, w := range deadWorkers {
		args = append(args, w)
	}
	query := `UPDATE river_job SET ` + fmt.Sprintf(set, at) + ` WHERE state = 'running' AND ` + last + ` IN (` + placeholders(len(deadWorkers)) + `)` + cond
	res, err := q.exec(ctx, query, append(args, condArgs...)...)
	if err != nil {
		return 0, fmt.Errorf("update the jobs of dead workers: %w", err)
	}
	return res.RowsAffected()
}
