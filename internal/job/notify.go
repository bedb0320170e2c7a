package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/report"
	"github.com/airlock-sec/airlock/internal/store"
)

// NoteMarker identifies airlock's note on a merge request.
const NoteMarker = report.NoteMarker

// maxNoteRows bounds the findings listed in a note; the rest are counted.
const maxNoteRows = 50

type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	r *Runner
}

func (w *notifyWorker) Work(ctx context.Context, j *river.Job[NotifyArgs]) error {
	err := w.r.Notify(ctx, j.Args.ScanID)
	if gone(err) {
		return nil
	}
	if _, ok := errors.AsType[errBusy](err); ok {
		return river.JobSnooze(w.r.c.Heartbeat / 5)
	}
	return err
}

// Notify reports a finished merge request scan: it writes (or rewrites)
// airlock's one note on the merge request listing only what the merge
// request introduces, and sets the airlock commit status.
func (r *Runner) Notify(ctx context.Context, scanID int64) (err error) {
	sc, err := r.c.Store.Scan(ctx, scanID)
	if err != nil {
		return err
	}
	if sc.MRIID == nil {
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
	defer func() { r.retestOnFailure(ctx, in.ID, err) }()
	gl, _, err := r.gitlab(in)
	if err != nil {
		return err
	}
	iid := *sc.MRIID
	// One report at a time per merge request, after its scan, and only of
	// its head: a note of an older commit never overwrites a newer one.
	release, err := r.lease(ctx, mergeRequestLease(p.ID, iid), fmt.Sprintf("notify:%d", sc.ID))
	if err != nil {
		return err
	}
	defer release()
	if sc.SHA != "" {
		head, err := gl.MergeRequest(ctx, p.GitLabID, iid)
		if err != nil {
			return err
		}
		if head.SHA != sc.SHA {
			r.log.InfoContext(ctx, "report of an old commit not posted", "scan_id", sc.ID, "merge_request", iid, "sha", sc.SHA, "head", head.SHA)
			return r.c.Store.InTx(ctx, func(t *store.Tx) error { return r.ensureHeadScan(ctx, t, p, head) })
		}
	}
	var fs []finding.Finding
	if sc.Status == store.ScanSucceeded && len(sc.Introduced) > 0 {
		rows, err := r.c.Store.Findings(ctx, store.FindingFilter{ProjectID: p.ID, Branch: sc.Branch, Fingerprints: sc.Introduced})
		if err != nil {
			return err
		}
		for _, row := range rows {
			var f finding.Finding
			if err := json.Unmarshal(row.Data, &f); err != nil {
				return fmt.Errorf("finding %d: %w", row.ID, err)
			}
			fs = append(fs, f)
		}
	}
	note := report.MRNote{SHA: sc.SHA, TargetBranch: sc.TargetBranch, WebURL: p.WebURL, Findings: fs, MaxRows: maxNoteRows, ScanURL: r.scanURL(sc.ID)}
	if sc.Status == store.ScanFailed {
		note.Failed = sc.Error
	} else {
		note.Incomplete = sc.Error
	}
	var body strings.Builder
	if err := report.WriteMRNote(&body, note); err != nil {
		return err
	}
	noteID, err := r.c.Store.NoteID(ctx, p.ID, iid)
	if err != nil {
		return err
	}
	if noteID == 0 {
		noteID, err = gl.FindNote(ctx, p.GitLabID, iid, NoteMarker)
		if errors.Is(err, gitlab.ErrNotFound) {
			noteID, err = 0, nil
		}
		if err != nil {
			return err
		}
	}
	newID, err := gl.UpsertMRNote(ctx, p.GitLabID, iid, noteID, body.String())
	if err != nil {
		return err
	}
	if err := r.c.Store.SetNoteID(ctx, p.ID, iid, newID, r.now()); err != nil {
		return err
	}
	if sc.SHA == "" {
		return nil
	}
	st := gitlab.Status{State: gitlab.StatusSuccess, Ref: sc.Branch, TargetURL: r.scanURL(sc.ID)}
	switch failing := r.c.FailOn.Count(fs); {
	case sc.Status == store.ScanFailed:
		st.State, st.Description = gitlab.StatusFailed, "airlock could not scan this commit: "+sc.Error
	case sc.Error != "":
		// Incomplete: a gate never passes on input it could not read.
		st.State, st.Description = gitlab.StatusFailed, "airlock: "+sc.Error
	case failing > 0:
		st.State, st.Description = gitlab.StatusFailed, fmt.Sprintf("airlock: this merge request introduces %s", report.CountBySeverity(fs))
	case len(fs) > 0:
		st.Description = fmt.Sprintf("airlock: %s introduced, below the failing threshold", report.CountBySeverity(fs))
	default:
		st.Description = "airlock: no new findings"
	}
	return gl.SetCommitStatus(ctx, p.GitLabID, sc.SHA, st)
}
