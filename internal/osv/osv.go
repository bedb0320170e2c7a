// Package osv holds the types of the Open Source Vulnerability (OSV) schema,
// version 1.x (https://ossf.github.io/osv-schema/), as airlock reads them.
//
// Fields mirror the specification; each says whether the schema requires it.
package osv

import (
	"encoding/json"
	"time"
)

// RangeType is the kind of an affected range.
type RangeType string

// Range types defined by the schema.
const (
	RangeSemver    RangeType = "SEMVER"
	RangeEcosystem RangeType = "ECOSYSTEM"
	RangeGit       RangeType = "GIT"
)

// SeverityType names the scoring system of a severity entry.
type SeverityType string

// Severity types defined by the schema.
const (
	SeverityCVSSv2 SeverityType = "CVSS_V2"
	SeverityCVSSv3 SeverityType = "CVSS_V3"
	SeverityCVSSv4 SeverityType = "CVSS_V4"
	SeverityUbuntu SeverityType = "Ubuntu"
)

// Vulnerability is one OSV record.
type Vulnerability struct {
	// SchemaVersion is optional; absent means 1.0.0.
	SchemaVersion string `json:"schema_version,omitempty"`
	// ID is required.
	ID string `json:"id"`
	// Modified is required.
	Modified time.Time `json:"modified"`
	// Published is optional.
	Published *time.Time `json:"published,omitempty"`
	// Withdrawn is optional; a withdrawn record must not be reported.
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	// Aliases is optional: ids of the same vulnerability in other databases.
	Aliases []string `json:"aliases,omitempty"`
	// Related is optional: ids of related but different vulnerabilities.
	Related []string `json:"related,omitempty"`
	// Upstream is optional.
	Upstream []string `json:"upstream,omitempty"`
	// Summary is optional: one line.
	Summary string `json:"summary,omitempty"`
	// Details is optional: Markdown.
	Details string `json:"details,omitempty"`
	// Severity is optional.
	Severity []Severity `json:"severity,omitempty"`
	// Affected is optional (but a record without it matches nothing).
	Affected []Affected `json:"affected,omitempty"`
	// References is optional.
	References []Reference `json:"references,omitempty"`
	// Credits is optional.
	Credits []Credit `json:"credits,omitempty"`
	// DatabaseSpecific is optional, free-form.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a score in a named scoring system.
type Severity struct {
	// Type is required.
	Type SeverityType `json:"type"`
	// Score is required: a vector string for CVSS.
	Score string `json:"score"`
}

// Affected lists the affected versions of one package.
type Affected struct {
	// Package is optional in the schema but required for matching.
	Package Package `json:"package"`
	// Severity is optional; overrides the record's severity for this package.
	Severity []Severity `json:"severity,omitempty"`
	// Ranges is optional.
	Ranges []Range `json:"ranges,omitempty"`
	// Versions is optional: explicit affected versions.
	Versions []string `json:"versions,omitempty"`
	// EcosystemSpecific is optional, free-form.
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	// DatabaseSpecific is optional, free-form.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies a package in an ecosystem.
type Package struct {
	// Ecosystem is required, e.g. "PyPI" or "Debian:11".
	Ecosystem string `json:"ecosystem"`
	// Name is required.
	Name string `json:"name"`
	// PURL is optional.
	PURL string `json:"purl,omitempty"`
}

// Range is a span of versions described by events.
type Range struct {
	// Type is required.
	Type RangeType `json:"type"`
	// Repo is required for GIT ranges.
	Repo string `json:"repo,omitempty"`
	// Events is required.
	Events []Event `json:"events"`
	// DatabaseSpecific is optional, free-form.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one boundary of a range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link about the vulnerability.
type Reference struct {
	// Type is required (ADVISORY, ARTICLE, FIX, PACKAGE, REPORT, WEB, ...).
	Type string `json:"type"`
	// URL is required.
	URL string `json:"url"`
}

// Credit names someone credited for the record.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}
