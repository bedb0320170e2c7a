package job

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/analyzer/license"
	analyzers "github.com/airlock-sec/airlock/internal/analyzer/list"
	"github.com/airlock-sec/airlock/internal/analyzer/secretscan"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/scan"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/store"
)

// TriggerBaseline marks a scan of a merge request's target branch, run
// first when that branch had never been scanned, so that the merge
// request's findings can be compared with something.
const TriggerBaseline = store.TriggerBaseline

type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	r *Runner
}

func (w *scanWorker) Timeout(*river.Job[ScanArgs]) time.Duration {
	// Two clones and scans at most (the merge request and its baseline).
	return 2*w.r.c.ScanTimeout + time.Minute
}

func (w *scanWorker) Work(ctx context.Context, j *river.Job[ScanArgs]) error {
	err := w.r.RunScan(ctx, j.Args.ScanID, j.Attempt >= j.MaxAttempts)
	if gone(err) {
		return nil
	}
	if b, ok := errors.AsType[errBusy](err); ok {
		// Another scan or note of the merge request is under way: wait
		// for it without spending an attempt.
		w.r.log.DebugContext(ctx, "scan waits its turn", "scan_id", j.Args.ScanID, "lease", b.name)
		return river.JobSnooze(w.r.c.Heartbeat / 5)
	}
	return err
}

// RunScan clones the scan's branch, scans it with the CLI's engine and
// records the findings: new, existing and fixed on the branch, and for a
// merge request what it introduces compared with its target branch. A
// merge request scan then queues its report. last says this is the final
// attempt: a failure is then recorded (and reported) instead of retried.
//
// The scans of one merge request run one at a time (errBusy otherwise),
// and a scan whose commit is no longer the merge request's head, before
// or after it ran, is recorded as superseded: it reports nothing, and the
// head is scanned instead.
func (r *Runner) RunScan(ctx context.Context, scanID int64, last bool) error {
	sc, err := r.c.Store.Scan(ctx, scanID)
	if err != nil {
		return err
	}
	if sc.Finished() {
		return nil
	}
	p, err := r.c.Store.Project(ctx, sc.ProjectID)
	if err != nil {
		return err
	}
	in, err := r.c.Store.Integration(ctx, p.IntegrationID)
	if err != nil {
		return err
	}
	if lease := scanLease(p.ID, sc); lease != "" {
		release, err := r.lease(ctx, lease, fmt.Sprintf("scan:%d", sc.ID))
		if err != nil {
			return err
		}
		defer release()
	}
	claimed, err := r.c.Store.ClaimScan(ctx, sc.ID, r.id, r.now(), r.now().Add(-r.staleAfter()))
	if err != nil || !claimed {
		// Not claimed: finished meanwhile, or run by a live worker (this
		// job is a duplicate of a reclaimed scan's).
		return err
	}
	defer func() {
		if err := r.c.Store.UnclaimScan(context.WithoutCancel(ctx), sc.ID, r.id); err != nil {
			r.log.WarnContext(ctx, "scan not put back in the queue", "scan_id", sc.ID, "error", err.Error())
		}
	}()
	var baseID atomic.Int64 // the baseline scan running first, if any
	stop := r.every(ctx, func(ctx context.Context) {
		for _, id := range []int64{sc.ID, baseID.Load()} {
			if id == 0 {
				continue
			}
			ok, err := r.c.Store.ScanHeartbeat(ctx, id, r.id, r.now())
			if err != nil {
				r.log.WarnContext(ctx, "scan heartbeat not recorded", "scan_id", id, "error", err.Error())
			} else if !ok && id == sc.ID {
				r.log.WarnContext(ctx, "scan taken over by another worker", "scan_id", id)
			}
		}
	})
	defer stop()
	gl, conn, err := r.gitlab(in)
	if err == nil && sc.MRIID != nil {
		var head gitlab.MergeRequest
		if head, err = gl.MergeRequest(ctx, p.GitLabID, *sc.MRIID); err == nil {
			if sc.SHA == "" {
				sc.SHA = head.SHA
			}
			if head.SHA != sc.SHA {
				return r.supersede(context.WithoutCancel(ctx), gl, p, sc, head)
			}
		}
	}
	if err == nil && sc.Trigger == store.TriggerPush && sc.SHA != "" {
		var head string
		if head, err = gl.BranchHead(ctx, p.GitLabID, sc.Branch); err == nil && head != sc.SHA {
			return r.supersedePush(context.WithoutCancel(ctx), p, sc, head)
		}
		if gitlab.CodeOf(err) == gitlab.CodeNotFound {
			err = nil // the branch is gone: scan the commit
		}
	}
	if err == nil && sc.MRIID != nil && sc.SHA != "" {
		err := gl.SetCommitStatus(ctx, p.GitLabID, sc.SHA, gitlab.Status{State: gitlab.StatusRunning, Ref: sc.Branch, Description: "airlock is scanning this commit", TargetURL: r.scanURL(sc.ID)})
		if err != nil {
			r.log.WarnContext(ctx, "commit status not set", "scan_id", sc.ID, "error", integration.ErrorMessage(err).Message)
		}
	}
	if err == nil && sc.MRIID != nil {
		if _, lerr := r.c.Store.LastScan(ctx, p.ID, sc.TargetBranch); gone(lerr) {
			base := store.Scan{ProjectID: p.ID, Trigger: TriggerBaseline, Branch: sc.TargetBranch}
			if err = r.c.Store.CreateScan(ctx, &base, r.now()); err == nil {
				if _, err = r.c.Store.ClaimScan(ctx, base.ID, r.id, r.now(), r.now()); err == nil {
					baseID.Store(base.ID)
					err = r.scanBranch(ctx, gl, conn, p, &base)
					baseID.Store(0)
				}
				if err != nil {
					msg := integration.ErrorMessage(err)
					base.Status, base.Error = store.ScanFailed, "baseline for merge request !"+fmt.Sprint(*sc.MRIID)+": "+msg.Message
					if ferr := r.c.Store.FinishScan(context.WithoutCancel(ctx), &base, r.now()); ferr != nil {
						r.log.WarnContext(ctx, "baseline scan outcome not recorded", "scan_id", base.ID, "error", ferr.Error())
					}
				}
			}
		}
	}
	if err == nil {
		err = r.scanBranch(ctx, gl, conn, p, &sc)
	}
	if sup, ok := errors.AsType[errSuperseded](err); ok {
		if sc.MRIID == nil {
			return r.supersedePush(context.WithoutCancel(ctx), p, sc, sup.head.SHA)
		}
		return r.supersede(context.WithoutCancel(ctx), gl, p, sc, sup.head)
	}
	if err == nil {
		return nil
	}
	r.retestOnFailure(ctx, in.ID, err)
	if errors.Is(ctx.Err(), context.Canceled) {
		// Cancelled by a shutdown: River puts the job back.
		r.log.WarnContext(context.WithoutCancel(ctx), "scan interrupted; it will be retried", "scan_id", sc.ID, "project", p.Path, "error", integration.ErrorMessage(err).Message)
		return err
	}
	if !last {
		r.log.WarnContext(ctx, "scan failed; it will be retried", "scan_id", sc.ID, "project", p.Path, "error", integration.ErrorMessage(err).Message)
		return err
	}
	return r.failScan(context.WithoutCancel(ctx), sc, err)
}

// errSuperseded says the merge request's head moved while its scan ran.
type errSuperseded struct{ head gitlab.MergeRequest }

func (e errSuperseded) Error() string { return "superseded by " + e.head.SHA }

// supersede records that sc's commit is no longer its merge request's
// head: the scan reports nothing, its commit status is cancelled, and the
// head is scanned unless a scan of it exists already.
func (r *Runner) supersede(ctx context.Context, gl *gitlab.Client, p store.Project, sc store.Scan, head gitlab.MergeRequest) error {
	sc.Status, sc.Error = store.ScanSuperseded, fmt.Sprintf("superseded: the merge request's head is now %s", short(head.SHA))
	sc.Introduced, sc.FindingsTotal, sc.FindingsNew, sc.FindingsFixed = nil, 0, 0, 0
	err := r.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.FinishScan(ctx, &sc, r.now()); err != nil {
			return err
		}
		return r.ensureHeadScan(ctx, t, p, head)
	})
	if err != nil {
		return err
	}
	r.log.InfoContext(ctx, "merge request scan superseded", "scan_id", sc.ID, "project", p.Path, "merge_request", *sc.MRIID, "sha", sc.SHA, "head", head.SHA)
	if sc.SHA != "" {
		st := gitlab.Status{State: gitlab.StatusCanceled, Ref: sc.Branch, Description: "airlock: superseded by " + short(head.SHA), TargetURL: r.scanURL(sc.ID)}
		if err := gl.SetCommitStatus(ctx, p.GitLabID, sc.SHA, st); err != nil {
			r.log.WarnContext(ctx, "commit status not set", "scan_id", sc.ID, "error", integration.ErrorMessage(err).Message)
		}
	}
	return nil
}

// scanLease is the lease a scan runs under: the scans and notes of one
// merge request, and the push scans of one branch, one at a time.
func scanLease(projectID int64, sc store.Scan) string {
	switch {
	case sc.MRIID != nil:
		return mergeRequestLease(projectID, *sc.MRIID)
	case sc.Trigger == store.TriggerPush:
		return fmt.Sprintf("branch:%d:%s", projectID, sc.Branch)
	}
	return ""
}

// supersedePush records that a pushed commit is no longer its branch's
// head (pushes delivered out of order): its findings would describe an
// older state of the branch, so none are recorded, and the head is
// scanned unless a scan of it exists.
func (r *Runner) supersedePush(ctx context.Context, p store.Project, sc store.Scan, head string) error {
	sc.Status, sc.Error = store.ScanSuperseded, fmt.Sprintf("superseded: %s is now at %s", sc.Branch, short(head))
	sc.Introduced, sc.FindingsTotal, sc.FindingsNew, sc.FindingsFixed = nil, 0, 0, 0
	err := r.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.FinishScan(ctx, &sc, r.now()); err != nil {
			return err
		}
		err := QueueScan(ctx, r.client, t, &store.Scan{ProjectID: p.ID, Trigger: store.TriggerPush, Branch: sc.Branch, SHA: head}, r.now())
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	})
	if err == nil {
		r.log.InfoContext(ctx, "push scan superseded", "scan_id", sc.ID, "project", p.Path, "branch", sc.Branch, "sha", sc.SHA, "head", head)
	}
	return err
}

// ensureHeadScan queues a scan of the merge request's head unless one
// exists: its event may be late, or lost.
func (r *Runner) ensureHeadScan(ctx context.Context, t *store.Tx, p store.Project, head gitlab.MergeRequest) error {
	if head.SHA == "" || head.State != "opened" {
		return nil
	}
	if _, err := t.MergeRequestScan(ctx, p.ID, head.IID, head.SHA); !gone(err) {
		return err
	}
	iid := head.IID
	err := QueueScan(ctx, r.client, t, &store.Scan{ProjectID: p.ID, Trigger: store.TriggerMergeRequest, Branch: head.SourceBranch, SHA: head.SHA, MRIID: &iid, TargetBranch: head.TargetBranch}, r.now())
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func (r *Runner) failScan(ctx context.Context, sc store.Scan, cause error) error {
	msg := integration.ErrorMessage(cause)
	sc.Status, sc.Error = store.ScanFailed, msg.Message
	if msg.Hint != "" {
		sc.Error += " " + msg.Hint
	}
	r.log.ErrorContext(ctx, "scan failed", "scan_id", sc.ID, "error", sc.Error)
	return r.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.FinishScan(ctx, &sc, r.now()); err != nil {
			return err
		}
		if sc.MRIID != nil {
			return r.insertTx(ctx, t, NotifyArgs{ScanID: sc.ID})
		}
		return nil
	})
}

// scanBranch clones, scans and records one scan.
func (r *Runner) scanBranch(ctx context.Context, gl *gitlab.Client, conn integration.Connection, p store.Project, sc *store.Scan) error {
	res, sha, plans, err := r.execute(ctx, gl, conn, p, sc)
	if err != nil {
		return err
	}
	switch {
	case sc.MRIID != nil:
		// A push during the scan: its results describe an old commit.
		head, err := gl.MergeRequest(ctx, p.GitLabID, *sc.MRIID)
		if err != nil {
			return err
		}
		if head.SHA != sha {
			return errSuperseded{head}
		}
	case sc.Trigger == store.TriggerPush:
		head, err := gl.BranchHead(ctx, p.GitLabID, sc.Branch)
		if err == nil && head != sha {
			return errSuperseded{gitlab.MergeRequest{SHA: head}}
		}
		if err != nil && gitlab.CodeOf(err) != gitlab.CodeNotFound {
			return err
		}
	}
	notices, _ := json.Marshal(res.Notices)
	return r.c.Store.InTx(ctx, func(t *store.Tx) error {
		d, err := t.RecordFindings(ctx, p.ID, sc.Branch, sc.ID, res.Findings, r.now())
		if err != nil {
			return err
		}
		sc.Status, sc.SHA, sc.Notices = store.ScanSucceeded, sha, notices
		// Findings of what was read are recorded; what was not read makes
		// the scan incomplete, and its report says so.
		sc.Error = incompleteSummary(res)
		sc.FindingsTotal, sc.FindingsNew, sc.FindingsFixed = len(d.New)+len(d.Existing), len(d.New), len(d.Fixed)
		if sc.MRIID != nil {
			base, err := t.OpenFingerprints(ctx, p.ID, sc.TargetBranch)
			if err != nil {
				return err
			}
			dismissed, err := t.Dismissals(ctx, p.ID)
			if err != nil {
				return err
			}
			sc.Introduced = introduced(res.Findings, base, dismissed)
		}
		if err := t.FinishScan(ctx, sc, r.now()); err != nil {
			return err
		}
		if plans != nil {
			if err := r.recordPlans(ctx, t, p.ID, plans); err != nil {
				return err
			}
		}
		if sc.MRIID != nil {
			return r.insertTx(ctx, t, NotifyArgs{ScanID: sc.ID})
		}
		return nil
	})
}

// incompleteSummary says which input a scan could not read, naming the
// first file and line; "" when it read everything.
func incompleteSummary(res *scan.Result) string {
	n := res.Incomplete()
	if n == 0 {
		return ""
	}
	var first scan.Notice
	for _, no := range res.Notices {
		if no.Level == scan.NoticeError {
			first = no
			break
		}
	}
	msg := first.Message
	if w := first.Where(); w != "" {
		msg = w + ": " + msg
	}
	if len(msg) > 160 {
		msg = msg[:157] + "..."
	}
	if n == 1 {
		return "1 input could not be read: " + msg
	}
	return fmt.Sprintf("%d inputs could not be read, the first: %s", n, msg)
}

// introduced are the fingerprints of findings a merge request adds: not
// open on the target branch, and not dismissed.
func introduced(fs []finding.Finding, base map[string]bool, dismissed map[string]store.Dismissal) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, f := range fs {
		if base[f.Fingerprint] || seen[f.Fingerprint] || f.Ignored != nil {
			continue
		}
		if _, ok := dismissed[f.Fingerprint]; ok {
			continue
		}
		seen[f.Fingerprint] = true
		out = append(out, f.Fingerprint)
	}
	return out
}

// execute clones the branch into a fresh workspace and scans it.
// On a default-branch scan with remediation on, it also works out the
// fix plans in the workspace (a non-nil slice, maybe empty).
func (r *Runner) execute(ctx context.Context, gl *gitlab.Client, conn integration.Connection, p store.Project, sc *store.Scan) (*scan.Result, string, []fix.Plan, error) {
	ctx, cancel := context.WithTimeout(ctx, r.c.ScanTimeout)
	defer cancel()
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, "", nil, err
	}
	opt := source.CloneOptions{
		URL:     cloneURL(conn.URL, p.Path),
		Ref:     sc.Branch,
		SHA:     sc.SHA,
		Depth:   1,
		Dir:     r.dir,
		Env:     gl.GitAuthEnv(),
		Proxy:   conn.ProxyURL,
		NoProxy: conn.NoProxy,
		Timeout: r.c.ScanTimeout,
	}
	if conn.ViaAgent {
		// Through the agents: git talks to the server's loopback relay;
		// the agent's own proxy and CA settings apply on its side.
		if r.c.Relay == nil {
			return nil, "", nil, integration.ErrNoAgent
		}
		base, err := url.Parse(r.c.Relay.URL)
		if err != nil {
			return nil, "", nil, err
		}
		var auth []string
		if conn.Token != "" {
			auth = gitlab.GitAuthEnv(base, conn.Token, gitlab.TokenKind(conn.TokenKind))
		}
		if opt.Env, err = r.c.Relay.GitEnv(auth); err != nil {
			return nil, "", nil, err
		}
		opt.URL, opt.Proxy, opt.NoProxy = r.c.Relay.CloneURL(conn.AgentPool, p.Path), "", ""
	} else if conn.CAPEM != "" {
		f, err := writeCA(r.dir, conn.CAPEM)
		if err != nil {
			return nil, "", nil, err
		}
		defer os.Remove(f)
		opt.CAFile = f
	}
	ws, err := source.Clone(ctx, opt)
	if err != nil {
		return nil, "", nil, err
	}
	defer ws.Close()
	// The same assembly as airlock scan's: every analyzer that can run,
	// the repository's own .airlock.yaml, .gitleaks.toml and
	// .gitleaksignore read by the engine.
	data := Data{VulnDB: r.c.VulnDB, Sources: r.c.Sources, Rules: r.c.Rules}
	if r.c.Data != nil {
		data = r.c.Data()
		if data.Err != nil {
			return nil, "", nil, data.Err
		}
	}
	asm := scan.Assembly{Analyzers: analyzers.Config{Secret: secretscan.Config{Detector: data.Rules, Defaults: data.RuleDefaults}, License: license.Config{Policy: r.c.Licenses}}}
	asm.Analyzers.IaC.Site = data.IaCPolicies
	asm.Analyzers.License.Names, asm.Analyzers.License.Packages = data.LicenseNames, data.LicensePackages
	asm.Env.Registries = r.c.Registries.Session()
	if data.VulnDB != nil {
		asm.Env.VulnDB, asm.Env.Sources = data.VulnDB, data.Sources
	} else {
		asm.Env.VulnDBErr = errors.New("the server has no vulnerability data: import OSV data with 'airlock db import' (--db)")
	}
	o, err := scan.Assemble(asm)
	if err != nil {
		return nil, "", nil, err
	}
	o.Now = r.c.Now
	var c scan.Collector
	if err := scan.Stream(ctx, ws.Dir, o, &c); err != nil {
		return nil, "", nil, err
	}
	res := c.Result()
	var plans []fix.Plan
	if r.c.Fix != nil && data.VulnDB != nil && sc.MRIID == nil && sc.Branch == p.DefaultBranch && res.Incomplete() == 0 {
		plans, err = r.plan(ctx, ws.Dir, data.VulnDB, res.Findings)
		if err != nil {
			return nil, "", nil, err
		}
		if plans == nil {
			plans = []fix.Plan{}
		}
	}
	return res, ws.SHA, plans, nil
}

// cloneURL is the project's HTTPS clone URL on the integration's own
// host. GitLab's http_url_to_repo uses its external_url, which may be a
// name this network cannot reach, or a host the token must not go to.
func cloneURL(instance, path string) string {
	u, err := url.Parse(instance)
	if err != nil {
		return ""
	}
	u.Path = u.Path + "/" + path + ".git"
	return u.String()
}

// writeCA writes the integration's CA certificates as a PEM file for git.
func writeCA(dir, capem string) (string, error) {
	_, certs, err := netx.ParseCA([]byte(capem))
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "ca-*.pem")
	if err != nil {
		return "", err
	}
	for _, c := range certs {
		if err := pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", err
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return filepath.Clean(f.Name()), nil
}

func (r *Runner) scanURL(id int64) string {
	if r.c.PublicURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/scans/%d", r.c.PublicURL, id)
}
