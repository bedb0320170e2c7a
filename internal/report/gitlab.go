package report

import (
	"cmp"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/scan"
)

// GitLab dependency scanning report, security report schema 15.0.7
// (gitlab-org/security-products/security-report-schemas,
// dist/dependency-scanning-report-format.json, as vendored by GitLab in
// lib/gitlab/ci/parsers/security/validators/schemas/15.0.7/).
//
// Why 15.0.7 and not a newer schema: a GitLab instance ingests a report only
// when it vendors the report's version or another patch of the same
// major.minor. Every GitLab from 15.4 on vendors 15.0.x: GitLab 16.x stops
// at 15.0.x, GitLab 17.2 lists 15.0.0 to 15.1.4 (GitLab issue 517707), and
// GitLab 18.x still ships the gitlab-security_report_schemas gem with
// 15.0.0 as its lowest version. A 15.1 or 15.2 report is rejected by every
// GitLab 16.x, and a 15.2 report by GitLab 17.1 and 17.2. 15.0.7 is the
// newest 15.0 patch.
//
// What that schema requires, and what airlock writes:
//   - top level: version, scan, vulnerabilities and dependency_files.
//     dependency_files lists every manifest with packages: its path, a
//     package_manager (a free string in the schema; airlock writes the names
//     GitLab's dependency list knows, see gitlabPackageManagers) and its
//     dependencies {package {name}, version, direct}. GitLab up to 16.x
//     builds the project's dependency list from it; GitLab 17.0 and later
//     take the dependency list from a CycloneDX SBOM instead and ignore it.
//   - scan: analyzer and scanner {id, name, version, vendor{name}}, type
//     "dependency_scanning", start_time and end_time matching
//     ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$ (UTC, no zone, no fraction),
//     status "success" or "failure". Notices go into the optional messages.
//   - vulnerabilities[]: id, identifiers (at least one; the first is the
//     primary identifier) and location {file, dependency {package {name},
//     version}}, with the optional dependency.direct. name (at most 255
//     characters), description, severity (Info, Unknown, Low, Medium, High
//     or Critical), solution (at most 7000 characters) and links are
//     optional. iid and dependency_path are optional and not written:
//     airlock does not know which package pulls in which.
//
// Only unignored vulnerability findings with a package are written: GitLab
// keeps its own dismissals, and secrets and misconfigurations belong to other
// report types (secrets: the secret detection report, gitlab_secrets.go).
const (
	gitlabSchemaVersion = "15.0.7"
	gitlabSchemaURL     = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.0.7/dist/dependency-scanning-report-format.json"
	// gitlabTimeLayout is the only time format the schema accepts.
	gitlabTimeLayout = "2006-01-02T15:04:05"
	// Length limits from the schema.
	gitlabMaxName        = 255
	gitlabMaxDescription = 1048576
	gitlabMaxSolution    = 7000
)

// gitlabPackageManagers maps an extractor name to the package_manager value
// written in dependency_files. The schema accepts any non-empty string; these
// are the values GitLab's dependency list knows
// (Sbom::DependenciesFinder::FILTER_PACKAGE_MANAGERS_VALUES), except "uv",
// which GitLab has no value for: it is written as is rather than passed off
// as pip. An extractor missing here writes its own name.
var gitlabPackageManagers = map[string]string{
	"go/gomod":            "go",
	"npm/package-lock":    "npm",
	"npm/yarn-lock":       "yarn",
	"npm/pnpm-lock":       "pnpm",
	"python/requirements": "pip",
	"python/poetrylock":   "poetry",
	"python/pipfilelock":  "pipenv",
	"python/uvlock":       "uv",
	"rust/cargolock":      "cargo",
	"java/pom":            "maven",
	"java/gradlelock":     "gradle",
	"ruby/gemfilelock":    "bundler",
	"php/composerlock":    "composer",
	"dotnet/nugetlock":    "nuget",
}

// gitlabReport is the envelope every GitLab security report of schema
// 15.0.x shares: version, schema, the scan object and the vulnerabilities
// of its type. Only dependency scanning has dependency_files (required
// there, so a nil pointer leaves it out and an empty list writes []).
type gitlabReport[V any] struct {
	Version         string                  `json:"version"`
	Schema          string                  `json:"schema"`
	Scan            gitlabScan              `json:"scan"`
	Vulnerabilities []V                     `json:"vulnerabilities"`
	DependencyFiles *[]gitlabDependencyFile `json:"dependency_files,omitempty"`
}

// newGitLabReport is the envelope of a report of scanType under schemaURL.
func newGitLabReport[V any](r *scan.Result, o Options, scanType, schemaURL string, vulns []V) gitlabReport[V] {
	return gitlabReport[V]{
		Version:         gitlabSchemaVersion,
		Schema:          schemaURL,
		Scan:            gitlabScanFor(r, o, scanType),
		Vulnerabilities: vulns,
	}
}

// writeGitLabReport writes rep, its vulnerabilities encoded in place of an
// empty list (writeIndentedJSONArray).
func writeGitLabReport[V any](w io.Writer, rep gitlabReport[V]) error {
	vulns := rep.Vulnerabilities
	if len(vulns) > 0 {
		rep.Vulnerabilities = []V{}
	}
	return writeIndentedJSONArray(w, rep, "vulnerabilities", vulns)
}

type gitlabDependencyFile struct {
	Path           string             `json:"path"`
	PackageManager string             `json:"package_manager"`
	Dependencies   []gitlabDependency `json:"dependencies"`
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

// writeGitLab writes a GitLab dependency scanning report (schema 15.0.7).
// Ignored findings are left out: GitLab has its own dismissal workflow, and
// a finding dismissed there stays dismissed because its id is stable.
func writeGitLab(w io.Writer, r *scan.Result, o Options) error {
	vulns := []gitlabVulnerability{}
	for i := range r.Findings {
		f := &r.Findings[i]
		// A known malicious package (an OSV MAL- record) is shown with the
		// vulnerabilities: GitLab's widget is where a merge request's
		// reviewer looks. Other risk signals are not vulnerabilities.
		malicious := f.Kind == finding.KindRisk && f.SeveritySource == "malicious"
		if f.Ignored != nil || f.Kind != finding.KindVulnerability && !malicious || f.Package == nil {
			continue
		}
		vulns = append(vulns, gitlabVulnerabilityFor(f, r.Target))
	}
	rep := newGitLabReport(r, o, "dependency_scanning", gitlabSchemaURL, vulns)
	files := gitlabDependencyFiles(r.Manifests)
	rep.DependencyFiles = &files
	return writeGitLabReport(w, rep)
}

// gitlabScanFor is the scan object of a GitLab security report of the given
// type: airlock as both analyzer and scanner, the scan's times in the only
// form the schemas accept, and the notices as messages. The scan object is
// the same in every report type of schema 15.0.x.
func gitlabScanFor(r *scan.Result, o Options, scanType string) gitlabScan {
	tool := gitlabTool{
		ID:      toolName(o),
		Name:    toolName(o),
		Version: toolVersion(o),
		URL:     informationURI,
		Vendor:  gitlabVendor{Name: toolName(o)},
	}
	sc := gitlabScan{
		Analyzer:  tool,
		Scanner:   tool,
		Type:      scanType,
		StartTime: gitlabTime(r.StartedAt),
		EndTime:   gitlabTime(r.FinishedAt),
		Status:    "success",
	}
	if r.Incomplete() > 0 {
		// Some input was not read: the notices say which.
		sc.Status = "failure"
	}
	for _, n := range r.Notices {
		msg := oneLine(n.Message)
		if n.Path != "" {
			msg = n.Where() + ": " + msg
		}
		if msg == "" {
			continue
		}
		sc.Messages = append(sc.Messages, gitlabMessage{Level: gitlabLevel(n.Level), Value: msg})
	}
	return sc
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
	v.Location = gitlabLocation{
		File: file,
		Dependency: gitlabDependency{
			Package: gitlabPackage{Name: p.Name},
			Version: gitlabVersion(*p),
		},
	}
	v.Location.Dependency.Direct = gitlabDirect(p.Relation)
	return v
}

// gitlabDependencyFiles lists the manifests that declare packages, in path
// order, each with its packages sorted by name and version. A package listed
// twice with the same version is written once, direct if any listing is.
func gitlabDependencyFiles(ms []scan.Manifest) []gitlabDependencyFile {
	files := []gitlabDependencyFile{}
	for _, m := range ms {
		if len(m.Packages) == 0 {
			continue
		}
		pm := gitlabPackageManagers[m.Extractor]
		if pm == "" {
			pm = m.Extractor
		}
		if pm == "" {
			pm = "unknown"
		}
		deps := make([]gitlabDependency, 0, len(m.Packages))
		index := map[[2]string]int{}
		for _, p := range m.Packages {
			d := gitlabDependency{
				Package: gitlabPackage{Name: p.Name},
				Version: gitlabVersion(p),
				Direct:  gitlabDirect(p.Relation),
			}
			key := [2]string{d.Package.Name, d.Version}
			if i, ok := index[key]; ok {
				deps[i].Direct = mergeDirect(deps[i].Direct, d.Direct)
				continue
			}
			index[key] = len(deps)
			deps = append(deps, d)
		}
		slices.SortFunc(deps, func(a, b gitlabDependency) int {
			return cmp.Or(strings.Compare(a.Package.Name, b.Package.Name), strings.Compare(a.Version, b.Version))
		})
		files = append(files, gitlabDependencyFile{Path: m.Path, PackageManager: pm, Dependencies: deps})
	}
	slices.SortStableFunc(files, func(a, b gitlabDependencyFile) int { return strings.Compare(a.Path, b.Path) })
	return files
}

// gitlabVersion is the version written for a package: the resolved version,
// or the requirement as written when the manifest pins none.
func gitlabVersion(p inventory.Package) string {
	if p.Version != "" {
		return p.Version
	}
	return p.Constraint
}

// gitlabDirect gives the schema's direct flag for a relation, or nil when
// the relation is unknown.
func gitlabDirect(r inventory.Relation) *bool {
	switch r {
	case inventory.RelationDirect:
		return new(true)
	case inventory.RelationTransitive:
		return new(false)
	}
	return nil
}

// mergeDirect combines the direct flags of two listings of one package:
// direct wins, then transitive, then unknown.
func mergeDirect(a, b *bool) *bool {
	switch {
	case a != nil && *a, b != nil && *b:
		return new(true)
	case a != nil:
		return a
	}
	return b
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

// gitlabLinks keeps the references gitlabURL accepts, without duplicates.
func gitlabLinks(refs []string) []gitlabLink {
	var links []gitlabLink
	seen := map[string]bool{}
	for _, u := range refs {
		if seen[u] || !gitlabURL(u) {
			continue
		}
		seen[u] = true
		links = append(links, gitlabLink{URL: u})
	}
	return links
}

// gitlabURL reports whether u may be written as a link or identifier URL.
// Schema 15.0.7 also accepts ftp URLs, but the earlier 15.0 patches, which
// GitLab validates a 15.0.7 report against when it does not vendor 15.0.7,
// accept only ^https?://.+ (schema 15.0.0).
func gitlabURL(u string) bool {
	return webURL(u) && !strings.HasPrefix(u, "ftp://")
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
