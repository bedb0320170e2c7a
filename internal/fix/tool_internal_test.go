package fix

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/registry"
)

// TestToolTimeoutKillsGroup: a native tool that outlives its timeout is
// stopped with everything it started (its process group), its output is
// kept, and the error says it did not finish.
func TestToolTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	a := &Applier{Timeout: 300 * time.Millisecond}
	out, err := a.run(context.Background(), dir, []string{"PATH=" + os.Getenv("PATH")}, "sh", "-c", "sleep 60 & echo $! > "+pidFile+"; echo started; wait")
	if err == nil || !strings.Contains(err.Error(), "did not finish within 300ms") {
		t.Fatalf("error %v, want the timeout named", err)
	}
	if !strings.Contains(out, "started") {
		t.Errorf("output not kept: %q", out)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// The kill is delivered by the time run returns; the child may take a
	// moment to be reaped by init.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(st), ") Z ") {
			break // killed, waiting to be reaped
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the tool's child %d outlived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestToolEnv: the tools get no proxy, Go or npm settings of the
// environment; every connection goes to a proxy that refuses it, but the
// mirror's host, reached directly (or the mirror's own proxy when one is
// configured).
func TestToolEnv(t *testing.T) {
	a := &Applier{Env: []string{"PATH=/usr/bin", "HOME=/home/u", "HTTPS_PROXY=http://corp:3128", "no_proxy=*", "GOFLAGS=-insecure", "GOPROXY=https://proxy.golang.org", "npm_config_registry=https://registry.npmjs.org", "NPM_CONFIG_IGNORE_SCRIPTS=false"}}
	env := a.toolEnv(registry.Mirror{URL: "https://mirror.corp.example/npm/"}, "EXTRA=1")
	for _, bad := range []string{"HTTPS_PROXY=http://corp:3128", "no_proxy=*", "GOFLAGS=-insecure", "GOPROXY=https://proxy.golang.org", "npm_config_registry=https://registry.npmjs.org", "NPM_CONFIG_IGNORE_SCRIPTS=false"} {
		if slices.Contains(env, bad) {
			t.Errorf("the environment's %s reached the tool", bad)
		}
	}
	for _, want := range []string{"PATH=/usr/bin", "HOME=/home/u", "HTTPS_PROXY=" + nowhere, "HTTP_PROXY=" + nowhere, "NO_PROXY=mirror.corp.example", "no_proxy=mirror.corp.example", "EXTRA=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("tool environment lacks %s: %v", want, env)
		}
	}
	env = a.toolEnv(registry.Mirror{URL: "https://mirror.corp.example/npm/", Proxy: "http://egress.corp:8080", NoProxy: ".corp.example"})
	if !slices.Contains(env, "HTTPS_PROXY=http://egress.corp:8080") || !slices.Contains(env, "NO_PROXY=.corp.example") {
		t.Errorf("the mirror's own proxy is not used: %v", env)
	}
}
