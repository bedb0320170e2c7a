package risk

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/policy"
)

// Settings are the thresholds and severities of the signals, from the
// "risk:" section of .airlock.yaml over the defaults.
type Settings struct {
	// NoReleaseFor: a package whose latest release is older than this is
	// reported (default 2 years).
	NoReleaseFor time.Duration
	// MajorsBehind: a version this many majors or more behind the latest
	// is reported (default 2).
	MajorsBehind int
	// OutdatedAfter: a newer release in the same major that has been out
	// this long makes the version outdated (default 90 days).
	OutdatedAfter time.Duration
	// Severity of each signal, by its rule id without "risk/".
	Severity map[string]finding.Severity
}

// Rules, their default severities and what each says.
var defaultSeverity = map[string]finding.Severity{
	"deprecated":    finding.Low,
	"retracted":     finding.Medium,
	"yanked":        finding.Medium,
	"no-release":    finding.Low,
	"majors-behind": finding.Low,
	"outdated":      finding.Info,
	"vcs-source":    finding.Low,
	"url-source":    finding.Low,
	"path-source":   finding.Info,
	"no-lockfile":   finding.Low,
}

// Day and Year, as the settings count them.
const (
	Day  = 24 * time.Hour
	Year = 365 * Day
)

// DefaultSettings are the thresholds without configuration.
func DefaultSettings() Settings {
	s := Settings{NoReleaseFor: 2 * Year, MajorsBehind: 2, OutdatedAfter: 90 * Day, Severity: map[string]finding.Severity{}}
	for k, v := range defaultSeverity {
		s.Severity[k] = v
	}
	return s
}

// Load reads the risk section of a policy over the defaults. Errors name
// the file, the line and the field.
func Load(p *policy.Policy) (Settings, error) {
	s := DefaultSettings()
	if p == nil || p.Risk == nil || p.Risk.Kind == 0 {
		return s, nil
	}
	n := p.Risk
	if n.Kind != yaml.MappingNode {
		return s, fmt.Errorf("%s:%d: field \"risk\" must be a mapping", p.Source, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "no_release_for":
			s.NoReleaseFor, err = ParseAge(v.Value)
		case "outdated_after":
			s.OutdatedAfter, err = ParseAge(v.Value)
		case "majors_behind":
			s.MajorsBehind, err = strconv.Atoi(v.Value)
			if err == nil && s.MajorsBehind < 1 {
				err = fmt.Errorf("%d is below 1", s.MajorsBehind)
			}
		case "severity":
			err = loadSeverity(v, s.Severity)
		default:
			err = fmt.Errorf("unknown field (known: no_release_for, majors_behind, outdated_after, severity)")
		}
		if err != nil {
			return s, fmt.Errorf("%s:%d: risk.%s: %w", p.Source, v.Line, k.Value, err)
		}
	}
	return s, nil
}

func loadSeverity(n *yaml.Node, into map[string]finding.Severity) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping of signal to severity")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		rule := strings.TrimPrefix(n.Content[i].Value, "risk/")
		if _, ok := defaultSeverity[rule]; !ok {
			var known []string
			for k := range defaultSeverity {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("unknown signal %q (known: %s)", n.Content[i].Value, strings.Join(known, ", "))
		}
		sev, ok := finding.ParseSeverity(n.Content[i+1].Value)
		if !ok || sev == finding.Unknown {
			return fmt.Errorf("%s: %q is not a severity (critical, high, medium, low, info)", rule, n.Content[i+1].Value)
		}
		into[rule] = sev
	}
	return nil
}

// ParseAge reads "2y", "90d", "36h" or any Go duration.
func ParseAge(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"y": Year, "d": Day, "w": 7 * Day} {
		if n, ok := strings.CutSuffix(t, suffix); ok {
			v, err := strconv.Atoi(n)
			if err == nil && v > 0 {
				return time.Duration(v) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not an age: give 2y, 90d, 6w or 36h", s)
	}
	return d, nil
}
