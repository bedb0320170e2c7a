package report

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// GitLab dependency scanning report, security report schema 15.2.1
// (gitlab-org/security-products/security-report-schemas,
// dist/dependency-scanning-report-format.json, as vendored by GitLab in
// lib/gitlab/ci/parsers/security/validators/schemas/15.2.1/).
//
// What that schema requires, and what airlock writes:
//   - top level: version, scan, vulnerabilities. dependency_files was
//     required up to 15.0.7 and removed in 15.1.0 (GitLab issue 439770: the
//     dependency list now comes from the CycloneDX SBOM), so it is not
//     written.
//   - scan: analyzer and scanner {id, name, version, vendor{name}}, type
//     "dependency_scanning", start_time and end_time matching
//     ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$ (UTC, no zone, no fraction),
//     status "success" or "failure". Notices go into the optional messages.
//   - vulnerabilities[]: id, identifiers (at least one; the first is the
//     primary identifier) and location {file, dependency {package {name},
//     version}}. name (at most 255 characters), description, severity
//     (Info, Unknown, Low, Medium, High or Critical), solution (at most 7000
//     characters) and links are optional. 15.1.0 removed dependency.iid and
//     dependency_path.
//
// Only unignored vulnerability findings with a package are written: GitLab
// keeps its own dismissals, and secrets and misconfigurations belong to other
// report types. A GitLab instance accepts only the schema versions it
// vendors (or a newer patch of one): GitLab 17.2 lists 15.0.0 to 15.1.4 and
// rejects 15.2.1 (GitLab issue 517707), and GitLab 16.x stops at 15.0.7.
const (
	gitlabSchemaVersion = "15.2.1"
	gitlabSchemaURL     = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.1/dist/dependency-scanning-report-format.json"
	// gitlabTimeLayout is the only time format the schema accepts.
	gitlabTimeLayout = "2006-01-02T15:04:05"
	// Length limits from the schema.
	gitlabMaxName        = 255
	gitlabMaxDescription = 1048576
	gitlabMaxSolution    = 7000
)

type gitlabReport struct {
	Version         string                `json:"version"`
	Schema          string                `json:"schema"`
	Scan            gitlabScan            `json:"scan"`
	Vulnerabilities []gitlabVulnerability `json:"vulnerabilities"`
}

type gitlabScan struct {
	Analyzer  gitlabTool      `json:"analyzer"`
	Scanner   gitlabTool      `json:"scanner"`
	Type      string          `json:"type"`
	StartTime string          `json:"start_time"`
	EndTime   string          `json:"end_time"`
	Status    string          `json:"status"`
	Messages  []gitlabMessage `json:"messages,omitempty"`
}

type gitlabTool struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Version string       `json:"version"`
	URL     string       `json:"url"`
	Vendor  gitlabVendor `json:"vendor"`
}

type gitlabVendor struct {
	Name string `json:"name"`
}

type gitlabMessage struct {
	Level string `json:"level"`
	Value string `json:"value"`
}

type gitlabVulnerability struct {
	ID          string             `json:"id"`
	Name        string             `json:"name,omitempty"`
	Description string             `json:"description,omitempty"`
	Severity    string             `json:"severity"`
	Solution    string             `json:"solution,omitempty"`
	Identifiers []gitlabIdentifier `json:"identifiers"`
	Links       []gitlabLink       `json:"links,omitempty"`
	Location    gitlabLocation     `json:"location"`
}

type gitlabIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type gitlabLink struct {
	URL string `json:"url"`
}

type gitlabLocation struct {
	File       string           `json:"file"`
	Dependency gitlabDependency `json:"dependency"`
}

type gitlabDependency struct {
	Package gitlabPackage `json:"package"`
	Version string        `json:"version"`
	Direct  *bool         `json:"direct,omitempty"`
}

type gitlabPackage struct {
	Name string `json:"name"`
}

// writeGitLab writes a GitLab dependency scanning report (schema 15.2.1).
// Ignored findings are left out: GitLab has its own dismissal workflow, and
// a finding dismissed there stays dismissed because its id is stable.
func writeGitLab(w io.Writer, r *scan.Result, o Options) error {
	tool := gitlabTool{
		ID:      toolName(o),
		Name:    toolName(o),
		Version: toolVersion(o),
		URL:     informationURI,
		Vendor:  gitlabVendor{Name: toolName(o)},
	}
	rep := gitlabReport{
		Version: gitlabSchemaVersion,
		Schema:  gitlabSchemaURL,
		Scan: gitlabScan{
			Analyzer:  tool,
			Scanner:   tool,
			Type:      "dependency_scanning",
			StartTime: gitlabTime(r.StartedAt),
			EndTime:   gitlabTime(r.FinishedAt),
			Status:    "success",
		},
		Vulnerabilities: []gitlabVulnerability{},
	}
	for _, n := range r.Notices {
		msg := oneLine(n.Message)
		if n.Path != "" {
			msg = n.Path + ": " + msg
		}
		if msg == "" {
			continue
		}
		rep.Scan.Messages = append(rep.Scan.Messages, gitlabMessage{Level: gitlabLevel(n.Level), Value: msg})
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Ignored != nil || f.Kind != finding.KindVulnerability || f.Package == nil {
			continue
		}
		rep.Vulnerabilities = append(rep.Vulnerabilities, gitlabVulnerabilityFor(f, r.Target))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

func gitlabVulnerabilityFor(f *finding.Finding, target string) gitlabVulnerability {
	p := f.Package
	key := f.Fingerprint
	if key == "" {
		key = finding.Fingerprint(f.ID, p.PURL(), f.Location.Path)
	}
	name := oneLine(f.Title)
	if name == "" {
		name = f.ID
	}
	desc := strings.TrimSpace(f.Description)
	if desc == "" {
		desc = name
	}
	v := gitlabVulnerability{
		ID:          stableUUID("gitlab-vulnerability", key),
		Name:        truncate(name, gitlabMaxName),
		Description: truncate(desc, gitlabMaxDescription),
		Severity:    gitlabSeverity(f.Severity),
		Solution:    truncate(remedy(f), gitlabMaxSolution),
		Identifiers: gitlabIdentifiers(f),
		Links:       gitlabLinks(f.References),
	}
	file := f.Location.Path
	if file == "" {
		file = p.Location.Path
	}
	if file == "" {
		file = target
	}
	version := p.Version
	if version == "" {
		version = p.Constraint
	}
	v.Location = gitlabLocation{
		File: file,
		Dependency: gitlabDependency{
			Package: gitlabPackage{Name: p.Name},
			Version: version,
		},
	}
	switch p.Relation {
	case inventory.RelationDirect:
		v.Location.Dependency.Direct = new(true)
	case inventory.RelationTransitive:
		v.Location.Dependency.Direct = new(false)
	}
	return v
}

// gitlabIdentifiers lists the finding's id first (GitLab's primary
// identifier), then its aliases.
func gitlabIdentifiers(f *finding.Finding) []gitlabIdentifier {
	ids := make([]gitlabIdentifier, 0, 1+len(f.Aliases))
	seen := map[string]bool{}
	for _, id := range f.IDs() {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		a := advisoryFor(id)
		ids = append(ids, gitlabIdentifier{Type: a.kind, Name: id, Value: id, URL: a.url})
	}
	return ids
}

// gitlabLinks keeps the references the schema accepts (http, https and ftp
// URLs), without duplicates.
func gitlabLinks(refs []string) []gitlabLink {
	var links []gitlabLink
	seen := map[string]bool{}
	for _, u := range refs {
		if seen[u] || !webURL(u) {
			continue
		}
		seen[u] = true
		links = append(links, gitlabLink{URL: u})
	}
	return links
}

// webURL reports whether u is an http, https or ftp URL with something after
// the scheme.
func webURL(u string) bool {
	for _, scheme := range []string{"https://", "http://", "ftp://"} {
		if rest, ok := strings.CutPrefix(u, scheme); ok {
			return rest != "" && !strings.ContainsAny(u, " \t\n")
		}
	}
	return false
}

func gitlabTime(t time.Time) string {
	return t.UTC().Format(gitlabTimeLayout)
}

// gitlabSeverity capitalises a severity as the schema's enum spells it.
func gitlabSeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "Critical"
	case finding.High:
		return "High"
	case finding.Medium:
		return "Medium"
	case finding.Low:
		return "Low"
	case finding.Info:
		return "Info"
	}
	return "Unknown"
}

// gitlabLevel maps a notice level to a scan message level. Notices never
// halt a scan, so errors (a file that could not be read) are warnings, as
// the schema defines "warn" for partial errors and "fatal" for a halt.
func gitlabLevel(l scan.NoticeLevel) string {
	switch l {
	case scan.NoticeWarning, scan.NoticeError:
		return "warn"
	}
	return "info"
}
