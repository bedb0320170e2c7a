package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/netx"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// TestAgentPolling: an integration routed via agent without a webhook
// address (GitLab cannot reach the server and delivers no events) is
// polled through the agent: a push to the default branch and a merge
// request are scanned, the merge request gets its note, and a head that
// was scanned is not scanned again on the next rounds.
func TestAgentPolling(t *testing.T) {
	h := newHarness(t, storetest.Engines()[0], options{work: true, agents: true, changePoll: 200 * time.Millisecond})
	gl := h.gl
	_, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	gl.InitRepo(p, map[string]string{"README.md": "# payments\n"})

	var key struct {
		Key string `json:"key"`
	}
	h.admin("POST", "/api/v1/agent-keys", map[string]string{"pool": "dc1"}, http.StatusCreated, &key)
	serverClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(h.url, "http://")}})
	gitlabClient, _ := netx.NewClient(netx.Config{Allow: []string{strings.TrimPrefix(gl.URL, "http://")}})
	a, err := tunnel.NewAgent(tunnel.AgentConfig{Server: h.url, Key: key.Key, GitLabURL: gl.URL, GitLabToken: tok.Value,
		ServerClient: serverClient, GitLabClient: gitlabClient, Version: "test", MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, 10*time.Second, "the agent", func() bool { return len(h.hub.Agents("dc1")) == 1 })

	var in integrationView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "via_agent": true, "agent_pool": "dc1", "name": "corp"}, http.StatusCreated, &in)
	var pr store.Project
	eventually(t, 20*time.Second, "discovery", func() bool {
		var ps list[store.Project]
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
		if len(ps.Items) == 1 {
			pr = ps.Items[0]
			return true
		}
		return false
	})
	waitScan(t, h, pr.ID, "main", store.TriggerOnboard)

	// From here GitLab delivers no webhook (held until the test ends), as
	// when it cannot reach the server: the poll finds the new heads.
	gl.HoldDeliveries()
	gl.Commit(p, "main", map[string]string{"ci/token.sh": "export GITLAB_TOKEN=glpat-oljJr6tw4X01kxTMccUD\n"}, "add token")
	if sc := waitScan(t, h, pr.ID, "main", store.TriggerPush); sc.FindingsNew != 1 {
		t.Fatalf("polled push scan: %+v", sc)
	}
	gl.Commit(p, "feature", map[string]string{"deploy/key.env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n"}, "add key")
	mr := gl.OpenMR(p, "feature", "main", "Add key")
	waitScan(t, h, pr.ID, "feature", store.TriggerMergeRequest)
	eventually(t, 20*time.Second, "the merge request note", func() bool { return len(gl.Notes(p, mr.IID)) == 1 })

	// Several more rounds: the heads are scanned, nothing is queued again.
	count := func() int {
		var n int
		if err := h.store.DB().QueryRow(`SELECT COUNT(*) FROM scan WHERE project_id = ` + fmt.Sprint(pr.ID)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	time.Sleep(time.Second)
	if n := count(); n != before || n != 3 {
		t.Errorf("%d scans after more polls (before %d); want the onboarding, push and merge request scans only", n, before)
	}
}
