package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/store"
)

// Liveness. A worker (one River client of one process) has an ID; a scan
// it runs carries that ID and a heartbeat it renews every heartbeat
// interval, and so does every lease it holds. A scan or lease whose
// heartbeat is older than staleAfter intervals belongs to a dead worker
// and is taken over; on the same host a dead worker is known at once,
// because the lock it held on its workspace is free (see workspace.go).
const staleBeats = 6

func newWorkerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	b := make([]byte, 6)
	rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// staleAfter is how old a heartbeat may be before its owner counts as dead.
func (r *Runner) staleAfter() time.Duration { return staleBeats * r.c.Heartbeat }

// holder names one hold of this worker on a lease: two jobs of one
// worker are two holders.
func (r *Runner) holder(what string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return r.id + "/" + what + "/" + hex.EncodeToString(b)
}

// every runs fn every heartbeat interval until stop is called.
func (r *Runner) every(ctx context.Context, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.c.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// errBusy says a lease is held by another live worker: the job waits.
type errBusy struct{ name string }

func (e errBusy) Error() string { return "lease " + e.name + " is held by another job" }

// lease takes the named lease for what and renews it until release is
// called. errBusy when another live holder has it.
func (r *Runner) lease(ctx context.Context, name, what string) (release func(), err error) {
	holder := r.holder(what)
	ok, err := r.c.Store.AcquireLease(ctx, name, holder, r.id, r.staleAfter(), r.now())
	if err != nil {
		return nil, fmt.Errorf("lease %s: %w", name, err)
	}
	if !ok {
		return nil, errBusy{name}
	}
	stop := r.every(ctx, func(ctx context.Context) {
		if ok, err := r.c.Store.RenewLease(ctx, name, holder, r.staleAfter(), r.now()); err != nil || !ok {
			r.log.WarnContext(ctx, "lease not renewed", "lease", name, "lost", !ok, "error", fmt.Sprint(err))
		}
	})
	return func() {
		stop()
		if err := r.c.Store.ReleaseLease(context.WithoutCancel(ctx), name, holder); err != nil {
			r.log.WarnContext(ctx, "lease not released; it expires", "lease", name, "error", err.Error())
		}
	}, nil
}

// mergeRequestLease serialises the scans and notes of one merge request.
func mergeRequestLease(projectID, iid int64) string {
	return fmt.Sprintf("merge_request:%d:%d", projectID, iid)
}

// discoveryLease makes one discovery of an integration run at a time.
func discoveryLease(integrationID int64) string {
	return fmt.Sprintf("discovery:%d", integrationID)
}

// Reclaim takes over the work of dead workers: the workers in dead (proven
// dead on this host by their free workspace locks) and those that stopped
// beating (a running scan's heartbeat or a lease older than staleAfter).
// Their running scans go back to the queue with a new job, their leases
// are dropped, and the other River jobs they were running (discoveries,
// webhook events, notes, purges, fix merge requests) are made available
// again at once instead of after River's rescuer, which waits longer than
// the longest scan may run.
func (r *Runner) Reclaim(ctx context.Context, dead []string) (int, error) {
	var ids []int64
	var jobs int64
	err := r.c.Store.InTx(ctx, func(t *store.Tx) error {
		stale, err := t.StaleWorkers(ctx, r.now().Add(-r.staleAfter()), r.now())
		if err != nil {
			return err
		}
		all := append([]string(nil), dead...)
		for _, w := range stale {
			if w != r.id && !slices.Contains(all, w) {
				all = append(all, w)
			}
		}
		for _, w := range all {
			if _, err := t.DropWorkerLeases(ctx, w); err != nil {
				return err
			}
		}
		if ids, err = t.OrphanedScans(ctx, all, r.now().Add(-r.staleAfter())); err != nil {
			return err
		}
		for _, id := range ids {
			if err := r.insertTx(ctx, t, ScanArgs{ScanID: id}); err != nil {
				return err
			}
		}
		// The old jobs of the scans queued again above end as cancelled
		// (River's rescuer would leave them running for longer than a
		// scan may take); every other job the dead workers ran is made
		// available again — a scan job whose scan was still queued (the
		// worker died between fetching the job and claiming the scan)
		// too, since nothing else would run that scan.
		if _, err := t.CancelWorkerJobs(ctx, all, ScanArgs{}.Kind(), "scan_id", ids); err != nil {
			return err
		}
		jobs, err = t.RequeueWorkerJobs(ctx, all, nil)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reclaim: %w", err)
	}
	if len(ids) > 0 || jobs > 0 {
		r.log.InfoContext(ctx, "work of dead workers queued again", "scans", len(ids), "jobs", jobs, "dead_workers", len(dead))
	}
	return len(ids) + int(jobs), nil
}

type reclaimWorker struct {
	river.WorkerDefaults[ReclaimArgs]
	r *Runner
}

func (w *reclaimWorker) Work(ctx context.Context, _ *river.Job[ReclaimArgs]) error {
	_, err := w.r.Reclaim(ctx, nil)
	return err
}
