package store

import (
	"context"
	"strings"
	"time"
)

// FindingSummary is the dashboard: open findings (not fixed, not
// dismissed) by severity and kind, the trend of findings not fixed, and
// the projects with the most severe open findings.
type FindingSummary struct {
	Open       int            `json:"open"`
	BySeverity map[string]int `json:"by_severity"`
	ByKind     map[string]int `json:"by_kind"`
	Trend      []TrendPoint   `json:"trend"`
	Riskiest   []ProjectRisk  `json:"riskiest_projects"`
}

// TrendPoint is the number of findings neither fixed nor dismissed at the
// end of a day: a dismissed finding counts until the day it was dismissed
// (a reopened one, whose dismissal is gone, counts throughout).
type TrendPoint struct {
	Day     time.Time `json:"day"`
	Unfixed int       `json:"unfixed"`
}

// ProjectRisk is a project's open findings by severity.
type ProjectRisk struct {
	ProjectID int64  `json:"project_id"`
	Path      string `json:"path_with_namespace"`
	Critical  int    `json:"critical"`
	High      int    `json:"high"`
	Medium    int    `json:"medium"`
	Low       int    `json:"low"`
	Open      int    `json:"open"`
}

const openFinding = `f.state = 'open' AND NOT EXISTS (SELECT 1 FROM dismissal d WHERE d.project_id = f.project_id AND d.fingerprint = f.fingerprint)`

// SummarizeFindings computes the summary, with a trend of days days
// ending with the day of now and the top projects.
func (q Queries) SummarizeFindings(ctx context.Context, now time.Time, days, top int) (FindingSummary, error) {
	s := FindingSummary{BySeverity: map[string]int{}, ByKind: map[string]int{}, Trend: []TrendPoint{}, Riskiest: []ProjectRisk{}}
	rows, err := q.query(ctx, `SELECT f.severity, f.kind, COUNT(*) FROM finding f WHERE `+openFinding+` GROUP BY f.severity, f.kind`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var sev, kind string
		var n int
		if err := rows.Scan(&sev, &kind, &n); err != nil {
			rows.Close()
			return s, err
		}
		s.BySeverity[sev] += n
		s.ByKind[kind] += n
		s.Open += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	// One pass over the findings: a column per day.
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	if days > 0 {
		cols := make([]string, days)
		args := make([]any, 0, 3*days)
		for i := range days {
			at := millis(end.AddDate(0, 0, i-days+1))
			cols[i] = `COALESCE(SUM(CASE WHEN f.first_seen_at < ? AND (f.fixed_at IS NULL OR f.fixed_at >= ?) AND (d.created_at IS NULL OR d.created_at >= ?) THEN 1 ELSE 0 END), 0)`
			args = append(args, at, at, at)
		}
		counts := make([]int, days)
		dest := make([]any, days)
		for i := range counts {
			dest[i] = &counts[i]
		}
		if err := q.row(ctx, `SELECT `+strings.Join(cols, ", ")+findingFrom, args...).Scan(dest...); err != nil {
			return s, err
		}
		for i, n := range counts {
			s.Trend = append(s.Trend, TrendPoint{Day: end.AddDate(0, 0, i-days), Unfixed: n})
		}
	}
	rows, err = q.query(ctx, `SELECT p.id, p.path,
 SUM(CASE WHEN f.severity = 'critical' THEN 1 ELSE 0 END), SUM(CASE WHEN f.severity = 'high' THEN 1 ELSE 0 END),
 SUM(CASE WHEN f.severity = 'medium' THEN 1 ELSE 0 END), SUM(CASE WHEN f.severity = 'low' THEN 1 ELSE 0 END), COUNT(*)
FROM finding f JOIN project p ON p.id = f.project_id WHERE `+openFinding+`
GROUP BY p.id, p.path ORDER BY 3 DESC, 4 DESC, 5 DESC, 6 DESC, 7 DESC, p.id LIMIT ?`, top)
	if err != nil {
		return s, err
	}
	s.Riskiest, err = collect(rows, func(r interface{ Scan(...any) error }) (ProjectRisk, error) {
		var p ProjectRisk
		return p, r.Scan(&p.ProjectID, &p.Path, &p.Critical, &p.High, &p.Medium, &p.Low, &p.Open)
	})
	return s, err
}

// ProjectCounts are a project's open findings (not fixed, not
// dismissed) by severity and by kind.
type ProjectCounts struct {
	BySeverity map[string]int `json:"by_severity"`
	ByKind     map[string]int `json:"by_kind"`
	Open       int            `json:"open"`
}

// CountProjectFindings counts the open findings of every project that has
// any, by project ID.
func (q Queries) CountProjectFindings(ctx context.Context) (map[int64]ProjectCounts, error) {
	rows, err := q.query(ctx, `SELECT f.project_id, f.severity, f.kind, COUNT(*) FROM finding f WHERE `+openFinding+` GROUP BY f.project_id, f.severity, f.kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]ProjectCounts{}
	for rows.Next() {
		var id int64
		var sev, kind string
		var n int
		if err := rows.Scan(&id, &sev, &kind, &n); err != nil {
			return nil, err
		}
		c, ok := out[id]
		if !ok {
			c = ProjectCounts{BySeverity: map[string]int{}, ByKind: map[string]int{}}
		}
		c.BySeverity[sev] += n
		c.ByKind[kind] += n
		c.Open += n
		out[id] = c
	}
	return out, rows.Err()
}

// NewestScans is every project's newest scan (of any branch, status or
// trigger), by project ID.
func (q Queries) NewestScans(ctx context.Context) (map[int64]Scan, error) {
	rows, err := q.query(ctx, `SELECT `+scanColumns+` FROM scan WHERE id IN (SELECT MAX(id) FROM scan GROUP BY project_id)`)
	if err != nil {
		return nil, err
	}
	ss, err := collect(rows, scanScan)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Scan, len(ss))
	for _, s := range ss {
		out[s.ProjectID] = s
	}
	return out, nil
}
