package job_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// fixedArgs is a job that takes a fixed time, in place of a scan.
type fixedArgs struct{}

func (fixedArgs) Kind() string { return "bench_fixed" }
func (fixedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: job.ScanQueue}
}

type fixedWorker struct {
	river.WorkerDefaults[fixedArgs]
	d    time.Duration
	done *atomic.Int64
}

func (w *fixedWorker) Work(ctx context.Context, _ *river.Job[fixedArgs]) error {
	time.Sleep(w.d)
	w.done.Add(1)
	return nil
}

// BenchmarkScaleOut shows that the shared PostgreSQL queue is not what
// limits scale-out: 200 jobs of 50 ms each (a scan's place, so the two
// cores are not the limit) worked by 1, 2 and 4 worker processes' River
// clients, each running two at a time as 'airlock worker' does on two
// cores, on the store's own driver (LISTEN/NOTIFY) with the fetch
// cooldown job.NewClient sets (20 ms). Throughput should
// grow with the workers.
func BenchmarkScaleOut(b *testing.B) {
	const jobs, each = 200, 50 * time.Millisecond
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			st := storetest.Open(b, store.Postgres)
			ctx := context.Background()
			var done atomic.Int64
			var clients []*river.Client[*sql.Tx]
			for range workers {
				ws := river.NewWorkers()
				river.AddWorker(ws, &fixedWorker{d: each, done: &done})
				c, err := river.NewClient(st.RiverDriver(), &river.Config{Workers: ws, Queues: map[string]river.QueueConfig{job.ScanQueue: {MaxWorkers: 2}}, FetchPollInterval: 200 * time.Millisecond, FetchCooldown: 20 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Start(ctx); err != nil {
					b.Fatal(err)
				}
				clients = append(clients, c)
			}
			defer func() {
				for _, c := range clients {
					sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					c.Stop(sctx)
					cancel()
				}
			}()
			var total time.Duration
			for range b.N {
				done.Store(0)
				params := make([]river.InsertManyParams, jobs)
				for i := range params {
					params[i] = river.InsertManyParams{Args: fixedArgs{}}
				}
				start := time.Now()
				if _, err := clients[0].InsertMany(ctx, params); err != nil {
					b.Fatal(err)
				}
				for done.Load() < jobs {
					time.Sleep(5 * time.Millisecond)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(jobs*b.N)/total.Seconds(), "jobs/s")
			b.ReportMetric(float64(jobs*b.N)*each.Seconds()/total.Seconds()/float64(2*workers), "utilisation")
		})
	}
}
