package vuln

import (
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/osv"
)

// A scan matches many versions of one package against the same records:
// what does not depend on the version is worked out once per package (the
// entries about it, their ranges' events parsed and sorted, their listed
// versions indexed, their ratings), and every version string is parsed
// once per scan.

// versions parses version strings once: a package's versions, range events
// and listed versions recur across the pins of a scan.
type versions map[string]map[string]semantic.Version

// parse returns s parsed in eco's ordering, nil when it does not parse or
// eco has none.
func (vs versions) parse(eco, s string) semantic.Version {
	m := vs[eco]
	if m == nil {
		m = map[string]semantic.Version{}
		vs[eco] = m
	}
	p, ok := m[s]
	if !ok {
		if q, err := semantic.Parse(s, eco); err == nil {
			p = q
		}
		m[s] = p
	}
	return p
}

// version returns raw as a pin's version in eco.
func (vs versions) version(eco, raw string) version {
	return version{eco: eco, raw: raw, key: releaseKey(eco, raw), parsed: vs.parse(eco, raw)}
}

// pkgRecords is what matching needs of one package's records.
type pkgRecords struct {
	eco, norm string
	// all are the package's records as the source returned them; rateFromAliases looks in them.
	all []*osv.Vulnerability
	// recs are the records that are not withdrawn, each with its entries
	// about the package (possibly none).
	recs []compiledRecord
	// rated caches rateFromAliases by the ids of a group, and texts the
	// parts of a finding that do not depend on the version.
	rated map[string]aliasRating
	texts map[string]*findingText
	// listed maps each string of the entries' versions[] to the entries
	// (numbered across records in order) listing it; keyed holds those
	// strings by releaseKey, each once, and unkeyed those without a key.
	listed  map[string][]int32
	keyed   map[string][]string
	unkeyed []string
	// entries counts the entries; hit is scratch space for one version.
	entries int
	hit     []bool
}

type compiledRecord struct {
	rec     *osv.Vulnerability
	entries []compiledEntry
}

// compiledEntry is one affected entry about the package.
type compiledEntry struct {
	// id numbers the entry in pkgRecords.listed.
	id     int32
	ranges []compiledRange
	// fixed are the parsed fixed events of the entry's SEMVER and
	// ECOSYSTEM ranges, in order.
	fixed []parsedEvent
	info  string
	sev   finding.Severity
	cvss  []finding.CVSS
	via   string
}

// compiledRange is a SEMVER or ECOSYSTEM range: its limits and its other
// events in version order, without the events whose version does not
// parse.
type compiledRange struct {
	limits []semantic.Version
	events []parsedEvent
}

type parsedEvent struct {
	event
	p semantic.Version
}

type aliasRating struct {
	sev    finding.Severity
	source string
	cvss   []finding.CVSS
}

// compile prepares a package's records for matching.
func compile(vs versions, eco, norm string, records []*osv.Vulnerability) *pkgRecords {
	pr := &pkgRecords{eco: eco, norm: norm, all: records, rated: map[string]aliasRating{}, texts: map[string]*findingText{},
		listed: map[string][]int32{}, keyed: map[string][]string{}}
	for _, r := range records {
		if r.Withdrawn != nil {
			continue
		}
		cr := compiledRecord{rec: r}
		for i := range r.Affected {
			a := &r.Affected[i]
			if !affectedEntryMatches(a, eco, norm) {
				continue
			}
			e := compileEntry(vs, eco, r, a)
			e.id = int32(pr.entries)
			pr.entries++
			for _, s := range a.Versions {
				ids, seen := pr.listed[s]
				if n := len(ids); n > 0 && ids[n-1] == e.id {
					continue
				}
				pr.listed[s] = append(ids, e.id)
				if seen {
					continue
				}
				if k := releaseKey(eco, s); k != "" {
					pr.keyed[k] = append(pr.keyed[k], s)
				} else {
					pr.unkeyed = append(pr.unkeyed, s)
				}
			}
			cr.entries = append(cr.entries, e)
		}
		pr.recs = append(pr.recs, cr)
	}
	pr.hit = make([]bool, pr.entries)
	return pr
}

// markListed sets pr.hit for the entries whose versions[] lists v
// (ecosystem equality) and returns their ids, so that the caller can
// clear them.
func (pr *pkgRecords) markListed(vs versions, v version) []int32 {
	var marked []int32
	mark := func(s string) {
		for _, id := range pr.listed[s] {
			if !pr.hit[id] {
				pr.hit[id] = true
				marked = append(marked, id)
			}
		}
	}
	mark(v.raw)
	if v.parsed == nil {
		return marked
	}
	try := func(s string) {
		if s == v.raw {
			return
		}
		p := vs.parse(v.eco, s)
		if p == nil {
			return
		}
		if c, err := v.parsed.Compare(p); err == nil && c == 0 {
			mark(s)
		}
	}
	if v.key == "" {
		for _, ss := range pr.keyed {
			for _, s := range ss {
				try(s)
			}
		}
	} else {
		for _, s := range pr.keyed[v.key] {
			try(s)
		}
	}
	for _, s := range pr.unkeyed {
		try(s)
	}
	return marked
}

func compileEntry(vs versions, eco string, r *osv.Vulnerability, a *osv.Affected) compiledEntry {
	e := compiledEntry{info: informational(a)}
	e.sev, e.cvss, e.via = severityOf(r, a)
	for i := range a.Ranges {
		rg := &a.Ranges[i]
		if rg.Type != osv.RangeSemver && rg.Type != osv.RangeEcosystem {
			continue
		}
		e.ranges = append(e.ranges, compileRange(vs, eco, rg))
		for _, ev := range rg.Events {
			if ev.Fixed == "" {
				continue
			}
			if p := vs.parse(eco, ev.Fixed); p != nil {
				e.fixed = append(e.fixed, parsedEvent{event: event{kind: 'f', ver: ev.Fixed}, p: p})
			}
		}
	}
	return e
}

// compileRange sorts a range's events as rangeAffects evaluates them.
func compileRange(vs versions, eco string, r *osv.Range) compiledRange {
	var cr compiledRange
	for _, e := range r.Events {
		var ev event
		switch {
		case e.Introduced != "":
			ev = event{kind: 'i', ver: e.Introduced, zero: e.Introduced == "0"}
		case e.Fixed != "":
			ev = event{kind: 'f', ver: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: 'l', ver: e.LastAffected}
		case e.Limit != "":
			if e.Limit == "*" {
				continue
			}
			if p := vs.parse(eco, e.Limit); p != nil {
				cr.limits = append(cr.limits, p)
			}
			continue
		default:
			continue
		}
		if ev.zero {
			cr.events = append(cr.events, parsedEvent{event: ev})
			continue
		}
		if p := vs.parse(eco, ev.ver); p != nil {
			cr.events = append(cr.events, parsedEvent{event: ev, p: p})
		}
	}
	sort.SliceStable(cr.events, func(i, j int) bool {
		a, b := cr.events[i], cr.events[j]
		if a.zero || b.zero {
			return a.zero && !b.zero
		}
		c, err := a.p.Compare(b.p)
		return err == nil && c < 0
	})
	return cr
}

// affects implements the OSV evaluation of one affected entry: the version
// is affected when it falls in any SEMVER or ECOSYSTEM range or is listed
// in versions[] (listed, from pkgRecords.markListed). GIT ranges describe
// commits, not versions: they are skipped, never a reason to stop looking
// at later ranges.
func (e *compiledEntry) affects(v version, listed bool) bool {
	if listed {
		return true
	}
	if v.parsed != nil {
		for i := range e.ranges {
			if e.ranges[i].affects(v) {
				return true
			}
		}
	}
	return false
}

// affects evaluates the range's events in version order: introduced
// switches affected on, fixed (v >= fixed) and last_affected (v >
// last_affected, so inclusive) switch it off; v >= any limit is never
// affected.
func (r *compiledRange) affects(v version) bool {
	for _, l := range r.limits {
		if c, err := v.parsed.Compare(l); err == nil && c >= 0 {
			return false
		}
	}
	affected := false
	for _, e := range r.events {
		var c int
		if !e.zero {
			var err error
			if c, err = v.parsed.Compare(e.p); err != nil {
				continue
			}
		}
		switch e.kind {
		case 'i':
			if e.zero || c >= 0 {
				affected = true
			}
		case 'f':
			if c >= 0 {
				affected = false
			}
		case 'l':
			if c > 0 {
				affected = false
			}
		}
	}
	return affected
}

// fixedAbove returns the fixed versions of the entry's version ranges that
// are above v, so that an upgrade never suggests a downgrade.
func (e *compiledEntry) fixedAbove(v version) []string {
	if v.parsed == nil {
		return nil
	}
	var out []string
	for _, f := range e.fixed {
		if c, err := v.parsed.Compare(f.p); err == nil && c < 0 {
			out = append(out, f.ver)
		}
	}
	return out
}

// groupKey names a group of hits by its records' ids.
func groupKey(g []hit) string {
	var b strings.Builder
	for _, h := range g {
		b.WriteString(h.rec.ID)
		b.WriteByte(0)
	}
	return b.String()
}

// sortVersions sorts in the ecosystem's order, lowest first; versions
// that do not parse compare as strings.
func (vs versions) sortVersions(eco string, list []string) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := vs.parse(eco, list[i]), vs.parse(eco, list[j])
		if a == nil || b == nil {
			return list[i] < list[j]
		}
		c, err := a.Compare(b)
		if err != nil {
			return list[i] < list[j]
		}
		return c < 0
	})
}
