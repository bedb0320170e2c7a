package scan

import (
	"github.com/airlock-sec/airlock/internal/analyzer"
	analyzers "github.com/airlock-sec/airlock/internal/analyzer/list"
	"github.com/airlock-sec/airlock/internal/inventory/list"
)

// Assembly is what the CLI and the server decide before a scan: which
// analyzers (names, from --scanners; empty means every one that can run),
// how they are configured, what the environment offers, and how the
// extractors read go.mod files.
type Assembly struct {
	Names      []string
	Analyzers  analyzers.Config
	Env        analyzer.Env
	Extractors list.Options
}

// Assemble builds a scan's options from the registries, the one way the
// CLI and the server's scan job both use: the analyzers selected (with a
// notice for each one skipped, and an error for one asked for that cannot
// run) and the extractors. The notices go in Options.Notices, so that
// the scan sends them first. The caller sets the per-scan fields (policy
// file, baseline, limits).
func Assemble(a Assembly) (Options, error) {
	sel, notices, err := Select(a.Names, analyzers.All(a.Analyzers), &a.Env)
	if err != nil {
		return Options{}, err
	}
	return Options{Analyzers: sel, Env: a.Env, Extractors: list.New(a.Extractors), Notices: notices}, nil
}
