package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
)

// wizardView is the connect wizard's form: what was typed (never the
// token), and the outcome of Test Connection.
type wizardView struct {
	Name, URL, Route, AgentPool, CACert, ProxyURL string
	// Auth is "token" or "oauth"; ClientID the OAuth application's ID,
	// Callback the callback URL to register in GitLab, Homepage this
	// server's address (the application's homepage URL).
	Auth, ClientID, Callback, Homepage string
	// Selection is step 4's choice: all_future, all, or choose (a list,
	// empty until the admin ticks projects on the integration page).
	Selection string
	Check     *integration.CheckResult
	Error     *uiError
	Field     string
	PublicURL string
	// Pools are the agent pools with a key or an agent connected;
	// NewKey the key just created, shown this once.
	Pools  []agentPool
	NewKey *newAgentKeyView
}

// newAgentKeyView is a key created in the wizard, with the commands
// that start an agent with it.
type newAgentKeyView struct {
	Pool, Key, Helm, Run string
	// NoGitLabURL says no GitLab URL was typed: the commands hold a
	// placeholder to replace.
	NoGitLabURL bool
}

// gitlabPlaceholder stands for the GitLab URL in the agent commands
// when none was typed.
const gitlabPlaceholder = "https://GITLAB.EXAMPLE"

// newWizardView is the wizard with this server's addresses filled in.
func (s *Server) newWizardView(r *http.Request) wizardView {
	return wizardView{PublicURL: s.c.PublicURL, Callback: s.callbackURL(r), Homepage: s.baseURL(r)}
}

func (s *Server) wizardPage(w http.ResponseWriter, r *http.Request, ws webSession) {
	w.Header().Set("Content-Security-Policy", wizardCSP)
	v := s.newWizardView(r)
	v.Route, v.Auth, v.Selection = "direct", "token", string(store.SelectAllFuture)
	var err error
	if v.Pools, err = s.agentPools(r.Context()); err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	s.render(w, r, "wizard.html", &ws, "Connect GitLab", v)
}

// wizardForm is the wizard's post: "test" runs Test Connection and shows
// the result; "connect" tests again and saves, then the selection step.
func (s *Server) wizardForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	w.Header().Set("Content-Security-Policy", wizardCSP)
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	v := s.newWizardView(r)
	v.Name, v.URL, v.Route, v.AgentPool, v.CACert, v.ProxyURL = f("name"), f("url"), f("route"), f("agent_pool"), f("ca_cert"), f("proxy_url")
	v.Auth, v.ClientID, v.Selection = f("auth"), f("oauth_client_id"), f("selection")
	via := v.Route == "agent"
	token, kind := r.PostFormValue("token"), "personal"
	req := integrationRequest{Name: &v.Name, URL: &v.URL, Token: &token, TokenKind: &kind, CACert: &v.CACert, ProxyURL: &v.ProxyURL, ViaAgent: &via, AgentPool: &v.AgentPool}
	if via && strings.TrimSpace(token) == "" {
		req.Token = nil // the agents hold the token
	}
	show := func(status int, err error) {
		// The pools, unless htmx swaps in Test Connection's result alone.
		if !htmxPartial(r) || r.PostFormValue("action") != "test" {
			var lerr error
			if v.Pools, lerr = s.agentPools(r.Context()); lerr != nil {
				s.uiFail(w, r, &ws, lerr)
				return
			}
		}
		var ae apiError
		var ce checkError
		switch {
		case errors.As(err, &ce):
			v.Check, v.Error = &ce.Check, &uiError{Message: ce.Message, Hint: ce.Hint}
		case errors.As(err, &ae):
			v.Error, v.Field = &uiError{Message: ae.Message, Hint: ae.Hint}, ae.Field
		case err != nil:
			s.uiFail(w, r, &ws, err)
			return
		}
		if htmxPartial(r) {
			// Through htmx, the part the action changed alone, in
			// place; the form keeps what was typed, the token too.
			switch r.PostFormValue("action") {
			case "test":
				w.WriteHeader(status)
				s.renderPart(w, r, "wizard.html", "wizard-result", &ws, v)
				return
			case "agent_key", "agents":
				w.WriteHeader(status)
				s.renderPart(w, r, "wizard.html", "wizard-agents", &ws, v)
				return
			}
		}
		w.WriteHeader(status)
		s.render(w, r, "wizard.html", &ws, "Connect GitLab", v)
	}
	switch r.PostFormValue("action") {
	case "authorize":
		s.oauthAuthorize(w, r, ws, v, req, show)
	case "agent_key":
		// A key for the pool typed, shown once, with the commands that
		// start an agent of that pool in GitLab's network.
		k, key, err := s.newAgentKey(r.Context(), v.AgentPool, "agent_pool", ws.P)
		if err != nil {
			show(http.StatusUnprocessableEntity, err)
			return
		}
		gitlabURL := v.URL
		if gitlabURL == "" {
			gitlabURL = gitlabPlaceholder
		}
		base := s.baseURL(r)
		v.NewKey = &newAgentKeyView{Pool: k.Pool, Key: key, Helm: AgentHelmLine(base, gitlabURL, key), Run: AgentRunLine(base, gitlabURL, key), NoGitLabURL: v.URL == ""}
		show(http.StatusOK, nil)
	case "agents":
		// The pools again: has the agent connected yet?
		show(http.StatusOK, nil)
	case "test":
		res, err := s.testConnection(r.Context(), req)
		if err != nil {
			show(http.StatusUnprocessableEntity, err)
			return
		}
		v.Check = &res
		if !res.OK {
			show(http.StatusUnprocessableEntity, newCheckError(res))
			return
		}
		show(http.StatusOK, nil)
	case "connect":
		if err := wizardSelection(v.Selection, &req); err != nil {
			show(http.StatusUnprocessableEntity, err)
			return
		}
		in, err := s.create(r.Context(), req, ws.P)
		if err != nil {
			show(http.StatusUnprocessableEntity, err)
			return
		}
		back(w, r, fmt.Sprintf("/integrations/%d", in.ID), connectedNotice(v.Selection, ""))
	default:
		show(http.StatusUnprocessableEntity, apiError{Code: "invalid_field", Field: "action", Message: "action must be test, connect, authorize, agent_key or agents"})
	}
}

// wizardSelection applies step 4's choice to the request: "choose" is
// a list with no project yet (confirmed empty), so that discovery lists
// the projects to tick and installs no webhook and scans nothing before
// the admin saves a choice.
func wizardSelection(choice string, req *integrationRequest) error {
	var sel store.Selection
	switch choice {
	case "", string(store.SelectAllFuture):
		sel = store.SelectAllFuture
	case string(store.SelectAll):
		sel = store.SelectAll
	case "choose":
		sel, req.ConfirmEmpty = store.SelectList, true
		req.GitLabProjectIDs = []int64{}
	default:
		return apiError{Code: "invalid_field", Field: "selection", Message: fmt.Sprintf("selection %q: give all_future, all or choose", choice)}
	}
	req.Selection = &sel
	return nil
}

// connectedNotice is what the integration page says after the wizard
// connected, for its selection choice (how: "" or through what).
func connectedNotice(choice, how string) string {
	if how != "" {
		how = " " + how
	}
	switch choice {
	case "choose":
		return "connected" + how + ": nothing is scanned yet; tick the projects to scan below (the list fills as discovery runs), then save"
	case string(store.SelectAll):
		return "connected" + how + ": the existing projects are being discovered and scanned; change the selection below"
	}
	return "connected" + how + ": the existing and future projects are being discovered and scanned; change the selection below"
}

// deleteIntegrationForm is the detail page's delete, after the
// confirmation that says what is purged.
func (s *Server) deleteIntegrationForm(w http.ResponseWriter, r *http.Request, ws webSession) {
	in, ok := s.uiIntegration(w, r, ws)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != in.Name {
		s.uiFail(w, r, &ws, apiError{Code: "invalid_field", Field: "confirm", Message: fmt.Sprintf("type the integration's name (%s) to confirm the deletion", in.Name)})
		return
	}
	a, err := s.remove(r.Context(), in, ws.P)
	if err != nil {
		s.uiFail(w, r, &ws, err)
		return
	}
	back(w, r, "/integrations", in.Name+": "+a.Status)
}
