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
// Parent POMs are read from the scanned tree, the way Maven finds them
// before any repository: at the parent's <relativePath> (a file, or a
// directory holding pom.xml), "../pom.xml" when none is given, relative to
// the POM. A file found there is the parent only when its groupId and
// artifactId are the ones the <parent> names; the chain is followed up to
// 32 levels, never outside the tree, and stops at a cycle (a warning, as
// Maven refuses it). An empty <relativePath/> asks Maven for a repository
// lookup, which an offline scan cannot make.
//
// The POM and its parents are merged before interpolation, as Maven
// assembles a model: the child's properties and managed versions win over
// its parents', and the parents' dependencies are inherited (reported at
// their line in the parent's file, unless the parent, read on its own as a
// pom.xml of the scan, reports the very same package there). Profiles
// active by default (<activeByDefault>true</activeByDefault>) are merged
// too: their properties, dependencies and dependencyManagement. Other
// profiles are skipped, because they apply only when activated.
//
// Values are interpolated the way Maven interpolates a model: ${name} is
// looked up among the merged <properties> (whose values may refer to
// further properties; ${revision} and the other CI-friendly versions are
// such properties), and ${project.groupId}, ${project.artifactId},
// ${project.version} and ${project.parent.groupId|artifactId|version} (also
// spelled ${pom.…}) name the project's own coordinates, the project's
// inheriting the parent's where it has none. A dependency without a
// <version> takes the one in the merged <dependencyManagement>, matched on
// groupId, artifactId, type and classifier, along with its scope when it
// has none.
//
// A version that is a range ("[1.0,2.0)", but not "[1.0]", which allows
// exactly one version) or a meta-version (LATEST, RELEASE) is not pinned:
// the package has no Version and its Constraint is the range as written. A
// version that cannot be resolved, because it refers to a property defined
// nowhere in the POMs read (or in a cycle) or because no version is given
// or managed there (the parent is not in the tree, or the version comes
// from an imported BOM), is a warning naming the dependency and, where one
// is, the parent that could not be read; the package is reported unpinned.
//
// A dependency whose version is written literally in its own <version>
// element of this file carries the span of that text; one whose version
// comes from a property, a <dependencyManagement> or a parent POM has no
// span (the edit would belong elsewhere). A POM records neither dependency
// edges nor sources per dependency, so Parents and Source are not set.
//
// A file that is not XML, or whose root element is not <project>, is an
// error. A dependency without a groupId or artifactId is an error at its
// line, and the other dependencies are still reported.
//
// Skipped: <dependencyManagement> entries themselves, because managing a
// version does not make an artifact a dependency; and build plugins and
// extensions, which are tools of the build rather than parts of the
// product.
package maven

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
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
	// versionAt is the byte offset of version's text in the file, -1
	// when unknown.
	versionAt int
}

// pom is the part of a POM the extractor reads, uninterpolated, with the
// profiles that are active by default merged in.
type pom struct {
	path                                           string // in the scanned tree
	groupID, artifactID, version                   string
	parentGroupID, parentArtifactID, parentVersion string
	// relativePath is where the parent is looked for; hasRelativePath
	// tells an empty <relativePath/> (look only in repositories) from none
	// (the default, ../pom.xml).
	relativePath    string
	hasRelativePath bool
	parentLine      int
	properties      map[string]string
	dependencies    []dependency
	managed         []dependency
}

func (p *pom) hasParent() bool { return p.parentArtifactID != "" }

// group returns the POM's groupId, inheriting its parent's.
func (p *pom) group() string {
	if p.groupID != "" {
		return p.groupID
	}
	return p.parentGroupID
}

// profile is a <profile> being read.
type profile struct {
	activeByDefault bool
	properties      map[string]string
	dependencies    []dependency
	managed         []dependency
}

// maxDepth bounds the element paths the reader tracks; everything it reads
// is at most six levels below the root (a managed dependency's field in a
// profile).
const maxDepth = 7

// maxParents bounds the chain of parent POMs followed; real projects have
// a handful.
const maxParents = 32

// Extract implements inventory.Extractor.
func (*Extractor) Extract(ctx context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	p, err := parse(in.Path, data)
	if err != nil {
		return nil, err
	}
	chain, missing := parents(ctx, in.Root, p)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := newModel(chain)
	var ps inventory.Problems
	if strings.Contains(missing, "form a cycle") {
		ps.Add(&inventory.ParseError{Path: p.path, Line: p.parentLine, Field: "parent", Warning: true,
			Err: errors.New(strings.TrimSuffix(strings.TrimPrefix(missing, " ("), ")"))})
	}

	pkgs := make([]inventory.Package, 0, len(p.dependencies))
	// declared holds the keys of the dependencies declared lower in the
	// chain: a child's declaration overrides its parent's.
	declared := map[string]bool{}
	for i, q := range chain {
		// own is the model of an ancestor read on its own: an inherited
		// dependency that resolves there as it does here is reported by
		// the ancestor's own scan, when it has one.
		var own *model
		if i > 0 && path.Base(q.path) == "pom.xml" {
			own = newModel(chain[i:])
		}
		var keys []string
		for _, d := range q.dependencies {
			if d.groupID == "" || d.artifactID == "" {
				if i == 0 {
					field, msg := "groupId", "dependency without a groupId: not reported"
					if d.groupID != "" {
						field, msg = "artifactId", "dependency without an artifactId: not reported"
					}
					ps.Add(&inventory.ParseError{Path: q.path, Line: d.line, Field: field, Err: errors.New(msg)})
				}
				continue
			}
			key := m.key(d)
			if declared[key] {
				continue
			}
			keys = append(keys, key)
			pkg, unresolved := m.pkg(q.path, d)
			if i == 0 && d.versionAt >= 0 && pkg.Version == d.version {
				pkg.VersionSpan = inventory.SpanOf(data, d.versionAt, d.versionAt+len(d.version), d.version)
			}
			if own != nil {
				if opkg, _ := own.pkg(q.path, d); reflect.DeepEqual(opkg, pkg) {
					continue
				}
			}
			pkgs = append(pkgs, pkg)
			if unresolved != "" {
				ps.Add(&inventory.ParseError{Path: q.path, Line: d.line, Field: "version", Warning: true,
					Err: fmt.Errorf("%s: %s%s; reported unpinned", pkg.Name, unresolved, missing)})
			}
		}
		for _, k := range keys {
			declared[k] = true
		}
	}
	return ps.Result(pkgs)
}

// parse decodes a POM, naming path in its errors.
func parse(path string, data []byte) (*pom, error) {
	p, err := read(bytes.NewReader(data))
	if err != nil {
		var pe *inventory.ParseError
		if errors.As(err, &pe) {
			pe.Path = path
			return nil, pe
		}
		return nil, &inventory.ParseError{Path: path, Err: err}
	}
	p.path = path
	return p, nil
}

// parents returns p and the chain of its parent POMs found in the tree,
// child first. When the chain stops at a parent that is not there, missing
// says which and why, to explain what could not be resolved.
func parents(ctx context.Context, root fs.FS, p *pom) (chain []*pom, missing string) {
	chain = []*pom{p}
	seen := map[string]bool{p.path: true}
	for cur := p; cur.hasParent(); {
		if ctx.Err() != nil {
			return chain, ""
		}
		coords := cur.parentGroupID + ":" + cur.parentArtifactID + ":" + cur.parentVersion
		notFound := func(format string, a ...any) string {
			return fmt.Sprintf(" (parent %s of %s not read: %s)", coords, cur.path, fmt.Sprintf(format, a...))
		}
		if cur.hasRelativePath && cur.relativePath == "" {
			return chain, notFound("an empty <relativePath/> has Maven fetch it from a repository, and the scan is offline")
		}
		rel := cur.relativePath
		if !cur.hasRelativePath {
			rel = "../pom.xml"
		}
		rel = strings.ReplaceAll(rel, `\`, "/")
		if path.IsAbs(rel) {
			return chain, notFound("relativePath %s is absolute", rel)
		}
		target := path.Join(path.Dir(cur.path), rel)
		if !strings.HasSuffix(target, ".xml") {
			target = path.Join(target, "pom.xml")
		}
		if !fs.ValidPath(target) {
			return chain, notFound("%s is outside the scanned tree", rel)
		}
		if seen[target] {
			return chain, notFound("%s is already in the chain of parents: they form a cycle, which Maven refuses", target)
		}
		if len(chain) > maxParents {
			return chain, notFound("more than %d parents", maxParents)
		}
		data, err := inventory.ReadFile(root, target)
		if err != nil {
			return chain, notFound("%s: %v", target, err)
		}
		parent, err := parse(target, data)
		if err != nil {
			return chain, notFound("%s is not read: %v", target, err)
		}
		if parent.group() != cur.parentGroupID || parent.artifactID != cur.parentArtifactID {
			return chain, notFound("%s is %s:%s", target, parent.group(), parent.artifactID)
		}
		seen[target] = true
		chain = append(chain, parent)
		cur = parent
	}
	return chain, ""
}

// model is the effective model of a chain of POMs, for interpolation and
// dependency management.
type model struct {
	r       *resolver
	managed map[string]dependency
}

// newModel merges a chain of POMs, child first: the child's properties and
// managed versions win over its parents'.
func newModel(chain []*pom) *model {
	m := &model{r: newResolver(chain), managed: map[string]dependency{}}
	for _, q := range chain {
		for _, d := range q.managed {
			k := m.key(d)
			if _, ok := m.managed[k]; !ok {
				m.managed[k] = d
			}
		}
	}
	return m
}

func (m *model) key(d dependency) string { return m.r.key(d) }

// pkg resolves a dependency declared in the file at path. unresolved says
// why its version is not known, when it should be and is not.
func (m *model) pkg(file string, d dependency) (pkg inventory.Package, unresolved string) {
	group, _ := m.r.resolve(d.groupID)
	artifact, _ := m.r.resolve(d.artifactID)
	version, scope := d.version, d.scope
	if md, ok := m.managed[m.key(d)]; ok {
		if version == "" {
			version = md.version
		}
		if scope == "" {
			scope = md.scope
		}
	}
	scope, _ = m.r.resolve(scope)
	pkg = inventory.Package{
		Ecosystem: inventory.Maven,
		Name:      group + ":" + artifact,
		Relation:  inventory.RelationDirect,
		Dev:       scope == "test",
		Location:  inventory.Location{Path: file, Line: d.line},
	}
	var ok bool
	pkg.Version, pkg.Constraint, ok = m.r.version(version)
	switch {
	case version == "":
		unresolved = "no version here or in a <dependencyManagement> of the POMs read (it may come from an imported BOM)"
	case !ok:
		unresolved = fmt.Sprintf("version %s refers to a property not defined in the POMs read (or defined in a cycle)", inventory.QuoteShort(version))
	}
	return pkg, unresolved
}

// read decodes the parts of the POM the extractor needs. A file without a
// <project> root element is an error: it is not a POM.
func read(rd io.Reader) (*pom, error) {
	d := xml.NewDecoder(rd)
	d.CharsetReader = charsetReader
	p := &pom{properties: make(map[string]string)}
	var (
		stack []string // local names of the open elements
		text  strings.Builder
		dep   *dependency
		prof  *profile
		seen  bool
		// contentAt is the offset after the last start tag.
		contentAt int64
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !seen {
				return nil, errors.New("no <project> element: not a POM")
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
			if isPath(stack, "project", "profiles", "profile") {
				prof = &profile{properties: map[string]string{}}
			}
			if isPath(stack, "project", "parent") {
				p.parentLine, _ = d.InputPos()
			}
			if t.Name.Local == "dependency" && (isPath(stack, "project", "dependencies", "dependency") ||
				isPath(stack, "project", "dependencyManagement", "dependencies", "dependency") ||
				prof != nil && (isPath(stack, "project", "profiles", "profile", "dependencies", "dependency") ||
					isPath(stack, "project", "profiles", "profile", "dependencyManagement", "dependencies", "dependency"))) {
				line, _ := d.InputPos()
				dep = &dependency{line: line, versionAt: -1}
			}
			contentAt = d.InputOffset()
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
				// In a profile, the same elements sit two levels deeper.
				inProfile := n >= 3 && stack[1] == "profiles" && prof != nil
				s, o := stack, 0
				if inProfile {
					s, o = stack[2:], 2
					s = append([]string{"project"}, s[1:]...)
				}
				props, deps, managed := &p.properties, &p.dependencies, &p.managed
				if inProfile {
					props, deps, managed = &prof.properties, &prof.dependencies, &prof.managed
				}
				k := n - o
				switch {
				case inProfile && k == 1:
					if prof.activeByDefault {
						for name, v := range prof.properties {
							p.properties[name] = v
						}
						p.dependencies = append(p.dependencies, prof.dependencies...)
						p.managed = append(p.managed, prof.managed...)
					}
					prof = nil
				case inProfile && k == 3 && s[1] == "activation" && s[2] == "activeByDefault":
					prof.activeByDefault = value == "true"
				case !inProfile && n == 2:
					setCoordinate(stack[1], value, &p.groupID, &p.artifactID, &p.version)
				case !inProfile && n == 3 && stack[1] == "parent":
					setCoordinate(stack[2], value, &p.parentGroupID, &p.parentArtifactID, &p.parentVersion)
					if stack[2] == "relativePath" {
						p.relativePath, p.hasRelativePath = value, true
					}
				case k == 3 && s[1] == "properties":
					(*props)[s[2]] = value
				case dep == nil:
				case k == 3 && s[1] == "dependencies":
					*deps = append(*deps, *dep)
					dep = nil
				case k == 4 && s[1] == "dependencyManagement":
					*managed = append(*managed, *dep)
					dep = nil
				case k == 4 && s[1] == "dependencies", k == 5 && s[1] == "dependencyManagement":
					setDependencyField(dep, s[k-1], value)
					if s[k-1] == "version" {
						raw := text.String()
						dep.versionAt = int(contentAt) + len(raw) - len(strings.TrimLeft(raw, " \t\r\n"))
					}
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
