package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/source"
	"github.com/airlock-sec/airlock/internal/tunnel"
)

// BenchmarkAgentMemory runs `airlock agent` as its own process (the
// binary built for these tests) against a hub on loopback and the GitLab
// stand-in, and reports the agent process's resident memory from
// /proc/<pid>/status: idle after connecting, peak (VmHWM) and after the
// load. The load: 200 concurrent GitLab API calls through the agent per
// iteration ("api"), or a clone of a 32 MiB repository of incompressible
// files through the server's relay and the agent ("clone": bodies are
// streamed, so the peak must not grow by the repository's size).
func BenchmarkAgentMemory(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("no /proc: resident memory cannot be read")
	}
	gl := gitlabtest.New(b)
	u := gl.AddUser(gitlabtest.User{Username: "airlock-bot"})
	const token = "glpat-agent-memory-bench-01"
	gl.AddToken(gitlabtest.Token{UserID: u.ID, Value: token, Scopes: []string{"api"}})
	p := gl.AddProject(gitlabtest.Project{Path: "team/big", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	files := map[string]string{}
	for i := range 32 {
		buf := make([]byte, 1<<20)
		rand.Read(buf)
		files[fmt.Sprintf("bin/%02d.bin", i)] = string(buf)
	}
	gl.InitRepo(p, files)

	b.Run("api", func(b *testing.B) {
		hub, _, pid := agentProcess(b, gl.URL, token)
		idle := procStatusKB(b, pid, "VmRSS")
		hc := &http.Client{Transport: hub.Transport("dc1", gl.URL)}
		for b.Loop() {
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for range 200 {
				wg.Go(func() {
					req, _ := http.NewRequest("GET", gl.URL+"/api/v4/user", nil)
					resp, err := hc.Do(req)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("status %s", resp.Status)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		}
		reportRSS(b, pid, idle)
	})
	b.Run("clone", func(b *testing.B) {
		_, relay, pid := agentProcess(b, gl.URL, token)
		idle := procStatusKB(b, pid, "VmRSS")
		env, err := relay.GitEnv(nil)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			ws, err := source.Clone(context.Background(), source.CloneOptions{URL: relay.CloneURL("dc1", "team/big"), Depth: 1, Dir: b.TempDir(), Env: env})
			if err != nil {
				b.Fatal(err)
			}
			ws.Close()
		}
		reportRSS(b, pid, idle)
	})
}

func reportRSS(b *testing.B, pid int, idle int64) {
	b.ReportMetric(float64(idle)/1024, "idle-RSS-MiB")
	b.ReportMetric(float64(procStatusKB(b, pid, "VmHWM"))/1024, "peak-RSS-MiB")
	b.ReportMetric(float64(procStatusKB(b, pid, "VmRSS"))/1024, "after-RSS-MiB")
}

// agentProcess starts a hub on loopback, its relay, and `airlock agent`
// holding the GitLab token, connected to the hub; it returns the hub, the
// relay and the agent's process ID.
func agentProcess(b *testing.B, gitlabURL, token string) (*tunnel.Hub, *tunnel.Relay, int) {
	hub, err := tunnel.NewHub(tunnel.HubConfig{Authenticate: func(context.Context, string) (string, error) { return "dc1", nil }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(hub.Close)
	relay, err := hub.StartRelay()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { relay.Close() })
	mux := http.NewServeMux()
	mux.Handle("GET "+tunnel.ConnectPath, hub)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	cmd := exec.Command(binary, "agent", "--server", srv.URL, "--key", "alka_bench", "--gitlab-url", gitlabURL,
		"--gitlab-token", token, "--server-proxy", "none", "--gitlab-proxy", "none")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard // the audit log: a line per call
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for len(hub.Agents("dc1")) == 0 {
		if time.Now().After(deadline) {
			b.Fatal("the agent did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return hub, relay, cmd.Process.Pid
}

// procStatusKB reads a kB field of /proc/<pid>/status.
func procStatusKB(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("/proc/%d/status %s: %v", pid, field, err)
			}
			return n
		}
	}
	tb.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}
