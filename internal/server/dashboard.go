package server

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/store"
)

// dashboard is GET /api/v1/dashboard and the dashboard page: the
// findings summary and the age of the vulnerability data.
type dashboard struct {
	store.FindingSummary
	Data DataStatus `json:"data"`
	// DataAge is how old the newest vulnerability record is, in hours;
	// absent without data.
	DataAgeHours *float64 `json:"data_age_hours,omitempty"`
}

const (
	trendDays    = 30
	riskiestTop  = 10
	svgW, svgH   = 600, 160
	svgPad       = 30
	staleDataAge = 7 * 24 * time.Hour
)

func (s *Server) summary(ctx context.Context) (dashboard, error) {
	fs, err := s.c.Store.SummarizeFindings(ctx, s.c.Now(), trendDays, riskiestTop)
	if err != nil {
		return dashboard{}, err
	}
	d := dashboard{FindingSummary: fs, Data: DataStatus{Sources: []DataSource{}, Bundles: []DataBundle{}}}
	if s.c.Data != nil {
		if d.Data, err = s.c.Data.Status(ctx); err != nil {
			return d, err
		}
	}
	var newest time.Time
	for _, src := range d.Data.Sources {
		if src.NewestModified.After(newest) {
			newest = src.NewestModified
		}
	}
	if !newest.IsZero() {
		h := s.c.Now().Sub(newest).Hours()
		d.DataAgeHours = &h
	}
	return d, nil
}

func (s *Server) dashboardAPI(w http.ResponseWriter, r *http.Request, _ principal) {
	s.answer(w, r)(s.summary(r.Context()))
}

// trendSVG draws the trend as an SVG line chart, on the server: no
// script, readable by screen readers through its title and the table
// beside it.
func trendSVG(points []store.TrendPoint) template.HTML {
	maxV := 1
	for _, p := range points {
		maxV = max(maxV, p.Unfixed)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" aria-labelledby="trend-title" class="trend" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg">`, svgW, svgH)
	fmt.Fprintf(&b, `<title id="trend-title">Findings not fixed, last %d days: from %d to %d</title>`, len(points), first(points), last(points))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a"/>`, svgPad, svgH-svgPad, svgW-10, svgH-svgPad)
	fmt.Fprintf(&b, `<text x="2" y="14" font-size="11" fill="#1f2328">%d</text><text x="2" y="%d" font-size="11" fill="#1f2328">0</text>`, maxV, svgH-svgPad)
	var path strings.Builder
	for i, p := range points {
		x := svgPad
		if len(points) > 1 {
			x = svgPad + i*(svgW-10-svgPad)/(len(points)-1)
		}
		y := svgH - svgPad - p.Unfixed*(svgH-2*svgPad)/maxV
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%d %d ", cmd, x, y)
	}
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#0550ae" stroke-width="2"/>`, strings.TrimSpace(path.String()))
	if len(points) > 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#1f2328">%s</text>`, svgPad, svgH-8, points[0].Day.Format("Jan 2"))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#1f2328" text-anchor="end">%s</text>`, svgW-10, svgH-8, points[len(points)-1].Day.Format("Jan 2"))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and dates only
}

func first(p []store.TrendPoint) int {
	if len(p) == 0 {
		return 0
	}
	return p[0].Unfixed
}

func last(p []store.TrendPoint) int {
	if len(p) == 0 {
		return 0
	}
	return p[len(p)-1].Unfixed
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	d, err := s.summary(r.Context())
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	type count struct {
		Name string
		N    int
	}
	var sev, kinds []count
	for _, x := range finding.Severities {
		sev = append(sev, count{string(x), d.BySeverity[string(x)]})
	}
	for _, k := range findingKinds {
		kinds = append(kinds, count{string(k), d.ByKind[string(k)]})
	}
	age, stale := "no vulnerability data imported", true
	if d.DataAgeHours != nil {
		a := time.Duration(*d.DataAgeHours * float64(time.Hour))
		age, stale = fmt.Sprintf("the newest record is %s old", a.Round(time.Hour)), a > staleDataAge
	}
	s.render(w, r, "dashboard.html", &ws, "Dashboard", map[string]any{"D": d, "Severities": sev, "Kinds": kinds, "Trend": trendSVG(d.Trend), "Age": age, "Stale": stale})
}
