package scan

import (
	"fmt"
	"time"

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
}

// Manifest is one file an extractor read.
type Manifest struct {
	// Path is slash-separated and relative to the target.
	Path string `json:"path"`
	// Extractor names the extractor that read it.
	Extractor string `json:"extractor"`
	// Packages are the dependencies it declares.
	Packages []inventory.Package `json:"packages"`
}

// Source describes one imported vulnerability data source.
type Source struct {
	// Origin names the source across copies ("osv/PyPI/all.zip").
	Origin         string    `json:"origin,omitempty"`
	Ecosystem      string    `json:"ecosystem"`
	Path           string    `json:"path"`
	SHA256         string    `json:"sha256"`
	Records        int       `json:"records"`
	NewestModified time.Time `json:"newest_modified"`
	ImportedAt     time.Time `json:"imported_at"`
}

// NoticeLevel grades a notice.
type NoticeLevel string

// Notice levels.
const (
	NoticeInfo    NoticeLevel = "info"
	NoticeWarning NoticeLevel = "warning"
	NoticeError   NoticeLevel = "error"
)

// Notice is a message about the scan rather than about the code.
type Notice struct {
	Level NoticeLevel `json:"level"`
	// Path is the file the notice is about, relative to the target.
	Path string `json:"path,omitempty"`
	// Line is the 1-based line in Path; 0 when the notice is about the
	// whole file.
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Where renders the notice's place as "path:line", "path" or "".
func (n Notice) Where() string {
	if n.Line > 0 {
		return fmt.Sprintf("%s:%d", n.Path, n.Line)
	}
	return n.Path
}

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
