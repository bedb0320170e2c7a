// Package list is the one registry of analyzers: every kind of scan airlock
// runs is listed here, and a test fails when an analyzer package is missing
// from the list. The CLI and the server build their analyzers here alike.
package list

import (
	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/analyzer/depvuln"
	"github.com/airlock-sec/airlock/internal/analyzer/iacscan"
	"github.com/airlock-sec/airlock/internal/analyzer/license"
	"github.com/airlock-sec/airlock/internal/analyzer/risk"
	"github.com/airlock-sec/airlock/internal/analyzer/secretscan"
)

// Config configures the analyzers that take configuration.
type Config struct {
	// Secret configures secret detection; Secret.Detector must be set.
	Secret secretscan.Config
	// IaC configures misconfiguration scanning.
	IaC iacscan.Config
	// License carries the operator's license policy, if any.
	License license.Config
}

// All returns one of every analyzer, in the order their findings and
// notices are reported.
func All(c Config) []analyzer.Analyzer {
	return []analyzer.Analyzer{
		depvuln.New(),
		secretscan.New(c.Secret),
		iacscan.New(c.IaC),
		risk.New(),
		license.New(c.License),
	}
}

// Names lists the analyzers' names, for --scanners.
func Names() []string {
	var out []string
	for _, a := range All(Config{}) {
		out = append(out, a.Name())
	}
	return out
}
