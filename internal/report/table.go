package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// titleWidth is the most runes of a title the table shows.
const titleWidth = 72

// ANSI escape sequences used by the table.
const (
	ansiReset   = "\x1b[0m"
	ansiBoldRed = "\x1b[1;31m"
	ansiYellow  = "\x1b[33m"
	ansiDim     = "\x1b[2m"
	ansiBold    = "\x1b[1m"
)

// tableRow is one finding as table cells.
type tableRow struct {
	severity finding.Severity
	cells    [4]string // id, package, fixed in, title
}

// writeTable writes findings grouped by the file they are in, then the
// secrets grouped by the file they are in, then a summary, the number of
// ignored findings and the notices.
func writeTable(w io.Writer, r *scan.Result, o Options) error {
	var (
		groups       = map[string][]tableRow{}
		paths        []string
		secretGroups = map[string][]secretRow{}
		secretPaths  []string
		iacGroups    = map[string][]misconfigRow{}
		iacPaths     []string
		ignored      int
	)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Ignored != nil {
			ignored++
			continue
		}
		p := f.Location.Path
		if f.Kind == finding.KindSecret {
			if _, ok := secretGroups[p]; !ok {
				secretPaths = append(secretPaths, p)
			}
			secretGroups[p] = append(secretGroups[p], secretRowFor(f))
			continue
		}
		if f.Kind == finding.KindIaC {
			if _, ok := iacGroups[p]; !ok {
				iacPaths = append(iacPaths, p)
			}
			iacGroups[p] = append(iacGroups[p], misconfigRowFor(f))
			continue
		}
		if _, ok := groups[p]; !ok {
			paths = append(paths, p)
		}
		groups[p] = append(groups[p], rowFor(f))
	}
	slices.Sort(paths)
	slices.Sort(secretPaths)
	slices.Sort(iacPaths)

	header := [5]string{"SEVERITY", "ID", "PACKAGE", "FIXED IN", "TITLE"}
	var width [4]int // the last column is not padded
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

	var b strings.Builder
	for _, p := range paths {
		writeHeading(&b, p, o)
		writeLine(&b, width[:], header[:], "", o)
		for _, row := range groups[p] {
			label := strings.ToUpper(string(row.severity))
			cells := append([]string{label}, row.cells[:]...)
			writeLine(&b, width[:], cells, severityColor(row.severity), o)
		}
		b.WriteByte('\n')
	}
	writeSecrets(&b, secretGroups, secretPaths, o)
	writeMisconfigs(&b, iacGroups, iacPaths, o)

	b.WriteString(summary(r))
	b.WriteByte('\n')
	if ignored > 0 {
		fmt.Fprintf(&b, "%s not listed.\n", plural(ignored, "ignored finding", "ignored findings"))
	}
	if len(r.Notices) > 0 {
		b.WriteString("\nNotices:\n")
		for _, n := range r.Notices {
			msg := oneLine(n.Message)
			if n.Path != "" {
				msg = n.Where() + ": " + msg
			}
			fmt.Fprintf(&b, "  %s %s\n", paint(o, noticeColor(n.Level), string(n.Level)+":"), msg)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// secretRow is one secret finding as table cells, and its evidence.
type secretRow struct {
	severity finding.Severity
	cells    [3]string // rule, location, title
	evidence string
	// history says who added a secret found in git history, and when.
	history string
}

// writeSecrets writes the secret findings grouped by the file they are in:
// severity, rule, location and title on one line, the redacted evidence
// on the next, under the rule.
func writeSecrets(b *strings.Builder, groups map[string][]secretRow, paths []string, o Options) {
	header := [4]string{"SEVERITY", "RULE", "LOCATION", "TITLE"}
	var width [3]int
	for i := range width {
		width[i] = utf8.RuneCountInString(header[i])
	}
	for _, rows := range groups {
		for _, row := range rows {
			width[0] = max(width[0], len(row.severity))
			for i := 0; i < 2; i++ {
				width[i+1] = max(width[i+1], utf8.RuneCountInString(row.cells[i]))
			}
		}
	}
	indent := strings.Repeat(" ", 2+width[0]+2)
	for _, p := range paths {
		writeHeading(b, p, o)
		writeLine(b, width[:], header[:], "", o)
		for _, row := range groups[p] {
			label := strings.ToUpper(string(row.severity))
			cells := append([]string{label}, row.cells[:]...)
			writeLine(b, width[:], cells, severityColor(row.severity), o)
			if row.evidence != "" {
				b.WriteString(indent + paint(o, ansiDim, row.evidence) + "\n")
			}
			if row.history != "" {
				b.WriteString(indent + paint(o, ansiDim, row.history) + "\n")
			}
		}
		b.WriteByte('\n')
	}
}

// writeHeading writes a group's file name, in bold when colours are on.
func writeHeading(b *strings.Builder, path string, o Options) {
	name := printable(path)
	if name == "" {
		name = "(no file)"
	}
	b.WriteString(paint(o, ansiBold, name))
	b.WriteByte('\n')
}

// evidenceWidth is the most runes of a secret's evidence the table shows.
const evidenceWidth = 100

func secretRowFor(f *finding.Finding) secretRow {
	loc := f.Location.Path
	if loc == "" {
		loc = "(no file)"
	}
	if f.Location.StartLine > 0 {
		loc += ":" + strconv.Itoa(f.Location.StartLine)
	}
	if c, ok := inHistory(f); ok {
		loc += " @ " + shortSHA(c.SHA)
	}
	title := oneLine(f.Title)
	if title == "" {
		title = oneLine(f.Description)
	}
	return secretRow{
		severity: f.Severity,
		cells:    [3]string{printable(f.ID), printable(loc), truncate(printable(title), titleWidth)},
		evidence: truncate(printable(oneLine(f.Evidence)), evidenceWidth),
		history:  historyText(f),
	}
}

// historyText is "first added by AUTHOR on DATE" for a secret found in
// git history, with the last commit when it differs; "" otherwise.
func historyText(f *finding.Finding) string {
	c, ok := inHistory(f)
	if !ok || c.Author == "" && c.Date.IsZero() {
		return ""
	}
	s := "first added"
	if c.Author != "" {
		s += " by " + printable(oneLine(c.Author))
	}
	if !c.Date.IsZero() {
		s += " on " + c.Date.UTC().Format(time.DateOnly)
	}
	if h := f.History; h != nil && h.Last.SHA != "" && h.Last.SHA != c.SHA {
		s += "; last by " + printable(oneLine(h.Last.Author))
		if !h.Last.Date.IsZero() {
			s += " on " + h.Last.Date.UTC().Format(time.DateOnly)
		}
		s += " (" + strconv.Itoa(h.Commits) + " commits)"
	}
	return s
}

// writeLine writes one indented table line. The first cell is coloured with
// color when colours are on; padding stays outside the escape sequences and
// the line never ends in spaces.
func writeLine(b *strings.Builder, width []int, cells []string, color string, o Options) {
	var line strings.Builder
	line.WriteString("  ")
	for i, c := range cells {
		if i < len(width) {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2)
			if i == 0 {
				c = paint(o, color, c)
			}
			line.WriteString(c)
			line.WriteString(pad)
			continue
		}
		line.WriteString(c)
	}
	b.WriteString(strings.TrimRight(line.String(), " "))
	b.WriteByte('\n')
}

func rowFor(f *finding.Finding) tableRow {
	id := f.ID
	if a := displayAlias(f); a != "" {
		id += " (" + a + ")"
	}
	pkg, fixed := "-", "-"
	switch {
	case f.Package != nil:
		pkg = f.Package.Name
		if v := f.Package.Version; v != "" {
			pkg += "@" + v
		} else if c := f.Package.Constraint; c != "" {
			pkg += " " + c
		}
	case f.Location.StartLine > 0:
		pkg = "line " + strconv.Itoa(f.Location.StartLine)
	}
	if f.Kind == finding.KindVulnerability {
		fixed = lowestFix(f)
		if fixed == "" {
			fixed = "no fix"
		}
	}
	title := oneLine(f.Title)
	if title == "" {
		title = truncate(oneLine(f.Description), titleWidth)
	}
	return tableRow{
		severity: f.Severity,
		cells:    [4]string{id, pkg, fixed, truncate(title, titleWidth)},
	}
}

// summary is the closing lines: how many vulnerabilities of each severity in
// how many packages and manifests, how many secrets in how many files, and
// any other findings.
func summary(r *scan.Result) string {
	var (
		bySeverity     = map[finding.Severity]int{}
		byKind         = map[finding.Kind]int{}
		vulnPackages   = map[string]bool{}
		vulnFiles      = map[string]bool{}
		secretFiles    = map[string]bool{}
		vulns          int
		secrets        int
		historySecrets int
	)
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Ignored != nil {
			continue
		}
		if f.Kind == finding.KindSecret {
			secrets++
			secretFiles[f.Location.Path] = true
			if _, ok := inHistory(f); ok {
				historySecrets++
			}
			continue
		}
		if f.Kind == finding.KindIaC {
			continue // misconfigSummary
		}
		if f.Kind != finding.KindVulnerability {
			byKind[f.Kind]++
			continue
		}
		vulns++
		bySeverity[f.Severity]++
		if f.Package != nil {
			vulnPackages[f.Package.PURL()] = true
		}
		vulnFiles[f.Location.Path] = true
	}
	scanned := map[string]bool{}
	for _, m := range r.Manifests {
		for _, p := range m.Packages {
			scanned[p.PURL()] = true
		}
	}

	var b strings.Builder
	switch {
	case vulns == 0 && len(r.Manifests) == 0:
		// Nothing was checked: say so rather than sound like a clean bill.
		b.WriteString("No dependency manifests or lockfiles were scanned.")
	case vulns == 0:
		fmt.Fprintf(&b, "No known vulnerabilities found in %s.", plural(len(scanned), "package", "packages"))
	default:
		var parts []string
		for _, s := range finding.Severities {
			if n := bySeverity[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		fmt.Fprintf(&b, "%s (%s) in %s across %s; %s scanned in %s.",
			plural(vulns, "vulnerability", "vulnerabilities"), strings.Join(parts, ", "),
			plural(len(vulnPackages), "package", "packages"),
			plural(len(vulnFiles), "manifest", "manifests"),
			plural(len(scanned), "package", "packages"),
			plural(len(r.Manifests), "manifest", "manifests"))
	}
	if secrets > 0 {
		fmt.Fprintf(&b, "\n%s in %s", plural(secrets, "secret", "secrets"), plural(len(secretFiles), "file", "files"))
		if historySecrets > 0 {
			fmt.Fprintf(&b, " (%d from git history)", historySecrets)
		}
		b.WriteByte('.')
	}
	if s := misconfigSummary(r.Findings); s != "" {
		b.WriteString("\n" + s)
	}
	if len(byKind) > 0 {
		kinds := make([]string, 0, len(byKind))
		total := 0
		for k, n := range byKind {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			total += n
		}
		slices.SortFunc(kinds, func(a, b string) int {
			return strings.Compare(strings.TrimLeft(a, "0123456789 "), strings.TrimLeft(b, "0123456789 "))
		})
		fmt.Fprintf(&b, "\n%s (%s).", plural(total, "other finding", "other findings"), strings.Join(kinds, ", "))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func severityColor(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return ansiBoldRed
	case finding.Medium:
		return ansiYellow
	}
	return ansiDim
}

func noticeColor(l scan.NoticeLevel) string {
	switch l {
	case scan.NoticeError:
		return ansiBoldRed
	case scan.NoticeWarning:
		return ansiYellow
	}
	return ansiDim
}

// paint wraps s in an ANSI colour when colours are on.
func paint(o Options, color, s string) string {
	if !o.Color || color == "" || s == "" {
		return s
	}
	return color + s + ansiReset
}
