package job

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// FixConfig turns on remediation: plans for every default-branch scan,
// merge requests for approved plans.
type FixConfig struct {
	// Registry is the site's mirrors; plans only propose what they serve.
	Registry *registry.Set
	// Strategy and Grouping shape the plans (fix.Minimal, fix.PerPackage
	// when empty).
	Strategy fix.Strategy
	Grouping fix.Grouping
	// AutoApprove approves plans without a person.
	AutoApprove AutoApprove
	// Labels go on new merge requests.
	Labels []string
	// ProjectLimit and InstanceLimit bound open airlock merge requests
	// (5 and 50 when 0).
	ProjectLimit, InstanceLimit int
	// ToolTimeout bounds a run of go or npm (fix.DefaultTimeout when 0);
	// GoSumDB is the go command's GOSUMDB ("off" without a checksum
	// database).
	ToolTimeout time.Duration
	GoSumDB     string
}

// AutoApprove is the policy that approves plans without a person: every
// change at least MinSeverity and no bigger a version step than MaxBump
// ("patch", the default, or "minor"). An empty MinSeverity approves
// nothing.
type AutoApprove struct {
	MinSeverity finding.Severity
	MaxBump     string
}

// approves says whether the policy approves a plan, and why.
func (a AutoApprove) approves(p fix.Plan) (bool, string) {
	if a.MinSeverity == "" || len(p.Changes) == 0 {
		return false, ""
	}
	maxBump := a.MaxBump
	if maxBump == "" {
		maxBump = "patch"
	}
	for _, c := range p.Changes {
		if c.Severity.Rank() < a.MinSeverity.Rank() {
			return false, ""
		}
		if b := c.Bump(); b == "major" || (b == "minor" && maxBump == "patch") {
			return false, ""
		}
	}
	return true, fmt.Sprintf("auto-approve policy: severity %s or higher, at most a %s bump", a.MinSeverity, maxBump)
}

// FixMRArgs opens, updates and closes a project's fix merge requests.
type FixMRArgs struct {
	ProjectID int64 `json:"project_id"`
}

// Kind is River's name for the job.
func (FixMRArgs) Kind() string { return "fix_mr" }

// InsertOpts retries a few times: the work is idempotent (an open merge
// request is updated, never duplicated), so a duplicate job costs only
// API calls.
func (FixMRArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type fixMRWorker struct {
	river.WorkerDefaults[FixMRArgs]
	r *Runner
}

func (w *fixMRWorker) Work(ctx context.Context, j *river.Job[FixMRArgs]) error {
	err := w.r.OpenFixMRs(ctx, j.Args.ProjectID)
	if gone(err) {
		return nil
	}
	return err
}

// plan works out the plans of a scanned default branch in its workspace.
func (r *Runner) plan(ctx context.Context, dir string, db vuln.Source, fs []finding.Finding) ([]fix.Plan, error) {
	fc := r.c.Fix
	planner := &fix.Planner{Registry: fc.Registry, Matcher: vuln.NewMatcher(db), Strategy: fc.Strategy, Root: dir}
	changes, err := planner.Plan(ctx, fs)
	if err != nil {
		return nil, err
	}
	g := fc.Grouping
	if g == "" {
		g = fix.PerPackage
	}
	plans := fix.Group(changes, g)
	a := &fix.Applier{Root: dir, Mirror: fc.Registry.Mirror, Registry: fc.Registry, Env: os.Environ(), Timeout: fc.ToolTimeout, GoSumDB: fc.GoSumDB}
	for i := range plans {
		if err := a.Apply(ctx, &plans[i]); err != nil {
			return nil, err
		}
	}
	return plans, nil
}

// storedEdit is a plan's file as the store keeps it.
type storedEdit struct {
	Path    string `json:"path"`
	Content []byte `json:"content"`
	New     bool   `json:"new,omitempty"`
}

// storePlans turns applied plans into store rows; plans that propose no
// edit (a failed tool, only manual steps) are kept too, so that a person
// sees them, but never open a merge request.
func storePlans(plans []fix.Plan) ([]store.FixPlan, error) {
	out := make([]store.FixPlan, 0, len(plans))
	for _, p := range plans {
		data, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		edits := make([]storedEdit, 0, len(p.Edits))
		for _, e := range p.Edits {
			edits = append(edits, storedEdit{Path: e.Path, Content: e.New, New: e.Old == nil})
		}
		eb, err := json.Marshal(edits)
		if err != nil {
			return nil, err
		}
		sev, bump := finding.Unknown, "patch"
		for _, c := range p.Changes {
			if c.Severity.Rank() > sev.Rank() {
				sev = c.Severity
			}
			if b := c.Bump(); b == "major" || (b == "minor" && bump == "patch") {
				bump = b
			}
		}
		out = append(out, store.FixPlan{Key: p.Key, Branch: p.Branch(), Title: p.Title, Severity: string(sev), Bump: bump,
			Digest: p.Digest(), Plan: data, Edits: eb})
	}
	return out, nil
}

// loadPlan turns a stored plan back into a fix.Plan with its edits.
func loadPlan(sp store.FixPlan) (fix.Plan, error) {
	var p fix.Plan
	if err := json.Unmarshal(sp.Plan, &p); err != nil {
		return p, fmt.Errorf("job: fix plan %d: %w", sp.ID, err)
	}
	var edits []storedEdit
	if err := json.Unmarshal(sp.Edits, &edits); err != nil {
		return p, fmt.Errorf("job: fix plan %d edits: %w", sp.ID, err)
	}
	for _, e := range edits {
		ed := fix.Edit{Path: e.Path, New: e.Content, Old: []byte{}}
		if e.New {
			ed.Old = nil
		}
		p.Edits = append(p.Edits, ed)
	}
	return p, nil
}

// recordPlans stores a default-branch scan's plans in t, applies the
// auto-approve policy, and queues the project's merge request work when
// something is to be opened, kept or closed.
func (r *Runner) recordPlans(ctx context.Context, t *store.Tx, projectID int64, plans []fix.Plan) error {
	rows, err := storePlans(plans)
	if err != nil {
		return err
	}
	closedOpen, err := t.RecordFixPlans(ctx, projectID, rows, r.now())
	if err != nil {
		return err
	}
	proposed, err := t.FixPlans(ctx, projectID, store.PlanProposed)
	if err != nil {
		return err
	}
	byKey := map[string]fix.Plan{}
	for _, p := range plans {
		byKey[p.Key] = p
	}
	for _, sp := range proposed {
		p, ok := byKey[sp.Key]
		if !ok || p.Failed != "" || len(p.Edits) == 0 {
			continue
		}
		if yes, why := r.c.Fix.AutoApprove.approves(p); yes {
			if _, err := t.DecideFixPlan(ctx, sp.ID, true, "policy", why, r.now()); err != nil {
				return err
			}
		}
	}
	pending := len(closedOpen) > 0
	for _, state := range []string{store.PlanApproved, store.PlanOpen} {
		ps, err := t.FixPlans(ctx, projectID, state)
		if err != nil {
			return err
		}
		pending = pending || len(ps) > 0
	}
	if !pending {
		return nil
	}
	return r.insertTx(ctx, t, FixMRArgs{ProjectID: projectID})
}

// OpenFixMRs makes a project's merge requests match its plans: one for
// each approved or open plan (opened or updated), within the limits, the
// most severe first; airlock's merge requests of plans no longer wanted
// closed with a note.
func (r *Runner) OpenFixMRs(ctx context.Context, projectID int64) (err error) {
	if r.c.Fix == nil {
		return nil
	}
	p, err := r.c.Store.Project(ctx, projectID)
	if err != nil {
		return err
	}
	in, err := r.c.Store.Integration(ctx, p.IntegrationID)
	if err != nil {
		return err
	}
	defer func() { r.retestOnFailure(ctx, in.ID, err) }()
	gl, _, err := r.gitlab(in)
	if err != nil {
		return err
	}
	var plans []fix.Plan
	ids := map[string]int64{}
	for _, state := range []string{store.PlanOpen, store.PlanApproved} {
		sps, err := r.c.Store.FixPlans(ctx, projectID, state)
		if err != nil {
			return err
		}
		for _, sp := range sps {
			fp, err := loadPlan(sp)
			if err != nil {
				return err
			}
			plans = append(plans, fp)
			ids[sp.Branch] = sp.ID
		}
	}
	all, err := r.c.Store.FixPlans(ctx, 0, store.PlanOpen)
	if err != nil {
		return err
	}
	elsewhere := 0
	for _, sp := range all {
		if sp.ProjectID != projectID {
			elsewhere++
		}
	}
	fc := r.c.Fix
	res, err := Remediate(ctx, gl, p.GitLabID, plans, RemediateOptions{Target: p.DefaultBranch, Labels: fc.Labels,
		ProjectLimit: fc.ProjectLimit, InstanceLimit: fc.InstanceLimit, InstanceOpen: elsewhere})
	if err != nil {
		return err
	}
	for branch, mr := range res.MRs {
		if id, ok := ids[branch]; ok && mr.IID > 0 {
			if err := r.c.Store.FixPlanOpened(ctx, id, mr.IID, mr.WebURL, r.now()); err != nil {
				return err
			}
		}
	}
	for _, b := range res.Taken {
		r.log.WarnContext(ctx, "fix branch has commits by someone else: left alone", "project_id", projectID, "branch", b)
	}
	return nil
}
