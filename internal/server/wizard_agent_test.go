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
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

var agentKeyRE = regexp.MustCompile(`<code id="agent-key-value"[^>]*>(alka_[a-z0-9]+)</code>`)

// TestWizardAgentPool: the wizard's "through an agent pool" step lists
// the pools with their keys and connected agents, creates a pool's key
// (shown once, with the helm and binary commands that start an agent
// with it; a bad pool name is refused naming the field), and, once an
// agent started with that key connects, lists it; Test Connection and
// Connect then go through it.
func TestWizardAgentPool(t *testing.T) {
	h := newHarness(t, store.SQLite, options{agents: true})
	_, tok, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	b := newBrowser(t, h.url)
	csrfToken := b.signIn(adminToken)
	_, page := b.get("/integrations/new")
	if !strings.Contains(page, `id="agent-pools"`) || !strings.Contains(page, "No agent pool yet") || !strings.Contains(page, `id="create-agent-key"`) {
		t.Fatalf("wizard without the pools step:\n%s", page)
	}
	form := func(action, pool string) url.Values {
		return url.Values{"csrf_token": {csrfToken}, "url": {h.gl.URL}, "name": {"corp"}, "route": {"agent"}, "agent_pool": {pool}, "auth": {"token"}, "action": {action}}
	}

	// A pool name the API would refuse is refused here, naming the field.
	resp, body := b.post("/integrations/new", form("agent_key", "dc 1; rm"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="agent-error"`) || !strings.Contains(body, `id="agent_pool" name="agent_pool"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("bad pool name: %d\n%s", resp.StatusCode, body)
	}

	// Through htmx, the pools part alone comes back, with the key once.
	hx := http.Header{"Hx-Request": {"true"}}
	resp, body = b.send("/integrations/new", "application/x-www-form-urlencoded", hx, []byte(form("agent_key", "dc1").Encode()))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, `<div id="wizard-agents"`) || strings.Contains(body, "<form") {
		t.Fatalf("create a key through htmx: %d\n%s", resp.StatusCode, body)
	}
	m := agentKeyRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no key shown:\n%s", body)
	}
	key := m[1]
	helm := server.AgentHelmLine(h.url, h.gl.URL, key)
	if !strings.Contains(html.UnescapeString(body), helm) || !strings.Contains(helm, "--set agent.key="+key) || !strings.Contains(helm, "--set agent.serverUrl="+h.url) || !strings.Contains(helm, "--set agent.gitlabUrl="+h.gl.URL) || !strings.Contains(helm, "--set server.enabled=false") {
		t.Errorf("helm line %q in\n%s", helm, body)
	}
	if run := server.AgentRunLine(h.url, h.gl.URL, key); !strings.Contains(html.UnescapeString(body), run) {
		t.Errorf("agent line %q not in\n%s", run, body)
	}
	if !strings.Contains(body, `<tr data-pool="dc1"><td>dc1</td><td>1</td><td>none connected`) {
		t.Errorf("the pool is not listed with its key:\n%s", body)
	}
	var keys []store.AgentKey
	h.admin("GET", "/api/v1/agent-keys", nil, http.StatusOK, &keys)
	if len(keys) != 1 || keys[0].Pool != "dc1" || !strings.HasPrefix(key, keys[0].Prefix) {
		t.Errorf("API keys %+v for %s", keys, key)
	}
	if n := h.count(`SELECT COUNT(*) FROM audit WHERE action = 'agent_key.create' AND detail = 'dc1'`); n != 1 {
		t.Errorf("%d audit entries for the key", n)
	}
	// The key is never shown again.
	_, page = b.get("/integrations/new")
	if strings.Contains(page, key) || !strings.Contains(page, `<tr data-pool="dc1">`) {
		t.Errorf("wizard after the key:\n%s", page)
	}

	// An agent started with that key is listed under its pool.
	serverClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.url, "http://")}})
	gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.gl.URL, "http://")}})
	a, err := tunnel.NewAgent(tunnel.AgentConfig{Server: h.url, Key: key, GitLabURL: h.gl.URL, ServerClient: serverClient, GitLabClient: gitlabClient,
		Version: "test-agent", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(actx) }()
	defer func() {
		cancel()
		<-done
	}()
	eventually(t, 10*time.Second, "the agent", func() bool { return len(h.hub.Agents("dc1")) == 1 })
	resp, body = b.post("/integrations/new", form("agents", "dc1"))
	id := h.hub.Agents("dc1")[0].ID
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<span class="agent">`+id+` (test-agent)`) || strings.Contains(body, key) {
		t.Errorf("check agents: %d, want agent %s\n%s", resp.StatusCode, id, body)
	}

	// Test Connection and Connect through the pool.
	f := form("test", "dc1")
	f.Set("token", tok.Value)
	resp, body = b.post("/integrations/new", f)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="check-ok"`) {
		t.Fatalf("test through the pool: %d\n%s", resp.StatusCode, body)
	}
	f.Set("action", "connect")
	resp, body = b.post("/integrations/new", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect through the pool: %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Agents of the pool dc1 connected now") || !strings.Contains(body, "<td>"+id+"</td>") {
		t.Errorf("integration page: %d\n%s", resp.StatusCode, body)
	}
	// The hub's card counts the pool's agents.
	if _, body = b.get("/integrations"); !strings.Contains(body, `through agent pool <code>dc1</code>: <span class="agents">1 agent connected</span>`) {
		t.Errorf("hub:\n%s", body)
	}
	cancel()
	<-done
	done <- nil
	eventually(t, 10*time.Second, "the agent gone", func() bool { return len(h.hub.Agents("dc1")) == 0 })
	if _, body = b.get("/integrations"); !strings.Contains(body, `<span class="agents">no agent connected</span>`) {
		t.Errorf("hub without the agent:\n%s", body)
	}

	// Without a GitLab URL typed, the commands hold a placeholder and
	// the page says to replace it.
	f = form("agent_key", "dc2")
	f.Del("url")
	resp, body = b.post("/integrations/new", f)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="agent-gitlab-placeholder"`) || !strings.Contains(body, "--set agent.gitlabUrl=https://GITLAB.EXAMPLE") {
		t.Errorf("key without a GitLab URL: %d\n%s", resp.StatusCode, body)
	}
}

// TestAgentHelmLineQuoting: values a shell or helm --set would split are
// quoted and escaped.
func TestAgentHelmLineQuoting(t *testing.T) {
	got := server.AgentHelmLine("https://airlock.example.com", "https://gitlab.corp.example/a,b", "alka_abc")
	want := `helm upgrade --install airlock-agent deploy/helm/airlock --namespace airlock-agent --create-namespace --set server.enabled=false --set agent.enabled=true --set agent.serverUrl=https://airlock.example.com --set 'agent.gitlabUrl=https://gitlab.corp.example/a\,b' --set agent.key=alka_abc`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := server.AgentRunLine("https://x", "https://gitlab.example/it's", "alka_abc"); got != `AIRLOCK_AGENT_KEY=alka_abc airlock agent --server https://x --gitlab-url 'https://gitlab.example/it'\''s'` {
		t.Errorf("run line %s", got)
	}
}

// TestWizardSelectionStep: the wizard's step 4 chooses the selection
// before Connect. "choose" connects with an empty list: discovery lists
// the projects to tick, but no webhook is installed and nothing is
// scanned until the admin saves a choice. The OAuth step shows this
// server's address as the homepage URL.
func TestWizardSelectionStep(t *testing.T) {
	h := newHarness(t, store.SQLite, options{work: true})
	_, tok, p := gitlabSetup(h.gl, gitlabtest.Maintainer)
	h.gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})
	b := newBrowser(t, h.url)
	csrfToken := b.signIn(adminToken)
	_, page := b.get("/integrations/new")
	if !strings.Contains(page, `<code id="homepage-url" data-copy="Copy" data-copy-name="the homepage URL">`+h.url+`</code>`) || !strings.Contains(page, `name="selection" value="all_future" checked`) {
		t.Errorf("wizard page:\n%s", page)
	}
	form := url.Values{"csrf_token": {csrfToken}, "url": {h.gl.URL}, "route": {"direct"}, "auth": {"token"}, "token": {tok.Value}, "action": {"connect"}, "selection": {"everything"}}
	if resp, body := b.post("/integrations/new", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "selection &#34;everything&#34;") {
		t.Errorf("unknown selection: %d\n%s", resp.StatusCode, body)
	}
	form.Set("selection", "choose")
	resp, body := b.post("/integrations/new", form)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "nothing+is+scanned+yet") {
		t.Fatalf("connect, choose later: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	eventually(t, 20*time.Second, "discovery", func() bool {
		return h.count(`SELECT COUNT(*) FROM project`) == 1 && h.count(`SELECT COUNT(*) FROM integration WHERE discovery_status = 'ok'`) == 1
	})
	ins, err := h.store.Integrations(context.Background())
	if err != nil || len(ins) != 1 || ins[0].Selection != store.SelectList || len(ins[0].SelectedIDs) != 0 {
		t.Fatalf("integrations %+v: %v", ins, err)
	}
	if hooks := h.gl.Hooks(p); len(hooks) != 0 {
		t.Errorf("hooks installed before a choice: %+v", hooks)
	}
	if n := h.count(`SELECT COUNT(*) FROM scan`) + h.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'scan'`); n != 0 {
		t.Errorf("%d scans or scan jobs before a choice", n)
	}
	_, page = b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, fmt.Sprintf(`name="gitlab_project_id" value="%d"`, p.ID)) {
		t.Errorf("the project is not offered for ticking:\n%s", page)
	}
}
