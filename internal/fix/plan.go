package fix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/modfile"

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
	// Root is the scanned tree, where an indirect Go module's go.mod is
	// read for its direct requirements: go.mod records no edges, so the
	// direct module that pulls it in is found from their go.mod files on
	// the proxy. Empty: Go modules are fixed through their own require.
	Root string
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
	p.prefetchParents(ctx, order)
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

// prefetchParents reads, several at once, what the parent route needs of
// the one direct npm dependency behind each transitive vulnerable package
// (its releases and their dependency ranges), so that planning, which
// asks for them one change after another, finds them in the registry
// cache. Errors are left for planning to report.
func (p *Planner) prefetchParents(ctx context.Context, ts []*target) {
	seen := map[string]bool{}
	var names []string
	for _, t := range ts {
		if t.pkg.Ecosystem != inventory.NPM || t.pkg.Relation != inventory.RelationTransitive || len(t.pkg.Via) != 1 {
			continue
		}
		if n := t.pkg.Via[0].Name; !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	cl, err := p.Registry.Client(inventory.NPM)
	if err != nil {
		return
	}
	d, _ := cl.(npmDependencies)
	workers := p.Workers
	if workers <= 0 {
		workers = 8
	}
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(workers, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				if _, err := cl.Package(ctx, n); err == nil && d != nil {
					d.Dependencies(ctx, n)
				}
			}
		}()
	}
	for _, n := range names {
		next <- n
	}
	close(next)
	wg.Wait()
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
	clean := func(v string) (bool, error) { return p.clean(ctx, pkg, v) }
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
		if c.Method == MethodOverride {
			if err := p.throughParent(ctx, cv, &c, pkg, rp); err != nil {
				return c, err
			}
		}
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

// clean reports whether version v of pkg is affected by no known
// vulnerability.
func (p *Planner) clean(ctx context.Context, pkg inventory.Package, v string) (bool, error) {
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

// maxParentProbes bounds the releases of a parent whose requirements are
// read (one request each for a Go module) when looking for one that pulls
// in a fixed version.
const maxParentProbes = 30

// npmDependencies reads what each release of an npm package depends on;
// *registry.NPM is one.
type npmDependencies interface {
	Dependencies(ctx context.Context, name string) (map[string]map[string]string, error)
}

// goRequires reads a Go module version's requirements; *registry.GoProxy
// is one.
type goRequires interface {
	Requires(ctx context.Context, name, version string) ([]registry.Requirement, error)
}

// throughParent turns an override of a transitive package into an
// upgrade of the direct dependency that pulls it in, when a release of
// that parent in its own major line, on the mirror and bringing no known
// vulnerability its current version does not already have, pulls in a
// fixed version by itself: for npm,
// a release whose dependency range admits only versions at or above the
// target (so npm cannot keep the vulnerable one); for Go, a release whose
// go.mod requires the target or later (minimal version selection then
// raises the module). Otherwise the override stays, and the reason says
// why. The error is for a failed vulnerability lookup only.
func (p *Planner) throughParent(ctx context.Context, cv *comparer, c *Change, pkg inventory.Package, rp *registry.Package) error {
	keep := func(why string) error {
		c.Reason += "; pinned through " + c.Override + " because " + why
		return nil
	}
	if len(pkg.Via) == 0 && pkg.Ecosystem == inventory.Go {
		via, why := p.goParents(ctx, pkg)
		if why != "" {
			return keep(why)
		}
		pkg.Via = via
	}
	if len(pkg.Via) == 0 {
		return keep("the lockfile does not say which direct dependency pulls " + pkg.Name + " in")
	}
	if len(pkg.Via) > 1 {
		names := make([]string, 0, len(pkg.Via))
		for _, v := range pkg.Via {
			names = append(names, v.Name)
		}
		return keep(fmt.Sprintf("%d direct dependencies pull %s in (%s): one upgrade cannot fix every path", len(pkg.Via), pkg.Name, strings.Join(names, ", ")))
	}
	par := pkg.Via[0]
	if par.Version == "" {
		return keep("the version of " + par.Name + ", which pulls " + pkg.Name + " in, is unknown")
	}
	cl, err := p.Registry.Client(pkg.Ecosystem)
	if err != nil {
		return keep(err.Error())
	}
	pp, err := cl.Package(ctx, par.Name)
	if err != nil {
		return keep(fmt.Sprintf("the releases of %s could not be read from the mirror (%v)", par.Name, err))
	}
	pre := prerelease(pkg.Ecosystem, par.Version)
	var cands []string
	for _, v := range pp.Versions {
		if v.Yanked || (!pre && (v.Prerelease || prerelease(pkg.Ecosystem, v.Version))) {
			continue
		}
		if cv.compare(pkg.Ecosystem, v.Version, par.Version) > 0 && major(pkg.Ecosystem, v.Version) == major(pkg.Ecosystem, par.Version) {
			cands = append(cands, v.Version)
		}
	}
	slices.SortFunc(cands, func(a, b string) int { return cv.compare(pkg.Ecosystem, a, b) })
	if len(cands) == 0 {
		return keep(fmt.Sprintf("the mirror has no later release of %s %s in its major line", par.Name, par.Version))
	}
	// A parent release may not bring a vulnerability its current version
	// does not already have (an unfixed advisory of the parent is no
	// reason to keep the child vulnerable).
	parentVulns := func(v string) (map[string]bool, error) {
		q := pkg
		q.Name, q.Version, q.Via, q.Relation = par.Name, v, nil, inventory.RelationDirect
		fs, err := p.Matcher.Match(ctx, q)
		if err != nil {
			return nil, err
		}
		ids := map[string]bool{}
		for _, f := range fs {
			if f.Kind == finding.KindVulnerability {
				ids[f.ID] = true
			}
		}
		return ids, nil
	}
	had, err := parentVulns(par.Version)
	if err != nil {
		return err
	}
	parentClean := func(v string) (bool, error) {
		ids, err := parentVulns(v)
		if err != nil {
			return false, err
		}
		for id := range ids {
			if !had[id] {
				return false, nil
			}
		}
		return true, nil
	}
	use := func(v, how string) {
		c.Method, c.Override = MethodParent, ""
		c.Parent = &inventory.Ref{Name: par.Name, Version: par.Version}
		c.ParentTo = v
		c.Reason += fmt.Sprintf("; fixed through the direct dependency that pulls it in: %s %s → %s, which %s", par.Name, par.Version, v, how)
	}
	switch pkg.Ecosystem {
	case inventory.NPM:
		d, ok := cl.(npmDependencies)
		if !ok {
			return keep("the mirror client does not read npm dependencies")
		}
		deps, err := d.Dependencies(ctx, par.Name)
		if err != nil {
			return keep(fmt.Sprintf("the dependencies of %s's releases could not be read from the mirror (%v)", par.Name, err))
		}
		rel := parseNPMReleases(rp)
		for _, v := range cands {
			rng, ok := deps[v][pkg.Name]
			if !ok {
				continue
			}
			lo, hi := npmResolve(rel, rng)
			if lo == "" || cv.compare(pkg.Ecosystem, lo, c.To) < 0 {
				continue
			}
			if ok, err := p.clean(ctx, pkg, hi); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			if ok, err := parentClean(v); err != nil || !ok {
				if err != nil {
					return err
				}
				continue
			}
			use(v, fmt.Sprintf("depends on %s %q: %s to %s on the mirror, none affected", pkg.Name, rng, lo, hi))
			return nil
		}
		return keep(fmt.Sprintf("no later release of %s %s in its major line on the mirror requires %s %s or later", par.Name, par.Version, pkg.Name, c.To))
	case inventory.Go:
		g, ok := cl.(goRequires)
		if !ok {
			return keep("the mirror client does not read go.mod requirements")
		}
		// Releases raise their requirements over time: the lowest release
		// that requires the target or later is found by bisection, then
		// releases from there are read in order until one qualifies.
		probes := 0
		var readErr error
		requires := func(v string) string {
			probes++
			reqs, err := g.Requires(ctx, par.Name, v)
			if err != nil {
				if !errors.Is(err, registry.ErrNotFound) && readErr == nil {
					readErr = fmt.Errorf("the go.mod of %s %s could not be read from the mirror (%v)", par.Name, v, err)
				}
				return ""
			}
			for _, r := range reqs {
				if r.Path == pkg.Name {
					return r.Version
				}
			}
			return ""
		}
		enough := func(v string) bool { r := requires(v); return r != "" && cv.compare(pkg.Ecosystem, r, c.To) >= 0 }
		first, _ := slices.BinarySearchFunc(cands, true, func(v string, _ bool) int {
			if enough(v) {
				return 1
			}
			return -1
		})
		if readErr != nil {
			return keep(readErr.Error())
		}
		for _, v := range cands[first:] {
			if probes >= maxParentProbes {
				return keep(fmt.Sprintf("no release of %s read (%d go.mod files) requires a fixed %s not affected itself", par.Name, probes, pkg.Name))
			}
			req := requires(v)
			if readErr != nil {
				return keep(readErr.Error())
			}
			if req == "" || cv.compare(pkg.Ecosystem, req, c.To) < 0 {
				continue
			}
			ok, err := p.clean(ctx, pkg, req)
			if err != nil {
				return err
			}
			pok, err := parentClean(v)
			if err != nil {
				return err
			}
			if ok && pok {
				use(v, fmt.Sprintf("requires %s %s (go.mod on the mirror)", pkg.Name, req))
				return nil
			}
		}
		return keep(fmt.Sprintf("no later release of %s %s in its major line on the mirror requires %s %s or later", par.Name, par.Version, pkg.Name, c.To))
	}
	return keep("airlock reads parents' requirements for npm and Go only")
}

// goParents finds the direct modules of pkg's go.mod (in Root) whose own
// go.mod, at the required version, requires pkg: the parent when there is
// exactly one; else why none is used.
func (p *Planner) goParents(ctx context.Context, pkg inventory.Package) ([]inventory.Ref, string) {
	if p.Root == "" || path.Base(pkg.Location.Path) != "go.mod" {
		return nil, "go.mod records no dependency edges, so the module that pulls " + pkg.Name + " in is not known"
	}
	r, err := os.OpenRoot(p.Root)
	if err != nil {
		return nil, err.Error()
	}
	defer r.Close()
	b, err := r.ReadFile(filepath.FromSlash(pkg.Location.Path))
	if err != nil {
		return nil, fmt.Sprintf("%s could not be read (%v)", pkg.Location.Path, err)
	}
	f, err := modfile.ParseLax(pkg.Location.Path, b, nil)
	if err != nil {
		return nil, fmt.Sprintf("%s: %v", pkg.Location.Path, err)
	}
	cl, err := p.Registry.Client(inventory.Go)
	if err != nil {
		return nil, err.Error()
	}
	g, ok := cl.(goRequires)
	if !ok {
		return nil, "the mirror client does not read go.mod requirements"
	}
	var direct []inventory.Ref
	for _, req := range f.Require {
		if req.Indirect || req.Mod.Path == pkg.Name {
			continue
		}
		if len(direct) == maxDirectProbes {
			return nil, fmt.Sprintf("%s has more than %d direct requirements: their go.mod files were not all read", pkg.Location.Path, maxDirectProbes)
		}
		direct = append(direct, inventory.Ref{Name: req.Mod.Path, Version: req.Mod.Version})
	}
	// Their go.mod files are read several at once (the registry bounds
	// the requests in flight), each once per run thanks to its cache.
	pulls := make([]bool, len(direct))
	workers := p.Workers
	if workers <= 0 {
		workers = 8
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(direct)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reqs, err := g.Requires(ctx, direct[i].Name, direct[i].Version)
				if err != nil {
					continue
				}
				for _, x := range reqs {
					if x.Path == pkg.Name {
						pulls[i] = true
						break
					}
				}
			}
		}()
	}
	for i := range direct {
		next <- i
	}
	close(next)
	wg.Wait()
	var via []inventory.Ref
	for i, d := range direct {
		if pulls[i] {
			via = append(via, d)
		}
	}
	if len(via) == 0 {
		return nil, "no direct requirement's go.mod on the mirror requires " + pkg.Name + " itself (it comes from deeper)"
	}
	return via, ""
}

// maxDirectProbes bounds the direct requirements of a go.mod whose own
// go.mod is read when looking for an indirect module's parent.
const maxDirectProbes = 200

// npmReleases are a package's releases on the mirror parsed once as npm
// versions, for evaluating the ranges of its parent's releases.
type npmReleases struct {
	names []string
	vers  []*semver.Version
}

func parseNPMReleases(rp *registry.Package) npmReleases {
	var r npmReleases
	for _, v := range rp.Versions {
		if v.Yanked {
			continue
		}
		sv, err := semver.StrictNewVersion(strings.TrimPrefix(v.Version, "v"))
		if err != nil {
			continue
		}
		r.names = append(r.names, v.Version)
		r.vers = append(r.vers, sv)
	}
	return r
}

// npmResolve returns the lowest and highest releases that an npm
// dependency range admits; "" when the range does not parse or admits
// none.
func npmResolve(rel npmReleases, rng string) (lo, hi string) {
	con, err := semver.NewConstraint(strings.TrimSpace(rng))
	if err != nil {
		return "", ""
	}
	var l, h *semver.Version
	for i, sv := range rel.vers {
		if !con.Check(sv) {
			continue
		}
		if l == nil || sv.LessThan(l) {
			l, lo = sv, rel.names[i]
		}
		if h == nil || sv.GreaterThan(h) {
			h, hi = sv, rel.names[i]
		}
	}
	return lo, hi
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
