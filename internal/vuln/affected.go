// Package vuln matches an inventory of packages against OSV records, following
// the OSV evaluation algorithm exactly, and turns the matches into findings:
// one finding per package and vulnerability, with aliases merged, a severity
// from CVSS where a vector is given, and the versions that fix it.
package vuln

import (
	"encoding/json"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/airlock-sec/airlock/internal/inventory"
	"github.com/airlock-sec/airlock/internal/osv"
)

// version is a package version parsed once for its ecosystem; parsed is nil
// when the ecosystem has no ordering here or the string does not parse, and
// then only exact versions[] entries can match. Equality is the
// ecosystem's (PEP 440: "3.2" equals "3.2.0"), falling back to string
// equality where the ecosystem has no ordering.
type version struct {
	eco    string
	raw    string
	key    string
	parsed semantic.Version
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
	if k, ok := plainKey(s); ok {
		return k
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

// plainKey is releaseKey without allocating, for the usual case: the
// leading numbers have no leading zeros and the last is not 0, so the key
// is a prefix of s ("1.2.3rc1" → "1.2.3"). ok is false otherwise.
func plainKey(s string) (string, bool) {
	end, start := 0, 0
	for i := 0; ; i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			continue
		}
		if i == start {
			// No digits: the key ends before the previous dot.
			break
		}
		if s[start] == '0' && i-start > 1 {
			return "", false // leading zero
		}
		end = i
		if i >= len(s) || s[i] != '.' {
			break
		}
		start = i + 1
	}
	if end == 0 {
		return "", false
	}
	// The last group is s[last:end]; a trailing 0 is dropped by releaseKey.
	last := strings.LastIndexByte(s[:end], '.') + 1
	if s[last:end] == "0" {
		return "", false
	}
	return s[:end], true
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

type event struct {
	kind byte // 'i'ntroduced, 'f'ixed, 'l'ast_affected, 'x' limit
	ver  string
	zero bool // introduced "0": before every version
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
