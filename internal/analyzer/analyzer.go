// Package analyzer is the contract between the scan engine (internal/scan)
// and what it runs. An analyzer says its name, which files of the tree it
// wants (by path, and optionally by their first bytes), what it cannot run
// without (packages, vulnerability data), and turns its input into
// findings and notices. The engine walks the tree once, extracts packages
// once for every analyzer that needs them, loads the repository's own
// configuration once, and runs the analyzers side by side.
//
// Every analyzer is listed in internal/analyzer/list; a test fails when one
// is missing.
package analyzer

import (
	"context"
	"fmt"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Need is something an analyzer cannot run without.
type Need string

// Needs.
const (
	// NeedPackages: the packages of the tree's manifests; the engine
	// extracts them (once, for every analyzer that needs them).
	NeedPackages Need = "packages"
	// NeedVulnData: imported vulnerability data (Env.VulnDB).
	NeedVulnData Need = "vulnerability data"
)

// Analyzer is one kind of scan: "vuln", "secret", and later "iac",
// "license", "risk".
type Analyzer interface {
	// Name is the stable name --scanners selects it by.
	Name() string
	// Needs lists what the analyzer cannot run without.
	Needs() []Need
	// FileRequired reports whether the analyzer reads the file at the
	// slash-separated path, by its name alone.
	FileRequired(path string) bool
	// Analyze runs over the input. An error stops the scan: use notices
	// for what the analyzer could not read.
	Analyze(ctx context.Context, in *Input) (*Output, error)
}

// ContentSniffer is an Analyzer that wants some files by their content
// (a YAML file with apiVersion and kind, a Terraform directory): the engine
// hands it the first SniffSize bytes of every file that MaySniff says could
// be one, and adds those it accepts to Input.Files.
type ContentSniffer interface {
	// MaySniff reports whether the file at path is worth reading the start
	// of (".yaml", ".json"); FileRequired files are not asked.
	MaySniff(path string) bool
	// ContentRequired reports whether the file is one the analyzer reads,
	// given the start of its content.
	ContentRequired(path string, head []byte) bool
}

// SniffSize is how much of a file a ContentSniffer sees.
const SniffSize = 8 << 10

// Env is what a scan has to offer beyond the tree.
type Env struct {
	// VulnDB is the vulnerability data; nil when there is none.
	VulnDB vuln.Source
	// VulnDBErr says why there is none (not imported, not readable).
	VulnDBErr error
	// Sources describe VulnDB's data.
	Sources []Source
	// MaxAge is the age past which the data is reported as stale (never
	// refused); 0 disables the check.
	MaxAge time.Duration
	// Registries are the clients of the site's package mirrors, for the
	// signals that need one (risk, license); nil when none is configured.
	Registries *registry.Set
}

// Missing returns nil when the environment meets n, else why not.
func (e *Env) Missing(n Need) error {
	switch n {
	case NeedVulnData:
		if e == nil || e.VulnDB == nil {
			if e != nil && e.VulnDBErr != nil {
				return e.VulnDBErr
			}
			return fmt.Errorf("no vulnerability data: import OSV data first with 'airlock db import FILE'")
		}
	}
	return nil
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

// Input is what an analyzer runs over.
type Input struct {
	// Root is the scanned directory on the host; Tree reads it without
	// leaving it.
	Root string
	Tree *source.Tree
	// Files are the files the analyzer wanted, in path order.
	Files []string
	// Manifests are the tree's packages, for analyzers that need them.
	Manifests []inventory.Manifest
	// Repo is the repository's own configuration.
	Repo *RepoConfig
	// Env is what the scan offers.
	Env *Env
	// Now is the scan's time.
	Now time.Time
	// Progress reports how far the analyzer has come; never nil.
	Progress func(Progress)
}

// Output is what an analyzer found.
type Output struct {
	Findings []finding.Finding
	Notices  []Notice
	// Licenses are the packages' licenses, from the license analyzer.
	Licenses []PackageLicense
}

// PackageLicense is the license found for one package of a manifest, or
// for the repository itself (its own LICENSE files: no Ecosystem).
type PackageLicense struct {
	Ecosystem string `json:"ecosystem,omitempty"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	PURL      string `json:"purl,omitempty"`
	// Path is the manifest that names the package (the license file for
	// the repository).
	Path string `json:"path"`
	// License is the SPDX expression; empty when unknown. Declared is
	// the text as its source wrote it, when that differs.
	License  string `json:"license,omitempty"`
	Declared string `json:"declared,omitempty"`
	// Source is where it was found: "lockfile", "installed" (a package's
	// own metadata in the tree), "vendor" (a vendored license file),
	// "mirror", "license-file", "toolchain" (Go's standard library), or "none".
	Source string `json:"source"`
	// Confidence is 1 for a declared license, the classifier's for a
	// recognised license text, 0 when unknown.
	Confidence float64 `json:"confidence"`
	// Evidence names the file or response it came from.
	Evidence string `json:"evidence,omitempty"`
	// Status is the policy's verdict: "allowed", "denied", "unknown" or
	// "exempt"; empty without a policy.
	Status string `json:"status,omitempty"`
}

// Progress is an event of a running scan: Done of Total in one stage
// (Total 0 while unknown).
type Progress struct {
	// Stage is "walk", "extract", or an analyzer's stage ("secret",
	// "history", "match").
	Stage string `json:"stage"`
	Done  int    `json:"done"`
	Total int    `json:"total,omitempty"`
}

// NoticeLevel grades a notice.
type NoticeLevel string

// Notice levels. Error notices are input that was not read: the scan is
// incomplete.
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
