package server

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// The web UI: server-rendered pages over the same functions as the API
// (docs/ui.md). Every page works without JavaScript: links and plain form
// posts.

//go:embed ui/*.html
var uiFS embed.FS

// uiPages are the UI's templates, each parsed with the layout.
var uiPages = parseUI()

func parseUI() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format("2006-01-02 15:04 UTC")
			case *time.Time:
				if v == nil {
					return "never"
				}
				return v.UTC().Format("2006-01-02 15:04 UTC")
			}
			return ""
		},
		"join":      strings.Join,
		"stylePath": func() string { return StylePath },
		"copyPath":  func() string { return CopyJSPath },
	}
	names, err := fs.Glob(uiFS, "ui/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "ui/")
		if base == "layout.html" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(uiFS, "ui/layout.html", n))
	}
	return out
}

// pageCSP is the pages' Content-Security-Policy; the connect wizard's
// drops form-action, since its OAuth form is redirected to GitLab (and
// browsers apply form-action to the redirects of a form post).
const (
	pageCSP   = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	wizardCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// uiView is what every page template gets.
type uiView struct {
	Title string
	// Session is nil on the sign-in page.
	Session *webSession
	Admin   bool
	CSRF    string
	Notice  string
	Data    any
}

type uiError struct {
	Message, Hint string
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, ws *webSession, title string, data any) {
	v := uiView{Title: title, Session: ws, Data: data, Notice: r.URL.Query().Get("notice")}
	if ws != nil {
		v.CSRF, v.Admin = ws.CSRF, ws.P.Role == store.RoleAdmin
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	if err := uiPages[name].ExecuteTemplate(w, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "page", "page", name, "error", err.Error())
	}
}

// htmxPartial says the request came from htmx to replace a part of the
// page (HX-Request), not to restore a page from its history, which needs
// the whole page.
func htmxPartial(r *http.Request) bool {
	return htmxRequest(r) && r.Header.Get("HX-History-Restore-Request") != "true"
}

// renderPart renders only the template block of a page, for htmx to
// swap in; the block gets what the whole page would.
func (s *Server) renderPart(w http.ResponseWriter, r *http.Request, name, block string, ws *webSession, data any) {
	v := uiView{Session: ws, Data: data}
	if ws != nil {
		v.CSRF, v.Admin = ws.CSRF, ws.P.Role == store.RoleAdmin
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Vary", "HX-Request")
	if err := uiPages[name].ExecuteTemplate(w, block, v); err != nil {
		s.log.ErrorContext(r.Context(), "page", "page", name, "block", block, "error", err.Error())
	}
}

// uiFail shows an error the way fail answers it in the API.
func (s *Server) uiFail(w http.ResponseWriter, r *http.Request, ws *webSession, err error) {
	var ae apiError
	var ue upstreamError
	var upe uploadError
	var ce checkError
	status, e := http.StatusInternalServerError, uiError{Message: "internal error; the server log has details"}
	switch {
	case errors.As(err, &ce):
		status, e = http.StatusUnprocessableEntity, uiError{Message: "Test Connection failed: " + ce.Message, Hint: ce.Hint}
	case errors.As(err, &upe):
		status, e = upe.Status, uiError{Message: upe.Message, Hint: upe.Hint}
	case errors.As(err, &ue):
		status, e = http.StatusBadGateway, uiError{Message: ue.Message, Hint: ue.Hint}
	case errors.As(err, &ae):
		status, e = http.StatusUnprocessableEntity, uiError{Message: ae.Message, Hint: ae.Hint}
	case errors.Is(err, store.ErrNotFound):
		status, e = http.StatusNotFound, uiError{Message: strings.TrimPrefix(err.Error(), "store: ")}
	default:
		s.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	}
	w.WriteHeader(status)
	s.render(w, r, "error.html", ws, "Error", e)
}

// back redirects after a form post to where the form was, with a notice.
// The path may carry a query of its own (a filtered list), which stays.
func back(w http.ResponseWriter, r *http.Request, path, notice string) {
	u, err := url.Parse(path)
	if err != nil {
		u = &url.URL{Path: path}
	}
	q := u.Query()
	q.Set("notice", notice)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func (s *Server) registerUI() {
	s.mux.Handle("GET /login", s.instrument("/login", http.HandlerFunc(s.loginPage)))
	s.mux.Handle("POST /login", s.instrument("/login", http.HandlerFunc(s.login)))
	s.ui("POST /logout", store.RoleViewer, s.logout)
	s.ui("GET /{$}", store.RoleViewer, s.dashboardPage)
	s.mux.Handle("GET "+HTMXPath, s.instrument(HTMXPath, serveScript(htmxJS)))
	s.mux.Handle("GET "+UploadJSPath, s.instrument("/static/upload.js", serveScript(uploadJS)))
	s.mux.Handle("GET "+CopyJSPath, s.instrument("/static/copy.js", serveScript(copyJS)))
	s.mux.Handle("GET "+StylePath, s.instrument("/static/airlock.css", serveAsset("text/css; charset=utf-8", styleCSS)))
	s.ui("GET /integrations", store.RoleViewer, s.hubPage)
	s.ui("GET /integrations/{id}/card", store.RoleViewer, s.hubCard)
	s.ui("GET /integrations/new", store.RoleAdmin, s.wizardPage)
	s.ui("POST /integrations/new", store.RoleAdmin, s.wizardForm)
	s.ui("GET "+oauthCallback, store.RoleAdmin, s.oauthCallbackPage)
	s.ui("GET /integrations/{id}", store.RoleViewer, s.integrationPage)
	s.ui("POST /integrations/{id}/delete", store.RoleAdmin, s.deleteIntegrationForm)
	s.ui("POST /integrations/{id}/selection", store.RoleAdmin, s.selectionForm)
	s.ui("POST /integrations/{id}/token", store.RoleAdmin, s.rotateForm)
	s.ui("POST /integrations/{id}/reauthorize", store.RoleAdmin, s.reauthorizeForm)
	s.ui("GET /projects", store.RoleViewer, s.projectsPage)
	s.ui("GET /projects/{id}", store.RoleViewer, s.projectPage)
	s.ui("POST /projects/{id}/scans", store.RoleAdmin, s.scanNowForm)
	// The scan page is where merge request notes and commit statuses
	// link: the OpenAPI document lists it, without a bearer token.
	s.ui("GET /scans/{id}", store.RoleViewer, s.scanPage)
	s.routes = append(s.routes, route{Method: "GET", Path: "/scans/{id}", Public: true})
	s.ui("GET /findings", store.RoleViewer, s.findingsPage)
	s.ui("GET /findings/{id}", store.RoleViewer, s.findingPage)
	s.ui("POST /findings/{id}/dismiss", store.RoleAdmin, s.dismissForm)
	s.ui("POST /findings/{id}/reopen", store.RoleAdmin, s.reopenForm)
	s.ui("GET /fix-plans", store.RoleViewer, s.fixPlansPage)
	s.ui("POST /fix-plans/{id}/decision", store.RoleAdmin, s.decisionForm)
	s.ui("GET /audit", store.RoleAdmin, s.auditPage)
	s.ui("GET /data", store.RoleViewer, s.dataPage)
	s.uiUpload("POST /data/bundles", store.RoleAdmin, s.bundleForm)
}

// card is an integration on the hub.
type card struct {
	integrationView
	Projects int
	// Agents is how many agents of the pool are connected now (through
	// a pool only).
	Agents int
	Result *integration.CheckResult
}

// Integration statuses on the hub and in the API.
const (
	StatusConnected    = "Connected"
	StatusDegraded     = "Degraded"
	StatusDisconnected = "Disconnected"
)

// status says how an integration is, from its last check, discovery and
// webhooks, and what to do about it.
func status(in store.Integration) (st, problem, hint string, res *integration.CheckResult) {
	if in.CheckedAt == nil || len(in.Check) == 0 || string(in.Check) == "{}" {
		return StatusDisconnected, "never tested", "run Test Connection", nil
	}
	var c integration.CheckResult
	if err := json.Unmarshal(in.Check, &c); err != nil {
		return StatusDisconnected, "the last test result is unreadable", "run Test Connection", nil
	}
	if !c.OK {
		st, problem, hint = StatusDisconnected, "the last test failed", "run Test Connection"
		if c.Error != nil {
			problem = c.Error.Message
			if c.Error.Hint != "" {
				hint = c.Error.Hint
			}
			// An OAuth integration's token is not pasted: a refused or
			// expired one needs the grant again.
			switch gitlab.Code(c.Error.Code) {
			case gitlab.CodeUnauthorized, gitlab.CodeTokenExpired, gitlab.CodeTokenRevoked:
				if in.TokenKind == string(gitlab.TokenOAuth) {
					hint = job.ReauthorizeHint
				}
			}
		}
		return st, problem, hint, &c
	}
	switch {
	case in.DiscoveryError != "":
		return StatusDegraded, "project discovery failed: " + in.DiscoveryError, "check the token's access, then run Discover", &c
	case in.HooksStatus == store.HooksPartial:
		return StatusDegraded, fmt.Sprintf("webhooks could not be installed on %d projects", len(in.HookFailures)), "give the token's user the Maintainer role on those projects", &c
	}
	for _, w := range c.Warnings {
		// An OAuth access token lasts two hours and is refreshed before
		// it expires: its expiry is no problem, a failed refresh is.
		if in.TokenKind == string(gitlab.TokenOAuth) && w.Code == string(gitlab.WarnTokenExpiresSoon) {
			continue
		}
		return StatusDegraded, w.Message, w.Hint, &c
	}
	return StatusConnected, "", "", &c
}

func (s *Server) hubPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	ins, err := s.c.Store.Integrations(r.Context())
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	cards := []card{}
	for _, in := range ins {
		if in.DiscoveryStatus == "deleting" {
			continue
		}
		c, err := s.card(r.Context(), in)
		if err != nil {
			s.uiFail(w, r, &ws, err)
			return
		}
		cards = append(cards, c)
	}
	s.render(w, r, "integrations.html", &ws, "Integrations", cards)
}

// card is the hub's card of in.
func (s *Server) card(ctx context.Context, in store.Integration) (card, error) {
	c := card{integrationView: s.view(in)}
	_, _, _, c.Result = status(in)
	if in.ViaAgent && s.c.Agents != nil {
		c.Agents = len(s.c.Agents.Agents(in.AgentPool))
	}
	ps, err := s.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
	if err != nil {
		return c, err
	}
	for _, p := range ps {
		if p.Selected {
			c.Projects++
		}
	}
	return c, nil
}

// hubCard is one hub card alone, which the hub's cards fetch (htmx,
// every 30 seconds) to replace themselves: the status stays live on an
// open page.
func (s *Server) hubCard(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.uiFail(w, r, &ws, store.ErrNotFound)
		return
	}
	in, err := s.c.Store.Integration(r.Context(), id)
	if err == nil && in.DiscoveryStatus == "deleting" {
		err = fmt.Errorf("integration %d: %w", id, store.ErrNotFound)
	}
	var c card
	if err == nil {
		c, err = s.card(r.Context(), in)
	}
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := uiPages["integrations.html"].ExecuteTemplate(w, "card", c); err != nil {
		s.log.ErrorContext(r.Context(), "page", "page", "card", "error", err.Error())
	}
}

func (s *Server) uiIntegration(w http.ResponseWriter, r *http.Request, ws webSession) (store.Integration, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return store.Integration{}, false
	}
	in, err := s.c.Store.Integration(r.Context(), id)
	if err == nil && in.DiscoveryStatus == "deleting" {
		err = fmt.Errorf("integration %d is being deleted: %w", id, store.ErrNotFound)
	}
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return in, false
	}
	return in, true
}

func (s *Server) integrationPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	in, ok := s.uiIntegration(w, r, ws)
	if !ok {
		return
	}
	ps, err := s.c.Store.Projects(r.Context(), store.ProjectFilter{IntegrationID: in.ID})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	c := card{integrationView: s.view(in)}
	_, _, _, c.Result = status(in)
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	shown := []store.Project{}
	for _, p := range ps {
		if p.Selected {
			c.Projects++
		}
		if q == "" || strings.Contains(strings.ToLower(p.Path), q) {
			shown = append(shown, p)
		}
	}
	agents := []tunnel.AgentInfo{}
	if s.c.Agents != nil && in.ViaAgent {
		agents = s.c.Agents.Agents(in.AgentPool)
	}
	oauth := in.TokenKind == string(gitlab.TokenOAuth)
	data := map[string]any{"Card": c, "Projects": shown, "Query": r.URL.Query().Get("q"), "Total": len(ps), "Agents": agents, "OAuth": oauth}
	if oauth {
		// Re-authorize posts here and is redirected to GitLab, which a
		// form-action directive would stop (as in the wizard).
		w.Header().Set("Content-Security-Policy", wizardCSP)
	}
	if htmxPartial(r) {
		// The search as the admin types: the selection's project list.
		s.renderPart(w, r, "integration.html", "selection-projects", &ws, data)
		return
	}
	s.render(w, r, "integration.html", &ws, in.Name, data)
}

// rotateForm replaces the integration's token through the API's rotate:
// the new token is tested first, and a failed test keeps the old one.
func (s *Server) rotateForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	in, ok := s.uiIntegration(w, r, ws)
	if !ok {
		return
	}
	if in.TokenKind == string(gitlab.TokenOAuth) {
		s.uiFail(w, r, &ws, apiError{Code: "oauth_token", Field: "token", Message: "this integration authorizes through a GitLab OAuth application: its tokens are refreshed, not pasted", Hint: "to change the authorizing user, connect again with the connect wizard"})
		return
	}
	in, err := s.rotate(r.Context(), in, rotateRequest{Token: r.PostFormValue("token")}, ws.P)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	notice := "token rotated: it was tested and projects are being discovered again"
	for _, m := range integration.StoredCheck(in).Warnings {
		notice += "; " + m.Message
	}
	back(w, r, fmt.Sprintf("/integrations/%d", in.ID), notice)
}

func (s *Server) selectionForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	in, ok := s.uiIntegration(w, r, ws)
	if !ok {
		return
	}
	req := selectionRequest{Selection: store.Selection(r.PostFormValue("selection")), ConfirmEmpty: r.PostFormValue("confirm_empty") != ""}
	for _, v := range r.PostForm["gitlab_project_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.uiFail(w, r, &ws, apiError{Code: "invalid_field", Field: "gitlab_project_id", Message: fmt.Sprintf("gitlab_project_id %q is not a number", v)})
			return
		}
		req.GitLabProjectIDs = append(req.GitLabProjectIDs, id)
	}
	// A list saved from a search changes only the projects the search
	// showed: the ones it hid keep their choice.
	shown := map[int64]bool{}
	for _, v := range r.PostForm["shown_project_id"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			shown[id] = true
		}
	}
	if req.Selection == store.SelectList && len(shown) > 0 {
		// What is selected now: the list, or, switching from all (and
		// future), every project discovered.
		keep := in.SelectedIDs
		if in.Selection != store.SelectList {
			ps, err := s.c.Store.Projects(r.Context(), store.ProjectFilter{IntegrationID: in.ID})
			if err != nil {
				s.uiFail(w, r, &ws, err)
				return
			}
			keep = nil
			for _, p := range ps {
				if p.Selected && p.Visible {
					keep = append(keep, p.GitLabID)
				}
			}
		}
		for _, id := range keep {
			if !shown[id] && !slices.Contains(req.GitLabProjectIDs, id) {
				req.GitLabProjectIDs = append(req.GitLabProjectIDs, id)
			}
		}
	}
	if _, err := s.changeSelection(r.Context(), in, req, ws.P); err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, fmt.Sprintf("/integrations/%d", in.ID), "selection saved: projects are being discovered again")
}

// findingsView is the findings page: the filter, a page of findings and
// the link to the next.
type findingsView struct {
	Filter     store.FindingFilter
	Findings   []store.Finding
	Rows       []findingRow
	Next       string
	Kinds      []finding.Kind
	Severities []finding.Severity
	States     []string
	Changes    []string
	// Projects are offered by path in the project filter, up to
	// projectChoices of them; past that the filter takes an ID.
	Projects []store.Project
}

// projectChoices bounds the findings page's project list.
const projectChoices = 1000

// uiPageSize is how many rows a list page shows.
const uiPageSize = 50

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	q := r.URL.Query()
	if q.Get("limit") == "" {
		q.Set("limit", strconv.Itoa(uiPageSize))
		r.URL.RawQuery = q.Encode()
	}
	f, err := findingFilter(r)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	fs, err := s.c.Store.Findings(r.Context(), f)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	// The row forms return here, without the notice of a previous one.
	bq := r.URL.Query()
	bq.Del("notice")
	backTo := "/findings"
	if len(bq) > 0 {
		backTo += "?" + bq.Encode()
	}
	v := findingsView{Filter: f, Findings: fs, Kinds: findingKinds, Severities: finding.Severities, States: []string{store.FindingOpen, store.FindingFixed, store.FindingDismissed}, Changes: []string{store.ChangeNew, store.ChangeExisting, store.ChangeFixed}}
	ps, err := s.c.Store.Projects(r.Context(), store.ProjectFilter{Limit: projectChoices + 1})
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	if len(ps) <= projectChoices {
		slices.SortFunc(ps, func(a, b store.Project) int { return strings.Compare(a.Path, b.Path) })
		v.Projects = ps
	}
	// The rows' projects: from the filter's list when it holds them all.
	known := s.projects(v.Projects...)
	v.Rows = make([]findingRow, 0, len(fs))
	for _, x := range fs {
		row := findingRow{F: x, Admin: ws.P.Role == store.RoleAdmin, CSRF: ws.CSRF, Back: backTo}
		if err := known.row(r.Context(), &row); err != nil {
			s.uiFail(w, r, &ws, err)
			return
		}
		v.Rows = append(v.Rows, row)
	}
	if p := newPage(fs, int64(f.Limit), func(f store.Finding) int64 { return f.ID }); p.Next != nil {
		q.Set("after", strconv.FormatInt(*p.Next, 10))
		v.Next = "/findings?" + q.Encode()
	}
	s.render(w, r, "findings.html", &ws, "Findings", v)
}

// advisoryLink is a reference of a finding; external ones cannot be
// followed from an offline site, and say so.
type advisoryLink struct {
	URL      string
	External bool
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	f, err := s.c.Store.Finding(r.Context(), id)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	var detail finding.Finding
	if err := json.Unmarshal(f.Data, &detail); err != nil {
		s.uiFail(w, r, &ws, fmt.Errorf("finding %d: stored data: %w", id, err))
		return
	}
	p, err := s.c.Store.Project(r.Context(), f.ProjectID)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	var links []advisoryLink
	for _, u := range detail.References {
		links = append(links, advisoryLink{URL: u, External: s.c.PublicURL == "" || !strings.HasPrefix(u, s.c.PublicURL+"/")})
	}
	s.render(w, r, "finding.html", &ws, f.Title, map[string]any{"F": f, "D": detail, "Project": p, "Links": links, "Source": sourceLink(p, f)})
}

// sourceLink is the finding's file and line in GitLab, when it has one.
func sourceLink(p store.Project, f store.Finding) string {
	return sourceLinkAt(p, f, f.Branch)
}

// sourceLinkAt is the finding's file and line in GitLab at ref (a
// branch or a commit).
func sourceLinkAt(p store.Project, f store.Finding, ref string) string {
	if f.Path == "" || p.WebURL == "" {
		return ""
	}
	u := p.WebURL + "/-/blob/" + url.PathEscape(ref) + "/" + (&url.URL{Path: f.Path}).EscapedPath()
	if f.Line > 0 {
		u += "#L" + strconv.Itoa(f.Line)
	}
	return u
}

func (s *Server) dismissForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	s.triageForm(w, r, ws, func(ctx context.Context, id int64) error {
		_, err := s.dismiss(ctx, id, r.PostFormValue("reason"), ws.P)
		return err
	}, "finding dismissed")
}

func (s *Server) reopenForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	s.triageForm(w, r, ws, func(ctx context.Context, id int64) error {
		_, err := s.reopen(ctx, id, ws.P)
		return err
	}, "finding reopened")
}

// findingRow is a finding on the findings page, with its triage forms
// for an admin; Back is the page the forms return to without htmx.
// Project is the finding's project's path, Source its file and line in
// GitLab.
type findingRow struct {
	F               store.Finding
	Admin           bool
	CSRF, Back      string
	Error, Done     string
	Project, Source string
}

// projects reads each project a page names once; a project gone since
// is the zero Project.
type projects struct {
	st   *store.Store
	seen map[int64]store.Project
}

func (s *Server) projects(known ...store.Project) projects {
	ps := projects{st: s.c.Store, seen: map[int64]store.Project{}}
	for _, p := range known {
		ps.seen[p.ID] = p
	}
	return ps
}

func (ps projects) get(ctx context.Context, id int64) (store.Project, error) {
	p, ok := ps.seen[id]
	if !ok {
		var err error
		if p, err = ps.st.Project(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return p, err
		}
		ps.seen[id] = p
	}
	return p, nil
}

// row fills in the row's project path and GitLab link.
func (ps projects) row(ctx context.Context, row *findingRow) error {
	p, err := ps.get(ctx, row.F.ProjectID)
	row.Project, row.Source = p.Path, sourceLink(p, row.F)
	return err
}

// htmxRequest says the request came from htmx (HX-Request), which swaps
// the answer into the page instead of following a redirect.
func htmxRequest(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// triageForm dismisses or reopens a finding. From the findings page
// through htmx it answers the finding's row, which replaces the old one
// in place (a refusal is said in the row, with 422); otherwise it
// redirects to the form's page (back: the findings page's row forms) or
// the finding's.
func (s *Server) triageForm(w http.ResponseWriter, r *http.Request, ws webSession, do func(context.Context, int64) error, notice string) {
	id, err := pathID(r, "id")
	if err == nil {
		err = do(r.Context(), id)
	}
	to := fmt.Sprintf("/findings/%d", id)
	if b := r.PostFormValue("back"); b != "" && (strings.HasPrefix(b, "/findings?") || b == "/findings") {
		to = safeNext(b)
	}
	if htmxRequest(r) && id != 0 {
		f, ferr := s.c.Store.Finding(r.Context(), id)
		if ferr == nil {
			row := findingRow{F: f, Admin: true, CSRF: ws.CSRF, Back: to}
			if perr := s.projects().row(r.Context(), &row); perr != nil {
				s.uiFail(w, r, &ws, perr)
				return
			}
			status := http.StatusOK
			if err != nil {
				row.Error, status = uiErrorText(err), http.StatusUnprocessableEntity
			} else {
				row.Done = notice
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			if err := uiPages["findings.html"].ExecuteTemplate(w, "finding-row", row); err != nil {
				s.log.ErrorContext(r.Context(), "page", "page", "finding-row", "error", err.Error())
			}
			return
		}
		if err == nil {
			err = ferr
		}
	}
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, to, notice)
}

// uiErrorText is what uiFail would say about err, in one line.
func uiErrorText(err error) string {
	var ae apiError
	var ce conflictError
	if errors.As(err, &ce) {
		ae = ce.apiError
	}
	if ae.Message != "" || errors.As(err, &ae) {
		if ae.Hint != "" {
			return ae.Message + ". What to do: " + ae.Hint
		}
		return ae.Message
	}
	if errors.Is(err, store.ErrNotFound) {
		return strings.TrimPrefix(err.Error(), "store: ")
	}
	return "internal error; the server log has details"
}

func (s *Server) fixPlansPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	pid, state, err := planQuery(r)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	plans, err := s.c.Store.FixPlans(r.Context(), pid, state)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	counts, err := s.c.Store.CountFixPlans(r.Context(), pid)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	type planView struct {
		store.FixPlan
		Diff, Project string
	}
	views := make([]planView, 0, len(plans))
	known := s.projects()
	for _, p := range plans {
		var body struct {
			Diff string `json:"diff"`
		}
		json.Unmarshal(p.Plan, &body)
		pr, err := known.get(r.Context(), p.ProjectID)
		if err != nil {
			s.uiFail(w, r, &ws, err)
			return
		}
		views = append(views, planView{FixPlan: p, Diff: body.Diff, Project: pr.Path})
	}
	type stateCount struct {
		State   string
		N       int
		Current bool
	}
	states := make([]stateCount, 0, len(store.PlanStates))
	total := 0
	for _, st := range store.PlanStates {
		states = append(states, stateCount{State: st, N: counts.ByState[st], Current: st == state})
		total += counts.ByState[st]
	}
	mean := "no plan merged yet"
	if counts.MeanTimeToFix > 0 {
		mean = (time.Duration(counts.MeanTimeToFix) * time.Second).Round(time.Minute).String()
		if counts.MeanTimeToFix < 60 {
			mean = (time.Duration(counts.MeanTimeToFix) * time.Second).String()
		}
	}
	s.render(w, r, "fixplans.html", &ws, "Fix plans", map[string]any{"Plans": views, "States": states, "Total": total, "Mean": mean, "State": state, "ProjectID": pid})
}

func (s *Server) decisionForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	id, err := pathID(r, "id")
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		s.uiFail(w, r, &ws, apiError{Code: "invalid_field", Field: "decision", Message: "decision must be approve or reject"})
		return
	}
	if _, err := s.decide(r.Context(), id, approve, r.PostFormValue("reason"), ws.P); err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, "/fix-plans", fmt.Sprintf("plan %d %s", id, map[bool]string{true: "approved: its merge request is being opened", false: "rejected"}[approve]))
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	es, err := s.c.Store.AuditLog(r.Context(), 100, before)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	next := ""
	if len(es) == 100 {
		next = fmt.Sprintf("/audit?before=%d", es[len(es)-1].ID)
	}
	s.render(w, r, "audit.html", &ws, "Audit log", map[string]any{"Entries": es, "Next": next})
}
