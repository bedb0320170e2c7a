package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/integration"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

// TestOnboardingConvergesThroughFaults: while airlock onboards ten
// projects, GitLab answers over a quarter of the API calls with 500, 429,
// a connection dropped after a delay, or no answer at all (a stall, which
// the client abandons after its timeout). Once it recovers, everything
// converges without anyone's help: every project discovered, one hook
// each, hooks_status ok, a successful first scan each, no job left
// unfinished.
func TestOnboardingConvergesThroughFaults(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { onboardingConverges(t, d) })
	}
}

func onboardingConverges(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{work: true})
	gl := h.gl
	u, tok, first := gitlabSetup(gl, gitlabtest.Maintainer)
	projects := []*gitlabtest.Project{first}
	for i := range 9 {
		projects = append(projects, gl.AddProject(gitlabtest.Project{Path: fmt.Sprintf("platform/svc%d", i), Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}}))
	}
	for _, p := range projects {
		gl.InitRepo(p, map[string]string{"README.md": "hi\n"})
	}
	var injected, stalls atomic.Int32
	// GitLab calls give up after half a second here (serve's
	// --gitlab-timeout, 2 minutes by default), so that stalls are timeouts.
	integration.SetResponseTimeout(500 * time.Millisecond)
	t.Cleanup(func() { integration.SetResponseTimeout(0) })
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(1, 2))
	faults := func(r *http.Request) gitlabtest.Fault {
		switch r.URL.Path {
		case "/api/v4/version", "/api/v4/user", "/api/v4/personal_access_tokens/self":
			return gitlabtest.Fault{} // Test Connection, answered before the integration exists
		}
		mu.Lock()
		x := rnd.IntN(14)
		mu.Unlock()
		switch x {
		case 0:
			injected.Add(1)
			return gitlabtest.Fault{Status: http.StatusInternalServerError}
		case 1:
			injected.Add(1)
			return gitlabtest.Fault{Status: http.StatusTooManyRequests}
		case 2:
			injected.Add(1)
			return gitlabtest.Fault{Delay: 300 * time.Millisecond, Drop: true}
		case 3:
			// No answer at all: the client gives up after its timeout.
			injected.Add(1)
			stalls.Add(1)
			return gitlabtest.Fault{Stall: true}
		}
		return gitlabtest.Fault{}
	}

	var in hooksView
	gl.InjectFaults(faults)
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value}, http.StatusCreated, &in)
	// A few more discoveries while GitLab misbehaves.
	for range 3 {
		h.admin("POST", fmt.Sprintf("/api/v1/integrations/%d/discover", in.ID), nil, http.StatusAccepted, nil)
	}
	eventually(t, 60*time.Second, "faults to be injected, a stall among them", func() bool { return injected.Load() >= 8 && stalls.Load() >= 1 })
	gl.InjectFaults(nil)
	t.Logf("%d faults injected, %d of them stalls", injected.Load(), stalls.Load())

	eventually(t, 120*time.Second, "onboarding to converge", func() bool {
		h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 200, &in)
		if in.Discovery != "ok" || in.HooksStatus != store.HooksOK {
			return false
		}
		var ps list[store.Project]
		h.admin("GET", fmt.Sprintf("/api/v1/projects?integration_id=%d", in.ID), nil, 200, &ps)
		if len(ps.Items) != len(projects) {
			return false
		}
		for _, p := range ps.Items {
			if p.HookStatus != store.HookRegistered {
				return false
			}
			ss := latestScans(h, p.ID, "main")
			if len(ss) == 0 || ss[0].Status != store.ScanSucceeded {
				return false
			}
		}
		return h.count(`SELECT COUNT(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') AND kind <> 'reclaim'`) == 0
	})
	for _, p := range projects {
		if hs := gl.Hooks(p); len(hs) != 1 {
			t.Errorf("%s has %d hooks, want 1", p.Path, len(hs))
		}
	}
	if n := h.count(`SELECT COUNT(*) FROM river_job WHERE state = 'discarded'`); n != 0 {
		t.Errorf("%d jobs discarded", n)
	}
}
