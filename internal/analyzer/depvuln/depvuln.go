// Package depvuln is the "vuln" analyzer: it matches the tree's pinned
// packages against the imported vulnerability data, says which packages
// could not be checked (unpinned, no data for their ecosystem), and warns
// when the data is stale.
package depvuln

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Analyzer matches packages against vulnerability data.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "vuln" }

// Needs implements analyzer.Analyzer: packages and vulnerability data.
func (*Analyzer) Needs() []analyzer.Need {
	return []analyzer.Need{analyzer.NeedPackages, analyzer.NeedVulnData}
}

// FileRequired implements analyzer.Analyzer: the packages come from the
// engine's extraction, not from files of the analyzer's own.
func (*Analyzer) FileRequired(string) bool { return false }

// Analyze implements analyzer.Analyzer.
func (*Analyzer) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	in.Progress(analyzer.Progress{Stage: "match"})
	fs, notices, err := match(ctx, in.Env.VulnDB, in.Manifests)
	if err != nil {
		return nil, err
	}
	notices = append(notices, staleness(in.Env.Sources, ecosystems(in.Manifests), in.Env.MaxAge, in.Now)...)
	return &analyzer.Output{Findings: fs, Notices: notices}, nil
}

// local reports whether a package is code from a local path rather than
// a release of its ecosystem's registry.
func local(p inventory.Package) bool {
	return p.Source != nil && p.Source.Type == inventory.SourcePath
}

// match matches every pinned package and says what could not be checked.
func match(ctx context.Context, db vuln.Source, ms []inventory.Manifest) ([]finding.Finding, []analyzer.Notice, error) {
	m := vuln.NewMatcher(db)
	var all []inventory.Package
	for _, man := range ms {
		all = append(all, man.Packages...)
	}
	if err := m.Prefetch(ctx, all, runtime.GOMAXPROCS(0)); err != nil {
		return nil, nil, fmt.Errorf("vuln: %w", err)
	}
	var out []finding.Finding
	var notices []analyzer.Notice
	unchecked := map[string]int{}
	for _, man := range ms {
		var unpinned, locals []string
		for _, p := range man.Packages {
			if local(p) {
				// Code from the working tree is not a registry release:
				// registry advisories do not describe it.
				locals = append(locals, p.Name)
				continue
			}
			if !p.Pinned() {
				unpinned = append(unpinned, p.Name)
				continue
			}
			fs, err := m.Match(ctx, p)
			if err != nil {
				return nil, nil, fmt.Errorf("vuln: %s: %w", man.Path, err)
			}
			for _, f := range fs {
				// Malicious packages and informational advisories are
				// the risk analyzer's.
				if f.Kind == finding.KindVulnerability {
					out = append(out, f)
				}
			}
		}
		if len(unpinned) > 0 {
			notices = append(notices, analyzer.Notice{Level: analyzer.NoticeWarning, Path: man.Path, Message: fmt.Sprintf(
				"%d %s not pinned to one version and not checked: %s (pin exact versions or scan a lockfile)",
				len(unpinned), plural(len(unpinned), "dependency is", "dependencies are"), joinSome(unpinned, 8))})
		}
		if len(locals) > 0 {
			notices = append(notices, analyzer.Notice{Level: analyzer.NoticeInfo, Path: man.Path, Message: fmt.Sprintf(
				"%d local %s (a path source) not matched against registry advisories: %s",
				len(locals), plural(len(locals), "package", "packages"), joinSome(locals, 8))})
		}
	}
	for _, man := range ms {
		for _, p := range man.Packages {
			if p.Pinned() && !local(p) {
				unchecked[p.Ecosystem]++
			}
		}
	}
	ecos := make([]string, 0, len(unchecked))
	for eco := range unchecked {
		ecos = append(ecos, eco)
	}
	sort.Strings(ecos)
	for _, eco := range ecos {
		names, err := db.Names(ctx, eco)
		if err != nil {
			return nil, nil, fmt.Errorf("vuln: %w", err)
		}
		if len(names) == 0 {
			notices = append(notices, analyzer.Notice{Level: analyzer.NoticeWarning, Message: fmt.Sprintf(
				"no vulnerability data for %s is imported: %d %s not checked (import the %s all.zip with 'airlock db import')",
				eco, unchecked[eco], plural(unchecked[eco], "package was", "packages were"), eco)})
		}
	}
	return out, notices, nil
}

// ecosystems lists the ecosystems of the manifests' packages.
func ecosystems(ms []inventory.Manifest) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for _, p := range m.Packages {
			out[p.Ecosystem] = true
		}
	}
	return out
}

// staleness warns when imported data that the scan used is older than
// maxAge (data of several ecosystems counts for all of them).
func staleness(sources []analyzer.Source, used map[string]bool, maxAge time.Duration, now time.Time) []analyzer.Notice {
	var out []analyzer.Notice
	for _, s := range sources {
		if maxAge <= 0 || s.NewestModified.IsZero() || !used[s.Ecosystem] && s.Ecosystem != "mixed" {
			continue
		}
		if age := now.Sub(s.NewestModified); age > maxAge {
			name := s.Origin
			if name == "" {
				name = path.Base(filepath.ToSlash(s.Path))
			}
			out = append(out, analyzer.Notice{Level: analyzer.NoticeWarning, Message: fmt.Sprintf(
				"the %s vulnerability data is %s old (%s, newest record %s): import a newer copy when you can",
				s.Ecosystem, Age(age), name, s.NewestModified.Format(time.DateOnly))})
		}
	}
	return out
}

// Age renders a duration in days (or hours under two days).
func Age(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinSome(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}
