package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
)

// integrationRequest is the body of create, update and connection tests;
// nil fields are left as they are on update.
type integrationRequest struct {
	Name             *string          `json:"name"`
	URL              *string          `json:"url"`
	Token            *string          `json:"token"`
	TokenKind        *string          `json:"token_kind"`
	CACert           *string          `json:"ca_cert"`
	ProxyURL         *string          `json:"proxy_url"`
	NoProxy          *string          `json:"no_proxy"`
	ViaAgent         *bool            `json:"via_agent"`
	AgentPool        *string          `json:"agent_pool"`
	AgentHookURL     *string          `json:"agent_webhook_url"`
	Selection        *store.Selection `json:"selection"`
	GitLabProjectIDs []int64          `json:"gitlab_project_ids"`
	// ConfirmEmpty allows a list selection with no project.
	ConfirmEmpty bool `json:"confirm_empty,omitempty"`
	// oauth is the grant of an OAuth application connect (web UI only).
	oauth *oauthGrant
}

// integrationView is an integration as the API shows it.
type integrationView struct {
	store.Integration
	WebhookURL string `json:"webhook_url,omitempty"`
	// Status is Connected, Degraded or Disconnected (docs/ui.md), from
	// the last test, discovery and webhooks; Problem and Hint say what
	// is wrong and what to do.
	Status  string `json:"status"`
	Problem string `json:"status_problem,omitempty"`
	Hint    string `json:"status_hint,omitempty"`
}

func (s *Server) view(in store.Integration) integrationView {
	v := integrationView{Integration: in}
	v.Status, v.Problem, v.Hint, _ = status(in)
	if base := HookBase(s.c.PublicURL); base != "" {
		v.WebhookURL = job.HookURL(base, in.ID)
	}
	if in.ViaAgent && in.AgentHookURL != "" {
		v.WebhookURL = job.HookURL(HookBase(in.AgentHookURL), in.ID)
	}
	return v
}

// HookBase is the webhook endpoint's address under publicURL, without the
// integration ID; empty when there is no public URL.
func HookBase(publicURL string) string {
	publicURL = strings.TrimRight(publicURL, "/")
	if publicURL == "" {
		return ""
	}
	return publicURL + "/webhooks/gitlab"
}

// apply copies the request's connection fields onto in, validating each.
func applyConnection(req integrationRequest, in *store.Integration, conn *integration.Connection) error {
	if req.URL != nil {
		u, err := gitlab.ParseInstanceURL(*req.URL)
		if err != nil {
			return fieldError("url", err)
		}
		in.URL = u.String()
	}
	if req.TokenKind != nil {
		switch *req.TokenKind {
		case string(gitlab.TokenPersonal), string(gitlab.TokenOAuth):
			in.TokenKind = *req.TokenKind
		default:
			return apiError{Code: "invalid_field", Field: "token_kind", Message: fmt.Sprintf("token_kind %q is not one of personal (personal, group, project and service-account tokens) or oauth", *req.TokenKind)}
		}
	}
	if req.CACert != nil {
		in.CAPEM = ""
		if strings.TrimSpace(*req.CACert) != "" {
			_, certs, err := netx.ParseCA([]byte(*req.CACert))
			if err != nil {
				msg := strings.TrimPrefix(err.Error(), "ca_certificate: ")
				msg = strings.TrimSuffix(msg, " (give the PEM text or its base64)")
				return apiError{Code: "invalid_field", Field: "ca_cert", Message: "ca_cert: " + msg, Hint: "give the internal CA certificate as PEM, or as base64 of the PEM"}
			}
			// Stored, used and shown as PEM, whichever form was given.
			var b strings.Builder
			for _, c := range certs {
				pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
			}
			in.CAPEM = strings.TrimSpace(b.String())
		}
	}
	if req.ProxyURL != nil {
		in.ProxyURL = strings.TrimSpace(*req.ProxyURL)
	}
	if req.NoProxy != nil {
		in.NoProxy = strings.TrimSpace(*req.NoProxy)
	}
	if req.ViaAgent != nil {
		in.ViaAgent = *req.ViaAgent
	}
	if req.AgentPool != nil {
		in.AgentPool = strings.TrimSpace(*req.AgentPool)
	}
	if req.AgentHookURL != nil {
		v := strings.TrimRight(strings.TrimSpace(*req.AgentHookURL), "/")
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "") {
			return apiError{Code: "invalid_field", Field: "agent_webhook_url", Message: fmt.Sprintf("agent_webhook_url %q: give the address at which GitLab reaches 'airlock agent --listen', such as http://airlock-agent.corp:8081", v)}
		}
		in.AgentHookURL = v
	}
	if in.ViaAgent && !poolName.MatchString(in.AgentPool) {
		return apiError{Code: "invalid_field", Field: "agent_pool", Message: fmt.Sprintf("agent_pool %q: an integration routed via agent names the pool of its agents' keys (POST /api/v1/agent-keys)", in.AgentPool)}
	}
	if in.ProxyURL != "" {
		if _, err := netx.NewClient(netx.Config{ProxyURL: in.ProxyURL}); err != nil {
			return apiError{Code: "invalid_field", Field: "proxy_url", Message: err.Error()}
		}
	}
	*conn = integration.Connection{URL: in.URL, Token: conn.Token, TokenKind: in.TokenKind, CAPEM: in.CAPEM, ProxyURL: in.ProxyURL, NoProxy: in.NoProxy, ViaAgent: in.ViaAgent, AgentPool: in.AgentPool}
	if req.Token != nil {
		conn.Token = strings.TrimSpace(*req.Token)
	}
	return nil
}

func fieldError(field string, err error) apiError {
	var ge *gitlab.Error
	if errors.As(err, &ge) {
		return apiError{Code: string(ge.Code), Field: field, Message: ge.Message, Hint: ge.Hint}
	}
	return apiError{Code: "invalid_field", Field: field, Message: err.Error()}
}

// check runs Test Connection. In offline mode the instance is a
// permitted destination for the check even before it is saved: the
// administrator's request is what configures it.
func (s *Server) check(ctx context.Context, conn integration.Connection) (integration.CheckResult, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.CheckTimeout)
	defer cancel()
	if !conn.ViaAgent {
		if release, err := netx.PermitCandidate(conn.URL); err == nil {
			defer release()
		}
	}
	gl, err := integration.NewClient(conn, s.log, s.agents())
	if err != nil {
		r := integration.NewCheckResult(gitlab.Check{}, err)
		return r, err
	}
	c, err := gl.Check(ctx)
	r := integration.NewCheckResult(c, err)
	if err == nil && conn.ViaAgent {
		r.CheckedVia = "agent"
	}
	return r, err
}

// retestOnFailure queues a re-test of the integration when err, from a
// GitLab call the server made itself (a manual scan's branch check, the
// selected projects' lookup, a token rotation's test), is a connection
// failure (job.ConnectionFailure), as the jobs do: the hub shows it
// without waiting for the periodic re-test. Re-tests are unique per
// integration and minute. It never fails the caller.
func (s *Server) retestOnFailure(ctx context.Context, integrationID int64, err error) {
	if integrationID == 0 || !job.ConnectionFailure(err) {
		return
	}
	// The request may be over (a client gone, the check's timeout): the
	// re-test is queued regardless.
	job.QueueRetest(context.WithoutCancel(ctx), s.log, integrationID, err, func(ctx context.Context, args river.JobArgs) (res *rivertype.JobInsertResult, err error) {
		err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
			res, err = s.c.Jobs.InsertTx(ctx, t.SQL(), args, nil)
			return err
		})
		return res, err
	})
}

// checkFailed answers a failed Test Connection: 422 with the result.
func checkFailed(w http.ResponseWriter, res integration.CheckResult) {
	e := newCheckError(res)
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": e.apiError, "check": res})
}

// noProjects is the check's refusal when the token sees no project.
func noProjects(res integration.CheckResult) bool {
	return slices.ContainsFunc(res.Warnings, func(m integration.CheckMessage) bool { return m.Code == string(gitlab.WarnNoProjects) })
}

func (s *Server) testNewConnection(w http.ResponseWriter, r *http.Request, _ principal) {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answer(w, r)(s.testConnection(r.Context(), req))
}

// testConnection is Test Connection of a connection not saved yet, for
// the API and the connect wizard.
func (s *Server) testConnection(ctx context.Context, req integrationRequest) (integration.CheckResult, error) {
	in := store.Integration{TokenKind: string(gitlab.TokenPersonal)}
	var conn integration.Connection
	if err := s.requireConnection(req, &in, &conn); err != nil {
		return integration.CheckResult{}, err
	}
	res, _ := s.check(ctx, conn)
	return res, nil
}

func (s *Server) requireConnection(req integrationRequest, in *store.Integration, conn *integration.Connection) error {
	if req.URL == nil || strings.TrimSpace(*req.URL) == "" {
		return apiError{Code: "invalid_field", Field: "url", Message: "url is required: the GitLab instance's root URL, such as https://gitlab.example.com"}
	}
	// An integration routed via agent may leave the token to its agents
	// (airlock agent --gitlab-token): the server then never holds it.
	viaAgent := req.ViaAgent != nil && *req.ViaAgent
	if !viaAgent && (req.Token == nil || strings.TrimSpace(*req.Token) == "") {
		return apiError{Code: "invalid_field", Field: "token", Message: "token is required: a personal, group, project or service-account token with the api, read_repository and write_repository scopes"}
	}
	return applyConnection(req, in, conn)
}

func (s *Server) createIntegration(w http.ResponseWriter, r *http.Request, p principal) {
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.create(r.Context(), req, p)
	var ce checkError
	switch {
	case errors.As(err, &ce):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": ce.apiError, "check": ce.Check})
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusCreated, v)
	}
}

// checkError is a failed Test Connection (or one that found nothing to
// scan), with the check's result.
type checkError struct {
	apiError
	Check integration.CheckResult
}

func (e checkError) Error() string { return e.Message }

func newCheckError(res integration.CheckResult) checkError {
	e := apiError{Code: "connection_failed", Message: "Test Connection failed"}
	if res.Error != nil {
		e = apiError{Code: res.Error.Code, Message: res.Error.Message, Hint: res.Error.Hint}
	}
	return checkError{apiError: e, Check: res}
}

// create is the connection of a GitLab instance, for the API and the
// connect wizard: the connection is tested first, and nothing is saved
// unless it works and the token sees projects.
func (s *Server) create(ctx context.Context, req integrationRequest, p principal) (integrationView, error) {
	in := store.Integration{TokenKind: string(gitlab.TokenPersonal), Selection: store.SelectAllFuture, SelectedIDs: []int64{}}
	var conn integration.Connection
	if err := s.requireConnection(req, &in, &conn); err != nil {
		return integrationView{}, err
	}
	if err := applySelection(req, &in); err != nil {
		return integrationView{}, err
	}
	in.Name = hostOf(in.URL)
	if req.Name != nil && strings.TrimSpace(*req.Name) != "" {
		in.Name = strings.TrimSpace(*req.Name)
	}
	res, err := s.check(ctx, conn)
	if err != nil {
		return integrationView{}, newCheckError(res)
	}
	if err := s.checkSelectedIDs(ctx, in, conn); err != nil {
		return integrationView{}, err
	}
	if noProjects(res) {
		e := apiError{Code: string(gitlab.CodeNoProjects), Message: fmt.Sprintf("the token's user (%s) is a member of no project, so there is nothing to scan", res.Username), Hint: "add the user to the groups or projects to scan with at least the Developer role (Maintainer to install webhooks), or use another user's token"}
		return integrationView{}, checkError{apiError: e, Check: res}
	}
	now := s.c.Now()
	integration.Record(&in, res, now)
	secret := make([]byte, 32)
	rand.Read(secret)
	err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
		in.TokenSealed, in.WebhookSealed = []byte{}, []byte{}
		if err := t.CreateIntegration(ctx, &in, now); err != nil {
			return err
		}
		var err error
		if in.TokenSealed, err = s.c.Keyring.Seal([]byte(conn.Token), integration.AAD(in.ID, integration.FieldToken)); err != nil {
			return err
		}
		if in.WebhookSealed, err = s.c.Keyring.Seal([]byte(hex.EncodeToString(secret)), integration.AAD(in.ID, integration.FieldWebhook)); err != nil {
			return err
		}
		if err := t.UpdateIntegration(ctx, &in, now); err != nil {
			return err
		}
		if req.oauth != nil {
			if err := s.sealGrant(ctx, t, in.ID, req.oauth); err != nil {
				return err
			}
		}
		if err := t.Audit(ctx, store.AuditEntry{At: now, Actor: p.actor(), Action: "integration.create", Target: fmt.Sprintf("integration:%d", in.ID), Detail: in.URL}); err != nil {
			return err
		}
		_, err = s.c.Jobs.InsertTx(ctx, t.SQL(), job.DiscoverArgs{IntegrationID: in.ID, Reason: "created"}, nil)
		return err
	})
	if err != nil {
		return integrationView{}, err
	}
	// Offline mode reads the configured instances again on its next miss.
	netx.ConfigChanged()
	return s.view(in), nil
}

func hostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	return rest
}

func applySelection(req integrationRequest, in *store.Integration) error {
	if req.Selection != nil {
		if !req.Selection.Valid() {
			return apiError{Code: "invalid_field", Field: "selection", Message: fmt.Sprintf("selection %q is not one of all (the projects that exist now), all_future (those and every new one) or list (gitlab_project_ids)", *req.Selection)}
		}
		in.Selection = *req.Selection
	}
	if in.Selection != store.SelectList {
		if len(req.GitLabProjectIDs) > 0 {
			return apiError{Code: "invalid_field", Field: "gitlab_project_ids", Message: fmt.Sprintf("gitlab_project_ids goes with selection list, not %s", in.Selection)}
		}
		in.SelectedIDs = []int64{}
		return nil
	}
	switch {
	case req.GitLabProjectIDs == nil:
		return apiError{Code: "invalid_field", Field: "gitlab_project_ids", Message: "selection list needs gitlab_project_ids: the GitLab IDs of the projects to scan"}
	case len(req.GitLabProjectIDs) == 0 && !req.ConfirmEmpty:
		return apiError{Code: "empty_selection", Field: "gitlab_project_ids", Message: "an empty list selects no project: nothing is scanned and every webhook is removed", Hint: `send "confirm_empty": true to mean it`}
	}
	in.SelectedIDs = []int64{}
	seen := map[int64]bool{}
	for _, id := range req.GitLabProjectIDs {
		if id <= 0 {
			return apiError{Code: "invalid_field", Field: "gitlab_project_ids", Message: fmt.Sprintf("%d is not a GitLab project ID", id)}
		}
		if !seen[id] {
			seen[id] = true
			in.SelectedIDs = append(in.SelectedIDs, id)
		}
	}
	return nil
}

// checkSelectedIDs refuses a list that names projects the integration's
// token does not see: those it has not discovered are looked up in
// GitLab, and the unknown ones named in a 422.
func (s *Server) checkSelectedIDs(ctx context.Context, in store.Integration, conn integration.Connection) error {
	if in.Selection != store.SelectList || len(in.SelectedIDs) == 0 {
		return nil
	}
	known := map[int64]bool{}
	if in.ID != 0 {
		ps, err := s.c.Store.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Visible {
				known[p.GitLabID] = true
			}
		}
	}
	var ask []int64
	for _, id := range in.SelectedIDs {
		if !known[id] {
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	const maxLookups = 500
	if len(ask) > maxLookups {
		return apiError{Code: "unknown_projects", Field: "gitlab_project_ids", Message: fmt.Sprintf("%d of the projects are not known yet (more than %d to look up in GitLab)", len(ask), maxLookups), Hint: "run discovery first (POST /api/v1/integrations/{id}/discover), then select"}
	}
	gl, err := integration.NewClient(conn, s.log, s.agents())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.c.CheckTimeout)
	defer cancel()
	var mu sync.Mutex
	var unknown []int64
	var firstErr error
	work := make(chan int64)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range work {
				_, err := gl.Project(ctx, id)
				mu.Lock()
				switch {
				case gitlab.CodeOf(err) == gitlab.CodeNotFound:
					unknown = append(unknown, id)
				case err != nil && firstErr == nil:
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range ask {
		work <- id
	}
	close(work)
	wg.Wait()
	if len(unknown) > 0 {
		slices.Sort(unknown)
		names := make([]string, len(unknown))
		for i, id := range unknown {
			names[i] = strconv.FormatInt(id, 10)
		}
		return apiError{Code: "unknown_projects", Field: "gitlab_project_ids", Message: fmt.Sprintf("GitLab projects %s do not exist or are not visible to the integration's token; nothing was changed", strings.Join(names, ", ")), Hint: "use the gitlab_id of the projects listed by GET /api/v1/projects, or add the token's user to those projects"}
	}
	if firstErr != nil {
		s.retestOnFailure(ctx, in.ID, firstErr)
		msg := integration.ErrorMessage(firstErr)
		return upstreamError{apiError{Code: msg.Code, Message: "could not check the selected projects in GitLab: " + msg.Message, Hint: msg.Hint}}
	}
	return nil
}

func (s *Server) integration(w http.ResponseWriter, r *http.Request) (store.Integration, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return store.Integration{}, false
	}
	in, err := s.c.Store.Integration(r.Context(), id)
	if err == nil && in.DiscoveryStatus == "deleting" {
		err = fmt.Errorf("integration %d is being deleted: %w", id, store.ErrNotFound)
	}
	if err != nil {
		s.fail(w, r, err)
		return in, false
	}
	return in, true
}

func (s *Server) listIntegrations(w http.ResponseWriter, r *http.Request, _ principal) {
	ins, err := s.c.Store.Integrations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []integrationView{}
	for _, in := range ins {
		if in.DiscoveryStatus != "deleting" {
			out = append(out, s.view(in))
		}
	}
	writeJSON(w, http.StatusOK, page[integrationView]{Items: out})
}

func (s *Server) getIntegration(w http.ResponseWriter, r *http.Request, _ principal) {
	if in, ok := s.integration(w, r); ok {
		writeJSON(w, http.StatusOK, s.view(in))
	}
}

// updateIntegration changes the name and the connection settings; a
// changed connection is tested first and not saved if it fails.
func (s *Server) updateIntegration(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	var req integrationRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Token != nil {
		s.fail(w, r, apiError{Code: "invalid_field", Field: "token", Message: "rotate the token with PUT /api/v1/integrations/{id}/token"})
		return
	}
	if req.Selection != nil || req.GitLabProjectIDs != nil {
		s.fail(w, r, apiError{Code: "invalid_field", Field: "selection", Message: "change the selection with PUT /api/v1/integrations/{id}/selection"})
		return
	}
	conn, err := integration.Open(s.c.Keyring, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	before := conn
	if err := applyConnection(req, &in, &conn); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Name != nil && strings.TrimSpace(*req.Name) != "" {
		in.Name = strings.TrimSpace(*req.Name)
	}
	if conn != before {
		res, err := s.check(r.Context(), conn)
		if err != nil {
			checkFailed(w, res)
			return
		}
		now := s.c.Now()
		integration.Record(&in, res, now)
	}
	s.save(w, r, p, in, "integration.update", "")
}

// save writes in with an audit entry, optionally queueing discovery.
func (s *Server) save(w http.ResponseWriter, r *http.Request, p principal, in store.Integration, action, discover string) {
	if err := s.saveIntegration(r.Context(), p, in, action, discover); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(in))
}

// saveIntegration stores the changed integration with an audit entry and,
// when discover says why, queues its discovery.
func (s *Server) saveIntegration(ctx context.Context, p principal, in store.Integration, action, discover string) error {
	now := s.c.Now()
	defer netx.ConfigChanged() // offline mode: the instance's URL may have changed
	return s.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.UpdateIntegration(ctx, &in, now); err != nil {
			return err
		}
		if err := t.Audit(ctx, store.AuditEntry{At: now, Actor: p.actor(), Action: action, Target: fmt.Sprintf("integration:%d", in.ID)}); err != nil {
			return err
		}
		if discover != "" {
			_, err := s.c.Jobs.InsertTx(ctx, t.SQL(), job.DiscoverArgs{IntegrationID: in.ID, Reason: discover}, nil)
			return err
		}
		return nil
	})
}

func (s *Server) testIntegration(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	conn, err := integration.Open(s.c.Keyring, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, _ := s.check(r.Context(), conn)
	now := s.c.Now()
	integration.Record(&in, res, now)
	if err := s.c.Store.UpdateIntegration(r.Context(), &in, now); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

type rotateRequest struct {
	Token     string `json:"token"`
	TokenKind string `json:"token_kind"`
}

// rotateToken replaces the integration's token after testing the new one.
func (s *Server) rotateToken(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	var req rotateRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := s.rotate(r.Context(), in, req, p)
	var ce checkError
	if errors.As(err, &ce) {
		checkFailed(w, ce.Check)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(in))
}

// rotate tests the new token and, when it works, keeps it (sealed) with
// the check's result and queues discovery: PUT
// /api/v1/integrations/{id}/token and the integration page's form. A
// failed test is a checkError and changes nothing.
func (s *Server) rotate(ctx context.Context, in store.Integration, req rotateRequest, p principal) (store.Integration, error) {
	ir := integrationRequest{Token: &req.Token}
	if req.TokenKind != "" {
		ir.TokenKind = &req.TokenKind
	}
	if strings.TrimSpace(req.Token) == "" {
		return in, apiError{Code: "invalid_field", Field: "token", Message: "token is required"}
	}
	old := integration.StoredCheck(in).Username
	var conn integration.Connection
	if err := applyConnection(ir, &in, &conn); err != nil {
		return in, err
	}
	res, err := s.check(ctx, conn)
	if err != nil {
		// The new token refused says nothing of the stored one, but
		// TLS or the network failing does: the stored one is re-tested.
		if code := gitlab.CodeOf(err); code != gitlab.CodeUnauthorized && code != gitlab.CodeTokenRevoked && code != gitlab.CodeTokenExpired && code != gitlab.CodeInsufficientScope {
			s.retestOnFailure(ctx, in.ID, err)
		}
		return in, newCheckError(res)
	}
	if old != "" && res.Username != old {
		res.Warnings = append(res.Warnings, integration.CheckMessage{Code: "user_changed", Message: fmt.Sprintf("the new token belongs to %s, the old one to %s: the projects and roles seen may change", res.Username, old)})
	}
	sealed, err := s.c.Keyring.Seal([]byte(conn.Token), integration.AAD(in.ID, integration.FieldToken))
	if err != nil {
		return in, err
	}
	in.TokenSealed = sealed
	now := s.c.Now()
	integration.Record(&in, res, now)
	return in, s.saveIntegration(ctx, p, in, "integration.rotate_token", "token rotated")
}

type selectionRequest struct {
	Selection        store.Selection `json:"selection"`
	GitLabProjectIDs []int64         `json:"gitlab_project_ids"`
	// ConfirmEmpty allows a list with no project: nothing is scanned and
	// every webhook is removed.
	ConfirmEmpty bool `json:"confirm_empty,omitempty"`
}

// setSelection changes which projects are scanned: the projects known now
// are selected or deselected at once, and discovery then installs or
// removes webhooks and queues first scans.
func (s *Server) setSelection(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	var req selectionRequest
	if err := decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answer(w, r)(s.changeSelection(r.Context(), in, req, p))
}

// changeSelection is the selection change of the API and the web UI: it
// checks the chosen projects, marks the known ones and queues a
// discovery.
func (s *Server) changeSelection(ctx context.Context, in store.Integration, req selectionRequest, p principal) (integrationView, error) {
	if err := applySelection(integrationRequest{Selection: &req.Selection, GitLabProjectIDs: req.GitLabProjectIDs, ConfirmEmpty: req.ConfirmEmpty}, &in); err != nil {
		return integrationView{}, err
	}
	conn, err := integration.Open(s.c.Keyring, in)
	if err != nil {
		return integrationView{}, err
	}
	if err := s.checkSelectedIDs(ctx, in, conn); err != nil {
		return integrationView{}, err
	}
	want := map[int64]bool{}
	for _, id := range in.SelectedIDs {
		want[id] = true
	}
	now := s.c.Now()
	err = s.c.Store.InTx(ctx, func(t *store.Tx) error {
		ps, err := t.Projects(ctx, store.ProjectFilter{IntegrationID: in.ID})
		if err != nil {
			return err
		}
		for _, pr := range ps {
			sel := in.Selection != store.SelectList || want[pr.GitLabID]
			if sel != pr.Selected {
				if err := t.SetSelected(ctx, pr.ID, sel); err != nil {
					return err
				}
			}
		}
		if err := t.UpdateIntegration(ctx, &in, now); err != nil {
			return err
		}
		if err := t.Audit(ctx, store.AuditEntry{At: now, Actor: p.actor(), Action: "integration.selection", Target: fmt.Sprintf("integration:%d", in.ID), Detail: string(in.Selection)}); err != nil {
			return err
		}
		_, err = s.c.Jobs.InsertTx(ctx, t.SQL(), job.DiscoverArgs{IntegrationID: in.ID, Reason: "selection changed"}, nil)
		return err
	})
	if err != nil {
		return integrationView{}, err
	}
	return s.view(in), nil
}

func (s *Server) discover(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	err := s.c.Store.InTx(ctx, func(t *store.Tx) error {
		_, err := s.c.Jobs.InsertTx(ctx, t.SQL(), job.DiscoverArgs{IntegrationID: in.ID, Reason: "requested", Verify: true}, nil)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "discovery queued"})
}

// deleteIntegration marks the integration for deletion and queues the
// purge: its webhooks are removed from GitLab, then its rows.
func (s *Server) deleteIntegration(w http.ResponseWriter, r *http.Request, p principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	answer, err := s.remove(r.Context(), in, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, answer)
}

// remove is the deletion of an integration, for the API and the web UI.
func (s *Server) remove(ctx context.Context, in store.Integration, p principal) (deleteAnswer, error) {
	now := s.c.Now()
	in.DiscoveryStatus = "deleting"
	// The purge job waits for the removal below (it would otherwise race
	// it for the same hooks and leave the answer without them); if this
	// process dies first, the job starts when the bound is reached.
	var purge int64
	err := s.c.Store.InTx(ctx, func(t *store.Tx) error {
		if err := t.UpdateIntegration(ctx, &in, now); err != nil {
			return err
		}
		if err := t.Audit(ctx, store.AuditEntry{At: now, Actor: p.actor(), Action: "integration.delete", Target: fmt.Sprintf("integration:%d", in.ID), Detail: in.URL}); err != nil {
			return err
		}
		res, err := s.c.Jobs.InsertTx(ctx, t.SQL(), job.PurgeArgs{IntegrationID: in.ID}, &river.InsertOpts{ScheduledAt: time.Now().Add(s.c.HookRemovalTimeout)})
		if err == nil {
			purge = res.Job.ID
		}
		return err
	})
	if err != nil {
		return deleteAnswer{}, err
	}
	defer func() {
		if _, err := s.c.Jobs.JobRetry(context.WithoutCancel(ctx), purge); err != nil {
			s.log.WarnContext(ctx, "purge job not started now; it starts when its schedule is reached", "integration_id", in.ID, "error", err.Error())
		}
	}()
	s.forgetSecret(in.ID)
	// The hooks are removed now, within a bound, so that the answer can
	// list those GitLab refused; the purge job removes any left (and
	// finishes when the bound is reached), then the rows.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.c.HookRemovalTimeout)
	defer cancel()
	res, err := job.RemoveHooks(rctx, job.HookDeps{Store: s.c.Store, Keyring: s.c.Keyring, HookBase: HookBase(s.c.PublicURL), Logger: s.log, Agents: s.agents()}, in)
	answer := deleteAnswer{HookRemoval: res, Status: "deletion queued: webhooks removed from GitLab; the integration's projects, scans and findings follow"}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		answer.HooksPending = true
		answer.Status = "deletion queued: webhooks are still being removed from GitLab, then the integration's projects, scans and findings"
	case err != nil:
		msg := integration.ErrorMessage(err)
		answer.HooksPending = true
		answer.Status = "deletion queued: webhooks could not be removed now (" + msg.Message + "); the purge job retries, then removes the integration's projects, scans and findings"
	case len(res.Left) > 0:
		answer.Status = fmt.Sprintf("deletion queued: %d webhooks could not be removed from GitLab (hooks_not_removed): remove them in GitLab; the integration's projects, scans and findings follow", len(res.Left))
	}
	return answer, nil
}

// deleteAnswer is the answer to deleting an integration.
type deleteAnswer struct {
	Status string `json:"status"`
	job.HookRemoval
	// HooksPending says the removal did not finish within the request;
	// the purge job goes on with it.
	HooksPending bool `json:"hooks_pending,omitempty"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request, _ principal) {
	in, ok := s.integration(w, r)
	if !ok {
		return
	}
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.c.Store.Events(r.Context(), in.ID, int(limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page[store.WebhookEvent]{Items: evs})
}

// agents is the server's agent hub as integration.Agents: nil (not a nil
// *tunnel.Hub) when it has none.
func (s *Server) agents() integration.Agents {
	if s.c.Agents == nil {
		return nil
	}
	return s.c.Agents
}
