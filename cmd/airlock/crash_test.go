package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
)

// TestCrashRecovery kills 'airlock serve' with SIGKILL while a scan
// clones (GitLab's git side stalls), starts it again on the same data
// directory, and sees the same scan taken over at once and finished, and
// the dead process's workspace removed.
func TestCrashRecovery(t *testing.T) {
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "bot"})
	tok := gl.AddToken(gitlabtest.Token{Value: "glpat-crash-test-00000000000", UserID: u.ID, Scopes: []string{"api", "read_repository", "write_repository"}})
	p := gl.AddProject(gitlabtest.Project{Path: "g/big", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	gl.InitRepo(p, map[string]string{"deploy.sh": "export AWS_ACCESS_KEY_ID=AKIAXIJN2JZPW6W5AJX7\n"})

	// GitLab whose git requests stall while stalled is set; released,
	// they are answered.
	var stalled atomic.Bool
	var stalls atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	target, _ := url.Parse(gl.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stalled.Load() && strings.Contains(r.URL.Path, ".git/") {
			stalls.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	defer once.Do(func() { close(release) })

	const admin = "alk_crash_test_admin_0123456789"
	dir := t.TempDir()
	stalled.Store(true)
	first := startServe(t, dir, "AIRLOCK_ADMIN_TOKEN="+admin)
	api := func(s *served, method, path string, body any, out any) int {
		t.Helper()
		code, b := s.do(t, method, path, admin, body)
		if out != nil {
			json.Unmarshal([]byte(b), out)
		}
		return code
	}
	if c := api(first, "POST", "/api/v1/integrations", map[string]any{"url": front.URL, "token": tok.Value}, nil); c != 201 {
		t.Fatalf("create integration: %d\n%s", c, first.log())
	}
	type scan struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	var scans struct{ Items []scan }
	wait := func(s *served, what string, timeout time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s", what, s.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(first, "the onboarding scan to clone", 30*time.Second, func() bool {
		api(first, "GET", "/api/v1/scans", nil, &scans)
		return stalls.Load() > 0 && len(scans.Items) == 1 && scans.Items[0].Status == "running"
	})
	id := scans.Items[0].ID
	workspaces, _ := filepath.Glob(filepath.Join(dir, "work", "w-*", "clone-*"))
	if len(workspaces) != 1 {
		t.Fatalf("clone directories while the scan runs: %v", workspaces)
	}

	first.cmd.Process.Kill() // SIGKILL: no shutdown, no cleanup
	<-first.done
	if _, err := os.Stat(workspaces[0]); err != nil {
		t.Fatalf("the killed process's clone directory is already gone: %v", err)
	}

	once.Do(func() { close(release) })
	stalled.Store(false)
	restarted := time.Now()
	second := startServe(t, dir, "AIRLOCK_ADMIN_TOKEN="+admin)
	ready := time.Since(restarted)
	var sc scan
	wait(second, "the scan to be finished by the restarted server", 60*time.Second, func() bool {
		api(second, "GET", fmt.Sprintf("/api/v1/scans/%d", id), nil, &sc)
		return sc.Status == "succeeded" || sc.Status == "failed"
	})
	recovered := time.Since(restarted)
	if sc.Status != "succeeded" {
		t.Fatalf("scan %d after the restart: %+v\n%s", id, sc, second.log())
	}
	if _, err := os.Stat(workspaces[0]); !os.IsNotExist(err) {
		t.Errorf("the killed process's clone directory %s is still there (%v)", workspaces[0], err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "work", "w-*", "clone-*")); len(left) != 0 {
		t.Errorf("clone directories left: %v", left)
	}
	// Taken over at start because the dead worker's lock was free, not
	// later when its heartbeat went stale.
	if !strings.Contains(second.log(), "workspace of a dead worker removed") || !strings.Contains(second.log(), `"dead_workers":1`) {
		t.Errorf("no lines about the dead worker's workspace and scans:\n%s", second.log())
	}
	t.Logf("restart to ready %v, restart to the scan finished %v", ready.Round(time.Millisecond), recovered.Round(time.Millisecond))
	second.stop(t)
}
