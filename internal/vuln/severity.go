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
// else a qualitative severity in ecosystem_specific or database_specific
// (GHSA's "MODERATE" and the like); else unknown. via says which: "cvss_v"
// and the CVSS version, or the field that held the word.
func severityOf(v *osv.Vulnerability, a *osv.Affected) (sev finding.Severity, scores []finding.CVSS, via string) {
	sevs := v.Severity
	if a != nil && len(a.Severity) > 0 {
		sevs = a.Severity
	}
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
		return rating(scores[best].Score), scores, "cvss_v" + scores[best].Version
	}
	type named struct {
		raw   json.RawMessage
		field string
	}
	fields := []named{{v.DatabaseSpecific, "database_specific"}}
	if a != nil {
		fields = []named{{a.EcosystemSpecific, "ecosystem_specific"}, {a.DatabaseSpecific, "database_specific"}, fields[0]}
	}
	for _, f := range fields {
		if s, ok := namedSeverity(f.raw); ok {
			return s, nil, f.field
		}
	}
	return finding.Unknown, nil, ""
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

// higher reports whether severity a should replace b as a finding's
// rating: any known rating beats unknown (rank 0), and a more severe one
// beats a less severe one.
func higher(a, b finding.Severity) bool {
	return a.Rank() > b.Rank()
}
