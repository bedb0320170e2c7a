package scan

import (
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
)

// Result is everything one scan found; every report format reads it.
type Result struct {
	// Target is the scanned path as given.
	Target string `json:"target"`
	// StartedAt and FinishedAt bound the scan (UTC).
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Manifests lists every manifest or lockfile read, in path order.
	Manifests []Manifest `json:"manifests"`
	// Findings are sorted by severity (most severe first), then path, then id.
	Findings []finding.Finding `json:"findings"`
	// Database describes the vulnerability data used.
	Database []Source `json:"database"`
	// Notices are messages for the reader: stale data, expired ignores,
	// files that could not be parsed.
	Notices []Notice `json:"notices,omitempty"`
	// Licenses lists every package's license, when the license analyzer
	// ran, in manifest and package order.
	Licenses []PackageLicense `json:"licenses,omitempty"`
}

// PackageLicense is the license found for one package.
type PackageLicense = analyzer.PackageLicense

// Manifest is one file an extractor read, with its packages.
type Manifest = inventory.Manifest

// Source describes one imported vulnerability data source.
type Source = analyzer.Source

// Notice is a message about the scan rather than about the code.
type Notice = analyzer.Notice

// NoticeLevel grades a notice.
type NoticeLevel = analyzer.NoticeLevel

// Progress is an event of a running scan.
type Progress = analyzer.Progress

// Notice levels.
const (
	NoticeInfo    = analyzer.NoticeInfo
	NoticeWarning = analyzer.NoticeWarning
	NoticeError   = analyzer.NoticeError
)

// Incomplete counts the error notices: input that was not read (a file
// that could not be opened or parsed, an entry that could not be read).
// A scan with any is incomplete, and a security gate must not pass on it.
func (r *Result) Incomplete() int {
	n := 0
	for _, no := range r.Notices {
		if no.Level == NoticeError {
			n++
		}
	}
	return n
}
