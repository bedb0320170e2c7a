package job

import (
	"testing"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/fix"
)

// TestAutoApprovePolicy: the auto-approve policy approves a plan only
// when every change is at least its severity and at most its version
// step (patch by default, minor when allowed); a major upgrade, even a
// suggestion, is never approved, and no policy approves nothing.
func TestAutoApprovePolicy(t *testing.T) {
	change := func(sev finding.Severity, from, to string) fix.Change {
		return fix.Change{Ecosystem: "npm", Name: "lodash", From: from, To: to, Status: fix.StatusFix, Severity: sev}
	}
	major := fix.Change{Ecosystem: "npm", Name: "lodash", From: "3.10.1", Status: fix.StatusMajor, Suggestion: "4.17.21", Severity: finding.Critical}
	for _, c := range []struct {
		name    string
		policy  AutoApprove
		changes []fix.Change
		want    bool
	}{
		{"no policy", AutoApprove{}, []fix.Change{change(finding.Critical, "4.17.20", "4.17.21")}, false},
		{"patch at the severity", AutoApprove{MinSeverity: finding.High}, []fix.Change{change(finding.High, "4.17.20", "4.17.21")}, true},
		{"below the severity", AutoApprove{MinSeverity: finding.High}, []fix.Change{change(finding.Medium, "4.17.20", "4.17.21")}, false},
		{"one change of two below", AutoApprove{MinSeverity: finding.High}, []fix.Change{change(finding.Critical, "4.17.20", "4.17.21"), change(finding.Low, "1.0.0", "1.0.1")}, false},
		{"minor with patch allowed", AutoApprove{MinSeverity: finding.Low}, []fix.Change{change(finding.High, "4.16.0", "4.17.21")}, false},
		{"minor with minor allowed", AutoApprove{MinSeverity: finding.Low, MaxBump: "minor"}, []fix.Change{change(finding.High, "4.16.0", "4.17.21")}, true},
		{"major never", AutoApprove{MinSeverity: finding.Low, MaxBump: "minor"}, []fix.Change{change(finding.Critical, "3.10.1", "4.17.21")}, false},
		{"major suggestion never", AutoApprove{MinSeverity: finding.Low, MaxBump: "minor"}, []fix.Change{major}, false},
		{"empty plan", AutoApprove{MinSeverity: finding.Low}, nil, false},
	} {
		got, why := c.policy.approves(fix.Plan{Changes: c.changes})
		if got != c.want {
			t.Errorf("%s: approves = %v (%s), want %v", c.name, got, why, c.want)
		}
		if got && why == "" {
			t.Errorf("%s: approved without saying why", c.name)
		}
	}
}
