package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
)

// Finding states. Dismissed is not stored on the finding: it comes from a
// project-wide dismissal of the fingerprint, which survives the finding
// being fixed and coming back, and covers every branch.
const (
	FindingOpen      = "open"
	FindingFixed     = "fixed"
	FindingDismissed = "dismissed"
)

// Finding is a finding as tracked on one branch of a project.
type Finding struct {
	ID          int64           `json:"id"`
	ProjectID   int64           `json:"project_id"`
	Branch      string          `json:"branch"`
	Fingerprint string          `json:"fingerprint"`
	Kind        string          `json:"kind"`
	RuleID      string          `json:"rule_id"`
	Severity    string          `json:"severity"`
	Title       string          `json:"title"`
	Package     string          `json:"package,omitempty"`
	Path        string          `json:"path,omitempty"`
	Line        int             `json:"line,omitempty"`
	State       string          `json:"state"`
	Dismissal   *Dismissal      `json:"dismissal,omitempty"`
	Data        json.RawMessage `json:"finding"`
	FirstScanID int64           `json:"first_scan_id"`
	LastScanID  int64           `json:"last_scan_id"`
	FixedScanID *int64          `json:"fixed_scan_id,omitempty"`
	FirstSeenAt time.Time       `json:"first_seen_at"`
	LastSeenAt  time.Time       `json:"last_seen_at"`
	FixedAt     *time.Time      `json:"fixed_at,omitempty"`
}

// Dismissal is a person's decision that a finding does not need action.
type Dismissal struct {
	Reason    string    `json:"reason"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// Diff is what a scan changed on its branch, as fingerprints.
type Diff struct {
	New      []string
	Existing []string
	Fixed    []string
}

// RecordFindings folds a scan's findings into its branch: new
// fingerprints are inserted, known ones refreshed (and reopened if they
// had been fixed: a regression counts as new), and open ones the scan no
// longer saw are marked fixed by it.
func (q Queries) RecordFindings(ctx context.Context, projectID int64, branch string, scanID int64, fs []finding.Finding, now time.Time) (Diff, error) {
	type known struct {
		id    int64
		state string
	}
	have := map[string]known{}
	rows, err := q.query(ctx, `SELECT id, fingerprint, state FROM finding WHERE project_id = ? AND branch = ?`, projectID, branch)
	if err != nil {
		return Diff{}, err
	}
	for rows.Next() {
		var k known
		var fp string
		if err := rows.Scan(&k.id, &fp, &k.state); err != nil {
			rows.Close()
			return Diff{}, err
		}
		have[fp] = k
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Diff{}, err
	}
	var d Diff
	seen := map[string]bool{}
	ms := millis(now)
	for i := range fs {
		f := &fs[i]
		if seen[f.Fingerprint] {
			continue
		}
		seen[f.Fingerprint] = true
		data, err := json.Marshal(f)
		if err != nil {
			return Diff{}, fmt.Errorf("store: finding %s: %w", f.Fingerprint, err)
		}
		pkg := ""
		if f.Package != nil {
			pkg = f.Package.Name + "@" + f.Package.Version
		}
		k, ok := have[f.Fingerprint]
		if !ok {
			d.New = append(d.New, f.Fingerprint)
			_, err = q.exec(ctx, `INSERT INTO finding (project_id, branch, fingerprint, kind, rule_id, severity, title, package, path, line, data, state, first_scan_id, last_scan_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				projectID, branch, f.Fingerprint, string(f.Kind), f.ID, string(f.Severity), f.Title, pkg, f.Location.Path, f.Location.StartLine, string(data), FindingOpen, scanID, scanID, ms, ms)
		} else {
			if k.state == FindingFixed {
				d.New = append(d.New, f.Fingerprint)
			} else {
				d.Existing = append(d.Existing, f.Fingerprint)
			}
			_, err = q.exec(ctx, `UPDATE finding SET kind = ?, rule_id = ?, severity = ?, title = ?, package = ?, path = ?, line = ?, data = ?, state = ?, last_scan_id = ?, last_seen_at = ?, fixed_scan_id = NULL, fixed_at = NULL WHERE id = ?`,
				string(f.Kind), f.ID, string(f.Severity), f.Title, pkg, f.Location.Path, f.Location.StartLine, string(data), FindingOpen, scanID, ms, k.id)
		}
		if err != nil {
			return Diff{}, fmt.Errorf("store: finding %s: %w", f.Fingerprint, err)
		}
	}
	for fp, k := range have {
		if seen[fp] || k.state != FindingOpen {
			continue
		}
		d.Fixed = append(d.Fixed, fp)
		if _, err := q.exec(ctx, `UPDATE finding SET state = ?, fixed_scan_id = ?, fixed_at = ? WHERE id = ?`, FindingFixed, scanID, ms, k.id); err != nil {
			return Diff{}, err
		}
	}
	return d, nil
}

// OpenFingerprints are the fingerprints open on a branch.
func (q Queries) OpenFingerprints(ctx context.Context, projectID int64, branch string) (map[string]bool, error) {
	rows, err := q.query(ctx, `SELECT fingerprint FROM finding WHERE project_id = ? AND branch = ? AND state = ?`, projectID, branch, FindingOpen)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return nil, err
		}
		out[fp] = true
	}
	return out, rows.Err()
}

// Dismissals are a project's dismissed fingerprints.
func (q Queries) Dismissals(ctx context.Context, projectID int64) (map[string]Dismissal, error) {
	rows, err := q.query(ctx, `SELECT fingerprint, reason, actor, created_at FROM dismissal WHERE project_id = ?`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Dismissal{}
	for rows.Next() {
		var fp string
		var d Dismissal
		var at int64
		if err := rows.Scan(&fp, &d.Reason, &d.Actor, &at); err != nil {
			return nil, err
		}
		d.CreatedAt = fromMillis(at)
		out[fp] = d
	}
	return out, rows.Err()
}

// Dismiss records a dismissal of a fingerprint in a project, replacing any
// earlier one.
func (q Queries) Dismiss(ctx context.Context, projectID int64, fingerprint string, d Dismissal) error {
	_, err := q.exec(ctx, `INSERT INTO dismissal (project_id, fingerprint, reason, actor, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, fingerprint) DO UPDATE SET reason = excluded.reason, actor = excluded.actor, created_at = excluded.created_at`,
		projectID, fingerprint, d.Reason, d.Actor, millis(d.CreatedAt))
	return err
}

// Reopen removes a dismissal.
func (q Queries) Reopen(ctx context.Context, projectID int64, fingerprint string) error {
	return deleted(q.exec(ctx, `DELETE FROM dismissal WHERE project_id = ? AND fingerprint = ?`, projectID, fingerprint))("dismissal of", fingerprint)
}

const findingColumns = `f.id, f.project_id, f.branch, f.fingerprint, f.kind, f.rule_id, f.severity, f.title, f.package, f.path, f.line, f.state, f.data, f.first_scan_id, f.last_scan_id, f.fixed_scan_id, f.first_seen_at, f.last_seen_at, f.fixed_at, d.reason, d.actor, d.created_at`

const findingFrom = ` FROM finding f LEFT JOIN dismissal d ON d.project_id = f.project_id AND d.fingerprint = f.fingerprint`

func scanFinding(r interface{ Scan(...any) error }) (Finding, error) {
	var f Finding
	var data string
	var fixedScan, fixedAt sql.NullInt64
	var first, last int64
	var reason, actor sql.NullString
	var dismissedAt sql.NullInt64
	err := r.Scan(&f.ID, &f.ProjectID, &f.Branch, &f.Fingerprint, &f.Kind, &f.RuleID, &f.Severity, &f.Title, &f.Package, &f.Path, &f.Line, &f.State, &data, &f.FirstScanID, &f.LastScanID, &fixedScan, &first, &last, &fixedAt, &reason, &actor, &dismissedAt)
	if err != nil {
		return f, err
	}
	f.Data = json.RawMessage(data)
	if fixedScan.Valid {
		f.FixedScanID = &fixedScan.Int64
	}
	f.FirstSeenAt, f.LastSeenAt, f.FixedAt = fromMillis(first), fromMillis(last), fromOptMillis(fixedAt)
	if reason.Valid {
		f.Dismissal = &Dismissal{Reason: reason.String, Actor: actor.String, CreatedAt: fromMillis(dismissedAt.Int64)}
		if f.State == FindingOpen {
			f.State = FindingDismissed
		}
	}
	return f, nil
}

// Finding loads one finding.
func (q Queries) Finding(ctx context.Context, id int64) (Finding, error) {
	f, err := scanFinding(q.row(ctx, `SELECT `+findingColumns+findingFrom+` WHERE f.id = ?`, id))
	return f, notFound(err, "finding", id)
}

// FindingFilter narrows a finding listing; zero fields do not filter.
type FindingFilter struct {
	ProjectID int64
	Branch    string
	State     string // open, fixed, dismissed
	Kind      string
	Severity  string
	// Package keeps the findings of one package: its name (every
	// version) or name@version.
	Package string
	// RuleID keeps one rule's or advisory's findings.
	RuleID       string
	Fingerprints []string
	// ScanID keeps the findings of one scan: those of its project and
	// branch it saw (first seen by it or before, last seen by it or
	// after) or fixed. Findings keep only their first, last and fixing
	// scan, so a finding fixed and found again later also shows in the
	// scans between. A scan that did not succeed recorded none.
	ScanID int64
	// Change narrows ScanID's findings to those it found first
	// (ChangeNew), had seen before (ChangeExisting) or fixed
	// (ChangeFixed).
	Change  string
	AfterID int64
	Limit   int
}

// What a scan changed about a finding (FindingFilter.Change).
const (
	ChangeNew      = "new"
	ChangeExisting = "existing"
	ChangeFixed    = "fixed"
)

// Findings lists findings by ID.
func (q Queries) Findings(ctx context.Context, f FindingFilter) ([]Finding, error) {
	var where []string
	var args []any
	if f.ProjectID != 0 {
		where, args = append(where, "f.project_id = ?"), append(args, f.ProjectID)
	}
	if f.Branch != "" {
		where, args = append(where, "f.branch = ?"), append(args, f.Branch)
	}
	switch f.State {
	case FindingOpen:
		where, args = append(where, "f.state = ? AND d.reason IS NULL"), append(args, FindingOpen)
	case FindingDismissed:
		where, args = append(where, "f.state = ? AND d.reason IS NOT NULL"), append(args, FindingOpen)
	case FindingFixed:
		where, args = append(where, "f.state = ?"), append(args, FindingFixed)
	}
	if f.Kind != "" {
		where, args = append(where, "f.kind = ?"), append(args, f.Kind)
	}
	if f.Severity != "" {
		where, args = append(where, "f.severity = ?"), append(args, f.Severity)
	}
	if f.Package != "" {
		// The column holds name@version; a name alone matches every
		// version.
		where, args = append(where, "(f.package = ? OR f.package LIKE ? ESCAPE '\\')"), append(args, f.Package, likeEscape(f.Package)+"@%")
	}
	if f.RuleID != "" {
		where, args = append(where, "f.rule_id = ?"), append(args, f.RuleID)
	}
	if len(f.Fingerprints) > 0 {
		where = append(where, "f.fingerprint IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Fingerprints)), ", ")+")")
		for _, fp := range f.Fingerprints {
			args = append(args, fp)
		}
	}
	if f.ScanID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM scan s WHERE s.id = ? AND s.status = ? AND s.project_id = f.project_id AND s.branch = f.branch)")
		args = append(args, f.ScanID, ScanSucceeded)
		switch f.Change {
		case ChangeNew:
			where, args = append(where, "f.first_scan_id = ?"), append(args, f.ScanID)
		case ChangeExisting:
			where, args = append(where, "f.first_scan_id < ? AND f.last_scan_id >= ?"), append(args, f.ScanID, f.ScanID)
		case ChangeFixed:
			where, args = append(where, "f.fixed_scan_id = ?"), append(args, f.ScanID)
		default:
			where, args = append(where, "f.first_scan_id <= ? AND (f.last_scan_id >= ? OR f.fixed_scan_id = ?)"), append(args, f.ScanID, f.ScanID, f.ScanID)
		}
	}
	if f.AfterID != 0 {
		where, args = append(where, "f.id > ?"), append(args, f.AfterID)
	}
	query := `SELECT ` + findingColumns + findingFrom
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY f.id"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFinding)
}

// likeEscape escapes LIKE's wildcards (and the escape) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
