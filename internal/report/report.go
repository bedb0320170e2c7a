// Package report writes a scan.Result in the formats airlock offers: a table
// for people, canonical JSON, SARIF 2.1.0 for code-scanning tools, GitLab
// dependency scanning, secret detection and SAST (misconfiguration) reports,
// a CycloneDX 1.6 SBOM with vulnerabilities, a license list, and JSON lines.
// NewHandler writes them from the scan's stream of events (scan.Handler):
// JSON lines as the scan goes, the whole documents when it is done.
//
// Every format reads the same result and writes deterministic output: the
// same result always gives the same bytes, so reports can be diffed and
// tested against golden files.
//
// Secret findings reach this package already redacted: their Evidence keeps
// at most the first four characters of a secret. No format writes anything
// about a secret but its Evidence, rule and location.
package report

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/scan"
)

// Options configure a report.
type Options struct {
	// ToolName names the tool in reports that record it ("airlock").
	ToolName string
	// ToolVersion is the tool's version; reports that require a version
	// write "unknown" when it is empty.
	ToolVersion string
	// Color enables ANSI colours in the table. Set it only for terminals.
	Color bool
}

// Format names an output format.
type Format string

// Formats.
const (
	Table  Format = "table"
	JSON   Format = "json"
	SARIF  Format = "sarif"
	GitLab Format = "gitlab"
	// GitLabSecrets is GitLab's secret detection report.
	GitLabSecrets Format = "gitlab-secrets"
	// GitLabSAST is GitLab's SAST report, with the misconfigurations.
	GitLabSAST Format = "gitlab-sast"
	CycloneDX  Format = "cyclonedx"
	// JSONL is the scan as a stream of JSON objects, one per line
	// (NewHandler writes it as the scan goes).
	JSONL Format = "jsonl"
	// Licenses is a CSV of every package's license, for legal review.
	Licenses Format = "licenses"
)

// Formats lists every format Write accepts.
func Formats() []Format {
	return []Format{Table, JSON, SARIF, GitLab, GitLabSecrets, GitLabSAST, CycloneDX, JSONL, Licenses}
}

// Write writes r to w in format f.
func Write(w io.Writer, f Format, r *scan.Result, o Options) error {
	if r == nil {
		return errors.New("report: no result to write")
	}
	var err error
	switch f {
	case Table:
		err = writeTable(w, r, o)
	case JSON:
		err = writeJSON(w, r, o)
	case SARIF:
		err = writeSARIF(w, r, o)
	case GitLab:
		err = writeGitLab(w, r, o)
	case GitLabSecrets:
		err = writeGitLabSecrets(w, r, o)
	case GitLabSAST:
		err = writeGitLabSAST(w, r, o)
	case CycloneDX:
		err = writeCycloneDX(w, r, o)
	case JSONL:
		// The handler's errors say what they are already.
		return scan.Replay(r, newJSONLHandler(w, o))
	case Licenses:
		err = writeLicenses(w, r)
	default:
		return unknownFormat(f)
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", f, err)
	}
	return nil
}

func unknownFormat(f Format) error {
	names := make([]string, 0, len(Formats()))
	for _, v := range Formats() {
		names = append(names, string(v))
	}
	return fmt.Errorf("report: unknown format %q; use one of: %s", f, strings.Join(names, ", "))
}

// writeIndentedJSON writes v as JSON indented by two spaces, with <, > and &
// as they are, as every JSON format here does.
func writeIndentedJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	// json.Encoder's own indenting re-validates what it has just written
	// (two thirds of the time of a large report): indentJSON does not.
	_, err := w.Write(indentJSON(make([]byte, 0, buf.Len()*3/2), buf.Bytes(), "  "))
	return err
}

func toolName(o Options) string {
	if o.ToolName == "" {
		return "airlock"
	}
	return o.ToolName
}

func toolVersion(o Options) string {
	if o.ToolVersion == "" {
		return "unknown"
	}
	return o.ToolVersion
}

// informationURI is the project's home page, named in SARIF and GitLab reports.
const informationURI = "https://github.com/airlock-sec/airlock"

// displayAlias returns the alias worth showing beside a finding's id: the
// first CVE alias, or else the first GHSA alias, that differs from the id.
func displayAlias(f *finding.Finding) string {
	for _, prefix := range []string{"CVE-", "GHSA-"} {
		for _, a := range f.Aliases {
			if a != f.ID && strings.HasPrefix(a, prefix) {
				return a
			}
		}
	}
	return ""
}

// lowestFix returns the lowest fixed version, or "" when none is known.
func lowestFix(f *finding.Finding) string {
	if len(f.FixedVersions) == 0 {
		return ""
	}
	return f.FixedVersions[0]
}

// remedy is the advice for a vulnerability: which version to upgrade to.
// It returns "" when no fixed version is known.
func remedy(f *finding.Finding) string {
	switch len(f.FixedVersions) {
	case 0:
		return ""
	case 1:
		return "Upgrade to version " + f.FixedVersions[0] + "."
	}
	return "Upgrade to one of the fixed versions: " + strings.Join(f.FixedVersions, ", ") + "."
}

// maxCVSS returns the highest CVSS base score of a finding and whether any
// score is known.
func maxCVSS(f *finding.Finding) (float64, bool) {
	best, ok := 0.0, false
	for _, c := range f.CVSS {
		if c.Score > 0 && (!ok || c.Score > best) {
			best, ok = c.Score, true
		}
	}
	return best, ok
}

// advisory describes the database an identifier comes from.
type advisory struct {
	// kind is the lower-case identifier type GitLab expects (cve, ghsa, ...).
	kind string
	// source names the database.
	source string
	// url is the identifier's page.
	url string
}

// advisoryFor classifies a vulnerability identifier by its prefix. Unknown
// prefixes are treated as OSV records.
func advisoryFor(id string) advisory {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return advisory{"cve", "NVD", "https://nvd.nist.gov/vuln/detail/" + id}
	case strings.HasPrefix(id, "GHSA-"):
		return advisory{"ghsa", "GitHub Advisory Database", "https://github.com/advisories/" + id}
	case strings.HasPrefix(id, "GO-"):
		return advisory{"go", "Go Vulnerability Database", "https://pkg.go.dev/vuln/" + id}
	case strings.HasPrefix(id, "PYSEC-"):
		return advisory{"pysec", "PyPI Advisory Database", "https://osv.dev/vulnerability/" + id}
	case strings.HasPrefix(id, "RUSTSEC-"):
		return advisory{"rustsec", "RustSec Advisory Database", "https://rustsec.org/advisories/" + id + ".html"}
	}
	return advisory{"osv", "OSV", "https://osv.dev/vulnerability/" + id}
}

// urlNamespace is the RFC 9562 namespace for names that are URLs.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuidNamespaceURL names airlock's UUIDs. It must never change: GitLab
// tracks vulnerabilities by the UUIDs derived from it.
const uuidNamespaceURL = "https://github.com/airlock-sec/airlock/uuid/"

// stableUUID returns a name-based (version 5) UUID for the parts, so the same
// input always gives the same UUID. The kind keeps UUIDs of different uses
// apart.
func stableUUID(kind string, parts ...string) string {
	ns := uuidV5(urlNamespace, uuidNamespaceURL+kind)
	var name strings.Builder
	for _, p := range parts {
		name.WriteString(p)
		name.WriteByte(0)
	}
	u := uuidV5(ns, name.String())
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func uuidV5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// oneLine collapses runs of white space, including line breaks, to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most max runes, cutting at a word boundary when
// one is near and marking the cut with an ellipsis.
func truncate(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	cut := max - 1
	for i := cut; i > max/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,;:.-") + "…"
}

// shortSHA is the abbreviated commit id git shows by default.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// commitText names a commit by its short id and, when known, its date.
func commitText(c finding.Commit) string {
	s := shortSHA(c.SHA)
	if !c.Date.IsZero() {
		s += " on " + c.Date.UTC().Format(time.DateOnly)
	}
	return s
}

// inHistory reports whether a finding comes from git history, and returns
// the commit it was first seen in: the history's first commit or, when the
// finding has no history, its location's commit.
func inHistory(f *finding.Finding) (finding.Commit, bool) {
	if f.History != nil && f.History.First.SHA != "" {
		return f.History.First, true
	}
	if f.Location.Commit != "" {
		return finding.Commit{SHA: f.Location.Commit}, true
	}
	return finding.Commit{}, false
}

// printable makes text from a scanned file safe to print on a terminal:
// control characters, which could move the cursor or recolour the screen,
// and bidirectional controls, which could reorder what is shown, are written
// as Go escapes (\x1b, \u202e).
func printable(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}
