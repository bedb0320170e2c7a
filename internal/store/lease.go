package store

import (
	"context"
	"time"
)

// A lease gives one holder at a time a named piece of work (a merge
// request's scan and note, an integration's discovery) until it expires;
// the holder renews it while it works. Holders are "<worker>/<what>", and
// a worker proven dead loses its leases at once (DropWorkerLeases).

// AcquireLease takes the lease name for holder until now+ttl, when it is
// free, expired or already holder's. It reports whether holder has it.
func (q Queries) AcquireLease(ctx context.Context, name, holder, workerID string, ttl time.Duration, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO lease (name, holder, worker_id, expires_at) VALUES (?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, worker_id = excluded.worker_id, expires_at = excluded.expires_at
WHERE lease.expires_at < ? OR lease.holder = excluded.holder`, name, holder, workerID, millis(now.Add(ttl)), millis(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RenewLease extends holder's lease; false when it is no longer holder's.
func (q Queries) RenewLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ?`, millis(now.Add(ttl)), name, holder)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives up holder's lease.
func (q Queries) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := q.exec(ctx, `DELETE FROM lease WHERE name = ? AND holder = ?`, name, holder)
	return err
}

// DropWorkerLeases removes the leases of a worker known to be dead.
func (q Queries) DropWorkerLeases(ctx context.Context, workerID string) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM lease WHERE worker_id = ?`, workerID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
