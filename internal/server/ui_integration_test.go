package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// TestUIRotateToken: the integration page's token form goes through the
// API's rotation: a token that fails Test Connection is refused with the
// reason and the old token stays; a working one is kept, audited, and
// the change of user is said; viewers get no form.
func TestUIRotateToken(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	gl := h.gl
	_, tok, _ := gitlabSetup(gl, gitlabtest.Maintainer)
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, 201, &in)
	ctx := context.Background()
	before, err := h.store.Integration(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	path := fmt.Sprintf("/integrations/%d", in.ID)
	_, page := b.get(path)
	for _, want := range []string{`action="` + path + `/token"`, `type="password" id="token" name="token"`, "None: the server reaches GitLab directly."} {
		if !strings.Contains(page, want) {
			t.Errorf("integration page lacks %q", want)
		}
	}
	token := csrf(t, page)

	revoked := gl.AddToken(gitlabtest.Token{Value: "glpat-revoked-token-000000000", UserID: 1, Scopes: []string{"api"}, Revoked: true})
	resp, body := b.post(path+"/token", url.Values{"csrf_token": {token}, "token": {revoked.Value}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Test Connection failed") || strings.Contains(body, revoked.Value) {
		t.Errorf("revoked token: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.post(path+"/token", url.Values{"csrf_token": {token}, "token": {" "}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "token is required") {
		t.Errorf("empty token: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.post(path+"/token", url.Values{"token": {revoked.Value}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("rotation without csrf: %d", resp.StatusCode)
	}
	after, _ := h.store.Integration(ctx, in.ID)
	if !bytes.Equal(after.TokenSealed, before.TokenSealed) {
		t.Fatal("a refused rotation changed the token")
	}

	other := gl.AddUser(gitlabtest.User{Username: "second-bot", Name: "Second", Email: "second@example.com"})
	gl.AddProject(gitlabtest.Project{Path: "platform/second", Members: map[int]gitlabtest.AccessLevel{other.ID: gitlabtest.Maintainer}})
	good := gl.AddToken(gitlabtest.Token{Value: "glpat-rotated-good-111111111", UserID: other.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	resp, body = b.post(path+"/token", url.Values{"csrf_token": {token}, "token": {good.Value}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), path+"?notice=") {
		t.Fatalf("rotation: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "token rotated") || !strings.Contains(page, "the new token belongs to second-bot, the old one to airlock-bot") || strings.Contains(page, good.Value) {
		t.Errorf("page after rotation:\n%s", page)
	}
	after, _ = h.store.Integration(ctx, in.ID)
	if bytes.Equal(after.TokenSealed, before.TokenSealed) {
		t.Fatal("the rotation kept the old token")
	}
	var res struct {
		OK       bool   `json:"ok"`
		Username string `json:"username"`
	}
	h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/test", in.ID), nil, 200, &res)
	if !res.OK || res.Username != "second-bot" {
		t.Errorf("test after rotation: %+v", res)
	}
	if n := h.count(`SELECT COUNT(*) FROM audit WHERE action = 'integration.rotate_token'`); n != 1 {
		t.Errorf("%d rotation audit entries", n)
	}

	var vt struct {
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "auditor", "role": "viewer"}, http.StatusCreated, &vt)
	v := newBrowser(t, h.url)
	vcsrf := v.signIn(vt.Token)
	if _, page := v.get(path); strings.Contains(page, `name="token"`) {
		t.Error("a viewer is offered the token form")
	}
	if resp, _ := v.post(path+"/token", url.Values{"csrf_token": {vcsrf}, "token": {good.Value}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer rotation: %d", resp.StatusCode)
	}
}

// TestUIIntegrationAgents: an integration through an agent pool lists
// the pool's connected agents (the API's list), and says when none is.
func TestUIIntegrationAgents(t *testing.T) {
	h := newHarness(t, store.SQLite, options{agents: true})
	gl := h.gl
	_, tok, _ := gitlabSetup(gl, gitlabtest.Maintainer)
	var key struct {
		Key string `json:"key"`
	}
	h.admin("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key)
	serverClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.url, "http://")}})
	gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(gl.URL, "http://")}})
	a, err := tunnel.NewAgent(tunnel.AgentConfig{Server: h.url, Key: key.Key, GitLabURL: gl.URL, GitLabToken: tok.Value,
		ServerClient: serverClient, GitLabClient: gitlabClient, Version: "test-ui", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			cancel()
			<-done
			stopped = true
		}
	}
	defer stop()
	eventually(t, 10*time.Second, "the agent", func() bool { return len(h.hub.Agents("dc1")) == 1 })
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "via_agent": true, "agent_pool": "dc1", "name": "corp"}, http.StatusCreated, &in)
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	path := fmt.Sprintf("/integrations/%d", in.ID)
	_, page := b.get(path)
	id := h.hub.Agents("dc1")[0].ID
	for _, want := range []string{"Agents of the pool dc1 connected now", "<td>" + id + "</td><td>test-ui"} {
		if !strings.Contains(page, want) {
			t.Errorf("integration page lacks %q:\n%s", want, page)
		}
	}
	stop()
	eventually(t, 10*time.Second, "the agent gone", func() bool { return len(h.hub.Agents("dc1")) == 0 })
	_, page = b.get(path)
	if !strings.Contains(page, "No agent of the pool is connected") || strings.Contains(page, "<td>"+id+"</td>") {
		t.Errorf("integration page without agents:\n%s", page)
	}
}

// TestUISelectionSearchKeepsHidden: saving a list selection from a
// search changes only the projects the search showed; the ones it hid
// keep their choice (they used to be deselected silently).
func TestUISelectionSearchKeepsHidden(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	gl := h.gl
	u, tok, a := gitlabSetup(gl, gitlabtest.Maintainer)
	bp := gl.AddProject(gitlabtest.Project{Path: "billing/invoices", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	cp := gl.AddProject(gitlabtest.Project{Path: "billing/ledger", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, 201, &in)
	eventually(t, 20*time.Second, "discovery", func() bool {
		return h.count(`SELECT COUNT(*) FROM project WHERE selected`) == 3 && h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'discover' AND state <> 'completed'`) == 0
	})
	selected := func() []int64 {
		t.Helper()
		row, err := h.store.Integration(context.Background(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := slices.Clone(row.SelectedIDs)
		slices.Sort(ids)
		return ids
	}

	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	path := fmt.Sprintf("/integrations/%d", in.ID)
	// From "all and future", a list saved from a search: the projects
	// it hid, selected until then, stay selected.
	_, page := b.get(path + "?q=payments")
	switchForm := url.Values{"csrf_token": {csrf(t, page)}, "selection": {"list"}, "shown_project_id": {strconv.Itoa(a.ID)}}
	if resp, body := b.post(path+"/selection", switchForm); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch to a list: %d\n%s", resp.StatusCode, body)
	}
	if got, want := selected(), []int64{int64(bp.ID), int64(cp.ID)}; !slices.Equal(got, want) {
		t.Errorf("after switching to a list from a search for payments, unticked: selected %v, want %v", got, want)
	}
	h.admin("PUT", fmt.Sprintf("/api/v1/integrations/%d/selection", in.ID), map[string]any{"selection": "list", "gitlab_project_ids": []int{a.ID, bp.ID, cp.ID}}, 200, nil)
	_, page = b.get(path + "?q=payments")
	if !strings.Contains(page, fmt.Sprintf(`name="shown_project_id" value="%d"`, a.ID)) || strings.Contains(page, fmt.Sprintf(`name="shown_project_id" value="%d"`, bp.ID)) || !strings.Contains(page, "the projects the search hides keep their choice") {
		t.Fatalf("search page:\n%s", page)
	}
	// Untick the one project shown: the two hidden stay selected.
	form := url.Values{"csrf_token": {csrf(t, page)}, "selection": {"list"}, "shown_project_id": {strconv.Itoa(a.ID)}}
	if resp, body := b.post(path+"/selection", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	if got, want := selected(), []int64{int64(bp.ID), int64(cp.ID)}; !slices.Equal(got, want) {
		t.Errorf("after unticking payments in a search: selected %v, want %v", got, want)
	}
	// Tick it again from the same search: all three.
	form.Set("gitlab_project_id", strconv.Itoa(a.ID))
	b.post(path+"/selection", form)
	if got := selected(); len(got) != 3 {
		t.Errorf("after ticking payments again: selected %v", got)
	}
	// The whole list shown, what is ticked is the selection.
	_, page = b.get(path)
	form = url.Values{"csrf_token": {csrf(t, page)}, "selection": {"list"}, "gitlab_project_id": {strconv.Itoa(cp.ID)}}
	for _, id := range []int{a.ID, bp.ID, cp.ID} {
		form.Add("shown_project_id", strconv.Itoa(id))
	}
	b.post(path+"/selection", form)
	if got := selected(); !slices.Equal(got, []int64{int64(cp.ID)}) {
		t.Errorf("the whole list shown: selected %v, want only ledger", got)
	}
}
