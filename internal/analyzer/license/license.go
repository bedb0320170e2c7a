// Package license is the "license" analyzer: the license of every package,
// from the best source at hand — the lockfile (package-lock v2/v3,
// composer.lock), the package's installed copy in the tree
// (node_modules/NAME/package.json, vendor/MODULE/LICENSE, a Python
// *.dist-info/METADATA), then the site's mirror (npm packument, PyPI JSON
// API, RubyGems, Packagist, Maven POM and its parents, the Go module zip's
// LICENSE, classified) — each saying its source and confidence, the
// repository's own LICENSE files classified too. With a policy (the
// operator's, else the repository's .airlock.yaml "licenses:"), a denied
// license is a finding of the policy's severity and an unknown one of its
// unknown severity; without one, licenses are only listed (--format
// licenses, CycloneDX), and the analyzer does nothing unless asked.
package license

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	spdx "github.com/airlock-sec/airlock/internal/license"
	"github.com/airlock-sec/airlock/internal/registry"
)

// Config configures the analyzer.
type Config struct {
	// Policy is the operator's license policy (server settings, the CLI
	// user's configuration); when set it is used instead of a
	// repository's own, which cannot loosen it.
	Policy *spdx.Policy
	// Always lists licenses even when no policy applies (airlock scan
	// --scanners license, --format licenses or cyclonedx); otherwise a
	// scan without a policy skips the analyzer's work.
	Always bool
	// Names is the site's table of license names from a data bundle,
	// consulted before the embedded one; nil when none was imported.
	Names spdx.Names
	// Packages are the site's settled licenses of packages, from the same
	// table: read after the lockfile and installed trees, before the
	// mirror.
	Packages spdx.Packages
}

// Analyzer finds and judges licenses.
type Analyzer struct{ c Config }

// New returns the analyzer.
func New(c Config) *Analyzer { return &Analyzer{c: c} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "license" }

// Needs implements analyzer.Analyzer.
func (*Analyzer) Needs() []analyzer.Need { return []analyzer.Need{analyzer.NeedPackages} }

// FileRequired implements analyzer.Analyzer: the repository's own license
// files, vendored Go modules' license files and Python distributions'
// METADATA.
func (*Analyzer) FileRequired(p string) bool {
	switch {
	case !strings.Contains(p, "/") && registry.IsLicenseFile(p):
		return true
	case strings.HasPrefix(p, "vendor/") && registry.IsLicenseFile(path.Base(p)):
		return true
	case path.Base(p) == "METADATA" && strings.HasSuffix(path.Dir(p), ".dist-info"):
		return true
	}
	return false
}

// maxMetadata bounds a package's metadata file read from the tree.
const maxMetadata = 1 << 20

// mirrorWorkers bounds the lookups started at once.
const mirrorWorkers = 32

type run struct {
	in     *analyzer.Input
	pol    *spdx.Policy
	names  spdx.Names
	table  spdx.Packages
	out    *analyzer.Output
	vendor map[string]string // module path → license file
	dist   map[string]string // normalised name → METADATA path
	// nodeModules caches whether a manifest's directory has one.
	nodeModules map[string]bool
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	r := &run{in: in, pol: a.c.Policy, names: a.c.Names, table: a.c.Packages, out: &analyzer.Output{}, vendor: map[string]string{}, dist: map[string]string{}, nodeModules: map[string]bool{}}
	if r.pol == nil && in.Repo != nil && in.Repo.Policy != nil {
		var err error
		if r.pol, err = spdx.ParsePolicy(in.Repo.Policy.Source, in.Repo.Policy.Licenses); err != nil {
			return nil, err
		}
	}
	if r.pol == nil && !a.c.Always {
		return r.out, nil
	}
	for _, f := range in.Files {
		switch {
		case !strings.Contains(f, "/"):
			r.own(f)
		case strings.HasPrefix(f, "vendor/"):
			r.vendor[path.Dir(strings.TrimPrefix(f, "vendor/"))] = f
		default:
			base := strings.TrimSuffix(path.Base(path.Dir(f)), ".dist-info")
			if i := strings.Index(base, "-"); i > 0 {
				base = base[:i]
			}
			r.dist[inventory.NormalizeName(inventory.PyPI, base)] = f
		}
	}
	r.packages(ctx)
	return r.out, nil
}

// own classifies one of the repository's own license files.
func (r *run) own(f string) {
	pl := analyzer.PackageLicense{Name: "(this repository)", Path: f, Source: "license-file", Evidence: f}
	b, err := r.in.Tree.ReadFile(f, spdx.MaxFile+1)
	if err == nil {
		var c spdx.Classification
		if c, err = spdx.Classify(b); err == nil {
			pl.License, pl.Confidence = c.Expression, c.Confidence
		}
	}
	if err != nil {
		r.out.Notices = append(r.out.Notices, analyzer.Notice{Level: analyzer.NoticeWarning, Path: f, Message: "license file not classified: " + err.Error()})
	} else if pl.License == "" {
		r.out.Notices = append(r.out.Notices, analyzer.Notice{Level: analyzer.NoticeInfo, Path: f, Message: "no known license text recognised in the repository's license file"})
	}
	r.out.Licenses = append(r.out.Licenses, pl)
}

// found is a package's license as one source gives it.
type found struct {
	declared   string // as written
	files      map[string][]byte
	source     string
	evidence   string
	confidence float64
}

// packages finds every pinned package's license and judges it.
func (r *run) packages(ctx context.Context) {
	var set *registry.Set
	if r.in.Env != nil {
		set = r.in.Env.Registries
	}
	type item struct {
		p inventory.Package
		f *found
	}
	var items []item
	var want []registry.Ref
	seen := map[registry.Ref]bool{}
	for _, m := range r.in.Manifests {
		for _, p := range m.Packages {
			if !p.Pinned() || p.Source != nil && p.Source.Type == inventory.SourcePath {
				continue
			}
			if p.Ecosystem == inventory.Go && (p.Name == "stdlib" || p.Name == "toolchain") {
				// Go's own standard library and toolchain: BSD-3-Clause.
				items = append(items, item{p, &found{declared: "BSD-3-Clause", source: "toolchain", evidence: "the Go distribution's LICENSE", confidence: 1}})
				continue
			}
			f := r.local(p)
			if f == nil {
				if expr, key, ok := r.table.Lookup(p.Ecosystem, p.Name, p.Version); ok {
					f = &found{declared: expr, source: "table", evidence: "license table entry " + key, confidence: 1}
				}
			}
			if f == nil && (p.Source == nil || p.Source.Type == inventory.SourceRegistry) {
				ref := registry.Ref{Ecosystem: p.Ecosystem, Name: p.Name}
				if _, err := set.Client(p.Ecosystem); err == nil && !seen[ref] {
					seen[ref] = true
					want = append(want, ref)
				}
			}
			items = append(items, item{p, f})
		}
	}
	results := set.Packages(ctx, want, mirrorWorkers, func(done, total int) {
		r.in.Progress(analyzer.Progress{Stage: "license", Done: done, Total: total})
	})
	unknownWhy := map[string]map[string]int{}
	for i := range items {
		it := &items[i]
		if it.f == nil {
			var why string
			it.f, why = r.mirror(ctx, set, it.p, results)
			if it.f == nil {
				if unknownWhy[it.p.Ecosystem] == nil {
					unknownWhy[it.p.Ecosystem] = map[string]int{}
				}
				unknownWhy[it.p.Ecosystem][why]++
			}
		}
		r.judge(it.p, it.f)
	}
	for _, eco := range sortedKeys(unknownWhy) {
		for _, why := range sortedKeys(unknownWhy[eco]) {
			n := unknownWhy[eco][why]
			r.out.Notices = append(r.out.Notices, analyzer.Notice{Level: analyzer.NoticeWarning, Message: fmt.Sprintf(
				"license: no license found for %d %s %s: %s", n, eco, plural(n, "package", "packages"), why)})
		}
	}
}

// local finds a license in the lockfile or the tree.
func (r *run) local(p inventory.Package) *found {
	if p.License != "" {
		return &found{declared: p.License, source: "lockfile", evidence: where(p), confidence: 1}
	}
	if r.in.Tree == nil {
		return nil
	}
	switch p.Ecosystem {
	case inventory.NPM:
		dir := path.Dir(p.Location.Path)
		has, ok := r.nodeModules[dir]
		if !ok {
			fi, err := r.in.Tree.Stat(path.Join(dir, "node_modules"))
			has = err == nil && fi.IsDir()
			r.nodeModules[dir] = has
		}
		if !has {
			return nil
		}
		f := path.Join(dir, "node_modules", p.Name, "package.json")
		b, err := r.in.Tree.ReadFile(f, maxMetadata)
		if err != nil {
			return nil
		}
		var doc struct {
			Version  string          `json:"version"`
			License  json.RawMessage `json:"license"`
			Licenses json.RawMessage `json:"licenses"`
		}
		if json.Unmarshal(b, &doc) != nil || doc.Version != p.Version {
			return nil
		}
		if l := registry.NPMLicense(doc.License, doc.Licenses); l != "" {
			return &found{declared: l, source: "installed", evidence: f, confidence: 1}
		}
	case inventory.Go:
		if f, ok := r.vendor[p.Name]; ok {
			b, err := r.in.Tree.ReadFile(f, spdx.MaxFile+1)
			if err != nil {
				return nil
			}
			return &found{files: map[string][]byte{path.Base(f): b}, source: "vendor", evidence: f}
		}
	case inventory.PyPI:
		if f, ok := r.dist[inventory.NormalizeName(inventory.PyPI, p.Name)]; ok {
			b, err := r.in.Tree.ReadFile(f, maxMetadata)
			if err != nil {
				return nil
			}
			if l := MetadataLicense(b); l != "" {
				return &found{declared: l, source: "installed", evidence: f, confidence: 1}
			}
		}
	}
	return nil
}

// MetadataLicense reads a Python distribution's METADATA (RFC 822
// headers): License-Expression (PEP 639), else a short License, else the
// license classifiers joined with OR.
func MetadataLicense(b []byte) string {
	var expr, lic string
	var cls []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the body follows the headers
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "license-expression":
			expr = v
		case "license":
			lic = v
		case "classifier":
			if rest, ok := strings.CutPrefix(v, "License :: "); ok {
				parts := strings.Split(rest, " :: ")
				cls = append(cls, parts[len(parts)-1])
			}
		}
	}
	switch {
	case expr != "":
		return expr
	case lic != "" && lic != "UNKNOWN" && len(lic) <= 100:
		return lic
	}
	return strings.Join(cls, " OR ")
}

// mirror finds a license on the site's mirror; else says why not.
func (r *run) mirror(ctx context.Context, set *registry.Set, p inventory.Package, results map[registry.Ref]registry.Result) (*found, string) {
	c, err := set.Client(p.Ecosystem)
	if err != nil {
		if errors.Is(err, registry.ErrNoMirror) && registry.KeyOf(p.Ecosystem) == "" {
			return nil, "the lockfile declares none and airlock reads no " + p.Ecosystem + " registry"
		}
		return nil, "the lockfile declares none and " + err.Error()
	}
	if lc, ok := c.(registry.Licenser); ok {
		l, err := lc.License(ctx, p.Name, p.Version)
		if err != nil {
			return nil, "the mirror did not say: " + err.Error()
		}
		if l.Declared == "" && len(l.Files) == 0 {
			return nil, "the mirror's metadata declares none"
		}
		return &found{declared: l.Declared, files: l.Files, source: "mirror", evidence: l.URL + cachedNote(l.Stale), confidence: 1}, ""
	}
	res, ok := results[registry.Ref{Ecosystem: p.Ecosystem, Name: p.Name}]
	if !ok || res.Err != nil {
		if ok {
			return nil, "the mirror did not say: " + res.Err.Error()
		}
		return nil, "the mirror was not asked"
	}
	v, ok := res.Package.Find(p.Version)
	if !ok || v.License == "" {
		return nil, "the mirror's metadata declares none"
	}
	return &found{declared: v.License, source: "mirror", evidence: res.Package.URL + cachedNote(res.Package.Stale), confidence: 1}, ""
}

// cachedNote marks evidence read from the registry cache because the
// mirror could not be reached (an offline scan).
func cachedNote(stale bool) string {
	if stale {
		return " (cached copy: the mirror could not be reached)"
	}
	return ""
}

// judge records a package's license and applies the policy.
func (r *run) judge(p inventory.Package, f *found) {
	pl := analyzer.PackageLicense{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, PURL: p.PURL(), Path: p.Location.Path, Source: "none"}
	var problem string
	if f != nil {
		pl.Source, pl.Evidence, pl.Confidence = f.source, f.evidence, f.confidence
		switch {
		case f.declared != "":
			expr, ok := r.names.Normalize(f.declared)
			if ok {
				pl.License = expr
				if expr != f.declared {
					pl.Declared = f.declared
				}
			} else {
				pl.Declared = f.declared
				problem = fmt.Sprintf("%s %s declares the license %q, which is not an SPDX expression", p.Name, p.Version, f.declared)
			}
		default:
			names := sortedKeys(f.files)
			var exprs []string
			conf := 1.0
			for _, n := range names {
				c, err := spdx.Classify(f.files[n])
				if err != nil {
					problem = fmt.Sprintf("%s %s: license file %s not classified: %v", p.Name, p.Version, n, err)
					continue
				}
				if c.Expression != "" {
					exprs = append(exprs, c.Expression)
					conf = min(conf, c.Confidence)
				}
			}
			if len(exprs) > 0 {
				pl.License, pl.Confidence, problem = strings.Join(dedupe(exprs), " AND "), conf, ""
			} else if problem == "" {
				problem = fmt.Sprintf("%s %s: no known license text in %s", p.Name, p.Version, strings.Join(names, ", "))
			}
		}
	} else {
		problem = fmt.Sprintf("%s %s: no license found", p.Name, p.Version)
	}
	if pl.License == "" {
		pl.Confidence = 0
	}
	if r.pol != nil {
		if e, ok := r.pol.Exempt(p, pl.License); ok {
			pl.Status = "exempt"
			pl.Evidence = strings.TrimPrefix(pl.Evidence+fmt.Sprintf("; exempt by %s:%d: %s", r.pol.Source, e.Line, e.Reason), "; ")
			r.out.Licenses = append(r.out.Licenses, pl)
			return
		}
	}
	switch {
	case problem != "" || pl.License == "":
		// Without a policy, unknown licenses are listed (and counted in
		// a notice), not findings.
		if r.pol != nil {
			pl.Status = "unknown"
			r.add("license/unknown", r.pol.Unknown, p, problem, pl)
		}
	case r.pol != nil:
		v, err := r.pol.Check(pl.License)
		switch {
		case err != nil:
			pl.Status = "unknown"
			r.add("license/unknown", r.pol.Unknown, p, fmt.Sprintf("%s %s: %v", p.Name, p.Version, err), pl)
		case v.Allowed:
			pl.Status = "allowed"
		default:
			pl.Status = "denied"
			r.add("license/denied", r.pol.Severity, p, fmt.Sprintf("%s %s is licensed %s, which the policy does not allow (%s)", p.Name, p.Version, pl.License, strings.Join(v.Needs, ", ")), pl)
		}
	}
	r.out.Licenses = append(r.out.Licenses, pl)
}

// add appends a license finding.
func (r *run) add(id string, sev finding.Severity, p inventory.Package, title string, pl analyzer.PackageLicense) {
	pkg := p
	pkg.License = pl.License
	ev := "source " + pl.Source
	if pl.Evidence != "" {
		ev += ": " + pl.Evidence
	}
	if r.pol != nil && id == "license/denied" {
		ev += "; policy " + r.pol.Source
	}
	r.out.Findings = append(r.out.Findings, finding.Finding{
		Kind: finding.KindLicense, ID: id, Severity: sev, Title: title,
		Location: finding.Location{Path: p.Location.Path, StartLine: p.Location.Line}, Package: &pkg, Evidence: ev,
		Fingerprint: finding.Fingerprint(string(finding.KindLicense), p.Location.Path, p.Ecosystem, inventory.NormalizeName(p.Ecosystem, p.Name), id),
	})
}

func where(p inventory.Package) string {
	if p.Location.Line > 0 {
		return fmt.Sprintf("%s:%d", p.Location.Path, p.Location.Line)
	}
	return p.Location.Path
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
