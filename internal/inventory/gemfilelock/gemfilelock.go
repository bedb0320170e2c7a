// Package gemfilelock extracts Ruby gems from Bundler lockfiles
// (Gemfile.lock, and gems.locked for a gems.rb).
//
// The gems resolved from a rubygems source are the specs of the GEM
// sections: each line indented four spaces, "name (version)", or
// "name (version-platform)" for a platform-specific build, whose platform
// is dropped. A gem locked for several platforms is reported once, at its
// first line. Gems named in the DEPENDENCIES section are the Gemfile's own
// and RelationDirect; all others are RelationTransitive (RelationUnknown
// in a lockfile without a DEPENDENCIES section). The lockfile does
// not record Gemfile groups, so Dev is never set.
//
// The specs of GIT and PATH sections are skipped: they are built from a
// repository checkout or a local directory rather than a registry, so
// their versions say nothing about published releases. PLATFORMS, RUBY
// VERSION, CHECKSUMS, BUNDLED WITH and other sections are ignored. A spec
// line that cannot be read is an error at its line; the others are read.
package gemfilelock

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads Gemfile.lock files.
type Extractor struct{}

// New returns a Gemfile.lock extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "ruby/gemfilelock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool {
	b := path.Base(p)
	return b == "Gemfile.lock" || b == "gems.locked"
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	var (
		pkgs    []inventory.Package
		seen    = make(map[string]bool) // name and version
		direct  = make(map[string]bool)
		section string
		inSpecs bool
		// haveDeps records a DEPENDENCIES section; without one the
		// relations are unknown.
		haveDeps bool
		line     int
		ps       inventory.Problems
	)
	for len(data) > 0 {
		line++
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		text := strings.TrimRight(string(raw), " \t\r")
		if text == "" {
			continue
		}
		indent := len(text) - len(strings.TrimLeft(text, " "))
		switch {
		case indent == 0:
			section, inSpecs = text, false
			haveDeps = haveDeps || section == "DEPENDENCIES"
		case section == "DEPENDENCIES" && indent == 2:
			// "name", "name!" (from a GIT or PATH source) or
			// "name (requirement)".
			name, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			direct[strings.TrimSuffix(name, "!")] = true
		case section != "GEM":
		case indent == 2:
			inSpecs = strings.TrimSpace(text) == "specs:"
		case inSpecs && indent == 4:
			name, version, ok := parseSpec(text[4:])
			if !ok {
				ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: "specs", Err: fmt.Errorf("want \"name (version)\", got %s", inventory.QuoteShort(text[4:]))})
				continue
			}
			if seen[name+" "+version] {
				continue
			}
			seen[name+" "+version] = true
			pkgs = append(pkgs, inventory.Package{
				Ecosystem: inventory.RubyGems,
				Name:      name,
				Version:   version,
				Location:  inventory.Location{Path: in.Path, Line: line},
			})
		}
	}
	for i := range pkgs {
		if !haveDeps {
			break
		}
		pkgs[i].Relation = inventory.RelationTransitive
		if direct[pkgs[i].Name] {
			pkgs[i].Relation = inventory.RelationDirect
		}
	}
	return ps.Result(pkgs)
}

// parseSpec splits "name (version)" or "name (version-platform)".
func parseSpec(s string) (name, version string, ok bool) {
	name, rest, ok := strings.Cut(s, " (")
	if !ok || name == "" || strings.ContainsAny(name, " ()") || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	version = strings.TrimSuffix(rest, ")")
	version, _, _ = strings.Cut(version, "-")
	if version == "" || strings.ContainsAny(version, " ()") {
		return "", "", false
	}
	return name, version, true
}
