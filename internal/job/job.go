// Package job holds the platform's background work as River jobs:
// processing webhook deliveries, discovering an integration's projects and
// registering their hooks, scanning a project's branch, reporting on merge
// requests, purging a deleted integration, and the periodic schedule. Jobs
// are enqueued in the same transaction as the rows that cause them.
package job

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/keyring"
	"github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Queues: scans are heavy and limited to a few at a time; everything else
// is short API work.
const (
	ScanQueue    = "scan"
	QueueDefault = river.QueueDefault
)

// DiscoverArgs lists an integration's projects, applies its selection,
// registers webhooks and queues first scans.
type DiscoverArgs struct {
	IntegrationID int64  `json:"integration_id"`
	Reason        string `json:"reason,omitempty"`
	// Verify checks the webhook of every selected project in GitLab, the
	// ones recorded as registered too: one deleted in GitLab is added
	// again, duplicates are removed (a requested or scheduled discovery).
	Verify bool `json:"verify,omitempty"`
}

// Kind is River's name for the job.
func (DiscoverArgs) Kind() string { return "discover" }

// InsertOpts retries discovery: it is idempotent, so a duplicate
// (a selection change while one runs) costs a listing, never a wrong state.
func (DiscoverArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// EventArgs processes one stored webhook delivery.
type EventArgs struct {
	EventID int64 `json:"event_id"`
}

// Kind is River's name for the job.
func (EventArgs) Kind() string { return "webhook_event" }

// InsertOpts retries a few times.
func (EventArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// ScanArgs runs a queued scan row.
type ScanArgs struct {
	ScanID int64 `json:"scan_id"`
}

// Kind is River's name for the job.
func (ScanArgs) Kind() string { return "scan" }

// InsertOpts puts scans on their own queue.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: ScanQueue, MaxAttempts: 3}
}

// NotifyArgs reports a merge request scan back to GitLab: the sticky note
// and the commit status.
type NotifyArgs struct {
	ScanID int64 `json:"scan_id"`
}

// Kind is River's name for the job.
func (NotifyArgs) Kind() string { return "notify" }

// InsertOpts retries through GitLab hiccups.
func (NotifyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// PurgeArgs removes a deleted integration's hooks from GitLab, then its
// rows.
type PurgeArgs struct {
	IntegrationID int64 `json:"integration_id"`
}

// Kind is River's name for the job.
func (PurgeArgs) Kind() string { return "purge" }

// InsertOpts retries; the rows go even if GitLab never answers.
func (PurgeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// ReclaimArgs queues again the scans whose workers stopped beating.
type ReclaimArgs struct{}

// Kind is River's name for the job.
func (ReclaimArgs) Kind() string { return "reclaim" }

// ScheduleArgs is the periodic tick: re-discovery and scheduled scans.
type ScheduleArgs struct{}

// Kind is River's name for the job.
func (ScheduleArgs) Kind() string { return "schedule" }

// Config wires the jobs to their dependencies.
type Config struct {
	Store   *store.Store
	Keyring *keyring.Keyring
	Logger  *slog.Logger
	// WorkDir holds scan workspaces; each is removed when its scan ends.
	WorkDir string
	// HookURL is the webhook endpoint GitLab must call, without the
	// integration ID (".../webhooks/gitlab"); empty means hooks are not
	// registered.
	HookURL string
	// PublicURL is airlock's own address, for links in notes and statuses.
	PublicURL string
	// VulnDB is the vulnerability data; nil scans for secrets only.
	VulnDB vuln.Source
	// Sources describes VulnDB for scan results.
	Sources []scan.Source
	// Rules is the secret detector.
	Rules *secret.Detector
	// Data, when set, is asked before every scan for the current data
	// (after a bundle import the server swaps it) and takes the place of
	// VulnDB, Sources and Rules.
	Data func() Data
	// Registries are the site's package mirrors; nil when none.
	Registries *registry.Set
	// Licenses is the site's license policy; nil when none.
	Licenses *license.Policy
	// ScanTimeout bounds one scan, clone included (default 15m).
	ScanTimeout time.Duration
	// ScanInterval re-scans selected projects' default branches (0: never).
	ScanInterval time.Duration
	// DiscoverInterval re-discovers projects (0: never).
	DiscoverInterval time.Duration
	// ScanWorkers is how many scans run at once (default: cores).
	ScanWorkers int
	// FailOn is the lowest severity that a merge request may introduce
	// before its commit status is failed.
	FailOn finding.Threshold
	// ChangePollInterval is how often integrations routed via agent
	// without a webhook address are polled for new commits and merge
	// requests (0: never; see poll.go).
	ChangePollInterval time.Duration
	// PollInterval is how often idle workers look for jobs (default 200ms).
	PollInterval time.Duration
	// PollOnly turns PostgreSQL's LISTEN/NOTIFY off, so that workers
	// find jobs only by polling: for the side-by-side benchmark of the
	// two (BenchmarkPushToNote), not for production.
	PollOnly bool
	// Heartbeat is how often a running scan and a held lease are renewed
	// (default 5s); after six missed beats they count as abandoned.
	Heartbeat time.Duration
	// Agents routes the calls of integrations marked "route via agent"
	// through their pool's connected agents, and Relay their clones;
	// without them such integrations fail with "no agent is connected".
	// Only the process that the agents connect to (serve) has them.
	Agents *tunnel.Hub
	Relay  *tunnel.Relay
	// Fix turns on remediation plans and merge requests; nil: off.
	Fix *FixConfig
	// HealthInterval is how often every integration is re-tested
	// (default 15m; negative: never, though OAuth tokens are still
	// refreshed).
	HealthInterval time.Duration
	// Now returns the time; time.Now when nil.
	Now func() time.Time
}

// Runner does the jobs' work.
type Runner struct {
	c      Config
	log    *slog.Logger
	client *river.Client[*sql.Tx]
	// id names this worker on the scans it runs and the leases it holds.
	id string
	// dir is this worker's workspace, where it clones; lock proves it
	// alive to other workers on the host (workspace.go).
	dir  string
	lock *os.File
}

// NewClient builds the River client. With work false it only inserts
// jobs (the API side of a deployment whose workers run elsewhere).
func NewClient(c Config, work bool) (*river.Client[*sql.Tx], error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ScanTimeout == 0 {
		c.ScanTimeout = 15 * time.Minute
	}
	if c.ScanWorkers <= 0 {
		c.ScanWorkers = runtime.NumCPU()
	}
	if c.PollInterval == 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 5 * time.Second
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = 15 * time.Minute
	}
	r := &Runner{c: c, log: c.Logger, id: newWorkerID(), dir: c.WorkDir}
	var dead []string
	rc := &river.Config{
		Logger:                      c.Logger.With("component", "river"),
		FetchPollInterval:           c.PollInterval,
		PollOnly:                    c.PollOnly,
		FetchCooldown:               20 * time.Millisecond,
		JobTimeout:                  2 * time.Minute,
		RescueStuckJobsAfter:        2*c.ScanTimeout + 10*time.Minute,
		CompletedJobRetentionPeriod: 24 * time.Hour,
	}
	if work {
		var err error
		if dead, err = r.workspace(); err != nil {
			return nil, err
		}
		rc.ID = r.id
		workers := river.NewWorkers()
		river.AddWorker(workers, &discoverWorker{r: r})
		river.AddWorker(workers, &eventWorker{r: r})
		river.AddWorker(workers, &scanWorker{r: r})
		river.AddWorker(workers, &notifyWorker{r: r})
		river.AddWorker(workers, &purgeWorker{r: r})
		river.AddWorker(workers, &scheduleWorker{r: r})
		river.AddWorker(workers, &reclaimWorker{r: r})
		river.AddWorker(workers, &fixMRWorker{r: r})
		river.AddWorker(workers, &pollWorker{r: r})
		river.AddWorker(workers, &healthWorker{r: r})
		river.AddWorker(workers, &retestWorker{r: r})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			QueueDefault: {MaxWorkers: 8},
			ScanQueue:    {MaxWorkers: c.ScanWorkers},
		}
		// Scans of workers elsewhere that stopped beating are found by
		// the elected leader.
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(r.staleAfter()), func() (river.JobArgs, *river.InsertOpts) {
			return ReclaimArgs{}, nil
		}, nil)}
		if c.ChangePollInterval > 0 {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(c.ChangePollInterval), func() (river.JobArgs, *river.InsertOpts) {
				return PollArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
		rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(healthPeriod(c)), func() (river.JobArgs, *river.InsertOpts) {
			return HealthArgs{}, nil
		}, nil))
		if tick := schedulePeriod(c); tick > 0 {
			rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(tick), func() (river.JobArgs, *river.InsertOpts) {
				return ScheduleArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}))
		}
	}
	client, err := river.NewClient(c.Store.RiverDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	r.client = client
	if work {
		// Workers of this host that died (their locks were free) lose
		// their scans and leases now, not after their heartbeats age.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := r.Reclaim(ctx, dead); err != nil {
			return nil, err
		}
	}
	return client, nil
}

// NewPgxInserter builds a River client that only inserts jobs, in pgx
// transactions (store.InPgxTx) on PostgreSQL, through River's pgx driver:
// it passes the job columns as native arrays, which River's database/sql
// driver does not. The webhook receiver's group commit uses it. Its jobs
// are the same as NewClient's: same table, same defaults (each kind's
// InsertOpts), worked by the store's clients.
func NewPgxInserter(logger *slog.Logger) (*river.Client[pgx.Tx], error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// No pool: such a client cannot start or insert outside a
	// transaction, which is all it is for.
	client, err := river.NewClient(riverpgxv5.New(nil), &river.Config{Logger: logger.With("component", "river")})
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	return client, nil
}

// schedulePeriod is how often the schedule ticks: often enough for the
// shorter of the two intervals, at most every minute.
func schedulePeriod(c Config) time.Duration {
	var d time.Duration
	for _, iv := range []time.Duration{c.ScanInterval, c.DiscoverInterval} {
		if iv > 0 && (d == 0 || iv < d) {
			d = iv
		}
	}
	if d == 0 {
		return 0
	}
	return max(min(d/4, 15*time.Minute), time.Minute)
}

func (r *Runner) now() time.Time { return r.c.Now() }

func (r *Runner) gitlab(in store.Integration) (*gitlab.Client, integration.Connection, error) {
	conn, err := integration.Open(r.c.Keyring, in)
	if err != nil {
		return nil, conn, err
	}
	gl, err := integration.NewClient(conn, r.log, r.agents())
	return gl, conn, err
}

// gone reports whether err says a row no longer exists: the job has
// nothing left to do.
func gone(err error) bool { return errors.Is(err, store.ErrNotFound) }

// insertTx enqueues a job in t.
func (r *Runner) insertTx(ctx context.Context, t *store.Tx, args river.JobArgs) error {
	_, err := r.client.InsertTx(ctx, t.SQL(), args, nil)
	return err
}

// Data is the scan data of the moment: vulnerability records, their
// sources, and the secret rules (a bundle's, or the embedded ones).
type Data struct {
	VulnDB  vuln.Source
	Sources []scan.Source
	Rules   *secret.Detector
	// RuleDefaults are a bundle's rules that Rules was built from, which
	// a repository's .gitleaks.toml extends; nil for the embedded rules.
	RuleDefaults *secret.Config
	// IaCPolicies are a bundle's IaC policies, run beside the embedded
	// ones; nil when none was imported.
	IaCPolicies *iac.Set
	// LicenseNames and LicensePackages are a bundle's license table; nil
	// when none.
	LicenseNames    license.Names
	LicensePackages license.Packages
	// Err says why this process's data is older than the server's (a
	// bundle uploaded to the server that it could not apply): scans
	// refuse to run on it, and are retried.
	Err error
}

// agents is the process's agent hub as integration.Agents: nil (not a nil
// *tunnel.Hub) when it has none.
func (r *Runner) agents() integration.Agents {
	if r.c.Agents == nil {
		return nil
	}
	return r.c.Agents
}
