package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Fix plan states: a plan is proposed, then approved or rejected (by a
// person or the auto-approve policy); an approved plan's merge request is
// open, then merged or closed in GitLab; a merged plan is verified once a
// scan of the default branch no longer finds what it fixed. A plan no
// scan proposes any more is closed.
const (
	PlanProposed = "proposed"
	PlanApproved = "approved"
	PlanRejected = "rejected"
	PlanOpen     = "open"
	PlanMerged   = "merged"
	PlanVerified = "verified"
	PlanClosed   = "closed"
)

// PlanStates lists the states in their order.
var PlanStates = []string{PlanProposed, PlanApproved, PlanRejected, PlanOpen, PlanMerged, PlanVerified, PlanClosed}

// FixPlan is a remediation plan of a project, as stored: one per project
// and plan key (package and manifest, or the whole project).
type FixPlan struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Key       string `json:"key"`
	Branch    string `json:"branch"`
	Title     string `json:"title"`
	// Severity is the highest of the plan's vulnerabilities; Bump the
	// largest version step ("patch", "minor").
	Severity string `json:"severity"`
	Bump     string `json:"bump"`
	State    string `json:"state"`
	// Digest identifies the plan's edits; Plan is the plan itself (JSON of
	// fix.Plan: changes, diff, instructions, tool output).
	Digest string          `json:"digest"`
	Plan   json.RawMessage `json:"plan"`
	// Edits are the plan's files (JSON), kept to open its merge request.
	Edits json.RawMessage `json:"-"`
	MRIID int64           `json:"mr_iid,omitempty"`
	MRURL string          `json:"mr_url,omitempty"`
	// Reason, DecidedBy and DecidedAt record the approval or rejection.
	Reason     string     `json:"reason,omitempty"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	OpenedAt   *time.Time `json:"opened_at,omitempty"`
	MergedAt   *time.Time `json:"merged_at,omitempty"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

const fixPlanColumns = `id, project_id, plan_key, branch, title, severity, bump, state, digest, data, edits, mr_iid, mr_url, reason, decided_by, decided_at, created_at, updated_at, opened_at, merged_at, verified_at, closed_at`

func scanFixPlan(r interface{ Scan(...any) error }) (FixPlan, error) {
	var p FixPlan
	var data, edits string
	var mr sql.NullInt64
	var decided, opened, merged, verified, closed sql.NullInt64
	var created, updated int64
	err := r.Scan(&p.ID, &p.ProjectID, &p.Key, &p.Branch, &p.Title, &p.Severity, &p.Bump, &p.State, &p.Digest, &data, &edits, &mr, &p.MRURL,
		&p.Reason, &p.DecidedBy, &decided, &created, &updated, &opened, &merged, &verified, &closed)
	p.Plan, p.Edits = json.RawMessage(data), json.RawMessage(edits)
	p.MRIID = mr.Int64
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	p.DecidedAt, p.OpenedAt, p.MergedAt, p.VerifiedAt, p.ClosedAt = nullTime(decided), nullTime(opened), nullTime(merged), nullTime(verified), nullTime(closed)
	return p, err
}

func nullTime(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMillis(n.Int64)
	return &t
}

// RecordFixPlans stores the plans a scan of a project's default branch
// proposes, and settles the project's other plans: a new plan, or one whose
// earlier occurrence was merged, verified or closed, starts proposed; a
// plan whose edits changed keeps its state, except that a rejection is
// undone (it was about other edits); a merged plan no scan proposes any
// more is verified, and any other plan no scan proposes is closed. It
// returns the plans that were open and are now closed: their merge
// requests are to be closed.
func (q Queries) RecordFixPlans(ctx context.Context, projectID int64, plans []FixPlan, now time.Time) ([]FixPlan, error) {
	current, err := q.FixPlans(ctx, projectID, "")
	if err != nil {
		return nil, err
	}
	byKey := map[string]FixPlan{}
	for _, p := range current {
		byKey[p.Key] = p
	}
	keep := map[string]bool{}
	at := millis(now)
	for _, p := range plans {
		keep[p.Key] = true
		old, ok := byKey[p.Key]
		switch {
		case !ok:
			_, err = q.insert(ctx, `INSERT INTO fix_plan (project_id, plan_key, branch, title, severity, bump, state, digest, data, edits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				projectID, p.Key, p.Branch, p.Title, p.Severity, p.Bump, PlanProposed, p.Digest, string(p.Plan), string(p.Edits), at, at)
		case old.State == PlanMerged || old.State == PlanVerified || old.State == PlanClosed:
			_, err = q.exec(ctx, `UPDATE fix_plan SET branch = ?, title = ?, severity = ?, bump = ?, state = ?, digest = ?, data = ?, edits = ?, mr_iid = NULL, mr_url = '', reason = '', decided_by = '', decided_at = NULL,
				created_at = ?, updated_at = ?, opened_at = NULL, merged_at = NULL, verified_at = NULL, closed_at = NULL WHERE id = ?`,
				p.Branch, p.Title, p.Severity, p.Bump, PlanProposed, p.Digest, string(p.Plan), string(p.Edits), at, at, old.ID)
		case old.Digest != p.Digest:
			state := old.State
			if state == PlanRejected {
				state = PlanProposed
			}
			_, err = q.exec(ctx, `UPDATE fix_plan SET branch = ?, title = ?, severity = ?, bump = ?, state = ?, digest = ?, data = ?, edits = ?, updated_at = ? WHERE id = ?`,
				p.Branch, p.Title, p.Severity, p.Bump, state, p.Digest, string(p.Plan), string(p.Edits), at, old.ID)
		default:
			_, err = q.exec(ctx, `UPDATE fix_plan SET data = ?, updated_at = ? WHERE id = ?`, string(p.Plan), at, old.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("store: fix plan %s: %w", p.Key, err)
		}
	}
	var closedOpen []FixPlan
	for _, old := range current {
		if keep[old.Key] {
			continue
		}
		switch old.State {
		case PlanMerged:
			_, err = q.exec(ctx, `UPDATE fix_plan SET state = ?, verified_at = ?, updated_at = ? WHERE id = ?`, PlanVerified, at, at, old.ID)
		case PlanVerified, PlanClosed:
			continue
		default:
			if old.State == PlanOpen {
				closedOpen = append(closedOpen, old)
			}
			_, err = q.exec(ctx, `UPDATE fix_plan SET state = ?, closed_at = ?, updated_at = ? WHERE id = ?`, PlanClosed, at, at, old.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("store: fix plan %s: %w", old.Key, err)
		}
	}
	return closedOpen, nil
}

// FixPlans lists a project's plans (projectID 0: every project's), in a
// state when state is not empty, oldest first.
func (q Queries) FixPlans(ctx context.Context, projectID int64, state string) ([]FixPlan, error) {
	rows, err := q.query(ctx, `SELECT `+fixPlanColumns+` FROM fix_plan WHERE (project_id = ? OR ? = 0) AND (state = ? OR ? = '') ORDER BY id`, projectID, projectID, state, state)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFixPlan)
}

// FixPlan reads one plan.
func (q Queries) FixPlan(ctx context.Context, id int64) (FixPlan, error) {
	p, err := scanFixPlan(q.row(ctx, `SELECT `+fixPlanColumns+` FROM fix_plan WHERE id = ?`, id))
	return p, notFound(err, "fix plan", id)
}

// FixPlanCounts are the numbers of plans by state and the mean time from
// a plan's proposal to its merge.
type FixPlanCounts struct {
	ByState map[string]int `json:"by_state"`
	// MeanTimeToFix is the mean of merged_at - created_at over merged and
	// verified plans, in seconds; 0 when there are none.
	MeanTimeToFix float64 `json:"mean_time_to_fix_seconds"`
}

// CountFixPlans counts a project's plans (projectID 0: the instance's).
func (q Queries) CountFixPlans(ctx context.Context, projectID int64) (FixPlanCounts, error) {
	out := FixPlanCounts{ByState: map[string]int{}}
	for _, s := range PlanStates {
		out.ByState[s] = 0
	}
	rows, err := q.query(ctx, `SELECT state, COUNT(*) FROM fix_plan WHERE project_id = ? OR ? = 0 GROUP BY state`, projectID, projectID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return out, err
		}
		out.ByState[s] = n
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	var mean sql.NullFloat64
	err = q.row(ctx, `SELECT AVG(CAST(merged_at - created_at AS DOUBLE PRECISION)) FROM fix_plan WHERE merged_at IS NOT NULL AND (project_id = ? OR ? = 0)`, projectID, projectID).Scan(&mean)
	if err != nil {
		return out, err
	}
	out.MeanTimeToFix = mean.Float64 / 1000
	return out, nil
}

// ErrPlanState is matched by the error of a decision the plan's state does
// not allow.
var ErrPlanState = errors.New("not allowed in the plan's state")

// DecideFixPlan approves or rejects a plan, recording who, when and why,
// and writes the decision to the audit log. A proposed or rejected plan
// may be approved; a proposed or approved one (before its merge request
// opens) rejected.
func (q Queries) DecideFixPlan(ctx context.Context, id int64, approve bool, actor, reason string, now time.Time) (FixPlan, error) {
	p, err := q.FixPlan(ctx, id)
	if err != nil {
		return p, err
	}
	to, from := PlanRejected, []string{PlanProposed, PlanApproved}
	if approve {
		to, from = PlanApproved, []string{PlanProposed, PlanRejected}
	}
	ok := false
	for _, s := range from {
		ok = ok || p.State == s
	}
	if !ok {
		return p, fmt.Errorf("store: fix plan %d is %s: %s %w", id, p.State, to, ErrPlanState)
	}
	at := millis(now)
	if _, err := q.exec(ctx, `UPDATE fix_plan SET state = ?, reason = ?, decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?`, to, reason, actor, at, at, id); err != nil {
		return p, err
	}
	action := "fix_plan.reject"
	if approve {
		action = "fix_plan.approve"
	}
	if err := q.Audit(ctx, AuditEntry{At: now, Actor: actor, Action: action, Target: fmt.Sprintf("fix_plan:%d", id), Detail: reason}); err != nil {
		return p, err
	}
	return q.FixPlan(ctx, id)
}

// FixPlanOpened records an approved plan's merge request.
func (q Queries) FixPlanOpened(ctx context.Context, id, iid int64, url string, now time.Time) error {
	at := millis(now)
	res, err := q.exec(ctx, `UPDATE fix_plan SET state = ?, mr_iid = ?, mr_url = ?, opened_at = COALESCE(opened_at, ?), updated_at = ? WHERE id = ? AND state IN (?, ?)`,
		PlanOpen, iid, url, at, at, id, PlanApproved, PlanOpen)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: fix plan %d is not approved: %w", id, ErrPlanState)
	}
	return nil
}

// FixPlanMRChanged moves the open plan of a project's merge request from
// branch to merged or closed, as GitLab reports (merge and close
// webhooks); false when no open plan has that branch.
func (q Queries) FixPlanMRChanged(ctx context.Context, projectID int64, branch string, merged bool, now time.Time) (bool, error) {
	at := millis(now)
	query := `UPDATE fix_plan SET state = ?, closed_at = ?, updated_at = ? WHERE project_id = ? AND branch = ? AND state = ?`
	state := PlanClosed
	if merged {
		query, state = `UPDATE fix_plan SET state = ?, merged_at = ?, updated_at = ? WHERE project_id = ? AND branch = ? AND state = ?`, PlanMerged
	}
	res, err := q.exec(ctx, query, state, at, at, projectID, branch, PlanOpen)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
