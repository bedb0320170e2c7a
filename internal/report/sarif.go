package report

import (
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// SARIF 2.1.0 (OASIS standard, errata 01). Only the parts airlock fills are
// modelled; field names follow the specification.

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// sarifFingerprintKey names airlock's fingerprint in partialFingerprints;
	// the suffix versions the fingerprint's algorithm.
	sarifFingerprintKey = "airlockFingerprint/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string          `json:"id"`
	ShortDescription sarifMessage    `json:"shortDescription"`
	FullDescription  sarifMessage    `json:"fullDescription"`
	Help             *sarifMultiText `json:"help,omitempty"`
	HelpURI          string          `json:"helpUri,omitempty"`
	Properties       sarifRuleProps  `json:"properties"`
}

type sarifMultiText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleProps struct {
	// SecuritySeverity is the CVSS base score as a string, as GitHub code
	// scanning reads it.
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          *sarifResultProps  `json:"properties,omitempty"`
}

type sarifResultProps struct {
	Package       string   `json:"package,omitempty"`
	FixedVersions []string `json:"fixedVersions,omitempty"`
	// FirstCommit and LastCommit are the oldest and newest commits that
	// added a secret found in git history; Commits counts the commits.
	FirstCommit *sarifCommit `json:"firstCommit,omitempty"`
	LastCommit  *sarifCommit `json:"lastCommit,omitempty"`
	Commits     int          `json:"commits,omitempty"`
	// Resource, Attribute and Expected say what a misconfiguration is
	// about and what it should be.
	Resource  string `json:"resource,omitempty"`
	Attribute string `json:"attribute,omitempty"`
	Expected  string `json:"expected,omitempty"`
}

type sarifCommit struct {
	SHA    string `json:"sha"`
	Author string `json:"author,omitempty"`
	Email  string `json:"email,omitempty"`
	Date   string `json:"date,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// writeSARIF writes one run: a rule per finding id and a result per finding.
// Ignored findings are kept, marked with an external suppression.
func writeSARIF(w io.Writer, r *scan.Result, o Options) error {
	rules, index := sarifRules(r.Findings)
	results := make([]sarifResult, 0, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		res := sarifResult{
			RuleID:    f.ID,
			RuleIndex: index[f.ID],
			Level:     sarifLevel(f.Severity),
			Message:   sarifMessage{Text: sarifText(f)},
			Locations: []sarifLocation{sarifLocationFor(f.Location)},
		}
		if f.Fingerprint != "" {
			res.PartialFingerprints = map[string]string{sarifFingerprintKey: f.Fingerprint}
		}
		if f.Ignored != nil {
			res.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.Ignored.Reason}}
		}
		switch {
		case f.Package != nil:
			res.Properties = &sarifResultProps{Package: f.Package.PURL(), FixedVersions: f.FixedVersions}
		case f.History != nil:
			res.Properties = sarifHistory(f.History)
		case f.IaC != nil:
			res.Properties = &sarifResultProps{Resource: f.IaC.Resource, Attribute: f.IaC.Attribute, Expected: f.IaC.Expected}
		}
		results = append(results, res)
	}

	// A scan that could not read all of its input did not succeed, though
	// its results are valid for what it read.
	inv := sarifInvocation{ExecutionSuccessful: r.Incomplete() == 0}
	if !r.StartedAt.IsZero() {
		inv.StartTimeUTC = r.StartedAt.UTC().Format(time.RFC3339)
	}
	if !r.FinishedAt.IsZero() {
		inv.EndTimeUTC = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	for _, n := range r.Notices {
		sn := sarifNotification{Level: sarifNoticeLevel(n.Level), Message: sarifMessage{Text: n.Message}}
		if n.Path != "" {
			sn.Locations = []sarifLocation{sarifLocationFor(finding.Location{Path: n.Path, StartLine: n.Line})}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sn)
	}

	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           toolName(o),
				Version:        o.ToolVersion,
				InformationURI: informationURI,
				Rules:          rules,
			}},
			Invocations: []sarifInvocation{inv},
			Results:     results,
		}},
	}
	if len(results) > 0 {
		log.Runs[0].Results = []sarifResult{}
	}
	return writeIndentedJSONArray(w, log, "results", results)
}

// sarifRules returns one rule per distinct finding id, sorted by id, and the
// index of each id in that list. A rule takes its texts from the first
// finding with its id.
func sarifRules(fs []finding.Finding) ([]sarifRule, map[string]int) {
	first := map[string]*finding.Finding{}
	var ids []string
	for i := range fs {
		if _, ok := first[fs[i].ID]; !ok {
			first[fs[i].ID] = &fs[i]
			ids = append(ids, fs[i].ID)
		}
	}
	slices.Sort(ids)
	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		f := first[id]
		index[id] = i
		short := oneLine(f.Title)
		if short == "" {
			short = id
		}
		rule := sarifRule{
			ID:               id,
			ShortDescription: sarifMessage{Text: short},
			FullDescription:  sarifMessage{Text: short},
			Properties:       sarifRuleProps{Tags: sarifTags(f)},
		}
		d := strings.TrimSpace(f.Description)
		if f.Kind == finding.KindIaC {
			d = iacDescription(f)
		}
		if d != "" {
			rule.FullDescription = sarifMessage{Text: d}
			rule.Help = &sarifMultiText{Text: d, Markdown: d}
		}
		switch {
		case f.Kind == finding.KindVulnerability:
			rule.HelpURI = advisoryFor(id).url
		case len(f.References) > 0:
			rule.HelpURI = f.References[0]
		}
		if score, ok := maxCVSS(f); ok {
			rule.Properties.SecuritySeverity = strconv.FormatFloat(score, 'f', 1, 64)
		}
		rules = append(rules, rule)
	}
	return rules, index
}

func sarifTags(f *finding.Finding) []string {
	tags := []string{"security", string(f.Kind)}
	if f.Package != nil && f.Package.Ecosystem != "" {
		tags = append(tags, f.Package.Ecosystem)
	}
	return tags
}

// sarifHistory records where in git history a finding was seen.
func sarifHistory(h *finding.History) *sarifResultProps {
	commit := func(c finding.Commit) *sarifCommit {
		if c.SHA == "" {
			return nil
		}
		sc := &sarifCommit{SHA: c.SHA, Author: c.Author, Email: c.Email}
		if !c.Date.IsZero() {
			sc.Date = c.Date.UTC().Format(time.RFC3339)
		}
		return sc
	}
	return &sarifResultProps{FirstCommit: commit(h.First), LastCommit: commit(h.Last), Commits: h.Commits}
}

// sarifText is a result's message: for a vulnerability the package, its
// version and the fix; for a secret the rule's description and the redacted
// evidence.
func sarifText(f *finding.Finding) string {
	if f.Kind == finding.KindSecret {
		return sarifSecretText(f)
	}
	if f.Kind == finding.KindIaC {
		return iacText(f)
	}
	id := f.ID
	if a := displayAlias(f); a != "" {
		id += " (" + a + ")"
	}
	title := oneLine(f.Title)
	if f.Package == nil {
		if title == "" {
			return id + " in " + f.Location.Path
		}
		return title + " (" + id + ")"
	}
	var b strings.Builder
	b.WriteString(f.Package.Name)
	switch {
	case f.Package.Version != "":
		b.WriteString(" " + f.Package.Version)
	case f.Package.Constraint != "":
		b.WriteString(" " + f.Package.Constraint)
	}
	b.WriteString(" is affected by " + id)
	if title != "" {
		b.WriteString(": " + strings.TrimRight(title, "."))
	}
	b.WriteString(". ")
	if fix := remedy(f); fix != "" {
		b.WriteString(fix)
	} else {
		b.WriteString("No fixed version is known.")
	}
	return b.String()
}

// sarifSecretText is "<description> (<rule>)", for a finding in git history
// the commit it was first added in, and the redacted evidence.
func sarifSecretText(f *finding.Finding) string {
	title := oneLine(f.Title)
	if title == "" {
		title = "Secret"
	}
	text := strings.TrimRight(title, ".") + " (" + f.ID + ")"
	if c, ok := inHistory(f); ok {
		text += " in git history since commit " + commitText(c)
		if c.Author != "" {
			text += " by " + oneLine(c.Author)
		}
	}
	if ev := oneLine(f.Evidence); ev != "" {
		text += ": " + ev
	}
	return text
}

func sarifLocationFor(l finding.Location) sarifLocation {
	loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifactLocation{URI: pathURI(l.Path)},
	}}
	if l.StartLine > 0 {
		reg := &sarifRegion{StartLine: l.StartLine}
		if l.EndLine > l.StartLine {
			reg.EndLine = l.EndLine
		}
		loc.PhysicalLocation.Region = reg
	}
	return loc
}

// pathURI turns a slash-separated relative path into a relative URI
// reference, escaping each segment.
func pathURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

func sarifNoticeLevel(l scan.NoticeLevel) string {
	switch l {
	case scan.NoticeError:
		return "error"
	case scan.NoticeWarning:
		return "warning"
	}
	return "note"
}
