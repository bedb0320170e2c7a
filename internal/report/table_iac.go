package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/airlock-sec/airlock/internal/finding"
)

// misconfigRow is one IaC finding as table cells, and what to change.
type misconfigRow struct {
	severity finding.Severity
	cells    [3]string // id, lines, resource; the title follows
	title    string
	detail   string
}

func misconfigRowFor(f *finding.Finding) misconfigRow {
	lines := "-"
	if l := f.Location; l.StartLine > 0 {
		lines = strconv.Itoa(l.StartLine)
		if l.EndLine > l.StartLine {
			lines += "-" + strconv.Itoa(l.EndLine)
		}
	}
	res, detail := "-", ""
	if m := f.IaC; m != nil {
		if m.Resource != "" {
			res = m.Resource
		}
		detail = m.Attribute
		if m.Actual != "" {
			detail += ": " + m.Actual
		}
		if m.Expected != "" {
			if m.Actual != "" {
				detail += " (expected " + m.Expected + ")"
			} else {
				detail += ": expected " + m.Expected
			}
		}
		detail = strings.TrimPrefix(detail, ": ")
	}
	title := oneLine(iacMessage(f))
	return misconfigRow{
		severity: f.Severity,
		cells:    [3]string{printable(f.ID), lines, printable(res)},
		title:    truncate(printable(title), titleWidth),
		detail:   truncate(printable(oneLine(detail)), evidenceWidth),
	}
}

// writeMisconfigs writes the IaC findings grouped by file: severity, id,
// lines, resource and what is wrong on one line, the attribute and what
// it should be on the next.
func writeMisconfigs(b *strings.Builder, groups map[string][]misconfigRow, paths []string, o Options) {
	header := [5]string{"SEVERITY", "ID", "LINES", "RESOURCE", "MISCONFIGURATION"}
	var width [4]int
	for i := range width {
		width[i] = utf8.RuneCountInString(header[i])
	}
	for _, rows := range groups {
		for _, row := range rows {
			width[0] = max(width[0], len(row.severity))
			for i := 0; i < 3; i++ {
				width[i+1] = max(width[i+1], utf8.RuneCountInString(row.cells[i]))
			}
		}
	}
	indent := strings.Repeat(" ", 2+width[0]+2)
	for _, p := range paths {
		writeHeading(b, p, o)
		writeLine(b, width[:], header[:], "", o)
		for _, row := range groups[p] {
			cells := []string{strings.ToUpper(string(row.severity)), row.cells[0], row.cells[1], row.cells[2], row.title}
			writeLine(b, width[:], cells, severityColor(row.severity), o)
			if row.detail != "" {
				b.WriteString(indent + paint(o, ansiDim, row.detail) + "\n")
			}
		}
		b.WriteByte('\n')
	}
}

// misconfigSummary is "N misconfigurations (1 high, 2 low) in M files.".
func misconfigSummary(fs []finding.Finding) string {
	by := map[finding.Severity]int{}
	files := map[string]bool{}
	n := 0
	for i := range fs {
		if f := &fs[i]; f.Kind == finding.KindIaC && f.Ignored == nil {
			n++
			by[f.Severity]++
			files[f.Location.Path] = true
		}
	}
	if n == 0 {
		return ""
	}
	var parts []string
	for _, s := range finding.Severities {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], s))
		}
	}
	return fmt.Sprintf("%s (%s) in %s.", plural(n, "misconfiguration", "misconfigurations"), strings.Join(parts, ", "), plural(len(files), "file", "files"))
}

// iacMessage is what the policy said about this place: the first
// paragraph of the description when it differs from the policy's own.
func iacMessage(f *finding.Finding) string {
	if msg, _, ok := strings.Cut(f.Description, ".\n\n"); ok && msg != "" {
		return msg
	}
	return f.Title
}

// iacDescription is the policy's own description, without the message
// about one place.
func iacDescription(f *finding.Finding) string {
	if _, rest, ok := strings.Cut(f.Description, ".\n\n"); ok {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(f.Description)
}

// iacText is one line about a misconfiguration: the message, the id, the
// resource and what is expected.
func iacText(f *finding.Finding) string {
	s := oneLine(iacMessage(f)) + " (" + f.ID + ")"
	if m := f.IaC; m != nil {
		if m.Resource != "" {
			s += " in " + m.Resource
		}
		if m.Expected != "" {
			s += "; expected " + m.Attribute + ": " + m.Expected
			s = strings.Replace(s, "expected : ", "expected ", 1)
		}
	}
	return s + "."
}
