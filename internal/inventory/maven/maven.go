// Package maven extracts Java dependencies from Maven pom.xml files.
//
// Every <dependency> of the project's <dependencies> is reported as
// "groupId:artifactId", RelationDirect (a POM lists only the dependencies
// the project declares itself), located at its <dependency> tag. Scope
// "test" marks it Dev; "compile", "provided", "runtime", "system" and
// "import" do not. Optional dependencies are reported like the others:
// <optional> only keeps them from the projects that depend on this one,
// while this project builds and ships with them.
//
// Values are interpolated the way Maven interpolates a model: ${name} is
// looked up among the project's <properties> (whose values may refer to
// further properties), and ${project.groupId}, ${project.artifactId},
// ${project.version} and ${project.parent.groupId|artifactId|version} (also
// spelled ${pom.…}) name the project's own coordinates, the project's
// inheriting the parent's where it has none. A dependency without a
// <version> takes the one in the same file's <dependencyManagement>, matched
// on groupId, artifactId, type and classifier, along with its scope when it
// has none.
//
// A version that is a range ("[1.0,2.0)", but not "[1.0]", which allows
// exactly one version), a meta-version (LATEST,
// RELEASE), or still refers to a property after interpolation (because the
// property is defined in a parent POM, a profile, the settings or the
// command line, or takes part in a cycle) is not pinned: the package has no
// Version and its Constraint is the range or the text as written. A
// dependency whose version is managed outside this file (by a parent POM or
// an imported BOM) is reported with neither.
//
// Skipped: <profile> sections, because they apply only when activated;
// <dependencyManagement> entries themselves, because managing a version does
// not make an artifact a dependency; and build plugins and extensions,
// which are tools of the build rather than parts of the product. Parent
// POMs are not fetched: the scanner is offline.
package maven

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads pom.xml files.
type Extractor struct{}

// New returns a pom.xml extractor.
func New() *Extractor { return &Extractor{} }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "java/pom" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool { return path.Base(p) == "pom.xml" }

// dependency is a <dependency> element as written.
type dependency struct {
	groupID, artifactID, version, scope, typ, classifier string
	line                                                 int
}

// pom is the part of a POM the extractor reads, uninterpolated.
type pom struct {
	groupID, artifactID, version                   string
	parentGroupID, parentArtifactID, parentVersion string
	properties                                     map[string]string
	dependencies                                   []dependency
	managed                                        []dependency
}

// maxDepth bounds the element paths the reader tracks; everything it reads
// is at most five levels below the root.
const maxDepth = 6

// Extract implements inventory.Extractor.
func (*Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	p, err := read(in.Reader)
	if err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			pe.Path = in.Path
			return nil, pe
		}
		return nil, &inventory.ParseError{Path: in.Path, Err: err}
	}
	if p == nil {
		return nil, nil
	}
	r := newResolver(p)

	managed := make(map[string]dependency, len(p.managed))
	for _, m := range p.managed {
		managed[r.key(m)] = m
	}

	pkgs := make([]inventory.Package, 0, len(p.dependencies))
	for _, d := range p.dependencies {
		if d.groupID == "" {
			return nil, &inventory.ParseError{Path: in.Path, Line: d.line, Field: "groupId", Err: errors.New("dependency without a groupId")}
		}
		if d.artifactID == "" {
			return nil, &inventory.ParseError{Path: in.Path, Line: d.line, Field: "artifactId", Err: errors.New("dependency without an artifactId")}
		}
		group, _ := r.resolve(d.groupID)
		artifact, _ := r.resolve(d.artifactID)
		version, scope := d.version, d.scope
		if m, ok := managed[r.key(d)]; ok {
			if version == "" {
				version = m.version
			}
			if scope == "" {
				scope = m.scope
			}
		}
		scope, _ = r.resolve(scope)
		pkg := inventory.Package{
			Ecosystem: inventory.Maven,
			Name:      group + ":" + artifact,
			Relation:  inventory.RelationDirect,
			Dev:       scope == "test",
			Location:  inventory.Location{Path: in.Path, Line: d.line},
		}
		pkg.Version, pkg.Constraint = r.version(version)
		pkgs = append(pkgs, pkg)
	}
	return pkgs, nil
}

// read decodes the parts of the POM the extractor needs. It returns nil for
// a file without any element.
func read(rd io.Reader) (*pom, error) {
	d := xml.NewDecoder(rd)
	d.CharsetReader = charsetReader
	p := &pom{properties: make(map[string]string)}
	var (
		stack []string // local names of the open elements
		text  strings.Builder
		dep   *dependency
		seen  bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !seen {
				return nil, nil
			}
			return p, nil
		}
		if err != nil {
			line, _ := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
			}
			return nil, &inventory.ParseError{Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !seen {
				seen = true
				if t.Name.Local != "project" {
					line, _ := d.InputPos()
					return nil, &inventory.ParseError{Line: line, Err: fmt.Errorf("root element is <%s>, not <project>", t.Name.Local)}
				}
			}
			stack = append(stack, t.Name.Local)
			text.Reset()
			if len(stack) > maxDepth {
				continue
			}
			if t.Name.Local == "dependency" && (isPath(stack, "project", "dependencies", "dependency") ||
				isPath(stack, "project", "dependencyManagement", "dependencies", "dependency")) {
				line, _ := d.InputPos()
				dep = &dependency{line: line}
			}
		case xml.CharData:
			if len(stack) <= maxDepth {
				text.Write(t)
			}
		case xml.EndElement:
			n := len(stack)
			if n == 0 {
				continue
			}
			if n <= maxDepth {
				value := strings.TrimSpace(text.String())
				switch {
				case n == 2:
					setCoordinate(stack[1], value, &p.groupID, &p.artifactID, &p.version)
				case n == 3 && stack[1] == "parent":
					setCoordinate(stack[2], value, &p.parentGroupID, &p.parentArtifactID, &p.parentVersion)
				case n == 3 && stack[1] == "properties":
					p.properties[stack[2]] = value
				case dep == nil:
				case n == 3 && stack[1] == "dependencies":
					p.dependencies = append(p.dependencies, *dep)
					dep = nil
				case n == 4 && stack[1] == "dependencyManagement":
					p.managed = append(p.managed, *dep)
					dep = nil
				case n == 4 && stack[1] == "dependencies", n == 5 && stack[1] == "dependencyManagement":
					setDependencyField(dep, stack[n-1], value)
				}
			}
			stack = stack[:n-1]
			text.Reset()
		}
	}
}

func isPath(stack []string, names ...string) bool {
	if len(stack) != len(names) {
		return false
	}
	for i, n := range names {
		if stack[i] != n {
			return false
		}
	}
	return true
}

func setCoordinate(name, value string, group, artifact, version *string) {
	switch name {
	case "groupId":
		*group = value
	case "artifactId":
		*artifact = value
	case "version":
		*version = value
	}
}

func setDependencyField(d *dependency, name, value string) {
	switch name {
	case "groupId":
		d.groupID = value
	case "artifactId":
		d.artifactID = value
	case "version":
		d.version = value
	case "scope":
		d.scope = value
	case "type":
		d.typ = value
	case "classifier":
		d.classifier = value
	}
}

// charsetReader lets the decoder read the encodings POMs declare: UTF-8 and
// ASCII as they are, and ISO-8859-1 (and its Windows superset, whose extra
// characters never occur in coordinates) by widening each byte to a rune.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", charset)
}
