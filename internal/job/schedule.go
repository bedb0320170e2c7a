package job

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/store"
)

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	r *Runner
}

func (w *scheduleWorker) Work(ctx context.Context, _ *river.Job[ScheduleArgs]) error {
	return w.r.Schedule(ctx)
}

// maxScheduled bounds the scans one tick queues; the next tick queues the
// rest, so a large instance is spread out instead of queued at once.
const maxScheduled = 500

// eventRetention is how long webhook deliveries are kept: long enough to
// recognise GitLab's retries and to diagnose, not forever.
const eventRetention = 30 * 24 * time.Hour

// Schedule queues re-discovery of integrations not discovered within
// DiscoverInterval, and scans of selected projects whose default branch
// has had none within ScanInterval.
func (r *Runner) Schedule(ctx context.Context) error {
	now := r.now()
	if n, err := r.c.Store.PruneEvents(ctx, now.Add(-eventRetention)); err != nil {
		return err
	} else if n > 0 {
		r.log.InfoContext(ctx, "old webhook deliveries deleted", "count", n)
	}
	return r.c.Store.InTx(ctx, func(t *store.Tx) error {
		if r.c.DiscoverInterval > 0 {
			ins, err := t.Integrations(ctx)
			if err != nil {
				return err
			}
			for _, in := range ins {
				if in.DiscoveryStatus == "deleting" || (in.DiscoveredAt != nil && now.Sub(*in.DiscoveredAt) < r.c.DiscoverInterval) {
					continue
				}
				if err := r.insertTx(ctx, t, DiscoverArgs{IntegrationID: in.ID, Reason: "schedule", Verify: true}); err != nil {
					return err
				}
			}
		}
		if r.c.ScanInterval > 0 {
			due, err := t.Due(ctx, now.Add(-r.c.ScanInterval), maxScheduled)
			if err != nil {
				return err
			}
			for _, p := range due {
				if err := r.queueScan(ctx, t, p, store.TriggerSchedule, p.DefaultBranch, ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
