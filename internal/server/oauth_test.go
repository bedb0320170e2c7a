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
	"github.com/airlock-sec/airlock/internal/store"
)

// follow answers a redirect with the browser: the next hop's response.
func (b *browser) follow(resp *http.Response) (*http.Response, string) {
	b.t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || loc == "" {
		b.t.Fatalf("not a redirect: %d", resp.StatusCode)
	}
	r, err := b.c.Get(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	defer r.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return r, sb.String()
}

// TestOAuthConnectAndRefresh: the wizard's OAuth application connect runs
// the authorization-code flow with PKCE against the stand-in and stores
// the tokens sealed; the health job refreshes the access token before it
// expires; a refused refresh puts the integration in Degraded with
// "re-authorize" on the API and the hub; a callback with another state is
// refused.
func TestOAuthConnectAndRefresh(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true, gitlab: []gitlabtest.Option{gitlabtest.WithOAuthTokenTTL(10 * time.Minute)}})
	ctx := context.Background()
	u, _, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	app := h.gl.AddApplication(gitlabtest.Application{Name: "airlock", RedirectURI: h.url + "/integrations/oauth/callback", Scopes: []string{"api"}, UserID: u.ID})
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	_, page := b.get("/integrations/new")
	if !strings.Contains(page, app.RedirectURI) {
		t.Fatalf("the wizard does not show the callback URL %s", app.RedirectURI)
	}
	form := url.Values{"csrf_token": {csrf(t, page)}, "action": {"authorize"}, "route": {"direct"}, "auth": {"oauth"}, "url": {h.gl.URL}, "name": {"corp"},
		"oauth_client_id": {app.UID}, "oauth_client_secret": {app.Secret}}

	// A callback whose state is not the session's is refused.
	resp, _ := b.post("/integrations/new", form)
	authz, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || authz.Path != "/oauth/authorize" || authz.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, authz)
	}
	if r, body := b.get("/integrations/oauth/callback?code=x&state=forged"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not the one this session started") {
		t.Fatalf("forged state: %d", r.StatusCode)
	}

	// The real flow.
	resp, _ = b.post("/integrations/new", form)
	resp, _ = b.follow(resp) // GitLab approves and sends back
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), app.RedirectURI+"?code=") {
		t.Fatalf("GitLab: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.follow(resp)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/integrations/") {
		t.Fatalf("callback: %d %s", resp.StatusCode, body)
	}
	ins, err := h.store.Integrations(ctx)
	if err != nil || len(ins) != 1 || ins[0].TokenKind != "oauth" {
		t.Fatalf("integrations %+v %v", ins, err)
	}
	id := ins[0].ID
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
	if g0.ClientID != app.UID || len(g0.RefreshSealed) == 0 || strings.Contains(string(g0.SecretSealed), app.Secret) || time.Until(g0.ExpiresAt) > 10*time.Minute {
		t.Fatalf("grant %+v", g0)
	}
	var v struct {
		Status string                  `json:"status"`
		Hint   string                  `json:"status_hint"`
		Check  integration.CheckResult `json:"last_check"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", id), nil, 200, &v)
	if !v.Check.OK || v.Check.Username != "airlock-bot" {
		t.Fatalf("check %+v", v)
	}

	// The token expires within the refresh window: the health job
	// refreshes it, and the new one works.
	if _, err := h.jobs.Insert(ctx, job.HealthArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the refresh", func() bool { return grant().ExpiresAt.After(g0.ExpiresAt) })
	in, _ := h.store.Integration(ctx, id)
	conn, err := integration.Open(h.keyring, in)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", h.gl.URL+"/api/v4/user", nil)
	req.Header.Set("Authorization", "Bearer "+conn.Token)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
		t.Fatalf("refreshed token: %v %v", r, err)
	}

	// The user revokes the application's grant: the refresh fails and the
	// integration is Degraded, saying to re-authorize.
	h.gl.RevokeRefreshTokens(app)
	if _, err := h.jobs.Insert(ctx, job.HealthArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "Degraded", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", id), nil, 200, &v)
		return v.Status == "Degraded"
	})
	if !strings.Contains(v.Hint, "re-authorize") || grant().RefreshError == "" {
		t.Fatalf("degraded: %+v", v)
	}
	if _, hub := b.get("/integrations"); !strings.Contains(hub, `data-status="Degraded"`) || !strings.Contains(hub, "re-authorize") {
		t.Fatal("the hub does not show Degraded with re-authorize")
	}

	// Re-authorize from the integration's page: GitLab approves again,
	// the new grant replaces the old one on the same integration, and it
	// is Connected again.
	resp, page = b.get(fmt.Sprintf("/integrations/%d", id))
	if !strings.Contains(page, `id="reauthorize"`) || strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action") {
		t.Fatalf("integration page: CSP %q\n%s", resp.Header.Get("Content-Security-Policy"), page)
	}
	resp, _ = b.post(fmt.Sprintf("/integrations/%d/reauthorize", id), url.Values{"csrf_token": {csrf(t, page)}})
	if authz, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || authz.Path != "/oauth/authorize" || authz.Query().Get("client_id") != app.UID {
		t.Fatalf("re-authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = b.follow(resp) // GitLab approves and sends back
	resp, body = b.follow(resp)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), fmt.Sprintf("/integrations/%d?notice=re-authorized", id)) {
		t.Fatalf("re-authorize callback: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if ins, err := h.store.Integrations(ctx); err != nil || len(ins) != 1 {
		t.Fatalf("re-authorizing made integrations %+v (%v)", ins, err)
	}
	if g := grant(); g.RefreshError != "" || len(g.RefreshSealed) == 0 {
		t.Errorf("grant after re-authorizing: %+v", g)
	}
	h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", id), nil, 200, &v)
	if v.Status != "Connected" || !v.Check.OK {
		t.Errorf("after re-authorizing: %+v", v)
	}
	// The refresh works again.
	before := grant().ExpiresAt
	if _, err := h.jobs.Insert(ctx, job.HealthArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "a refresh of the new grant", func() bool { return grant().ExpiresAt.After(before) })
}
