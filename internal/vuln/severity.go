package vuln

import (
	"encoding/json"
	"math"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/osv"
)

// scoreVector computes a CVSS vector's base score. ok is false for vectors
// that do not parse.
func scoreVector(typ osv.SeverityType, vector string) (finding.CVSS, bool) {
	vector = strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		return finding.CVSS{Version: "4.0", Vector: vector, Score: c.Score()}, true
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		return finding.CVSS{Version: "3.1", Vector: vector, Score: c.BaseScore()}, true
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(vector)
		if err != nil {
			return finding.CVSS{}, false
		}
		return finding.CVSS{Version: "3.0", Vector: vector, Score: c.BaseScore()}, true
	case typ == osv.SeverityCVSSv2:
		c, err := gocvss20.ParseVector(strings.TrimPrefix(vector, "CVSS:2.0/"))
		if err != nil {
			return finding.CVSS{}, false
		}
		return finding.CVSS{Version: "2.0", Vector: vector, Score: c.BaseScore()}, true
	}
	return finding.CVSS{}, false
}

// rating maps a CVSS base score to a qualitative severity (the v3/v4
// scale; v2 scores use it too, as the OSV ecosystem does).
func rating(score float64) finding.Severity {
	score = math.Round(score*10) / 10
	switch {
	case score >= 9.0:
		return finding.Critical
	case score >= 7.0:
		return finding.High
	case score >= 4.0:
		return finding.Medium
	case score >= 0.1:
		return finding.Low
	}
	return finding.Info
}

var cvssRank = map[string]int{"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}

// severityOf rates a record for one affected entry: the entry's own CVSS
// vectors, else the record's, rated from the newest CVSS version present;
// else a qualitative severity in database_specific or ecosystem_specific
// (GHSA's "MODERATE" and the like); else unknown.
func severityOf(v *osv.Vulnerability, a *osv.Affected) (finding.Severity, []finding.CVSS) {
	sevs := a.Severity
	if len(sevs) == 0 {
		sevs = v.Severity
	}
	var scores []finding.CVSS
	best := -1
	for _, s := range sevs {
		c, ok := scoreVector(s.Type, s.Score)
		if !ok {
			continue
		}
		scores = append(scores, c)
		if best < 0 || cvssRank[c.Version] > cvssRank[scores[best].Version] {
			best = len(scores) - 1
		}
	}
	if best >= 0 {
		return rating(scores[best].Score), scores
	}
	for _, raw := range []json.RawMessage{a.EcosystemSpecific, a.DatabaseSpecific, v.DatabaseSpecific} {
		if s, ok := namedSeverity(raw); ok {
			return s, nil
		}
	}
	return finding.Unknown, nil
}

func namedSeverity(raw json.RawMessage) (finding.Severity, bool) {
	if len(raw) == 0 {
		return finding.Unknown, false
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return finding.Unknown, false
	}
	s, ok := ds.Severity.(string)
	if !ok {
		return finding.Unknown, false
	}
	sev, ok := finding.ParseSeverity(s)
	return sev, ok && sev != finding.Unknown
}
