// Package risk is the "risk" analyzer: package operational risk. Offline,
// from the imported data and the tree alone: known malicious packages (OSV
// MAL- records, critical), unmaintained crates (RustSec informational
// advisories), dependencies taken from a VCS, an archive URL or a local
// path instead of a registry, and manifests without a lockfile. From the
// site's mirror (internal/registry): deprecated packages (npm, Go,
// Packagist), retracted Go versions, yanked versions (PyPI, crates.io), no
// release for a long time, two or more majors behind the latest, and
// outdated (a newer release in the same major for a while). Each finding
// names its evidence; a signal that cannot be judged (no mirror, a mirror
// that does not answer, no data) is a notice saying so, never a pass.
package risk

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/osv-scalibr/semantic"
	"golang.org/x/mod/semver"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/registry"
	"github.com/airlock-sec/airlock/internal/vuln"
)

// Analyzer reports package operational risk.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "risk" }

// Needs implements analyzer.Analyzer: the packages. Vulnerability data and
// mirrors are used when present; the signals that need them are reported
// as unknown otherwise.
func (*Analyzer) Needs() []analyzer.Need { return []analyzer.Need{analyzer.NeedPackages} }

// lockfiles lists, per manifest, the lockfiles that pin its dependencies
// (beside it, or above it for workspaces).
var lockfiles = map[string][]string{
	"package.json":   {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock", "bun.lockb"},
	"Cargo.toml":     {"Cargo.lock"},
	"pyproject.toml": {"poetry.lock", "uv.lock", "pdm.lock", "pylock.toml"},
	"Pipfile":        {"Pipfile.lock"},
	"Gemfile":        {"Gemfile.lock"},
	"gems.rb":        {"gems.locked"},
	"composer.json":  {"composer.lock"},
	"go.mod":         {"go.sum"},
}

// isLockfile reports whether a base name is one of the lockfiles above.
func isLockfile(base string) bool {
	for _, ls := range lockfiles {
		for _, l := range ls {
			if l == base {
				return true
			}
		}
	}
	return false
}

// FileRequired implements analyzer.Analyzer: manifests and lockfiles, to
// find manifests without a lockfile.
func (*Analyzer) FileRequired(p string) bool {
	b := path.Base(p)
	_, manifest := lockfiles[b]
	return manifest || isLockfile(b)
}

// declares says whether a manifest declares dependencies at all (a
// pyproject.toml may configure tools only, a go.mod require nothing).
var declares = map[string]*regexp.Regexp{
	"package.json":   regexp.MustCompile(`"(dependencies|devDependencies|optionalDependencies)"\s*:\s*\{\s*"`),
	"pyproject.toml": regexp.MustCompile(`(?m)^\s*(dependencies\s*=\s*\[\s*["']|\[tool\.poetry\.dependencies\]|\[project\.optional-dependencies\])`),
	"go.mod":         regexp.MustCompile(`(?m)^\s*require\b`),
	"Cargo.toml":     regexp.MustCompile(`(?m)^\s*\[(.*\.)?(dependencies|dev-dependencies)\]\s*\n\s*[A-Za-z_]`),
}

// maxManifest bounds a manifest read for the lockfile check.
const maxManifest = 4 << 20

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, in *analyzer.Input) (*analyzer.Output, error) {
	var pol = in.Repo
	settings := DefaultSettings()
	if pol != nil {
		var err error
		if settings, err = Load(pol.Policy); err != nil {
			return nil, err
		}
	}
	out := &analyzer.Output{}
	r := &run{in: in, s: settings, out: out, now: in.Now}
	if r.now.IsZero() {
		r.now = time.Now()
	}
	r.noLockfile()
	r.sources()
	if err := r.advisories(ctx); err != nil {
		return nil, err
	}
	r.mirrors(ctx)
	return out, nil
}

type run struct {
	in  *analyzer.Input
	s   Settings
	out *analyzer.Output
	now time.Time
}

// add appends a finding of rule about a package.
func (r *run) add(rule string, p inventory.Package, title, evidence string) {
	pkg := p
	r.out.Findings = append(r.out.Findings, finding.Finding{
		Kind:        finding.KindRisk,
		ID:          "risk/" + rule,
		Severity:    r.s.Severity[rule],
		Title:       title,
		Location:    finding.Location{Path: p.Location.Path, StartLine: p.Location.Line},
		Package:     &pkg,
		Evidence:    evidence,
		Fingerprint: finding.Fingerprint(string(finding.KindRisk), p.Location.Path, p.Ecosystem, inventory.NormalizeName(p.Ecosystem, p.Name), "risk/"+rule),
	})
}

// noLockfile reports manifests that declare dependencies with no lockfile
// beside them or in a directory above.
func (r *run) noLockfile() {
	present := map[string]bool{}
	for _, f := range r.in.Files {
		present[f] = true
	}
	for _, f := range r.in.Files {
		base := path.Base(f)
		locks, ok := lockfiles[base]
		if !ok {
			continue
		}
		if locked(present, path.Dir(f), locks) {
			continue
		}
		if re := declares[base]; re != nil && r.in.Tree != nil {
			b, err := r.in.Tree.ReadFile(f, maxManifest)
			if err != nil || !re.Match(b) {
				continue
			}
		}
		rule := "no-lockfile"
		r.out.Findings = append(r.out.Findings, finding.Finding{
			Kind:        finding.KindRisk,
			ID:          "risk/" + rule,
			Severity:    r.s.Severity[rule],
			Title:       fmt.Sprintf("%s has no lockfile: every install may resolve other versions", base),
			Location:    finding.Location{Path: f},
			Evidence:    fmt.Sprintf("no %s beside it or in a directory above", orList(locks)),
			Fingerprint: finding.Fingerprint(string(finding.KindRisk), f, "risk/"+rule),
		})
	}
}

func locked(present map[string]bool, dir string, locks []string) bool {
	for {
		for _, l := range locks {
			if present[path.Join(dir, l)] {
				return true
			}
		}
		if dir == "." || dir == "/" || dir == "" {
			return false
		}
		dir = path.Dir(dir)
	}
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// sources reports packages from a VCS, an archive URL or a local path.
func (r *run) sources() {
	for _, m := range r.in.Manifests {
		for _, p := range m.Packages {
			if p.Source == nil {
				continue
			}
			switch p.Source.Type {
			case inventory.SourceGit:
				ev := "source " + p.Source.URL
				if p.Source.Commit != "" {
					ev += " at commit " + p.Source.Commit
				} else if p.Source.Ref != "" {
					ev += " at " + p.Source.Ref + " (a branch or tag may move)"
				}
				r.add("vcs-source", p, fmt.Sprintf("%s is taken from a VCS repository, not a registry", p.Name), where(p)+ev)
			case inventory.SourceURL:
				r.add("url-source", p, fmt.Sprintf("%s is downloaded from a URL, not a registry", p.Name), where(p)+"source "+p.Source.URL)
			case inventory.SourcePath:
				r.add("path-source", p, fmt.Sprintf("%s is taken from a local path, not a registry", p.Name), where(p)+"source path "+p.Source.Path)
			}
		}
	}
}

// where renders a package's lockfile line for evidence.
func where(p inventory.Package) string {
	if p.Location.Line > 0 {
		return fmt.Sprintf("%s:%d: ", p.Location.Path, p.Location.Line)
	}
	return p.Location.Path + ": "
}

// advisories matches the packages against the imported data's MAL- records
// and informational advisories.
func (r *run) advisories(ctx context.Context) error {
	if r.in.Env == nil || r.in.Env.VulnDB == nil {
		if len(r.registryPackages()) > 0 {
			r.notice(analyzer.NoticeWarning, "known-malicious and unmaintained package signals are unknown: no vulnerability data is imported (import OSV MAL- records, such as ossf/malicious-packages' osv/malicious/<ecosystem> sets, and the RustSec data with 'airlock db import')")
		}
		return nil
	}
	m := vuln.NewMatcher(r.in.Env.VulnDB)
	var all []inventory.Package
	for _, man := range r.in.Manifests {
		all = append(all, man.Packages...)
	}
	if err := m.Prefetch(ctx, all, runtime.GOMAXPROCS(0)); err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	for _, man := range r.in.Manifests {
		for _, p := range man.Packages {
			if p.Source != nil && p.Source.Type == inventory.SourcePath {
				continue
			}
			fs, err := m.Match(ctx, p)
			if err != nil {
				return fmt.Errorf("risk: %s: %w", man.Path, err)
			}
			for _, f := range fs {
				if f.Kind == finding.KindRisk {
					r.out.Findings = append(r.out.Findings, f)
				}
			}
		}
	}
	return nil
}

func (r *run) notice(level analyzer.NoticeLevel, msg string) {
	r.out.Notices = append(r.out.Notices, analyzer.Notice{Level: level, Message: msg})
}

// registryPackages are the pinned packages that come from a registry.
func (r *run) registryPackages() []inventory.Package {
	var out []inventory.Package
	for _, m := range r.in.Manifests {
		for _, p := range m.Packages {
			if p.Pinned() && (p.Source == nil || p.Source.Type == inventory.SourceRegistry) && !toolchain(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// mirrorWorkers bounds the lookups started at once; the Set bounds the
// requests in flight.
const mirrorWorkers = 32

// mirrors asks each ecosystem's mirror about the packages and judges the
// signals that need it.
func (r *run) mirrors(ctx context.Context) {
	pkgs := r.registryPackages()
	var set *registry.Set
	if r.in.Env != nil {
		set = r.in.Env.Registries
	}
	// Unique names per ecosystem; ecosystems without a mirror are
	// counted for one notice each.
	var keys []registry.Ref
	seen := map[registry.Ref]bool{}
	noMirror := map[string]int{}
	noMirrorErr := map[string]error{}
	for _, p := range pkgs {
		k := registry.Ref{Ecosystem: p.Ecosystem, Name: p.Name}
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, err := set.Client(p.Ecosystem); err != nil {
			noMirror[p.Ecosystem]++
			noMirrorErr[p.Ecosystem] = err
			continue
		}
		keys = append(keys, k)
	}
	for _, eco := range sortedKeys(noMirror) {
		if registry.KeyOf(eco) == "" {
			continue // NuGet and others: no client, no signal to promise
		}
		r.notice(analyzer.NoticeWarning, fmt.Sprintf("risk: deprecated, yanked, last-release, majors-behind and outdated signals are unknown for %d %s %s: %v",
			noMirror[eco], eco, plural(noMirror[eco], "package", "packages"), noMirrorErr[eco]))
	}
	results := set.Packages(ctx, keys, mirrorWorkers, func(done, total int) { r.in.Progress(analyzer.Progress{Stage: "risk", Done: done, Total: total}) })
	failed := map[string][]string{}
	firstErr := map[string]error{}
	missing := map[string][]string{}
	stale := map[string]*registry.Package{}
	for _, k := range keys {
		l := results[k]
		switch {
		case errors.Is(l.Err, registry.ErrNotFound):
			missing[k.Ecosystem] = append(missing[k.Ecosystem], k.Name)
		case l.Err != nil:
			if firstErr[k.Ecosystem] == nil {
				firstErr[k.Ecosystem] = l.Err
			}
			failed[k.Ecosystem] = append(failed[k.Ecosystem], k.Name)
		case l.Package.Stale:
			stale[k.Ecosystem] = l.Package
		}
	}
	for _, eco := range sortedKeys(failed) {
		r.notice(analyzer.NoticeWarning, fmt.Sprintf("risk: registry signals are unknown for %d %s %s (%s): the mirror did not answer: %v",
			len(failed[eco]), eco, plural(len(failed[eco]), "package", "packages"), joinSome(failed[eco], 5), firstErr[eco]))
	}
	for _, eco := range sortedKeys(missing) {
		r.notice(analyzer.NoticeWarning, fmt.Sprintf("risk: %d %s %s not on the mirror, so not judged: %s",
			len(missing[eco]), eco, plural(len(missing[eco]), "package is", "packages are"), joinSome(missing[eco], 5)))
	}
	for _, eco := range sortedKeys(stale) {
		r.notice(analyzer.NoticeInfo, fmt.Sprintf("risk: the %s mirror did not answer; cached responses were used (fetched %s)", eco, stale[eco].Fetched.UTC().Format(time.DateOnly)))
	}
	undated := map[string]int{}
	for _, p := range pkgs {
		l, ok := results[registry.Ref{Ecosystem: p.Ecosystem, Name: p.Name}]
		if !ok || l.Err != nil {
			continue
		}
		if !r.judge(ctx, set, p, l.Package) {
			undated[p.Ecosystem]++
		}
	}
	for _, eco := range sortedKeys(undated) {
		r.notice(analyzer.NoticeInfo, fmt.Sprintf("risk: the %s mirror records no release dates for %d %s: last-release and outdated signals are unknown for them",
			eco, undated[eco], plural(undated[eco], "package", "packages")))
	}
}

// judge applies the registry signals to one package; false when the
// mirror gives no dates to judge the time-based ones by.
func (r *run) judge(ctx context.Context, set *registry.Set, p inventory.Package, info *registry.Package) bool {
	src := "mirror " + info.URL
	ver, listed := info.Find(p.Version)
	switch {
	case ver.Deprecated != "":
		r.add("deprecated", p, fmt.Sprintf("%s %s is deprecated: %s", p.Name, p.Version, firstLine(ver.Deprecated)),
			fmt.Sprintf("%s: versions[%q].deprecated", src, p.Version))
	case info.Deprecated != "":
		r.add("deprecated", p, fmt.Sprintf("%s is deprecated: %s", p.Name, firstLine(info.Deprecated)),
			fmt.Sprintf("%s: %s", src, deprecationField(p.Ecosystem, info.Latest)))
	}
	if !listed && p.Ecosystem == inventory.Go {
		// A pseudo-version is not listed, but retractions cover it.
		ver.YankedReason, ver.Yanked = registry.Retracted(info.Retract, p.Version)
		listed = ver.Yanked
	}
	if listed && ver.Yanked {
		rule, what, field := "yanked", "yanked", "yanked"
		if p.Ecosystem == inventory.Go {
			rule, what, field = "retracted", "retracted", fmt.Sprintf("retract in the go.mod of %s", info.Latest)
		}
		msg := fmt.Sprintf("%s %s is %s", p.Name, p.Version, what)
		if ver.YankedReason != "" {
			msg += ": " + firstLine(ver.YankedReason)
		}
		r.add(rule, p, msg, fmt.Sprintf("%s: %s", src, field))
	}
	latest := r.latest(p.Ecosystem, info)
	if latest.Version == "" {
		return true
	}
	dated := true
	if latest.Published.IsZero() {
		dated = false
	} else if age := r.now.Sub(latest.Published); age > r.s.NoReleaseFor {
		r.add("no-release", p, fmt.Sprintf("%s has had no release for %s (latest %s, %s)", p.Name, years(age), latest.Version, latest.Published.Format(time.DateOnly)),
			fmt.Sprintf("%s: release date of %s", src, latest.Version))
	}
	cmp, ok := comparer(p.Ecosystem, p.Version)
	if !ok {
		return dated
	}
	if p.Ecosystem != inventory.Go {
		// Go puts a new major in a new module path: its latest is
		// always of the same major.
		if lm, ok := major(latest.Version); ok {
			// Calendar versions (2024.1) count years, not majors.
			if cm, ok := major(p.Version); ok && lm < 1000 && lm-cm >= r.s.MajorsBehind {
				r.add("majors-behind", p, fmt.Sprintf("%s %s is %d majors behind the latest, %s", p.Name, p.Version, lm-cm, latest.Version),
					fmt.Sprintf("%s: latest %s", src, latest.Version))
			}
		}
	}
	// Outdated: the newest release of the same major above this one, out
	// for longer than OutdatedAfter.
	cm, ok := major(p.Version)
	if !ok {
		return dated
	}
	var best registry.Version
	for _, v := range info.Versions {
		if m, ok := major(v.Version); !ok || m != cm || v.Yanked || r.prerelease(p.Ecosystem, v) {
			continue
		}
		if c, ok := cmp(v.Version); !ok || c <= 0 {
			continue
		}
		if best.Version != "" {
			if c, ok := compare(p.Ecosystem, v.Version, best.Version); !ok || c <= 0 {
				continue
			}
		}
		best = v
	}
	if best.Version == "" {
		return dated
	}
	if best.Published.IsZero() && p.Ecosystem == inventory.Go {
		if c, err := set.Client(inventory.Go); err == nil {
			if gp, ok := c.(*registry.GoProxy); ok {
				best.Published, _ = gp.ReleaseTime(ctx, p.Name, best.Version)
			}
		}
	}
	if best.Published.IsZero() {
		return false
	}
	if age := r.now.Sub(best.Published); age > r.s.OutdatedAfter {
		r.add("outdated", p, fmt.Sprintf("%s %s is outdated: %s has been out since %s", p.Name, p.Version, best.Version, best.Published.Format(time.DateOnly)),
			fmt.Sprintf("%s: release date of %s", src, best.Version))
	}
	return dated
}

func deprecationField(eco, latest string) string {
	switch eco {
	case inventory.Go:
		return fmt.Sprintf("\"// Deprecated:\" comment in the go.mod of %s", latest)
	case inventory.Packagist:
		return "abandoned"
	}
	return "deprecated"
}

// comparer returns a function comparing versions with v (above 0: the
// version is newer); false when v does not parse. Semver ecosystems use
// golang.org/x/mod/semver (no allocation per call); the others the OSV
// orderings.
func comparer(eco, v string) (func(string) (int, bool), bool) {
	if sv, ok := semverOf(eco, v); ok {
		return func(w string) (int, bool) {
			sw, ok := semverOf(eco, w)
			return semver.Compare(sw, sv), ok
		}, true
	}
	cur, err := semantic.Parse(v, eco)
	if err != nil {
		return nil, false
	}
	return func(w string) (int, bool) {
		pw, err := semantic.Parse(w, eco)
		if err != nil {
			return 0, false
		}
		c, err := pw.Compare(cur)
		return c, err == nil
	}, true
}

// compare compares two versions of an ecosystem.
func compare(eco, a, b string) (int, bool) {
	c, ok := comparer(eco, b)
	if !ok {
		return 0, false
	}
	return c(a)
}

// semverOf returns v as x/mod/semver takes it, for ecosystems whose
// versions are semantic versions.
func semverOf(eco, v string) (string, bool) {
	switch eco {
	case inventory.NPM, inventory.CratesIO:
		v = "v" + v
	case inventory.Go:
	default:
		return "", false
	}
	return v, semver.IsValid(v)
}

// latest is the registry's latest release, else the highest release
// listed.
func (r *run) latest(eco string, info *registry.Package) registry.Version {
	if info.Latest != "" {
		if v, ok := info.Find(info.Latest); ok {
			return v
		}
	}
	var best registry.Version
	var bestV semantic.Version
	for _, v := range info.Versions {
		if v.Yanked || r.prerelease(eco, v) {
			continue
		}
		pv, err := semantic.Parse(v.Version, eco)
		if err != nil {
			continue
		}
		if bestV != nil {
			if c, err := pv.Compare(bestV); err != nil || c <= 0 {
				continue
			}
		}
		best, bestV = v, pv
	}
	return best
}

var prereleaseWords = regexp.MustCompile(`(?i)(alpha|beta|rc|dev|pre|snapshot|preview|canary|next|nightly|milestone|[.-]m\d|\d(a|b|c)\d)`)

// prerelease reports whether a version is a prerelease: the registry's
// flag; for semver ecosystems a hyphen before any build metadata; for
// the others the usual words ("rc", "beta", PEP 440's "1.0a1").
func (r *run) prerelease(eco string, v registry.Version) bool {
	if v.Prerelease {
		return true
	}
	switch eco {
	case inventory.NPM, inventory.Go, inventory.CratesIO, inventory.Packagist:
		s := v.Version
		if i := strings.IndexByte(s, '+'); i >= 0 {
			s = s[:i]
		}
		return strings.IndexByte(s, '-') >= 0
	}
	return prereleaseWords.MatchString(v.Version)
}

// major is the leading number of a version ("v1.2.3", "2.0", "1!2.0" has
// an epoch and none).
func major(v string) (int, bool) {
	v = strings.TrimPrefix(v, "v")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	if end == 0 || end < len(v) && v[end] == '!' {
		return 0, false
	}
	n, err := strconv.Atoi(v[:end])
	return n, err == nil
}

func years(d time.Duration) string {
	y := float64(d) / float64(Year)
	if y >= 1 {
		return fmt.Sprintf("%.1f years", y)
	}
	return fmt.Sprintf("%d days", int(d/Day))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
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

func joinSome(names []string, max int) string {
	sort.Strings(names)
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

// toolchain reports whether a package is Go's standard library or
// toolchain (gomod's "stdlib" and "toolchain"), which no module proxy
// serves.
func toolchain(p inventory.Package) bool {
	return p.Ecosystem == inventory.Go && (p.Name == "stdlib" || p.Name == "toolchain")
}
