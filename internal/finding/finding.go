// Package finding is the one model of a result that every analyzer emits and
// every output format reads: a vulnerable package, an exposed secret, a
// misconfiguration. A finding carries a fingerprint that stays the same across
// scans and line moves, so the platform can tell new, existing and fixed.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Kind is the analyzer family that produced a finding.
type Kind string

// Kinds of finding.
const (
	KindVulnerability Kind = "vulnerability"
	KindSecret        Kind = "secret"
	KindIaC           Kind = "iac"
	KindLicense       Kind = "license"
	KindRisk          Kind = "risk"
)

// Severity is a qualitative severity.
type Severity string

// Severities, from most to least severe. Unknown sorts last.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
	Unknown  Severity = "unknown"
)

// Severities lists every severity from most to least severe.
var Severities = []Severity{Critical, High, Medium, Low, Info, Unknown}

// Rank orders severities: Critical is 5, Unknown 0.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 5
	case High:
		return 4
	case Medium:
		return 3
	case Low:
		return 2
	case Info:
		return 1
	}
	return 0
}

// ParseSeverity reads a severity name in any case; it accepts the common
// synonyms used by advisory databases ("moderate", "important").
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return Critical, true
	case "high", "important":
		return High, true
	case "medium", "moderate":
		return Medium, true
	case "low":
		return Low, true
	case "info", "informational", "none", "negligible":
		return Info, true
	case "unknown":
		return Unknown, true
	}
	return Unknown, false
}

// CVSS is one CVSS score of a finding.
type CVSS struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string `json:"version"`
	// Vector is the full vector string.
	Vector string `json:"vector"`
	// Score is the base score.
	Score float64 `json:"score"`
}

// Location is where a finding is.
type Location struct {
	// Path is slash-separated and relative to the scan root.
	Path string `json:"path"`
	// StartLine is 1-based; 0 when unknown.
	StartLine int `json:"start_line,omitempty"`
	// EndLine is 1-based; 0 when the same as StartLine or unknown.
	EndLine int `json:"end_line,omitempty"`
	// StartColumn and EndColumn are the 1-based byte columns of the
	// finding's first and last bytes on StartLine and EndLine (secrets:
	// on a minified file's one line the line alone says little); 0 when
	// unknown.
	StartColumn int `json:"start_column,omitempty"`
	EndColumn   int `json:"end_column,omitempty"`
	// Commit is set for findings in git history.
	Commit string `json:"commit,omitempty"`
}

// Ignore records why a finding is suppressed.
type Ignore struct {
	// Reason is the reason given in the configuration.
	Reason string `json:"reason"`
	// Expires is the date after which the ignore no longer applies, if any.
	Expires *time.Time `json:"expires,omitempty"`
	// Source names the configuration file (path:line for an inline
	// suppression).
	Source string `json:"source,omitempty"`
	// Line is the line of an inline suppression; not written.
	Line int `json:"-"`
}

// Finding is one result.
type Finding struct {
	// Kind is the analyzer family.
	Kind Kind `json:"kind"`
	// ID is the primary identifier: a vulnerability id or a rule id.
	ID string `json:"id"`
	// Aliases are other identifiers of the same issue (CVE, GHSA, ...), sorted.
	Aliases []string `json:"aliases,omitempty"`
	// Severity is the qualitative severity.
	Severity Severity `json:"severity"`
	// SeveritySource says where the severity of a vulnerability came from:
	// "cvss_v3.1" (or another CVSS version: the base score of the record's
	// vector), "database_specific" or "ecosystem_specific" (a word such as
	// GitHub's "MODERATE" in that field of the record), each prefixed with
	// "alias ID " when the record is not the primary one (a GHSA record of
	// the same advisory); "informational" for risk findings. Empty when the
	// severity is unknown or the analyzer rates findings itself.
	SeveritySource string `json:"severity_source,omitempty"`
	// CVSS lists the CVSS scores the severity was derived from, if any.
	CVSS []CVSS `json:"cvss,omitempty"`
	// Title is one line.
	Title string `json:"title"`
	// Description is longer text (Markdown for vulnerabilities).
	Description string `json:"description,omitempty"`
	// Location is where the finding is.
	Location Location `json:"location"`
	// Package is the affected package, for vulnerability findings.
	Package *inventory.Package `json:"package,omitempty"`
	// IaC says what a misconfiguration is about, for IaC findings.
	IaC *IaC `json:"iac,omitempty"`
	// FixedVersions lists versions that fix the vulnerability, lowest first.
	FixedVersions []string `json:"fixed_versions,omitempty"`
	// References are links about the finding.
	References []string `json:"references,omitempty"`
	// Evidence is what matched; secrets are always redacted.
	Evidence string `json:"evidence,omitempty"`
	// Published and Modified are the advisory's dates, when known.
	Published *time.Time `json:"published,omitempty"`
	Modified  *time.Time `json:"modified,omitempty"`
	// History says where in git history a secret was seen, for findings
	// from a history scan.
	History *History `json:"history,omitempty"`
	// Fingerprint identifies the finding across scans.
	Fingerprint string `json:"fingerprint"`
	// Ignored is set when configuration suppresses the finding.
	Ignored *Ignore `json:"ignored,omitempty"`
}

// IaC details a misconfiguration finding.
type IaC struct {
	// Input is the kind of file: "dockerfile", "terraform", "compose", ...
	Input string `json:"input"`
	// Resource is what the finding is about: a Terraform address
	// (module.net.aws_security_group.ssh), a Kubernetes kind/namespace/name,
	// a Dockerfile stage, a Compose service; empty when nothing narrower
	// than the file.
	Resource string `json:"resource,omitempty"`
	// Attribute is the offending setting; Expected says what it should be
	// and Actual what it is, when the policy says.
	Attribute string `json:"attribute,omitempty"`
	Expected  string `json:"expected,omitempty"`
	Actual    string `json:"actual,omitempty"`
	// Remediation says how to fix it.
	Remediation string `json:"remediation,omitempty"`
	// Benchmarks are the benchmark controls the check maps to ("CIS Docker 4.1").
	Benchmarks []string `json:"benchmarks,omitempty"`
	// Custom marks a finding of the user's own policies (--iac-policies).
	Custom bool `json:"custom,omitempty"`
}

// Commit identifies a commit and its author.
type Commit struct {
	SHA    string    `json:"sha"`
	Author string    `json:"author,omitempty"`
	Email  string    `json:"email,omitempty"`
	Date   time.Time `json:"date"`
}

// History is the span of commits in which the same finding was seen: a
// secret committed once and deleted later is one finding with its first
// and last commits.
type History struct {
	// First and Last are the oldest and newest commits that added it.
	First Commit `json:"first"`
	Last  Commit `json:"last"`
	// Commits counts the commits that added it.
	Commits int `json:"commits"`
}

// IDs returns the primary id followed by the aliases.
func (f *Finding) IDs() []string {
	return append([]string{f.ID}, f.Aliases...)
}

// Fingerprint hashes the parts that identify a finding independent of line
// numbers. Parts are joined with an unambiguous separator.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
