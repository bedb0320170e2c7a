// Package gemfilelock extracts Ruby gems from Bundler lockfiles
// (Gemfile.lock, and gems.locked for a gems.rb).
//
// The gems are the specs of the GEM, GIT and PATH sections: each line
// indented four spaces, "name (version)", or "name (version-platform)" for
// a platform-specific build, whose platform is dropped. A gem locked for
// several platforms is reported once, at its first line, with the span of
// its version's text. Its Source is the section's: a GEM section's remote
// is Source registry; a GIT section is Source git with its remote, its
// revision as Commit and its tag, branch or ref as Ref; a PATH section is
// Source path with its remote (the directory) as Path. GIT and PATH gems
// keep the version their gemspec declares, which a release tag names too.
// The lines indented six spaces under a spec name the gems it depends on:
// Parents lists, for each gem, the specs that name it. Gems named in the DEPENDENCIES section are the Gemfile's own
// and RelationDirect; all others are RelationTransitive (RelationUnknown
// in a lockfile without a DEPENDENCIES section). The lockfile does
// not record Gemfile groups, so Dev is never set.
//
// PLUGIN SOURCE, PLATFORMS, RUBY VERSION, CHECKSUMS, BUNDLED WITH and other sections are ignored. A spec
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
	file := data
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
		off      int // of the line
		ps       inventory.Problems
		src      *inventory.Source // of the section
		spec     inventory.Ref     // whose dependency lines follow
		parents  = make(map[string][]inventory.Ref)
	)
	for len(data) > 0 {
		line++
		start := off
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		off += len(raw) + 1
		text := strings.TrimRight(string(raw), " \t\r")
		if text == "" {
			continue
		}
		indent := len(text) - len(strings.TrimLeft(text, " "))
		switch {
		case indent == 0:
			section, inSpecs, spec = text, false, inventory.Ref{}
			haveDeps = haveDeps || section == "DEPENDENCIES"
			src = nil
			switch section {
			case "GEM":
				src = &inventory.Source{Type: inventory.SourceRegistry}
			case "GIT":
				src = &inventory.Source{Type: inventory.SourceGit}
			case "PATH":
				src = &inventory.Source{Type: inventory.SourcePath}
			}
		case section == "DEPENDENCIES" && indent == 2:
			// "name", "name!" (from a GIT or PATH source) or
			// "name (requirement)".
			name, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			direct[strings.TrimSuffix(name, "!")] = true
		case src == nil:
		case indent == 2:
			key, value, _ := strings.Cut(strings.TrimSpace(text), ":")
			inSpecs = key == "specs"
			setSource(src, key, strings.TrimSpace(value))
		case inSpecs && indent == 4:
			name, version, ok := parseSpec(text[4:])
			if !ok {
				spec = inventory.Ref{}
				ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Field: "specs", Err: fmt.Errorf("want \"name (version)\", got %s", inventory.QuoteShort(text[4:]))})
				continue
			}
			spec = inventory.Ref{Name: name, Version: version}
			if seen[name+" "+version] {
				continue
			}
			seen[name+" "+version] = true
			vstart := start + 4 + len(name) + 2
			source := *src
			pkgs = append(pkgs, inventory.Package{
				Ecosystem:   inventory.RubyGems,
				Name:        name,
				Version:     version,
				Location:    inventory.Location{Path: in.Path, Line: line},
				VersionSpan: inventory.SpanOf(file, vstart, vstart+len(version), version),
				Source:      &source,
			})
		case inSpecs && indent == 6 && spec.Name != "":
			name, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			if list := parents[name]; !containsRef(list, spec) {
				parents[name] = append(list, spec)
			}
		}
	}
	for i := range pkgs {
		pkgs[i].Parents = parents[pkgs[i].Name]
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

// setSource records a key of a source section: remote, revision, tag,
// branch or ref.
func setSource(src *inventory.Source, key, value string) {
	switch {
	case key == "remote" && src.Type == inventory.SourcePath:
		if src.Path == "" {
			src.Path = value
		}
	case key == "remote":
		if src.URL == "" {
			src.URL = value
		}
	case key == "revision":
		src.Commit = value
	case key == "tag":
		src.Ref = value
	case key == "branch" || key == "ref":
		if src.Ref == "" {
			src.Ref = value
		}
	}
}

func containsRef(list []inventory.Ref, r inventory.Ref) bool {
	for _, x := range list {
		if x == r {
			return true
		}
	}
	return false
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
