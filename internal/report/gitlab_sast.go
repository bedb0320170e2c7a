package report

import (
	"io"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// GitLab SAST report, security report schema 15.0.7
// (dist/sast-report-format.json, vendored for the tests in
// testdata/sast-report-format-15.0.7.json), the report GitLab's own IaC
// scanning analyzer writes: scan type "sast", one vulnerability per
// misconfiguration. 15.0.7 for the reason the other GitLab reports use it
// (gitlab.go).
//
// What that schema requires, and what airlock writes:
//   - top level: version, scan and vulnerabilities (the shared envelope).
//   - vulnerabilities[]: id, identifiers (at least one) and location, whose
//     fields are all optional: airlock writes file, start_line and end_line.
//     The primary identifier is the policy (type "airlock_iac_policy", the
//     policy's id as value, as GitLab's analyzer names its KICS queries);
//     benchmark controls (CIS) follow as identifiers of type "cis".
//     name (the policy's title, at most 255 characters), description (what
//     is wrong here, the resource, the attribute and what it should be),
//     severity, solution (the remediation) and links are written.
//
// Only unignored IaC findings are written: GitLab keeps its own
// dismissals, and the id, derived from the fingerprint, survives line
// moves.
const gitlabSASTSchemaURL = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/sast-report-format.json"

// gitlabIaCIDType names an airlock IaC policy among a vulnerability's
// identifiers.
const gitlabIaCIDType = "airlock_iac_policy"

type gitlabSASTVulnerability struct {
	ID          string             `json:"id"`
	Name        string             `json:"name,omitempty"`
	Description string             `json:"description,omitempty"`
	Severity    string             `json:"severity"`
	Solution    string             `json:"solution,omitempty"`
	Identifiers []gitlabIdentifier `json:"identifiers"`
	Links       []gitlabLink       `json:"links,omitempty"`
	Location    gitlabSASTLocation `json:"location"`
}

type gitlabSASTLocation struct {
	File      string `json:"file,omitempty"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
}

// writeGitLabSAST writes a GitLab SAST report (schema 15.0.7) of the
// unignored misconfigurations.
func writeGitLabSAST(w io.Writer, r *scan.Result, o Options) error {
	vulns := gitlabVulns(r, finding.KindIaC, gitlabSASTFor)
	return writeGitLabReport(w, newGitLabReport(r, o, "sast", gitlabSASTSchemaURL, vulns))
}

func gitlabSASTFor(f *finding.Finding, target string) gitlabSASTVulnerability {
	key := f.Fingerprint
	if key == "" {
		key = finding.Fingerprint("iac", f.ID, f.Location.Path, f.Title)
	}
	name := oneLine(f.Title)
	if name == "" {
		name = f.ID
	}
	ids := []gitlabIdentifier{{Type: gitlabIaCIDType, Name: "airlock " + f.ID, Value: f.ID}}
	solution := ""
	if m := f.IaC; m != nil {
		for _, b := range m.Benchmarks {
			ids = append(ids, gitlabIdentifier{Type: "cis", Name: b, Value: b})
		}
		solution = m.Remediation
	}
	file := f.Location.Path
	if file == "" {
		file = target
	}
	loc := gitlabSASTLocation{File: file}
	if f.Location.StartLine > 0 {
		loc.StartLine = f.Location.StartLine
		loc.EndLine = max(f.Location.EndLine, f.Location.StartLine)
	}
	return gitlabSASTVulnerability{
		ID:          stableUUID("gitlab-sast", key),
		Name:        truncate(name, gitlabMaxName),
		Description: truncate(gitlabSASTDescription(f), gitlabMaxDescription),
		Severity:    gitlabSeverity(f.Severity),
		Solution:    truncate(solution, gitlabMaxSolution),
		Identifiers: ids,
		Links:       gitlabLinks(f.References),
		Location:    loc,
	}
}

// gitlabSASTDescription is what is wrong at this place, then the policy's
// description.
func gitlabSASTDescription(f *finding.Finding) string {
	var b strings.Builder
	b.WriteString(iacMessage(f))
	b.WriteString(".")
	if m := f.IaC; m != nil {
		if m.Resource != "" {
			b.WriteString("\n\nResource: `" + m.Resource + "`")
		}
		if m.Attribute != "" {
			b.WriteString("\n\nAttribute: `" + m.Attribute + "`")
			if m.Actual != "" {
				b.WriteString(" is `" + m.Actual + "`")
			}
			if m.Expected != "" {
				b.WriteString(", expected: " + m.Expected)
			}
		}
	}
	if d := iacDescription(f); d != "" {
		b.WriteString("\n\n" + d)
	}
	return b.String()
}
