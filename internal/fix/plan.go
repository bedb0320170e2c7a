package fix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Registry gives the client of an ecosystem's mirror; *registry.Set is one.
type Registry interface {
	Client(ecosystem string) (registry.Client, error)
}

// Planner computes the changes that fix a scan's vulnerable packages.
type Planner struct {
	// Registry lists the versions the mirrors serve.
	Registry Registry
	// Matcher tells whether a version is affected by a known
	// vulnerability, over the same data as the scan.
	Matcher *vuln.Matcher
	// Strategy chooses among the fixing versions (default Minimal).
	Strategy Strategy
	// Workers bounds the registry lookups made at once (default 8).
	Workers int
}

// target is one vulnerable package of one manifest and its findings.
type target struct {
	pkg   inventory.Package
	finds []finding.Finding
}

// Plan returns one change per vulnerable package and manifest of the
// findings (vulnerability findings that are not ignored), the most severe
// first. Registry failures are stated per change (StatusNoMirror), not
// returned; the error is for a failed vulnerability lookup or a
// cancelled context.
func (p *Planner) Plan(ctx context.Context, findings []finding.Finding) ([]Change, error) {
	byKey := map[string]*target{}
	var order []*target
	for _, f := range findings {
		if f.Kind != finding.KindVulnerability || f.Package == nil || f.Ignored != nil || !f.Package.Pinned() {
			continue
		}
		k := f.Package.Location.Path + "\x00" + f.Package.Ecosystem + "\x00" + f.Package.Name + "\x00" + f.Package.Version
		t := byKey[k]
		if t == nil {
			t = &target{pkg: *f.Package}
			byKey[k] = t
			order = append(order, t)
		}
		t.finds = append(t.finds, f)
	}
	pkgs, errs := p.lookup(ctx, order)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cv := &comparer{cache: map[[2]string]semantic.Version{}}
	out := make([]Change, 0, len(order))
	for _, t := range order {
		c, err := p.change(ctx, cv, t, pkgs[registryKey(t.pkg)], errs[registryKey(t.pkg)])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(a.Manifest, b.Manifest),
			cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

func registryKey(p inventory.Package) [2]string {
	return [2]string{p.Ecosystem, inventory.NormalizeName(p.Ecosystem, p.Name)}
}

// lookup reads every package's versions from its mirror, several at once.
func (p *Planner) lookup(ctx context.Context, ts []*target) (map[[2]string]*registry.Package, map[[2]string]error) {
	pkgs := map[[2]string]*registry.Package{}
	errs := map[[2]string]error{}
	var keys [][2]string
	names := map[[2]string]string{}
	for _, t := range ts {
		k := registryKey(t.pkg)
		if _, ok := names[k]; !ok {
			names[k] = t.pkg.Name
			keys = append(keys, k)
		}
	}
	workers := p.Workers
	if workers <= 0 {
		workers = 8
	}
	var mu sync.Mutex
	next := make(chan [2]string)
	var wg sync.WaitGroup
	for range min(workers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				var rp *registry.Package
				c, err := p.Registry.Client(k[0])
				if err == nil {
					rp, err = c.Package(ctx, names[k])
				}
				mu.Lock()
				pkgs[k], errs[k] = rp, err
				mu.Unlock()
			}
		}()
	}
	for _, k := range keys {
		next <- k
	}
	close(next)
	wg.Wait()
	return pkgs, errs
}

// change plans one package.
func (p *Planner) change(ctx context.Context, cv *comparer, t *target, rp *registry.Package, rerr error) (Change, error) {
	pkg := t.pkg
	c := Change{Ecosystem: pkg.Ecosystem, Name: pkg.Name, Manifest: pkg.Location.Path, Line: pkg.Location.Line,
		Relation: pkg.Relation, From: pkg.Version, VersionSpan: pkg.VersionSpan, Severity: finding.Unknown}
	var fixed []string
	for _, f := range t.finds {
		c.Vulnerabilities = append(c.Vulnerabilities, Vulnerability{ID: f.ID, Aliases: f.Aliases, Severity: f.Severity,
			Summary: f.Title, Fixed: f.FixedVersions})
		if f.Severity.Rank() > c.Severity.Rank() {
			c.Severity = f.Severity
		}
		fixed = append(fixed, f.FixedVersions...)
	}
	slices.SortFunc(c.Vulnerabilities, func(a, b Vulnerability) int { return cmp.Compare(a.ID, b.ID) })
	if pkg.Ecosystem == inventory.Go && (pkg.Name == "stdlib" || pkg.Name == "toolchain") {
		c.Status = StatusNoFix
		c.Reason = "the Go standard library is fixed by a Go release, not a module upgrade: build with a Go release the advisories name (" + strings.Join(uniq(fixed), ", ") + ")"
		return c, nil
	}
	if rerr != nil {
		if errors.Is(rerr, registry.ErrNotFound) {
			c.Status = StatusNotOnMirror
			c.Reason = "the mirror does not serve " + pkg.Name + " at all"
		} else {
			c.Status = StatusNoMirror
			c.Reason = rerr.Error()
		}
		return c, nil
	}
	clean := func(v string) (bool, error) {
		q := pkg
		q.Version = v
		fs, err := p.Matcher.Match(ctx, q)
		if err != nil {
			return false, err
		}
		for _, f := range fs {
			if f.Kind == finding.KindVulnerability {
				return false, nil
			}
		}
		return true, nil
	}
	pre := prerelease(pkg.Ecosystem, pkg.Version)
	var same, later []string // candidates above the current version, ascending
	for _, v := range rp.Versions {
		if v.Yanked || (!pre && (v.Prerelease || prerelease(pkg.Ecosystem, v.Version))) {
			continue
		}
		if cv.compare(pkg.Ecosystem, v.Version, pkg.Version) <= 0 {
			continue
		}
		if major(pkg.Ecosystem, v.Version) == major(pkg.Ecosystem, pkg.Version) {
			same = append(same, v.Version)
		} else {
			later = append(later, v.Version)
		}
	}
	sortVersions := func(s []string) {
		slices.SortFunc(s, func(a, b string) int { return cv.compare(pkg.Ecosystem, a, b) })
	}
	sortVersions(same)
	sortVersions(later)
	var good []string
	for _, v := range same {
		ok, err := clean(v)
		if err != nil {
			return c, err
		}
		if ok {
			good = append(good, v)
			if p.Strategy == Minimal || p.Strategy == "" {
				break
			}
		}
	}
	if len(good) > 0 {
		c.Status, c.To = StatusFix, pick(p.Strategy, good)
		c.Reason = fmt.Sprintf("%s is the %s release of %s's major line %s that no known vulnerability affects", c.To,
			map[Strategy]string{Minimal: "lowest", "": "lowest", PatchLatest: "newest patch", LatestInMajor: "newest"}[p.Strategy], pkg.Name, major(pkg.Ecosystem, pkg.Version))
		p.method(&c, pkg)
		return c, nil
	}
	// Nothing in the major line: say why.
	served := map[string]bool{}
	for _, v := range rp.Versions {
		served[v.Version] = true
	}
	var missing []string
	for _, v := range uniq(fixed) {
		if major(pkg.Ecosystem, v) == major(pkg.Ecosystem, pkg.Version) && !served[v] && !served["v"+v] {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		c.Status = StatusNotOnMirror
		c.Reason = fmt.Sprintf("the advisories name %s as fixed, which the mirror (%s) does not serve", strings.Join(missing, ", "), rp.URL)
		return c, nil
	}
	for _, v := range later {
		ok, err := clean(v)
		if err != nil {
			return c, err
		}
		if ok {
			c.Status, c.Suggestion = StatusMajor, v
			c.Reason = fmt.Sprintf("no release of major line %s fixes every known vulnerability; %s does: a major upgrade, to make by hand", major(pkg.Ecosystem, pkg.Version), v)
			return c, nil
		}
	}
	c.Status = StatusNoFix
	c.Reason = "no release on the mirror fixes every known vulnerability of " + pkg.Name
	return c, nil
}

// method says how the change reaches the project.
func (p *Planner) method(c *Change, pkg inventory.Package) {
	c.Method = MethodDirect
	if pkg.Relation != inventory.RelationTransitive {
		return
	}
	switch pkg.Ecosystem {
	case inventory.Go:
		// Every module of the build list is required by the main
		// go.mod (Go 1.17 and later): raising its require is the fix.
		c.Method, c.Override = MethodOverride, "go.mod require"
	case inventory.NPM:
		c.Method, c.Override = MethodOverride, "npm overrides"
	case inventory.Maven:
		c.Method, c.Override = MethodOverride, "Maven dependencyManagement"
	}
	if len(pkg.Via) > 0 {
		v := pkg.Via[0]
		c.Parent = &v
	}
}

// pick applies a strategy to the fixing versions of a major line,
// ascending.
func pick(s Strategy, good []string) string {
	switch s {
	case LatestInMajor:
		return good[len(good)-1]
	case PatchLatest:
		line := minorLine(good[0])
		out := good[0]
		for _, v := range good {
			if minorLine(v) == line {
				out = v
			}
		}
		return out
	}
	return good[0]
}

// prerelease reports whether a version is a prerelease in its ecosystem's
// syntax.
func prerelease(eco, v string) bool {
	switch eco {
	case inventory.PyPI:
		// PEP 440: any letter left once the local part and the post-release
		// markers are gone marks a pre- or development release.
		l, _, _ := strings.Cut(strings.ToLower(v), "+")
		l = strings.NewReplacer("post", "", "rev", "").Replace(strings.TrimPrefix(l, "v"))
		return strings.IndexFunc(l, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0
	case inventory.Maven:
		l := strings.ToLower(v)
		for _, s := range []string{"snapshot", "alpha", "beta", "-rc", ".rc", "-m", "-cr", "milestone", "preview"} {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	case inventory.RubyGems:
		return strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
	default:
		return strings.Contains(v, "-")
	}
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// comparer orders versions in their ecosystem, parsing each once.
type comparer struct {
	cache map[[2]string]semantic.Version
}

func (c *comparer) parse(eco, v string) semantic.Version {
	k := [2]string{eco, v}
	if p, ok := c.cache[k]; ok {
		return p
	}
	p, err := semantic.Parse(v, eco)
	if err != nil {
		p = nil
	}
	c.cache[k] = p
	return p
}

// compare orders a and b; versions that do not parse sort as strings.
func (c *comparer) compare(eco, a, b string) int {
	pa, pb := c.parse(eco, a), c.parse(eco, b)
	if pa != nil && pb != nil {
		if r, err := pa.Compare(pb); err == nil {
			return r
		}
	}
	return strings.Compare(a, b)
}
