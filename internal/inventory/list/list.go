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

// All returns one of every extractor, grouped by ecosystem.
func All() []inventory.Extractor {
	return []inventory.Extractor{
		// Go
		gomod.New(),
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
