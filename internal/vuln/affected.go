// Package vuln matches an inventory of packages against OSV records, following
// the OSV evaluation algorithm exactly, and turns the matches into findings:
// one finding per package and vulnerability, with aliases merged, a severity
// from CVSS where a vector is given, and the versions that fix it.
package vuln

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// version is a package version parsed once for its ecosystem; parsed is nil
// when the ecosystem has no ordering here or the string does not parse, and
// then only exact versions[] entries can match.
type version struct {
	eco    string
	raw    string
	key    string
	parsed semantic.Version
}

func parseVersion(eco, raw string) version {
	v := version{eco: eco, raw: raw, key: releaseKey(eco, raw)}
	if p, err := semantic.Parse(raw, eco); err == nil {
		v.parsed = p
	}
	return v
}

// cmp compares v with the string s in v's ecosystem; ok is false when either
// side has no ordering.
func (v version) cmp(s string) (c int, ok bool) {
	if v.parsed == nil {
		return 0, false
	}
	c, err := v.parsed.CompareStr(s)
	if err != nil {
		return 0, false
	}
	return c, true
}

// equal is ecosystem equality (PEP 440: "3.2" equals "3.2.0"), falling
// back to string equality where the ecosystem has no ordering.
func (v version) equal(s string) bool {
	if s == v.raw {
		return true
	}
	// Parsing is the cost of matching: skip it when the release numbers
	// already differ.
	if v.key != "" {
		if k := releaseKey(v.eco, s); k != "" && k != v.key {
			return false
		}
	}
	c, ok := v.cmp(s)
	return ok && c == 0
}

// releaseKey is a cheap summary of a version's release numbers, equal for
// any two versions that the ecosystem considers equal: the leading
// dot-separated numbers, without leading zeros or trailing zero
// components ("v3.2.0" and "3.2" are both "3.2"). It is "" (no summary)
// where the rule may not hold: other ecosystems, PEP 440 epochs, no
// leading number.
func releaseKey(eco, s string) string {
	switch eco {
	case inventory.Go, inventory.NPM, inventory.PyPI, inventory.CratesIO, inventory.Maven, inventory.NuGet, inventory.RubyGems, inventory.Packagist:
	default:
		return ""
	}
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '!' {
			return ""
		}
	}
	var groups []string
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			break
		}
		g := s[i:j]
		for len(g) > 1 && g[0] == '0' {
			g = g[1:]
		}
		groups = append(groups, g)
		if j >= len(s) || s[j] != '.' {
			break
		}
		i = j + 1
	}
	for len(groups) > 0 && groups[len(groups)-1] == "0" {
		groups = groups[:len(groups)-1]
	}
	if len(groups) == 0 {
		return ""
	}
	return strings.Join(groups, ".")
}

// affectedEntryMatches reports whether an affected entry is about the package.
func affectedEntryMatches(a *osv.Affected, eco, normName string) bool {
	return baseEcosystem(a.Package.Ecosystem) == eco && inventory.NormalizeName(eco, a.Package.Name) == normName
}

func baseEcosystem(e string) string {
	for i := 0; i < len(e); i++ {
		if e[i] == ':' {
			return e[:i]
		}
	}
	return e
}

// affects implements the OSV evaluation of one affected entry: the version
// is affected when it is listed in versions[] (ecosystem equality) or falls
// in any SEMVER or ECOSYSTEM range. GIT ranges describe commits, not
// versions: they are skipped, never a reason to stop looking at later
// ranges.
func affects(a *osv.Affected, v version) bool {
	if v.parsed != nil {
		for i := range a.Ranges {
			r := &a.Ranges[i]
			if r.Type != osv.RangeSemver && r.Type != osv.RangeEcosystem {
				continue
			}
			if rangeAffects(r, v) {
				return true
			}
		}
	}
	for _, s := range a.Versions {
		if v.equal(s) {
			return true
		}
	}
	return false
}

type event struct {
	kind byte // 'i'ntroduced, 'f'ixed, 'l'ast_affected, 'x' limit
	ver  string
	zero bool // introduced "0": before every version
}

// rangeAffects evaluates a range's events in version order: introduced
// switches affected on, fixed (v >= fixed) and last_affected (v >
// last_affected, so inclusive) switch it off; v >= any limit is never
// affected. Events whose version does not parse are ignored.
func rangeAffects(r *osv.Range, v version) bool {
	evs := make([]event, 0, len(r.Events))
	for _, e := range r.Events {
		switch {
		case e.Introduced != "":
			evs = append(evs, event{kind: 'i', ver: e.Introduced, zero: e.Introduced == "0"})
		case e.Fixed != "":
			evs = append(evs, event{kind: 'f', ver: e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, event{kind: 'l', ver: e.LastAffected})
		case e.Limit != "":
			if e.Limit == "*" {
				continue
			}
			if c, ok := v.cmp(e.Limit); ok && c >= 0 {
				return false
			}
		}
	}
	// Parse every event once for the sort; drop those that do not parse.
	type keyed struct {
		event
		p semantic.Version
	}
	ks := make([]keyed, 0, len(evs))
	for _, e := range evs {
		if e.zero {
			ks = append(ks, keyed{event: e})
			continue
		}
		p, err := semantic.Parse(e.ver, v.eco)
		if err != nil {
			continue
		}
		ks = append(ks, keyed{event: e, p: p})
	}
	sort.SliceStable(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.zero || b.zero {
			return a.zero && !b.zero
		}
		c, err := a.p.Compare(b.p)
		return err == nil && c < 0
	})
	affected := false
	for _, e := range ks {
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

// informational returns the kind of an informational advisory (RustSec's
// "unmaintained", "unsound", "notice"): a package-risk signal rather than
// a vulnerability. It is "" for vulnerabilities.
func informational(a *osv.Affected) string {
	if len(a.DatabaseSpecific) == 0 {
		return ""
	}
	var ds struct {
		Informational string `json:"informational"`
	}
	if json.Unmarshal(a.DatabaseSpecific, &ds) != nil {
		return ""
	}
	return ds.Informational
}

// fixedAbove returns the fixed versions of the entry's version ranges that
// are above v, so that an upgrade never suggests a downgrade.
func fixedAbove(a *osv.Affected, v version) []string {
	var out []string
	for _, r := range a.Ranges {
		if r.Type != osv.RangeSemver && r.Type != osv.RangeEcosystem {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if c, ok := v.cmp(e.Fixed); ok && c < 0 {
				out = append(out, e.Fixed)
			}
		}
	}
	return out
}
