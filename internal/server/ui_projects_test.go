package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestUIProjects: the projects page counts each project's open findings
// by severity and kind (dismissed ones excluded), shows its last scan and
// explains needs_maintainer; it filters by integration and search; the
// project page lists its open findings and scans, and its "Scan now"
// form queues a manual scan as the API does (admins only; a refusal is
// shown with its reason).
func TestUIProjects(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { uiProjects(t, d) })
	}
}

func uiProjects(t *testing.T, engine store.Dialect) {
	h := newHarness(t, engine, options{})
	ctx := context.Background()
	p, fs := seedFindings(t, h, 4) // critical, high, medium, low
	h.admin("POST", fmt.Sprintf("/api/v1/findings/%d/dismiss", fs[3].ID), map[string]string{"reason": "test fixture"}, 200, nil)
	if err := h.store.SetHook(ctx, p.ID, nil, store.HookNeedsMaintainer, "the token's user is Developer"); err != nil {
		t.Fatal(err)
	}
	// A second, connected integration with a project that has a branch.
	_, tok, glp := gitlabSetup(h.gl, gitlabtest.Maintainer)
	h.gl.InitRepo(glp, map[string]string{"README.md": "hi\n"})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "selection": "all"}, 201, &in)
	q := store.Project{IntegrationID: in.ID, GitLabID: int64(glp.ID), Path: "billing/invoices", DefaultBranch: "main", AccessLevel: 40, Selected: true, Visible: true}
	if _, err := h.store.UpsertProject(ctx, &q, time.Now()); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	resp, page := b.get("/projects")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("projects page: %d\n%s", resp.StatusCode, page)
	}
	row := rowOf(t, page, fmt.Sprintf(`href="/projects/%d"`, p.ID))
	// critical 1, high 1, medium 1, low 0 (dismissed), info 0.
	for _, want := range []string{"platform/payments", "<td>1</td><td>1</td><td>1</td><td>0</td>", "vulnerability 3", ">queued</a> · main", "needs maintainer", "Maintainer role", `data-hook="needs_maintainer"`} {
		if !strings.Contains(row, want) {
			t.Errorf("payments row lacks %q:\n%s", want, row)
		}
	}
	other := rowOf(t, page, fmt.Sprintf(`href="/projects/%d"`, q.ID))
	if !strings.Contains(other, "never") {
		t.Errorf("billing row does not say it was never scanned:\n%s", other)
	}
	if !strings.Contains(page, `<a href="/projects">Projects</a>`) {
		t.Error("navigation lacks Projects")
	}
	// Filters.
	_, page = b.get("/projects?search=billing")
	if strings.Contains(page, "platform/payments") || !strings.Contains(page, "billing/invoices") {
		t.Errorf("search=billing:\n%s", page)
	}
	_, page = b.get(fmt.Sprintf("/projects?integration_id=%d", in.ID))
	if strings.Contains(page, "platform/payments") || !strings.Contains(page, "billing/invoices") {
		t.Errorf("integration filter:\n%s", page)
	}
	// 50 projects a page, then a link to the next.
	for i := range 55 {
		x := store.Project{IntegrationID: in.ID, GitLabID: int64(1000 + i), Path: fmt.Sprintf("fleet/svc%02d", i), DefaultBranch: "main"}
		if _, err := h.store.UpsertProject(ctx, &x, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	_, page = b.get("/projects?search=fleet")
	m := regexp.MustCompile(`<a href="(/projects\?[^"]+)" rel="next">`).FindStringSubmatch(page)
	if strings.Count(page, `href="/projects/`) != 50 || m == nil {
		t.Fatalf("first page: %d rows, next %v", strings.Count(page, `href="/projects/`), m)
	}
	_, page = b.get(html.UnescapeString(m[1]))
	if strings.Count(page, `href="/projects/`) != 5 || !strings.Contains(page, "fleet/svc54") || strings.Contains(page, `rel="next"`) {
		t.Errorf("second page:\n%s", page)
	}
	if resp, page := b.get("/projects?integration_id=x"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "integration_id") {
		t.Errorf("bad integration_id: %d\n%s", resp.StatusCode, page)
	}

	// The API serves the same counts and newest scan.
	var api struct {
		store.Project
		OpenFindings store.ProjectCounts `json:"open_findings"`
		LastScan     *store.Scan         `json:"last_scan"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/projects/%d", p.ID), nil, 200, &api)
	if api.OpenFindings.Open != 3 || api.OpenFindings.BySeverity["critical"] != 1 || api.OpenFindings.BySeverity["low"] != 0 || api.OpenFindings.ByKind["vulnerability"] != 3 || api.LastScan == nil || api.LastScan.Status != store.ScanQueued {
		t.Errorf("API project %+v last scan %+v", api.OpenFindings, api.LastScan)
	}
	var apiList struct {
		Items []struct {
			ID           int64               `json:"id"`
			OpenFindings store.ProjectCounts `json:"open_findings"`
			LastScan     *store.Scan         `json:"last_scan"`
		} `json:"items"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d&search=billing", in.ID), nil, 200, &apiList)
	if len(apiList.Items) != 1 || apiList.Items[0].ID != q.ID || apiList.Items[0].OpenFindings.Open != 0 || apiList.Items[0].OpenFindings.BySeverity == nil || apiList.Items[0].LastScan != nil {
		t.Errorf("API list %+v", apiList.Items)
	}

	// The project page: open findings (not the dismissed one), its scans.
	resp, page = b.get(fmt.Sprintf("/projects/%d", p.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("project page: %d\n%s", resp.StatusCode, page)
	}
	scans, err := h.store.Scans(ctx, store.ScanFilter{ProjectID: p.ID})
	if err != nil || len(scans) != 1 {
		t.Fatalf("scans %v %d", err, len(scans))
	}
	for _, want := range []string{fmt.Sprintf(`href="/findings/%d"`, fs[0].ID), fmt.Sprintf(`href="/scans/%d"`, scans[0].ID), "3 open findings shown", "needs maintainer", `action="/projects/` + fmt.Sprint(p.ID) + `/scans"`} {
		if !strings.Contains(page, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	if strings.Contains(page, fmt.Sprintf(`href="/findings/%d"`, fs[3].ID)) {
		t.Error("project page lists the dismissed finding")
	}
	if resp, _ := b.get("/projects/999999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown project: %d", resp.StatusCode)
	}

	// Scan now: queued as through the API, with the same audit entry.
	_, page = b.get(fmt.Sprintf("/projects/%d", q.ID))
	token := csrf(t, page)
	resp, body := b.post(fmt.Sprintf("/projects/%d/scans", q.ID), url.Values{"csrf_token": {token}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), fmt.Sprintf("/projects/%d?notice=", q.ID)) {
		t.Fatalf("scan now: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	qs, err := h.store.Scans(ctx, store.ScanFilter{ProjectID: q.ID})
	if err != nil || len(qs) != 1 || qs[0].Trigger != store.TriggerManual || qs[0].Branch != "main" || qs[0].SHA == "" {
		t.Fatalf("queued scans %v %+v", err, qs)
	}
	_, page = b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, fmt.Sprintf("scan %d of main queued", qs[0].ID)) || !strings.Contains(page, fmt.Sprintf(`href="/scans/%d"`, qs[0].ID)) {
		t.Errorf("project page after scan now:\n%s", page)
	}
	// A branch that does not exist is refused with the API's reason.
	resp, body = b.post(fmt.Sprintf("/projects/%d/scans", q.ID), url.Values{"csrf_token": {token}, "branch": {"nope"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `branch &#34;nope&#34; does not exist in billing/invoices`) {
		t.Errorf("scan of a missing branch: %d\n%s", resp.StatusCode, body)
	}
	// Without the CSRF token, and for a viewer, the form is refused.
	if resp, _ := b.post(fmt.Sprintf("/projects/%d/scans", q.ID), url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("scan now without csrf: %d", resp.StatusCode)
	}
	var vt struct {
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "auditor", "role": "viewer"}, http.StatusCreated, &vt)
	v := newBrowser(t, h.url)
	vcsrf := v.signIn(vt.Token)
	if resp, _ := v.post(fmt.Sprintf("/projects/%d/scans", q.ID), url.Values{"csrf_token": {vcsrf}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer scan now: %d", resp.StatusCode)
	}
	if _, page := v.get(fmt.Sprintf("/projects/%d", q.ID)); strings.Contains(page, "Scan now</button>") {
		t.Error("a viewer is offered the scan now form")
	}
	if n, _ := h.store.Scans(ctx, store.ScanFilter{ProjectID: q.ID}); len(n) != 1 {
		t.Errorf("refused forms queued scans: %d", len(n))
	}
}

// rowOf is the table row of page that contains marker.
func rowOf(t *testing.T, page, marker string) string {
	t.Helper()
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("page lacks %q:\n%s", marker, page)
	}
	start := strings.LastIndex(page[:i], "<tr>")
	end := strings.Index(page[i:], "</tr>")
	return page[start : i+end]
}
