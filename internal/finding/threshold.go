package finding

import (
	"fmt"
	"strings"
)

// Threshold is the lowest severity that fails a build or a merge request.
// The zero value fails on any finding, unknown severity included.
type Threshold int

// Never is the threshold that fails nothing.
const Never Threshold = -1

// ParseThreshold reads "any", "low", "medium", "high", "critical" or
// "none".
func ParseThreshold(s string) (Threshold, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "any", "":
		return Threshold(Unknown.Rank()), nil
	case "none", "never":
		return Never, nil
	}
	sev, ok := ParseSeverity(s)
	if !ok || sev == Unknown || sev == Info {
		return 0, fmt.Errorf("unknown threshold %q: use any, low, medium, high, critical or none", s)
	}
	return Threshold(sev.Rank()), nil
}

// Fails reports whether f, not ignored, reaches the threshold. Package-risk
// and license findings of severity info inform; they never fail (a
// malicious package, critical, does).
func (t Threshold) Fails(f Finding) bool {
	if f.Severity == Info && (f.Kind == KindRisk || f.Kind == KindLicense) {
		return false
	}
	return t >= 0 && f.Ignored == nil && f.Severity.Rank() >= int(t)
}

// Count is how many of fs reach the threshold.
func (t Threshold) Count(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if t.Fails(f) {
			n++
		}
	}
	return n
}
