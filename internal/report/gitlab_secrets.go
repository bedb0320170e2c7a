package report

import (
	"io"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// GitLab secret detection report, security report schema 15.0.7
// (gitlab-org/security-products/security-report-schemas,
// dist/secret-detection-report-format.json, as vendored by GitLab in
// lib/gitlab/ci/parsers/security/validators/schemas/15.0.7/). It is 15.0.7
// for the reason the dependency scanning report is (see gitlab.go): every
// GitLab from 15.4 on, 16.x included, accepts a 15.0.x report, and 16.x
// accepts nothing newer.
//
// What that schema requires, and what airlock writes:
//   - top level: version, scan and vulnerabilities (no dependency_files).
//   - scan: as in the dependency scanning report, with type
//     "secret_detection".
//   - vulnerabilities[]: id, identifiers (at least one) and location, whose
//     only required field is commit, an object whose only required field is
//     sha (a string of at least one character); file, start_line, end_line
//     and commit.author, date and message are optional. name (at most 255
//     characters), description, severity, solution, links and
//     raw_source_code_extract are optional.
//
// The commit is the first commit a history finding was seen in (sha, author
// and date), or the location's commit. A finding in the working tree has no
// commit, and the schema requires one: it gets the placeholder sha "0000000",
// the value GitLab's own Gitleaks-based analyzer writes when it has no commit
// to name (and other tools writing this report copy).
//
// raw_source_code_extract is, in GitLab's analyzer, the secret itself. Here
// it is the finding's Evidence: the matched line with the secret redacted to
// at most its first four characters. GitLab features that act on the raw
// secret (automatic revocation of leaked tokens, token status) therefore do
// nothing with airlock's findings; that is the price of a report that can be
// stored as a CI artifact and shown to everyone who can read the pipeline.
//
// Only unignored secret findings are written: GitLab keeps its own
// dismissals, and a finding dismissed there stays dismissed because its id
// is derived from the fingerprint, which does not change when lines move.
const (
	gitlabSecretSchemaURL = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/secret-detection-report-format.json"
	// gitlabNoCommit is the commit sha written for a finding that is not in
	// a commit.
	gitlabNoCommit = "0000000"
	// gitlabRuleIDType is the identifier type GitLab's analyzer, which runs
	// Gitleaks, gives a secret detection rule; airlock's rules are in
	// Gitleaks' format, and GitLab's rulesets name a rule by this type and
	// the rule id as value.
	gitlabRuleIDType = "gitleaks_rule_id"
)

type gitlabSecretVulnerability struct {
	ID                   string               `json:"id"`
	Name                 string               `json:"name,omitempty"`
	Description          string               `json:"description,omitempty"`
	Severity             string               `json:"severity"`
	Solution             string               `json:"solution,omitempty"`
	Identifiers          []gitlabIdentifier   `json:"identifiers"`
	Links                []gitlabLink         `json:"links,omitempty"`
	Location             gitlabSecretLocation `json:"location"`
	RawSourceCodeExtract string               `json:"raw_source_code_extract,omitempty"`
}

type gitlabSecretLocation struct {
	File      string       `json:"file"`
	StartLine int          `json:"start_line,omitempty"`
	EndLine   int          `json:"end_line,omitempty"`
	Commit    gitlabCommit `json:"commit"`
}

type gitlabCommit struct {
	SHA    string `json:"sha"`
	Author string `json:"author,omitempty"`
	Date   string `json:"date,omitempty"`
}

// writeGitLabSecrets writes a GitLab secret detection report (schema 15.0.7)
// of the unignored secret findings.
func writeGitLabSecrets(w io.Writer, r *scan.Result, o Options) error {
	vulns := gitlabVulns(r, finding.KindSecret, gitlabSecretFor)
	rep := newGitLabReport(r, o, "secret_detection", gitlabSecretSchemaURL, vulns)
	return writeGitLabReport(w, rep)
}

func gitlabSecretFor(f *finding.Finding, target string) gitlabSecretVulnerability {
	key := f.Fingerprint
	if key == "" {
		key = finding.Fingerprint("secret", f.ID, f.Location.Path, f.Evidence)
	}
	name := oneLine(f.Title)
	if name == "" {
		name = f.ID
	}
	ident := gitlabIdentifier{Type: gitlabRuleIDType, Name: "Gitleaks rule ID " + f.ID, Value: f.ID}
	if len(f.References) > 0 && gitlabURL(f.References[0]) {
		ident.URL = f.References[0]
	}
	file := f.Location.Path
	if file == "" {
		file = target
	}
	loc := gitlabSecretLocation{File: file, Commit: gitlabCommit{SHA: gitlabNoCommit}}
	if f.Location.StartLine > 0 {
		loc.StartLine = f.Location.StartLine
		loc.EndLine = max(f.Location.EndLine, f.Location.StartLine)
	}
	if c, ok := inHistory(f); ok {
		loc.Commit = gitlabCommit{SHA: c.SHA, Author: oneLine(c.Author), Date: gitlabCommitDate(c.Date)}
	}
	return gitlabSecretVulnerability{
		ID:                   stableUUID("gitlab-secret", key),
		Name:                 truncate(name, gitlabMaxName),
		Description:          truncate(gitlabSecretDescription(f, name), gitlabMaxDescription),
		Severity:             gitlabSeverity(f.Severity),
		Solution:             secretRemedy(f),
		Identifiers:          []gitlabIdentifier{ident},
		Links:                gitlabLinks(f.References),
		Location:             loc,
		RawSourceCodeExtract: f.Evidence,
	}
}

// gitlabSecretDescription is the rule's description, followed for a history
// finding by the commits it was seen in: the location names only the first.
func gitlabSecretDescription(f *finding.Finding, name string) string {
	desc := strings.TrimSpace(f.Description)
	if desc == "" {
		desc = name
	}
	h := f.History
	if h == nil || h.First.SHA == "" {
		return desc
	}
	var b strings.Builder
	b.WriteString(desc)
	b.WriteString("\n\nFound in git history: first added in commit " + commitText(h.First))
	if h.Last.SHA != "" && h.Last.SHA != h.First.SHA {
		b.WriteString(", last added in commit " + commitText(h.Last))
	}
	if h.Commits > 1 {
		b.WriteString("; added in " + plural(h.Commits, "commit", "commits"))
	}
	b.WriteString(".")
	return b.String()
}

// secretRemedy is the advice for a leaked secret, in every format. A secret in git
// history stays readable to everyone with a clone, so deleting it is not
// enough on its own.
func secretRemedy(f *finding.Finding) string {
	if _, ok := inHistory(f); ok {
		return "Revoke the secret and replace it. It stays in the repository's git history, readable to everyone with a clone, even after it is deleted from the files."
	}
	return "Revoke the secret and replace it, then remove it from the file and load it from the environment or a secret store at run time."
}

// gitlabCommitDate writes a commit date in RFC 3339, UTC; the schema leaves
// the format open.
func gitlabCommitDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// gitlabVulns converts the unignored findings of one kind to a GitLab
// report's vulnerabilities (an empty list, never null, when none).
func gitlabVulns[V any](r *scan.Result, kind finding.Kind, conv func(*finding.Finding, string) V) []V {
	vulns := []V{}
	for i := range r.Findings {
		if f := &r.Findings[i]; f.Ignored == nil && f.Kind == kind {
			vulns = append(vulns, conv(f, r.Target))
		}
	}
	return vulns
}
