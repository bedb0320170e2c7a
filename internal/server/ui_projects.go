package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/store"
)

// The projects pages: every project with its scan status, open findings
// and webhook, and a project's own page with its findings and scans.

// projectRow is a project on the projects page.
type projectRow struct {
	projectView
	Integration string
	// Kinds is the open findings by kind, as text.
	Kinds string
	// Hook says what the webhook status means and what to do.
	Hook string
}

// hookText explains a project's webhook status.
func hookText(p store.Project) string {
	switch p.HookStatus {
	case store.HookRegistered:
		return "registered: pushes and merge requests are scanned"
	case store.HookNeedsMaintainer:
		return "needs maintainer: the integration's token may not add webhooks here (GitLab requires the Maintainer role), so pushes and merge requests are not scanned; give the token's user the Maintainer role on the project, then run discovery again (save the integration's selection, or POST /api/v1/integrations/{id}/discover)"
	case store.HookFailed:
		if p.HookError != "" {
			return "failed: " + p.HookError
		}
		return "failed: the webhook could not be installed"
	case "":
		return "none"
	}
	return p.HookStatus
}

func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	iid, err := queryInt(r, "integration_id", 0, 0)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	after, err := queryInt(r, "after", 0, 0)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	ctx := r.Context()
	q := r.URL.Query().Get("search")
	ps, err := s.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: iid, Search: q, AfterID: after, Limit: uiPageSize})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	ins, err := s.c.Store.Integrations(ctx)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	vs, err := s.projectViews(ctx, ps)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	names := map[int64]string{}
	for _, in := range ins {
		if in.DiscoveryStatus != "deleting" {
			names[in.ID] = in.Name
		}
	}
	rows := []projectRow{}
	for _, v := range vs {
		name, ok := names[v.IntegrationID]
		if !ok {
			continue
		}
		row := projectRow{projectView: v, Integration: name, Hook: hookText(v.Project)}
		var kinds []string
		for _, k := range findingKinds {
			if n := v.OpenFindings.ByKind[string(k)]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		row.Kinds = strings.Join(kinds, ", ")
		rows = append(rows, row)
	}
	next := ""
	if p := newPage(ps, uiPageSize, func(p store.Project) int64 { return p.ID }); p.Next != nil {
		nq := r.URL.Query()
		nq.Set("after", strconv.FormatInt(*p.Next, 10))
		next = "/projects?" + nq.Encode()
	}
	data := map[string]any{"Next": next, "Rows": rows, "Integrations": ins, "IntegrationID": iid, "Search": q, "Severities": finding.Severities}
	if htmxPartial(r) {
		// The search as the user types: the list alone.
		s.renderPart(w, r, "projects.html", "project-list", &ws, data)
		return
	}
	s.render(w, r, "projects.html", &ws, "Projects", data)
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	ctx := r.Context()
	p, in, err := s.projectAndIntegration(ctx, id)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	fs, err := s.c.Store.Findings(ctx, store.FindingFilter{ProjectID: p.ID, State: store.FindingOpen, Limit: uiPageSize + 1})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	more := ""
	if len(fs) > uiPageSize {
		fs = fs[:uiPageSize]
		more = "/findings?" + url.Values{"project_id": {strconv.FormatInt(p.ID, 10)}, "state": {store.FindingOpen}}.Encode()
	}
	scans, err := s.c.Store.Scans(ctx, store.ScanFilter{ProjectID: p.ID, Limit: uiPageSize})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	s.render(w, r, "project.html", &ws, p.Path, map[string]any{"P": p, "Integration": in, "Findings": fs, "More": more, "Scans": scans, "Hook": hookText(p)})
}

func (s *Server) scanNowForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	sc, err := s.requestScan(r.Context(), id, r.PostFormValue("branch"), ws.P)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, fmt.Sprintf("/projects/%d", id), fmt.Sprintf("scan %d of %s queued", sc.ID, sc.Branch))
}

// projectAndIntegration loads a project and its integration.
func (s *Server) projectAndIntegration(ctx context.Context, projectID int64) (store.Project, store.Integration, error) {
	p, err := s.c.Store.Project(ctx, projectID)
	if err != nil {
		return p, store.Integration{}, err
	}
	in, err := s.c.Store.Integration(ctx, p.IntegrationID)
	return p, in, err
}
