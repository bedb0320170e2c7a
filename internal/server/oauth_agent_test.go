package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/job"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// TestOAuthThroughAgent: an OAuth application integration routed via an
// agent pool trades its code and refreshes its token through the pool's
// agent (whose default allowlist has POST /oauth/token and GET
// /oauth/token/info), not directly: an agent whose allowlist lacks POST
// /oauth/token makes the exchange and the refresh fail, saying so.
func TestOAuthThroughAgent(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true, agents: true, gitlab: []gitlabtest.Option{gitlabtest.WithOAuthTokenTTL(10 * time.Minute)}})
	ctx := context.Background()
	u, _, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	app := h.gl.AddApplication(gitlabtest.Application{Name: "airlock", RedirectURI: h.url + "/integrations/oauth/callback", Scopes: []string{"api"}, UserID: u.ID})
	var key struct {
		Key string `json:"key"`
	}
	h.admin("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key)
	withoutToken, err := tunnel.ParseAllowlist("test", strings.Replace(tunnel.DefaultAllowlist, "\nPOST /oauth/token\n", "\n", 1))
	if err != nil {
		t.Fatal(err)
	}
	if withoutToken.Allows("POST", "/oauth/token") {
		t.Fatal("the test's allowlist still allows POST /oauth/token")
	}
	// startAgent runs an agent of pool dc1 that holds no GitLab token: the
	// server sends the OAuth access token, and the agent relays it.
	startAgent := func(allow tunnel.Allowlist) func() {
		serverClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.url, "http://")}})
		gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.gl.URL, "http://")}})
		a, err := tunnel.NewAgent(tunnel.AgentConfig{Server: h.url, Key: key.Key, GitLabURL: h.gl.URL, Allowlist: allow,
			ServerClient: serverClient, GitLabClient: gitlabClient, Version: "test", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(actx) }()
		eventually(t, 10*time.Second, "the agent", func() bool { return len(h.hub.Agents("dc1")) == 1 })
		return func() {
			cancel()
			<-done
			eventually(t, 10*time.Second, "the agent gone", func() bool { return len(h.hub.Agents("dc1")) == 0 })
		}
	}

	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	connect := func() (*http.Response, string) {
		t.Helper()
		_, page := b.get("/integrations/new")
		form := url.Values{"csrf_token": {csrf(t, page)}, "action": {"authorize"}, "route": {"agent"}, "agent_pool": {"dc1"}, "auth": {"oauth"}, "url": {h.gl.URL}, "name": {"corp"},
			"oauth_client_id": {app.UID}, "oauth_client_secret": {app.Secret}}
		resp, body := b.post("/integrations/new", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("authorize through an agent pool: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = b.follow(resp) // GitLab approves and sends back
		return b.follow(resp)
	}

	// The agent refuses POST /oauth/token: the exchange went through it.
	stop := startAgent(withoutToken)
	resp, body := connect()
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "allowlist does not allow POST /oauth/token") {
		t.Fatalf("exchange through an agent refusing it: %d\n%s", resp.StatusCode, body)
	}
	stop()

	// The default allowlist: connected, through the agent.
	stop = startAgent(nil)
	resp, body = connect()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/integrations/") {
		t.Fatalf("callback: %d\n%s", resp.StatusCode, body)
	}
	ins, err := h.store.Integrations(ctx)
	if err != nil || len(ins) != 1 || ins[0].TokenKind != "oauth" || !ins[0].ViaAgent || ins[0].AgentPool != "dc1" {
		t.Fatalf("integrations %+v %v", ins, err)
	}
	id := ins[0].ID
	var v struct {
		Check integration.CheckResult `json:"last_check"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", id), nil, 200, &v)
	if !v.Check.OK || v.Check.CheckedVia != "agent" || v.Check.Username != "airlock-bot" {
		t.Fatalf("check %+v", v.Check)
	}
	grant := func() integration.OAuthGrant {
		raw, err := h.store.OAuthGrant(ctx, id)
		var g integration.OAuthGrant
		if err == nil {
			err = json.Unmarshal([]byte(raw), &g)
		}
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := grant()

	// The refresh goes through the agent too: refused by the narrower
	// allowlist (the failure recorded), then done with the default one.
	stop()
	stop = startAgent(withoutToken)
	if _, err := h.jobs.Insert(ctx, job.HealthArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Status string                  `json:"status"`
		Check  integration.CheckResult `json:"last_check"`
	}
	eventually(t, 20*time.Second, "the refused refresh", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", id), nil, 200, &st)
		return len(st.Check.Warnings) > 0 && st.Check.Warnings[0].Code == job.WarnOAuthRefresh
	})
	if w := st.Check.Warnings[0].Message; !strings.Contains(w, "allowlist does not allow POST /oauth/token") || st.Status != "Degraded" || !grant().ExpiresAt.Equal(g0.ExpiresAt) {
		t.Fatalf("refresh through an agent refusing it: %s, %q", st.Status, w)
	}
	stop()
	stop = startAgent(nil)
	defer stop()
	if _, err := h.jobs.Insert(ctx, job.HealthArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the refresh", func() bool { return grant().ExpiresAt.After(g0.ExpiresAt) })
	if g := grant(); g.RefreshError != "" {
		t.Errorf("refresh error kept: %q", g.RefreshError)
	}
}
