package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Scan states.
const (
	ScanQueued    = "queued"
	ScanRunning   = "running"
	ScanSucceeded = "succeeded"
	ScanFailed    = "failed"
	// ScanSuperseded is a merge request scan whose commit stopped being
	// the merge request's head before its results were reported: they
	// are discarded, and the scan of the new head reports instead.
	ScanSuperseded = "superseded"
)

// ScanStatuses are the states a scan can be in, for validating filters.
var ScanStatuses = []string{ScanQueued, ScanRunning, ScanSucceeded, ScanFailed, ScanSuperseded}

// ScanTriggers are the causes of a scan, for validating filters.
var ScanTriggers = []string{TriggerPush, TriggerMergeRequest, TriggerSchedule, TriggerManual, TriggerOnboard, TriggerBaseline}

// Finished reports whether a scan has reached a final state.
func (s Scan) Finished() bool {
	return s.Status == ScanSucceeded || s.Status == ScanFailed || s.Status == ScanSuperseded
}

// Scan triggers.
const (
	TriggerPush         = "push"
	TriggerMergeRequest = "merge_request"
	TriggerSchedule     = "schedule"
	TriggerManual       = "manual"
	TriggerOnboard      = "onboard"
	// TriggerBaseline is a scan of a merge request's target branch, run
	// first when that branch had never been scanned.
	TriggerBaseline = "baseline"
)

// Scan is one scan of a project's branch at a commit.
type Scan struct {
	ID            int64           `json:"id"`
	ProjectID     int64           `json:"project_id"`
	Trigger       string          `json:"trigger"`
	Branch        string          `json:"branch"`
	SHA           string          `json:"sha,omitempty"`
	MRIID         *int64          `json:"merge_request_iid,omitempty"`
	TargetBranch  string          `json:"target_branch,omitempty"`
	Status        string          `json:"status"`
	Error         string          `json:"error,omitempty"`
	FindingsTotal int             `json:"findings_total"`
	FindingsNew   int             `json:"findings_new"`
	FindingsFixed int             `json:"findings_fixed"`
	Introduced    []string        `json:"introduced,omitempty"`
	Notices       json.RawMessage `json:"notices,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	StartedAt     *time.Time      `json:"started_at,omitempty"`
	FinishedAt    *time.Time      `json:"finished_at,omitempty"`
}

const scanColumns = `id, project_id, trigger, branch, sha, mr_iid, target_branch, status, error, findings_total, findings_new, findings_fixed, introduced, notices, created_at, started_at, finished_at`

func scanScan(r interface{ Scan(...any) error }) (Scan, error) {
	var s Scan
	var mr, started, finished sql.NullInt64
	var introduced, notices string
	var created int64
	err := r.Scan(&s.ID, &s.ProjectID, &s.Trigger, &s.Branch, &s.SHA, &mr, &s.TargetBranch, &s.Status, &s.Error, &s.FindingsTotal, &s.FindingsNew, &s.FindingsFixed, &introduced, &notices, &created, &started, &finished)
	if err != nil {
		return s, err
	}
	if mr.Valid {
		s.MRIID = &mr.Int64
	}
	if err := json.Unmarshal([]byte(introduced), &s.Introduced); err != nil {
		return s, err
	}
	if notices != "" && notices != "[]" {
		s.Notices = json.RawMessage(notices)
	}
	s.CreatedAt, s.StartedAt, s.FinishedAt = fromMillis(created), fromOptMillis(started), fromOptMillis(finished)
	return s, nil
}

// CreateScan queues a scan and sets its ID.
func (q Queries) CreateScan(ctx context.Context, s *Scan, now time.Time) error {
	var mr any
	if s.MRIID != nil {
		mr = *s.MRIID
	}
	s.Status, s.CreatedAt = ScanQueued, fromMillis(millis(now))
	id, err := q.insert(ctx, `INSERT INTO scan (project_id, trigger, branch, sha, mr_iid, target_branch, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ProjectID, s.Trigger, s.Branch, s.SHA, mr, s.TargetBranch, ScanQueued, millis(now))
	s.ID = id
	return err
}

// CreateScanOnce queues a merge request or push scan of s.SHA unless one
// of that commit (of the merge request, or pushed to the branch) is
// queued, running or succeeded; it reports whether it created one.
// Unlike a failed INSERT, a duplicate leaves the transaction usable.
func (q Queries) CreateScanOnce(ctx context.Context, s *Scan, now time.Time) (bool, error) {
	var target string
	var mr any
	switch {
	case s.SHA == "":
		return true, q.CreateScan(ctx, s, now)
	case s.MRIID != nil:
		target, mr = `(project_id, mr_iid, sha) WHERE `+liveHeadScan, *s.MRIID
	case s.Trigger == TriggerPush:
		target = `(project_id, branch, sha) WHERE ` + livePushScan
	default:
		return true, q.CreateScan(ctx, s, now)
	}
	s.Status, s.CreatedAt = ScanQueued, fromMillis(millis(now))
	err := q.row(ctx, `INSERT INTO scan (project_id, trigger, branch, sha, mr_iid, target_branch, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT `+target+` DO NOTHING RETURNING id`,
		s.ProjectID, s.Trigger, s.Branch, s.SHA, mr, s.TargetBranch, ScanQueued, millis(now)).Scan(&s.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// StartScan marks a scan running (again, when a job is retried).
func (q Queries) StartScan(ctx context.Context, id int64, now time.Time) error {
	return deleted(q.exec(ctx, `UPDATE scan SET status = ?, error = '', started_at = ? WHERE id = ?`, ScanRunning, millis(now), id))("scan", id)
}

// ClaimScan makes workerID the runner of a scan that is queued, or
// running under a worker whose heartbeat is older than staleBefore (a
// dead worker), and marks it running. It reports false when the scan is
// finished or another live worker runs it.
func (q Queries) ClaimScan(ctx context.Context, id int64, workerID string, now, staleBefore time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE scan SET status = ?, error = '', started_at = ?, worker_id = ?, heartbeat_at = ? WHERE id = ? AND (status = ? OR (status = ? AND (heartbeat_at IS NULL OR heartbeat_at < ?)))`,
		ScanRunning, millis(now), workerID, millis(now), id, ScanQueued, ScanRunning, millis(staleBefore))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ScanHeartbeat records that workerID still runs the scan; false when it
// no longer does (the scan was taken over or finished).
func (q Queries) ScanHeartbeat(ctx context.Context, id int64, workerID string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE scan SET heartbeat_at = ? WHERE id = ? AND worker_id = ? AND status = ?`, millis(now), id, workerID, ScanRunning)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnclaimScan puts a scan that workerID was running and did not finish
// back to queued (its job is retried or was interrupted).
func (q Queries) UnclaimScan(ctx context.Context, id int64, workerID string) error {
	_, err := q.exec(ctx, `UPDATE scan SET status = ?, worker_id = '', heartbeat_at = NULL WHERE id = ? AND worker_id = ? AND status = ?`, ScanQueued, id, workerID, ScanRunning)
	return err
}

// OrphanedScans puts back to queued the running scans of the dead
// workers, and those whose heartbeat is older than staleBefore, and
// returns their IDs: the caller queues a job for each.
func (q Queries) OrphanedScans(ctx context.Context, deadWorkers []string, staleBefore time.Time) ([]int64, error) {
	where := `status = ? AND (heartbeat_at < ?`
	args := []any{ScanRunning, millis(staleBefore)}
	for _, w := range deadWorkers {
		where += ` OR worker_id = ?`
		args = append(args, w)
	}
	where += `)`
	rows, err := q.query(ctx, `SELECT id FROM scan WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if _, err := q.exec(ctx, `UPDATE scan SET status = ?, worker_id = '', heartbeat_at = NULL WHERE id = ? AND status = ?`, ScanQueued, id, ScanRunning); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// MergeRequestScan is the newest scan of merge request iid at commit sha.
func (q Queries) MergeRequestScan(ctx context.Context, projectID, iid int64, sha string) (Scan, error) {
	s, err := scanScan(q.row(ctx, `SELECT `+scanColumns+` FROM scan WHERE project_id = ? AND mr_iid = ? AND sha = ? ORDER BY id DESC LIMIT 1`, projectID, iid, sha))
	return s, notFound(err, "scan of commit", sha)
}

// PushScan is the newest push scan of commit sha on branch.
func (q Queries) PushScan(ctx context.Context, projectID int64, branch, sha string) (Scan, error) {
	s, err := scanScan(q.row(ctx, `SELECT `+scanColumns+` FROM scan WHERE project_id = ? AND branch = ? AND sha = ? AND mr_iid IS NULL AND trigger = ? ORDER BY id DESC LIMIT 1`, projectID, branch, sha, TriggerPush))
	return s, notFound(err, "scan of commit", sha)
}

// SetScanSHA records the commit a scan found at its branch's head.
func (q Queries) SetScanSHA(ctx context.Context, id int64, sha string) error {
	_, err := q.exec(ctx, `UPDATE scan SET sha = ? WHERE id = ?`, sha, id)
	return err
}

// FinishScan records a scan's outcome.
func (q Queries) FinishScan(ctx context.Context, s *Scan, now time.Time) error {
	intro, _ := json.Marshal(orEmpty(s.Introduced))
	notices := string(s.Notices)
	if notices == "" {
		notices = "[]"
	}
	t := fromMillis(millis(now))
	s.FinishedAt = &t
	return deleted(q.exec(ctx, `UPDATE scan SET status = ?, error = ?, sha = ?, findings_total = ?, findings_new = ?, findings_fixed = ?, introduced = ?, notices = ?, finished_at = ? WHERE id = ?`,
		s.Status, s.Error, s.SHA, s.FindingsTotal, s.FindingsNew, s.FindingsFixed, string(intro), notices, millis(now), s.ID))("scan", s.ID)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Scan loads one scan.
func (q Queries) Scan(ctx context.Context, id int64) (Scan, error) {
	s, err := scanScan(q.row(ctx, `SELECT `+scanColumns+` FROM scan WHERE id = ?`, id))
	return s, notFound(err, "scan", id)
}

// ScanFilter narrows a scan listing; zero fields do not filter.
type ScanFilter struct {
	ProjectID int64
	Branch    string
	Status    string
	BeforeID  int64
	Limit     int
}

// Scans lists scans newest first.
func (q Queries) Scans(ctx context.Context, f ScanFilter) ([]Scan, error) {
	var where []string
	var args []any
	if f.ProjectID != 0 {
		where, args = append(where, "project_id = ?"), append(args, f.ProjectID)
	}
	if f.Branch != "" {
		where, args = append(where, "branch = ?"), append(args, f.Branch)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.BeforeID != 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	query := `SELECT ` + scanColumns + ` FROM scan`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanScan)
}

// LastScan is a branch's newest finished scan that succeeded.
func (q Queries) LastScan(ctx context.Context, projectID int64, branch string) (Scan, error) {
	s, err := scanScan(q.row(ctx, `SELECT `+scanColumns+` FROM scan WHERE project_id = ? AND branch = ? AND status = ? AND mr_iid IS NULL ORDER BY id DESC LIMIT 1`, projectID, branch, ScanSucceeded))
	return s, notFound(err, "scan of branch", branch)
}

// NoteID is the ID of the merge request note airlock keeps updated, or 0.
func (q Queries) NoteID(ctx context.Context, projectID, iid int64) (int64, error) {
	var id int64
	err := q.row(ctx, `SELECT note_id FROM mr_note WHERE project_id = ? AND mr_iid = ?`, projectID, iid).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// SetNoteID remembers the merge request note airlock keeps updated.
func (q Queries) SetNoteID(ctx context.Context, projectID, iid, noteID int64, now time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO mr_note (project_id, mr_iid, note_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, mr_iid) DO UPDATE SET note_id = excluded.note_id, updated_at = excluded.updated_at`, projectID, iid, noteID, millis(now))
	return err
}
