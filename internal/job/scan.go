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
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/analyzer/license"
	analyzers "github.com/airlock-sec/airlock/internal/analyzer/list"
	"github.com/airlock-sec/airlock/internal/analyzer/secretscan"
	"github.com/airlock-sec/airlock/internal/finding"
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
const TriggerBaseline = "baseline"

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
	return err
}

// RunScan clones the scan's branch, scans it with the CLI's engine and
// records the findings: new, existing and fixed on the branch, and for a
// merge request what it introduces compared with its target branch. A
// merge request scan then queues its report. last says this is the final
// attempt: a failure is then recorded (and reported) instead of retried.
func (r *Runner) RunScan(ctx context.Context, scanID int64, last bool) error {
	sc, err := r.c.Store.Scan(ctx, scanID)
	if err != nil {
		return err
	}
	if sc.Status == store.ScanSucceeded || sc.Status == store.ScanFailed {
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
	if err := r.c.Store.StartScan(ctx, sc.ID, r.now()); err != nil {
		return err
	}
	gl, conn, err := r.gitlab(in)
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
				if err = r.c.Store.StartScan(ctx, base.ID, r.now()); err == nil {
					err = r.scanBranch(ctx, gl, conn, p, &base)
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
	if err == nil {
		return nil
	}
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
	res, sha, err := r.execute(ctx, gl, conn, p, sc)
	if err != nil {
		return err
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
func (r *Runner) execute(ctx context.Context, gl *gitlab.Client, conn integration.Connection, p store.Project, sc *store.Scan) (*scan.Result, string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.c.ScanTimeout)
	defer cancel()
	if err := os.MkdirAll(r.c.WorkDir, 0o700); err != nil {
		return nil, "", err
	}
	opt := source.CloneOptions{
		URL:     cloneURL(conn.URL, p.Path),
		Ref:     sc.Branch,
		SHA:     sc.SHA,
		Depth:   1,
		Dir:     r.c.WorkDir,
		Env:     gl.GitAuthEnv(),
		Proxy:   conn.ProxyURL,
		NoProxy: conn.NoProxy,
		Timeout: r.c.ScanTimeout,
	}
	if conn.CAPEM != "" {
		f, err := writeCA(r.c.WorkDir, conn.CAPEM)
		if err != nil {
			return nil, "", err
		}
		defer os.Remove(f)
		opt.CAFile = f
	}
	ws, err := source.Clone(ctx, opt)
	if err != nil {
		return nil, "", err
	}
	defer ws.Close()
	// The same assembly as airlock scan's: every analyzer that can run,
	// the repository's own .airlock.yaml, .gitleaks.toml and
	// .gitleaksignore read by the engine.
	asm := scan.Assembly{Analyzers: analyzers.Config{Secret: secretscan.Config{Detector: r.c.Rules}, License: license.Config{Policy: r.c.Licenses}}}
	asm.Env.Registries = r.c.Registries.Session()
	if r.c.VulnDB != nil {
		asm.Env.VulnDB, asm.Env.Sources = r.c.VulnDB, r.c.Sources
	} else {
		asm.Env.VulnDBErr = errors.New("the server has no vulnerability data: import OSV data with 'airlock db import' (--db)")
	}
	o, notices, err := scan.Assemble(asm)
	if err != nil {
		return nil, "", err
	}
	o.Now = r.c.Now
	res, err := scan.Run(ctx, ws.Dir, o)
	if res != nil {
		res.Notices = append(notices, res.Notices...)
	}
	if err != nil {
		return nil, "", err
	}
	return res, ws.SHA, nil
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
	return fmt.Sprintf("%s/api/v1/scans/%d", r.c.PublicURL, id)
}
