// Package gomod extracts Go modules from go.mod files, and from
// vendor/modules.txt when a vendored tree has no go.mod beside it.
//
// From go.mod it reports every require directive (RelationTransitive when
// marked "// indirect", RelationDirect otherwise) with Go's "v"-prefixed
// version as written, including pseudo-versions, and the span of that
// version's text. Replace directives are applied as the go command applies
// them: a replacement by another module version reports that module and
// version, at the require line, with the span of the version in the
// replace directive; a replacement by a local directory ("=> ../x") reports
// the required module with Source path (the directory as written) and no
// version, because its code comes from the working tree rather than the
// module proxy and has no version to match against advisories. go.mod
// records no dependency edges, so Parents is never set. A replacement for a
// module that is
// not required changes nothing. Exclude directives are ignored: they only
// remove versions from consideration and never add a module.
//
// The Go standard library is reported as a package named "stdlib", written
// the way Go's vulnerability database writes versions (without the "v",
// with three components: "go 1.21" gives "1.21.0", "go1.21rc1" gives
// "1.21.0-rc.1"), at the release of the toolchain that builds the module:
//
//   - with Options.GoVersion (the site's toolchain), that release, or the
//     toolchain or go directive's when the go.mod asks for a newer one (the
//     go command does not build a module with an older toolchain);
//   - else from a toolchain directive;
//   - else, with Options.GoDirective, from the go directive, which only
//     states the oldest release the module allows;
//   - else not at all: the extractor returns a warning (inventory.Problems)
//     saying that the standard library was not checked and how to check it.
//
// Before go 1.17 a go.mod lists only part of the module graph (the graph is
// not pruned), so for such files, and for files without a go directive,
// which the go command treats as go 1.16, the modules recorded in a go.sum
// beside the go.mod that go.mod does not mention are added as transitive
// dependencies, each at the highest version go.sum holds source for, located
// at that go.sum line. This approximates minimal version selection without
// reading every module's go.mod; go.sum entries that only cover a module's
// go.mod file are skipped, because the module's code was not needed.
//
// vendor/modules.txt is read only when there is no go.mod in the directory
// above the vendor directory, since that go.mod says everything the file
// does and more; when the scanned tree is not available the file is read.
// Its modules have RelationUnknown, because modules.txt marks which modules
// go.mod requires but not which of them are indirect.
package gomod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Extractor reads go.mod and vendor/modules.txt files.
type Extractor struct {
	opts Options
}

// Options say which Go release the standard library is checked at.
type Options struct {
	// GoVersion is the release of the Go toolchain that builds the scanned
	// modules, in the vulnerability database's form ("1.22.5"); see
	// ParseGoVersion. Empty when the site has not named one.
	GoVersion string
	// GoDirective checks the standard library at the go directive's
	// release when neither GoVersion nor a toolchain directive names one.
	GoDirective bool
}

// GoDirectiveValue is the value of --go-version (and of go_version in
// .airlock.yaml) that asks for the go directive's release.
const GoDirectiveValue = "go-directive"

// ParseGoVersion reads a --go-version value: a Go release ("1.22.5",
// "go1.22.5", "1.22", "1.23rc1"), or "go-directive".
func ParseGoVersion(s string) (Options, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return Options{}, nil
	case GoDirectiveValue:
		return Options{GoDirective: true}, nil
	}
	if v := vulndbVersion(strings.TrimPrefix(s, "go")); v != "" {
		return Options{GoVersion: v}, nil
	}
	return Options{}, fmt.Errorf("%q is not a Go release: give the toolchain that builds your modules (1.22.5 or go1.22.5), or %s to check the standard library at each go.mod's go directive", s, GoDirectiveValue)
}

// New returns a go.mod extractor that reports the standard library only
// where a toolchain directive names its release.
func New() *Extractor { return &Extractor{} }

// NewWithOptions returns a go.mod extractor with the site's choices; see
// ParseGoVersion.
func NewWithOptions(o Options) *Extractor { return &Extractor{opts: o} }

// Options returns the extractor's options.
func (x *Extractor) Options() Options { return x.opts }

// Name implements inventory.Extractor.
func (*Extractor) Name() string { return "go/gomod" }

// FileRequired implements inventory.Extractor.
func (*Extractor) FileRequired(p string) bool {
	if path.Base(p) == "go.mod" {
		return true
	}
	return path.Base(p) == "modules.txt" && path.Base(path.Dir(p)) == "vendor"
}

// Extract implements inventory.Extractor.
func (x *Extractor) Extract(_ context.Context, in *inventory.Input) ([]inventory.Package, error) {
	data, err := inventory.ReadInput(in)
	if err != nil {
		return nil, err
	}
	if path.Base(in.Path) == "modules.txt" {
		return extractModulesTxt(in, data)
	}
	return x.extractGoMod(in, data)
}

func (x *Extractor) extractGoMod(in *inventory.Input, data []byte) ([]inventory.Package, error) {
	f, err := modfile.Parse(in.Path, data, nil)
	if err != nil {
		return nil, parseError(in.Path, err)
	}

	// Replacements keyed by module path, and by path and version for the
	// ones that name a version; a versioned replacement wins over one for
	// all versions, as in the go command.
	all := make(map[string]*modfile.Replace)
	exact := make(map[module.Version]*modfile.Replace)
	for _, r := range f.Replace {
		if r.Old.Version == "" {
			all[r.Old.Path] = r
		} else {
			exact[r.Old] = r
		}
	}

	var pkgs []inventory.Package
	var problems inventory.Problems
	if p, ok := stdlib(in.Path, f, x.opts); ok {
		pkgs = append(pkgs, p)
	} else {
		problems = append(problems, notChecked(in.Path, f))
	}
	mentioned := make(map[string]bool)
	for _, r := range f.Replace {
		mentioned[r.Old.Path] = true
		if r.New.Version != "" {
			mentioned[r.New.Path] = true
		}
	}
	for _, req := range f.Require {
		mentioned[req.Mod.Path] = true
		mod := req.Mod
		r := exact[mod]
		if r == nil {
			r = all[mod.Path]
		}
		rel := inventory.RelationDirect
		if req.Indirect {
			rel = inventory.RelationTransitive
		}
		p := inventory.Package{
			Ecosystem:   inventory.Go,
			Name:        mod.Path,
			Version:     mod.Version,
			Relation:    rel,
			Location:    inventory.Location{Path: in.Path, Line: req.Syntax.Start.Line},
			VersionSpan: versionSpan(data, req.Syntax, mod.Path, mod.Version),
		}
		switch {
		case r != nil && r.New.Version == "":
			p.Version, p.VersionSpan = "", nil
			p.Source = &inventory.Source{Type: inventory.SourcePath, Path: r.New.Path}
		case r != nil:
			p.Name, p.Version = r.New.Path, r.New.Version
			p.VersionSpan = versionSpan(data, r.Syntax, "=>", r.New.Version)
		}
		pkgs = append(pkgs, p)
	}

	if f.Go == nil || semver.Compare("v"+vulndbVersion(f.Go.Version), "v1.17.0-0") < 0 {
		extra, err := goSum(in, mentioned)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, extra...)
	}
	return problems.Result(pkgs)
}

// stdlib returns the standard library package at the release that builds
// the module (see the package comment); ok is false when nothing names it.
func stdlib(file string, f *modfile.File, o Options) (p inventory.Package, ok bool) {
	var tool, goDir string
	var toolLine, goLine int
	if f.Toolchain != nil {
		tool, toolLine = fromToolchain(f.Toolchain.Name), f.Toolchain.Syntax.Start.Line
	}
	if f.Go != nil {
		goDir, goLine = vulndbVersion(f.Go.Version), f.Go.Syntax.Start.Line
	}
	var v string
	var line int
	switch {
	case o.GoVersion != "":
		v, line = o.GoVersion, goLine
		if tool != "" {
			line = toolLine
		}
		for _, min := range []struct {
			v    string
			line int
		}{{goDir, goLine}, {tool, toolLine}} {
			if min.v != "" && semver.Compare("v"+min.v, "v"+v) > 0 {
				v, line = min.v, min.line
			}
		}
	case tool != "":
		v, line = tool, toolLine
	case o.GoDirective && goDir != "":
		v, line = goDir, goLine
	default:
		return inventory.Package{}, false
	}
	return inventory.Package{
		Ecosystem: inventory.Go,
		Name:      "stdlib",
		Version:   v,
		Relation:  inventory.RelationDirect,
		Location:  inventory.Location{Path: file, Line: line},
	}, true
}

// notChecked is the warning of a go.mod whose standard library is not
// checked: no toolchain directive, and no site toolchain given.
func notChecked(file string, f *modfile.File) *inventory.ParseError {
	e := &inventory.ParseError{Path: file, Field: "toolchain", Warning: true}
	why := "no toolchain directive names the Go release that builds the module"
	if f.Go != nil {
		e.Line, e.Field = f.Go.Syntax.Start.Line, "go"
		why = fmt.Sprintf("no toolchain directive, and go %s is the oldest Go release the module allows, not the one that builds it", f.Go.Version)
	}
	e.Err = fmt.Errorf("standard library not checked: %s; give your toolchain with --go-version (or go_version in .airlock.yaml), or use --go-version %s", why, GoDirectiveValue)
	return e
}

// fromToolchain turns a toolchain name such as "go1.22.3" or
// "go1.22.3-custom" into a vulndb version; it returns "" for "default" and
// names it cannot read.
func fromToolchain(name string) string {
	v, ok := strings.CutPrefix(name, "go")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, "-+ \t"); i >= 0 {
		v = v[:i]
	}
	return vulndbVersion(v)
}

// vulndbVersion turns a Go version ("1.21", "1.21.3", "1.22rc1") into the
// semantic version Go's vulnerability database uses for the standard
// library ("1.21.0", "1.21.3", "1.22.0-rc.1"); it returns "" for anything
// else.
// versionSpan finds version after the text after in the directive's line.
func versionSpan(data []byte, line *modfile.Line, after, version string) *inventory.Span {
	if line == nil || line.Start.Byte < 0 || line.End.Byte > len(data) || line.Start.Byte > line.End.Byte {
		return nil
	}
	seg := string(data[line.Start.Byte:line.End.Byte])
	i := strings.Index(seg, after)
	if i < 0 {
		return nil
	}
	i += len(after)
	j := strings.Index(seg[i:], version)
	if j < 0 {
		return nil
	}
	start := line.Start.Byte + i + j
	return inventory.SpanOf(data, start, start+len(version), version)
}

func vulndbVersion(v string) string {
	m := modfile.GoVersionRE.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	patch := m[4]
	if patch == "" {
		patch = "0"
	}
	out := m[1] + "." + m[2] + "." + patch
	if pre := m[5]; pre != "" {
		i := strings.IndexFunc(pre, func(r rune) bool { return '0' <= r && r <= '9' })
		out += "-" + pre[:i] + "." + pre[i:]
	}
	return out
}

// goSum returns the modules of the go.sum beside in.Path that are not in
// mentioned, at the highest version go.sum holds source for.
func goSum(in *inventory.Input, mentioned map[string]bool) ([]inventory.Package, error) {
	if in.Root == nil {
		return nil, nil
	}
	sumPath := path.Join(path.Dir(in.Path), "go.sum")
	data, err := fs.ReadFile(in.Root, sumPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &inventory.ParseError{Path: sumPath, Err: err}
	}

	var order []string
	best := make(map[string]inventory.Package)
	line := 0
	for len(data) > 0 {
		line++
		var text []byte
		text, data, _ = bytes.Cut(data, []byte("\n"))
		fields := strings.Fields(string(text))
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, &inventory.ParseError{Path: sumPath, Line: line, Err: errors.New("malformed go.sum line: want module, version and hash")}
		}
		name, version := fields[0], fields[1]
		if strings.HasSuffix(version, "/go.mod") || mentioned[name] {
			continue
		}
		if !semver.IsValid(version) {
			return nil, &inventory.ParseError{Path: sumPath, Line: line, Err: fmt.Errorf("invalid version %q for %s", version, name)}
		}
		prev, seen := best[name]
		if !seen {
			order = append(order, name)
		} else if semver.Compare(version, prev.Version) <= 0 {
			continue
		}
		best[name] = inventory.Package{
			Ecosystem: inventory.Go,
			Name:      name,
			Version:   version,
			Relation:  inventory.RelationTransitive,
			Location:  inventory.Location{Path: sumPath, Line: line},
		}
	}
	pkgs := make([]inventory.Package, 0, len(order))
	for _, name := range order {
		pkgs = append(pkgs, best[name])
	}
	return pkgs, nil
}

// parseError turns a modfile error into a ParseError, keeping the line of
// the first problem.
func parseError(file string, err error) error {
	var list modfile.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		msg := e.Err
		if e.ModPath != "" {
			msg = fmt.Errorf("%s: %w", e.ModPath, e.Err)
		}
		return &inventory.ParseError{Path: file, Line: e.Pos.Line, Field: e.Verb, Err: msg}
	}
	return &inventory.ParseError{Path: file, Err: err}
}

// extractModulesTxt reads vendor/modules.txt, unless a go.mod above the
// vendor directory makes it redundant.
func extractModulesTxt(in *inventory.Input, data []byte) ([]inventory.Package, error) {
	if in.Root != nil {
		goMod := path.Join(path.Dir(path.Dir(in.Path)), "go.mod")
		if _, err := fs.Stat(in.Root, goMod); err == nil {
			return nil, nil
		}
	}
	var pkgs []inventory.Package
	line := 0
	for len(data) > 0 {
		line++
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		text, ok := strings.CutPrefix(string(raw), "# ")
		if !ok {
			continue
		}
		// "# path version", optionally followed by "=> new [version]";
		// "# path => new [version]" records a replacement of all versions
		// and lists no module of its own.
		old, repl, replaced := strings.Cut(text, "=>")
		f := strings.Fields(old)
		if len(f) != 2 {
			if len(f) == 1 && replaced {
				continue
			}
			return nil, &inventory.ParseError{Path: in.Path, Line: line, Err: fmt.Errorf("malformed module line %q", raw)}
		}
		mod := module.Version{Path: f[0], Version: f[1]}
		if replaced {
			r := strings.Fields(repl)
			switch len(r) {
			case 1:
				continue // a local directory
			case 2:
				mod = module.Version{Path: r[0], Version: r[1]}
			default:
				return nil, &inventory.ParseError{Path: in.Path, Line: line, Err: fmt.Errorf("malformed replacement in %q", raw)}
			}
		}
		pkgs = append(pkgs, inventory.Package{
			Ecosystem: inventory.Go,
			Name:      mod.Path,
			Version:   mod.Version,
			Location:  inventory.Location{Path: in.Path, Line: line},
		})
	}
	return pkgs, nil
}
