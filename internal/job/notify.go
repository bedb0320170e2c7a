package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/riverqueue/river"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/store"
)

// NoteMarker identifies airlock's note on a merge request, so that it is
// updated, never repeated, even if its ID was lost.
const NoteMarker = "<!-- airlock:mr-report -->"

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
	return err
}

// Notify reports a finished merge request scan: it writes (or rewrites)
// airlock's one note on the merge request listing only what the merge
// request introduces, and sets the airlock commit status.
func (r *Runner) Notify(ctx context.Context, scanID int64) error {
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
	gl, _, err := r.gitlab(in)
	if err != nil {
		return err
	}
	iid := *sc.MRIID
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
	body := r.noteBody(sc, p, fs)
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
	newID, err := gl.UpsertMRNote(ctx, p.GitLabID, iid, noteID, body)
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
		st.State, st.Description = gitlab.StatusFailed, fmt.Sprintf("airlock: this merge request introduces %s", countBySeverity(fs))
	case len(fs) > 0:
		st.Description = fmt.Sprintf("airlock: %s introduced, below the failing threshold", countBySeverity(fs))
	default:
		st.Description = "airlock: no new findings"
	}
	return gl.SetCommitStatus(ctx, p.GitLabID, sc.SHA, st)
}

func countBySeverity(fs []finding.Finding) string {
	n := map[finding.Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range finding.Severities {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	word := "findings"
	if len(fs) == 1 {
		word = "finding"
	}
	return fmt.Sprintf("%d %s (%s)", len(fs), word, strings.Join(parts, ", "))
}

// noteBody is the merge request note in GitLab Flavored Markdown.
func (r *Runner) noteBody(sc store.Scan, p store.Project, fs []finding.Finding) string {
	var b strings.Builder
	b.WriteString(NoteMarker + "\n### airlock security scan\n\n")
	short := sc.SHA
	if len(short) > 8 {
		short = short[:8]
	}
	switch {
	case sc.Status == store.ScanFailed:
		fmt.Fprintf(&b, ":warning: airlock could not scan commit `%s`: %s\n", short, escapeCell(sc.Error))
		return b.String()
	case sc.Error != "":
		fmt.Fprintf(&b, ":warning: The scan of commit `%s` is incomplete: %s. What follows covers only what was read.\n\n", short, escapeCell(sc.Error))
	}
	if len(fs) == 0 {
		fmt.Fprintf(&b, ":white_check_mark: This merge request introduces no new findings compared with `%s` (commit `%s`).\n", sc.TargetBranch, short)
		return b.String()
	}
	fmt.Fprintf(&b, ":no_entry: This merge request introduces **%s** compared with `%s` (commit `%s`).\n\n", countBySeverity(fs), sc.TargetBranch, short)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity.Rank() > fs[j].Severity.Rank() })
	b.WriteString("| Severity | Finding | Where | Fix |\n|---|---|---|---|\n")
	for i, f := range fs {
		if i == maxNoteRows {
			fmt.Fprintf(&b, "\n…and %d more; see the full list in airlock.\n", len(fs)-maxNoteRows)
			break
		}
		what := f.ID
		if f.Title != "" && f.Title != f.ID {
			what += ": " + f.Title
		}
		if f.Package != nil {
			what = f.Package.Name + " " + f.Package.Version + " — " + what
		}
		where := f.Location.Path
		if f.Location.StartLine > 0 {
			where = fmt.Sprintf("%s:%d", where, f.Location.StartLine)
		}
		if p.WebURL != "" && sc.SHA != "" && f.Location.Path != "" {
			where = fmt.Sprintf("[%s](%s/-/blob/%s/%s#L%d)", escapeCell(where), p.WebURL, sc.SHA, f.Location.Path, max(f.Location.StartLine, 1))
		} else {
			where = escapeCell(where)
		}
		fix := ""
		switch {
		case len(f.FixedVersions) > 0:
			fix = "upgrade to " + f.FixedVersions[0]
		case f.Kind == finding.KindSecret:
			fix = "revoke and rotate it, then remove it"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Severity, escapeCell(what), where, escapeCell(fix))
	}
	b.WriteString("\nFindings already on the target branch are not listed. A false positive can be dismissed in airlock; this note is updated on every push.\n")
	return b.String()
}

// escapeCell keeps text inside one Markdown table cell.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}
