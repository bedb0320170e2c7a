package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab"
	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAgentProcess: the airlock agent binary, configured by flags and
// environment, connects to a server's hub and relays its GitLab calls
// with its own token; SIGTERM stops it cleanly.
func TestAgentProcess(t *testing.T) {
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: "glpat-agent-process-0001", Scopes: []string{"api"}})
	gl.AddProject(gitlabtest.Project{Path: "team/app", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Developer}})
	hub, err := tunnel.NewHub(tunnel.HubConfig{Authenticate: func(_ context.Context, key string) (string, error) {
		if key != "alka_process" {
			return "", errors.New("unknown key")
		}
		return "dc1", nil
	}, Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+tunnel.ConnectPath, hub)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer hub.Close()

	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(binary, "agent", "--server", srv.URL, "--gitlab-url", gl.URL, "--log-format", "text", "--audit-log", audit, "--server-proxy", "none", "--gitlab-proxy", "none")
	cmd.Env = append(os.Environ(), "AIRLOCK_AGENT_KEY=alka_process", "AIRLOCK_GITLAB_TOKEN=glpat-agent-process-0001")
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(20 * time.Second)
	for len(hub.Agents("dc1")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not connect:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := gitlab.New(gitlab.Config{BaseURL: gl.URL, Token: "held-by-the-agent", HTTPClient: &http.Client{Transport: hub.Transport("dc1", gl.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	if chk, err := c.Check(context.Background()); err != nil || chk.Username != "airlock-bot" {
		t.Fatalf("check through the agent process: %+v %v\n%s", chk, err, stderr.String())
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("agent exit: %v\n%s", err, stderr.String())
	}
	b, _ := os.ReadFile(audit)
	if !strings.Contains(string(b), `"path":"/api/v4/user"`) || strings.Contains(string(b)+stderr.String(), "glpat-agent-process-0001") {
		t.Errorf("audit log:\n%s\nstderr:\n%s", b, stderr.String())
	}
	if !strings.Contains(stderr.String(), "connected to the server") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestAgentConfigErrors: a missing flag is a usage error; a bad allowlist
// names its file and line; a refused key stops the agent with exit 1.
func TestAgentConfigErrors(t *testing.T) {
	allow := filepath.Join(t.TempDir(), "allow.txt")
	os.WriteFile(allow, []byte("GET /api/v4/version\nFETCH /x\n"), 0o644)
	hub, _ := tunnel.NewHub(tunnel.HubConfig{Authenticate: func(context.Context, string) (string, error) { return "", errors.New("unknown key") }})
	srv := httptest.NewServer(hub)
	defer srv.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"agent", "--server", "https://a.example", "--gitlab-url", "https://g.example"}, exitUsage, "--key is required"},
		{[]string{"agent", "--server", "https://a.example", "--key", "k", "--gitlab-url", "https://g.example", "--allowlist", allow}, exitError, allow + ":2: method \"FETCH\""},
		{[]string{"agent", "--server", srv.URL, "--key", "k", "--gitlab-url", "https://g.example", "--server-proxy", "none"}, exitError, "401"},
	} {
		r := airlockEnv(t, binary, nil, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, r.code, c.code, c.want, r.stderr)
		}
	}
}

// TestAgentDoctor: every step passes against a working server and
// GitLab; a wrong key fails the upgrade step with its fix.
func TestAgentDoctor(t *testing.T) {
	gl := gitlabtest.New(t)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: "glpat-agent-doctor-0001", Scopes: []string{"api"}})
	// git ls-remote needs a repository with commits the user may read;
	// an empty one comes first and is passed over.
	gl.AddProject(gitlabtest.Project{Path: "site/empty", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	p := gl.AddProject(gitlabtest.Project{Path: "site/app", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Reporter}})
	gl.InitRepo(p, map[string]string{"README.md": "hi\n"})
	hub, _ := tunnel.NewHub(tunnel.HubConfig{Authenticate: func(_ context.Context, key string) (string, error) {
		if key != "alka_doctor" {
			return "", errors.New("unknown key")
		}
		return "dc1", nil
	}})
	mux := http.NewServeMux()
	mux.Handle("GET "+tunnel.ConnectPath, hub)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer hub.Close()
	args := []string{"agent", "doctor", "--server", srv.URL, "--gitlab-url", gl.URL, "--gitlab-token", "glpat-agent-doctor-0001", "--server-proxy", "none", "--gitlab-proxy", "none"}
	r := airlockEnv(t, binary, nil, nil, append(args, "--key", "alka_doctor")...)
	if r.code != 0 || strings.Count(r.stdout, "ok  ") != 6 || !strings.Contains(r.stdout, "user airlock-bot, scopes api") ||
		!strings.Contains(r.stdout, "ok   git ls-remote: site/app: refs advertised") {
		t.Errorf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// An allowlist without git's calls: the server could not clone.
	allow := filepath.Join(t.TempDir(), "allow.txt")
	os.WriteFile(allow, []byte("GET /api/v4/version\nGET /api/v4/projects\n"), 0o644)
	r = airlockEnv(t, binary, nil, nil, append(args, "--key", "alka_doctor", "--allowlist", allow)...)
	if r.code != exitError || !strings.Contains(r.stdout, "FAIL git ls-remote: the agent's allowlist refuses GET /site/app.git/info/refs") ||
		!strings.Contains(r.stdout, "to the agent's --allowlist") {
		t.Errorf("doctor with an allowlist without git: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = airlockEnv(t, binary, nil, nil, append(args, "--key", "wrong")...)
	if r.code != exitError || !strings.Contains(r.stdout, "FAIL WebSocket upgrade with the key") || !strings.Contains(r.stdout, "fix: create a key with POST /api/v1/agent-keys") {
		t.Errorf("doctor with a wrong key: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
