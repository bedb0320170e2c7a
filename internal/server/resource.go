package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/store"
)

// enumQuery reads an optional query parameter that must be one of allowed.
func enumQuery[T ~string](r *http.Request, name string, allowed []T) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" || slices.Contains(allowed, T(v)) {
		return v, nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", apiError{Code: "invalid_query", Field: name, Message: fmt.Sprintf("query parameter %s=%q is not one of %s", name, v, strings.Join(names, ", "))}
}

// findingKinds are the kinds a finding can have.
var findingKinds = []finding.Kind{finding.KindVulnerability, finding.KindSecret, finding.KindIaC, finding.KindLicense, finding.KindRisk}

func boolQuery(r *http.Request, name string) (*bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "":
		return nil, nil
	case "true", "1":
		t := true
		return &t, nil
	case "false", "0":
		f := false
		return &f, nil
	default:
		return nil, apiError{Code: "invalid_query", Field: name, Message: fmt.Sprintf("query parameter %s=%q must be true or false", name, v)}
	}
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, _ principal) {
	var f store.ProjectFilter
	var err error
	lim, err := queryInt(r, "limit", 100, 1000)
	if err == nil {
		f.AfterID, err = queryInt(r, "after", 0, 0)
	}
	if err == nil {
		f.IntegrationID, err = queryInt(r, "integration_id", 0, 0)
	}
	if err == nil {
		f.Selected, err = boolQuery(r, "selected")
	}
	if err == nil {
		f.Visible, err = boolQuery(r, "visible")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Limit, f.Search = int(lim), r.URL.Query().Get("search")
	ps, err := s.c.Store.Projects(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vs, err := s.projectViews(r.Context(), ps)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(vs, lim, func(p projectView) int64 { return p.ID }))
}

// projectView is a project in the API and on the projects page, with
// its open findings (neither fixed nor dismissed) and its newest scan.
type projectView struct {
	store.Project
	OpenFindings store.ProjectCounts `json:"open_findings"`
	// LastScan is the newest scan of any branch; absent when the project
	// was never scanned.
	LastScan *store.Scan `json:"last_scan,omitempty"`
}

func (s *Server) projectViews(ctx context.Context, ps []store.Project) ([]projectView, error) {
	counts, err := s.c.Store.CountProjectFindings(ctx)
	if err != nil {
		return nil, err
	}
	scans, err := s.c.Store.NewestScans(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]projectView, 0, len(ps))
	for _, p := range ps {
		v := projectView{Project: p, OpenFindings: counts[p.ID]}
		if v.OpenFindings.BySeverity == nil {
			v.OpenFindings = store.ProjectCounts{BySeverity: map[string]int{}, ByKind: map[string]int{}}
		}
		if sc, ok := scans[p.ID]; ok {
			v.LastScan = &sc
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, _ principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.c.Store.Project(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vs, err := s.projectViews(r.Context(), []store.Project{p})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, vs[0])
}

type scanRequest struct {
	Branch string `json:"branch"`
}

// scanProject queues a scan of a branch (the default branch unless told).
func (s *Server) scanProject(w http.ResponseWriter, r *http.Request, pr principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req scanRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	sc, err := s.requestScan(r.Context(), id, req.Branch, pr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, sc)
}

// requestScan queues a manual scan of a project's branch (its default
// branch when empty): POST /api/v1/projects/{id}/scans and the project
// page's "Scan now" form.
func (s *Server) requestScan(ctx context.Context, id int64, branch string, pr principal) (store.Scan, error) {
	p, err := s.c.Store.Project(ctx, id)
	if err != nil {
		return store.Scan{}, err
	}
	branch, sha, err := s.scannable(ctx, p, strings.TrimSpace(branch))
	if err != nil {
		return store.Scan{}, err
	}
	var sc store.Scan
	err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
		sc = store.Scan{ProjectID: p.ID, Trigger: store.TriggerManual, Branch: branch, SHA: sha}
		if err := job.QueueScan(ctx, s.c.Jobs, t, &sc, s.c.Now()); err != nil {
			return err
		}
		return t.Audit(ctx, store.AuditEntry{At: s.c.Now(), Actor: pr.actor(), Action: "scan.request", Target: fmt.Sprintf("project:%d", p.ID), Detail: branch})
	})
	return sc, err
}

// scannable checks that a scan of the project's branch (its default
// branch when empty) can succeed before it is queued: the project is
// visible, the token may clone it, and the branch exists in GitLab. It
// returns the branch and the commit at its head, which the scan pins.
func (s *Server) scannable(ctx context.Context, p store.Project, branch string) (string, string, error) {
	if !p.Visible {
		return "", "", apiError{Code: "not_visible", Message: fmt.Sprintf("project %s is no longer visible to the integration's token", p.Path)}
	}
	if p.AccessLevel < store.ReporterAccess {
		return "", "", apiError{Code: "no_access", Message: fmt.Sprintf("the integration's token has %s on %s: cloning needs at least Reporter", gitlab.AccessLevel(p.AccessLevel), p.Path), Hint: "give the token's user the Reporter role (Maintainer for webhooks) on the project"}
	}
	in, err := s.c.Store.Integration(ctx, p.IntegrationID)
	if err != nil {
		return "", "", err
	}
	conn, err := integration.Open(s.c.Keyring, in)
	if err != nil {
		return "", "", err
	}
	gl, err := integration.NewClient(conn, s.log, s.agents())
	if err != nil {
		return "", "", err
	}
	cctx, cancel := context.WithTimeout(ctx, s.c.CheckTimeout)
	defer cancel()
	if p.EmptyRepo || p.DefaultBranch == "" {
		// Empty at the last discovery: ask GitLab again, since a first
		// push since then is not known until the next discovery.
		gp, err := gl.Project(cctx, p.GitLabID)
		if err != nil {
			s.retestOnFailure(ctx, in.ID, err)
			msg := integration.ErrorMessage(err)
			return "", "", upstreamError{apiError{Code: msg.Code, Message: "could not read the project in GitLab: " + msg.Message, Hint: msg.Hint}}
		}
		if !gp.EmptyRepo && gp.DefaultBranch != "" {
			p.EmptyRepo, p.DefaultBranch = false, gp.DefaultBranch
			if _, err := s.c.Store.UpsertProject(ctx, &p, s.c.Now()); err != nil {
				return "", "", err
			}
		}
	}
	if branch == "" {
		branch = p.DefaultBranch
	}
	if branch == "" || (p.EmptyRepo && branch == p.DefaultBranch) {
		return "", "", apiError{Code: "empty_repository", Message: fmt.Sprintf("project %s has no commits (its repository is empty): nothing to scan", p.Path)}
	}
	sha, err := gl.BranchHead(cctx, p.GitLabID, branch)
	switch gitlab.CodeOf(err) {
	case "":
		return branch, sha, nil
	case gitlab.CodeNotFound:
		return "", "", apiError{Code: "unknown_branch", Field: "branch", Message: fmt.Sprintf("branch %q does not exist in %s", branch, p.Path)}
	case gitlab.CodeForbidden:
		return "", "", apiError{Code: "no_access", Message: fmt.Sprintf("the integration's token may not read the code of %s", p.Path), Hint: "give the token's user at least the Reporter role on the project"}
	}
	s.retestOnFailure(ctx, in.ID, err)
	msg := integration.ErrorMessage(err)
	return "", "", upstreamError{apiError{Code: msg.Code, Message: "could not check the branch in GitLab: " + msg.Message, Hint: msg.Hint}}
}

func (s *Server) listScans(w http.ResponseWriter, r *http.Request, _ principal) {
	var f store.ScanFilter
	lim, err := queryInt(r, "limit", 100, 1000)
	if err == nil {
		f.BeforeID, err = queryInt(r, "before", 0, 0)
	}
	if err == nil {
		f.ProjectID, err = queryInt(r, "project_id", 0, 0)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err == nil {
		f.Status, err = enumQuery(r, "status", store.ScanStatuses)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Limit, f.Branch = int(lim), r.URL.Query().Get("branch")
	ss, err := s.c.Store.Scans(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[store.Scan]{Items: ss})
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request, _ principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc, err := s.c.Store.Scan(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

func (s *Server) listFindings(w http.ResponseWriter, r *http.Request, _ principal) {
	f, err := findingFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fs, err := s.c.Store.Findings(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(fs, int64(f.Limit), func(f store.Finding) int64 { return f.ID }))
}

// findingFilter reads the findings filter of the API and the web UI from
// the query: limit, after, project_id, state, kind, severity, branch,
// scan_id and change.
func findingFilter(r *http.Request) (store.FindingFilter, error) {
	var f store.FindingFilter
	lim, err := queryInt(r, "limit", 100, 1000)
	if err == nil {
		f.AfterID, err = queryInt(r, "after", 0, 0)
	}
	if err == nil {
		f.ProjectID, err = queryInt(r, "project_id", 0, 0)
	}
	if err == nil {
		f.State, err = enumQuery(r, "state", []string{store.FindingOpen, store.FindingFixed, store.FindingDismissed})
	}
	if err == nil {
		f.Kind, err = enumQuery(r, "kind", findingKinds)
	}
	if err == nil {
		f.Severity, err = enumQuery(r, "severity", finding.Severities)
	}
	if err == nil {
		f.ScanID, err = queryInt(r, "scan_id", 0, 0)
	}
	if err == nil {
		f.Change, err = enumQuery(r, "change", []string{store.ChangeNew, store.ChangeExisting, store.ChangeFixed})
	}
	if err == nil && f.Change != "" && f.ScanID == 0 {
		err = apiError{Code: "invalid_query", Field: "change", Message: "change needs scan_id: it says what that scan changed"}
	}
	f.Limit, f.Branch = int(lim), r.URL.Query().Get("branch")
	f.Package, f.RuleID = strings.TrimSpace(r.URL.Query().Get("package")), strings.TrimSpace(r.URL.Query().Get("rule_id"))
	return f, err
}

func (s *Server) getFinding(w http.ResponseWriter, r *http.Request, _ principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.c.Store.Finding(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

type dismissRequest struct {
	Reason string `json:"reason"`
}

// dismissFinding records a person's decision that a finding needs no
// action; it covers the fingerprint on every branch of the project, and
// merge request reports stop listing it.
func (s *Server) dismissFinding(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req dismissRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answer(w, r)(s.dismiss(r.Context(), id, req.Reason, p))
}

func (s *Server) reopenFinding(w http.ResponseWriter, r *http.Request, p principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answer(w, r)(s.reopen(r.Context(), id, p))
}

// answer writes a handler's result: v as JSON, or the error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) func(v any, err error) {
	return func(v any, err error) {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// dismiss is the triage decision of the API and the web UI: the
// fingerprint needs no action, for reason.
func (s *Server) dismiss(ctx context.Context, id int64, reason string, p principal) (store.Finding, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.Finding{}, apiError{Code: "invalid_field", Field: "reason", Message: "reason is required: say why the finding needs no action (false positive, test fixture, accepted risk, ...)"}
	}
	return s.triage(ctx, id, func(t *store.Tx, f store.Finding) error {
		return t.Dismiss(ctx, f.ProjectID, f.Fingerprint, store.Dismissal{Reason: reason, Actor: p.actor(), CreatedAt: s.c.Now()})
	}, p, "finding.dismiss", reason)
}

// reopen withdraws a dismissal.
func (s *Server) reopen(ctx context.Context, id int64, p principal) (store.Finding, error) {
	return s.triage(ctx, id, func(t *store.Tx, f store.Finding) error {
		if f.Dismissal == nil {
			return apiError{Code: "not_dismissed", Message: fmt.Sprintf("finding %d is not dismissed", f.ID)}
		}
		return t.Reopen(ctx, f.ProjectID, f.Fingerprint)
	}, p, "finding.reopen", "")
}

func (s *Server) triage(ctx context.Context, id int64, change func(*store.Tx, store.Finding) error, p principal, action, detail string) (store.Finding, error) {
	var out store.Finding
	err := s.c.Store.InTx(ctx, func(t *store.Tx) error {
		f, err := t.Finding(ctx, id)
		if err != nil {
			return err
		}
		if err := change(t, f); err != nil {
			return err
		}
		if err := t.Audit(ctx, store.AuditEntry{At: s.c.Now(), Actor: p.actor(), Action: action, Target: fmt.Sprintf("project:%d/finding:%s", f.ProjectID, f.Fingerprint), Detail: detail}); err != nil {
			return err
		}
		out, err = t.Finding(ctx, id)
		return err
	})
	return out, err
}
