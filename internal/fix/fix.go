// Package fix computes remediation plans for vulnerable dependencies and
// makes the edits they call for.
//
// A plan takes each vulnerable package of a scan to the lowest version of
// its current major line that the configured mirror serves and that no
// known vulnerability affects (or another version by Strategy), says how
// the change reaches the project (the package itself, its direct parent,
// or the ecosystem's override) and, once applied to a copy of the tree,
// the unified diff it makes. Packages that cannot be fixed that way say
// why: no fix released, a fix only in a later major line (a suggestion,
// never applied), or a fix the mirror does not serve.
package fix

import (
	"fmt"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
)

// Strategy chooses the target among the versions that fix a package.
type Strategy string

// Strategies.
const (
	// Minimal is the lowest version of the current major line that no
	// known vulnerability affects.
	Minimal Strategy = "minimal"
	// PatchLatest is the newest release of the minimal target's minor
	// line that no known vulnerability affects.
	PatchLatest Strategy = "patch-latest"
	// LatestInMajor is the newest release of the current major line that
	// no known vulnerability affects.
	LatestInMajor Strategy = "latest-in-major"
)

// Strategies lists the strategies.
var Strategies = []Strategy{Minimal, PatchLatest, LatestInMajor}

// ParseStrategy reads a strategy name; "" is Minimal.
func ParseStrategy(s string) (Strategy, error) {
	if s == "" {
		return Minimal, nil
	}
	for _, x := range Strategies {
		if string(x) == s {
			return x, nil
		}
	}
	return "", fmt.Errorf("unknown strategy %q: use minimal, patch-latest or latest-in-major", s)
}

// Status says what a plan can do for a package.
type Status string

// Statuses.
const (
	// StatusFix: a target in the current major line, served by the mirror.
	StatusFix Status = "fix"
	// StatusNoFix: no release fixes every known vulnerability.
	StatusNoFix Status = "no_fix_released"
	// StatusMajor: only a later major line is fixed; Suggestion names the
	// lowest such version. Never applied automatically.
	StatusMajor Status = "needs_major_upgrade"
	// StatusNotOnMirror: a fixed release exists (the advisories name it)
	// but the mirror does not serve it.
	StatusNotOnMirror Status = "fix_not_on_mirror"
	// StatusNoMirror: no mirror is configured for the ecosystem, or it
	// could not be read; Reason says which.
	StatusNoMirror Status = "no_mirror"
)

// Method says how a change reaches the project.
type Method string

// Methods.
const (
	// MethodDirect upgrades the package where the project names it.
	MethodDirect Method = "direct"
	// MethodParent upgrades the direct dependency that pulls the package
	// in to a release that requires a fixed version.
	MethodParent Method = "parent"
	// MethodOverride pins the package through the ecosystem's override:
	// npm "overrides", a Go require of the module, Maven
	// dependencyManagement.
	MethodOverride Method = "override"
)

// Vulnerability is one vulnerability a change fixes.
type Vulnerability struct {
	ID       string           `json:"id"`
	Aliases  []string         `json:"aliases,omitempty"`
	Severity finding.Severity `json:"severity"`
	Summary  string           `json:"summary"`
	// Fixed are the fixed versions the advisory names above the current
	// one, lowest first.
	Fixed []string `json:"fixed,omitempty"`
}

// Change is the plan for one vulnerable package of one manifest.
type Change struct {
	Ecosystem string             `json:"ecosystem"`
	Name      string             `json:"name"`
	Manifest  string             `json:"manifest"`
	Line      int                `json:"line,omitempty"`
	Relation  inventory.Relation `json:"relation,omitempty"`
	From      string             `json:"from"`
	// VersionSpan is where From is written in Manifest, for edits in
	// place.
	VersionSpan *inventory.Span `json:"version_span,omitempty"`
	// To is the target version when Status is fix.
	To     string `json:"to,omitempty"`
	Status Status `json:"status"`
	// Method is how the change is made, when Status is fix.
	Method Method `json:"method,omitempty"`
	// Parent is the direct dependency upgraded (MethodParent), from its
	// current version to ParentTo.
	Parent   *inventory.Ref `json:"parent,omitempty"`
	ParentTo string         `json:"parent_to,omitempty"`
	// Override names the mechanism of MethodOverride ("npm overrides",
	// "go.mod require", "Maven dependencyManagement").
	Override string `json:"override,omitempty"`
	// Suggestion is the lowest fixed version of a later major line
	// (StatusMajor), never applied automatically.
	Suggestion string `json:"suggestion,omitempty"`
	// Reason explains the status in a sentence.
	Reason          string          `json:"reason"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	// Severity is the highest of the vulnerabilities'.
	Severity finding.Severity `json:"severity"`
}

// Key identifies a change's package and manifest:
// "ecosystem:name@manifest" ("npm:lodash@web/package-lock.json").
func (c *Change) Key() string {
	return c.Ecosystem + ":" + c.Name + "@" + c.Manifest
}

// Bump says whether the change stays within a patch release line
// ("patch"), a minor line ("minor") or crosses majors ("major").
func (c *Change) Bump() string {
	to := c.To
	if to == "" {
		to = c.Suggestion
	}
	a, b := numbers(c.From), numbers(to)
	for i := 0; i < 2; i++ {
		if at(a, i) != at(b, i) {
			if i == 0 {
				return "major"
			}
			return "minor"
		}
	}
	return "patch"
}

// Fixable reports whether the change can be applied.
func (c *Change) Fixable() bool { return c.Status == StatusFix }

// Grouping says how changes are gathered into plans.
type Grouping string

// Groupings.
const (
	// PerPackage is one plan per package and manifest (the default).
	PerPackage Grouping = "package"
	// PerProject is one plan for the whole project.
	PerProject Grouping = "project"
)

// Plan is a set of changes applied together: one merge request.
type Plan struct {
	// Key identifies the plan across runs: ecosystem, package and
	// manifest, or "project".
	Key string `json:"key"`
	// Title is one line for a commit or merge request.
	Title   string   `json:"title"`
	Changes []Change `json:"changes"`
	// Edits are the files the plan changes, with their new content; Diff
	// is their unified diff. Empty until applied (Apply).
	Edits []Edit `json:"-"`
	Diff  string `json:"diff,omitempty"`
	// Manual are exact instructions for what airlock cannot change
	// itself; ToolOutput is the native tools' output.
	Manual     []string `json:"manual,omitempty"`
	ToolOutput string   `json:"tool_output,omitempty"`
	// Failed is set when a native tool failed: the plan then proposes no
	// change, and ToolOutput says why.
	Failed string `json:"failed,omitempty"`
}

// Edit is a file's new content.
type Edit struct {
	// Path is slash-separated and relative to the tree's root.
	Path string
	Old  []byte
	New  []byte
}

// Group gathers the fixable changes into plans; unfixable ones are left
// out (they have nothing to apply).
func Group(changes []Change, g Grouping) []Plan {
	var plans []Plan
	switch g {
	case PerProject:
		var p Plan
		for _, c := range changes {
			if c.Fixable() {
				p.Changes = append(p.Changes, c)
			}
		}
		if len(p.Changes) == 0 {
			return nil
		}
		p.Key = "project"
		p.Title = fmt.Sprintf("Upgrade %d vulnerable dependencies", len(p.Changes))
		if len(p.Changes) == 1 {
			p.Title = title(p.Changes[0])
		}
		return []Plan{p}
	default:
		for _, c := range changes {
			if !c.Fixable() {
				continue
			}
			plans = append(plans, Plan{Key: c.Key(), Title: title(c), Changes: []Change{c}})
		}
	}
	return plans
}

func title(c Change) string {
	if c.Method == MethodParent && c.Parent != nil {
		return fmt.Sprintf("Upgrade %s to %s (%s %s → %s)", c.Parent.Name, c.ParentTo, c.Name, c.From, c.To)
	}
	return fmt.Sprintf("Upgrade %s from %s to %s", c.Name, c.From, c.To)
}

// numbers returns the leading dot-separated numbers of a version ("v1.2.3-rc1" → 1 2 3).
func numbers(v string) []string {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	var out []string
	for _, part := range strings.Split(v, ".") {
		n := 0
		for n < len(part) && part[n] >= '0' && part[n] <= '9' {
			n++
		}
		if n == 0 {
			break
		}
		d := strings.TrimLeft(part[:n], "0")
		if d == "" {
			d = "0"
		}
		out = append(out, d)
		if n < len(part) {
			break
		}
	}
	return out
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "0"
}

// major is a version's major line: its first number, and for crates.io
// below 1.0 its first two (Cargo treats 0.2 and 0.3 as incompatible).
func major(eco, v string) string {
	n := numbers(v)
	if eco == inventory.CratesIO && at(n, 0) == "0" {
		return "0." + at(n, 1)
	}
	return at(n, 0)
}

// minorLine is a version's major and minor numbers.
func minorLine(v string) string { n := numbers(v); return at(n, 0) + "." + at(n, 1) }
