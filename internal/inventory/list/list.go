// Package list is the one registry of dependency extractors: every format
// airlock reads is listed here, and a test fails when an extractor package
// is missing from the list.
package list

import (
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/inventory/cargolock"
	"github.com/airlock-sec/airlock/internal/inventory/composerlock"
	"github.com/airlock-sec/airlock/internal/inventory/gemfilelock"
	"github.com/airlock-sec/airlock/internal/inventory/gomod"
	"github.com/airlock-sec/airlock/internal/inventory/gradlelock"
	"github.com/airlock-sec/airlock/internal/inventory/maven"
	"github.com/airlock-sec/airlock/internal/inventory/nugetlock"
	"github.com/airlock-sec/airlock/internal/inventory/packagelock"
	"github.com/airlock-sec/airlock/internal/inventory/pipfilelock"
	"github.com/airlock-sec/airlock/internal/inventory/pnpmlock"
	"github.com/airlock-sec/airlock/internal/inventory/poetrylock"
	"github.com/airlock-sec/airlock/internal/inventory/requirements"
	"github.com/airlock-sec/airlock/internal/inventory/uvlock"
	"github.com/airlock-sec/airlock/internal/inventory/yarnlock"
)

// Options configure the extractors that take any.
type Options struct {
	// Go says which Go release the standard library is checked at.
	Go gomod.Options
}

// All returns one of every extractor with default options, grouped by
// ecosystem.
func All() []inventory.Extractor { return New(Options{}) }

// New returns one of every extractor, grouped by ecosystem.
func New(o Options) []inventory.Extractor {
	return []inventory.Extractor{
		// Go
		gomod.NewWithOptions(o.Go),
		// npm
		packagelock.New(),
		yarnlock.New(),
		pnpmlock.New(),
		// PyPI
		requirements.New(),
		poetrylock.New(),
		pipfilelock.New(),
		uvlock.New(),
		// crates.io
		cargolock.New(),
		// Maven
		maven.New(),
		gradlelock.New(),
		// RubyGems
		gemfilelock.New(),
		// Packagist
		composerlock.New(),
		// NuGet
		nugetlock.New(),
	}
}

// WithGoDefault returns xs with each go.mod extractor that has default
// options replaced by one with o: a setting in a policy file applies where
// no flag has said otherwise. xs itself is not changed.
func WithGoDefault(xs []inventory.Extractor, o gomod.Options) []inventory.Extractor {
	out := make([]inventory.Extractor, len(xs))
	for i, x := range xs {
		if g, ok := x.(*gomod.Extractor); ok && g.Options() == (gomod.Options{}) {
			x = gomod.NewWithOptions(o)
		}
		out[i] = x
	}
	return out
}
