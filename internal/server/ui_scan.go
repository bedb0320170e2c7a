package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/store"
)

// The scan page, where merge request notes and commit statuses link: the
// scan (GET /api/v1/scans/{id}) and its findings (GET
// /api/v1/findings?scan_id={id}&change=...).

// scanFindingRow is a finding on the scan page, with its file and line in
// GitLab at the scanned commit.
type scanFindingRow struct {
	store.Finding
	Source string
}

// scanGroup is the scan's findings of one change: new, existing, fixed.
type scanGroup struct {
	Change, Title string
	Rows          []scanFindingRow
	// More links to the findings page with the whole group, when the
	// page shows only its first rows.
	More string
}

func (s *Server) scanPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	ctx := r.Context()
	sc, err := s.c.Store.Scan(ctx, id)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	p, in, err := s.projectAndIntegration(ctx, sc.ProjectID)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	var notices []analyzer.Notice
	if len(sc.Notices) > 0 {
		if err := json.Unmarshal(sc.Notices, &notices); err != nil {
			s.uiFail(w, r, &ws, fmt.Errorf("scan %d: stored notices: %w", id, err))
			return
		}
	}
	ref := sc.SHA
	if ref == "" {
		ref = sc.Branch
	}
	groups := []scanGroup{
		{Change: store.ChangeNew, Title: "New findings"},
		{Change: store.ChangeFixed, Title: "Fixed findings"},
		{Change: store.ChangeExisting, Title: "Existing findings"},
	}
	for i := range groups {
		g := &groups[i]
		fs, err := s.c.Store.Findings(ctx, store.FindingFilter{ScanID: sc.ID, Change: g.Change, Limit: uiPageSize + 1})
		if err != nil {
			s.uiFail(w, r, &ws, err)
			return
		}
		if len(fs) > uiPageSize {
			fs = fs[:uiPageSize]
			g.More = "/findings?" + url.Values{"scan_id": {strconv.FormatInt(sc.ID, 10)}, "change": {g.Change}}.Encode()
		}
		for _, f := range fs {
			g.Rows = append(g.Rows, scanFindingRow{Finding: f, Source: sourceLinkAt(p, f, ref)})
		}
	}
	v := map[string]any{"S": sc, "Project": p, "Integration": in, "Notices": notices, "Groups": groups, "Succeeded": sc.Status == store.ScanSucceeded}
	if p.WebURL != "" && sc.SHA != "" {
		v["CommitURL"] = p.WebURL + "/-/commit/" + url.PathEscape(sc.SHA)
	}
	if p.WebURL != "" && sc.MRIID != nil {
		v["MRURL"] = fmt.Sprintf("%s/-/merge_requests/%d", p.WebURL, *sc.MRIID)
	}
	if sc.StartedAt != nil && sc.FinishedAt != nil {
		v["Took"] = sc.FinishedAt.Sub(*sc.StartedAt).Round(time.Second).String()
	}
	s.render(w, r, "scan.html", &ws, fmt.Sprintf("Scan %d of %s", sc.ID, p.Path), v)
}
