package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// TestAgentEndToEnd: an agent key is created, an agent holding the
// GitLab token connects with it, and an integration routed via that pool
// is tested, discovered and scanned (clone included) entirely through
// the agent; the server never holds the token. With the agent gone,
// calls fail with agent_not_connected; a revoked key is refused.
func TestAgentEndToEnd(t *testing.T) {
	h := newHarness(t, storetest.Engines()[0], options{work: true, agents: true})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n", "deploy/env.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"})

	var key struct {
		ID   int64  `json:"id"`
		Pool string `json:"pool"`
		Key  string `json:"key"`
	}
	h.admin("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key)
	if key.Pool != "dc1" || !strings.HasPrefix(key.Key, "alka_") {
		t.Fatalf("key %+v", key)
	}
	if b := h.admin("GET", "/api/v1/agent-keys", nil, 200, nil); strings.Contains(string(b), key.Key) {
		t.Fatal("the key list shows the key")
	}

	startAgent := func(k string) (*tunnel.Agent, context.CancelFunc, chan error) {
		serverClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.url, "http://")}})
		gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(gl.URL, "http://")}})
		a, err := tunnel.NewAgent(tunnel.AgentConfig{Server: h.url, Key: k, GitLabURL: gl.URL, GitLabToken: tok.Value,
			ServerClient: serverClient, GitLabClient: gitlabClient, Version: "test", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		return a, cancel, done
	}
	agent, stop, done := startAgent(key.Key)
	// GitLab delivers webhooks to the agent (airlock agent --listen).
	hooksAt := httptest.NewServer(agent.WebhookRelay())
	defer hooksAt.Close()
	eventually(t, 10*time.Second, "the agent", func() bool { return len(h.hub.Agents("dc1")) == 1 })

	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "via_agent": true, "agent_pool": "dc1", "agent_webhook_url": hooksAt.URL, "name": "corp"}, http.StatusCreated, &in)
	if !in.Check.OK || in.Check.CheckedVia != "agent" || in.Check.Username != "airlock-bot" {
		t.Fatalf("check %+v", in.Check)
	}
	var pr store.Project
	if in.WebhookURL != fmt.Sprintf("%s/webhooks/gitlab/%d", hooksAt.URL, in.ID) {
		t.Fatalf("webhook_url %s", in.WebhookURL)
	}
	eventually(t, 20*time.Second, "discovery and the hook", func() bool {
		var ps list[store.Project]
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
		if len(ps.Items) == 1 && ps.Items[0].HookStatus == store.HookRegistered {
			pr = ps.Items[0]
			return true
		}
		return false
	})
	sc := waitScan(t, h, pr.ID, "main", store.TriggerOnboard)
	if sc.Status != store.ScanSucceeded || sc.FindingsTotal != 1 {
		t.Fatalf("scan through the agent: %+v", sc)
	}
	if hooks := gl.Hooks(p); len(hooks) != 1 || hooks[0].URL != in.WebhookURL {
		t.Fatalf("hooks %+v, want one to the agent", hooks)
	}
	// A push reaches the server through the agent's webhook relay and is
	// scanned through the agent; so is a merge request, and its note is
	// written through the agent.
	gl.Commit(p, "main", map[string]string{"ci/token.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "add token")
	if sc := waitScan(t, h, pr.ID, "main", store.TriggerPush); sc.FindingsNew != 1 {
		t.Fatalf("push scan through the agent: %+v", sc)
	}
	gl.Commit(p, "feature", map[string]string{"deploy/key.env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n"}, "add key")
	mr := gl.OpenMR(p, "feature", "main", "Add key")
	waitScan(t, h, pr.ID, "feature", store.TriggerMergeRequest)
	eventually(t, 20*time.Second, "the merge request note", func() bool { return len(gl.Notes(p, mr.IID)) == 1 })

	var agents []tunnel.AgentInfo
	h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d/agents", in.ID), nil, 200, &agents)
	if len(agents) != 1 || agents[0].Requests == 0 || agents[0].Version != "test" {
		t.Fatalf("agents %+v", agents)
	}
	for _, path := range []string{"/api/v1/integrations", fmt.Sprintf("/api/v1/integrations/%d", in.ID), "/api/v1/audit"} {
		if b := h.admin("GET", path, nil, 200, nil); strings.Contains(string(b), tok.Value) || strings.Contains(string(b), key.Key) {
			t.Errorf("%s shows a secret", path)
		}
	}

	// The agent gone, Test Connection says so.
	stop()
	<-done
	eventually(t, 10*time.Second, "the agent to leave", func() bool { return len(h.hub.Agents("dc1")) == 0 })
	b := h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/test", in.ID), nil, 200, nil)
	if !strings.Contains(string(b), "agent_not_connected") || !strings.Contains(string(b), "no agent connected for pool dc1") {
		t.Errorf("test without the agent: %s", b)
	}

	// The server never holds the token: the integration's sealed token
	// opens to nothing.
	row, err := h.store.Integration(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := h.keyring.Open(row.TokenSealed, integration.AAD(in.ID, integration.FieldToken)); err != nil || len(plain) != 0 {
		t.Errorf("the integration holds a token (%d bytes, %v)", len(plain), err)
	}

	// Rotation: a second key of the pool works while the first does; once
	// the first is revoked, it is refused and the second still connects.
	var key2 struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	h.admin("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key2)
	_, stop1, done1 := startAgent(key.Key)
	_, stop2, done2 := startAgent(key2.Key)
	eventually(t, 10*time.Second, "both keys' agents", func() bool { return len(h.hub.Agents("dc1")) == 2 })
	stop1()
	<-done1

	// A revoked key is refused.
	h.admin("DELETE", fmt.Sprintf("/api/v1/agent-keys/%d", key.ID), nil, http.StatusNoContent, nil)
	_, _, done = startAgent(key.Key)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("revoked key: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an agent with a revoked key is still running")
	}
	if n := len(h.hub.Agents("dc1")); n != 1 {
		t.Errorf("%d agents after the first key's revocation, want the second key's", n)
	}

	// Deleting the integration removes the hook GitLab calls through the
	// agents' relay (not the server's own address), through the agent,
	// and says so.
	var del struct {
		Removed int                 `json:"hooks_removed"`
		Left    []store.HookFailure `json:"hooks_not_removed"`
	}
	h.admin("DELETE", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, http.StatusAccepted, &del)
	if hooks := gl.Hooks(p); del.Removed != 1 || len(del.Left) != 0 || len(hooks) != 0 {
		t.Errorf("delete answered %+v; hooks left in GitLab %+v", del, hooks)
	}
	stop2()
	<-done2
}
