package vuln

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// Source is where records come from; *vulndb.DB is one.
type Source interface {
	// Query returns the records naming the package (name normalised by the
	// source).
	Query(ctx context.Context, ecosystem, name string) ([]*osv.Vulnerability, error)
	// Names returns every normalised package name with records in an
	// ecosystem.
	Names(ctx context.Context, ecosystem string) (map[string]bool, error)
}

// Matcher matches packages against a Source. It caches per scan: create
// one per scan. Match is not safe for concurrent use; Prefetch fills the
// cache from several goroutines.
type Matcher struct {
	src      Source
	names    map[string]map[string]bool
	records  map[[2]string][]*osv.Vulnerability
	compiled map[[2]string]*pkgRecords
	versions versions
}

// Prefetch loads the records of every package that has any, on up to
// workers goroutines (Source must be safe for concurrent use), so that
// Match then runs from memory.
func (m *Matcher) Prefetch(ctx context.Context, pkgs []inventory.Package, workers int) error {
	var keys [][2]string
	seen := map[[2]string]bool{}
	for _, p := range pkgs {
		if !p.Pinned() {
			continue
		}
		if _, ok := m.names[p.Ecosystem]; !ok {
			names, err := m.src.Names(ctx, p.Ecosystem)
			if err != nil {
				return err
			}
			m.names[p.Ecosystem] = names
		}
		k := [2]string{p.Ecosystem, inventory.NormalizeName(p.Ecosystem, p.Name)}
		if _, cached := m.records[k]; seen[k] || cached || !m.names[k[0]][k[1]] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	results := make([][]*osv.Vulnerability, len(keys))
	errs := make([]error, len(keys))
	next := make(chan int)
	done := make(chan struct{})
	for w := 0; w < max(1, min(workers, len(keys))); w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range next {
				results[i], errs[i] = m.src.Query(ctx, keys[i][0], keys[i][1])
			}
		}()
	}
	for i := range keys {
		next <- i
	}
	close(next)
	for w := 0; w < max(1, min(workers, len(keys))); w++ {
		<-done
	}
	for i, k := range keys {
		if errs[i] != nil {
			return errs[i]
		}
		m.records[k] = results[i]
	}
	return nil
}

// NewMatcher returns a matcher over src.
func NewMatcher(src Source) *Matcher {
	return &Matcher{src: src, names: map[string]map[string]bool{}, records: map[[2]string][]*osv.Vulnerability{},
		compiled: map[[2]string]*pkgRecords{}, versions: versions{}}
}

// lookup returns the package's records prepared for matching, nil when it
// has none.
func (m *Matcher) lookup(ctx context.Context, eco, norm string) (*pkgRecords, error) {
	k := [2]string{eco, norm}
	if pr, ok := m.compiled[k]; ok {
		return pr, nil
	}
	rs, err := m.recordsOf(ctx, eco, norm)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	pr := compile(m.versions, eco, norm, rs)
	m.compiled[k] = pr
	return pr, nil
}

func (m *Matcher) recordsOf(ctx context.Context, eco, norm string) ([]*osv.Vulnerability, error) {
	names, ok := m.names[eco]
	if !ok {
		var err error
		if names, err = m.src.Names(ctx, eco); err != nil {
			return nil, err
		}
		m.names[eco] = names
	}
	if !names[norm] {
		return nil, nil
	}
	k := [2]string{eco, norm}
	if rs, ok := m.records[k]; ok {
		return rs, nil
	}
	rs, err := m.src.Query(ctx, eco, norm)
	if err != nil {
		return nil, err
	}
	m.records[k] = rs
	return rs, nil
}

// Malicious is the informational kind of an OSV MAL- record (a known
// malicious package, as ossf/malicious-packages publishes them): a risk
// finding of critical severity, not a vulnerability.
const Malicious = "malicious"

// Match returns the findings for one package: one per vulnerability, with
// the records of one advisory in several databases merged (records of one
// database are distinct advisories and never merged). Informational
// advisories (RustSec's unmaintained and unsound notices) become risk
// findings of severity info, and MAL- records risk findings of severity
// critical. Unpinned packages match nothing.
//
// A finding whose records carry no rating takes one from another record of
// the same advisory about the package (a GHSA record beside a PYSEC or GO
// one), even when that record's ranges do not match; the finding's
// SeveritySource says where its rating came from.
func (m *Matcher) Match(ctx context.Context, p inventory.Package) ([]finding.Finding, error) {
	if !p.Pinned() {
		return nil, nil
	}
	norm := inventory.NormalizeName(p.Ecosystem, p.Name)
	pr, err := m.lookup(ctx, p.Ecosystem, norm)
	if err != nil || pr == nil {
		return nil, err
	}
	v := m.versions.version(p.Ecosystem, p.Version)
	marked := pr.markListed(m.versions, v)
	defer func() {
		for _, id := range marked {
			pr.hit[id] = false
		}
	}()
	var hits []hit
	for _, cr := range pr.recs {
		h := hit{rec: cr.rec, sev: finding.Unknown}
		matched := false
		for i := range cr.entries {
			e := &cr.entries[i]
			if !e.affects(v, pr.hit[e.id]) {
				continue
			}
			matched = true
			if e.info != "" {
				h.info = e.info
			}
			if higher(e.sev, h.sev) {
				h.sev, h.via = e.sev, e.via
			}
			h.cvss = append(h.cvss, e.cvss...)
			h.fixed = append(h.fixed, e.fixedAbove(v)...)
		}
		if matched {
			if strings.HasPrefix(cr.rec.ID, "MAL-") {
				h.info = Malicious
			}
			hits = append(hits, h)
		}
	}
	return m.merge(p, pr, hits), nil
}

type hit struct {
	rec   *osv.Vulnerability
	sev   finding.Severity
	via   string // how sev was read from rec: "cvss_v3.1", "database_specific", ...
	cvss  []finding.CVSS
	fixed []string
	info  string // the informational kind, for advisories that are not vulnerabilities
}

// merge groups the hits of one advisory into one finding each;
// informational advisories are kept apart from vulnerabilities. Unrated
// findings look for a rating in all the package's records.
func (m *Matcher) merge(p inventory.Package, pr *pkgRecords, hits []hit) []finding.Finding {
	var vulns, infos []hit
	for _, h := range hits {
		if h.info != "" {
			infos = append(infos, h)
		} else {
			vulns = append(vulns, h)
		}
	}
	norm := pr.norm
	var out []finding.Finding
	for _, g := range group(vulns) {
		f := m.build(p, pr, g)
		if f.Severity == finding.Unknown {
			pr.rateFromAliases(&f, g)
		}
		out = append(out, f)
	}
	// A CVE names the fingerprint only when it belongs to one finding of
	// the package: distinct advisories of one database may list the same
	// CVE (RUSTSEC-2024-0339 and -0340).
	cves := map[string]int{}
	for i := range out {
		cves[stableID(out[i])]++
	}
	for i := range out {
		id := stableID(out[i])
		if cves[id] > 1 {
			id = out[i].ID
		}
		out[i].Fingerprint = finding.Fingerprint(string(finding.KindVulnerability), p.Location.Path, p.Ecosystem, norm, id)
	}
	for _, h := range infos {
		f := m.build(p, pr, []hit{h})
		f.Kind = finding.KindRisk
		f.Severity = finding.Info
		f.SeveritySource = "informational"
		if h.info == Malicious {
			f.Severity, f.SeveritySource = finding.Critical, "malicious"
			f.Evidence = "OSV record " + h.rec.ID + ": every version listed or in range is malicious"
		}
		f.CVSS = nil
		f.Title = h.info + ": " + f.Title
		f.Fingerprint = finding.Fingerprint(string(finding.KindRisk), p.Location.Path, p.Ecosystem, norm, f.ID)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// database is the advisory database an id belongs to: its prefix ("GHSA",
// "PYSEC", "RUSTSEC", "CVE").
func database(id string) string {
	db, _, _ := strings.Cut(id, "-")
	return db
}

// sameAdvisory reports whether two records describe one advisory: they come
// from different databases, and one names the other or they share an
// alias. Two records of one database are two advisories, whatever aliases
// they share (RUSTSEC-2026-0024 and -0025 both list GHSA-435g-fcv3-8j26).
func sameAdvisory(a, b *osv.Vulnerability) bool {
	if database(a.ID) == database(b.ID) {
		return false
	}
	if slices.Contains(a.Aliases, b.ID) || slices.Contains(b.Aliases, a.ID) {
		return true
	}
	for _, x := range a.Aliases {
		if slices.Contains(b.Aliases, x) {
			return true
		}
	}
	return false
}

// group puts each hit with the hits of the same advisory, primary ids
// first. A record that matches two groups (a GHSA record that two RustSec
// advisories both name) joins both rather than folding them together; a
// group never holds two records of one database.
func group(hits []hit) [][]hit {
	sort.SliceStable(hits, func(i, j int) bool { return idLess(hits[i].rec.ID, hits[j].rec.ID) })
	var groups [][]hit
	for _, h := range hits {
		joined := false
		for gi, g := range groups {
			fits, linked := true, false
			for _, o := range g {
				if database(o.rec.ID) == database(h.rec.ID) {
					fits = false
					break
				}
				linked = linked || sameAdvisory(o.rec, h.rec)
			}
			if fits && linked {
				groups[gi] = append(g, h)
				joined = true
			}
		}
		if !joined {
			groups = append(groups, []hit{h})
		}
	}
	return groups
}

// rateFromAliases gives an unrated finding the best rating of the
// package's other records of the same advisory.
func (pr *pkgRecords) rateFromAliases(f *finding.Finding, g []hit) {
	k := groupKey(g)
	r, ok := pr.rated[k]
	if !ok {
		r = pr.aliasRating(g)
		pr.rated[k] = r
	}
	if higher(r.sev, f.Severity) {
		f.Severity, f.SeveritySource, f.CVSS = r.sev, r.source, slices.Clone(r.cvss)
	}
}

// aliasRating is the best rating of the package's records of the same
// advisory as g that are not in g; unknown when none has one.
func (pr *pkgRecords) aliasRating(g []hit) aliasRating {
	in := map[string]bool{}
	for _, h := range g {
		in[h.rec.ID] = true
	}
	var cands []*osv.Vulnerability
	for _, r := range pr.all {
		if r.Withdrawn != nil || in[r.ID] {
			continue
		}
		for _, h := range g {
			if sameAdvisory(h.rec, r) {
				cands = append(cands, r)
				break
			}
		}
	}
	sort.Slice(cands, func(i, j int) bool { return idLess(cands[i].ID, cands[j].ID) })
	out := aliasRating{sev: finding.Unknown}
	for _, r := range cands {
		var entry *osv.Affected
		for i := range r.Affected {
			if affectedEntryMatches(&r.Affected[i], pr.eco, pr.norm) {
				entry = &r.Affected[i]
				break
			}
		}
		sev, scores, via := severityOf(r, entry)
		if !higher(sev, out.sev) {
			continue
		}
		out = aliasRating{sev: sev, source: "alias " + r.ID + " " + via, cvss: scores}
	}
	return out
}

// idRank orders the ids of one vulnerability for the choice of the primary
// one: the ecosystem's own database first (GO-, PYSEC-, RUSTSEC-, ...),
// then GHSA, then the rest, CVE last (a CVE is kept as an alias).
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 3
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	case strings.HasPrefix(id, "GO-"), strings.HasPrefix(id, "PYSEC-"), strings.HasPrefix(id, "RUSTSEC-"):
		return 0
	}
	return 2
}

// idLess orders ids by idRank, then as strings.
func idLess(a, b string) bool {
	return cmpID(a, b) < 0
}

// cmpID is idLess as a comparison.
func cmpID(a, b string) int {
	if ra, rb := idRank(a), idRank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// findingText is what a finding takes from its group's records whatever
// the version: ids, title, text, references, dates. Findings of one
// group share its slices, which nothing changes once built.
type findingText struct {
	id, title, description string
	aliases, references    []string
	published, modified    *time.Time
}

// text returns the text of a group of hits sorted by idLess.
func (pr *pkgRecords) text(hs []hit) *findingText {
	k := groupKey(hs)
	if t, ok := pr.texts[k]; ok {
		return t
	}
	t := &findingText{id: hs[0].rec.ID}
	ids := map[string]bool{}
	refs := map[string]bool{}
	for _, h := range hs {
		r := h.rec
		ids[r.ID] = true
		for _, id := range r.Aliases {
			ids[id] = true
		}
		for _, ref := range r.References {
			if ref.URL != "" && !refs[ref.URL] {
				refs[ref.URL] = true
				t.references = append(t.references, ref.URL)
			}
		}
		if t.title == "" {
			t.title = title(r)
		}
		if t.description == "" {
			t.description = strings.TrimSpace(r.Details)
		}
		if r.Published != nil && !r.Published.IsZero() && (t.published == nil || r.Published.Before(*t.published)) {
			u := r.Published.UTC()
			t.published = &u
		}
		if !r.Modified.IsZero() && (t.modified == nil || r.Modified.After(*t.modified)) {
			u := r.Modified.UTC()
			t.modified = &u
		}
	}
	delete(ids, t.id)
	for id := range ids {
		t.aliases = append(t.aliases, id)
	}
	sort.Strings(t.aliases)
	if t.title == "" {
		t.title = t.id
	}
	pr.texts[k] = t
	return t
}

// build makes the finding of one group of hits; the caller sets the
// fingerprint.
func (m *Matcher) build(p inventory.Package, pr *pkgRecords, hs []hit) finding.Finding {
	if !slices.IsSortedFunc(hs, func(a, b hit) int { return cmpID(a.rec.ID, b.rec.ID) }) {
		hs = slices.Clone(hs)
		sort.Slice(hs, func(i, j int) bool { return idLess(hs[i].rec.ID, hs[j].rec.ID) })
	}
	t := pr.text(hs)
	primary := hs[0].rec
	pkg := p
	f := finding.Finding{
		Kind:        finding.KindVulnerability,
		ID:          t.id,
		Aliases:     t.aliases,
		Severity:    finding.Unknown,
		Title:       t.title,
		Description: t.description,
		Location:    finding.Location{Path: p.Location.Path, StartLine: p.Location.Line},
		Package:     &pkg,
		References:  t.references,
		Published:   t.published,
		Modified:    t.modified,
	}
	var vectors map[string]bool
	var fixed map[string]bool
	for _, h := range hs {
		if higher(h.sev, f.Severity) {
			f.Severity, f.SeveritySource = h.sev, h.via
			if h.rec != primary {
				f.SeveritySource = "alias " + h.rec.ID + " " + h.via
			}
		}
		for _, c := range h.cvss {
			if vectors == nil {
				vectors = map[string]bool{}
			}
			if !vectors[c.Vector] {
				vectors[c.Vector] = true
				f.CVSS = append(f.CVSS, c)
			}
		}
		for _, fx := range h.fixed {
			if fixed == nil {
				fixed = map[string]bool{}
			}
			if !fixed[fx] {
				fixed[fx] = true
				f.FixedVersions = append(f.FixedVersions, fx)
			}
		}
	}
	m.versions.sortVersions(p.Ecosystem, f.FixedVersions)
	return f
}

// stableID is the identifier the fingerprint uses: the lowest CVE when the
// vulnerability has one (CVE ids do not change when another database adds
// its own record), else the primary id.
func stableID(f finding.Finding) string {
	for _, id := range f.Aliases {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return f.ID
}

func title(r *osv.Vulnerability) string {
	if s := strings.TrimSpace(r.Summary); s != "" {
		return s
	}
	d := strings.TrimSpace(r.Details)
	if i := strings.IndexAny(d, "\n"); i >= 0 {
		d = d[:i]
	}
	if len(d) > 120 {
		cut := strings.LastIndex(d[:120], " ")
		if cut < 60 {
			cut = 117
		}
		d = d[:cut] + "..."
	}
	return d
}
