package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
)

// NoteMarker identifies airlock's note on a merge request, so that it is
// updated, never repeated, even if its ID was lost.
const NoteMarker = "<!-- airlock:mr-report -->"

// DefaultNoteRows bounds the findings a merge request note lists; the rest
// are counted.
const DefaultNoteRows = 50

// MRNote is what airlock's note on a merge request reports: the findings
// the merge request introduces compared with its target branch, or why the
// scan failed or is incomplete.
type MRNote struct {
	// SHA is the scanned commit; TargetBranch the branch compared with.
	SHA, TargetBranch string
	// WebURL is the project's page; with SHA, locations become links.
	WebURL string
	// Failed says why the scan could not run; the note says only that.
	Failed string
	// Incomplete says which input the scan could not read; the findings
	// then cover only what was read.
	Incomplete string
	// Findings are those the merge request introduces.
	Findings []finding.Finding
	// MaxRows bounds the rows listed; 0 means DefaultNoteRows.
	MaxRows int
	// ScanURL, when set, is linked at the end of the note.
	ScanURL string
}

// WriteMRNote writes the note in GitLab Flavored Markdown. The fix advice
// is the same text the other formats give.
func WriteMRNote(w io.Writer, n MRNote) error {
	var b strings.Builder
	if err := writeMRNote(&b, n); err != nil {
		return err
	}
	if n.ScanURL != "" {
		fmt.Fprintf(&b, "\n[Scan details](%s)\n", n.ScanURL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMRNote(w io.Writer, n MRNote) error {
	var b strings.Builder
	b.WriteString(NoteMarker + "\n### airlock security scan\n\n")
	short := n.SHA
	if len(short) > 8 {
		short = short[:8]
	}
	switch {
	case n.Failed != "":
		fmt.Fprintf(&b, ":warning: airlock could not scan commit `%s`: %s\n", short, escapeCell(n.Failed))
		_, err := io.WriteString(w, b.String())
		return err
	case n.Incomplete != "":
		fmt.Fprintf(&b, ":warning: The scan of commit `%s` is incomplete: %s. What follows covers only what was read.\n\n", short, escapeCell(n.Incomplete))
	}
	fs := append([]finding.Finding(nil), n.Findings...)
	if len(fs) == 0 {
		fmt.Fprintf(&b, ":white_check_mark: This merge request introduces no new findings compared with `%s` (commit `%s`).\n", n.TargetBranch, short)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, ":no_entry: This merge request introduces **%s** compared with `%s` (commit `%s`).\n\n", CountBySeverity(fs), n.TargetBranch, short)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity.Rank() > fs[j].Severity.Rank() })
	rows := n.MaxRows
	if rows <= 0 {
		rows = DefaultNoteRows
	}
	b.WriteString("| Severity | Finding | Where | Fix |\n|---|---|---|---|\n")
	for i := range fs {
		f := &fs[i]
		if i == rows {
			fmt.Fprintf(&b, "\n…and %d more; see the full list in airlock.\n", len(fs)-rows)
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
		if n.WebURL != "" && n.SHA != "" && f.Location.Path != "" {
			where = fmt.Sprintf("[%s](%s/-/blob/%s/%s#L%d)", escapeCell(where), n.WebURL, n.SHA, pathURI(f.Location.Path), max(f.Location.StartLine, 1))
		} else {
			where = escapeCell(where)
		}
		fix := advice(f)
		if fix == "" {
			fix = "No fixed version is known."
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Severity, escapeCell(what), where, escapeCell(fix))
	}
	b.WriteString("\nFindings already on the target branch are not listed. A false positive can be dismissed in airlock; this note is updated on every push.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// advice is a finding's fix, as every format words it.
func advice(f *finding.Finding) string {
	if f.Kind == finding.KindSecret {
		return secretRemedy(f)
	}
	if f.IaC != nil {
		return f.IaC.Remediation
	}
	return remedy(f)
}

// CountBySeverity says "3 findings (1 critical, 2 high)".
func CountBySeverity(fs []finding.Finding) string {
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

// escapeCell keeps text inside one Markdown table cell.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}
