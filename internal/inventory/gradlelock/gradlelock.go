// Package gradlelock extracts Java dependencies from Gradle dependency
// lockfiles: gradle.lockfile, buildscript-gradle.lockfile and
// settings-gradle.lockfile, and the per-configuration files that Gradle
// before 7 wrote under gradle/dependency-locks/.
//
// Each "group:artifact:version=configuration,…" line is reported as the
// package "group:artifact" at that version and line, with the span of the
// version's text. Gradle lockfiles record no dependency edges or sources,
// so Parents and Source are never set. A package locked only
// in configurations whose names start with "test" (testCompileClasspath,
// testRuntimeClasspath, …) is Dev; in the per-configuration files the
// configuration is the file's name. Lockfiles list the whole resolved
// graph without saying which modules the build declares itself, so the
// Relation is unknown. Comments and the "empty=" line, which names the
// configurations that resolved nothing, are skipped.
//
// A line that is not a locked module (stray text, a git conflict marker
// such as ">>>>>>> main") is an error naming its line; the other lines are
// still read.
package gradlelock

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads Gradle lockfiles.
type Extractor struct{}

// New returns a Gradle lockfile extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "java/gradlelock" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool {
	switch path.Base(p) {
	case "gradle.lockfile", "buildscript-gradle.lockfile", "settings-gradle.lockfile":
		return true
	}
	return isLegacy(p)
}

// isLegacy reports whether p is a per-configuration lockfile,
// gradle/dependency-locks/<configuration>.lockfile.
func isLegacy(p string) bool {
	dir := path.Dir(p)
	return strings.HasSuffix(p, ".lockfile") && path.Base(dir) == "dependency-locks" && path.Base(path.Dir(dir)) == "gradle"
}

// Extract implements inventory.Extractor.
func (*Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	// In a per-configuration file every line belongs to the configuration
	// the file is named after.
	var fileConfig string
	if isLegacy(in.Path) {
		fileConfig = strings.TrimSuffix(path.Base(in.Path), ".lockfile")
	}

	var pkgs []inventory.Package
	var ps inventory.Problems
	line := 0
	file, off := data, 0
	for len(data) > 0 {
		line++
		start := off
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		off += len(raw) + 1
		text := strings.TrimSpace(string(raw))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		coords, configs, hasConfigs := strings.Cut(text, "=")
		if coords == "empty" && hasConfigs {
			continue
		}
		if isConflictMarker(text) {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Err: fmt.Errorf("merge conflict marker %s: resolve the conflict and regenerate the lockfile (lines on both sides are reported)", inventory.QuoteShort(text))})
			continue
		}
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			ps.Add(&inventory.ParseError{Path: in.Path, Line: line, Err: fmt.Errorf("want group:artifact:version, got %s", inventory.QuoteShort(coords))})
			continue
		}
		dev := false
		switch {
		case hasConfigs:
			dev = testOnly(strings.Split(configs, ","))
		case fileConfig != "":
			dev = testOnly([]string{fileConfig})
		}
		vstart := start + len(raw) - len(bytes.TrimLeft(raw, " \t\r\v\f")) + len(parts[0]) + len(parts[1]) + 2
		pkgs = append(pkgs, inventory.Package{
			Ecosystem:   inventory.Maven,
			Name:        parts[0] + ":" + parts[1],
			Version:     parts[2],
			Dev:         dev,
			Location:    inventory.Location{Path: in.Path, Line: line},
			VersionSpan: inventory.SpanOf(file, vstart, vstart+len(parts[2]), parts[2]),
		})
	}
	return ps.Result(pkgs)
}

// isConflictMarker reports whether a line is one of the markers git leaves
// in a file with a merge conflict.
func isConflictMarker(text string) bool {
	for _, m := range []string{"<<<<<<<", "=======", ">>>>>>>", "|||||||"} {
		if strings.HasPrefix(text, m) {
			return true
		}
	}
	return false
}

// testOnly reports whether every configuration is a test one.
func testOnly(configs []string) bool {
	n := 0
	for _, c := range configs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.HasPrefix(c, "test") {
			return false
		}
		n++
	}
	return n > 0
}
